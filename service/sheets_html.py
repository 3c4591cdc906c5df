"""The cover of the driver sheets: the plan's headline figures against the relief check.

The sheets themselves are :mod:`service.papers_driver`; :func:`render_html` puts this cover
in front of their index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from service.i18n import Lang
from service.papers_data import Papers, build_papers
from service.papers_driver import render_driver_sheets
from service.papers_places import Directory
from service.papers_text import e as _e
from service.sheets_rows import check_plan, redispatch_pairs, summary_pairs, target_rows
from service.sheets_text import quantity_text, reason_label, report_time, text, wall_clock


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
    parts = [f"<h2>{_e(text('summary', lang))}</h2>"]
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
    return '<div class="cover">' + "".join(parts) + "</div>"


def render_html(
    doc: Mapping[str, Any],
    lang: Lang = Lang.BOTH,
    *,
    directory: Directory | None = None,
    legs: Any = None,
    issued: datetime | None = None,
    papers: Papers | None = None,
) -> str:
    """The printable driver sheets: the plan's figures and the index, then a page per vehicle.

    ``papers`` (from :func:`~service.papers_data.build_papers` of the same ``doc``) saves
    building them again; otherwise they are built from ``doc``, ``directory`` and ``legs``.
    """
    check_plan(doc)
    if papers is None:
        papers = build_papers(doc, directory, legs, issued=issued)
    return render_driver_sheets(papers, lang, cover=_cover_html(doc, lang))
