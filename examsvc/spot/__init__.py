"""逢查必考 spot exams during enforcement inspections (issue 22)."""
