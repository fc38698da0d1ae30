"""The identity binding (issue 15 item 1): which person an admission number (准考证号) stands for.

At registration the log records, per admission number, a digest binding it to the candidate's name and
ID number, and the first result document carries the same digest: a pass cannot move to another
person by editing the ``candidate`` or ``registration`` rows without contradicting both. The digest is
salted with a random value kept only in the registration row, so the log (read by auditors, exported,
witnessed) says nothing about ID numbers or names: an 18-digit ID number alone has few enough
possibilities to be guessed from an unsalted hash.

Besides the binding (``person``), the log keeps short salted fingerprints of the name and the ID
number and the candidate row's id, only so that a verifier can name *which* field was edited.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from examsvc.candidates.models import Candidate, Registration
from examsvc.crypto.canonical_json import canonical_json

FINGERPRINT_HEX = 16  # 64 bits: enough to say which field changed; the binding itself is the full digest


def new_salt() -> str:
    return secrets.token_hex(16)


def person_digest(*, sitting: str, admission_number: str, name: str, id_number: str, salt: str) -> str:
    """SHA-256 of the RFC 8785 JSON of the binding: the value the log and the result document carry."""
    return hashlib.sha256(canonical_json({"admission_number": admission_number, "id_number": id_number,
                                          "name": name, "salt": salt, "sitting": sitting})).hexdigest()


def fingerprint(salt: str, field: str, value: str) -> str:
    return hashlib.sha256(canonical_json({"field": field, "salt": salt, "value": value})).hexdigest()[:FINGERPRINT_HEX]


# The other facts of a registration that decide what a pass is worth and whose it is (the door photo,
# what was sat, the training institution behind 考教分离): fingerprinted too, (table, field) each.
TRACKED = (("candidate", "photo_digest"), ("registration", "personnel_category"), ("registration", "subject"),
           ("registration", "training_institution"))


def tracked_facts(registration: Registration, person: Candidate) -> dict[str, str | None]:
    rows = {"candidate": person, "registration": registration}
    return {field: getattr(rows[table], field) for table, field in TRACKED}


def binding(*, sitting: str, admission_number: str, candidate_id: int, name: str, id_number: str,
            salt: str, facts: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """What the log records for one registration (``sitting.candidates_registered`` details.bindings)."""
    bound = {"candidate": candidate_id, "name": fingerprint(salt, "name", name),
             "id_number": fingerprint(salt, "id_number", id_number),
             "person": person_digest(sitting=sitting, admission_number=admission_number, name=name,
                                     id_number=id_number, salt=salt)}
    bound |= {field: fingerprint(salt, field, value or "") for field, value in (facts or {}).items()}
    return bound


def of_registration(registration: Registration, sitting: str) -> dict[str, Any] | None:
    """The binding as the rows give it now; None for a registration made before bindings existed."""
    if registration.binding_salt is None:
        return None
    person = registration.candidate
    return binding(sitting=sitting, admission_number=registration.admission_number,
                   candidate_id=registration.candidate_id, name=person.name, id_number=person.id_number,
                   salt=registration.binding_salt, facts=tracked_facts(registration, person))
