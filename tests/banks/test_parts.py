"""Issue 17 items 3 and 14: the national and provincial parts of one bank code, checked where the CLI
and the upload route, YAML and workbooks meet (examsvc.banks.parts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from examsvc.banks import service
from examsvc.cli import main
from tests.banks.builders import bank, mc, sc, tf, to_xlsx, to_yaml
from tests.banks.conftest import line_of, refused_upload, upload
from tests.builders import TEST_ACTOR, Actors

NATIONAL = bank(tf("N-1"), sc("SHARED"), mc("N-3"))


def _provincial(*questions: dict[str, object], **meta: str) -> dict[str, object]:
    data = bank(*(questions or (tf("P-1"), sc("SHARED"))), part="provincial")
    data["bank"].update(meta)  # type: ignore[union-attr]
    return data


def test_parts_imported_together_may_not_share_a_key(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shell / "a").mkdir()
    (shell / "b").mkdir()
    (shell / "a" / "bank.yaml").write_bytes(to_yaml(NATIONAL))
    provincial = to_yaml(_provincial())
    (shell / "b" / "bank.yaml").write_bytes(provincial)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "a"), str(shell / "b")]) == 1
    err = capsys.readouterr().err
    national_line = line_of(to_yaml(NATIONAL), "key: SHARED")
    assert (f"{shell / 'b' / 'bank.yaml'}，第{line_of(provincial, 'key: SHARED')}行，“key”，题目编号 SHARED："
            f"题目编号已在{shell / 'a' / 'bank.yaml'} 第{national_line}行（国家部分）使用") in err
    assert main(["banks", "list"]) == 0 and capsys.readouterr().out == ""


def test_a_part_imported_later_may_not_reuse_a_key_of_the_other_part_over_http(actors: Actors,
                                                                               db_session: Session) -> None:
    assert upload(actors, to_yaml(NATIONAL), "national.yaml").status_code == 201
    provincial = to_yaml(_provincial())
    [problem] = refused_upload(actors, db_session, provincial, "provincial.yaml")
    assert (problem["file"], problem["line"], problem["field"], problem["key"]) == (
        "provincial.yaml", line_of(provincial, "key: SHARED"), "key", "SHARED")
    assert "已存储的国家部分（版本 2026.1）" in problem["message"]


def test_the_rule_holds_for_a_workbook_too(actors: Actors, db_session: Session) -> None:
    assert upload(actors, to_yaml(NATIONAL), "national.yaml").status_code == 201
    [problem] = refused_upload(actors, db_session, to_xlsx(_provincial()), "provincial.xlsx")
    # rows are in key order after the header: P-1 on row 2, SHARED on row 3
    assert (problem["file"], problem["sheet"], problem["line"], problem["field"], problem["key"]) == (
        "provincial.xlsx", "试题", 3, "题目编号", "SHARED")


def test_a_part_imported_later_by_the_cli_may_not_reuse_a_key(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shell / "provincial.yaml").write_bytes(to_yaml(_provincial()))
    assert main(["banks", "import", str(shell / "provincial.yaml")]) == 0
    (shell / "national.yaml").write_bytes(to_yaml(NATIONAL))
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "national.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"national.yaml，第{line_of(to_yaml(NATIONAL), 'key: SHARED')}行，“key”，题目编号 SHARED" in err
    assert "已存储的地方部分（版本 2026.1）" in err
    assert main(["banks", "list"]) == 0
    assert "national/" not in capsys.readouterr().out


@pytest.mark.parametrize(("field", "value", "said"), [("industry", "coal_mine", "一般行业"),
                                                      ("personnel_category", "principal", "安全生产管理人员")])
def test_the_parts_must_agree_on_category_industry_and_operation_item(actors: Actors, db_session: Session,
                                                                      field: str, value: str, said: str) -> None:
    assert upload(actors, to_yaml(NATIONAL), "national.yaml").status_code == 201
    provincial = to_yaml(_provincial(tf("P-1"), **{field: value}))
    [problem] = refused_upload(actors, db_session, provincial, "provincial.yaml")
    assert (problem["file"], problem["line"], problem["field"]) == ("provincial.yaml",
                                                                    line_of(provincial, f"{field}: {value}"), field)
    assert f"那里是 {said}" in problem["message"]


def test_disagreeing_parts_given_together_are_refused_by_the_cli(shell: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    provincial = to_yaml(_provincial(tf("P-1"), operation_item="1.2"))
    (shell / "n.yaml").write_bytes(to_yaml(NATIONAL))
    (shell / "p.yaml").write_bytes(provincial)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "n.yaml"), str(shell / "p.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"p.yaml，第{line_of(provincial, 'operation_item')}行，“operation_item”：操作项目与" in err
    assert "（未填写）" in err


def test_a_provincial_part_alone_imports_with_a_warning(actors: Actors, shell: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    response = upload(actors, to_yaml(_provincial()), "provincial.yaml")
    assert response.status_code == 201
    [warning] = response.json()["warnings"]
    assert (warning["severity"], warning["field"], warning["file"]) == ("warning", "part", "provincial.yaml")
    assert "还没有国家部分" in warning["message"]
    (shell / "p.yaml").write_bytes(to_yaml(_provincial()))
    assert main(["banks", "import", str(shell / "p.yaml")]) == 0
    assert "警告：" in capsys.readouterr().out
    (shell / "n.yaml").write_bytes(to_yaml(bank(tf("N-1"))))
    (shell / "p2.yaml").write_bytes(to_yaml(_provincial(tf("P-9"), version="2026.2")))
    assert main(["banks", "import", str(shell / "n.yaml"), str(shell / "p2.yaml")]) == 0
    assert "警告" not in capsys.readouterr().out  # the national part came with it


def test_two_files_with_one_label_and_different_content_are_refused(shell: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    first, second = to_yaml(bank(tf("Q-1"))), to_yaml(bank(tf("Q-1", answer=False)))
    (shell / "one.yaml").write_bytes(first)
    (shell / "two.yaml").write_bytes(second)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "one.yaml"), str(shell / "two.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"two.yaml，第{line_of(second, 'version:')}行，“version”：与 {shell / 'one.yaml'} 的" in err


def test_the_spellings_bank_staff_type_are_accepted_as_documented(db_session: Session) -> None:
    data = to_yaml(bank(tf("Q-1", answer="是", difficulty="易"), tf("Q-2", answer="否", difficulty="中"),
                        sc("Q-3", answer="c", difficulty="难"), mc("Q-4", answer="a、d", difficulty="3")))
    result = service.import_file(db_session=db_session, data=data, filename="spellings.yaml", actor=TEST_ACTOR)
    stored = {q.key: (q.answer, q.difficulty) for q in service.list_questions(db_session=db_session,
                                                                               version_id=result.version.id)}
    assert stored == {"Q-1": ("T", 1), "Q-2": ("F", 2), "Q-3": ("C", 3), "Q-4": ("AD", 3)}

