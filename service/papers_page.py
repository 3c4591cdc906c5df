"""The printed page shared by every paper: A4 style sheet, embedded font and common cells.

Every width is in millimetres or shares of the A4 text block (190 mm), tables are laid out
fixed and long words wrap anywhere, so that under print emulation no element is wider than
the page (tested in Chromium).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from service.i18n import Lang
from service.papers_font import FAMILY, font_face_css
from service.papers_places import Place
from service.papers_text import at, e, lab, qty, rel, two, words
from service.sheets_text import item_name, item_unit

CSS = """
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "%(family)s", sans-serif; font-size: 9pt; line-height: 1.3; color: #111;
       margin: 0 auto; max-width: 190mm; overflow-wrap: anywhere; }
h1 { font-size: 15pt; margin: 0; }
h2 { font-size: 12pt; margin: 3mm 0 1.5mm; }
.en { display: block; font-size: 0.78em; color: #555; font-weight: normal; line-height: 1.15; }
h1 .en { display: inline; margin-left: 2mm; font-size: 0.6em; }
.page { padding: 0 0 4mm; }
.page + .page { margin-top: 10mm; border-top: 1px dashed #999; padding-top: 6mm; }
.head { display: flex; justify-content: space-between; align-items: flex-start; gap: 4mm;
        border-bottom: 2px solid #111; padding-bottom: 1.5mm; margin-bottom: 2mm; }
.head .meta { font-size: 8.5pt; color: #333; margin-top: 1mm; }
.head .meta b { font-weight: normal; color: #666; }
.qrbox { width: 20mm; flex: none; text-align: center; font-size: 6.5pt; }
svg.qr { width: 100%%; height: auto; display: block; shape-rendering: crispEdges; }
table { border-collapse: collapse; width: 100%%; table-layout: fixed; margin: 0 0 2mm; }
th, td { border: 0.6pt solid #666; padding: 0.8mm 1.1mm; text-align: left; vertical-align: top; }
th { background: #ececec; font-weight: bold; font-size: 8.5pt; }
td.num, th.num { text-align: right; }
.small { font-size: 7.5pt; color: #444; }
.id { font-size: 7.5pt; color: #333; }
.blank { display: inline-block; min-width: 28mm; border-bottom: 0.6pt solid #111;
         height: 3.8mm; vertical-align: bottom; }
.late { background: #fde2e2; }
.mark { white-space: nowrap; margin-right: 1.2mm; }
.ok { color: #1b5e20; font-weight: bold; }
.bad { color: #b71c1c; font-weight: bold; }
.load { border: none; margin: 0; }
.load td { border: none; padding: 0 0.6mm 0.2mm 0; }
.load td.q { text-align: right; white-space: nowrap; width: 40%%; }
.grid { font-size: 8.5pt; line-height: 1.35; }
.grid .it { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.grid small { font-size: 7pt; color: #555; }
table.receipts tr.arrival > td { border-top: 1.4pt solid #111; }
table.receipts tr.totals > td { border-top: 1.4pt solid #111; background: #f4f4f4; }
.reload td { background: #f5f5f5; font-size: 8pt; border-top: 0.6pt dashed #666; }
.info th { width: 24mm; background: #f4f4f4; }
.top { display: flex; gap: 3mm; align-items: flex-start; }
.top > table { flex: 1 1 auto; }
figure.map { flex: none; width: 78mm; margin: 0; border: 0.6pt solid #666; }
figure.map figcaption { font-size: 7.5pt; padding: 0.5mm 1mm; border-top: 0.6pt solid #666; }
svg.routemap { width: 100%%; height: auto; display: block; }
svg.routemap .bg { fill: #fbfbf8; }
svg.routemap .water { stroke: #6fa8dc; stroke-width: 2.2; fill: none; }
svg.routemap .out { stroke: #c62828; stroke-width: 2.4; fill: none; stroke-linejoin: round; }
svg.routemap .back { stroke: #555; stroke-width: 1.4; stroke-dasharray: 4 3; fill: none; }
svg.routemap .depot { fill: #1565c0; stroke: #fff; stroke-width: 1; }
svg.routemap .stop { fill: #fff; stroke: #c62828; stroke-width: 2; }
svg.routemap text { font-family: "%(family)s", sans-serif; font-size: 9px;
                    text-anchor: middle; font-weight: bold; }
svg.routemap .depot-t { fill: #fff; }
svg.routemap .scale path { stroke: #111; stroke-width: 1.5; fill: none; }
svg.routemap .scale text { text-anchor: start; font-weight: normal; }
svg.routemap .scale .halo { fill: #fff; opacity: 0.85; }
svg.routemap .north path { fill: #111; }
.signs { display: flex; gap: 8mm; margin-top: 4mm; }
.signs div { flex: 1; border-bottom: 0.6pt solid #111; padding-top: 8mm; font-size: 8pt; }
.toc td, .toc th { font-size: 8pt; }
a { color: inherit; text-decoration: none; }
@page { size: A4 portrait; margin: 10mm; }
@media print {
  body { max-width: none; }
  .page + .page { break-before: page; margin-top: 0; border-top: none; padding-top: 0; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .head, .top, .signs { break-inside: avoid; }
}
"""


def page_html(title: str, body: str, lang: Lang) -> str:
    """A whole HTML document: ``body`` with the style sheet and the font for its characters."""
    html_lang = "en" if lang is Lang.EN else "zh-CN"
    font = font_face_css(title + body)
    style = CSS % {"family": FAMILY}
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{font}\n{style}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def time_cell(report: datetime | None, hours: float | None, lang: Lang = Lang.BOTH) -> str:
    """A time as the wall clock over the hours after the report."""
    if hours is None:
        return ""
    clock = at(report, hours)
    if report is None:
        return e(clock)
    return f'{e(clock)}<span class="small"> {e(rel(hours, lang))}</span>'


def blank(width_mm: int = 28) -> str:
    """A line to write on."""
    return f'<span class="blank" style="min-width:{width_mm}mm"></span>'


def field_value(value: str, width_mm: int = 28) -> str:
    """A value from the data, or a line to fill in when the data has none."""
    return e(value) if value else blank(width_mm)


def unit_name(item_id: str, lang: Lang) -> str:
    """The counting unit of an item in one language (Chinese unless ``Lang.EN``)."""
    return item_unit(item_id, _one(lang))


def item_label(item_id: str, lang: Lang) -> str:
    """An item's name as HTML: Chinese, English below in the smaller line for both."""
    if lang is Lang.BOTH:
        return two(item_name(item_id, Lang.ZH), item_name(item_id, Lang.EN), lang)
    return e(item_name(item_id, lang))


def load_table(items: Mapping[str, float], lang: Lang, extra: str = "") -> str:
    """A load as rows of item and quantity with its unit; ``extra`` cell per row if given."""
    rows = "".join(
        f"<tr><td>{item_label(k, lang)}</td>"
        f'<td class="q">{e(qty(q))} {e(unit_name(k, lang))}</td>{extra}</tr>'
        for k, q in items.items()
    )
    return f'<table class="load">{rows}</table>' if rows else ""


def load_grid(items: Mapping[str, float], lang: Lang) -> str:
    """A load as one line per item: quantity and unit, then the name (English small after).

    Lines never wrap; an English name too long for the column is cut with an ellipsis, the
    Chinese one and the quantity always show.
    """
    cells = "".join(
        f'<div class="it"><b>{e(qty(q))} {e(unit_name(k, lang))}</b> '
        + (
            f"{e(item_name(k, Lang.ZH))} <small>{e(item_name(k, Lang.EN))}</small>"
            if lang is Lang.BOTH
            else e(item_name(k, lang))
        )
        + "</div>"
        for k, q in items.items()
    )
    return f'<div class="grid">{cells}</div>' if cells else ""


def weight_volume(kg: float | None, litres: float | None, lang: Lang) -> str:
    """Weight and volume ("1,949 公斤 · 11,319 升"), kept apart, never added."""
    parts = []
    if kg is not None:
        parts.append(f"{qty(round(kg))} {words('kg', Lang.EN if lang is Lang.EN else Lang.ZH)}")
    if litres is not None:
        unit = words("litres", Lang.EN if lang is Lang.EN else Lang.ZH)
        parts.append(f"{qty(round(litres))} {unit}")
    return e(" · ".join(parts))


def place_html(place: Place, lang: Lang, *, contact: bool = True) -> str:
    """A place: its name, its id and county, and its address and contact (or lines to fill)."""
    name = f"<b>{e(place.name)}</b><br>" if place.name else ""
    county = f" · {e(place.county)}" if place.county else ""
    out = f'{name}<span class="id">{e(place.id)}</span><span class="small">{county}</span>'
    if contact:
        out += (
            f'<div class="small">{e(words("address", _one(lang)))}: '
            f"{field_value(place.address, 30)}</div>"
            f'<div class="small">{e(words("contact", _one(lang)))}: '
            f"{field_value(place.contact, 14)} {e(words('phone', _one(lang)))}: "
            f"{field_value(place.phone, 16)}</div>"
        )
    return out


def _one(lang: Lang) -> Lang:
    """One language for short inline labels: English only when asked for, else Chinese."""
    return Lang.EN if lang is Lang.EN else Lang.ZH


def table(heads: Sequence[str], widths: Sequence[float], rows: Sequence[str], cls: str = "") -> str:
    """A fixed-layout table: header HTML, column widths in %, and rows already as <tr>."""
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    head = "".join(f"<th>{h}</th>" for h in heads)
    attr = f' class="{cls}"' if cls else ""
    return (
        f"<table{attr}><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def head_html(
    title_key: str,
    number: str,
    meta: Sequence[tuple[str, str]],
    lang: Lang,
    qr: str = "",
    anchor: str = "",
) -> str:
    """A page header: title, sheet number, and (label, value) pairs; a QR code on the right."""
    items = " · ".join(f"<b>{lab_inline(k, lang)}</b> {v}" for k, v in meta)
    qr_html = f'<div class="qrbox">{qr}</div>' if qr else ""
    ident = f' id="{e(anchor)}"' if anchor else ""
    return (
        f'<div class="head"{ident}><div><h1>{lab(title_key, lang)} · '
        f"{e(words('sheet_no', _one(lang)))} {e(number)}</h1>"
        f'<div class="meta">{items}</div></div>{qr_html}</div>'
    )


def lab_inline(key: str, lang: Lang) -> str:
    """A short label on one line: Chinese (or English for ``Lang.EN``)."""
    return e(words(key, _one(lang)))


def signs(keys: Sequence[str], lang: Lang) -> str:
    """Signature lines."""
    return '<div class="signs">' + "".join(f"<div>{lab(k, lang)}</div>" for k in keys) + "</div>"


def meta_common(papers: Any, lang: Lang) -> list[tuple[str, str]]:
    """Version, issue time and report time of the plan, for every header."""
    from service.papers_text import stamp

    out = [("plan_version", e(papers.version)), ("issued", e(stamp(papers.issued)))]
    if papers.report is not None:
        out.append(("report_time", e(stamp(papers.report))))
    return out
