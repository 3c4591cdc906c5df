"""Driver sheets (司机调度单): one vehicle per A4 page, in the shape of a route report.

Each sheet names the truck (plate, driver and phone to fill in), its depot (name, address,
bay and load-by time), every stop (name, address, contact) with the leg's distance and time,
the arrival against the 10/12-h targets, a line for every return to reload, the load's
weight and volume against the truck's limits, a small route map, and a QR code per stop that
the shelter scans or copies at receipt.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.i18n import Lang, pick
from service.papers_data import DriverSheet, Papers, Visit
from service.papers_page import (
    _one,
    blank,
    head_html,
    lab_inline,
    load_grid,
    meta_common,
    page_html,
    place_html,
    signs,
    table,
    time_cell,
    weight_volume,
)
from service.papers_svg import qr_svg, route_svg
from service.papers_text import at, e, hour_unit, lab, qty, road_label, two, words
from service.sheets_text import class_name, mode_name

#: Column widths (% of the 190 mm text block) of the stop table.
STOP_WIDTHS = (4, 14, 11, 21, 12, 29, 9)


def _share(value: float | None, limit: float | None) -> str:
    """The share of a limit as " (87%)", or ""."""
    if value is None or not limit:
        return ""
    return f" ({100 * value / limit:.0f}%)"


def _info(sheet: DriverSheet, papers: Papers, lang: Lang) -> str:
    """The truck and depot box."""
    one = _one(lang)
    cls = class_name(sheet.vehicle_class, one) if sheet.vehicle_class else ""
    first = next((v for v in sheet.visits if v.bay is not None or v.loaded_by_h), None)
    load = ""
    if first is not None:
        load = (
            f"{lab_inline('bay', lang)} {e(first.bay if first.bay is not None else '—')} · "
            f"{lab_inline('load_start', lang)} {e(at(papers.report, first.load_start_h))} · "
            f"{lab_inline('load_by', lang)} <b>{e(at(papers.report, first.loaded_by_h))}</b>"
        )
    kgs = [v.kg for v in sheet.visits if v.kg is not None]
    litres = [v.litres for v in sheet.visits if v.litres is not None]
    most = ""
    if kgs or litres:
        kg_max = max(kgs) if kgs else None
        l_max = max(litres) if litres else None
        most = (
            weight_volume(kg_max, None, lang)
            + _share(kg_max, sheet.capacity_kg)
            + " · "
            + weight_volume(None, l_max, lang)
            + _share(l_max, sheet.capacity_litres)
        )
    drive = []
    if sheet.km is not None:
        drive.append(f"{qty(round(sheet.km, 1), 1)} {words('km', one)}")
    if sheet.drive_h is not None:
        drive.append(f"{sheet.drive_h:.1f} {words('hours', one)}")
    rows = [
        (
            "vehicle",
            f"<b>{e(sheet.vehicle)}</b> · {e(cls)}",
        ),
        (
            "plate",
            f"{blank(22)} {lab_inline('driver', lang)} {blank(18)} "
            f"{lab_inline('phone', lang)} {blank(22)}",
        ),
        ("depot", place_html(sheet.depot, lang)),
        ("bay", load or "—"),
        (
            "capacity",
            weight_volume(sheet.capacity_kg, sheet.capacity_litres, lang)
            + (f"<br>{lab_inline('max_load', lang)}: {most}" if most else ""),
        ),
        ("drive", e(" · ".join(drive)) or "—"),
    ]
    body = "".join(f"<tr><th>{lab(k, lang)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="info"><colgroup><col style="width:24mm"><col></colgroup>{body}</table>'


def _target_cell(v: Visit, papers: Papers, lang: Lang) -> str:
    """Arrival, the stop's own deadline, and each target met (√) or missed (×) as the plan says.

    Missed targets are the plan's (``late[].missed_targets_h``); nothing is recomputed.
    """
    out = f"{time_cell(papers.report, v.final_arrive_h or v.arrive_h, lang)}"
    unit = hour_unit(lang)
    if v.by_h is not None:
        out += (
            f'<div class="small">{lab_inline("arrive_by", lang)} '
            f"{v.by_h:g} {unit} = {e(at(papers.report, v.by_h))}</div>"
        )
    if v.status == "planned":
        marks = [
            f'<span class="bad mark">{t:g}{unit}×</span>'
            if t in v.missed
            else f'<span class="ok mark">{t:g}{unit}√</span>'
            for t in papers.targets_h
        ]
        out += f"<div>{' '.join(marks)}</div>"
    if v.missed and v.met_h is not None:
        out += f'<div class="small">{lab_inline("met", lang)} {e(at(papers.report, v.met_h))}</div>'
    if v.status == "delivered":
        out += f'<div class="small">{e(words("delivered", _one(lang)))}</div>'
    return out


def _place_cell(v: Visit, lang: Lang) -> str:
    """The place reached, and for a staging point the boat or helicopter leg on."""
    out = place_html(v.place, lang)
    if v.final is not None:
        mode = mode_name(v.mode, _one(lang))
        out += (
            f'<div class="small">{lab_inline("via", lang)} → {e(mode)} → '
            f"<b>{e(v.final.name or v.final.id)}</b> {e(v.final.id)}</div>"
        )
    return out


def _leg_cell(v: Visit, lang: Lang) -> str:
    """Distance and driving time of the leg to this stop."""
    one = _one(lang)
    parts = []
    if v.km is not None:
        parts.append(f"{qty(round(v.km, 1), 1)} {words('km', one)}")
    if v.leave_h is not None and v.arrive_h is not None:
        parts.append(f"{v.arrive_h - v.leave_h:.1f} {words('hours', one)}")
    roads = ""
    if v.roads:
        more = " …" if len(v.roads) > 3 else ""
        names = " → ".join(road_label(r, lang) for r in v.roads[:3])
        roads = f'<div class="small">{e(names)}{more}</div>'
    return "<br>".join(e(p) for p in parts) + roads


def _load_cell(v: Visit, papers: Papers, lang: Lang) -> str:
    """Trip, bay, loading and departure times."""
    one = _one(lang)
    lines = [f"<b>{e(words('trip', one, n=v.trip if v.trip is not None else '—'))}</b>"]
    if v.bay is not None:
        lines.append(f"{lab_inline('bay', lang)} {e(v.bay)}")
    if v.load_start_h is not None:
        lines.append(f"{lab_inline('load_start', lang)} {e(at(papers.report, v.load_start_h))}")
    if v.loaded_by_h is not None:
        lines.append(f"{lab_inline('load_by', lang)} <b>{e(at(papers.report, v.loaded_by_h))}</b>")
    if v.leave_h is not None:
        lines.append(f"{lab_inline('leave', lang)} <b>{e(at(papers.report, v.leave_h))}</b>")
    return "<br>".join(lines)


def _after(v: Visit, is_last: bool, sheet: DriverSheet, papers: Papers, lang: Lang) -> str:
    """The line after a stop: back to the depot to reload, or back at the end of duty."""
    one = _one(lang)
    if v.back_h is None and not (is_last and v.back_km is not None):
        if is_last and sheet.open_end:
            return f'<tr class="reload"><td colspan="7">{lab("open_end", lang)}</td></tr>'
        return ""
    key = "return_end" if is_last else "reload"
    bits = []
    if v.back_km is not None:
        bits.append(f"{qty(round(v.back_km, 1), 1)} {words('km', one)}")
    if v.back_h is not None:
        bits.append(f"{words('arrive', one)} {at(papers.report, v.back_h)}")
    name = sheet.depot.name or sheet.depot.id
    return (
        f'<tr class="reload"><td colspan="7">← <b>{e(words(key, one))}</b> '
        f"{e(name)} · {e(' · '.join(bits))}"
        + (f'<span class="en">{e(words(key, Lang.EN))}</span>' if lang is Lang.BOTH else "")
        + "</td></tr>"
    )


def _stops_table(sheet: DriverSheet, papers: Papers, lang: Lang) -> str:
    """Numbered stops with the reload lines between trips."""
    rows: list[str] = []
    for k, v in enumerate(sheet.visits):
        attr = ' class="late"' if v.missed else ""
        receipt = (
            f'<div class="qrbox" style="width:15mm">{qr_svg(v.code)}</div>'
            f'<div class="small">{e(v.code.split("/", 1)[-1])}</div>'
        )
        rows.append(
            f"<tr{attr}><td><b>{v.no}</b></td><td>{_load_cell(v, papers, lang)}</td>"
            f"<td>{_leg_cell(v, lang)}</td><td>{_place_cell(v, lang)}</td>"
            f"<td>{_target_cell(v, papers, lang)}</td>"
            f"<td>{load_grid(v.items, lang)}"
            f'<div class="small">{weight_volume(v.kg, v.litres, lang)}</div></td>'
            f"<td>{receipt}</td></tr>"
        )
        rows.append(_after(v, k == len(sheet.visits) - 1, sheet, papers, lang))
    heads = [
        lab("no", lang),
        lab("load_leave", lang),
        lab("leg", lang),
        lab("stop", lang),
        lab("arrive", lang),
        lab("items", lang),
        lab("receipt", lang),
    ]
    return table(heads, STOP_WIDTHS, rows, "stops")


def sheet_html(sheet: DriverSheet, papers: Papers, lang: Lang) -> str:
    """One driver sheet as a page."""
    meta = [*meta_common(papers, lang)]
    sc = pick(papers.scenario_zh or papers.scenario, papers.scenario, _one(lang))
    if sc:
        meta.append(("scenario", e(sc)))
    head = head_html(
        "driver_sheet",
        sheet.number,
        meta,
        lang,
        qr=qr_svg(f"{sheet.visits[0].code.rsplit('/', 1)[0]}" if sheet.visits else sheet.number),
        anchor=f"s{sheet.number}",
    )
    svg = route_svg(sheet, papers.directory.roads, lang)
    figure = f'<figure class="map">{svg}<figcaption>{lab("route_map", lang)}</figcaption></figure>'
    top = f'<div class="top">{_info(sheet, papers, lang)}{figure if svg else ""}</div>'
    return (
        f'<section class="page sheet">{head}{top}{_stops_table(sheet, papers, lang)}'
        f'<div class="small">√ {e(words("on_time", _one(lang)))} · '
        f"× {e(words('late', _one(lang)))}</div>"
        f"{signs(('driver_sign', 'dispatcher_sign', 'date_sign'), lang)}</section>"
    )


def index_html(papers: Papers, sheets: Sequence[DriverSheet], lang: Lang, cover: str = "") -> str:
    """The index page: every driver sheet with its depot, first loading and stops."""
    one = _one(lang)
    rows = []
    for s in sheets:
        first = s.visits[0] if s.visits else None
        stops = " → ".join(v.place.name or v.place.id for v in s.visits)
        rows.append(
            f'<tr><td><a href="#s{e(s.number)}">{e(s.number)}</a></td><td>{e(s.vehicle)}</td>'
            f"<td>{e(s.depot.name or s.depot.id)}</td>"
            f"<td>{e(at(papers.report, first.loaded_by_h if first else None))}</td>"
            f"<td>{e(stops)}</td>"
            f"<td class='num'>{e(qty(round(s.km, 1), 1) if s.km is not None else '')}</td></tr>"
        )
    heads = [
        lab("sheet_no", lang),
        lab("vehicle", lang),
        lab("depot", lang),
        lab("load_by", lang),
        lab("stops", lang),
        two(f"{words('drive', Lang.ZH)}(公里)", "Driving (km)", lang),
    ]
    title = f"<h1>{lab('driver_sheet', lang)} · {lab('index', lang)}</h1>"
    meta = " · ".join(f"{lab_inline(k, lang)} {v}" for k, v in meta_common(papers, lang))
    sc = pick(papers.scenario_zh or papers.scenario, papers.scenario, one)
    return (
        f'<section class="page index"><div class="head"><div>{title}'
        f'<div class="meta">{e(sc)} · {meta}</div></div></div>{cover}'
        + f"<h2>{lab('index', lang)}</h2>"
        + table(heads, (8, 20, 22, 12, 28, 10), rows, "toc")
        + "</section>"
    )


def render_driver_sheets(papers: Papers, lang: Lang = Lang.BOTH, cover: str = "") -> str:
    """The driver sheets as one printable HTML document.

    The index (after ``cover``, HTML) comes first, then a page per vehicle.
    """
    body = index_html(papers, papers.sheets, lang, cover) + "".join(
        sheet_html(s, papers, lang) for s in papers.sheets
    )
    title = f"{words('driver_sheet', _one(lang))} – {papers.scenario_zh or papers.scenario}"
    return page_html(title, body, lang)
