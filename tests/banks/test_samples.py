"""The sample banks are valid, match the documented JSON Schema, and are large enough for real papers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy.orm import Session

from examsvc.banks import files, service
from examsvc.banks.document import BankDocument

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p for p in (ROOT / "question_banks").rglob("*.yaml") if "practical" not in p.parts)


def _documents(folder: str) -> list[BankDocument]:
    paths = sorted((ROOT / "question_banks" / folder).glob("*.yaml"))
    return [service.parse_bank_file(p.read_bytes(), p.name) for p in paths]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_sample_matches_the_json_schema_and_imports_without_warnings(path: Path) -> None:
    schema = json.loads((ROOT / "docs" / "bank-format.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    document = service.parse_bank_file(path.read_bytes(), path.name)
    assert document.warnings == ()


@pytest.mark.parametrize(("folder", "minimums"), [
    ("low_voltage_electrician", {"true_false": 150, "single_choice": 60}),
    ("fusion_welding", {"all": 120}),
    ("hazchem_principal", {"all": 120, "multiple_choice": 1}),
    ("general_safety_manager", {"all": 120, "multiple_choice": 1}),
])
def test_samples_have_a_national_and_a_provincial_part_and_enough_questions(folder: str,
                                                                              minimums: dict[str, int]) -> None:
    documents = _documents(folder)
    assert sorted(d.meta.part for d in documents) == ["national", "provincial"]
    assert len({d.meta.code for d in documents}) == 1
    counts = Counter(str(q.type) for d in documents for q in d.questions)
    counts["all"] = sum(counts.values())
    for kind, minimum in minimums.items():
        assert counts[kind] >= minimum, (kind, counts)
    keys = [q.key for d in documents for q in d.questions]
    assert len(keys) == len(set(keys)), "keys must be unique across the parts of a bank"


def test_serve_loads_and_publishes_the_samples_once(db_session: Session) -> None:
    loaded = files.load_samples_if_empty(db_session=db_session)
    assert len(loaded) == len(SAMPLES)
    assert {r.version.status for r in loaded} == {"published"}
    assert files.load_samples_if_empty(db_session=db_session) == []
