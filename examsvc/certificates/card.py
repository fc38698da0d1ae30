"""The printable certificate (PDF): one A4 page with the card's front and back to cut out, in the layout
of the national card as far as it is public (shared/domain.md §6: 姓名, 性别, 证号, 作业类别, 操作项目,
初次领证日期, 有效期限, 复审记录), and the QR code of the signed form (docs/certificates.md).

The card is ID-1 (ISO/IEC 7810, 85.6 × 54 mm) drawn at twice its size, so a print of it stays legible and
its QR code (version ≤ 11, error correction M) keeps modules of about half a millimetre. The ID number is
printed masked: the QR carries only its salted digest, and a verifier types the full number from the
holder's identity card, not from this one.

Chinese needs an embedded CJK font. fpdf2 (≥ 2.8.6) embeds the CFF outlines of an OpenType collection's
face, subset to the glyphs used, so Debian's fonts-noto-cjk (NotoSansCJK-Regular.ttc) serves as it is;
its Simplified Chinese face is picked by name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TextMode
from sqlalchemy.orm import Session

from examsvc.candidates.id_number import masked
from examsvc.candidates.models import Candidate
from examsvc.certificates import catalogue
from examsvc.certificates.models import Certificate
from examsvc.certificates.qr import qr_symbol
from examsvc.certificates.signed_form import Kind
from examsvc.config import Settings
from examsvc.errors import ExamServiceError
from examsvc.localtime import zone

log = logging.getLogger(__name__)

# Where distributions put a CJK font, most likely first: Debian/Ubuntu fonts-noto-cjk, Fedora/Arch Noto
# CJK, WenQuanYi (Debian fonts-wqy-microhei / -zenhei), AR PL UMing, then the Windows and macOS system fonts.
FONT_CANDIDATES: tuple[Path, ...] = tuple(Path(p) for p in (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
))
FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc", ".otc"})
# The fixed text of both cards: a font must have every one of these glyphs to print them.
FONT_PROBE = "中华人民共和国特种作业操作证安全生产知识和管理能力考核合格证姓名性别证号有效期限复审记录发证机关"
FAMILY = "card-cjk"

TITLES = {Kind.SPECIAL_OPERATIONS: "中华人民共和国特种作业操作证",
          Kind.SAFETY_COMPETENCE: "安全生产知识和管理能力考核合格证"}
RECORD_EVENTS = {Kind.SPECIAL_OPERATIONS: ("reviewed", "复审记录"),
                 Kind.SAFETY_COMPETENCE: ("renewed", "再培训换证记录")}
NOTES = {Kind.SPECIAL_OPERATIONS: "本证全国通用，有效期6年，每3年复审1次；复审逾期的，本证不得用于作业。",
         Kind.SAFETY_COMPETENCE: "本证有效期3年；有效期届满30日前申请再培训换证。"}

# Geometry, in millimetres from the page's top-left corner (A4 portrait).
PAGE_W, PAGE_H = 210.0, 297.0
CARD_W, CARD_H = 171.2, 108.0  # ID-1 × 2
CARD_X = (PAGE_W - CARD_W) / 2
FRONT_Y, BACK_Y = 22.0, 158.0
QR_BOX = 42.0  # the symbol with its quiet zone of 4 modules (ISO/IEC 18004 §9.1)
QR_X, QR_Y = CARD_X + CARD_W - QR_BOX - 5.0, FRONT_Y + 24.0
QUIET_MODULES = 4
RECORD_ROWS = 6

INK = (20, 20, 20)
TITLE_INK = (150, 20, 20)
GREY = (120, 120, 120)
RULE = (160, 160, 160)


class CardFontMissing(ExamServiceError):
    status_code = 503
    code = "card_font_missing"
    message = ("服务器未安装中文字体，暂时无法生成证书 PDF。请系统管理员安装字体包 fonts-noto-cjk，"
               "或以 EXAMSVC_CERTIFICATE_FONT_FILE 指定中文字体文件。")


class CardFontUnusable(CardFontMissing):
    code = "card_font_unusable"
    message = ("配置的证书字体文件（EXAMSVC_CERTIFICATE_FONT_FILE）不存在、无法读取或不含中文字形，"
               "暂时无法生成证书 PDF。请系统管理员检查该设置，或安装 fonts-noto-cjk 并清空该设置。")


@dataclass(frozen=True)
class CardFont:
    path: Path
    face: int  # the face's index in a collection; 0 for a single font


def find_font(settings: Settings) -> CardFont:
    """The configured font, or the first well-known one installed. A configured font that cannot serve is
    an error, never a silent fallback to another: the province chose it."""
    configured = settings.certificate_font_file
    if configured is not None:
        font = _usable(configured)
        if font is None:
            log.warning("certificate_font_file %s is missing, unreadable or has no Chinese glyphs", configured)
            raise CardFontUnusable()
        return font
    for path in FONT_CANDIDATES:
        font = _usable(path)
        if font is not None:
            return font
    raise CardFontMissing()


def _usable(path: Path) -> CardFont | None:
    try:
        if path.suffix.lower() not in FONT_SUFFIXES or not path.is_file():
            return None
        stat = path.stat()
    except OSError:
        return None
    return _chinese_face(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _chinese_face(path: str, _mtime_ns: int, _size: int) -> CardFont | None:
    """The face to print with: in a collection, the Simplified Chinese one (Noto's "… CJK SC") if it has
    every glyph of FONT_PROBE, else the first face that has them. Names are read before the (large) CJK
    character maps, so usually one map is parsed. The file's time and size are in the cache key, so a
    replaced font is looked at again."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.ttCollection import TTCollection

    needed = {ord(c) for c in FONT_PROBE}
    try:
        with open(path, "rb") as file:
            collection = file.read(4) == b"ttcf"
        faces = TTCollection(path, lazy=True).fonts if collection else [TTFont(path, lazy=True)]
        simplified_first = sorted(range(len(faces)), key=lambda i: (
            not str(faces[i]["name"].getDebugName(1) or "").endswith(("SC", "GB")), i))
        for index in simplified_first:
            if needed <= (faces[index].getBestCmap() or {}).keys():
                return CardFont(path=Path(path), face=index)
    except Exception:  # fontTools raises many kinds on a damaged file; each means "not usable"
        log.warning("font %s could not be read", path, exc_info=True)
    return None


@dataclass(frozen=True)
class QrPlacement:
    x: float  # the symbol's top-left corner (without its quiet zone), mm from the page's top-left
    y: float
    module: float  # the side of one module, mm
    modules: int  # modules per side


def qr_placement(text: str) -> QrPlacement:
    side = qr_symbol(text).symbol_size(scale=1, border=0)[0]
    module = QR_BOX / (int(side) + 2 * QUIET_MODULES)
    return QrPlacement(x=QR_X + QUIET_MODULES * module, y=QR_Y + QUIET_MODULES * module, module=module,
                       modules=int(side))




def _sex(id_number: str) -> str:
    # GB 11643-1999: the 17th character is odd for men, even for women.
    return ("男" if int(id_number[16]) % 2 else "女") if len(id_number) == 18 and id_number[16].isdigit() else ""


def _subject_rows(certificate: Certificate) -> list[tuple[str, str]]:
    if certificate.kind == Kind.SPECIAL_OPERATIONS:
        return [("作业类别", catalogue.operation_category(certificate.item)),
                ("操作项目", f"{certificate.item_name}（{certificate.item}）")]
    labels = catalogue.competence_labels(certificate.item)
    if labels is None:
        return [("人员类别", certificate.item_name)]
    return [("人员类别", labels[0]), ("行业类别", labels[1])]


class _Card:
    def __init__(self, font: CardFont) -> None:
        pdf = self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.add_font(FAMILY, fname=font.path, collection_font_number=font.face)
        pdf.set_lang("zh-CN")
        pdf.set_creator("examsvc")
        pdf.add_page()

    def text(self, x: float, y: float, text: str, *, size: float, width: float | None = None,
             align: str = "L", ink: tuple[int, int, int] = INK, bold: bool = False) -> None:
        """``text`` with its top at (x, y); made smaller, then cut with "…", to fit ``width``."""
        pdf = self.pdf
        pdf.set_font(FAMILY, size=size)
        if width is not None:
            while pdf.get_string_width(text) > width and size > 6:
                size -= 0.5
                pdf.set_font_size(size)
            while pdf.get_string_width(text) > width and len(text) > 1:
                text = text[:-2] + "…"
        pdf.set_text_color(*ink)
        if bold:  # one face only: stroke the outlines to darken the title
            pdf.text_mode = TextMode.FILL_STROKE
            pdf.set_draw_color(*ink)
            pdf.set_line_width(0.12)
        line = size * 0.3528  # points to millimetres
        pdf.set_xy(x, y)
        pdf.cell(w=width or 0, h=line * 1.3, text=text, align=align)
        pdf.text_mode = TextMode.FILL

    def frame(self, y: float, caption: str) -> None:
        pdf = self.pdf
        self.text(CARD_X, y - 6, caption, size=8, ink=GREY)
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.3)
        pdf.rect(CARD_X, y, CARD_W, CARD_H, style="D", round_corners=True, corner_radius=4)

    def rule(self, x1: float, y: float, x2: float, width: float = 0.2) -> None:
        self.pdf.set_draw_color(*RULE)
        self.pdf.set_line_width(width)
        self.pdf.line(x1, y, x2, y)

    def qr(self, text: str) -> None:
        """Dark modules as filled rectangles, a row's run of them as one: vector, sharp at any print size."""
        pdf, place = self.pdf, qr_placement(text)
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(QR_X, QR_Y, QR_BOX, QR_BOX, style="F")
        pdf.set_fill_color(0, 0, 0)
        for row, modules in enumerate(qr_symbol(text).matrix_iter(scale=1, border=0)):
            run_start: int | None = None
            for column, dark in enumerate([*modules, 0]):
                if dark and run_start is None:
                    run_start = column
                elif not dark and run_start is not None:
                    pdf.rect(place.x + run_start * place.module, place.y + row * place.module,
                             (column - run_start) * place.module, place.module, style="F")
                    run_start = None


