"""The dispatch papers as data and HTML: driver sheets, loading lists and receipt lists.

The papers must say what the plan says: a sheet never repeats a place within a trip, the
loading lists add up to the plan's loads and the receipt lists to its deliveries.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.i18n import Lang
from service.papers_data import build_papers
from service.papers_driver import render_driver_sheets
from service.papers_lists import render_loading_lists, render_receipt_lists
from service.papers_places import _contact_fields

PLACES = ("S1", "S2", "S3")


def _doc(routes: list[dict]) -> dict:
    return {
        "version": 2,
        "kind": "dispatch_plan",
        "scenario": {"name": "t", "name_zh": "测", "area": "x", "fingerprint": "ab" * 8},
        "request": {"targets_h": [10.0, 12.0]},
        "routes": routes,
    }


@st.composite
def routes(draw: st.DrawFn) -> list[dict]:
    """Vehicles whose stops visit a few places, often the same one several times in a row."""
    out = []
    for v in range(draw(st.integers(1, 3))):
        stops = []
        t = 1.0
        trip = 1
        for _ in range(draw(st.integers(1, 7))):
            trip += draw(st.integers(0, 1))
            t += draw(st.floats(0.0, 2.0))
            items = draw(
                st.dictionaries(
                    st.sampled_from(("food", "water", "quilt")), st.integers(1, 500), min_size=1
                )
            )
            place = draw(st.sampled_from(PLACES))
            demand = {"point": place, "overflow": draw(st.booleans())}
            stops.append(
                {
                    "point": place,
                    "parts": [{"demand": demand, "items": items}],
                    "trip": trip,
                    "leave_h": t,
                    "arrive_h": t + 0.5,
                    "depart_h": t + 0.7,
                    "met_h": t + 0.7,
                    "items": items,
                    "kg": float(sum(items.values())),
                }
            )
        out.append(
            {
                "vehicle": f"D1/light-{v + 1}",
                "vehicle_class": "light",
                "depot": "D1",
                "start_h": 1.0,
                "stops": stops,
            }
        )
    return out


def _sum(loads) -> Counter:
    total: Counter = Counter()
    for items in loads:
        total.update(items)
    return total


@settings(max_examples=60, deadline=None)
@given(routes())
def test_a_sheet_never_repeats_a_place_within_a_trip(rs):
    """Loads to the same place in a row within one trip are one stop; nothing is lost."""
    doc = _doc(rs)
    papers = build_papers(doc)
    for sheet, route in zip(papers.sheets, sorted(rs, key=lambda r: r["vehicle"]), strict=True):
        for a, b in zip(sheet.visits, sheet.visits[1:], strict=False):
            assert not (a.trip == b.trip and a.place.id == b.place.id)
        assert _sum(v.items for v in sheet.visits) == _sum(s["items"] for s in route["stops"])
        assert sum(v.kg or 0 for v in sheet.visits) == pytest.approx(
            sum(s["kg"] for s in route["stops"])
        )
        assert [v.no for v in sheet.visits] == list(range(1, len(sheet.visits) + 1))
    delivered = _sum(s["items"] for r in rs for s in r["stops"])
    assert _sum(lst.totals() for lst in papers.receipts) == delivered
    assert _sum(lst.totals() for lst in papers.loading) == delivered
    for lst in papers.receipts:  # each shelter's list holds exactly the loads for it
        mine = _sum(s["items"] for r in rs for s in r["stops"] if s["point"] == lst.shelter.id)
        assert lst.totals() == mine


@pytest.fixture(scope="module")
def tiny_plan(tiny_gpkg):
    """A plan by the dispatcher on the tiny area, with its directory and legs."""
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.dispatch import DispatchRequest, plan_dispatch
    from scenarios.dispatch_geo import route_lines
    from scenarios.model import load_scenario
    from service.papers_places import directory_from_area
    from tests.conftest import TINY

    sc, folder = load_scenario(TINY / "dispatch.yaml")
    situation = apply_scenario(load_area(tiny_gpkg), sc, folder=folder)
    plan = plan_dispatch(situation, DispatchRequest(time_limit_s=1.0, engine="greedy"))
    legs, made = route_lines(situation, plan.plan)
    doc = json.loads(json.dumps(made.to_json()))
    directory = directory_from_area(situation.area, situation.network)
    return doc, directory, legs


def test_lists_equal_the_plans_loads_and_deliveries(tiny_plan):
    doc, directory, legs = tiny_plan
    papers = build_papers(doc, directory, legs)
    assert doc["loading"], "the tiny plan loads trucks"
    for lst in papers.loading:
        planned = _sum(
            ld["items"] for e in doc["loading"] if e["depot"] == lst.depot.id for ld in e["loads"]
        )
        assert lst.totals() == planned
        assert [r.load_start_h for r in lst.rows] == sorted(r.load_start_h for r in lst.rows)
        for r in lst.rows:  # the volume on the list is the volume the trip's stops carry
            stops = [
                st
                for route in doc["routes"]
                if route["vehicle"] == r.vehicle
                for st in route["stops"]
                if st["trip"] == r.trip
            ]
            assert r.litres == pytest.approx(sum(st["litres"] for st in stops))
    for lst in papers.receipts:
        delivered = _sum(
            s["items"]
            for r in doc["routes"]
            for s in r["stops"]
            if (s.get("transfer") or {}).get("to", s["point"]) == lst.shelter.id
        )
        assert lst.totals() == delivered
    # Every stop of every route is on exactly one driver sheet, with its name and leg length.
    assert len(papers.sheets) == len(doc["routes"])
    for sheet in papers.sheets:
        assert sheet.depot.name and sheet.depot.lon is not None
        for v in sheet.visits:
            assert v.place.name
            assert v.km is not None and v.km >= 0


def _visible_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<title>.*?</title>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_zh_papers_have_no_english_but_codes(tiny_plan):
    """With Lang.ZH every word is Chinese; only codes (ids, sheet and plan numbers) are Latin."""
    doc, directory, legs = tiny_plan
    papers = build_papers(doc, directory, legs)
    codes = {papers.version, "QR"}
    codes |= {s.vehicle for s in papers.sheets} | {s.number for s in papers.sheets}
    codes |= {p.id for p in directory.places.values()}
    codes |= {v.code for s in papers.sheets for v in s.visits}
    codes |= {lst.number for lst in (*papers.loading, *papers.receipts)}
    codes |= {papers.area, "sheets.html", "loading.html", "receipts.html", "sheets.xlsx"}

    def driver_sheets_with_cover(papers, lang):  # as written: the plan's cover, then sheets
        from service.sheets_html import render_html

        return render_html(doc, lang, papers=papers)

    from service.papers_index import render_index

    renders = (driver_sheets_with_cover, render_loading_lists, render_receipt_lists, render_index)
    for render in renders:
        text = _visible_text(render(papers, Lang.ZH))
        for code in sorted(codes, key=len, reverse=True):
            text = text.replace(code, " ")
        words = {w for w in re.findall(r"[A-Za-z]+", text)}
        assert not words, f"{render.__name__}: {sorted(words)[:10]}"
        both = _visible_text(render(papers, Lang.BOTH))
        assert re.search(r"[A-Za-z]{4,}", both)  # and the bilingual one does carry English


def test_driver_sheet_shows_what_a_driver_needs(tiny_plan):
    doc, directory, legs = tiny_plan
    papers = build_papers(doc, directory, legs)
    page = render_driver_sheets(papers, Lang.BOTH)
    assert page.count('<section class="page sheet">') == len(papers.sheets)
    assert page.count('<svg class="routemap"') == len(papers.sheets)
    assert page.count('class="scale"') == len(papers.sheets)
    for key in ("车牌号", "司机", "装车位", "装毕", "时限", "返回储备库", "公里"):
        assert key in page
    assert "@font-face" in page and "data:font/woff;base64," in page
    # Each stop's receipt code is on the page, and on its shelter's receipt list.
    receipts = render_receipt_lists(papers, Lang.BOTH)
    for sheet in papers.sheets:
        for v in sheet.visits:
            assert html.escape(v.code) in page or v.code in page
            assert v.code in receipts


def test_loading_lists_map_each_depots_trucks(tiny_plan):
    """Each depot's list carries a map of its trucks, places marked with their sheet numbers."""
    doc, directory, legs = tiny_plan
    papers = build_papers(doc, directory, legs)
    page = render_loading_lists(papers, Lang.BOTH)
    pages = page.split('<section class="page loading">')[1:]
    assert len(pages) == len(papers.loading)
    for lst, part in zip(papers.loading, pages, strict=True):
        svg = part[
            part.index('<svg class="routemap"') : part.index("</svg>", part.index("routemap"))
        ]
        marks = set(re.findall(r'class="stop-t">([^<]+)<', svg))
        numbers = {n for m in marks for n in m.split(",")}
        mine = {s.number.lstrip("0") for s in papers.sheets if s.depot.id == lst.depot.id}
        assert numbers == mine


