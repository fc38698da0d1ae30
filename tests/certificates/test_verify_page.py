"""The public check page (``/verify``, examsvc/web/verify.py) as a browser without JavaScript sees it: a form
post, an answer page in Chinese for every input, never a 500. The browser itself: tests/web/test_verify_page.py."""

from __future__ import annotations

import re
from html import unescape

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from examsvc.certificates.base45 import ALPHABET
from examsvc.certificates.models import Certificate
from examsvc.certificates.ratelimit import RateLimiter
from examsvc.certificates.signed_form import PREFIX, open_form, seal
from examsvc.identity.roles import Role
from tests.builders import auth_header, login, make_user
from tests.certificates.world import World

VALID, REVOKED, FORGED = "有效", "已撤销", "无法验证（疑似伪造）"


def post(client: TestClient, **fields: str) -> Response:
    return client.post("/verify", data=fields)


def standing(response: Response) -> str:
    """The big answer: the result heading's words (the mark is aria-hidden, 查验结果： is for screen readers)."""
    found = re.search(r'<span class="standing-label">([^<]*)</span>', response.text)
    return unescape(found.group(1)) if found else ""


def checks(response: Response) -> list[tuple[str, str]]:
    """(mark, what) of each line of 'what was checked'."""
    return re.findall(r'<span class="check-mark" aria-hidden="true">(.)</span>\s*<span class="sr-only">[^<]*</span>\s*'
                      r'<span class="check-what">([^<]*)</span>', response.text)


def alter_one_character(text: str) -> str:
    """One Base45 character in the middle of the signed part, changed to its neighbour in the alphabet."""
    at = len(PREFIX) + (len(text) - len(PREFIX)) // 2
    replacement = ALPHABET[(ALPHABET.index(text[at]) + 1) % len(ALPHABET)]
    return text[:at] + replacement + text[at + 1:]


