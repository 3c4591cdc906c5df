"""What the workspace reads from the API: its shell, ``GET /me``, the scenario library in
``GET /scenarios``, a check's summary, and its web font."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.model import LIBRARY
from service.api.app import create_app
from service.api.auth import Role
from service.api.routes_workspace import ROLE_ZH, summary_out
from service.api.webfont import OUT as WEB_FONT
from service.api.webfont import PAGE_FILES, text_of
from service.i18n import BINDING, REASONS
from tests.service.test_api import dispatch_scenario, tokens, wait
from tests.service.test_api import settings as service_settings

STATIC = Path(__file__).parents[2] / "service" / "api" / "static" / "workspace"


@pytest.fixture
def idle(tmp_path, tiny_gpkg, db_url):
    """A service that stores jobs without running them (what a role may do, not results)."""
    cfg = service_settings(tmp_path, tiny_gpkg, db_url)
    heads = tokens(cfg)
    with TestClient(create_app(cfg, run_jobs=False)) as client:
        yield client, heads


def test_the_root_serves_the_workspace_and_its_files(module_service):
    """``/`` is the workspace: a token form, and every file it names served from here."""
    client, _, _ = module_service
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert re.search(r'<input name="token"', r.text)
    local = re.findall(r'(?:src|href)="(/[^"]+)"', r.text)
    assert {"/static/leaflet/leaflet.js", "/static/workspace/app.js"} <= set(local)
    for path in local:
        assert client.get(path).status_code == 200, path
    css = client.get("/static/workspace/app.css").text
    for font in re.findall(r'url\("(/[^"]+)"\)', css):
        got = client.get(font)
        assert got.status_code == 200 and len(got.content) > 50_000, font
    for f in STATIC.glob("*.[hjc]*"):
        if f.suffix != ".woff":
            # The SVG namespace is a name, not an address: nothing is fetched from it.
            body = f.read_text().replace('"http://www.w3.org/2000/svg"', "")
            assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", body), f.name


@pytest.mark.parametrize("role", ["planner", "duty_officer", "viewer"])
def test_me_says_what_the_api_allows(idle, role):
    """``/me`` names the role; each action it allows is accepted and each other one refused."""
    client, heads = idle
    me = client.get("/me", headers=heads[role]).json()
    assert me["role"] == role and me["role_zh"] == ROLE_ZH[Role(role)]
    body = {"kind": "check", "area": "tiny", "scenario": dispatch_scenario()}
    job = client.post("/jobs", json=body, headers=heads[role])
    assert (job.status_code == 202) is me["may"]["run_jobs"], job.text
    stock = client.put(
        "/areas/tiny/depots/D1/stock/food", json={"quantity": 5}, headers=heads[role]
    )
    assert (stock.status_code == 200) is me["may"]["write_stock"], stock.text
    if not me["may"]["run_jobs"]:
        assert job.status_code == 403 and job.json()["problem_zh"]


def test_me_without_a_good_token_is_refused_in_both_languages(module_service):
    """No token or a wrong one is 401 with a Chinese and an English problem."""
    client, _, _ = module_service
    for head in ({}, {"Authorization": "Bearer wrong"}):
        r = client.get("/me", headers=head)
        assert r.status_code == 401
        assert r.json()["problem"] and re.search(r"[\u4e00-\u9fff]", r.json()["problem_zh"])


def test_scenarios_list_the_library_beside_stored_ones(module_service):
    """Every library file is listed (version 0) after the stored ones; a stored name shadows it."""
    client, heads, _ = module_service
    names = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    library = [s for s in listed if s["source"] == "library"]
    assert [s["name"] for s in library] == names
    assert all(s["version"] == 0 and s["area"] for s in library)
    example = next(s for s in library if s["name"] == "hengshui-example")
    assert example["area"] == "hengshui" and example["name_zh"]

    body = dispatch_scenario()
    assert client.put("/scenarios/zhuozhou-2023", json={"body": body}, headers=heads["planner"])
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    mine = [s for s in listed if s["name"] == "zhuozhou-2023"]
    assert len(mine) == 1 and mine[0]["source"] == "stored" and mine[0]["area"] == "tiny"
    assert listed.index(mine[0]) < listed.index(next(s for s in listed if s["source"] == "library"))
    one = client.get("/scenarios/zhuozhou-2023", headers=heads["viewer"]).json()
    assert one["source"] == "stored" and one["body"]["area"] == "tiny"


def test_a_library_scenario_opens_and_keeps_its_script_from_players(module_service):
    """``GET /scenarios/hengshui-exercise`` answers; its injects only to drill controllers."""
    client, heads, _ = module_service
    planner = client.get("/scenarios/hengshui-exercise", headers=heads["planner"]).json()
    assert planner["source"] == "library" and planner["body"]["injects"]
    player = client.get("/scenarios/hengshui-exercise", headers=heads["duty_officer"]).json()
    assert player["body"]["injects"] == [] and player["body"]["injects_hidden"] is True
    for name in ("no-such", "..%2Fmodel", "hengshui example"):
        r = client.get(f"/scenarios/{name}", headers=heads["viewer"])
        assert r.status_code == 404 and r.json()["problem_zh"], name  # never a file read


def test_a_checks_summary_is_its_report(tmp_path, tiny_gpkg, db_url):
    """The summary of a check gives the report's figures; 409 before, 422 for another kind."""
    cfg = service_settings(tmp_path, tiny_gpkg, db_url)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        body = {
            "kind": "check",
            "area": "tiny",
            "scenario": dispatch_scenario(),
            "options": {"plan_seconds": 0.5},
        }
        job = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
        early = client.get(f"/jobs/{job}/summary", headers=heads["viewer"])
        assert wait(client, heads["viewer"], job)["status"] == "done"
        if early.status_code != 200:  # the job may already be done on a fast machine
            assert early.status_code == 409
        whole = client.get(f"/jobs/{job}/result", headers=heads["viewer"]).json()
        report = whole["report"]
        got = client.get(f"/jobs/{job}/summary", headers=heads["viewer"]).json()
        assert got["area"] == "tiny" and got["job"] == job
        assert got["flood"] == ("flood" in whole)  # the map asks for the flood layer only then
        for t, r in zip(got["targets"], report["targets"], strict=True):
            assert t["hours"] == r["hours"]
            assert t["bound_share_met"] == r["share_met"]
            assert t["plan_share_met"] == r["plan_share_met"]
            assert t["gap_points"] == r["gap_points"]
            assert t["binding"] == r["binding"] and t["binding_zh"] == BINDING[r["binding"]][0]
        body = {**body, "kind": "dispatch", "options": {"time_limit_s": 0.5}}
        other = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
        assert wait(client, heads["viewer"], other)["status"] == "done"
        r = client.get(f"/jobs/{other}/summary", headers=heads["viewer"])
        assert r.status_code == 422 and r.json()["field"] == "job_id"
        assert client.get("/jobs/nope/summary", headers=heads["viewer"]).status_code == 404


