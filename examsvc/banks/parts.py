"""Rules across the national and provincial parts of one bank code, and across files imported together.

The CLI (several files) and the upload route (one file), YAML and workbooks alike, meet here before
anything is written (docs/bank-format.md, *Parts*):

1. question keys are unique across the two parts of a bank code (in any stored version, or in another
   file of the same import), since a key's revisions are numbered per bank;
2. the parts agree on personnel category, industry and operation item (they are one bank, for one exam);
3. one version label names one content (per bank code and part);
4. a provincial part with no national part is accepted with a warning (parts are imported in any order).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from examsvc.banks import repository
from examsvc.banks.document import (
    CATEGORY_LABELS,
    INDUSTRY_LABELS,
    PART_LABELS,
    PERSON_KIND_LABELS,
    PURPOSE_LABELS,
    BankDocument,
    Part,
    PersonKind,
)
from examsvc.banks.models import BankVersion
from examsvc.banks.problems import Problem, Severity
from examsvc.banks.validate import KEY_PLACE

# Said by every "label already names another content" problem: with no other error, the refusal is
# the API's 409 bank_version_exists (examsvc.banks.problems.BankVersionExists).
ONE_LABEL_ONE_CONTENT = "一个版本号只对应一份内容"
MAX_KEY_PROBLEMS = 50  # per pair of parts: a whole file of reused keys is named by its first keys and a count


def _shown_meta(field: str, value: object) -> str:
    labels: dict[str, str] = {str(k): v for k, v in (*CATEGORY_LABELS.items(), *INDUSTRY_LABELS.items(),
                                                     *PURPOSE_LABELS.items())}
    if value is None:
        return "（未填写）"
    if field in ("purpose", "personnel_category", "industry"):
        return labels.get(str(value), str(value))
    if field == "person_kinds" and isinstance(value, tuple):
        return "、".join(PERSON_KIND_LABELS[PersonKind(k)] for k in value)
    return str(value) if value else "（未填写）"


_AGREEING = {"purpose": "用途", "personnel_category": "人员类别", "person_kinds": "适用人员类型", "industry": "行业",
             "operation_item": "操作项目"}


def _comparable(value: object) -> object:
    """A stored row's value (text, a JSON list) and a document's (an enum, a tuple of enums) alike."""
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value) or None
    return str(value) if value else None


def _other(part: Part) -> Part:
    return Part.PROVINCIAL if part == Part.NATIONAL else Part.NATIONAL


class _Check:
    def __init__(self, db_session: Session, documents: Sequence[BankDocument]) -> None:
        self.db_session = db_session
        self.documents = documents
        self.problems: list[list[Problem]] = [[] for _ in documents]
        self.digests = [d.digest() for d in documents]  # once each: a digest encodes the whole document
        self._stored: dict[tuple[str, Part], list[BankVersion]] = {}
        self._stored_keys: dict[tuple[str, Part], dict[str, str]] = {}

    def stored(self, code: str, part: Part) -> list[BankVersion]:
        if (code, part) not in self._stored:
            bank = repository.get_bank(self.db_session, code)
            self._stored[(code, part)] = repository.find_version(self.db_session, bank.id, part=part) if bank else []
        return self._stored[(code, part)]

    def stored_keys(self, code: str, part: Part) -> dict[str, str]:
        if (code, part) not in self._stored_keys:
            bank = repository.get_bank(self.db_session, code)
            self._stored_keys[(code, part)] = repository.keys_of_part(self.db_session, bank.id, part) if bank else {}
        return self._stored_keys[(code, part)]

    def add(self, index: int, problem: Problem) -> None:
        self.problems[index].append(problem)

    def labels(self, i: int, d: BankDocument) -> None:
        meta = d.meta
        for version in self.stored(meta.code, meta.part):
            if version.version_label == meta.version and version.content_digest != self.digests[i]:
                self.add(i, d.place("version", f"该题库{PART_LABELS[meta.part]}部分已有版本 {meta.version}，内容不同："
                                               f"{ONE_LABEL_ONE_CONTENT}，请使用新的版本号。"))
        for j, e in enumerate(self.documents[:i]):
            if (e.meta.code, e.meta.part, e.meta.version) == (meta.code, meta.part, meta.version) \
                    and self.digests[j] != self.digests[i]:
                self.add(i, d.place("version", f"与 {e.source} 的题库编号、部分和版本号相同而内容不同："
                                               f"{ONE_LABEL_ONE_CONTENT}。"))

    def keys(self, i: int, d: BankDocument) -> None:
        code, other = d.meta.code, _other(d.meta.part)
        taken: list[tuple[str, str]] = []  # (key, where the other part uses it)
        stored = self.stored_keys(code, other)
        for q in d.questions:
            if q.key in stored:
                taken.append((q.key, f"已存储的{PART_LABELS[other]}部分（版本 {stored[q.key]}）"))
        for e in self.documents[:i]:
            if e.meta.code == code and e.meta.part == other:
                theirs = {q.key for q in e.questions}
                for q in d.questions:
                    if q.key in theirs:
                        place = e.places.get(KEY_PLACE + q.key)
                        line = f"第{place.line}行" if place and place.line else ""
                        taken.append((q.key, f"{e.source} {line}（{PART_LABELS[other]}部分）"))
        for key, where in taken[:MAX_KEY_PROBLEMS]:
            self.add(i, d.place(KEY_PLACE + key, f"题目编号已在{where}使用：同一题库的国家和地方部分之间，"
                                                 "题目编号必须唯一。", key=key))
        if len(taken) > MAX_KEY_PROBLEMS:
            self.add(i, d.place("code", f"另有 {len(taken) - MAX_KEY_PROBLEMS} 个题目编号与{PART_LABELS[other]}"
                                        "部分重复，未逐一列出。"))

    def agreement(self, i: int, d: BankDocument) -> None:
        meta = d.meta
        other = _other(meta.part)
        peers: list[tuple[str, dict[str, object]]] = []
        stored = self.stored(meta.code, other)
        if stored:
            newest = stored[-1]
            peers.append((f"已存储的{PART_LABELS[other]}部分（版本 {newest.version_label}）",
                          {f: _comparable(getattr(newest, f)) for f in _AGREEING}))
        for e in self.documents[:i]:
            if e.meta.code == meta.code and e.meta.part == other:
                peers.append((f"{e.source}（{PART_LABELS[other]}部分）",
                              {f: _comparable(getattr(e.meta, f)) for f in _AGREEING}))
        for source, values in peers:
            for field, label in _AGREEING.items():
                mine, theirs = _comparable(getattr(meta, field)), values[field]
                if (mine or None) != (theirs or None):
                    self.add(i, d.place(field, f"{label}与{source}不一致（那里是 {_shown_meta(field, theirs)}）："
                                               "同一题库的国家和地方部分必须属于同一用途、人员类别（或适用人员）、行业和操作项目。"))

    def national_present(self, i: int, d: BankDocument) -> None:
        code = d.meta.code
        if d.meta.part != Part.PROVINCIAL or self.stored(code, Part.NATIONAL):
            return
        if any(e.meta.code == code and e.meta.part == Part.NATIONAL for e in self.documents):
            return
        self.add(i, d.place("part", "该题库还没有国家部分：地方部分可以先导入，组卷前请导入国家部分。",
                            severity=Severity.WARNING))


def check(db_session: Session, documents: Sequence[BankDocument]) -> list[list[Problem]]:
    """The problems (errors and warnings) of each document against the stored versions and the
    documents before it; nothing is written."""
    run = _Check(db_session, documents)
    for i, d in enumerate(documents):
        run.labels(i, d)
        run.keys(i, d)
        run.agreement(i, d)
        run.national_present(i, d)
    return run.problems