def test_front_page_links_every_sheet(tiny_plan, tmp_path):
    """papers.html links each driver sheet, loading and receipt list to its page."""
    from service.sheets import write_sheets

    doc, directory, legs = tiny_plan
    paths = {p.name: p for p in write_sheets(doc, tmp_path, directory=directory, legs=legs)}
    front = paths["papers.html"].read_text(encoding="utf-8")
    links = re.findall(r'href="([a-z]+\.html)#([^"]+)"', front)
    papers = build_papers(doc, directory, legs)
    assert len(links) == len(papers.sheets) + len(papers.loading) + len(papers.receipts)
    for file, anchor in links:
        assert f'id="{anchor}"' in paths[file].read_text(encoding="utf-8"), (file, anchor)


def test_contact_fields_come_from_the_areas_own_columns():
    """Address, contact and phone print from the data where it has them, else stay blank."""
    layer = pd.DataFrame(
        {
            "id": ["S1", "S2"],
            "详细地址": ["衡水市桃城区人民路1号", None],
            "联系人": ["张三", ""],
            "TEL": ["0318-1234567", None],
        }
    )
    found = _contact_fields(layer)
    assert found == {
        "S1": {"address": "衡水市桃城区人民路1号", "contact": "张三", "phone": "0318-1234567"}
    }
    assert _contact_fields(pd.DataFrame({"name": ["x"]})) == {}


