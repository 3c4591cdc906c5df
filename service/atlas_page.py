"""The check's county atlas (``atlas.html``): one A4 page per county, a map and its tables.

Each page carries the county's map (:func:`service.atlas_svg.county_svg`: roads, water,
the flood, depots, places by status, the late ones numbered and labelled with their reason,
the roads the report blames, a scale bar and a north arrow), then the people by target
(at the county's places, and living in it) and its late places, numbered as on the map,
with the reason and what is behind it. Every figure is ``report.json``'s, arranged by
:mod:`service.report_summary` and printed with the summary page's tables
(:mod:`service.report_page`), on the papers' A4 page (:mod:`service.papers_page`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from geodata.io import write_atomic
from service.atlas_svg import MapPoint, Ring, county_svg
from service.i18n import Lang, pick, reason_text
from service.papers_page import _one, page_html, table
from service.papers_places import Place, RoadLines
from service.papers_text import at, e, qty, stamp
from service.report_page import WORDS as PAGE_WORDS
from service.report_page import _met, _shortfalls, word_html, word_text
from service.report_summary import (
    CheckSummary,
    Shortfall,
    _shelter_counties,
    build_summary,
    road_name,
)

ATLAS_NAME = "atlas.html"
#: Late places listed per county page (the rest are counted; all are in report.json).
MAX_ROWS = 5
#: Places without a county are gathered on a page of this name.
NO_COUNTY = "—"

#: The summary page's labels, and the atlas's own.
WORDS: dict[str, tuple[str, str]] = {
    **PAGE_WORDS,
    "title": ("县域保障图册", "County atlas"),
    "map": ("县域图", "Map of the county"),
    "people_by_target": ("分时限保障人数", "People by target"),
    "late": ("未满足地点(编号同图)", "Places not met (numbers as on the map)"),
    "at_places": ("在本县地点保障", "At the county's places"),
    "living": ("户籍在本县", "Living in the county"),
    "legend": (
        "图例:绿 已满足 · 黄 部分满足 · 橙 超时满足 · 红 未满足 · 蓝方块 储备库 · "
        "红虚线 阻断或减速的道路(✕ 中断) · 浅蓝 洪水范围",
        "Legend: green met · yellow partly met · orange met late · red not met · blue square "
        "depot · red dashes roads closed or slowed (✕ closed) · light blue flood",
    ),
    "page": ("第 {n}/{of} 页", "page {n} of {of}"),
}

ATLAS_CSS = (
    "<style>svg.atlas .flood{fill:#64b5f6;fill-opacity:.35;stroke:#1e88e5;stroke-width:.6}"
    "svg.atlas .county{fill:none;stroke:#222;stroke-width:1.6}"
    "svg.atlas .other{fill:none;stroke:#999;stroke-width:.7;stroke-dasharray:3 2}"
    "svg.atlas .blamed{fill:none;stroke:#d50000;stroke-width:3;stroke-dasharray:5 3}"
    "svg.atlas .cut{fill:#d50000;font-size:12px}"
    "svg.atlas .pt{stroke:#111;stroke-width:.6}"
    "svg.atlas .no{fill:#111;font-size:7.5px}"
    "svg.atlas .lab{font-size:8px;font-weight:normal;paint-order:stroke;stroke:#fff;"
    "stroke-width:2.4px;fill:#8e1b1b}"
    "figure.atlasmap{margin:0 0 1.5mm;border:.6pt solid #666}"
    "figure.atlasmap figcaption{font-size:7pt;padding:.5mm 1mm;border-top:.6pt solid #666}"
    ".atlas-page{break-inside:avoid}table.short td{font-size:7.5pt}</style>"
)


@dataclass(frozen=True, slots=True)
class AtlasGeo:
    """What the atlas draws besides the report: roads, outlines, flood, depots, blamed roads."""

    roads: RoadLines = field(default_factory=RoadLines)
    #: County outlines (exterior rings, lon/lat) by county name.
    counties: Mapping[str, tuple[Ring, ...]] = field(default_factory=dict)
    flood: tuple[Ring, ...] = ()
    depots: tuple[Place, ...] = ()
    #: The lines of the roads ``report.json`` names, by road id.
    road_lines: Mapping[str, Ring] = field(default_factory=dict)


def _rings(geom: Any) -> list[Ring]:
    """Exterior rings of a (multi)polygon as (lon, lat) tuples."""
    if geom is None or geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    return [
        tuple((float(x), float(y)) for x, y in p.exterior.coords)
        for p in parts
        if p.geom_type == "Polygon"
    ]


def atlas_geo(
    area: Any, doc: Mapping[str, Any], *, roads: RoadLines, flood: Any = None, network: Any = None
) -> AtlasGeo:
    """The atlas's geography from an area (``geodata.area.Area``) and the report it draws.

    ``roads`` are the papers' road lines (:func:`service.papers_places.directory_from_area`),
    ``flood`` the situation's flood polygons, ``network`` the scenario's (default the area's).
    """
    counties: dict[str, tuple[Ring, ...]] = {}
    b = area.boundaries
    if b is not None and len(b):
        for _, row in b[b.get("level", "county") == "county"].iterrows():
            counties[str(row["name"])] = tuple(_rings(row.geometry))
    flood_rings: tuple[Ring, ...] = ()
    if flood is not None and len(flood):
        flood_rings = tuple(r for g in flood.to_crs(4326).geometry for r in _rings(g))
    net = network if network is not None else area.network
    depots = tuple(
        Place(id=d.id, name=d.name, county=d.county, lon=d.lon, lat=d.lat) for d in net.depots
    )
    wanted = {str(r["id"]) for p in doc.get("points", []) for r in p.get("roads") or ()}
    edges = area.roads.edges
    lines = {
        str(rid): tuple((float(x), float(y)) for x, y in g.coords)
        for rid, g in zip(edges["id"], edges.geometry, strict=True)
        if str(rid) in wanted and g is not None and g.geom_type == "LineString"
    }
    return AtlasGeo(roads, counties, flood_rings, depots, lines)


def _w(key: str, lang: Lang, **fmt: object) -> str:
    return word_html(WORDS, key, lang, **fmt)


def _t(key: str, lang: Lang, **fmt: object) -> str:
    return word_text(WORDS, key, lang, **fmt)


def county_names(doc: Mapping[str, Any]) -> list[str]:
    """The counties with people in the report: where they are met, or where they live."""
    names = {str(p.get("county") or NO_COUNTY) for p in doc.get("points", [])}
    for t in doc.get("targets", [])[:1]:
        names |= {str(r["county"] or NO_COUNTY) for r in t.get("by_county", []) if r["people"]}
    return sorted(names, key=lambda c: (c == NO_COUNTY, c))


def _short_why(sf: Shortfall, lang: Lang) -> str:
    """A late place's reason for its map label: the first road behind it, else the reason."""
    if sf.roads:
        return road_name(sf.roads[0], lang)
    return reason_text(sf.reason, lang)


def _people_table(doc: Mapping[str, Any], county: str, report: datetime | None, lang: Lang) -> str:
    """People by target: at the county's places, and living in the county."""
    planned = any("plan_people_met" in t for t in doc.get("targets", []))
    rows = []
    for t in doc.get("targets", []):
        h = float(t["hours"])
        here = next(
            (r for r in _shelter_counties(doc.get("points", []), h, planned) if r.county == county),
            None,
        )
        home = next((r for r in t.get("by_county", []) if str(r["county"]) == county), None)
        cells = [f"<td>{h:g} h</td><td>{e(at(report, h))}</td>"]
        if here is not None:
            cells.append(
                f"<td class='num'>{qty(here.people)}</td>"
                f"<td class='num'>{_met(here.plan_met, here.people)}</td>"
                f"<td class='num'>{_met(here.bound_met, here.people)}</td>"
            )
        else:
            cells.append("<td class='num'>0</td><td></td><td></td>")
        if home is not None:
            n = round(float(home["people"]))
            plan = round(float(home["plan_people_met"])) if "plan_people_met" in home else None
            cells.append(
                f"<td class='num'>{qty(n)}</td><td class='num'>{_met(plan, n)}</td>"
                f"<td class='num'>{_met(round(float(home['people_met'])), n)}</td>"
            )
        else:
            cells.append("<td class='num'>0</td><td></td><td></td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    at_places, living = _t("at_places", lang), _t("living", lang)
    heads = [_w("target", lang), _w("deadline", lang)]
    for group in (at_places, living):
        heads += [
            f"{e(group)}<br>{_w('people', lang)}",
            _w("plan_met", lang),
            _w("alloc", lang),
        ]
    return table(heads, (8, 14, 12, 14, 14, 12, 13, 13), rows)


def _depots_of(depots: tuple[Place, ...], county: str) -> tuple[Place, ...]:
    """The county's depots (every depot when the data gives none a county)."""
    if not any(d.county for d in depots):
        return depots
    return tuple(d for d in depots if d.county == county)


def county_page(
    county: str,
    doc: Mapping[str, Any],
    summary: CheckSummary,
    geo: AtlasGeo,
    names: Mapping[str, str],
    lang: Lang,
    meta_html: str,
    page_no: tuple[int, int],
) -> str:
    """One county's page."""
    report = datetime.fromisoformat(summary.report_time) if summary.report_time else None
    late = [sf for sf in summary.shortfalls if (sf.county or NO_COUNTY) == county]
    numbers = {sf.id: k for k, sf in enumerate(late[:MAX_ROWS], start=1)}
    why = {sf.id: _short_why(sf, _one(lang)) for sf in late}
    points = []
    for p in doc.get("points", []):
        if str(p.get("county") or NO_COUNTY) != county or p.get("lon") is None:
            continue
        no = numbers.get(str(p["id"]), 0)
        label = f"{p.get('name') or p['id']}: {why[str(p['id'])]}" if no else ""
        points.append(MapPoint(float(p["lon"]), float(p["lat"]), str(p.get("status")), no, label))
    blamed = {
        str(r["id"]): (geo.road_lines[str(r["id"])], bool(r.get("closed")))
        for sf in late
        for r in sf.roads
        if str(r["id"]) in geo.road_lines
    }
    outline = geo.counties.get(county, ())
    neighbours = [r for c, rings in geo.counties.items() if c != county for r in rings]
    svg = county_svg(
        county,
        outline,
        neighbours,
        points,
        _depots_of(geo.depots, county),
        geo.roads,
        _one(lang),
        flood=geo.flood,
        blamed=blamed,
        height=330,
    )
    figure = (
        f'<figure class="atlasmap">{svg}<figcaption>{_w("legend", lang)}</figcaption></figure>'
        if svg
        else ""
    )
    sub = dataclasses.replace(summary, shortfalls=tuple(late))
    late_html = (
        _shortfalls(sub, names, lang, MAX_ROWS, numbered=True)
        if late
        else f"<p>{_w('none', lang)}</p>"
    )
    n, of = page_no
    return (
        f'<section class="page atlas-page" id="county-{n}"><div class="head"><div>'
        f"<h1>{_w('title', lang)} · {e(county)}</h1>"
        f'<div class="meta">{meta_html} · {e(_t("page", lang, n=n, of=of))}</div></div></div>'
        f"{figure}<h2>{_w('people_by_target', lang)}</h2>"
        f"{_people_table(doc, county, report, lang)}"
        f"<h2>{_w('late', lang)}</h2>{late_html}</section>"
    )


def render_atlas(
    doc: Mapping[str, Any],
    lang: Lang = Lang.BOTH,
    *,
    geo: AtlasGeo | None = None,
    names: Mapping[str, str] | None = None,
    source: str = "",
    issued: datetime | None = None,
) -> str:
    """The atlas as a whole HTML document: one page per county of :func:`county_names`."""
    geo = geo or AtlasGeo()
    names = names or {}
    summary = build_summary(doc)
    report = datetime.fromisoformat(summary.report_time) if summary.report_time else None
    issued = issued or datetime.now().astimezone().replace(microsecond=0)
    meta = [
        (
            _t("scenario", lang),
            pick(summary.scenario_zh or summary.scenario, summary.scenario, _one(lang)),
        ),
        (_t("report_time", lang), stamp(report) if report else "—"),
        (_t("issued", lang), stamp(issued)),
    ]
    if source:
        meta.append((_t("data", lang), source))
    meta_html = " · ".join(f"<b>{e(k)}</b> {e(v)}" for k, v in meta)
    counties = county_names(doc)
    pages = [
        county_page(c, doc, summary, geo, names, lang, meta_html, (k, len(counties)))
        for k, c in enumerate(counties, start=1)
    ]
    return page_html(_t("title", lang), ATLAS_CSS + "".join(pages), lang)


def write_atlas(
    doc: Mapping[str, Any],
    out: Path,
    lang: Lang = Lang.BOTH,
    *,
    geo: AtlasGeo | None = None,
    names: Mapping[str, str] | None = None,
    source: str = "",
) -> Path:
    """Write ``atlas.html`` for the check report ``doc`` into the folder ``out``."""
    data = render_atlas(doc, lang, geo=geo, names=names, source=source).encode("utf-8")
    return write_atomic(Path(out) / ATLAS_NAME, lambda tmp: tmp.write_bytes(data))
