"""The relief check's summary page (``summary.html``): one A4 page for the commander, then the map.

It prints :class:`~service.report_summary.CheckSummary` with the papers' page (embedded font,
A4 style sheet, see :mod:`service.papers_page`), Chinese first.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from geodata.io import write_atomic
from service.i18n import Lang, both_figures, pick
from service.papers_page import _one, page_html, table
from service.papers_text import at, e, qty, stamp, two
from service.report_summary import (
    CheckSummary,
    CountyRow,
    binding_text,
    build_summary,
    note_text,
    roads_text,
    shortfall_reason,
)

SUMMARY_NAME = "summary.html"
#: Places listed on the page (the rest are counted, and all are in report.json).
MAX_PLACES = 5

WORDS: dict[str, tuple[str, str]] = {
    "title": ("救灾物资保障核查摘要", "Relief check summary"),
    "answer": ("结论", "The answer"),
    "target": ("时限", "Target"),
    "deadline": ("截止时刻", "Deadline"),
    "people": ("需保障人数", "People"),
    "plan_met": ("调度计划满足", "Plan meets"),
    "plan_not": ("计划未满足", "Not met by the plan"),
    "bound_met": ("任何计划至多满足", "Any plan at most"),
    "bound_not": ("任何计划均无法满足", "Not met by any plan"),
    "binding": ("制约因素", "What binds"),
    "shortfalls": ("未满足人数(按地点)", "People not met, by place"),
    "place": ("地点", "Place"),
    "shelter_county": ("所在县", "County of the place"),
    "not_met_at": ("{h} 小时未满足 计划/上界方案", "Not met by {h} h: plan / bound's allocation"),
    "alloc": ("上界方案中满足", "In the bound's allocation"),
    "alloc_note": (
        "上界方案:达到“任何计划至多”总数的一种分配;单个地点或县的数字不是该处的上限。",
        "The bound's allocation is one way to reach the 'any plan at most' total; a place's "
        "or county's figure is not a limit for that place.",
    ),
    "reason": ("原因", "Reason"),
    "behind": ("原因所在", "Where"),
    "home": ("按户籍所在县(人员来自何处)", "By home county (where people live)"),
    "shelter": ("按安置点所在县(在何处保障)", "By shelter county (where they are met)"),
    "county": ("县(市、区)", "County"),
    "notes": ("提示与警告", "Notes and warnings"),
    "none": ("无", "none"),
    "more": ("另有 {n} 处,见 report.json", "{n} more places in report.json"),
    "map": ("附图:保障情况图", "Map: needs met by place"),
    "issued": ("印发时间", "Issued"),
    "report_time": ("灾情报告时间", "Disaster reported"),
    "scenario": ("情景", "Scenario"),
    "area": ("区域", "Area"),
    "data": ("数据", "Data"),
    "everyone": ("全部满足时刻", "Everyone met at"),
    "no_place": ("无安置位置人数", "People without a shelter place"),
    "depots": ("储备库", "depots"),
    "short_item": ("缺少", "short of"),
}

PROVENANCE = {
    "real": ("真实", "real"),
    "proxy": ("代理", "proxy"),
    "synthetic": ("合成", "synthetic"),
}


def word_html(words: Mapping[str, tuple[str, str]], key: str, lang: Lang, **fmt: object) -> str:
    """A page's label as HTML (English as a smaller second line for both)."""
    zh, en = words[key]
    return two(zh.format(**fmt), en.format(**fmt), lang)


def word_text(words: Mapping[str, tuple[str, str]], key: str, lang: Lang, **fmt: object) -> str:
    """A page's label as one-line text."""
    zh, en = words[key]
    return pick(zh.format(**fmt), en.format(**fmt), _one(lang))


def _w(key: str, lang: Lang, **fmt: object) -> str:
    return word_html(WORDS, key, lang, **fmt)


def _t(key: str, lang: Lang, **fmt: object) -> str:
    return word_text(WORDS, key, lang, **fmt)


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else ""


def _met(n: int | None, total: int) -> str:
    return "—" if n is None else f"{qty(n)} <span class='small'>({_pct(n, total)})</span>"


