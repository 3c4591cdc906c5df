"""The relief check's summary page: the report's figures arranged, never recomputed.

Both county views add up to the same people, the shortfalls add up to the people not met by
each target, every note prints in Chinese and English, and the page fits one A4 sheet.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.i18n import Lang
from service.report_page import render_summary, write_summary
from service.report_summary import build_summary, note_text

HOURS = (10.0, 12.0)


@st.composite
def reports(draw: st.DrawFn) -> dict:
    """A report.json (version 2) with points in several counties, partly met by each target."""
    points = []
    for k in range(draw(st.integers(1, 8))):
        people = draw(st.integers(1, 5000))
        met10 = draw(st.integers(0, people))
        met12 = draw(st.integers(met10, people))
        plan10 = draw(st.integers(0, met10))
        plan12 = draw(st.integers(plan10, met12))
        reason = None if met10 == people else draw(st.sampled_from(("dispatch_capacity", "roads")))
        points.append(
            {
                "id": f"S{k}",
                "name": f"避难场所{k}",
                "county": draw(st.sampled_from(("甲县", "乙县", "丙县"))),
                "people": people,
                "status": "met" if met10 == people else "partial",
                "reason": reason,
                "reason_item": None,
                "reason_quantity": None,
                "by_target": [
                    {"hours": 10.0, "people_met": met10, "plan_people_met": plan10},
                    {"hours": 12.0, "people_met": met12, "plan_people_met": plan12},
                ],
            }
        )
    return _report(points)


def _report(points: list[dict]) -> dict:
    """The report.json of ``points``: targets, home counties and shipments that agree."""
    home: dict[str, list[int]] = {}
    for p in points:  # people live elsewhere than where they are met: shift the home county
        county = {"甲县": "乙县", "乙县": "丙县", "丙县": "甲县"}[p["county"]]
        acc = home.setdefault(county, [0, 0, 0])
        acc[0] += p["people"]
        acc[1] += p["by_target"][0]["people_met"]
        acc[2] += p["by_target"][0]["plan_people_met"]

    def target(h: int) -> dict:
        total = sum(p["people"] for p in points)
        met = sum(p["by_target"][h]["people_met"] for p in points)
        plan = sum(p["by_target"][h]["plan_people_met"] for p in points)
        return {
            "hours": HOURS[h],
            "people_total": total,
            "people_met": met,
            "share_met": met / total,
            "plan_people_met": plan,
            "plan_share_met": plan / total,
            "binding": "loading",
            "limits": {"loading": total - met},
            "pinches": [{"family": "loading", "depot": "D2", "what": "9", "people_per_unit": 1}],
            "by_county": [
                {"county": c, "people": v[0], "people_met": v[1], "plan_people_met": v[2]}
                for c, v in home.items()
            ],
        }

    return {
        "version": 2,
        "kind": "relief_check",
        "scenario": {
            "name": "t",
            "name_zh": "测试",
            "area": "x",
            "provenance": "synthetic",
            "report_time": "2024-07-30T18:00:00+08:00",
        },
        "people_affected": sum(p["people"] for p in points),
        "people_sheltered": sum(p["people"] for p in points),
        "people_without_shelter_place": 0,
        "targets": [target(0), target(1)],
        "points": points,
        "shipments": [
            {"depot": d, "point": p["id"], "item": "food", "quantity": 1}
            for p in points
            for d in ("D1", "D2")
        ],
        "notes": ["depot D1 stands in 0.8 m of water"],
        "everyone_met_h": None,
        "bound_everyone_met_by_h": None,
    }


@settings(max_examples=50, deadline=None)
@given(reports())
def test_summary_adds_up_to_the_report(doc):
    s = build_summary(doc)
    for t, row in zip(s.targets, doc["targets"], strict=True):
        assert t.bound_not_met == row["people_total"] - row["people_met"]
        assert t.plan_not_met == row["people_total"] - row["plan_people_met"]
        # The places behind the shortfalls account for every person not met.
        assert sum(sf.bound_not_met[t.hours] for sf in s.shortfalls) == t.bound_not_met
        assert sum(sf.plan_not_met[t.hours] or 0 for sf in s.shortfalls) == t.plan_not_met
    first = doc["targets"][0]
    for view in (s.by_home_county, s.by_shelter_county):  # two views, the same people
        assert sum(r.people for r in view) == first["people_total"]
        assert sum(r.bound_met for r in view) == first["people_met"]
        assert sum(r.plan_met or 0 for r in view) == first["plan_people_met"]
    shelter = {r.county: r.people for r in s.by_shelter_county}
    for c in shelter:
        assert shelter[c] == sum(p["people"] for p in doc["points"] if p["county"] == c)
    for sf in s.shortfalls:
        if sf.reason == "dispatch_capacity":
            assert sf.depots[0] == "D2"  # the depot whose loading pinches comes first
    # Most people not met by the first target come first.
    keys = [(sf.plan_not_met[10.0] or 0) + sf.bound_not_met[10.0] for sf in s.shortfalls]
    assert keys == sorted(keys, reverse=True)


def test_notes_print_in_both_languages():
    names = {"D-1": "一号库", "S-1": "中学"}
    depot = note_text("depot D-1 stands in 0.8 m of water", Lang.BOTH, names)
    assert "储备库 一号库(D-1) 位于0.8 米深的积水中" in depot and "stands in 0.8 m" in depot
    shelter = note_text("shelter S-1 stands in water of unknown depth and is not used", Lang.ZH)
    assert shelter == "避难场所 S-1 位于深度不明的积水中,不予使用"
    # A note already in both languages is kept; an unknown one is kept, marked, never dropped.
    bilingual = "储备库 D-9 有库存但没有车辆 depot D-9 holds stock but has no road trucks"
    assert note_text(bilingual, Lang.BOTH) == bilingual
    assert "something new" in note_text("something new", Lang.BOTH)
    assert re.search(r"[\u4e00-\u9fff]", note_text("something new", Lang.BOTH))


def test_summary_page_names_what_each_table_groups_by():
    doc = {
        "version": 2,
        "kind": "relief_check",
        "scenario": {"name": "t", "name_zh": "测试", "area": "x", "report_time": ""},
        "people_affected": 10,
        "targets": [
            {
                "hours": 10.0,
                "people_total": 10,
                "people_met": 6,
                "plan_people_met": 4,
                "binding": "stock",
                "by_county": [{"county": "甲县", "people": 10, "people_met": 6}],
            }
        ],
        "points": [
            {
                "id": "S1",
                "name": "中学",
                "county": "乙县",
                "people": 10,
                "reason": "stock_shortfall",
                "reason_item": "water",
                "reason_quantity": 40,
                "by_target": [{"hours": 10.0, "people_met": 6, "plan_people_met": 4}],
            }
        ],
        "notes": ["shelter S9 stands in 1.2 m of water and is not used"],
    }
    page = render_summary(build_summary(doc), Lang.BOTH)
    assert "按户籍所在县" in page and "By home county" in page
    assert "按安置点所在县" in page and "By shelter county" in page
    assert "6 / 4" in page  # people not met by 10 h: by the plan / by any plan
    assert "water" in page and "物资缺口" in page
    assert "避难场所 S9 位于1.2 米深的积水中" in page
    zh_page = render_summary(build_summary(doc), Lang.ZH)
    zh = re.sub(r"<style>.*?</style>|<title>.*?</title>|<[^>]+>", " ", zh_page, flags=re.S)
    words = set(re.findall(r"[A-Za-z]{2,}", zh.replace("report.json", ""))) - {"water"}
    assert not words  # only codes (ids, item ids) stay Latin in Chinese


def test_summary_fits_one_a4_page_in_chromium(tmp_path):
    """The summary prints on one A4 page (the map follows on a second) with its own font."""
    import os
    import shutil

    if not shutil.which("chromium"):
        if os.environ.get("RELIEF_REQUIRE_BROWSER"):
            pytest.fail("RELIEF_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("no chromium (.ci/run installs the Debian package)")
    from playwright.sync_api import sync_playwright

    points = []
    for k in range(17):  # as many late shelters as the Hengshui example, long names
        people = 800 + 300 * k
        points.append(
            {
                "id": f"S-1311021{k:02d}",
                "name": f"衡水市桃城区第{k}中学避难场所",
                "county": ("甲县", "乙县", "丙县")[k % 3],
                "people": people,
                "status": "partial",
                "reason": ("dispatch_capacity", "plan_schedule", "fleet_capacity")[k % 3],
                "reason_item": None,
                "reason_quantity": None,
                "by_target": [
                    {"hours": 10.0, "people_met": people // 2, "plan_people_met": people // 3},
                    {"hours": 12.0, "people_met": people, "plan_people_met": people // 2},
                ],
            }
        )
    doc = _report(points)
    doc["notes"] = [f"shelter S{k} stands in 0.5 m of water and is not used" for k in range(7)]
    path = write_summary(json.loads(json.dumps(doc)), tmp_path, Lang.BOTH)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page()
        page.goto(path.resolve().as_uri())
        page.evaluate("document.fonts.ready")
        assert page.evaluate("[...document.fonts].every(f => f.status === 'loaded')")
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        browser.close()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_relief_check_writes_the_summary_and_names_it_last(tiny_gpkg, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from service.cli import app
    from tests.conftest import TINY

    out = tmp_path / "out"
    args = ["check", "--area", tiny_gpkg, "--scenario", TINY / "scenario.yaml", "--out", out]
    monkeypatch.setenv("RELIEF_CHROMIUM", str(tmp_path / "no-such-browser"))
    args += ["--target", 5, "--target", 6]  # evacuation ends after 5 h: nobody met by 5 h
    result = CliRunner().invoke(app, [*map(str, args), "--plan-seconds", "1", "--pdf"])
    assert result.exit_code == 0, result.output
    # The late table gives the people not met by each target, by the plan and by any plan.
    row = next(line for line in result.output.splitlines() if " S1 " in line)
    assert re.search(r"│\s*200 / 200\s*│\s*0 / 0\s*│", row), row
    page = (out / "summary.html").read_text(encoding="utf-8")
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for t in doc["targets"]:
        assert f"{t['people_total']:,}" in page
    assert "data:image/png;base64," in page  # the map rides along on page 2
    assert "S1" in page and "人员转移未完成" in page  # the place not met by 5 h, and why
    last = "".join(result.output.strip().splitlines()[-3:])  # rich may wrap a long path
    assert "summary.html" in last and "核查摘要" in last
    assert "no Chromium found" in result.output and not (out / "summary.pdf").exists()
