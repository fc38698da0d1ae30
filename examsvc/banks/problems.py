"""Import problems: every one names the file, the line or row, the field, and says what is wrong in
words bank staff use. Messages never quote a stem, an option or an explanation."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from examsvc.errors import InvalidInput
from examsvc.text import shown


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None  # YAML line, or Excel row (1-based, as the program shows it)
    field: str | None = None  # YAML field name or Excel column header
    key: str | None = None  # the question's key, when known
    sheet: str | None = None  # Excel sheet
    severity: Severity = Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.line is not None:
            where.append(f"第{self.line}行")
        if self.field:
            where.append(f"“{self.field}”")
        if self.key:
            where.append(f"题目编号 {self.key}")
        tag = "警告" if self.severity == Severity.WARNING else "错误"
        return f"{tag}：{'，'.join(where)}：{self.message}"


class ImportRejected(InvalidInput):
    """A file (bank, candidate list …) has errors: nothing was imported. ``detail.problems`` lists all."""

    code = "import_rejected"
    what = "文件"

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == Severity.ERROR]
        super().__init__(f"{self.what}有 {len(errors)} 处错误，未导入任何内容。",
                         detail={"problems": [p.as_dict() for p in problems]})
        self.problems = problems

    @classmethod
    def one(cls, file: str, message: str, **where: Any) -> ImportRejected:
        return cls([Problem(file=file, message=message, **where)])


class BankImportRejected(ImportRejected):
    code = "bank_import_rejected"
    what = "题库文件"


class BankVersionExists(BankImportRejected):
    """The only errors: a version label that already names another content (a conflict, not bad input)."""

    status_code = 409
    code = "bank_version_exists"


def report_rejected(rejected: ImportRejected) -> int:
    """For the CLI: the refusal and every problem on stderr; the exit status 1."""
    print(f"examsvc: {rejected.message}", file=sys.stderr)
    for problem in rejected.problems:
        # A file name (or anything else) with a newline or an escape sequence must not reach the terminal.
        print(f"  {shown(problem)}", file=sys.stderr)
    return 1
