"""Exam sittings (考试场次): schedule, rooms, staff, and later candidates, presence and the room record."""
