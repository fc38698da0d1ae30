"""Bank files in YAML (docs/bank-format.md): read with line numbers, and written for review."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import Any

import yaml

from examsvc.banks.document import FORMATS, BankDocument
from examsvc.banks.problems import BankImportRejected, ImportRejected, Problem
from examsvc.banks.validate import META_FIELDS, QUESTION_FIELDS, RawBank, RawRecord
from examsvc.text import shown

MAX_FILE_BYTES = 50 * 1024 * 1024
_TOP_FIELDS = ("format", "bank", "knowledge_points", "questions")
_KP_FIELDS = ("code", "title")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present

# Fields the schema (docs/bank-format.schema.json) types as strings. YAML 1.1 reads an unquoted
# 3.10 as the number 3.1, 0012 as 10 (octal), 1:20 as 80 (base 60), 1_000 as 1000 and yes as true;
# such a value is refused rather than silently changed (issue 17 item 1).
TEXT_FIELDS = frozenset({"code", "title", "province", "part", "purpose", "personnel_category", "industry",
                         "operation_item", "catalogue_version", "version", "key", "type", "stem", "explanation",
                         "knowledge_point", "level", "legal_basis", "options"})
# Identifiers whose value may be quoted back in a message (never question text).
_QUOTABLE = frozenset({"code", "version", "operation_item", "key", "knowledge_point"})
_YAML = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map",
                                            "merge"))
_CHANGED_BY_YAML = {_YAML + "int": "数字", _YAML + "float": "数字", _YAML + "bool": "是/否（布尔值）",
                    _YAML + "timestamp": "日期"}
# What bank staff read instead of PyYAML's English (the first match wins).
_SYNTAX = (
    ("mapping values are not allowed", "此处不能再出现“名称: 值”：冒号后带空格的文本请加引号，或检查缩进。"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号没有闭合。"),
    ("found undefined alias", "引用了未定义的锚点（*名称）。"),
    ("found duplicate anchor", "锚点（&名称）重复。"),
    ("while scanning a quoted scalar", "引号没有闭合。"),
    ("while scanning a block scalar", "多行文本（| 或 >）的写法不正确。"),
    ("',' or ']'", "方括号 [ ] 没有闭合。"),
    ("',' or '}'", "花括号 { } 没有闭合。"),
    ("expected '-' indicator", "列表项的缩进不一致。"),
    ("cannot start any token", "此处有不能作为开头的字符（如制表符、@、`）：缩进请用空格，这样开头的文本请加引号。"),
    ("did not find expected key", "缩进不一致，或缺少“名称:”。"),
    ("expected <block end>", "缩进不一致，或缺少“名称:”。"),
    ("expected a single document", "文件中只能有一个文档（不要用“---”分隔多份内容）。"),
    ("found unexpected end of stream", "文件意外结束（引号或括号没有闭合）。"),
    ("control characters are not allowed", "含有不允许的控制字符。"),
    ("special characters are not allowed", "含有不允许的控制字符。"),
)
# "  name: …" or "- name: …" at the start of a line: the field a control character was found in.
_FIELD_AT_LINE_START = re.compile(r"^[ \t-]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*:")
_SECTION_NAMES = {"knowledge_points": "知识点目录", "questions": "试题", "items": "考核项目", "criteria": "评分标准",
                  "bank": "题库信息"}


def decode_utf8(data: bytes, file: str, rejected: type[ImportRejected] = BankImportRejected) -> str:
    """UTF-8 text (a BOM is tolerated), or a problem naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise rejected.one(file, "文件不是 UTF-8 编码的文本（请用 UTF-8 保存）。", line=line) from None


def _syntax_message(exc: yaml.YAMLError) -> str:
    said = " ".join(str(getattr(exc, name, None) or "") for name in ("problem", "context", "reason"))
    for english, chinese in _SYNTAX:
        if english in said:
            return f"YAML 格式错误：{chinese}"
    return "YAML 格式错误：请检查此行及上一行的缩进、冒号和引号。"


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str,
                  rejected: type[ImportRejected]) -> ImportRejected:
    # libyaml counts the position in UTF-8 bytes, the pure-Python reader in characters.
    before = text.encode("utf-8")[: exc.position].count(b"\n") if _Loader is not yaml.SafeLoader \
        else text[: exc.position].count("\n")
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    lines = text.split("\n")
    named = _FIELD_AT_LINE_START.match(lines[before]) if before < len(lines) else None
    return rejected.one(file, f"含有不允许的控制字符 U+{code:04X}（文本中不能有响铃、退格等控制字符，请删除）。",
                        line=before + 1, field=named.group(1) if named else None)


