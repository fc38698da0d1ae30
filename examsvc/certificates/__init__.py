"""Certificates (证书): issued from qualifications examsvc recorded, signed (COSE_Sign1 over a CWT), logged,
verifiable offline and at the public ``/verify`` page. docs/certificates.md describes the format byte by byte."""
