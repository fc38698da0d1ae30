"""The printable card: Chinese rendered with an embedded font, the QR code of the current signed form, the ID
number masked, the review record; no font gives a Chinese 503, never a 500."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from examsvc.audit.actors import Actor
from examsvc.certificates import card, qr, service
from examsvc.certificates.keys import CertificateKeyring
from examsvc.config import Settings
from examsvc.identity.roles import Role
from tests.builders import auth_header, login, make_user
from tests.certificates.world import World

PDFTOPPM, PDFTOTEXT, PDFFONTS = (shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdffonts"))
NO_POPPLER = "poppler-utils missing (pdftoppm, pdftotext, pdffonts): apt-get install -y poppler-utils"
NO_FONT = "no CJK font installed: apt-get install -y fonts-noto-cjk"
QR_DPI = 300


def _font_or_skip(settings: Settings) -> card.CardFont:
    try:
        return card.find_font(settings)
    except card.CardFontMissing:
        pytest.skip(NO_FONT)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def test_the_id_number_is_masked_to_region_and_check_digits() -> None:
    assert card.masked("11010519491231002X") == "1101**********002X"


def test_no_font_anywhere_names_the_package_to_install(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card, "FONT_CANDIDATES", ())
    with pytest.raises(card.CardFontMissing) as raised:
        card.find_font(settings)
    assert raised.value.status_code == 503 and "fonts-noto-cjk" in raised.value.message


def test_a_configured_font_that_cannot_print_chinese_is_refused_not_replaced(settings: Settings,
                                                                            tmp_path: Path) -> None:
    _font_or_skip(settings)  # a working font is installed: the configured one must still win
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    damaged = tmp_path / "damaged.ttc"
    damaged.write_bytes(b"ttcf" + b"\0" * 64)
    unusable = [tmp_path / "missing.ttc", damaged, tmp_path / "font.txt"] + ([latin] if latin.exists() else [])
    for configured in unusable:
        settings.certificate_font_file = configured
        with pytest.raises(card.CardFontUnusable) as raised:
            card.find_font(settings)
        assert raised.value.status_code == 503 and "EXAMSVC_CERTIFICATE_FONT_FILE" in raised.value.message


def _qr_matches(pdf: Path, text: str, work: Path) -> None:
    """The printed symbol, sampled at each module's centre at 300 dpi, is segno's symbol of ``text``."""
    place = card.qr_placement(text)
    px = QR_DPI / 25.4
    left, top, side = round(place.x * px), round(place.y * px), round(place.modules * place.module * px) + 2
    _run(PDFTOPPM, "-r", str(QR_DPI), "-gray", "-png", "-singlefile", "-x", str(left), "-y", str(top),
         "-W", str(side), "-H", str(side), str(pdf), str(work / "qr"))
    image = Image.open(work / "qr.png").convert("L")
    expected = [list(row) for row in qr.qr_symbol(text).matrix_iter(scale=1, border=0)]
    wrong = 0
    for r, row in enumerate(expected):
        for c, dark in enumerate(row):
            x = round((place.x + (c + 0.5) * place.module) * px) - left
            y = round((place.y + (r + 0.5) * place.module) * px) - top
            wrong += bool(dark) != (image.getpixel((x, y)) < 128)  # type: ignore[operator]
    assert wrong == 0, f"{wrong} of {place.modules ** 2} modules differ"


def test_the_card_pdf_prints_chinese_the_current_qr_and_a_masked_id_number(world: World, tmp_path: Path) -> None:
    if not (PDFTOPPM and PDFTOTEXT and PDFFONTS):
        pytest.skip(NO_POPPLER)
    client, db = world.client, world.day.db_session
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    _font_or_skip(settings)
    id_number = world.qualified[0]
    issued = world.issue(id_number)
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    # A review in its window (the service takes the day), then a replacement: the card shows both.
    keys: CertificateKeyring = client.app.state.certificate_keys  # type: ignore[attr-defined]
    found = service.by_number(db, number)
    assert found.review_due is not None
    service.review(db, found, keyring=keys, settings=settings, reason="2028年复审合格\n附：体检合格证明",
                   actor=Actor.user(world.officer_user.id, world.officer_user.username, (Role.CERTIFICATE_OFFICER,)),
                   today=found.review_due - timedelta(days=10))
    db.commit()
    replaced = client.post(f"/certificates/{number}/replace", headers=world.officer, json={"reason": "原证遗失"})
    assert replaced.status_code == 200, replaced.text
    qr_text = replaced.json()["qr_text"]
    assert qr.qr_version(qr_text) <= 11

    answered = client.get(f"/certificates/{number}/card.pdf", headers=world.officer)
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"] == "application/pdf"
    assert f'filename="{number}-2.pdf"' in answered.headers["content-disposition"]
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(answered.content)

    fonts = _run(PDFFONTS, str(pdf)).splitlines()[2:]
    assert fonts and all(" yes yes yes " in f"{line} " for line in fonts), fonts  # embedded, subset, ToUnicode
    assert any("CJK" in line or "CID" in line for line in fonts), fonts
    text = _run(PDFTOTEXT, "-layout", str(pdf), "-")
    for shown in ("中华人民共和国特种作业操作证", "电工作业", "低压电工作业（1.2）", number, "复审记录",
                  "2028年复审合格", "补发序号", settings.certificate_authority_name,
                  card.masked(id_number), issued.json()["holder_name"]):
        assert shown in text, shown
    assert id_number not in text and "附：体检合格证明" not in text  # masked; only a reason's first line

    _run(PDFTOPPM, "-r", "80", "-png", "-singlefile", str(pdf), str(tmp_path / "page"))
    page = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(page.histogram()[:128]) / (page.width * page.height)
    assert abs(page.width - 661) <= 1 and abs(page.height - 935) <= 1  # A4 at 80 dpi
    assert 0.01 < dark < 0.3, dark  # ink, but not a black page
    if shots := os.environ.get("EXAMSVC_SCREENSHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "page.png", Path(shots) / "certificate-card.png")
    _qr_matches(pdf, qr_text, tmp_path)

    proctor = make_user(db, Role.PROCTOR)
    auditor = make_user(db, Role.AUDITOR)
    db.commit()
    for user in (proctor, auditor):  # the register's readers see the register, not the printable card
        refused = client.get(f"/certificates/{number}/card.pdf", headers=auth_header(login(client, user.username)))
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert client.get("/certificates/T0000000000/card.pdf", headers=world.officer).status_code == 404

    settings.certificate_font_file = tmp_path / "gone.ttc"
    unavailable = client.get(f"/certificates/{number}/card.pdf", headers=world.officer)
    assert unavailable.status_code == 503, unavailable.text
    assert unavailable.json()["error"] == "card_font_unusable" and "字体" in unavailable.json()["message"]


@pytest.mark.db_agnostic
def test_starting_the_app_does_not_load_the_pdf_machinery() -> None:
    """fpdf2 and the card module load with the first card asked for, not with every process that starts."""
    probe = ("import sys, examsvc.app, examsvc.cli; "
             "print(sorted(m for m in ('fpdf', 'examsvc.certificates.card') if m in sys.modules))")
    loaded = subprocess.run([os.environ.get("PYTHON", sys.executable), "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr


@pytest.mark.db_agnostic
def test_the_card_names_the_category_from_the_catalogue() -> None:
    from examsvc.certificates import catalogue
    from examsvc.certificates.models import Certificate

    operation = Certificate(kind=1, item="9.16", item_name=catalogue.special_operation_name("9.16"))
    assert dict(card._subject_rows(operation))["作业类别"] == "危险化学品安全作业"
    competence = Certificate(kind=2, item="principal/hazardous_chemicals", item_name="危险化学品主要负责人")
    assert card._subject_rows(competence) == [("人员类别", "主要负责人"), ("行业类别", "危险化学品")]
