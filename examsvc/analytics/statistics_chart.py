"""Charts of the statistics as server-side SVG: no script, no library, nothing fetched (the page's CSP allows
neither inline styles nor other origins, so colours are SVG presentation attributes).

Each chart is one ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>`` (the figures
in words); the table beside it is the accessible alternative and holds every number. Text from the data
(an institution's or an employer's name) is escaped."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = "#2f5f98"
PASSED = "#3f7f3f"
GRID = "#c4c4c4"
INK = "#1b1b1b"
MAX_BARS = 30  # beyond this a chart is unreadable; the table has them all
LABEL_CHARS = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1 for a rate
    text: str  # the figure as printed beside the bar


@dataclass(frozen=True)
class Column:
    label: str
    sat: int
    passed: int


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _open(ident: str, width: int, height: int, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{ident}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{ident}-title {ident}-desc">'
            f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>')


def rate_bars(ident: str, title: str, bars: list[Bar]) -> Markup:
    """Horizontal bars, one per group, 0–100 %."""
    shown = bars[:MAX_BARS]
    left, right, row, top = 190, 110, 24, 28
    plot = 420
    width, height = left + plot + right, top + row * max(len(shown), 1) + 24
    more = f"（仅显示前 {MAX_BARS} 组，共 {len(bars)} 组，见下表）" if len(bars) > MAX_BARS else ""
    desc = "；".join(f"{b.label}：{b.text}" for b in shown) + more if shown else "没有数据。"
    parts = [_open(ident, width, height, title, desc)]
    for pct in (0, 25, 50, 75, 100):
        x = left + plot * pct / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}"/>'
                     f'<text x="{x:.1f}" y="{top - 10}" font-size="11" text-anchor="middle" fill="{INK}">{pct}%</text>')
    for n, bar in enumerate(shown):
        y = top + n * row
        length = plot * max(0.0, min(1.0, bar.value))
        parts.append(f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end" fill="{INK}">'
                     f'{escape(_short(bar.label))}</text>'
                     f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{BAR}"/>'
                     f'<text x="{left + length + 4:.1f}" y="{y + 15}" font-size="12" fill="{INK}">'
                     f'{escape(bar.text)}</text>')
    if not shown:
        parts.append(f'<text x="{left}" y="{top + 15}" font-size="12" fill="{INK}">没有数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text from the data went through escape above)


def month_columns(ident: str, title: str, columns: list[Column]) -> Markup:
    """Paired columns per month: sat (参考人次) and passed (合格人次), with a legend."""
    shown = columns[-36:]
    left, top, bottom, plot_h = 48, 20, 56, 200
    step = 62
    width = max(left + step * max(len(shown), 1) + 20, 320)
    height = top + plot_h + bottom
    # Whole-number gridlines: four equal steps up to a round top.
    tick = max(1, -(-max((c.sat for c in shown), default=0) // 4))
    peak = tick * 4
    desc = "；".join(f"{c.label}：参考 {c.sat} 人次，合格 {c.passed} 人次" for c in shown) or "没有数据。"
    parts = [_open(ident, width, height, title, desc)]
    base = top + plot_h
    for k in range(5):
        y = base - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{INK}">'
                     f'{tick * k}</text>')
    for n, column in enumerate(shown):
        x = left + 12 + n * step
        for offset, value, colour in ((0, column.sat, BAR), (18, column.passed, PASSED)):
            h = plot_h * value / peak
            parts.append(f'<rect x="{x + offset}" y="{base - h:.1f}" width="16" height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{x + 17}" y="{base + 16}" font-size="11" text-anchor="middle" fill="{INK}">'
                     f'{escape(column.label)}</text>')
    legend_y = height - 12
    parts.append(f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{BAR}"/>'
                 f'<text x="{left + 16}" y="{legend_y}" font-size="12" fill="{INK}">参考人次</text>'
                 f'<rect x="{left + 90}" y="{legend_y - 10}" width="12" height="12" fill="{PASSED}"/>'
                 f'<text x="{left + 106}" y="{legend_y}" font-size="12" fill="{INK}">合格人次</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text from the data went through escape above)
