"""Issue 17 items 6, 7, 12, 13: hostile bank files and paths are refused with a Chinese message naming
the file, line and field, within seconds and under a memory cap; nothing is imported, nothing is
followed out of the folder given, nothing raw reaches the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from examsvc.cli import main
from tests.banks.builders import bank, tf, to_yaml
from tests.banks.conftest import line_of, refused_upload
from tests.builders import Actors

ROOT = Path(__file__).resolve().parents[2]
APPLY_TAG = "!!python/object/apply:os.system"


def _with_apply_tag() -> bytes:
    text = to_yaml(bank()).decode("utf-8")
    return text.replace("title: 测试题库", f'title: {APPLY_TAG} ["touch pwned"]', 1).encode("utf-8")


def _with_bell() -> bytes:
    text = to_yaml(bank()).decode("utf-8")
    return text.replace("province: 山西省", "province: 山西\x07省", 1).encode("utf-8")


def _english_words(text: str) -> set[str]:
    allowed = {"YAML", "UTF", "MB", "examsvc", "banks", "practical", "import", "yaml", "yml", "xlsx"}
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in allowed}


def test_a_python_tag_is_refused_with_its_line_and_field_over_http(actors: Actors, db_session: Session,
                                                                   tmp_path: Path) -> None:
    data = _with_apply_tag()
    [problem] = refused_upload(actors, db_session, data, "tag.yaml")
    assert (problem["file"], problem["line"], problem["field"]) == ("tag.yaml", line_of(data, APPLY_TAG), "title")
    assert "不支持的 YAML 类型标记 !!python/object/apply:os.system" in problem["message"]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_a_python_tag_on_a_list_is_refused_too(actors: Actors, db_session: Session) -> None:
    text = to_yaml(bank()).decode("utf-8").replace("questions:\n", "questions: !!python/object/apply:list\n", 1)
    problems = refused_upload(actors, db_session, text.encode("utf-8"), "tag.yaml")
    assert [(p["line"], p["field"]) for p in problems] == [(line_of(text.encode(), "questions:"), "questions")]


def test_a_control_character_is_refused_with_its_line_over_http(actors: Actors, db_session: Session) -> None:
    data = _with_bell()
    [problem] = refused_upload(actors, db_session, data, "bell.yaml")
    assert (problem["file"], problem["line"], problem["field"]) == ("bell.yaml", line_of(data, "province:"), "province")
    assert "U+0007" in problem["message"] and not _english_words(problem["message"])


@pytest.mark.parametrize(("name", "data", "needle"), [("tag.yaml", _with_apply_tag(), APPLY_TAG),
                                                      ("bell.yaml", _with_bell(), "province:")])
def test_hostile_yaml_is_refused_by_the_cli_without_a_traceback(shell: Path, capsys: pytest.CaptureFixture[str],
                                                                name: str, data: bytes, needle: str) -> None:
    (shell / name).write_bytes(data)
    capsys.readouterr()
    assert main(["banks", "import", str(shell / name)]) == 1
    err = capsys.readouterr().err
    field = "title" if name == "tag.yaml" else "province"
    assert f"{name}，第{line_of(data, needle)}行，“{field}”：" in err and "Traceback" not in err
    assert main(["banks", "list"]) == 0 and capsys.readouterr().out == ""


@pytest.mark.parametrize("source", [
    "format: examsvc-bank/1\nbank: [unclosed\n",
    "format: examsvc-bank/1\nbank:\n  code: a: b\n",
    "format: examsvc-bank/1\nbank:\n  title: \"open\n",
    "format: examsvc-bank/1\nbank: *nowhere\n",
    "format: examsvc-bank/1\nbank:\n\tcode: X\n",
    "format: examsvc-bank/1\nbank:\n  - a\n b: c\n",
    "format: examsvc-bank/1\n---\nformat: examsvc-bank/1\n",
    "format: examsvc-bank/1\nbank: {code: X, effective_date: 2026-02-30}\n",
    "format: examsvc-bank/1\nbank: !!binary aGVsbG8=\n",
    "format: examsvc-bank/1\nbank: !!set {a, b}\n",
])
def test_every_parser_error_is_chinese_with_a_line(actors: Actors, db_session: Session, source: str) -> None:
    problems = refused_upload(actors, db_session, source.encode("utf-8"), "syntax.yaml")
    first = problems[0]
    assert first["file"] == "syntax.yaml" and first.get("line"), problems
    # English only where the message quotes what the file says (a tag's name)
    assert not _english_words(first["message"]) - _english_words(source), first["message"]


def _cli_under_a_memory_cap(argument: Path, data_dir: Path) -> tuple[int, str, float]:
    """``examsvc banks import ARGUMENT`` in a child limited to 1 GiB of address space and 60 s."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
            "from examsvc.cli import main; sys.exit(main(['banks', 'import', sys.argv[1]]))")
    env = {**os.environ, "EXAMSVC_DATA_DIR": str(data_dir)}
    env.pop("EXAMSVC_DATABASE_URL", None)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, str(argument)], capture_output=True, text=True, timeout=60,
                          env=env, cwd=ROOT, stdin=subprocess.DEVNULL, check=False)
    return done.returncode, done.stderr, time.monotonic() - started


@pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"), reason="needs POSIX")
def test_the_cli_checks_type_and_size_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.yaml"
    with sparse.open("wb") as f:
        f.truncate(3 * 1024 ** 3)  # 3 GiB, no blocks on disk
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path, says in ((sparse, "文件过大"), (zero, "不是普通文件（设备）"), (fifo, "不是普通文件（管道）")):
        status, err, seconds = _cli_under_a_memory_cap(path, tmp_path / "data")
        assert status == 1, err
        assert f"错误：{path}：{says}" in err and "Traceback" not in err and "MemoryError" not in err
        assert seconds < 30, (path, seconds)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX")
def test_a_folder_walk_skips_pipes_devices_and_links_out_of_the_folder(shell: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = shell / "banks"
    (folder / "inner").mkdir(parents=True)
    outside = shell / "outside.yaml"
    outside.write_bytes(to_yaml(bank(code="OUTSIDE")))
    (folder / "inner" / "real.yaml").write_bytes(to_yaml(bank(code="INSIDE")))
    (folder / "out.yaml").symlink_to(outside)
    (folder / "in.yaml").symlink_to(folder / "inner" / "real.yaml")
    (folder / "up").symlink_to(shell, target_is_directory=True)
    (folder / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.yaml")
    capsys.readouterr()
    assert main(["banks", "import", str(folder)]) == 0
    captured = capsys.readouterr()
    assert f"跳过：{folder / 'out.yaml'}：链接指向所给文件夹之外，未读取。" in captured.err
    assert f"跳过：{folder / 'zero.yaml'}：链接指向所给文件夹之外，未读取。" in captured.err
    assert f"跳过：{folder / 'up'}：指向文件夹的链接，未跟随。" in captured.err
    assert f"跳过：{folder / 'pipe.yaml'}：不是普通文件（管道），未读取。" in captured.err
    assert "INSIDE national/2026.1: imported" in captured.out and "OUTSIDE" not in captured.out
    assert main(["banks", "list"]) == 0
    assert "OUTSIDE" not in capsys.readouterr().out


def test_control_characters_in_file_names_are_escaped_when_printed(shell: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = shell / "names"
    folder.mkdir()
    bad = folder / "a\x1b[31mred\nforged.yaml"
    bad.write_bytes(to_yaml(bank(tf("Q-1", knowledge_point="9.9"))))
    (folder / "b\x1b]0;title\x07.txt").write_text("x")
    capsys.readouterr()
    assert main(["banks", "import", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "a\\x1b[31mred\\nforged.yaml，第" in err and "b\\x1b]0;title\\x07.txt" in err
    assert all(line.startswith(("examsvc:", "  ")) for line in err.splitlines()), err


def test_one_import_reads_at_most_its_total_limit(shell: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from examsvc.banks import files

    folder = shell / "many"
    folder.mkdir()
    data = to_yaml(bank())
    for n in range(3):
        (folder / f"{n}.yaml").write_bytes(to_yaml(bank(code=f"B-{n}")))
    monkeypatch.setattr(files, "MAX_TOTAL_BYTES", 2 * len(data) + 10)
    capsys.readouterr()
    assert main(["banks", "import", str(folder)]) == 1
    assert f"错误：{folder / '2.yaml'}：一次导入的文件合计超过" in capsys.readouterr().err
    assert main(["banks", "list"]) == 0 and capsys.readouterr().out == ""


def test_a_sub_folder_that_cannot_be_listed_is_said(shell: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shell / "top"
    (folder / "locked").mkdir(parents=True)
    (folder / "ok.yaml").write_bytes(to_yaml(bank()))
    real_scandir = os.scandir

    def scandir(path: object) -> object:  # as for a folder without read permission (tests may run as root)
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    capsys.readouterr()
    assert main(["banks", "import", str(folder)]) == 0
    assert f"跳过：{folder / 'locked'}：无法读取文件夹：没有读取权限。" in capsys.readouterr().err
