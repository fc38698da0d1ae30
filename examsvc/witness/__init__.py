"""A C2SP tlog-witness (https://c2sp.org/tlog-witness) that another department runs for examsvc's log.

It is deliberately separate from the exam service: its own process (``examsvc witness serve``), its own
Ed25519 cosignature key and its own small SQLite file in its own data folder. It shares no database, key
or configuration with the log it watches, so whoever owns the exam database cannot move its memory.
"""
