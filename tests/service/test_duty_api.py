"""The duty officer's routes on the tiny area: a dispatch job's papers, re-dispatch at an
hour as a job, and what it changed; each refusal names its field and queues nothing."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.db import Job, open_db
from tests.service.test_api import dispatch_scenario, settings, tokens, wait


@pytest.fixture
def duty(tmp_path, tiny_gpkg, db_url):
    """A service with one finished dispatch job (made by a duty officer)."""
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=5.0)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        body = {
            "kind": "dispatch",
            "area": "tiny",
            "scenario": dispatch_scenario(),
            "options": {"time_limit_s": 0.5, "engine": "greedy"},
        }
        r = client.post("/jobs", json=body, headers=heads["duty_officer"])
        assert r.status_code == 202, r.text
        job = wait(client, heads["viewer"], r.json()["id"])
        assert job["status"] == "done", job
        yield client, heads, cfg, job["id"]


def _jobs(cfg):
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        n = s.query(Job).count()
    engine.dispose()
    return n


def test_papers_of_a_dispatch_job(duty):
    """The driver sheets name every vehicle of the plan; the workbook and CSV download."""
    from openpyxl import load_workbook

    client, heads, _, job = duty
    plan = client.get(f"/jobs/{job}/result", headers=heads["viewer"]).json()["plan"]
    vehicles = {r["vehicle"] for r in plan["routes"] if r["stops"]}
    assert vehicles
    r = client.get(f"/jobs/{job}/papers/sheets.html", headers=heads["viewer"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "司机调度单" in r.text and "Driver" in r.text
    assert all(v in r.text for v in vehicles)
    for name in ("loading.html", "receipts.html", "papers.html"):
        page = client.get(f"/jobs/{job}/papers/{name}", headers=heads["viewer"])
        assert page.status_code == 200 and "<html" in page.text, name
    xlsx = client.get(f"/jobs/{job}/papers/sheets.xlsx", headers=heads["viewer"])
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "Stops" in " ".join(book.sheetnames) or len(book.sheetnames) >= 4
    stops = sum(len(r["stops"]) for r in plan["routes"])
    csv = client.get(f"/jobs/{job}/papers/sheets.csv", headers=heads["viewer"])
    assert csv.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert len(csv.content.decode("utf-8-sig").strip().splitlines()) == stops + 1
    english = client.get(f"/jobs/{job}/papers/sheets.html?lang=en", headers=heads["viewer"])
    assert "Driver" in english.text and "司机调度单" not in english.text


def test_papers_refusals(duty):
    client, heads, _, job = duty
    r = client.get(f"/jobs/{job}/papers/plan.json", headers=heads["viewer"])
    assert r.status_code == 422 and r.json()["field"] == "path.name"
    r = client.get(f"/jobs/{job}/papers/sheets.html?lang=fr", headers=heads["viewer"])
    assert r.status_code == 422 and r.json()["field"] == "query.lang"
    assert client.get(f"/jobs/{job}/papers/sheets.html").status_code == 401
    r = client.get("/jobs/nope/papers/sheets.html", headers=heads["viewer"])
    assert r.status_code == 404 and r.json()["field"] == "job_id"
    body = {
        "kind": "check",
        "area": "tiny",
        "scenario": dispatch_scenario(),
        "options": {"plan_seconds": 0},
    }
    check = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
    assert wait(client, heads["viewer"], check)["status"] == "done"
    r = client.get(f"/jobs/{check}/papers/sheets.html", headers=heads["viewer"])
    assert r.status_code == 422 and r.json()["problem_zh"] == "该任务不是调度任务"


def test_redispatch_after_a_closure_says_what_changed(duty):
    """Closing a road at hour 1 re-plans as a new job; its changes compare the two plans."""
    client, heads, _, job = duty
    old = client.get(f"/jobs/{job}/result", headers=heads["viewer"]).json()["plan"]
    body = {"at_h": 1.0, "closures": [{"name": "横0-1"}], "time_limit_s": 0.5}
    r = client.post(f"/jobs/{job}/redispatch", json=body, headers=heads["duty_officer"])
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "redispatch"
    done = wait(client, heads["viewer"], r.json()["id"])
    assert done["status"] == "done", done
    new = client.get(done["result"], headers=heads["viewer"]).json()
    assert new["plan"]["redispatch"]["at_h"] == 1.0
    assert new["plan"]["redispatch"]["closures"][0]["name"] == "横0-1"
    assert new["routes"]["type"] == "FeatureCollection"
    ch = client.get(f"/jobs/{done['id']}/changes", headers=heads["viewer"]).json()
    assert ch["at_h"] == 1.0 and ch["closures"] == 1
    before = {t["hours"]: t["people_met"] for t in old["kpis"]["targets"]}
    after = {t["hours"]: t["people_met"] for t in new["plan"]["kpis"]["targets"]}
    assert {t["hours"]: t["met_before"] for t in ch["targets"]} == before
    assert {t["hours"]: t["met_after"] for t in ch["targets"]} == after
    for v in ch["vehicles"]:
        was = [
            s["point"] for r in old["routes"] if r["vehicle"] == v["vehicle"] for s in r["stops"]
        ]
        assert v["before"] == was
    # The old plan's papers and the new plan's are both served; the old job has no changes.
    r = client.get(f"/jobs/{done['id']}/papers/sheets.html", headers=heads["viewer"])
    assert r.status_code == 200 and "重新调度" in r.text and "Re-dispatch" in r.text
    r = client.get(f"/jobs/{job}/changes", headers=heads["viewer"])
    assert r.status_code == 422 and r.json()["field"] == "job_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at_h": 1.0}, "closures"),  # nothing changed
        ({"at_h": -1, "closures": [{"name": "横0-1"}]}, "at_h"),
        ({"at_h": 1, "closures": [{"name": "x", "road": "y"}]}, "closures[0]"),
        ({"at_h": 1, "add_people": [{"point": "P99", "people": 5}]}, "add_people[0].point"),
        ({"at_h": 1, "add_people": [{"point": "P1", "people": 0}]}, "add_people[0].people"),
        ({"at_h": 1, "depots_lost": ["D9"]}, "depots_lost[0]"),
        ({"at_h": 1, "depots_lost": ["D1"], "time_limit_s": 600}, "time_limit_s"),
        ({"at_h": 1, "depots_lost": ["D1"], "paint": 1}, "paint"),
    ],
)
def test_bad_redispatches_name_the_field_and_queue_nothing(duty, body, field):
    client, heads, cfg, job = duty
    before = _jobs(cfg)
    r = client.post(f"/jobs/{job}/redispatch", json=body, headers=heads["duty_officer"])
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["problem_zh"]
    assert _jobs(cfg) == before


def test_redispatch_roles_and_jobs(duty):
    """A viewer may not re-dispatch (the page hides it; the API refuses), nor of a non-plan."""
    client, heads, cfg, job = duty
    before = _jobs(cfg)
    body = {"at_h": 1, "depots_lost": ["D2"]}
    r = client.post(f"/jobs/{job}/redispatch", json=body, headers=heads["viewer"])
    assert r.status_code == 403 and r.json()["field"] == "role"
    r = client.post("/jobs/nope/redispatch", json=body, headers=heads["duty_officer"])
    assert r.status_code == 404
    assert _jobs(cfg) == before
