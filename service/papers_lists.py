"""Depot loading lists (出库单) and shelter receipt lists (接收清单), a page each.

A storekeeper loads truck by truck in the order of the list (bay, start, load-by time, the
driver sheet's number); a shelter manager checks each arrival against its code and writes
the quantity received beside the quantity expected, then signs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from service.i18n import Lang
from service.papers_data import LoadingList, Papers, ReceiptList
from service.papers_page import (
    _one,
    blank,
    head_html,
    item_label,
    lab_inline,
    load_grid,
    load_table,
    meta_common,
    page_html,
    place_html,
    signs,
    table,
    time_cell,
    unit_name,
    weight_volume,
)
from service.papers_svg import depot_svg, qr_svg
from service.papers_text import at, e, lab, qty, words
from service.sheets_text import class_name, mode_name


def _totals_row(totals: Mapping[str, float], lang: Lang, span: int, after: int) -> str:
    """A row with the totals per item (never a sum across units)."""
    return (
        f'<tr class="totals"><td colspan="{span}"><b>{lab("totals", lang)}</b></td>'
        f"<td>{load_table(totals, lang)}</td>" + "<td></td>" * after + "</tr>"
    )


def loading_html(lst: LoadingList, papers: Papers, lang: Lang) -> str:
    """One depot's loading list as a page."""
    one = _one(lang)
    rows = []
    for n, r in enumerate(lst.rows, start=1):
        cls = class_name(r.vehicle_class, one) if r.vehicle_class else ""
        rows.append(
            f"<tr><td>{n}</td><td><b>{e(r.bay if r.bay is not None else '—')}</b></td>"
            f"<td>{time_cell(papers.report, r.load_start_h, lang)}</td>"
            f"<td><b>{time_cell(papers.report, r.loaded_by_h, lang)}</b></td>"
            f'<td><b>{e(r.vehicle)}</b><div class="small">{e(cls)}</div>'
            f'<div class="small">{lab_inline("plate", lang)} {blank(14)}</div></td>'
            f"<td>{e(r.sheet)}<div class='small'>{e(words('trip', one, n=r.trip))}</div></td>"
            f"<td>{place_html(r.to, lang, contact=False)}</td>"
            f"<td>{load_grid(r.items, lang)}"
            f'<div class="small">{weight_volume(r.kg, r.litres, lang)}</div></td>'
            f"<td></td></tr>"
        )
    if lst.rows:
        rows.append(_totals_row(lst.totals(), lang, 7, 1))
    heads = [
        lab("no", lang),
        lab("bay", lang),
        lab("load_start", lang),
        lab("load_by", lang),
        lab("vehicle", lang),
        lab("sheet_no", lang),
        lab("to", lang),
        lab("items", lang),
        lab("sign", lang),
    ]
    meta = meta_common(papers, lang)
    head = head_html(
        "loading_list", lst.number, meta, lang, qr=qr_svg(lst.number), anchor=lst.number
    )
    depot = (
        f'<table class="info"><colgroup><col style="width:24mm"><col></colgroup>'
        f"<tr><th>{lab('depot', lang)}</th><td>{place_html(lst.depot, lang)}</td></tr></table>"
    )
    sheets = [s for s in papers.sheets if s.depot.id == lst.depot.id]
    svg = depot_svg(lst.depot, sheets, papers.directory.roads, lang, height=200)
    if svg:
        depot = (
            f'<div class="top">{depot}<figure class="map">{svg}'
            f"<figcaption>{lab('depot_map', lang)}</figcaption></figure></div>"
        )
    return (
        f'<section class="page loading">{head}{depot}'
        + table(heads, (4, 5, 10, 10, 14, 7, 15, 27, 8), rows)
        + signs(("keeper_sign", "dispatcher_sign", "date_sign"), lang)
        + "</section>"
    )


