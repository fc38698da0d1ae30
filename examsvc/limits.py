"""Limits a client must meet, and how digests are written, defined once: the schemas (and so the OpenAPI
document), the services' own checks and the messages that name a limit all read them from here
(issue 16 items 14 and 16).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

# 准考证号: letters, digits and "-". The column holds 20 characters (candidates.models.Registration);
# the numbers examsvc makes are 14 (candidates.service.register).
ADMISSION_NUMBER_MIN = 4
ADMISSION_NUMBER_MAX = 20
ADMISSION_NUMBER_PATTERN = rf"^[0-9A-Za-z-]{{{ADMISSION_NUMBER_MIN},{ADMISSION_NUMBER_MAX}}}$"
ADMISSION_NUMBER = re.compile(ADMISSION_NUMBER_PATTERN)
ADMISSION_NUMBER_RULE = f"准考证号须为 {ADMISSION_NUMBER_MIN}–{ADMISSION_NUMBER_MAX} 位字母、数字或“-”"

AdmissionNumber = Annotated[str, Field(
    min_length=ADMISSION_NUMBER_MIN, max_length=ADMISSION_NUMBER_MAX, pattern=ADMISSION_NUMBER_PATTERN,
    description=f"准考证号 (admission number): {ADMISSION_NUMBER_MIN}–{ADMISSION_NUMBER_MAX} letters, digits or '-'",
    examples=["27011000010001"])]

# The same in a path: the pattern also keeps "/" and "." out of a URL segment. Made when an endpoint
# module first imports it (``__getattr__`` below): services import this module too, and FastAPI would
# cost every CLI command its import (issue 16 item 21).
def _admission_number_path() -> Any:
    from fastapi import Path

    described = f"准考证号 (admission number): {ADMISSION_NUMBER_MIN}–{ADMISSION_NUMBER_MAX} letters, digits or '-'"
    return Annotated[str, Path(min_length=ADMISSION_NUMBER_MIN, max_length=ADMISSION_NUMBER_MAX,
                               pattern=ADMISSION_NUMBER_PATTERN, description=described)]


if TYPE_CHECKING:
    AdmissionNumberPath = Annotated[str, "path"]


def __getattr__(name: str) -> Any:
    if name == "AdmissionNumberPath":
        value = globals()[name] = _admission_number_path()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# A chief examiner's passphrase (主考官签名口令): a key is never made under a shorter one
# (examiners.service.create_key), so a shorter one can never unlock a key either.
PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 512
PASSPHRASE_RULE = f"签名口令至少 {PASSPHRASE_MIN} 个字符"

PassphraseText = Annotated[str, Field(
    min_length=PASSPHRASE_MIN, max_length=PASSPHRASE_MAX,
    description=f"主考官本人的签名口令 (the chief examiner's own passphrase, {PASSPHRASE_MIN}–{PASSPHRASE_MAX} "
                "characters)")]

# Digests in JSON fields are lower-case hex and say so in their name where a second encoding exists:
# a Merkle root is also written, in base64, in the signed notes, as C2SP tlog-checkpoint writes root
# hashes (issue 16 item 16; docs/audit-log.md "Encodings").
MERKLE_ROOT_HEX = ("RFC 6962 Merkle tree root, 64 lower-case hex digits (the signed note's `root` line carries the "
                   "same 32 bytes in base64)")
