"""Canonical encodings, digests, keys and signatures. No FastAPI, no ORM: plain values in and out."""