def receipt_html(lst: ReceiptList, papers: Papers, lang: Lang) -> str:
    """One shelter's receipt list as a page."""
    one = _one(lang)
    rows = []
    for n, a in enumerate(lst.arrivals, start=1):
        via = ""
        if a.via is not None:
            mode = mode_name(a.mode, one)
            via = (
                f'<div class="small">{lab_inline("via", lang)} '
                f"{e(a.via.name or a.via.id)} · {e(mode)}</div>"
            )
        status = (
            f'<div class="small">{e(words("delivered", one))}</div>'
            if a.status == "delivered"
            else ""
        )
        span = max(len(a.items), 1)
        arrival = (
            f'<td rowspan="{span}">{n}</td>'
            f'<td rowspan="{span}"><b>{time_cell(papers.report, a.arrive_h, lang)}</b>{status}</td>'
            f'<td rowspan="{span}"><b>{e(a.vehicle)}</b><div class="small">'
            f"{lab_inline('plate', lang)} {blank(14)}</div></td>"
            f'<td rowspan="{span}">{e(a.depot.name or a.depot.id)}'
            f"<div class='small'>{e(a.depot.id)}</div>{via}"
            f'<div class="small">{weight_volume(a.kg, a.litres, lang)}</div></td>'
            f'<td rowspan="{span}"><div class="qrbox" style="width:14mm">{qr_svg(a.code)}</div>'
            f'<div class="small">{e(a.code.split("/", 1)[-1])}</div></td>'
        )
        items = list(a.items.items()) or [("", 0.0)]
        for k, (item, q) in enumerate(items):
            cells = (
                f"<td>{item_label(item, lang)}</td>"
                f'<td class="num">{e(qty(q))} {e(unit_name(item, lang))}</td><td></td>'
            )
            sign = f'<td rowspan="{span}"></td>' if k == 0 else ""
            first = ' class="arrival"' if k == 0 else ""
            rows.append(f"<tr{first}>{arrival if k == 0 else ''}{cells}{sign}</tr>")
    if lst.arrivals:
        totals = lst.totals()
        for k, (item, q) in enumerate(totals.items()):
            head_cell = (
                f'<td colspan="5" rowspan="{len(totals)}"><b>{lab("totals", lang)}</b></td>'
                if k == 0
                else ""
            )
            rows.append(
                f'<tr class="totals">{head_cell}<td>{item_label(item, lang)}</td>'
                f'<td class="num">{e(qty(q))} {e(unit_name(item, lang))}</td><td></td>'
                + (f'<td rowspan="{len(totals)}"></td>' if k == 0 else "")
                + "</tr>"
            )
    heads = [
        lab("no", lang),
        lab("expected", lang),
        lab("vehicle", lang),
        lab("from_depot", lang),
        lab("code", lang),
        lab("items", lang),
        lab("expected_qty", lang),
        lab("received_qty", lang),
        lab("sign", lang),
    ]
    meta = meta_common(papers, lang)
    head = head_html(
        "receipt_list", lst.number, meta, lang, qr=qr_svg(lst.number), anchor=lst.number
    )
    people = (
        f"<tr><th>{lab('people', lang)}</th><td>{e(qty(lst.people))}</td></tr>"
        if lst.people
        else ""
    )
    shelter = (
        f'<table class="info"><colgroup><col style="width:24mm"><col></colgroup>'
        f"<tr><th>{lab('shelter', lang)}</th><td>{place_html(lst.shelter, lang)}</td></tr>"
        f"{people}</table>"
    )
    return (
        f'<section class="page receipt">{head}{shelter}'
        + table(heads, (4, 11, 14, 15, 11, 17, 10, 9, 9), rows, "receipts")
        + signs(("receiver_sign", "driver_sign", "date_sign"), lang)
        + "</section>"
    )


def _index(
    title_key: str, papers: Papers, rows: Sequence[tuple[str, str, str, str, str]], lang: Lang
) -> str:
    """An index page: number, place, county, how many loads, first time."""
    first_key = "first_load" if title_key == "loading_list" else "first_arrival"
    place_key = "depot" if title_key == "loading_list" else "shelter"
    body = [
        f'<tr><td><a href="#{e(n)}">{e(n)}</a></td><td>{e(place)}</td><td>{e(county)}</td>'
        f"<td class='num'>{e(count)}</td><td>{e(first)}</td></tr>"
        for n, place, county, count, first in rows
    ]
    heads = [
        lab("sheet_no", lang),
        lab(place_key, lang),
        lab("county", lang),
        lab("loads", lang),
        lab(first_key, lang),
    ]
    meta = " · ".join(f"{lab_inline(k, lang)} {v}" for k, v in meta_common(papers, lang))
    return (
        f'<section class="page index"><div class="head"><div>'
        f"<h1>{lab(title_key, lang)} · {lab('index', lang)}</h1>"
        f'<div class="meta">{meta}</div></div></div>'
        + table(heads, (12, 40, 18, 10, 20), body, "toc")
        + "</section>"
    )


def render_loading_lists(papers: Papers, lang: Lang = Lang.BOTH) -> str:
    """Every depot's loading list, after an index."""
    rows = [
        (
            lst.number,
            f"{lst.depot.name} {lst.depot.id}".strip(),
            lst.depot.county,
            str(len(lst.rows)),
            at(papers.report, lst.rows[0].load_start_h) if lst.rows else "",
        )
        for lst in papers.loading
    ]
    body = _index("loading_list", papers, rows, lang) + "".join(
        loading_html(lst, papers, lang) for lst in papers.loading
    )
    return page_html(words("loading_list", _one(lang)), body, lang)


def render_receipt_lists(papers: Papers, lang: Lang = Lang.BOTH) -> str:
    """Every shelter's receipt list, after an index."""
    rows = [
        (
            lst.number,
            f"{lst.shelter.name} {lst.shelter.id}".strip(),
            lst.shelter.county,
            str(len(lst.arrivals)),
            at(papers.report, lst.arrivals[0].arrive_h) if lst.arrivals else "",
        )
        for lst in papers.receipts
    ]
    body = _index("receipt_list", papers, rows, lang) + "".join(
        receipt_html(lst, papers, lang) for lst in papers.receipts
    )
    return page_html(words("receipt_list", _one(lang)), body, lang)
