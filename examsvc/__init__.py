"""examsvc: proctored computer-based exam engine for safety-qualification exams (三项岗位人员)."""

__version__ = "0.1.0"
