"""Candidates (考生): identity and registration."""
