"""Small bank files for tests, built as dicts and written as YAML or xlsx."""

from __future__ import annotations

import copy
import io
from typing import Any

import yaml
from openpyxl import load_workbook

from examsvc.banks.document import BankDocument
from examsvc.banks.validate import build_document
from examsvc.banks.xlsx_format import write_xlsx
from examsvc.banks.yaml_format import read_yaml


def tf(key: str, answer: bool = True, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": "true_false", "stem": f"判断题 {key} 的题干。", "answer": answer,
            "explanation": "解析。", "knowledge_point": "1.1", "level": "掌握", "difficulty": 1, **extra}


def sc(key: str, answer: str = "B", **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": "single_choice", "stem": f"单选题 {key} 的题干（　　）。",
            "options": {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}, "answer": answer, "explanation": "解析。",
            "knowledge_point": "1.2", "level": "熟练掌握", "difficulty": 2, **extra}


def mc(key: str, answer: str = "ABD", **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": "multiple_choice", "stem": f"多选题 {key} 的题干（　　）。",
            "options": {"A": "一", "B": "二", "C": "三", "D": "四"}, "answer": answer, "explanation": "解析。",
            "knowledge_point": "1.2", "level": "了解", "difficulty": 3, "legal_basis": "《中华人民共和国安全生产法》",
            **extra}


def bank(*questions: dict[str, Any], version: str = "2026.1", part: str = "national",
         code: str = "T-BANK") -> dict[str, Any]:
    return {
        "format": "examsvc-bank/1",
        "bank": {"code": code, "title": "测试题库", "province": "山西省", "part": part,
                 "personnel_category": "safety_manager", "industry": "general", "version": version,
                 "effective_date": "2026-06-01"},
        "knowledge_points": [{"code": "1.1", "title": "法律法规"}, {"code": "1.2", "title": "安全技术"}],
        "questions": list(questions) or [tf("Q-1"), sc("Q-2"), mc("Q-3")],
    }


def to_yaml(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def document(data: dict[str, Any]) -> BankDocument:
    return build_document(read_yaml(to_yaml(data), "t.yaml"))


def to_xlsx(data: dict[str, Any]) -> bytes:
    return write_xlsx(document(data))


def edit_xlsx(data: bytes, sheet: str, cells: dict[str, Any]) -> bytes:
    """Changes cells (``{"B3": "值"}``) of an exported workbook, as a person would in Excel."""
    workbook = load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        workbook[sheet][ref] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def changed(data: dict[str, Any], index: int, **fields: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for name, value in fields.items():
        if value is None:
            out["questions"][index].pop(name, None)
        else:
            out["questions"][index][name] = value
    return out
