"""Bank files on disk: the sample banks shipped with examsvc, and files or folders named on the CLI.

Reading a path checks before it reads (issue 17 item 7): only a regular file is opened for reading
(a FIFO would block for ever, ``/dev/zero`` never ends), its size is checked against the limit
first, and the read itself stops at the limit (a file growing meanwhile). A folder is walked without
following links out of it, and without following links to folders. Each file's format is recognised
(theory bank or practical bank), so ``banks import`` and ``practical import`` both take the shipped
``question_banks`` folder: what does not fit the command is listed as skipped, with the reason.
Files are named by their path as given on the command line (folder argument + path inside it).
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.banks import repository, service
from examsvc.banks.document import BankDocument
from examsvc.banks.problems import BankImportRejected, Problem
from examsvc.text import shown

BANK_SUFFIXES = (*service.YAML_SUFFIXES, *service.XLSX_SUFFIXES)
MAX_FILE_BYTES = 50 * 1024 * 1024  # the YAML and workbook readers' own limit
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # one import holds every file it reads: a folder of 50 MB files stops here
_CHUNK = 1024 * 1024


class Kind(StrEnum):
    THEORY = "theory"  # examsvc-bank/1 and /2, sheets 试题 / 题库信息 / 知识点
    PRACTICAL = "practical"  # examsvc-practical-bank/1, sheets 题库信息 / 考核项目 / 评分标准


_COMMAND = {Kind.THEORY: "examsvc banks import", Kind.PRACTICAL: "examsvc practical import"}
_KIND_WORD = {Kind.THEORY: "理论题库", Kind.PRACTICAL: "实操题库"}
_YAML_FORMAT = re.compile(rb"^format:[ \t]*[\"']?(examsvc-[a-z-]+/[0-9]+)", re.MULTILINE)
_YAML_KINDS = {b"examsvc-bank/1": Kind.THEORY, b"examsvc-bank/2": Kind.THEORY,
               b"examsvc-practical-bank/1": Kind.PRACTICAL}
# A sheet name only a practical workbook has, as it appears (UTF-8) in xl/workbook.xml.
_PRACTICAL_SHEET = 'name="考核项目"'.encode()


@dataclass(frozen=True)
class BankFile:
    name: str  # as problems name it: the path as given (folder argument + path inside it)
    data: bytes


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"跳过：{shown(self.name)}：{self.reason}"


@dataclass
class Collected:
    files: list[BankFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def sample_banks_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_question_banks", package.parent / "question_banks"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("the sample question banks are missing from this installation")


def kind_of(name: str, data: bytes) -> Kind | None:
    """The format a file declares (YAML ``format:``; a workbook's sheet names); ``None``: not recognised."""
    if name.lower().endswith(service.XLSX_SUFFIXES):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                info = archive.getinfo("xl/workbook.xml")
                if info.file_size > _CHUNK:  # a workbook's sheet list is a few hundred bytes
                    return None
                return Kind.PRACTICAL if _PRACTICAL_SHEET in archive.read(info) else Kind.THEORY
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError, RuntimeError):
            return None  # the reader names what is wrong with it
    found = _YAML_FORMAT.search(data[:_CHUNK].removeprefix(b"\xef\xbb\xbf"))  # a BOM is tolerated
    return _YAML_KINDS.get(found.group(1)) if found else None


