"""Bank files in YAML (docs/bank-format.md): read with line numbers, and written for review."""

from __future__ import annotations

from typing import Any

import yaml

from examsvc.banks.document import FORMAT, BankDocument
from examsvc.banks.problems import BankImportRejected, ImportRejected, Problem
from examsvc.banks.validate import META_FIELDS, QUESTION_FIELDS, RawBank, RawRecord

MAX_FILE_BYTES = 50 * 1024 * 1024
_TOP_FIELDS = ("format", "bank", "knowledge_points", "questions")
_KP_FIELDS = ("code", "title")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present


def decode_utf8(data: bytes, file: str, rejected: type[ImportRejected] = BankImportRejected) -> str:
    """UTF-8 text (a BOM is tolerated), or a problem naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise rejected.one(file, "文件不是 UTF-8 编码的文本（请用 UTF-8 保存）。", line=line) from None


def compose(data: bytes, file: str, rejected: type[ImportRejected] = BankImportRejected) -> yaml.Node:
    """The YAML node tree of a file (lines kept for problems), or the reason it cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise rejected.one(file, f"文件过大（不超过 {MAX_FILE_BYTES // 1024 // 1024} MB）。")
    try:
        root = yaml.compose(decode_utf8(data, file, rejected), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise rejected.one(file, f"YAML 格式错误：{exc.problem or ''}", line=line) from None
    if root is None:
        raise rejected.one(file, "文件为空。")
    return root


class YamlReader:
    """Reads YAML nodes into records, noting the line of every value and every problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.constructor = _Loader("")

    def problem(self, node: yaml.Node | None, message: str, field: str | None = None) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(file=self.file, line=line, field=field, message=message))

    def value(self, node: yaml.Node) -> Any:
        return self.constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], where: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{where}应为“字段: 值”的映射。")
            return {}
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name not in allowed:
                self.problem(key_node, f"{where}中有未知字段“{name}”。", field=name)
            elif name in out:
                self.problem(key_node, f"{where}中字段“{name}”重复。", field=name)
            else:
                out[name] = value_node
        return out

    def record(self, node: yaml.Node, allowed: tuple[str, ...], where: str) -> RawRecord:
        fields = self.mapping(node, allowed, where)
        record = RawRecord(line=node.start_mark.line + 1)
        for name, value_node in fields.items():
            record.lines[name] = value_node.start_mark.line + 1
            if name == "options" and isinstance(value_node, yaml.MappingNode):
                options = self.mapping(value_node, tuple("ABCDEFGH"), "选项")
                record.values[name] = {label: self.value(n) for label, n in options.items()}
                for label, n in options.items():
                    record.lines[f"options.{label}"] = n.start_mark.line + 1
            else:
                record.values[name] = self.value(value_node)
        return record

    def sequence(self, node: yaml.Node | None, name: str) -> list[yaml.Node]:
        if node is None:
            self.problem(None, f"缺少“{name}”部分。", field=name)
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"“{name}”应为列表。", field=name)
            return []
        return list(node.value)


def read_yaml(data: bytes, file: str) -> RawBank:
    root = compose(data, file)
    reader = YamlReader(file)
    top = reader.mapping(root, _TOP_FIELDS, "文件顶层")
    format_node = top.get("format")
    if format_node is None or reader.value(format_node) != FORMAT:
        reader.problem(format_node or root, f"“format”应为 {FORMAT}。", field="format")
    meta = reader.record(top["bank"], META_FIELDS, "“bank”") if "bank" in top else RawRecord(line=None)
    if "bank" not in top:
        reader.problem(None, "缺少“bank”部分（题库信息）。", field="bank")
    points = [reader.record(n, _KP_FIELDS, "知识点") for n in reader.sequence(top.get("knowledge_points"),
                                                                          "knowledge_points")]
    questions = [reader.record(n, QUESTION_FIELDS, "试题") for n in reader.sequence(top.get("questions"), "questions")]
    return RawBank(file=file, meta=meta, knowledge_points=points, questions=questions, problems=reader.problems)


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
        "format": FORMAT,
        "bank": {name: canonical["bank"][name] for name in META_FIELDS if name in canonical["bank"]},
        "knowledge_points": canonical["knowledge_points"],
        "questions": ordered_questions,
    }
    text = yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return text.encode("utf-8")