def _front(card: _Card, certificate: Certificate, id_number: str, settings: Settings) -> None:
    x, y = CARD_X, FRONT_Y
    card.frame(y, "正面（沿外框裁下）")
    card.text(x, y + 6, TITLES[Kind(certificate.kind)], size=17, width=CARD_W, align="C", ink=TITLE_INK, bold=True)
    card.rule(x + 8, y + 17.5, x + CARD_W - 8, 0.4)
    card.pdf.set_draw_color(*RULE)
    card.pdf.set_dash_pattern(dash=1, gap=1)
    card.pdf.rect(x + 8, y + 25, 25, 35, style="D")
    card.pdf.set_dash_pattern()
    card.text(x + 8, y + 40, "照片", size=9, width=25, align="C", ink=GREY)
    rows = [("姓名", certificate.holder_name), ("性别", _sex(id_number)), ("身份证号", masked(id_number)),
            ("证号", certificate.number), *_subject_rows(certificate),
            ("初次领证日期", certificate.first_issued_on.isoformat()),
            ("有效期限", f"{certificate.first_issued_on.isoformat()} 至 {certificate.expires_on.isoformat()}")]
    if certificate.kind == Kind.SPECIAL_OPERATIONS and certificate.review_due is not None:
        rows.append(("复审期限", f"{certificate.review_due.isoformat()} 前"))
    if certificate.sequence > 1:
        rows.append(("补发序号", str(certificate.sequence)))
    step = min(7.0, 72.0 / len(rows))
    for n, (label, value) in enumerate(rows):
        top = y + 23 + n * step
        card.text(x + 38, top, label, size=9, width=21, ink=GREY)
        card.text(x + 60, top, value, size=10, width=QR_X - x - 62)
    card.qr(certificate.form_text)
    card.text(QR_X, QR_Y + QR_BOX + 1, "扫码核验（离线可验签名）", size=7.5, width=QR_BOX, align="C", ink=GREY)
    card.rule(x + 8, y + CARD_H - 11, x + CARD_W - 8)
    card.text(x + 8, y + CARD_H - 9, f"发证机关：{settings.certificate_authority_name}", size=9.5,
              width=CARD_W - 16)