def _answer(s: CheckSummary, report: datetime | None, lang: Lang) -> str:
    """The answer per target: sentences, then the table."""
    lines = []
    for t in s.targets:
        row: dict[str, object] = {"hours": t.hours, "share_met": t.bound_met / max(t.people, 1)}
        if t.plan_met is not None:
            row["plan_share_met"] = t.plan_met / max(t.people, 1)
        lines.append(f"<li><b>{e(both_figures(row, _one(lang)))}</b></li>")
        if lang is Lang.BOTH:
            lines[-1] = lines[-1].replace(
                "</b></li>", f'</b><span class="en">{e(both_figures(row, Lang.EN))}</span></li>'
            )
    rows = [
        f"<tr><td>{t.hours:g} h</td><td>{e(at(report, t.hours))}</td>"
        f"<td class='num'>{qty(t.people)}</td>"
        f"<td class='num'>{_met(t.plan_met, t.people)}</td>"
        f"<td class='num'><b>{'—' if t.plan_not_met is None else qty(t.plan_not_met)}</b></td>"
        f"<td class='num'>{_met(t.bound_met, t.people)}</td>"
        f"<td class='num'><b>{qty(t.bound_not_met)}</b></td>"
        f"<td>{e(binding_text(t.binding, _one(lang)))}</td></tr>"
        for t in s.targets
    ]
    heads = [
        _w(k, lang) for k in ("target", "deadline", "people", "plan_met", "plan_not", "bound_met")
    ] + [_w("bound_not", lang), _w("binding", lang)]
    return f'<ul class="answer">{"".join(lines)}</ul>' + table(
        heads, (7, 12, 11, 14, 11, 14, 12, 19), rows
    )


def _behind(sf: Any, names: Mapping[str, str], lang: Lang) -> str:
    """The place behind a shortfall: the roads (named), the depots (named), or the item short."""
    if sf.roads:
        return e(roads_text(sf.roads, _one(lang)))
    if sf.reason_item:
        return e(f"{_t('short_item', lang)} {sf.reason_item}")
    if not sf.depots:
        return ""
    more = len(sf.depots) - 1
    extra = f" +{more} {_t('depots', lang)}" if more else ""
    return f"{e(names.get(sf.depots[0]) or sf.depots[0])}<span class='small'>{e(extra)}</span>"


def _shortfalls(
    s: CheckSummary,
    names: Mapping[str, str],
    lang: Lang,
    limit: int = MAX_PLACES,
    *,
    numbered: bool = False,
) -> str:
    """The places with people not met, most first (numbered as on a map, if ``numbered``)."""
    if not s.shortfalls:
        return f"<p>{_w('none', lang)}</p>"
    hours = [t.hours for t in s.targets]
    rows = []
    for no, sf in enumerate(s.shortfalls[:limit], start=1):
        cells = "".join(
            f"<td class='num'>{'—' if sf.plan_not_met[h] is None else qty(sf.plan_not_met[h])}"
            f" / {qty(sf.bound_not_met[h])}</td>"
            for h in hours
        )
        rows.append(
            f"<tr><td>{f'{no}. ' if numbered else ''}<b>{e(sf.name)}</b><br>"
            f"<span class='id'>{e(sf.id)}</span></td>"
            f"<td>{e(sf.county)}</td><td class='num'>{qty(sf.people)}</td>{cells}"
            f"<td>{e(shortfall_reason(sf, _one(lang)))}</td>"
            f"<td>{_behind(sf, names, lang)}</td></tr>"
        )
    if len(s.shortfalls) > limit:
        n = len(s.shortfalls) - limit
        rows.append(f"<tr><td colspan='{5 + len(hours)}'>{_w('more', lang, n=n)}</td></tr>")
    heads = [_w("place", lang), _w("shelter_county", lang), _w("people", lang)]
    heads += [_w("not_met_at", lang, h=f"{h:g}") for h in hours]
    heads += [_w("reason", lang), _w("behind", lang)]
    width = 34 / max(len(hours), 1)
    return table(heads, (22, 8, 8, *[width] * len(hours), 13, 15), rows, "short")


def _county_table(title: str, rows: Sequence[CountyRow], lang: Lang) -> str:
    body = [
        f"<tr><td>{e(r.county)}</td><td class='num'>{qty(r.people)}</td>"
        f"<td class='num'>{_met(r.plan_met, r.people)}</td>"
        f"<td class='num'>{_met(r.bound_met, r.people)}</td></tr>"
        for r in rows
    ]
    heads = [_w("county", lang), _w("people", lang), _w("plan_met", lang), _w("alloc", lang)]
    return f"<div><h2>{title}</h2>" + table(heads, (28, 20, 26, 26), body) + "</div>"


