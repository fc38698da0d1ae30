"""The item-analysis API on a real published sitting: numbers from the results and papers, roles, stems."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
import yaml
from openpyxl import load_workbook

from examsvc.analytics import items
from examsvc.banks.models import BankVersion
from examsvc.identity.roles import Role
from tests.analytics.published import finish, publish
from tests.attempts.exam import Exam
from tests.builders import Actors


def _bank(exam: Exam) -> tuple[str, str]:
    version = exam.day.db_session.get(BankVersion, exam.day.rule.national_bank_version_id)
    assert version is not None
    return version.bank_code, version.version_label


def test_item_statistics_are_those_of_the_published_results(exam: Exam, actors: Actors) -> None:
    finish(exam)
    publish(exam)
    bank, label = _bank(exam)
    results = exam.client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json()
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for result in results:
        paper = exam.client.get(f"/paper-sets/{exam.paper_set}/papers/{result['admission_number']}",
                                headers=exam.chief).json()
        for item, awarded in zip(paper["items"], result["items"], strict=True):
            scores[(item["part"], item["key"])].append(awarded / item["points"])
    for role in (Role.EXAM_ADMIN, Role.AUDITOR, Role.BANK_ADMIN):
        got = exam.client.get("/analytics/items", params={"bank": bank, "version": label},
                              headers=actors.user_with(role))
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["attempts"] == 3
        by_key = {(q["part"], q["key"]): q for q in body["questions"]}
        assert set(by_key) == set(scores)  # every question a paper held, and only those
        for key, values in scores.items():
            assert by_key[key]["exposure"] == len(values)
            assert by_key[key]["facility"] == pytest.approx(sum(values) / len(values))
            assert by_key[key]["stem"] is None
            # the option shares (and which is the key) to bank admins only: the shares give the key away
            assert bool(by_key[key]["options"]) is (role == Role.BANK_ADMIN)
    national = exam.client.get("/analytics/items", params={"bank": bank, "version": label, "part": "national"},
                               headers=exam.day.admin).json()
    assert {q["part"] for q in national["questions"]} == {"national"} and national["parts"] == ["national"]


def test_the_flagged_list_shows_stems_to_bank_admins_only(exam: Exam, actors: Actors,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    finish(exam)
    publish(exam)
    bank, label = _bank(exam)
    none = exam.client.get("/analytics/items/flagged", params={"bank": bank, "version": label},
                           headers=exam.day.admin).json()
    assert none["questions"] == []  # three candidates: below the minimum, nothing flagged
    monkeypatch.setattr(items, "MIN_RESPONSES", 1)
    as_admin = exam.client.get("/analytics/items/flagged", params={"bank": bank, "version": label},
                               headers=exam.day.admin).json()
    flagged = as_admin["questions"]
    assert flagged and all(q["flags"] and q["stem"] is None for q in flagged)
    as_auditor = exam.client.get("/analytics/items/flagged", params={"bank": bank, "version": label},
                                 headers=actors.user_with(Role.AUDITOR)).json()["questions"]
    assert as_auditor == flagged  # keys and numbers, no stems
    bank_admin = actors.user_with(Role.BANK_ADMIN)
    with_stems = exam.client.get("/analytics/items/flagged", params={"bank": bank, "version": label},
                                 headers=bank_admin).json()["questions"]
    assert [q["key"] for q in with_stems] == [q["key"] for q in flagged] and all(q["stem"] for q in with_stems)
    for headers, stem_column in ((exam.day.admin, False), (bank_admin, True)):
        sheet = exam.client.get("/analytics/items/flagged.xlsx", params={"bank": bank, "version": label},
                                headers=headers)
        assert sheet.status_code == 200
        rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert rows[1][1] == "试题编号" and ("题干" in rows[1]) is stem_column
        assert [r[1] for r in rows[2:]] == [q["key"] for q in flagged]
        if stem_column:
            assert [r[-1] for r in rows[2:]] == [q["stem"] for q in with_stems]
        # the option column (shares, the key marked 答案) only for a role that may see the bank
        assert any("(答案)" in str(cell) for row in rows[2:] for cell in row if cell) is stem_column
    assert exam.client.get("/analytics/items/flagged", params={"bank": bank, "version": label},
                           headers=exam.proctor("01")).status_code == 403
    unknown = exam.client.get("/analytics/items", params={"bank": bank, "version": "no-such"}, headers=exam.day.admin)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "bank_version_not_found")
    bad = exam.client.get("/analytics/items", params={"bank": bank, "version": label, "part": "x"},
                          headers=exam.day.admin)
    assert bad.status_code == 422


def test_paper_set_statistics_are_those_of_the_scores(exam: Exam) -> None:
    finish(exam)
    early = exam.client.get(f"/analytics/paper-sets/{exam.paper_set}", headers=exam.day.admin)
    assert (early.status_code, early.json()["error"]) == (404, "not_collected")
    publish(exam)
    scores = sorted(r["score"] / 10 for r in
                    exam.client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json())
    stats = exam.client.get(f"/analytics/paper-sets/{exam.paper_set}", headers=exam.day.admin).json()
    assert stats["attempts"] == 3 and stats["median"] == pytest.approx(scores[1])
    assert stats["mean"] == pytest.approx(sum(scores) / 3)
    assert exam.client.get("/analytics/paper-sets/999999", headers=exam.day.admin).json()["error"] == \
        "paper_set_not_found"


def test_the_next_versions_diff_shows_which_flagged_questions_were_revised(
        exam: Exam, actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    finish(exam)
    publish(exam)
    monkeypatch.setattr(items, "MIN_RESPONSES", 1)
    bank, label = _bank(exam)
    bank_admin = actors.user_with(Role.BANK_ADMIN)
    flagged = {q["key"]: q["flags"] for q in exam.client.get(
        "/analytics/items/flagged", params={"bank": bank, "version": label, "part": "national"},
        headers=bank_admin).json()["questions"]}
    assert len(flagged) >= 2
    revised, kept = sorted(flagged)[:2]
    old_id = exam.day.rule.national_bank_version_id
    exported = exam.client.get(f"/bank-versions/{old_id}/export", params={"format": "yaml"}, headers=bank_admin)
    data = yaml.safe_load(exported.content)
    data["bank"]["version"] = "next"
    for question in data["questions"]:
        if question["key"] == revised:
            question["stem"] += "（修订）"
    imported = exam.client.post("/banks/import", params={"filename": "next.yaml"},
                                content=yaml.safe_dump(data, allow_unicode=True).encode(), headers=bank_admin)
    assert imported.status_code == 201, imported.text
    diff = exam.client.get(f"/banks/{bank}/diff", params={"from": old_id, "to": imported.json()["version"]["id"]},
                           headers=exam.day.admin).json()
    assert [(c["key"], c["review_flags"]) for c in diff["changed"]] == [(revised, flagged[revised])]
    assert kept in diff["flagged_unrevised"] and revised not in diff["flagged_unrevised"]
    assert set(diff["flagged_unrevised"]) == set(flagged) - {revised}
