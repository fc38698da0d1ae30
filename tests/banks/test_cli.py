from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from examsvc.banks import service
from examsvc.cli import main
from tests.banks.builders import bank, sc, tf, to_yaml


def test_template_writes_one_example_row_that_imports(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = shell / "template.xlsx"
    assert main(["banks", "template", str(target)]) == 0
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["试题", "题库信息", "知识点"]
    rows = list(workbook["试题"].iter_rows(values_only=True))
    assert rows[0][:3] == ("题目编号", "题型", "题干") and len(rows) == 2
    assert service.parse_bank_file(target.read_bytes(), "template.xlsx").questions[0].key == "EX-0001"


def test_import_a_folder_then_export_and_diff(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shell / "banks"
    folder.mkdir()
    (folder / "v1.yaml").write_bytes(to_yaml(bank(tf("C-1"), sc("C-2"))))
    assert main(["banks", "import", str(folder), "--publish"]) == 0
    (folder / "v1.yaml").unlink()
    (folder / "v2.yaml").write_bytes(to_yaml(bank(tf("C-1", answer=False), tf("C-3"), version="2026.2")))
    assert main(["banks", "import", str(folder)]) == 0
    capsys.readouterr()
    assert main(["banks", "diff", "T-BANK", "2026.1", "2026.2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"added: 1\n  C-3\ttrue_false\t1.1\trevision - -> 1", out)
    assert re.search(r"changed: 1\n  C-1\ttrue_false\t1.1\trevision 1 -> 2", out)
    assert re.search(r"retired: 1\n  C-2\t", out)
    assert main(["banks", "export", "T-BANK", "national/2026.2", str(shell / "out.xlsx")]) == 0
    exported = service.parse_bank_file((shell / "out.xlsx").read_bytes(), "out.xlsx")
    assert [q.key for q in exported.questions] == ["C-1", "C-3"]


def test_import_of_several_files_is_all_or_nothing(shell: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    good, bad = shell / "good.yaml", shell / "bad.yaml"
    good.write_bytes(to_yaml(bank(code="GOOD")))
    bad.write_bytes(to_yaml(bank(tf("B-1", knowledge_point="3.3"), code="BAD")))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["banks", "import", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "第" in err and "知识点 3.3" in err
    assert main(["banks", "list"]) == 0
    assert capsys.readouterr().out == ""


def test_an_exported_bank_is_readable_by_its_owner_only(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shell / "b.yaml").write_bytes(to_yaml(bank(tf("C-1"), sc("C-2"))))
    assert main(["banks", "import", str(shell / "b.yaml")]) == 0
    out = shell / "answers.xlsx"
    out.write_bytes(b"")
    out.chmod(0o644)
    assert main(["banks", "export", "T-BANK", "2026.1", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
