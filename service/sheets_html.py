"""The printable dispatch sheets (sheets.html): a cover page, then one sheet per vehicle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from service.i18n import Lang, pick
from service.sheets_rows import (
    Stop,
    _is_number,
    _late_index,
    _num,
    _stop,
    check_plan,
    late_text,
    redispatch_pairs,
    summary_pairs,
    target_rows,
    via_text,
)
from service.sheets_text import (
    class_name,
    hours_text,
    item_name,
    item_unit,
    offset_text,
    quantity_text,
    reason_label,
    report_time,
    text,
    wall_clock,
)

# --- HTML -----------------------------------------------------------------------------------

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "SimSun", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 1px solid #555; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
td.num { text-align: right; white-space: nowrap; }
.time { white-space: nowrap; }
.rel { color: #555; font-size: 9pt; }
.late { background: #fde2e2; }
.newtrip > td { border-top: 2.5px solid #111; }
.load { border: none; margin: 0; width: auto; }
.load td { border: none; padding: 0 1.5mm 0 0; }
.roads { display: block; color: #444; font-size: 8.5pt; margin-top: 1mm; }
td.narrow, th.narrow { width: 7mm; text-align: center; }
.sign { min-width: 20mm; height: 12mm; }
.info th { width: 32mm; }
.footer { margin-top: 8mm; display: flex; gap: 20mm; }
.footer div { flex: 1; border-bottom: 1px solid #111; padding-top: 10mm; }
.sheet { margin-top: 12mm; }
@page { size: A4; margin: 12mm; }
@media print {
  .sheet { page-break-before: always; break-before: page; margin-top: 0; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    """Escaped text of a value for HTML ("" for None)."""
    return "" if value is None else escape(str(value))


def _time_html(report: datetime | None, hours: float | None) -> str:
    """A time cell: the wall clock over the offset after the report."""
    if hours is None:
        return ""
    clock = wall_clock(report, hours)
    rel = f'<span class="rel">{_e(offset_text(hours))}</span>'
    return f'<span class="time">{_e(clock)}</span><br>{rel}' if clock else rel


def _table_html(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table from header texts and already-escaped cell HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(share: float | None) -> str:
    """A share as a percentage ("45.4%")."""
    return "" if share is None else f"{share * 100:.1f}%"


def _cover_html(doc: Mapping[str, Any], lang: Lang) -> str:
    """The cover page: headline figures, targets against the relief check, unserved units."""
    report = report_time(doc)
    parts = [f"<h1>{_e(text('title', lang))}</h1>"]
    pairs = [(label, _e(quantity_text(v))) for label, v in summary_pairs(doc, lang)]
    parts.append(_table_html([text("indicator", lang), text("value", lang)], pairs, "info"))
    rows = [
        [
            _e(quantity_text(t["hours"])),
            _e(wall_clock(report, t["hours"])),
            _e(t["people_total"]),
            _e(t["people_met"]),
            _e(_pct(t["share_met"])),
            _e(_pct(t["check_share"])),
            _e("" if t["gap"] is None else f"{t['gap']:+.1f}"),
        ]
        for t in target_rows(doc)
    ]
    heads = ["target_h", "deadline", "people_total", "people_met", "share_met", "check_share"]
    parts.append(f"<h3>{_e(text('targets', lang))}</h3>")
    parts.append(_table_html([text(h, lang) for h in [*heads, "gap"]], rows))
    by_reason = (doc.get("kpis") or {}).get("unserved_units_by_reason") or {}
    parts.append(f"<h3>{_e(text('by_reason', lang))}</h3>")
    if by_reason:
        reason_rows = [[_e(reason_label(str(r), lang)), _e(n)] for r, n in by_reason.items()]
        parts.append(_table_html([text("reason", lang), text("units", lang)], reason_rows))
    else:
        parts.append(f"<p>{_e(text('none', lang))}</p>")
    red = redispatch_pairs(doc, lang)
    if red:
        parts.append(f"<h3>{_e(text('redispatch', lang))}</h3>")
        red_rows = [[_e(k), _e(v)] for k, v in red]
        parts.append(_table_html([text("indicator", lang), text("value", lang)], red_rows))
    return '<section class="cover">' + "".join(parts) + "</section>"


def _load_html(items: Mapping[str, Any], lang: Lang) -> str:
    """A stop's load as a small table of item, quantity and unit."""
    rows = "".join(
        f'<tr><td>{_e(item_name(k, lang))}</td><td class="num">{_e(quantity_text(q))}</td>'
        f"<td>{_e(item_unit(k, lang))}</td></tr>"
        for k, q in items.items()
    )
    return f'<table class="load">{rows}</table>'


