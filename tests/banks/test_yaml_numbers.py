"""Issue 17 item 1: an unquoted value YAML would read as a number, a yes/no or a date, in a field the
schema types as text, is refused with the value as written; nothing is silently changed or imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from examsvc.cli import main
from tests.banks.builders import bank, sc, tf, to_yaml
from tests.banks.conftest import line_of, refused_upload
from tests.builders import Actors

ROOT = Path(__file__).resolve().parents[2]


def _bank_with_3_1_and_3_10() -> bytes:
    data = bank(tf("Q-1"), sc("Q-2"))
    data["knowledge_points"] += [{"code": "3.1", "title": "甲"}, {"code": "3.10", "title": "乙"}]
    return to_yaml(data)


# (what the editor typed, the line it replaces, the field, what YAML 1.1 would have read)
CASES = [
    ("knowledge_point: 3.10", "knowledge_point: '1.1'", "knowledge_point", "3.1"),
    ("key: 0012", "key: Q-1", "key", "10"),
    ("version: 2026.10", "version: '2026.1'", "version", "2026.1"),
    ("key: 1:20", "key: Q-1", "key", "80"),
    ("key: 1_000", "key: Q-1", "key", "1000"),
    ("operation_item: 1.20", "industry: general", "operation_item", "1.2"),
]


def _case(typed: str, replaces: str) -> bytes:
    text = _bank_with_3_1_and_3_10().decode("utf-8")
    assert replaces in text
    # operation_item is added (below industry); the others replace the quoted value the builder wrote
    replacement = f"{replaces}\n  {typed}" if typed.startswith("operation_item") else typed
    return text.replace(replaces, replacement, 1).encode("utf-8")


@pytest.mark.parametrize(("typed", "replaces", "field", "yaml_reads"), CASES)
def test_an_unquoted_number_in_a_text_field_is_refused_over_http(actors: Actors, db_session: Session, typed: str,
                                                                 replaces: str, field: str, yaml_reads: str) -> None:
    data = _case(typed, replaces)
    problems = refused_upload(actors, db_session, data, "numbers.yaml")
    [problem] = [p for p in problems if p["severity"] == "error"]
    written = typed.split(": ", 1)[1]
    assert (problem["file"], problem["line"], problem["field"]) == ("numbers.yaml", line_of(data, typed), field)
    assert f"值 {written} 没有加引号" in problem["message"] and f"读成 {yaml_reads}" in problem["message"]
    assert f'"{written}"' in problem["message"]


@pytest.mark.parametrize(("typed", "replaces", "field", "yaml_reads"), CASES)
def test_an_unquoted_number_in_a_text_field_is_refused_by_the_cli(shell: Path, capsys: pytest.CaptureFixture[str],
                                                                  typed: str, replaces: str, field: str,
                                                                  yaml_reads: str) -> None:
    data = _case(typed, replaces)
    (shell / "numbers.yaml").write_bytes(data)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "numbers.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"numbers.yaml，第{line_of(data, typed)}行，“{field}”：值 {typed.split(': ', 1)[1]} 没有加引号" in err
    assert main(["banks", "list"]) == 0
    assert capsys.readouterr().out == "", "a refused file was imported"


def test_quoted_the_same_values_are_kept_as_written(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bank(tf("0012", knowledge_point="3.10"), sc("1_000"), version="2026.10")
    data["knowledge_points"] += [{"code": "3.1", "title": "甲"}, {"code": "3.10", "title": "乙"}]
    (shell / "quoted.yaml").write_bytes(to_yaml(data))
    assert main(["banks", "import", str(shell / "quoted.yaml")]) == 0
    assert "national/2026.10: imported" in capsys.readouterr().out
    assert main(["banks", "counts", "T-BANK", "2026.10"]) == 0
    assert "\n3.10\ttrue_false" in capsys.readouterr().out
    assert main(["banks", "export", "T-BANK", "2026.10", str(shell / "out.yaml")]) == 0
    exported = (shell / "out.yaml").read_text()
    assert "key: '0012'" in exported and "key: 1_000" not in exported


@pytest.mark.parametrize(("typed", "what"), [("title: yes", "是/否"), ("title: 2026-06-01", "日期"),
                                             ("A: 0.50", "数字")])
def test_other_values_yaml_would_change_are_refused_without_quoting_content(actors: Actors, db_session: Session,
                                                                          typed: str, what: str) -> None:
    text = to_yaml(bank(tf("Q-1"), sc("Q-2"))).decode("utf-8")
    original = "title: 测试题库" if typed.startswith("title") else "A: 甲"
    data = text.replace(original, typed, 1).encode("utf-8")
    [problem] = refused_upload(actors, db_session, data, "other.yaml")
    assert problem["line"] == line_of(data, typed)
    assert problem["field"] == ("title" if typed.startswith("title") else "options.A")
    assert what in problem["message"] and "加引号" in problem["message"]
    assert "0.50" not in problem["message"]  # option text is question content: never quoted


def test_the_schema_says_text_for_every_field_the_reader_refuses_unquoted_numbers_in() -> None:
    from examsvc.banks.yaml_format import TEXT_FIELDS

    schema = json.loads((ROOT / "docs" / "bank-format.schema.json").read_text())
    props = {**schema["properties"]["bank"]["properties"],
             **schema["properties"]["knowledge_points"]["items"]["properties"],
             **schema["properties"]["questions"]["items"]["properties"]}
    for name in TEXT_FIELDS:
        declared = props[name]
        if name == "options":
            declared = declared["additionalProperties"]
        assert declared.get("type") == "string" or all(isinstance(v, str) for v in declared.get("enum", [0])), name
    # and the others are not text: difficulty is a number, answer a boolean or letters
    assert props["difficulty"] == {"enum": [1, 2, 3]} and "difficulty" not in TEXT_FIELDS
