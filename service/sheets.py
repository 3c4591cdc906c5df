"""Dispatch sheets from a plan document: a CSV for Excel, an XLSX workbook and printable HTML.

The input is the dispatch plan document (``plan.json``, see :mod:`scenarios.dispatch_doc`).
Every time in a plan is hours after the disaster report; the sheets show both the offset
("+3.50 h") and the wall-clock time at the place of the scenario ("2024-07-30 21:30").

:func:`write_sheets` writes ``sheets.csv`` (UTF-8 with BOM, one row per stop),
``sheets.xlsx`` (Summary, Stops, Unserved and Transfers sheets) and ``sheets.html`` (a
cover page with the KPIs, then one signed dispatch sheet per vehicle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geodata.io import write_atomic
from service.i18n import Lang
from service.sheets_html import render_html
from service.sheets_rows import check_plan, render_csv
from service.sheets_text import CSV_NAME, HTML_NAME, PLAN_KIND, XLSX_NAME, reason_label, wall_clock
from service.sheets_xlsx import build_workbook


def write_sheets(doc: dict[str, Any], out: Path, lang: Lang = Lang.BOTH) -> list[Path]:
    """Write ``sheets.csv``, ``sheets.xlsx`` and ``sheets.html`` into the folder ``out``.

    Each file is written atomically (a temporary file moved into place), so an old sheet
    is never left half-overwritten. Returns the paths written.

    Raises
    ------
    DataError
        When ``doc`` is not a dispatch plan document (``field="plan"``) or is malformed.
    """
    check_plan(doc)
    out = Path(out)
    csv_bytes = render_csv(doc, lang).encode("utf-8-sig")
    workbook = build_workbook(doc, lang)
    html_bytes = render_html(doc, lang).encode("utf-8")
    return [
        write_atomic(out / CSV_NAME, lambda tmp: tmp.write_bytes(csv_bytes)),
        write_atomic(out / XLSX_NAME, lambda tmp: workbook.save(tmp)),
        write_atomic(out / HTML_NAME, lambda tmp: tmp.write_bytes(html_bytes)),
    ]


__all__ = [
    "CSV_NAME",
    "HTML_NAME",
    "PLAN_KIND",
    "XLSX_NAME",
    "build_workbook",
    "check_plan",
    "reason_label",
    "render_csv",
    "render_html",
    "wall_clock",
    "write_sheets",
]
