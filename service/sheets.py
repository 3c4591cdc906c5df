"""Dispatch papers from a plan document: driver sheets, loading and receipt lists, a workbook.

The input is the dispatch plan document (``plan.json``, see :mod:`scenarios.dispatch_doc`).
Every time in a plan is hours after the disaster report; the papers show the wall-clock time
at the place of the scenario and the hours after the report.

:func:`write_sheets` writes

* ``sheets.csv`` (UTF-8 with BOM, one row per stop);
* ``sheets.xlsx`` (Summary, Stops, Loading, Receipts, Unserved and Transfers sheets, times as
  Excel times, autofilters, landscape print set up to fit the width);
* ``sheets.html``: the driver sheets (司机调度单), an index then one A4 page per vehicle;
* ``loading.html``: a loading list (出库单) per depot; ``receipts.html``: a receipt list
  (接收清单) per shelter; each after an index;
* ``papers.html``: the front page, every sheet of the three files linked.

The area's :class:`~service.papers_places.Directory` (names, addresses, roads) and the
plan's legs (``scenarios.dispatch_geo.route_lines``) add place names, leg distances and the
route maps; without them the papers print ids and leave those parts out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from geodata.io import write_atomic
from service.i18n import Lang
from service.papers_data import build_papers
from service.papers_index import render_index
from service.papers_lists import render_loading_lists, render_receipt_lists
from service.papers_places import Directory
from service.sheets_html import render_html
from service.sheets_rows import check_plan, render_csv
from service.sheets_text import (
    CSV_NAME,
    HTML_NAME,
    LOADING_NAME,
    PAPERS_NAME,
    PLAN_KIND,
    RECEIPTS_NAME,
    XLSX_NAME,
    reason_label,
    wall_clock,
)
from service.sheets_xlsx import build_workbook


def write_sheets(
    doc: dict[str, Any],
    out: Path,
    lang: Lang = Lang.BOTH,
    *,
    directory: Directory | None = None,
    legs: Any = None,
    issued: datetime | None = None,
) -> list[Path]:
    """Write the CSV, the workbook, the driver sheets and the lists into the folder ``out``.

    Each file is written atomically (a temporary file moved into place), so an old sheet
    is never left half-overwritten. Returns the paths written: ``sheets.csv``,
    ``sheets.xlsx``, ``sheets.html``, ``loading.html``, ``receipts.html``, ``papers.html``.

    Raises
    ------
    DataError
        When ``doc`` is not a dispatch plan document (``field="plan"``) or is malformed.
    """
    check_plan(doc)
    out = Path(out)
    papers = build_papers(doc, directory, legs, issued=issued)
    csv_bytes = render_csv(doc, lang).encode("utf-8-sig")
    workbook = build_workbook(doc, lang, papers=papers)
    pages = {
        HTML_NAME: render_html(doc, lang, papers=papers),
        LOADING_NAME: render_loading_lists(papers, lang),
        RECEIPTS_NAME: render_receipt_lists(papers, lang),
        PAPERS_NAME: render_index(papers, lang),
    }
    paths = [
        write_atomic(out / CSV_NAME, lambda tmp: tmp.write_bytes(csv_bytes)),
        write_atomic(out / XLSX_NAME, lambda tmp: workbook.save(tmp)),
    ]
    for name, page in pages.items():
        paths.append(write_atomic(out / name, _writer(page.encode("utf-8"))))
    return paths


def _writer(data: bytes) -> Callable[[Path], object]:
    """A writer of ``data`` to the temporary path that :func:`write_atomic` gives."""
    return lambda tmp: tmp.write_bytes(data)


__all__ = [
    "CSV_NAME",
    "HTML_NAME",
    "LOADING_NAME",
    "PAPERS_NAME",
    "PLAN_KIND",
    "RECEIPTS_NAME",
    "XLSX_NAME",
    "build_workbook",
    "check_plan",
    "reason_label",
    "render_csv",
    "render_html",
    "wall_clock",
    "write_sheets",
]
