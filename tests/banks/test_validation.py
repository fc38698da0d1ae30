"""Every bad input is refused with its file, line or row, and field; nothing is written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.banks import service, validate, yaml_format
from examsvc.banks.models import BankVersion, Question
from examsvc.banks.problems import BankImportRejected, Problem
from examsvc.cli import main
from tests.banks.builders import bank, changed, edit_xlsx, mc, sc, tf, to_xlsx, to_yaml
from tests.banks.conftest import line_of, refused_upload
from tests.builders import TEST_ACTOR, Actors


def _rejected(db_session: Session, data: bytes, filename: str = "bad.yaml") -> list[Problem]:
    before = (db_session.scalar(select(func.count()).select_from(BankVersion)),
              db_session.scalar(select(func.count()).select_from(Question)))
    with pytest.raises(BankImportRejected) as raised, db_session.begin_nested():
        service.import_file(db_session=db_session, data=data, filename=filename, actor=TEST_ACTOR)
    after = (db_session.scalar(select(func.count()).select_from(BankVersion)),
             db_session.scalar(select(func.count()).select_from(Question)))
    assert after == before, "a rejected file wrote something"
    return raised.value.problems


def _one(problems: list[Problem]) -> Problem:
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, [str(p) for p in problems]
    return errors[0]


_line_of = line_of  # the shared helper (tests/banks/conftest.py)


def test_duplicate_keys(db_session: Session) -> None:
    data = to_yaml(bank(tf("Q-1"), sc("Q-1")))
    problem = _one(_rejected(db_session, data))
    assert (problem.field, problem.key, problem.line) == ("key", "Q-1", _line_of(data, "key: Q-1", 2))
    assert "重复" in problem.message


@pytest.mark.parametrize("stem", ["", "   "])
def test_empty_stem(db_session: Session, stem: str) -> None:
    data = to_yaml(changed(bank(), 1, stem=stem))
    problem = _one(_rejected(db_session, data))
    assert (problem.field, problem.key) == ("stem", "Q-2")
    assert problem.line == _line_of(data, "stem:", 2)


def test_a_choice_question_with_one_option(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 1, options={"A": "甲"}, answer="A"))))
    assert (problem.field, problem.key) == ("options", "Q-2")


def test_options_must_run_from_a_without_gaps(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 1, options={"A": "甲", "C": "丙"}, answer="A"))))
    assert (problem.field, problem.key) == ("options", "Q-2")


def test_an_option_label_past_h(db_session: Session) -> None:
    nine = {label: f"选项{label}" for label in "ABCDEFGHI"}
    problems = _rejected(db_session, to_yaml(changed(bank(), 1, options=nine)))
    assert any(p.field == "I" and "未知字段" in p.message for p in problems)


def test_answer_not_among_the_options(db_session: Session) -> None:
    data = to_yaml(changed(bank(), 1, answer="E"))
    problem = _one(_rejected(db_session, data))
    assert (problem.field, problem.key, problem.line) == ("answer", "Q-2", _line_of(data, "answer: E"))


def test_single_choice_with_several_answers(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 1, answer="AB"))))
    assert (problem.field, problem.key) == ("answer", "Q-2")
    assert "单选题只能有一个答案" in problem.message


def test_multiple_choice_with_fewer_than_two(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 2, answer="C"))))
    assert (problem.field, problem.key) == ("answer", "Q-3")


def test_true_false_with_options(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 0, options={"A": "对", "B": "错"}))))
    assert (problem.field, problem.key) == ("options", "Q-1")


def test_unknown_knowledge_point(db_session: Session) -> None:
    data = to_yaml(changed(bank(), 0, knowledge_point="7.7"))
    problem = _one(_rejected(db_session, data))
    assert (problem.field, problem.key, problem.line) == ("knowledge_point", "Q-1", _line_of(data, "'7.7'"))


def test_duplicate_option_text(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 1, options={"A": "甲", "B": "甲", "C": "丙"}))))
    assert (problem.field, problem.key) == ("options.B", "Q-2")


def test_the_same_stem_under_two_keys_is_a_warning_and_imports(db_session: Session) -> None:
    data = to_yaml(bank(tf("Q-1", stem="同一题干。"), tf("Q-2", stem="同一题干。")))
    result = service.import_file(db_session=db_session, data=data, filename="w.yaml", actor=TEST_ACTOR)
    assert result.created
    [warning] = result.warnings
    assert (warning.severity, warning.field, warning.key) == ("warning", "stem", "Q-2")
    assert "Q-1" in warning.message and "同一题干" not in warning.message


def test_unknown_field(db_session: Session) -> None:
    data = to_yaml(changed(bank(), 0, colour="red"))
    problem = _one(_rejected(db_session, data))
    assert (problem.field, problem.line) == ("colour", _line_of(data, "colour: red"))


def test_missing_field(db_session: Session) -> None:
    problem = _one(_rejected(db_session, to_yaml(changed(bank(), 0, explanation=None))))
    assert (problem.field, problem.key) == ("explanation", "Q-1")


def test_every_error_is_reported_at_once(db_session: Session) -> None:
    data = to_yaml(bank(tf("Q-1", knowledge_point="9.9"), sc("Q-2", answer="Z"), mc("Q-3", answer="A"),
                        tf("Q-1")))
    problems = _rejected(db_session, data)
    assert {(p.key, p.field) for p in problems} == {
        ("Q-1", "knowledge_point"), ("Q-2", "answer"), ("Q-3", "answer"), ("Q-1", "key")}


def test_text_that_is_not_utf8(db_session: Session) -> None:
    data = "format: examsvc-bank/1\nbank:\n  title: 测试\n".encode("gbk")
    problem = _one(_rejected(db_session, data))
    assert problem.line == 3
    assert "UTF-8" in problem.message


def test_wrong_file_type(db_session: Session) -> None:
    assert "不支持的文件类型" in _one(_rejected(db_session, b"key,stem\n", "bank.csv")).message
    assert ".xlsx" in _one(_rejected(db_session, to_xlsx(bank()), "bank.yaml")).message
    assert "不是 Excel" in _one(_rejected(db_session, to_yaml(bank()), "bank.xlsx")).message


def test_yaml_syntax_error_names_the_line(db_session: Session) -> None:
    problem = _one(_rejected(db_session, b"format: examsvc-bank/1\nbank: [unclosed\nquestions: []\n"))
    assert problem.line is not None and problem.line >= 2


def test_sizes_past_sane_limits(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    long_stem = to_yaml(changed(bank(), 0, stem="长" * (validate.MAX_LENGTH["stem"] + 1)))
    assert _one(_rejected(db_session, long_stem)).field == "stem"
    monkeypatch.setattr(validate, "MAX_QUESTIONS", 2)
    assert "超过上限 2 道" in _rejected(db_session, to_yaml(bank()))[-1].message
    monkeypatch.setattr(yaml_format, "MAX_FILE_BYTES", 100)
    assert "文件过大" in _one(_rejected(db_session, to_yaml(bank()))).message


def _xlsx_problems(db_session: Session, cells: dict[str, Any], sheet: str = "试题") -> list[Problem]:
    return _rejected(db_session, edit_xlsx(to_xlsx(bank()), sheet, cells), "bad.xlsx")


def test_xlsx_errors_name_the_row_and_column(db_session: Session) -> None:
    # Row 3 holds Q-2 (rows are in key order after the header); column L is 答案.
    problem = _one(_xlsx_problems(db_session, {"L3": "E"}))
    assert (problem.sheet, problem.line, problem.field, problem.key) == ("试题", 3, "答案", "Q-2")


def test_xlsx_unknown_column(db_session: Session) -> None:
    problem = _one(_xlsx_problems(db_session, {"T1": "备注"}))
    assert (problem.line, problem.field) == (1, "备注")


def test_xlsx_missing_column(db_session: Session) -> None:
    problem = _one(_xlsx_problems(db_session, {"M1": None}))
    assert (problem.line, problem.field) == (1, "解析")
    assert "缺少" in problem.message


def test_xlsx_unknown_metadata_row(db_session: Session) -> None:
    problem = _one(_xlsx_problems(db_session, {"A20": "负责人", "B20": "张三"}, sheet="题库信息"))
    assert (problem.sheet, problem.line, problem.field) == ("题库信息", 20, "负责人")


@pytest.mark.parametrize(("cell", "typed", "stored"), [
    ("L2", "对", "T"), ("L2", "×", "F"), ("L2", "正确", "T"), ("L2", "错", "F"), ("L2", "√", "T"),
    ("L3", "b", "B"), ("L4", "A,B,D", "ABD"), ("L4", "A、B、D", "ABD"), ("L4", "dba", "ABD"),
    ("L4", "Ａ，Ｂ，Ｄ", "ABD"),
])
def test_xlsx_accepts_the_answer_spellings_people_type(db_session: Session, cell: str, typed: str,
                                                       stored: str) -> None:
    data = edit_xlsx(to_xlsx(bank(tf("Q-1", answer=False), sc("Q-2", answer="A"), mc("Q-3", answer="BC"))),
                     "试题", {cell: typed})
    result = service.import_file(db_session=db_session, data=data, filename="ok.xlsx", actor=TEST_ACTOR)
    key = {"L2": "Q-1", "L3": "Q-2", "L4": "Q-3"}[cell]
    answers = {q.key: q.answer for q in service.list_questions(db_session=db_session, version_id=result.version.id)}
    assert answers[key] == stored


def test_messages_never_quote_question_text(db_session: Session) -> None:
    secret_stem = "机密题干内容"
    data = to_yaml(bank(tf("Q-1", stem=secret_stem, knowledge_point="8.8"), sc("Q-2", stem=secret_stem, answer="Z")))
    problems = _rejected(db_session, data)
    assert problems and all(secret_stem not in str(p) for p in problems)


# Issue 17 item 11: problems about a whole list name its line and field; no false follow-on errors.

def _whole_list_cases() -> list[tuple[str, bytes, str]]:
    no_questions = bank()
    no_questions["questions"] = []
    no_points = bank()
    no_points["knowledge_points"] = []
    return [("questions", to_yaml(no_questions), "试题列表为空"),
            ("knowledge_points", to_yaml(no_points), "知识点目录为空")]


@pytest.mark.parametrize("case", range(2))
def test_an_empty_list_names_its_line_and_field_over_http(actors: Actors, db_session: Session, case: int) -> None:
    field, data, says = _whole_list_cases()[case]
    [problem] = refused_upload(actors, db_session, data, "empty.yaml")
    assert (problem["file"], problem["line"], problem["field"]) == ("empty.yaml", _line_of(data, f"{field}:"), field)
    assert says in problem["message"]


@pytest.mark.parametrize("case", range(2))
def test_an_empty_list_names_its_line_and_field_in_the_cli(shell: Path, capsys: pytest.CaptureFixture[str],
                                                           case: int) -> None:
    field, data, says = _whole_list_cases()[case]
    (shell / "empty.yaml").write_bytes(data)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "empty.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"empty.yaml，第{_line_of(data, f'{field}:')}行，“{field}”：{says}" in err
    assert err.count("错误：") == 1  # no "not in the catalogue" for each question


def test_too_many_knowledge_points_is_one_problem_with_line_and_field(actors: Actors, db_session: Session,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "MAX_KNOWLEDGE_POINTS", 1)
    data = to_yaml(bank())
    [problem] = refused_upload(actors, db_session, data, "many.yaml")
    assert (problem["line"], problem["field"]) == (_line_of(data, "knowledge_points:"), "knowledge_points")
    assert "知识点有 2 个，超过上限 1 个" in problem["message"]


def test_messages_carry_no_english_field_names(db_session: Session) -> None:
    written = bank()
    written.update(knowledge_point=written.pop("knowledge_points"), questions=5, format="examsvc-bank/9",
                   colour="red")
    problems = _rejected(db_session, to_yaml(written))
    assert {p.field for p in problems} >= {"knowledge_point", "questions", "format", "colour"}
    for p in problems:
        english = set(re.findall(r"[A-Za-z_]{4,}", p.message)) - {"YAML", "examsvc", "bank"}
        assert not english, str(p)


def test_too_many_knowledge_points_in_the_cli(shell: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "MAX_KNOWLEDGE_POINTS", 1)
    data = to_yaml(bank())
    (shell / "many.yaml").write_bytes(data)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "many.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"many.yaml，第{_line_of(data, 'knowledge_points:')}行，“knowledge_points”：知识点有 2 个" in err
    assert err.count("错误：") == 1
