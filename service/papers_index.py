"""The papers' front page (``papers.html``): every paper of a plan, with a link to each sheet.

One page for the duty room to start from: the driver sheets by vehicle, the depots' loading
lists and the shelters' receipt lists, each linked to its page in its file.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.i18n import Lang, pick
from service.papers_data import Papers
from service.papers_page import _one, lab_inline, meta_common, page_html, table
from service.papers_text import at, e, lab, words

#: The files the index links to (written beside it by ``service.sheets.write_sheets``).
FILES = {
    "driver_sheet": "sheets.html",
    "loading_list": "loading.html",
    "receipt_list": "receipts.html",
}


def _links(file: str, entries: Sequence[tuple[str, str, str]]) -> list[str]:
    """Rows: the sheet number linked to its page, the place or vehicle, and a time."""
    return [
        f'<tr><td><a href="{e(file)}#{e(anchor)}">{e(number)}</a></td><td>{e(what)}</td></tr>'
        for number, anchor, what in entries
    ]


def render_index(papers: Papers, lang: Lang = Lang.BOTH) -> str:
    """The front page of the papers as a whole HTML document."""
    one = _one(lang)
    rep = papers.report
    sections = {
        "driver_sheet": [
            (
                s.number,
                f"s{s.number}",
                f"{s.vehicle} · {s.depot.name or s.depot.id} · "
                f"{words('load_by', one)} {at(rep, s.visits[0].loaded_by_h) if s.visits else ''}",
            )
            for s in papers.sheets
        ],
        "loading_list": [
            (lst.number, lst.number, f"{lst.depot.name or lst.depot.id} · {len(lst.rows)}")
            for lst in papers.loading
        ],
        "receipt_list": [
            (lst.number, lst.number, f"{lst.shelter.name or lst.shelter.id} · {len(lst.arrivals)}")
            for lst in papers.receipts
        ],
    }
    parts = []
    for key, entries in sections.items():
        file = FILES[key]
        heads = [lab("sheet_no", lang), lab("index_entry", lang)]
        parts.append(
            f'<div><h2>{lab(key, lang)} <a class="small" href="{e(file)}">{e(file)}</a> '
            f'<span class="small">({len(entries)})</span></h2>'
            + table(heads, (18, 82), _links(file, entries), "toc")
            + "</div>"
        )
    meta = " · ".join(f"{lab_inline(k, lang)} {v}" for k, v in meta_common(papers, lang))
    scenario = pick(papers.scenario_zh or papers.scenario, papers.scenario, one)
    body = (
        f'<section class="page index"><div class="head"><div><h1>{lab("papers", lang)}</h1>'
        f'<div class="meta">{e(scenario)} · {meta} · '
        f'<a href="sheets.xlsx">sheets.xlsx</a></div></div></div>'
        f"{''.join(parts)}</section>"
    )
    return page_html(words("papers", one), body, lang)
