"""The dispatch workbook (sheets.xlsx): Summary, Stops, Loading, Receipts, Unserved, Transfers.

Clock times are Excel date-times (``yyyy-mm-dd hh:mm``, the scenario's local time), hours
after the report are numbers; every table sheet has an autofilter, a frozen header, and a
print setup (A4 landscape, fit to the page width, the header row repeated on every page).
The Loading and Receipts sheets are the depots' loading lists and the shelters' receipt
lists of :mod:`service.papers_data`, one row per truckload, filterable by depot or shelter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from service.i18n import Lang
from service.papers_data import Papers, build_papers
from service.papers_text import words
from service.sheets_rows import (
    STOP_COLUMNS,
    check_plan,
    plan_stops,
    redispatch_pairs,
    stop_record,
    summary_pairs,
    target_rows,
    transfer_table,
    unserved_table,
)
from service.sheets_text import (
    class_name,
    item_name,
    reason_label,
    report_time,
    text,
    wall_clock,
)
from solver.units import to_the_minute

#: The wall-clock text of :func:`~service.sheets_text.wall_clock`, written as an Excel time.
_CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
TIME_FORMAT = "yyyy-mm-dd hh:mm"

# --- XLSX -----------------------------------------------------------------------------------


def _width(value: object) -> int:
    """Display width of a cell value (CJK characters count double)."""
    s = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _fit_columns(ws: Any, rows: Iterable[Sequence[object]]) -> None:
    """Set each column's width to its longest value, within 6 to 60 characters."""
    widths: dict[int, int] = {}
    for row in rows:
        for n, value in enumerate(row, start=1):
            widths[n] = max(widths.get(n, 0), _width(value))
    for n, w in widths.items():
        ws.column_dimensions[get_column_letter(n)].width = min(60, max(6, w + 2))