def _records(certificate: Certificate, settings: Settings) -> list[tuple[date, str]]:
    wanted, _ = RECORD_EVENTS[Kind(certificate.kind)]
    local = zone(settings.timezone)
    return [(event.at.astimezone(local).date(), (event.reason.splitlines() or [""])[0])
            for event in certificate.events if event.event == wanted]


def _back(card: _Card, certificate: Certificate, settings: Settings) -> None:
    x, y = CARD_X, BACK_Y
    kind = Kind(certificate.kind)
    card.frame(y, "背面")
    _, heading = RECORD_EVENTS[kind]
    card.text(x, y + 6, heading, size=14, width=CARD_W, align="C", ink=TITLE_INK, bold=True)
    records = _records(certificate, settings)
    shown: Sequence[tuple[date, str]] = records[-RECORD_ROWS:]
    left, right, top, step = x + 8, x + CARD_W - 8, y + 17, 8.0
    card.text(left + 1, top + 1.5, "序", size=8.5, ink=GREY)
    card.text(left + 10, top + 1.5, "日期", size=8.5, ink=GREY)
    card.text(left + 40, top + 1.5, "记录", size=8.5, ink=GREY)
    first = len(records) - len(shown)
    for n in range(RECORD_ROWS + 1):
        card.rule(left, top + 7 + n * step, right)
    for n, (day, reason) in enumerate(shown):
        row_top = top + 7 + n * step + 2
        card.text(left + 1, row_top, str(first + n + 1), size=9)
        card.text(left + 10, row_top, day.isoformat(), size=9)
        card.text(left + 40, row_top, reason, size=9, width=right - left - 41)
    if first:
        card.text(left, top + 8 + RECORD_ROWS * step, f"另有更早的记录 {first} 条，见发证机关台账。", size=7.5,
                  ink=GREY)
    card.text(left, y + CARD_H - 24, NOTES[kind], size=8.5, width=right - left)
    card.text(left, y + CARD_H - 18, "核验：扫描正面二维码，或在发证机关的证书核验页面输入证号与姓名。", size=8.5,
              width=right - left)
    card.rule(left, y + CARD_H - 11, right)
    card.text(left, y + CARD_H - 9, f"发证机关：{settings.certificate_authority_name}", size=9.5, width=right - left)


def render(db_session: Session, certificate: Certificate, settings: Settings) -> bytes:
    """The card as a one-page PDF (A4, front above back). Raises ``CardFontMissing`` (503) when no CJK font
    can be found: nothing is written anywhere."""
    font = find_font(settings)
    holder = db_session.get(Candidate, certificate.candidate_id)
    id_number = holder.id_number if holder is not None else ""
    card = _Card(font)
    card.pdf.set_title(f"{TITLES[Kind(certificate.kind)]} {certificate.number}")
    card.pdf.set_subject(f"{certificate.holder_name} {certificate.item_name}")
    _front(card, certificate, id_number, settings)
    _back(card, certificate, settings)
    card.text(CARD_X, PAGE_H - 18, f"证号 {certificate.number}，第 {certificate.sequence} 次签发的卡面；"
              "以二维码及发证机关记录为准，旧卡面在补证后失效。", size=7.5, ink=GREY, width=CARD_W)
    return bytes(card.pdf.output())
