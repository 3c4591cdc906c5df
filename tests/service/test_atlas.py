"""The check's county atlas and the roads behind a shortfall, as printed.

The roads ``report.json`` names appear in the summary's "where" column, the map labels and
the atlas; the atlas prints one A4 page per county in Chromium, with its own CJK font and
nothing wider than the page.
"""

from __future__ import annotations

import json
import re

import pytest

from service.atlas_page import AtlasGeo, county_names, render_atlas, write_atlas
from service.i18n import Lang
from service.papers_places import Place, RoadLines
from service.report_page import render_summary
from service.report_summary import build_summary, point_label, roads_text
from tests.service.test_papers_summary import _report

ROAD = {
    "id": "r1",
    "name": "幸福路",
    "ref": "X001",
    "from": "一号县库",
    "to": "乙村",
    "closed": True,
}
NAMELESS = {"id": "r2", "name": "", "ref": "", "from": "乙村", "to": "丙村", "closed": False}
#: The A4 text block (190 mm) in CSS pixels.
A4_TEXT_PX = 190 / 25.4 * 96


def _point(k: int, county: str, people: int, met: int, reason=None, roads=()) -> dict:
    return {
        "id": f"S{k}",
        "name": f"避难场所{k}",
        "county": county,
        "lon": 115.60 + 0.05 * k,
        "lat": 37.70 + 0.03 * (k % 3),
        "people": people,
        "status": "met" if met == people else "unmet",
        "reason": reason,
        "reason_item": None,
        "reason_quantity": None,
        "roads": list(roads),
        "by_target": [
            {"hours": 10.0, "people_met": met, "plan_people_met": met},
            {"hours": 12.0, "people_met": met, "plan_people_met": met},
        ],
    }


def _doc() -> dict:
    points = [
        _point(0, "甲县", 500, 0, "unreachable", [ROAD]),
        _point(1, "甲县", 300, 300),
        _point(2, "乙县", 400, 100, "too_far", [NAMELESS]),
        _point(3, "丙县", 200, 50, "dispatch_capacity"),
    ]
    return json.loads(json.dumps(_report(points)))


def test_roads_text_names_closed_and_slowed_roads():
    """A road is named by its name and number, a nameless one by its end places; with ids."""
    assert roads_text([ROAD], Lang.ZH) == "道路中断: 幸福路 X001(r1)"
    assert roads_text([NAMELESS], Lang.EN) == "road slowed: 乙村—丙村 (r2)"
    assert roads_text([], Lang.ZH) == ""


def test_summary_and_map_label_show_the_road_behind_a_cut_off_place():
    """The summary's "where" column and the map label name the blamed road, and only there."""
    doc = _doc()
    summary = build_summary(doc)
    by_id = {s.id: s for s in summary.shortfalls}
    assert by_id["S0"].roads and not by_id["S3"].roads
    page = render_summary(summary, Lang.ZH)
    assert "道路中断: 幸福路 X001(r1)" in page
    assert page.count("道路中断") == 1
    assert "幸福路" in point_label(doc["points"][0], Lang.ZH)
    assert "道路" not in point_label(doc["points"][3], Lang.ZH)


def test_atlas_has_a_page_per_county_with_its_late_places():
    """Three counties, three pages; each lists its own late places, numbered as on its map."""
    doc = _doc()
    geo = AtlasGeo(
        roads=RoadLines((((115.6, 37.7), (115.65, 37.73)),), ("county",)),
        depots=(Place("D1", "一号县库", "甲县", 115.61, 37.71),),
        road_lines={"r1": ((115.6, 37.7), (115.65, 37.73))},
    )
    html = render_atlas(doc, Lang.BOTH, geo=geo)
    assert county_names(doc) == ["丙县", "乙县", "甲县"]
    pages = html.split('<section class="page atlas-page"')[1:]
    assert len(pages) == 3
    first = {c: p for c, p in zip(county_names(doc), pages, strict=True)}
    assert "避难场所0" in first["甲县"] and "避难场所0" not in first["乙县"]
    assert 'class="blamed"' in first["甲县"] and 'class="blamed"' not in first["丙县"]
    assert ">1</text>" in first["甲县"]  # the late place's number on the map
    assert "scale" in first["甲县"] and "north" in first["甲县"]


def test_atlas_prints_one_a4_page_per_county_in_chromium(tmp_path):
    """The atlas loads its CJK font, keeps every element within A4, and prints a PDF with one
    page per county."""
    import os
    import shutil

    if not shutil.which("chromium"):
        if os.environ.get("RELIEF_REQUIRE_BROWSER"):
            pytest.fail("RELIEF_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("no chromium (.ci/run installs the Debian package)")
    from playwright.sync_api import sync_playwright

    doc = _doc()
    for k in range(4, 14):  # a county with more late places than a page lists
        doc["points"].append(_point(k, "乙县", 100 + k, 0, "fleet_capacity"))
    path = write_atlas(doc, tmp_path, Lang.BOTH)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": int(A4_TEXT_PX), "height": 1000})
        page.goto(path.resolve().as_uri())
        page.emulate_media(media="print")
        page.evaluate("document.fonts.ready")
        fonts = page.evaluate("[...document.fonts].map(f => [f.family, f.status])")
        assert fonts and all(s == "loaded" for _, s in fonts), fonts
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *:not(svg *)')]
               .filter(el => el.getBoundingClientRect().right > limit + 0.5)
               .map(el => el.tagName + '.' + el.className)""",
            A4_TEXT_PX,
        )
        assert not wide, wide[:5]
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        browser.close()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == len(county_names(doc)) == 3