# --- in Chromium (Debian's, driven by Playwright; never downloaded) ----------------------------

#: The A4 text block in CSS pixels: 210 mm less two 10 mm margins, at 96 px per inch.
A4_TEXT_PX = (210 - 2 * 10) * 96 / 25.4


def _embedded_cmap(page: str) -> set[int]:
    """The code points the page's embedded font has glyphs for."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    data = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page)
    assert data, "the page embeds its font"
    font = TTFont(io.BytesIO(base64.b64decode(data.group(1))))
    return set(font.getBestCmap())


def test_papers_print_in_chromium_at_a4(tiny_plan, tmp_path):
    """Each paper loads its own CJK font, covers every character it shows, keeps every element
    within the A4 text width under print emulation, and prints to PDF one sheet per page."""
    import os
    import shutil

    if not shutil.which("chromium"):
        if os.environ.get("RELIEF_REQUIRE_BROWSER"):
            pytest.fail("RELIEF_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("no chromium (.ci/run installs the Debian package)")
    from playwright.sync_api import sync_playwright

    from service.papers_pdf import html_to_pdf
    from service.sheets import write_sheets

    doc, directory, legs = tiny_plan
    paths = write_sheets(doc, tmp_path, Lang.BOTH, directory=directory, legs=legs)
    papers = build_papers(doc, directory, legs)
    pages_expected = {
        "sheets.html": 1 + len(papers.sheets),
        "loading.html": 1 + len(papers.loading),
        "receipts.html": 1 + len(papers.receipts),
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": int(A4_TEXT_PX), "height": 1000})
        for path in paths[2:]:
            source = path.read_text(encoding="utf-8")
            page.goto(path.resolve().as_uri())
            page.emulate_media(media="print")
            page.evaluate("document.fonts.ready")
            fonts = page.evaluate("[...document.fonts].map(f => [f.family, f.status])")
            assert fonts and all(s == "loaded" for _, s in fonts), fonts
            family = page.evaluate("getComputedStyle(document.body).fontFamily")
            assert family.strip('"').startswith("ReliefSans")
            shown = set(page.evaluate("document.body.innerText")) - set(" \n\t\u00a0")
            missing = {c for c in shown if ord(c) not in _embedded_cmap(source)}
            assert not missing, f"{path.name}: no glyph for {sorted(missing)[:20]}"
            assert re.search(r"[\u4e00-\u9fff]", "".join(shown))
            wide = page.evaluate(
                """(limit) => [...document.querySelectorAll('body *:not(svg *)')]
                   .filter(el => el.getBoundingClientRect().right > limit + 0.5)
                   .map(el => el.tagName + '.' + el.className)""",
                A4_TEXT_PX,
            )
            assert not wide, f"{path.name}: wider than A4: {wide[:5]}"
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            assert pdf.startswith(b"%PDF")
            n_pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
            if path.name == "sheets.html":  # one vehicle per page (the tiny plan's sheets fit)
                assert n_pages == pages_expected[path.name]
            elif path.name == "papers.html":  # the front page of a small plan: one page
                assert n_pages == 1
            else:  # each list starts a page, and a long one runs on to the next
                assert pages_expected[path.name] <= n_pages <= 2 * pages_expected[path.name]
        browser.close()
    # And the command-line print (what a user without Playwright gets) writes a PDF too.
    pdf_path = html_to_pdf(paths[3], tmp_path / "loading.pdf")
    assert pdf_path is not None and pdf_path.read_bytes().startswith(b"%PDF")


def test_relief_dispatch_pdf_without_a_browser_says_so(tiny_gpkg, tmp_path, monkeypatch):
    """`relief dispatch --pdf` on a machine without Chromium writes the papers, no PDF, and
    says how to print instead (printing itself is tested above with html_to_pdf)."""
    from typer.testing import CliRunner

    from service.cli import app
    from tests.conftest import TINY

    out = tmp_path / "plan"
    args = ["dispatch", "--area", tiny_gpkg, "--scenario", TINY / "dispatch.yaml", "--out", out]
    args += ["--time-limit", "1", "--engine", "greedy", "--pdf"]
    monkeypatch.setenv("RELIEF_CHROMIUM", str(tmp_path / "no-such-browser"))
    result = CliRunner().invoke(app, [*map(str, args)])
    assert result.exit_code == 0, result.output
    assert (out / "sheets.html").is_file() and (out / "receipts.html").is_file()
    assert not list(out.glob("*.pdf"))
    assert "未找到 Chromium" in result.output and "no Chromium found" in result.output
