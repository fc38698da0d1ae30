"""Exam sites (考点) and their enrolled workstations (考试机)."""