def _table_sheet(
    ws: Any,
    headers: Sequence[str],
    body: Sequence[Sequence[object]],
    hour_cols: Collection[int] = (),
) -> None:
    """Fill ``ws`` with a bold, frozen header row and the body rows."""
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=False, vertical="center")
    for row in body:
        ws.append([_excel(v) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = TIME_FORMAT
    for col in hour_cols:
        letter = get_column_letter(col)
        for cell in ws[letter][1:]:
            cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    if body:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(body) + 1}"
    _print_setup(ws)
    _fit_columns(ws, [headers, *body])


def _excel(value: object) -> object:
    """A cell value for Excel: a wall-clock text becomes a date-time (naive, local time)."""
    if isinstance(value, str) and _CLOCK.match(value):
        return datetime.strptime(value, "%Y-%m-%d %H:%M")
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _print_setup(ws: Any) -> None:
    """A4 landscape, fit to the page width (any number of pages tall), header row repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def clock(report: datetime | None, hours: float | None) -> datetime | None:
    """The local date-time ``hours`` after ``report``, to the minute, for an Excel cell."""
    if report is None or hours is None:
        return None
    return to_the_minute(report + timedelta(hours=float(hours))).replace(tzinfo=None)


def _summary_sheet(ws: Any, doc: Mapping[str, Any], lang: Lang) -> None:
    """KPIs, the targets met against the relief check, and unserved units by reason."""
    bold = Font(bold=True)
    written: list[Sequence[object]] = []

    def add(row: Sequence[object], *, strong: bool = False) -> None:
        ws.append(list(row))
        written.append(row)
        if strong:
            for cell in ws[ws.max_row]:
                cell.font = bold

    def section(title: str, headers: Sequence[str]) -> None:
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = bold
        add(headers, strong=True)

    add([text("indicator", lang), text("value", lang)], strong=True)
    for pair in summary_pairs(doc, lang):
        add(pair)
    report = report_time(doc)
    heads = ["target_h", "deadline", "people_total", "people_met", "share_met", "check_share"]
    section(text("targets", lang), [text(h, lang) for h in [*heads, "gap"]])
    for t in target_rows(doc):
        add(
            [
                t["hours"],
                wall_clock(report, t["hours"]),
                t["people_total"],
                t["people_met"],
                t["share_met"],
                t["check_share"],
                t["gap"],
            ]
        )
        for col in (5, 6):
            ws.cell(ws.max_row, col).number_format = "0.0%"
    by_reason = (doc.get("kpis") or {}).get("unserved_units_by_reason") or {}
    section(text("by_reason", lang), [text("reason", lang), text("units", lang)])
    for reason, units in by_reason.items():
        add([reason_label(str(reason), lang), units])
    red = redispatch_pairs(doc, lang)
    if red:
        section(text("redispatch", lang), [text("indicator", lang), text("value", lang)])
        for pair in red:
            add(pair)
    ws.freeze_panes = "A2"
    _fit_columns(ws, written)


def _stops_sheet(ws: Any, doc: Mapping[str, Any], lang: Lang) -> None:
    """One row per stop, with a numeric column per item after the load text."""
    report = report_time(doc)
    stops = plan_stops(doc)
    item_ids: list[str] = []
    for s in stops:
        item_ids += [k for k in s.items if k not in item_ids]
    headers = [text(c, lang) for c in STOP_COLUMNS] + [item_name(i, lang) for i in item_ids]
    body = []
    for s in stops:
        rec = stop_record(s, lang, report)
        body.append([rec[c] for c in STOP_COLUMNS] + [s.items.get(i) for i in item_ids])
    hour_cols = {n for n, c in enumerate(STOP_COLUMNS, start=1) if c.endswith("_h")}
    _table_sheet(ws, headers, body, hour_cols)


def _items_of(rows: Iterable[Mapping[str, float]]) -> list[str]:
    """Item ids in order of first appearance."""
    out: list[str] = []
    for items in rows:
        out += [k for k in items if k not in out]
    return out


def _loading_sheet(ws: Any, papers: Papers, lang: Lang) -> None:
    """Every depot's loading list: a row per truckload, in loading order, a column per item."""
    rep = papers.report
    item_ids = _items_of(r.items for lst in papers.loading for r in lst.rows)
    keys = ["sheet_no", "depot", "depot_name", "county", "no", "bay", "load_start", "load_by"]
    keys += ["vehicle", "vehicle_class", "driver_sheet", "trip_no", "to", "to_name", "kg"]
    keys += ["litres"]
    body = [
        [
            lst.number,
            lst.depot.id,
            lst.depot.name,
            lst.depot.county,
            n,
            r.bay,
            clock(rep, r.load_start_h),
            clock(rep, r.loaded_by_h),
            r.vehicle,
            class_name(r.vehicle_class, lang) if r.vehicle_class else "",
            r.sheet,
            r.trip,
            r.to.id,
            r.to.name,
            None if r.kg is None else round(r.kg, 1),
            None if r.litres is None else round(r.litres, 1),
            *[r.items.get(i) for i in item_ids],
        ]
        for lst in papers.loading
        for n, r in enumerate(lst.rows, start=1)
    ]
    heads = [words(k, lang) for k in keys] + [item_name(i, lang) for i in item_ids]
    _table_sheet(ws, heads, body)


def _receipts_sheet(ws: Any, papers: Papers, lang: Lang) -> None:
    """Every shelter's receipt list: a row per arrival by time, with columns to fill in."""
    rep = papers.report
    item_ids = _items_of(a.items for lst in papers.receipts for a in lst.arrivals)
    keys = ["sheet_no", "shelter", "shelter_name", "county", "people", "no", "expected"]
    keys += ["vehicle", "driver_sheet", "code", "from_depot", "depot_name", "via", "kg", "litres"]
    body = [
        [
            lst.number,
            lst.shelter.id,
            lst.shelter.name,
            lst.shelter.county,
            lst.people,
            n,
            clock(rep, a.arrive_h),
            a.vehicle,
            a.sheet,
            a.code,
            a.depot.id,
            a.depot.name,
            a.via.id if a.via is not None else "",
            None if a.kg is None else round(a.kg, 1),
            None if a.litres is None else round(a.litres, 1),
            *[a.items.get(i) for i in item_ids],
            None,
            None,
        ]
        for lst in papers.receipts
        for n, a in enumerate(lst.arrivals, start=1)
    ]
    heads = [words(k, lang) for k in keys] + [item_name(i, lang) for i in item_ids]
    heads += [words("received_qty", lang), words("receiver_sign", lang)]
    _table_sheet(ws, heads, body)


def build_workbook(
    doc: Mapping[str, Any], lang: Lang = Lang.BOTH, *, papers: Papers | None = None
) -> Workbook:
    """The XLSX workbook: Summary, Stops, Loading, Receipts, Unserved and Transfers sheets.

    ``papers`` (of the same ``doc``) adds names and the lists' numbers; by default they are
    built from ``doc`` alone.
    """
    check_plan(doc)
    if papers is None:
        papers = build_papers(doc)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = text("summary", lang)
    _summary_sheet(summary, doc, lang)
    _stops_sheet(wb.create_sheet(text("stops_sheet", lang)), doc, lang)
    _loading_sheet(wb.create_sheet(words("loading_sheet", lang)), papers, lang)
    _receipts_sheet(wb.create_sheet(words("receipts_sheet", lang)), papers, lang)
    _table_sheet(wb.create_sheet(text("unserved_sheet", lang)), *unserved_table(doc, lang))
    report = report_time(doc)
    _table_sheet(wb.create_sheet(text("transfers_sheet", lang)), *transfer_table(doc, lang, report))
    return wb