def _as_read(value: Any) -> str:
    if isinstance(value, bool):
        return "“是”" if value else "“否”"
    if isinstance(value, date):
        return value.isoformat()
    return shown(value)


def _check_tags(root: yaml.Node, file: str, rejected: type[ImportRejected]) -> None:
    """Refuses any type tag beyond plain text, numbers, dates, lists and mappings (``!!python/…``,
    ``!!binary``, ``!!set`` …): nothing is constructed from them, and the editor hears where they are."""
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, str | None]] = [(root, None)]
    seen: set[int] = set()
    while stack and len(problems) < 20:
        node, field = stack.pop()
        if id(node) in seen:  # an alias points at a node already checked
            continue
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(_YAML, "!!")
            problems.append(Problem(file=file, line=node.start_mark.line + 1, field=field,
                                    message=f"不支持的 YAML 类型标记 {shown(tag)}：题库文件只能写文本、数字、"
                                            "日期、列表和映射。"))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else field
                stack.extend(((value_node, name), (key_node, field)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, field) for child in reversed(node.value))
    if problems:
        raise rejected(sorted(problems, key=lambda p: p.line or 0))


def compose(data: bytes, file: str, rejected: type[ImportRejected] = BankImportRejected) -> yaml.Node:
    """The YAML node tree of a file (lines kept for problems), or the reason it cannot be read.

    Every exception the parser raises becomes a problem naming the file and line, in Chinese."""
    if len(data) > MAX_FILE_BYTES:
        raise rejected.one(file, f"文件过大（不超过 {MAX_FILE_BYTES // 1024 // 1024} MB）。")
    text = decode_utf8(data, file, rejected)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise rejected.one(file, _syntax_message(exc), line=line) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, file, rejected) from None
    except yaml.YAMLError as exc:
        raise rejected.one(file, _syntax_message(exc)) from None
    except RecursionError:
        raise rejected.one(file, "YAML 嵌套层次过深，拒绝导入。") from None
    if root is None:
        raise rejected.one(file, "文件为空。")
    _check_tags(root, file, rejected)
    return root