def render_summary(
    s: CheckSummary,
    lang: Lang = Lang.BOTH,
    *,
    names: Mapping[str, str] | None = None,
    map_png: bytes | None = None,
    issued: datetime | None = None,
    source: str = "",
) -> str:
    """The summary page as a whole HTML document (a second page carries the map, if given)."""
    names = names or {}
    report = datetime.fromisoformat(s.report_time) if s.report_time else None
    issued = issued or datetime.now().astimezone().replace(microsecond=0)
    prov = pick(*PROVENANCE.get(s.provenance, (s.provenance, s.provenance)), _one(lang))
    meta = [
        (_t("scenario", lang), pick(s.scenario_zh or s.scenario, s.scenario, _one(lang))),
        (_t("area", lang), f"{s.area} ({prov})"),
        (_t("report_time", lang), stamp(report) if report else "—"),
        (_t("issued", lang), stamp(issued)),
    ]
    if source:
        meta.append((_t("data", lang), source))
    meta_html = " · ".join(f"<b>{e(k)}</b> {e(v)}" for k, v in meta)
    h0 = s.targets[0].hours if s.targets else 0
    home = f"{_w('home', lang)} · {h0:g} h"
    shelter = f"{_w('shelter', lang)} · {h0:g} h"
    notes = "".join(f"<li>{e(note_text(n, lang, names))}</li>" for n in s.notes)
    everyone = ("—" if s.everyone_met_h is None else f"{s.everyone_met_h:.1f} h") + (
        f" (≤ {s.bound_everyone_met_by_h:g} h)" if s.bound_everyone_met_by_h else ""
    )
    facts = (
        f'<p class="small">{e(_t("people", lang))} {qty(s.affected)} · '
        f"{e(_t('no_place', lang))} {qty(s.without_place)} · "
        f"{e(_t('everyone', lang))} {e(everyone)}</p>"
    )
    body = (
        f'<section class="page summary"><div class="head"><div><h1>{_w("title", lang)}</h1>'
        f'<div class="meta">{meta_html}</div></div></div>'
        f"<h2>{_w('answer', lang)}</h2>{_answer(s, report, lang)}{facts}"
        f"<h2>{_w('shortfalls', lang)}</h2>{_shortfalls(s, names, lang)}"
        f'<div class="two">{_county_table(home, s.by_home_county, lang)}'
        f"{_county_table(shelter, s.by_shelter_county, lang)}</div>"
        f'<p class="small">{_w("alloc_note", lang)}</p>'
        f"<h2>{_w('notes', lang)}</h2>"
        + (f'<ul class="notes">{notes}</ul>' if notes else f"<p>{_w('none', lang)}</p>")
        + "</section>"
    )
    if map_png:
        data = base64.b64encode(map_png).decode("ascii")
        body += (
            f'<section class="page map"><h2>{_w("map", lang)}</h2>'
            f'<img src="data:image/png;base64,{data}" alt="map" style="width:100%"></section>'
        )
    style = (
        "<style>.two{display:grid;grid-template-columns:1fr 1fr;gap:3mm}"
        ".answer{margin:0 0 2mm;padding-left:5mm;font-size:10pt}"
        ".notes{margin:0;padding-left:5mm;font-size:7.5pt}table.short td{font-size:7.5pt}"
        ".summary h2{margin:2mm 0 1mm}.summary table{margin-bottom:1mm}</style>"
    )
    title = _t("title", lang)
    return page_html(title, style + body, lang)


def write_summary(
    doc: Mapping[str, Any],
    out: Path,
    lang: Lang = Lang.BOTH,
    *,
    names: Mapping[str, str] | None = None,
    map_path: Path | None = None,
    source: str = "",
) -> Path:
    """Write ``summary.html`` for the check report ``doc`` into the folder ``out``."""
    png = map_path.read_bytes() if map_path is not None and map_path.is_file() else None
    page = render_summary(build_summary(doc), lang, names=names, map_png=png, source=source)
    data = page.encode("utf-8")
    return write_atomic(Path(out) / SUMMARY_NAME, lambda tmp: tmp.write_bytes(data))
