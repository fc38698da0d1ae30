"""A spot-exam world: the coal 应知应会 sample bank, an approved spot rule, two officers, people on duty."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from examsvc.banks import files
from examsvc.candidates.id_number import check_character as id_check
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from examsvc.spot.credit_code import check_character as credit_check
from tests.builders import DEFAULT_PASSWORD, TEST_ACTOR, Actors, auth_header, login, make_user
from tests.papers.builders import ROOT

PASSPHRASE = "主考官本人的签名口令-2027"
BANK = ROOT / "question_banks" / "awareness_coal_team_leader"
POSTS = ["采煤班班长", "掘进班班长", "通风区区长", "机电队队长", "运输班班长", "安全员", "瓦斯检查工", "支护工",
         "综采维修班班长", "探放水工", "爆破工", "皮带司机"]


def credit_code(body: str = "91140100MA0K5C7Q3") -> str:
    """A code with its GB 32100 check character."""
    return body + credit_check(body)


def id_number(n: int, born: str = "19800101") -> str:
    first = f"140105{born}{100 + n:03d}"
    return first + id_check(first)


def people(count: int = 12) -> list[dict[str, Any]]:
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    return [{"name": f"{surnames[i % len(surnames)]}师傅{i + 1}", "id_number": id_number(i),
             "post": POSTS[i % len(POSTS)], "kind": "班组长" if i % 3 else "车间主任"} for i in range(count)]


class SpotWorld:
    def __init__(self, actors: Actors, db_session: Session) -> None:
        self.client: TestClient = actors.client
        self.db_session = db_session
        results = files.import_paths(db_session=db_session, paths=[BANK], actor=TEST_ACTOR, publish=True)
        db_session.commit()
        self.bank_version_id = next(r.version.id for r in results if r.version.part == "national")
        self.admin = actors.user_with(Role.EXAM_ADMIN)
        chief = make_user(db_session, Role.CHIEF_EXAMINER)
        self.chief = auth_header(login(self.client, chief.username))
        assert self.client.post("/examiners/me/key", headers=self.chief,
                                json={"passphrase": PASSPHRASE}).status_code == 201
        self.auditor = actors.user_with(Role.AUDITOR)
        self.lead_user = make_user(db_session, Role.ENFORCEMENT_OFFICER)
        self.second_user = make_user(db_session, Role.ENFORCEMENT_OFFICER)
        self.lead = auth_header(login(self.client, self.lead_user.username))
        self.rule_id = self.spot_rule()

    def spot_rule(self, **changes: Any) -> int:
        body: dict[str, Any] = {
            "code": "SX-SPOT-COAL", "version": "2027.1", "title": "煤矿班组长逢查必考抽考", "purpose": "spot",
            "person_kinds": ["team_leader", "workshop_director"], "bank_code": "SX-YZYH-COAL-TEAM",
            "national_bank_version_id": self.bank_version_id, "duration_minutes": 15, "total_points": 1000,
            "pass_mark": 800, "sections": [{"type": "true_false", "count": 10, "points": 50},
                                           {"type": "single_choice", "count": 5, "points": 100}]}
        body.update(changes)
        created = self.client.post("/blueprints", headers=self.admin, json=body)
        assert created.status_code == 201, created.text
        rule_id: int = created.json()["id"]
        assert self.client.post(f"/blueprints/{rule_id}/submit", headers=self.admin).status_code == 200
        approved = self.client.post(f"/blueprints/{rule_id}/approve", headers=self.chief,
                                    json={"passphrase": PASSPHRASE})
        assert approved.status_code == 200, approved.text
        return rule_id

    def inspection(self, *, draw_count: int = 3, headers: dict[str, str] | None = None,
                   **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "enterprise_name": "山西某煤业有限公司", "credit_code": credit_code(), "industry": "coal_mine",
            "city": "太原市", "address": "太原市万柏林区某矿工业广场", "inspected_on": date.today().isoformat(),
            "blueprint_id": self.rule_id, "draw_count": draw_count}
        body.update(changes)
        response = self.client.post("/spot/inspections", headers=headers or self.lead, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def second(self, inspection_id: int, user: UserAccount | None = None) -> dict[str, Any]:
        response = self.client.post(f"/spot/inspections/{inspection_id}/second-officer", headers=self.lead,
                                    json={"username": (user or self.second_user).username,
                                          "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def drawn(self, count: int = 12, draw_count: int = 3) -> dict[str, Any]:
        """An inspection with its second officer, ``count`` people on duty and the draw made."""
        inspection = self.inspection(draw_count=draw_count)
        self.second(inspection["id"])
        entered = self.client.put(f"/spot/inspections/{inspection['id']}/roster", headers=self.lead,
                                  json={"people": people(count)})
        assert entered.status_code == 200, entered.text
        drawn = self.client.post(f"/spot/inspections/{inspection['id']}/draw", headers=self.lead)
        assert drawn.status_code == 200, drawn.text
        body: dict[str, Any] = drawn.json()
        return body