class YamlReader:
    """Reads YAML nodes into records, noting the line of every value and every problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.constructor = _Loader("")
        self.section_lines: dict[str, int] = {}
        self._key_lines: dict[int, int] = {}  # id(value node) → the line of its "name:" (a list starts below)

    def problem(self, node: yaml.Node | None, message: str, field: str | None = None) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(file=self.file, line=line, field=field, message=message))

    def value(self, node: yaml.Node, field: str | None = None) -> Any:
        """The node's value; ``None`` (with a problem) when YAML cannot construct it."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception:  # any constructor failure is the file's fault, never a 500
            # e.g. an impossible date (2026-02-30): the resolver says date, the constructor disagrees;
            # "!!timestamp x" makes PyYAML's constructor raise AttributeError. A fresh constructor: the
            # failed one may still hold the half-built node.
            self.constructor = _Loader("")
            self.problem(node, "无法读取这个值（如不存在的日期）；文本请加引号。", field=field)
            return None

    def text(self, node: yaml.Node, field: str) -> tuple[Any, bool]:
        """A value the schema types as text, and whether it was accepted: a plain scalar YAML would turn
        into a number, a yes/no or a date is refused, naming what was written, not read as something else."""
        if not (isinstance(node, yaml.ScalarNode) and node.tag in _CHANGED_BY_YAML):
            return self.value(node, field), True
        written, what = node.value, _CHANGED_BY_YAML[node.tag]
        how = "没有加引号" if not node.style else "带了类型标记"  # libyaml says "", PyYAML None
        if field in _QUOTABLE and len(written) <= 40:
            reported = len(self.problems)
            read = self.value(node, field)
            if len(self.problems) == reported:  # else: already refused as unreadable
                self.problem(node, f"值 {shown(written)} {how}，YAML 会把它当作{what}读成 {_as_read(read)}；"
                                   f"请加引号写成 \"{shown(written)}\"。", field=field)
        else:
            self.problem(node, f"这是文本字段，但{how}的值会被 YAML 当作{what}改写；请给值加引号。", field=field)
        return None, False

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], where: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{where}应为“名称: 值”的映射。")
            return {}
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name not in allowed:
                self.problem(key_node, f"{where}中有未知字段。", field=name)
            elif name in out:
                self.problem(key_node, f"{where}中此字段重复。", field=name)
            else:
                out[name] = value_node
                self._key_lines[id(value_node)] = key_node.start_mark.line + 1
        return out

    def record(self, node: yaml.Node, allowed: tuple[str, ...], where: str,
               text_fields: Collection[str] = ()) -> RawRecord:
        fields = self.mapping(node, allowed, where)
        record = RawRecord(line=node.start_mark.line + 1)

        def read(name: str, value_node: yaml.Node, as_text: bool) -> Any:
            record.lines[name] = value_node.start_mark.line + 1
            reported = len(self.problems)
            value = self.text(value_node, name)[0] if as_text else self.value(value_node, name)
            if len(self.problems) > reported:
                record.refused.add(name)  # reported here: the validator adds no "empty" on top
            return value

        for name, value_node in fields.items():
            as_text = name in text_fields
            if name == "options" and isinstance(value_node, yaml.MappingNode):
                record.lines[name] = value_node.start_mark.line + 1
                options = self.mapping(value_node, tuple("ABCDEFGH"), "选项")
                record.values[name] = {label: read(f"options.{label}", n, as_text) for label, n in options.items()}
            else:
                record.values[name] = read(name, value_node, as_text)
        return record

    def sequence(self, node: yaml.Node | None, name: str) -> list[yaml.Node]:
        section = _SECTION_NAMES.get(name, "列表")
        if node is None:
            self.problem(None, f"缺少{section}。", field=name)
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{section}应写成列表（每项以“- ”开头）。", field=name)
            return []
        self.section_lines[name] = self._key_lines.get(id(node), node.start_mark.line + 1)
        return list(node.value)


PRACTICAL_FORMAT = "examsvc-practical-bank/1"  # examsvc.practical.document.FORMAT, not imported: no cycle


def read_yaml(data: bytes, file: str) -> RawBank:
    root = compose(data, file)
    reader = YamlReader(file)
    top = reader.mapping(root, _TOP_FIELDS, "文件顶层")
    format_node = top.get("format")
    written = reader.value(format_node, "format") if format_node is not None else None
    if written == PRACTICAL_FORMAT:
        raise BankImportRejected.one(file, "这是实操题库文件：请用 examsvc practical import 导入。",
                                     line=format_node.start_mark.line + 1 if format_node else None, field="format")
    if written not in FORMATS:
        reader.problem(format_node or root, f"文件格式标记应为 {' 或 '.join(FORMATS)}。", field="format")
    meta = reader.record(top["bank"], META_FIELDS, "题库信息", TEXT_FIELDS) if "bank" in top else RawRecord(line=None)
    if "bank" not in top:
        reader.problem(None, "缺少题库信息。", field="bank")
    points = [reader.record(n, _KP_FIELDS, "知识点", TEXT_FIELDS)
              for n in reader.sequence(top.get("knowledge_points"), "knowledge_points")]
    questions = [reader.record(n, QUESTION_FIELDS, "试题", TEXT_FIELDS)
                 for n in reader.sequence(top.get("questions"), "questions")]
    return RawBank(file=file, meta=meta, knowledge_points=points, questions=questions, problems=reader.problems,
                   section_lines=reader.section_lines, format=written if written in FORMATS else None)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def write_yaml(document: BankDocument) -> bytes:
    """The document in the reviewable file format, questions in key order (a stable diff)."""
    canonical = document.canonical()
    ordered_questions = []
    for q in canonical["questions"]:
        ordered_questions.append({name: q[name] for name in QUESTION_FIELDS if name in q})
    body = {
        "format": canonical["format"],
        "bank": {name: canonical["bank"][name] for name in META_FIELDS if name in canonical["bank"]},
        "knowledge_points": canonical["knowledge_points"],
        "questions": ordered_questions,
    }
    text = yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return text.encode("utf-8")