def read_capped(path: Path, name: str, limit: int = MAX_FILE_BYTES, *, follow: bool = True) -> bytes | Problem:
    """The bytes of a regular file of at most ``limit`` bytes, or the problem; type and size are
    checked before a byte is read, the open cannot block (``O_NONBLOCK``) and the read stops at the limit.
    ``follow=False``: a link put in the file's place after the folder walk looked at it is not opened."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            return Problem(file=name, message=f"不是普通文件（{_file_type(before.st_mode)}），未读取。")
        if before.st_size > limit:
            return Problem(file=name, message=f"文件过大（不超过 {limit // 1024 // 1024} MB），未读取。")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags if follow else flags | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        return Problem(file=name, message=f"无法读取文件：{_os_reason(exc)}。")
    try:
        opened = os.fstat(fd)  # the file opened may not be the one looked at (a swap in between)
        if not stat.S_ISREG(opened.st_mode):
            return Problem(file=name, message=f"不是普通文件（{_file_type(opened.st_mode)}），未读取。")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return Problem(file=name, message=f"文件过大（不超过 {limit // 1024 // 1024} MB），未读取。")
        return b"".join(chunks)
    except OSError as exc:
        return Problem(file=name, message=f"无法读取文件：{_os_reason(exc)}。")
    finally:
        os.close(fd)


_OS_REASONS = {errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限",
               errno.EISDIR: "这是文件夹", errno.ELOOP: "链接循环", errno.ENAMETOOLONG: "路径过长",
               errno.ENOTDIR: "路径中有一段不是文件夹"}


def _os_reason(exc: OSError) -> str:
    # Chinese, not the system's English strerror.
    return _OS_REASONS.get(exc.errno or 0, f"系统错误 {exc.errno}")


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def _walk(root: Path, shown_root: str, out: Collected) -> list[tuple[Path, str]]:
    """Candidate files under ``root`` (sorted), noting in ``out.skipped`` what is passed over and why."""
    real_root = root.resolve()
    found: list[tuple[Path, str]] = []
    def unreadable(exc: OSError) -> None:  # a sub-folder that cannot be listed is said, not passed over
        where = _join(shown_root, root, Path(exc.filename)) if exc.filename else shown_root
        out.skipped.append(Skipped(where, f"无法读取文件夹：{_os_reason(exc)}。"))

    for folder, dirs, names in os.walk(root, onerror=unreadable, followlinks=False):
        dirs.sort()
        here = Path(folder)
        for d in list(dirs):
            if (here / d).is_symlink():  # os.walk does not enter it; say so
                out.skipped.append(Skipped(_join(shown_root, root, here / d), "指向文件夹的链接，未跟随。"))
        for file_name in sorted(names):
            path = here / file_name
            name = _join(shown_root, root, path)
            if not file_name.lower().endswith(BANK_SUFFIXES):
                out.skipped.append(Skipped(name, "不是题库文件（只读取 .yaml、.yml、.xlsx）。"))
                continue
            if file_name.startswith(("~$", ".~")):
                out.skipped.append(Skipped(name, "Excel 或 WPS 打开文件时留下的临时文件。"))
                continue
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    out.skipped.append(Skipped(name, "链接指向的文件不存在。"))
                    continue
                if not target.is_relative_to(real_root):
                    out.skipped.append(Skipped(name, "链接指向所给文件夹之外，未读取。"))
                    continue
                path = target  # read the target itself (without following links again)
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                out.skipped.append(Skipped(name, f"无法读取：{_os_reason(exc)}。"))
                continue
            if not stat.S_ISREG(mode):
                out.skipped.append(Skipped(name, f"不是普通文件（{_file_type(mode)}），未读取。"))
                continue
            found.append((path, name))
    return found


def _join(shown_root: str, root: Path, path: Path) -> str:
    return os.path.join(shown_root, os.path.relpath(path, root))


def collect(paths: Iterable[Path], *, kind: Kind) -> Collected:
    """The bank files of ``kind`` named by ``paths`` (files as given, folders walked), read; what was
    skipped and every problem (a file named explicitly that cannot be read, or is of the other kind)."""
    out = Collected()
    total = 0
    for argument in paths:
        shown_root = str(argument)
        before = len(out.files)
        explicit = not argument.is_dir()
        candidates = [(argument, shown_root)] if explicit else _walk(argument, shown_root, out)
        for path, name in candidates:
            # An argument named on the command line is followed if it is a link; what a walk found is not.
            data = read_capped(path, name, follow=explicit)
            if isinstance(data, Problem):
                out.problems.append(data)
                continue
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                limit = MAX_TOTAL_BYTES // 1024 // 1024
                out.problems.append(Problem(file=name, message=f"一次导入的文件合计超过 {limit} MB，未读取此文件"
                                                               "及之后的文件：请分批导入。"))
                return out
            declared = kind_of(name, data)
            if declared is not None and declared != kind:
                reason = f"这是{_KIND_WORD[declared]}文件：请用 {_COMMAND[declared]} 导入。"
                if explicit:
                    out.problems.append(Problem(file=name, message=reason))
                else:
                    out.skipped.append(Skipped(name, reason))
                continue
            out.files.append(BankFile(name=name, data=data))
        if not explicit and len(out.files) == before:
            out.problems.append(Problem(file=shown_root, message=f"文件夹中没有可导入的{_KIND_WORD[kind]}文件"
                                                                 "（.yaml、.yml、.xlsx）。"))
    return out


def parse(collected: Collected) -> list[BankDocument]:
    """Every theory bank file read and validated; ``BankImportRejected`` lists the problems of all."""
    problems = list(collected.problems)
    documents: list[BankDocument] = []
    for f in collected.files:
        try:
            documents.append(service.parse_bank_file(f.data, f.name, shown_as=f.name))
        except BankImportRejected as rejected:
            problems.extend(rejected.problems)
    if problems:
        raise BankImportRejected(problems)
    return documents


def import_collected(*, db_session: Session, documents: Sequence[BankDocument], actor: Actor,
                     publish: bool) -> list[service.ImportResult]:
    """Imports every document, or nothing at all."""
    results = service.import_documents(db_session=db_session, documents=documents, actor=actor)
    if publish:
        for result in results:
            if result.version.status == "draft":
                service.publish(db_session=db_session, version_id=result.version.id, actor=actor)
    return results


def import_paths(*, db_session: Session, paths: Iterable[Path], actor: Actor,
                 publish: bool) -> list[service.ImportResult]:
    """Imports every theory bank file under ``paths``, or nothing at all: the problems of all files are
    reported together. Practical bank files in a folder are skipped."""
    documents = parse(collect(paths, kind=Kind.THEORY))
    return import_collected(db_session=db_session, documents=documents, actor=actor, publish=publish)


# Practical exam banks (实际操作) have a format of their own (question_banks/practical/README.md).
PRACTICAL_FOLDER = "practical"


def load_samples_if_empty(*, db_session: Session) -> list[service.ImportResult]:
    """On a fresh database, import and publish the sample question banks; otherwise do nothing."""
    if repository.list_banks(db_session):
        return []
    folders = sorted(p for p in sample_banks_dir().iterdir() if p.is_dir() and p.name != PRACTICAL_FOLDER)
    return import_paths(db_session=db_session, paths=folders, actor=Actor.system("sample banks"), publish=True)
