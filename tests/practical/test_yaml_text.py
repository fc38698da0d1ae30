"""Issue 17 item 1 for practical banks: an unquoted number in a text field is refused by
``examsvc practical import``, naming the file, line and field; nothing is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from examsvc.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "question_banks" / "practical" / "low_voltage_electrician.yaml"


@pytest.mark.parametrize(("quoted", "typed", "reads"), [('version: "2026.1"', "version: 2026.10", "2026.1"),
                                                        ('operation_item: "1.2"', "operation_item: 1.20", "1.2")])
def test_an_unquoted_number_in_a_practical_text_field_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str], quoted: str,
                                                                 typed: str, reads: str) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    text = SAMPLE.read_text(encoding="utf-8")
    assert quoted in text
    text = text.replace(quoted, typed, 1)
    (tmp_path / "lv.yaml").write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if typed in row)
    field = typed.split(":")[0]
    capsys.readouterr()
    assert main(["practical", "import", str(tmp_path / "lv.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"lv.yaml，第{line}行，“{field}”：值 {typed.split(': ')[1]} 没有加引号" in err and f"读成 {reads}" in err
    assert main(["practical", "list"]) == 0 and capsys.readouterr().out == ""