def _destination_html(stop: Stop, report: datetime | None, lang: Lang) -> str:
    """The place the goods go; for a staging stop, the staging point and the air/boat leg."""
    route = (
        f'<span class="roads">{_e(text("roads", lang))}: {_e(" → ".join(stop.roads))}</span>'
        if stop.roads
        else ""
    )
    place = _e(stop.destination) + (f"<br>{_e(stop.name)}" if stop.name else "")
    if not stop.via:
        return place + route
    lines = [
        f"<b>{place}</b>" + route,
        f"{_e(text('via', lang))}: {_e(via_text(stop, lang))}",
    ]
    tr = stop.transfer or {}
    if "craft_trips" in tr:
        lines.append(f"{_e(quantity_text(tr['craft_trips']))} {_e(text('craft_trips', lang))}")
    if _is_number(tr.get("arrive_h")):
        lines.append(f"{_e(text('arrive', lang))} {_time_html(report, _num(tr['arrive_h']))}")
    return "<br>".join(lines)


def _vehicle_html(route: Mapping[str, Any], doc: Mapping[str, Any], lang: Lang) -> str:
    """One dispatch sheet: the vehicle, its stops in order, and signature lines."""
    report = report_time(doc)
    late = _late_index(doc)
    stops = [_stop(s, route, "planned", late) for s in route.get("stops", [])]
    vehicle = str(route.get("vehicle", ""))
    info = [
        (text("vehicle", lang), _e(vehicle)),
        (text("vehicle_class", lang), _e(class_name(str(route.get("vehicle_class", "")), lang))),
        (text("depot", lang), _e(route.get("depot", ""))),
        (text("start", lang), _time_html(report, _num(route.get("start_h")))),
        (text("end", lang), _time_html(report, _num(route.get("end_h")))),
        (text("drive_h", lang), _e(hours_text(_num(route.get("drive_h"))))),
    ]
    if route.get("distance_km") is not None:
        info.append((text("distance_km", lang), _e(quantity_text(route["distance_km"]))))
    info_html = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in info)
    heads = ["stop_no", "trip", "leave", "arrive", "destination", "items", "met", "signature"]
    rows = []
    prev_trip: int | None = None
    for n, s in enumerate(stops, start=1):
        classes = []
        if s.missed:
            classes.append("late")
        if n > 1 and s.trip != prev_trip:
            classes.append("newtrip")
        prev_trip = s.trip
        met = _time_html(report, s.met_h)
        if s.missed:
            met += f"<br><b>{_e(text('late', lang))}: {_e(late_text(s))}</b>"
        cells = [
            _e(n),
            _e(s.trip),
            _time_html(report, s.leave_h),
            _time_html(report, s.arrive_h),
            _destination_html(s, report, lang),
            _load_html(s.items, lang),
            met,
            "",
        ]
        attr = f' class="{" ".join(classes)}"' if classes else ""
        tds = "".join(
            f'<td class="sign">{c}</td>'
            if i == len(cells) - 1
            else f'<td class="narrow">{c}</td>'
            if i < 2
            else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        )
        rows.append(f"<tr{attr}>{tds}</tr>")
    head = "".join(
        f'<th class="narrow">{_e(text(h, lang))}</th>' if i < 2 else f"<th>{_e(text(h, lang))}</th>"
        for i, h in enumerate(heads)
    )
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else f"<p>{_e(text('no_stops', lang))}</p>"
    )
    footer = "".join(
        f"<div>{_e(text(k, lang))}:</div>" for k in ("driver", "dispatcher", "signature")
    )
    title = f"{_e(text('title', lang))} · {_e(vehicle)}"
    return (
        f'<section class="sheet"><h2>{title}</h2><table class="info">{info_html}</table>'
        f'{table}<div class="footer">{footer}</div></section>'
    )


def render_html(doc: Mapping[str, Any], lang: Lang = Lang.BOTH) -> str:
    """The printable HTML: a cover with the KPIs, then one sheet per vehicle by depot."""
    check_plan(doc)
    routes = sorted(
        doc.get("routes", []),
        key=lambda r: (str(r.get("depot", "")), _num(r.get("start_h")) or 0.0),
    )
    sc = doc.get("scenario") or {}
    name = pick(sc.get("name_zh") or "", sc.get("name") or "", lang)
    title = f"{text('title', lang)} – {name}" if name else text("title", lang)
    html_lang = "en" if lang is Lang.EN else "zh-CN"
    body = _cover_html(doc, lang) + "".join(_vehicle_html(r, doc, lang) for r in routes)
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )
