"""逢查必考: spot exams during enforcement inspections (docs/spot-exams.md)."""