def test_valid_revoked_forged_and_an_unknown_key_each_get_their_answer(world: World) -> None:
    client = world.client
    issued = [world.issue(i) for i in world.qualified]
    assert all(r.status_code == 201 for r in issued), [r.text for r in issued]
    good, bad = issued[0].json(), issued[1].json()
    revoked = client.post(f"/certificates/{bad['number']}/revoke", headers=world.officer,
                          json={"reason": "考试作弊，依法撤销", "mode": "cancel"})
    assert revoked.status_code == 200, revoked.text
    # The inclusion proof needs a checkpoint signed after the events.
    assert client.post("/audit/checkpoint", headers=_auditor(world)).status_code == 200

    page = post(client, how="qr", text=good["qr_text"], id_number=world.qualified[0])
    assert page.status_code == 200, page.text
    assert standing(page) == VALID
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the pages' CSP: no inline script
    assert "<script>" not in page.text
    assert "您输入的身份证号与证书相符" in page.text
    assert world.qualified[0] not in page.text  # the ID number is compared, never shown (nor echoed)
    marks = dict((what, mark) for mark, what in checks(page))
    assert marks["签名"] == marks["发证记录"] == marks["审计日志"] == marks["状态"] == marks["身份证号"] == "✓"
    assert good["number"] in page.text and "第 1 版" in page.text
    assert 'id="proof"' in page.text and "审计日志包含证明" in page.text and "data-vkey=" in page.text
    assert 'autofocus' in page.text and 'id="result-title"' in page.text

    # Another person's ID number typed from the card: the certificate is still valid, the mismatch is said.
    other = post(client, how="qr", text=good["qr_text"], id_number=world.qualified[1])
    assert standing(other) == VALID and "与证书不符" in other.text

    page = post(client, how="qr", text=bad["qr_text"])
    assert page.status_code == 200 and standing(page) == REVOKED
    assert "该证书已被撤销" in page.text

    page = post(client, how="qr", text=alter_one_character(good["qr_text"]))
    assert page.status_code == 200 and standing(page) == FORGED
    assert ("✗", "二维码格式与签名") in checks(page) and 'id="proof"' not in page.text

    # The same claims, validly signed, by a key the province never published.
    claims = open_form(good["qr_text"], client.app.state.certificate_keys.verifiers).claims  # type: ignore[attr-defined]
    stranger = Ed25519PrivateKey.generate()
    foreign = seal(claims, sign=stranger.sign,
                   public_key=stranger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    page = post(client, how="qr", text=foreign.text)
    assert page.status_code == 200 and standing(page) == FORGED
    assert "签发密钥不是本省公布的证书密钥" in page.text

    # The fallback: number and full name; a wrong name answers as an unknown number does.
    holder = world.day.db_session.scalars(
        select(Certificate.holder_name).where(Certificate.number == good["number"])).one()
    page = post(client, how="number", number=good["number"].lower(), name=holder)
    assert page.status_code == 200 and standing(page) == VALID
    assert ("—", "签名") in checks(page) and 'id="proof"' in page.text
    assert holder not in page.text.split('id="number-form"')[0]  # the answer shows the masked name only
    page = post(client, how="number", number=good["number"], name=holder + "甲")
    assert standing(page) == FORGED and "没有与该证号和姓名相符的证书" in page.text


def _auditor(world: World) -> dict[str, str]:
    user = make_user(world.day.db_session, Role.AUDITOR)
    world.day.db_session.commit()
    return auth_header(login(world.client, user.username))


def test_garbage_huge_and_odd_input_get_a_page_in_chinese_never_a_500(client: TestClient) -> None:
    form = client.get("/verify")
    assert form.status_code == 200 and "证书查验" in form.text
    policy = form.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", form.text), "an inline script"
    assert " style=" not in form.text and "<style" not in form.text
    assert "set-cookie" not in form.headers and form.headers["cache-control"] == "no-store"
    for text in ("hello", "SQ1:", "SQ1:!!!!", "SQ1:" + "A" * 300, "证书😀\x00\u202e", PREFIX + "6BF" * 40):
        page = post(client, how="qr", text=text)
        assert page.status_code == 200, (text, page.status_code)
        assert standing(page) == FORGED, text
    cases = [
        ({"how": "qr", "text": "SQ1:" + "A" * 5000}, "二维码内容过长"),
        ({"how": "qr", "text": ""}, "请粘贴或扫描证书二维码的内容"),
        ({"how": "qr", "text": "SQ1:AAA", "id_number": "12345"}, "身份证号应为18位"),
        ({"how": "qr", "text": "SQ1:AAA", "id_number": "1" * 40}, "身份证号过长"),
        ({"how": "number", "number": "X" * 100, "name": "张三"}, "证号过长"),
        ({"how": "number", "number": "", "name": "张三"}, "请填写证号和姓名"),
    ]
    for fields, said in cases:
        page = post(client, **fields)
        assert page.status_code == 422 and said in page.text and "未能查验" in page.text, (fields, page.text[-500:])
    many = client.post("/verify", content="&".join(f"f{i}=x" for i in range(50)),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert many.status_code == 422 and "不是本页的表单" in many.text
    broken = client.post("/verify", content=b"how=qr&text=SQ1%3A%FF%FE%00\xff\xfe",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert broken.status_code == 200 and standing(broken) == FORGED
    huge = client.post("/verify", data={"how": "qr", "text": "SQ1:" + "A" * 200_000})
    assert huge.status_code == 413  # the body limit (examsvc.admission) refuses it before it is read
    unknown = post(client, how="number", number="TY-0000-0001", name="无此人")
    assert unknown.status_code == 200 and standing(unknown) == FORGED


def test_the_check_is_rate_limited_with_a_page_in_chinese(client: TestClient) -> None:
    client.app.state.verify_limiter = RateLimiter(6, burst=2)  # type: ignore[attr-defined]
    answers = [post(client, how="qr", text="SQ1:AAA") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "查询过于频繁，请稍后再试。" in answers[2].text and "text/html" in answers[2].headers["content-type"]
    assert answers[2].headers["retry-after"] == "10"
    assert client.get("/verify").status_code == 200  # the empty form is not counted
