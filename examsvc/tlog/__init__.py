"""The transparency log's pure parts: RFC 6962 hashing, proofs and verification, C2SP checkpoints.

No database, no FastAPI: the service, the CLI and an offline auditor run exactly this code.
"""