COUNTIES = st.sampled_from(["桃城区", "冀州区", "枣强县"])


@st.composite
def reports(draw):
    """Small ``report.json`` documents with a plan: targets, counties and places."""
    hours = sorted(draw(st.sets(st.sampled_from([6.0, 10.0, 12.0, 24.0]), min_size=1)))
    points = []
    for k in range(draw(st.integers(0, 6))):
        people = draw(st.integers(1, 5000))
        by_target = []
        for h in hours:
            met = draw(st.integers(0, people))
            by_target.append(
                {"hours": h, "people_met": met, "plan_people_met": draw(st.integers(0, met))}
            )
        points.append(
            {
                "id": f"P{k}",
                "name": f"地点{k}",
                "county": draw(COUNTIES),
                "lon": 115.0 + k / 10,
                "lat": 37.5,
                "people": people,
                "reason": draw(st.sampled_from([None, *REASONS])),
                "reason_item": None,
                "reason_quantity": None,
                "by_target": by_target,
            }
        )
    total = sum(p["people"] for p in points)
    targets = []
    for k, h in enumerate(hours):
        met = sum(p["by_target"][k]["people_met"] for p in points)
        plan = sum(p["by_target"][k]["plan_people_met"] for p in points)
        share = round(met / total, 4) if total else 1.0
        plan_share = round(plan / total, 4) if total else 1.0
        targets.append(
            {
                "hours": h,
                "people_total": total,
                "people_met": met,
                "share_met": share,
                "plan_people_met": plan,
                "plan_share_met": plan_share,
                "gap_points": round(100 * (share - plan_share), 1),
                "binding": draw(st.sampled_from(list(BINDING))),
                "by_county": [],
                "by_need_group": {"food": {"people_met": met, "share_met": share}},
            }
        )
    return {"targets": targets, "points": points, "notes": []}


@settings(max_examples=60, deadline=None)
@given(reports())
def test_the_summary_keeps_every_figure_and_every_short_place(doc):
    """Both figures per target are the report's; a place is late iff someone there is not met."""
    out = summary_out("j", "a", doc)
    assert [t.bound_share_met for t in out.targets] == [t["share_met"] for t in doc["targets"]]
    assert [t.plan_share_met for t in out.targets] == [t["plan_share_met"] for t in doc["targets"]]
    h0 = doc["targets"][0]["hours"]
    short = {
        p["id"]
        for p in doc["points"]
        if any(
            b["hours"] in [t["hours"] for t in doc["targets"]]
            and (b["people_met"] < p["people"] or b["plan_people_met"] < p["people"])
            for b in p["by_target"]
        )
    }
    assert {x.id for x in out.late} == short
    for x in out.late:
        p = next(p for p in doc["points"] if p["id"] == x.id)
        first = next(b for b in p["by_target"] if b["hours"] == h0)
        assert x.bound_not_met == p["people"] - first["people_met"]
        assert x.plan_not_met == p["people"] - first["plan_people_met"]
        assert (x.lon, x.lat) == (p["lon"], p["lat"])
        assert x.reason == (p["reason"] or "plan_schedule")
        assert x.reason_zh and x.reason_en and x.reason_zh != x.reason_en


def test_the_web_font_covers_what_the_workspace_says():
    """Every character of the workspace's files and the result labels is in font.woff.

    Fails when a label is added without running ``python -m service.api.webfont`` (other
    texts, such as a new error message, are drawn from the fallback face meanwhile).
    """
    cmap = TTFont(WEB_FONT).getBestCmap()
    said = text_of(PAGE_FILES) | set("•−")
    for zh, _ in [*REASONS.values(), *BINDING.values()]:
        said |= set(zh)
    said |= set("".join(ROLE_ZH.values()))
    missing = sorted(ch for ch in said if ord(ch) not in cmap and not ch.isspace())
    source = TTFont(WEB_FONT.parents[3] / "assets" / "NotoSansSC-Subset.otf").getBestCmap()
    assert not [ch for ch in missing if ord(ch) in source], missing
    assert WEB_FONT.stat().st_size < 600_000  # the 3.4 MB subset is the fallback only
