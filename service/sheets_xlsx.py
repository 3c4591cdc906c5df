"""The dispatch workbook (sheets.xlsx): Summary, Stops, Unserved, Transfers."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from service.i18n import Lang
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
from service.sheets_text import item_name, reason_label, report_time, text, wall_clock

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
        ws.append(list(row))
    for col in hour_cols:
        letter = get_column_letter(col)
        for cell in ws[letter][1:]:
            cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    _fit_columns(ws, [headers, *body])


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


def build_workbook(doc: Mapping[str, Any], lang: Lang = Lang.BOTH) -> Workbook:
    """The XLSX workbook: Summary, Stops, Unserved and Transfers sheets."""
    check_plan(doc)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = text("summary", lang)
    _summary_sheet(summary, doc, lang)
    _stops_sheet(wb.create_sheet(text("stops_sheet", lang)), doc, lang)
    _table_sheet(wb.create_sheet(text("unserved_sheet", lang)), *unserved_table(doc, lang))
    report = report_time(doc)
    _table_sheet(wb.create_sheet(text("transfers_sheet", lang)), *transfer_table(doc, lang, report))
    return wb
