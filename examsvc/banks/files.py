"""Bank files on disk: the sample banks shipped with examsvc, and files or folders named on the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.banks import repository, service
from examsvc.banks.problems import BankImportRejected, Problem

BANK_SUFFIXES = (*service.YAML_SUFFIXES, *service.XLSX_SUFFIXES)


def sample_banks_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_question_banks", package.parent / "question_banks"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("the sample question banks are missing from this installation")


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders as the bank files inside them (sorted, recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in BANK_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def import_paths(*, db_session: Session, paths: Iterable[Path], actor: Actor,
                 publish: bool) -> list[service.ImportResult]:
    """Imports every file, or nothing at all: the problems of all files are reported together. Every file
    is parsed before the first is imported: the import's transaction (on SQLite, the write lock) is not
    held while files are read (issue 17 item 5)."""
    problems: list[Problem] = []
    documents = []
    for path in expand(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(file=str(path), message=f"无法读取文件：{exc.strerror}。"))
            continue
        try:
            document = service.parse_bank_file(data, path.name)
        except BankImportRejected as rejected:
            problems.extend(rejected.problems)
            continue
        documents.append((path, document))
    if problems:
        raise BankImportRejected(problems)
    results = [service.import_document(db_session=db_session, document=document, source_name=path.name, actor=actor)
               for path, document in documents]
    if publish:
        for result in results:
            if result.version.status == "draft":
                service.publish(db_session=db_session, version_id=result.version.id, actor=actor)
    return results


# Practical exam banks (实际操作) have a format of their own (question_banks/practical/README.md).
PRACTICAL_FOLDER = "practical"


def load_samples_if_empty(*, db_session: Session) -> list[service.ImportResult]:
    """On a fresh database, import and publish the sample question banks; otherwise do nothing."""
    if repository.list_banks(db_session):
        return []
    folders = sorted(p for p in sample_banks_dir().iterdir() if p.is_dir() and p.name != PRACTICAL_FOLDER)
    return import_paths(db_session=db_session, paths=folders, actor=Actor.system("sample banks"), publish=True)
