"""Issue 17 item 9: the shipped ``question_banks`` folder imports with either command; each file's
format is recognised, what does not fit the command is listed with the reason, and problems name
files by the path as given (folder argument + path inside it), never by base name alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from examsvc.cli import main
from tests.banks.builders import bank, tf, to_xlsx, to_yaml
from tests.banks.conftest import line_of

SHIPPED = Path(__file__).resolve().parents[2] / "question_banks"


def test_the_shipped_folder_imports_its_theory_banks_and_lists_what_it_skipped(
        shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["banks", "import", str(SHIPPED)]) == 0
    captured = capsys.readouterr()
    theory = [p for p in SHIPPED.rglob("*.yaml") if "practical" not in p.parts]  # 应知应会 banks included
    assert len(re.findall(r": imported, ", captured.out)) == len(theory) >= 11
    for name in ("fusion_welding.yaml", "low_voltage_electrician.yaml"):
        assert (f"跳过：{SHIPPED / 'practical' / name}：这是实操题库文件：请用 examsvc practical import 导入。"
                in captured.err)
    assert f"跳过：{SHIPPED / 'practical' / 'README.md'}：不是题库文件" in captured.err
    assert "错误" not in captured.err


def test_the_shipped_folder_imports_its_practical_banks_too(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["practical", "import", str(SHIPPED)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("imported") == 2
    assert (f"跳过：{SHIPPED / 'fusion_welding' / 'national.yaml'}：这是理论题库文件：请用 examsvc banks import 导入。"
            in captured.err)


def test_a_practical_file_named_to_banks_import_is_refused_with_the_command_to_use(
        shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["banks", "import", str(SHIPPED / "practical" / "fusion_welding.yaml")]) == 1
    assert "这是实操题库文件：请用 examsvc practical import 导入。" in capsys.readouterr().err


def test_a_practical_workbook_in_a_folder_is_recognised_by_its_sheets(shell: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from examsvc.banks import files

    theory = to_xlsx(bank())
    assert files.kind_of("t.xlsx", theory) == files.Kind.THEORY
    assert files.kind_of("t.yaml", to_yaml(bank())) == files.Kind.THEORY
    assert files.kind_of("p.yaml", (SHIPPED / "practical" / "fusion_welding.yaml").read_bytes()) == files.Kind.PRACTICAL


def test_problems_name_files_by_the_path_given_not_the_base_name(shell: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    top = shell / "banks"
    for folder, code in (("lv", "LV"), ("weld", "WELD")):
        (top / folder).mkdir(parents=True)
        (top / folder / "national.yaml").write_bytes(to_yaml(bank(tf("Q-1", knowledge_point="9.9"), code=code)))
    data = to_yaml(bank(tf("Q-1", knowledge_point="9.9")))
    capsys.readouterr()
    assert main(["banks", "import", str(top)]) == 1
    err = capsys.readouterr().err
    for folder in ("lv", "weld"):
        assert (f"错误：{top / folder / 'national.yaml'}，第{line_of(data, '9.9')}行，“knowledge_point”，"
                "题目编号 Q-1：知识点 9.9 不在本题库的知识点目录中。") in err


def test_an_empty_folder_is_refused_saying_so(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shell / "empty").mkdir()
    (shell / "empty" / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    capsys.readouterr()
    assert main(["banks", "import", str(shell / "empty")]) == 1
    err = capsys.readouterr().err
    assert f"跳过：{shell / 'empty' / 'old.xls'}：不是题库文件" in err
    assert f"错误：{shell / 'empty'}：文件夹中没有可导入的理论题库文件" in err


def test_practical_problems_name_files_by_the_path_given_too(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (SHIPPED / "practical" / "fusion_welding.yaml").read_text(encoding="utf-8")
    broken = source.replace("format: ", "formats: ", 1)
    assert broken != source
    top = shell / "practical"
    for folder in ("a", "b"):
        (top / folder).mkdir(parents=True)
        (top / folder / "bank.yaml").write_text(broken, encoding="utf-8")
    capsys.readouterr()
    assert main(["practical", "import", str(top / "a"), str(top / "b")]) == 1
    err = capsys.readouterr().err
    for folder in ("a", "b"):
        assert f"{top / folder / 'bank.yaml'}" in err, err
