"""The HTTP service on the tiny area: tokens and roles, the stock registry with its audit
trail and version checks, jobs from submission to result, limits, and restart recovery."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.auth import create_token
from service.api.db import Job, open_db
from service.api.settings import Settings
from tests.conftest import TINY


def settings(tmp_path, tiny_gpkg, db_url, **kw):
    return Settings(
        db_url=db_url,
        data_dir=tmp_path / "data",
        areas={"tiny": tiny_gpkg},
        **kw,
    )


def tokens(cfg):
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        out = {role: create_token(s, role, role) for role in ("planner", "viewer")}
        out["duty_officer"] = create_token(s, "duty", "duty_officer")
    engine.dispose()
    return {k: {"Authorization": f"Bearer {v}"} for k, v in out.items()}


@pytest.fixture
def service(tmp_path, tiny_gpkg, db_url):
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=5.0, max_queued_jobs=3)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        yield client, heads, cfg


def wait(client, headers, job_id, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']}")


def dispatch_scenario():
    """The tiny dispatch scenario as a client would send it (JSON, dates as text)."""
    data = yaml.safe_load((TINY / "dispatch.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


def test_tokens_and_roles(service):
    client, heads, _ = service
    assert client.get("/areas").status_code == 401
    assert client.get("/areas", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert "tiny" in client.get("/areas", headers=heads["viewer"]).json()
    r = client.put(
        "/areas/tiny/depots/D1/stock/food", json={"quantity": 5}, headers=heads["viewer"]
    )
    assert r.status_code == 403 and r.json()["field"] == "role"
    r = client.post("/jobs", json={"kind": "site", "area": "tiny"}, headers=heads["viewer"])
    assert r.status_code == 403


def test_stock_changes_are_versioned_and_audited(service):
    client, heads, _ = service
    depots = client.get("/areas/tiny/depots", headers=heads["viewer"]).json()
    d1 = next(d for d in depots if d["id"] == "D1")
    before, version = d1["stock"]["food"], d1["versions"]["food"]
    url = "/areas/tiny/depots/D1/stock/food"
    r = client.put(url, json={"quantity": 7, "expected_version": version}, headers=heads["planner"])
    assert r.status_code == 200 and r.json()["version"] == version + 1
    # A second editor still holding the old version is refused; nothing changes.
    r = client.put(
        url, json={"quantity": 99, "expected_version": version}, headers=heads["duty_officer"]
    )
    assert r.status_code == 409 and r.json()["field"] == "expected_version"
    d1 = next(
        d
        for d in client.get("/areas/tiny/depots", headers=heads["viewer"]).json()
        if d["id"] == "D1"
    )
    assert d1["stock"]["food"] == 7
    trail = client.get("/audit", headers=heads["viewer"]).json()
    assert len(trail) == 1 and trail[0]["token"] == "planner"
    assert trail[0]["detail"] == {"old": before, "new": 7}


@pytest.mark.parametrize(
    ("url", "body", "status", "field"),
    [
        ("/areas/tiny/depots/D9/stock/food", {"quantity": 1}, 404, "depot"),
        ("/areas/tiny/depots/D1/stock/gold", {"quantity": 1}, 404, "item"),
        ("/areas/tiny/depots/D1/stock/food", {"quantity": -1}, 422, "quantity"),
        ("/areas/nowhere/depots/D1/stock/food", {"quantity": 1}, 404, "area"),
    ],
)
def test_bad_stock_edits_name_the_field(service, url, body, status, field):
    client, heads, _ = service
    r = client.put(url, json=body, headers=heads["planner"])
    assert r.status_code == status and r.json()["field"] == field
    assert client.get("/audit", headers=heads["viewer"]).json() == []


def test_dispatch_job_runs_on_the_registry_stock(service):
    """A dispatch job uses the stock as changed through the service: with D2 emptied of
    medical kits, no D2 load carries any."""
    client, heads, _ = service
    url = "/areas/tiny/depots/D2/stock/medical_kit"
    assert client.put(url, json={"quantity": 0}, headers=heads["planner"]).status_code == 200
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
    res = client.get(job["result"], headers=heads["viewer"]).json()
    stops = [s for route in res["plan"]["routes"] for s in route["stops"]]
    assert stops and not any(s["depot"] == "D2" and s["items"].get("medical_kit") for s in stops)
    assert res["routes"]["type"] == "FeatureCollection"
    layer = client.get(f"{job['result']}/routes", headers=heads["viewer"])
    assert layer.headers["content-type"].startswith("application/geo+json")
    assert layer.json() == res["routes"]
    assert client.get(f"{job['result']}/nothing", headers=heads["viewer"]).status_code == 404


def test_check_job_and_library_scenarios(service):
    client, heads, _ = service
    body = {"kind": "check", "area": "tiny", "scenario": dispatch_scenario()}
    job = wait(
        client,
        heads["viewer"],
        client.post("/jobs", json=body, headers=heads["planner"]).json()["id"],
    )
    assert job["status"] == "done"
    res = client.get(job["result"], headers=heads["viewer"]).json()
    assert res["report"]["targets"][0]["hours"] == 10.0
    assert res["points"]["features"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "dispatch", "area": "tiny"}, None),  # no scenario
        (
            {"kind": "dispatch", "area": "tiny", "scenario": {}, "options": {"trips": 0}},
            "options.trips",
        ),
        (
            {
                "kind": "dispatch",
                "area": "tiny",
                "scenario": "tiny-x",
                "options": {"time_limit_s": 60},
            },
            "options.time_limit_s",
        ),
        ({"kind": "check", "area": "mars", "scenario": "hengshui-example"}, "area"),
        ({"kind": "check", "area": "tiny", "scenario": {"name": "x"}}, None),
        ({"kind": "paint", "area": "tiny"}, "kind"),
    ],
)
def test_bad_jobs_are_refused_before_queueing(service, body, field):
    client, heads, _ = service
    r = client.post("/jobs", json=body, headers=heads["planner"])
    assert r.status_code == 422, r.text
    if field:
        assert r.json()["field"] == field
    engine, sessions = open_db(service[2].db_url)
    with sessions() as s:
        assert s.query(Job).count() == 0
    engine.dispose()


def test_limits(tmp_path, tiny_gpkg, db_url):
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_body_bytes=2000, max_queued_jobs=1)
    heads = tokens(cfg)
    with TestClient(create_app(cfg, run_jobs=False)) as client:
        big = {"kind": "check", "area": "tiny", "scenario": {"name": "x" * 5000}}
        r = client.post("/jobs", json=big, headers=heads["planner"])
        assert r.status_code == 413
        body = {"kind": "site", "area": "tiny", "options": {"p": 1}}
        assert client.post("/jobs", json=body, headers=heads["planner"]).status_code == 202
        r = client.post("/jobs", json=body, headers=heads["planner"])
        assert r.status_code == 429


def test_jobs_survive_a_restart(tmp_path, tiny_gpkg, db_url):
    """A job left running by a killed server is run again on the next start; one that was
    interrupted too often is marked failed, with a reason; nothing is lost."""
    cfg = settings(tmp_path, tiny_gpkg, db_url)
    heads = tokens(cfg)
    body = {
        "kind": "check",
        "area": "tiny",
        "scenario": dispatch_scenario(),
    }
    with TestClient(create_app(cfg, run_jobs=False)) as client:  # a server that dies
        ids = [
            client.post("/jobs", json=body, headers=heads["planner"]).json()["id"] for _ in range(2)
        ]
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:  # as the dead server left them: both running, one already retried
        for n, job_id in enumerate(ids):
            job = s.get(Job, job_id)
            job.status, job.attempts = "running", 1 + n * cfg.max_attempts
        s.commit()
    engine.dispose()
    with TestClient(create_app(cfg)) as client:
        first = wait(client, heads["viewer"], ids[0])
        second = client.get(f"/jobs/{ids[1]}", headers=heads["viewer"]).json()
        assert first["status"] == "done"
        assert client.get(first["result"], headers=heads["viewer"]).status_code == 200
        assert second["status"] == "failed" and "interrupted" in second["error"]["problem"]


def test_openapi_documents_every_route(service):
    client, _, _ = service
    spec = client.get("/openapi.json").json()
    assert {"/jobs", "/jobs/{job_id}", "/areas/{area}/depots", "/audit"} <= set(spec["paths"])
    assert json.dumps(spec)  # serialisable


def test_stored_scenarios_are_validated_versioned_and_snapshotted(service):
    client, heads, _ = service
    body = dispatch_scenario()
    r = client.put("/scenarios/drill-1", json={"body": body}, headers=heads["planner"])
    assert r.status_code == 200 and r.json()["version"] == 1
    r = client.put(
        "/scenarios/drill-1", json={"body": body, "expected_version": 0}, headers=heads["planner"]
    )
    assert r.status_code == 409
    bad = {**body, "affected": [{"point": "P1"}]}  # no amount
    r = client.put("/scenarios/drill-2", json={"body": bad}, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["field"].startswith("affected")
    assert client.get("/scenarios/drill-2", headers=heads["viewer"]).status_code == 404
    got = client.get("/scenarios/drill-1", headers=heads["viewer"]).json()
    assert got["body"]["name"] == "tiny-dispatch" and got["area"] == "tiny"
    job = client.post(
        "/jobs",
        json={"kind": "check", "area": "tiny", "scenario": "drill-1"},
        headers=heads["planner"],
    ).json()
    assert wait(client, heads["viewer"], job["id"])["status"] == "done"


def test_flood_upload_is_checked_and_used_by_jobs(service):
    """A GCJ-02 flood polygon over P1 is stored in WGS84 and floods the check; bad uploads
    (broken JSON, swapped lon/lat) are refused naming the problem."""
    client, heads, _ = service
    ring = [[115.605, 37.705], [115.615, 37.705], [115.615, 37.715], [115.605, 37.715]]
    gcj = [[x + 0.0062, y + 0.0012] for x, y in ring]  # roughly what GCJ-02 adds here
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"depth_m": 1.5},
                "geometry": {"type": "Polygon", "coordinates": [[*gcj, gcj[0]]]},
            }
        ],
    }
    r = client.post(
        "/areas/tiny/floods?name=west&crs=gcj02", content=json.dumps(fc), headers=heads["planner"]
    )
    assert r.status_code == 201, r.text
    layer = r.json()
    assert layer["features"] == 1
    listed = client.get("/areas/tiny/floods", headers=heads["viewer"]).json()
    assert [x["id"] for x in listed] == [layer["id"]]
    body = {
        "kind": "check",
        "area": "tiny",
        "scenario": dispatch_scenario(),
        "options": {"floods": [layer["id"]]},
    }
    job = wait(
        client,
        heads["viewer"],
        client.post("/jobs", json=body, headers=heads["planner"]).json()["id"],
    )
    res = client.get(job["result"], headers=heads["viewer"]).json()
    assert len(res["flood"]["features"]) == 2  # the scenario's and the upload
    xs = [c[0] for f in res["flood"]["features"] for c in f["geometry"]["coordinates"][0]]
    assert min(xs) == pytest.approx(115.605, abs=0.001)  # converted back to WGS84
    swapped = {
        **fc,
        "features": [
            {
                **fc["features"][0],
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[y, x] for x, y in [*ring, ring[0]]]],
                },
            }
        ],
    }
    r = client.post(
        "/areas/tiny/floods?name=x", content=json.dumps(swapped), headers=heads["planner"]
    )
    assert r.status_code == 422
    r = client.post("/areas/tiny/floods?name=x", content=b"{not json", headers=heads["planner"])
    assert r.status_code == 422
    r = client.post(
        "/jobs",
        json={**body, "options": {"floods": ["nope"]}},
        headers=heads["planner"],
    )
    assert r.status_code == 422 and r.json()["field"] == "options.floods[0]"


def test_area_upload(service, tiny_gpkg):
    """A planner uploads an area (checked first); it can then be used like any other; a
    duplicate name, a viewer, or a file that is no GeoPackage are refused."""
    client, heads, _ = service
    data = tiny_gpkg.read_bytes()
    r = client.post("/areas?name=grid2", content=data, headers=heads["duty_officer"])
    assert r.status_code == 403
    r = client.post("/areas?name=grid2", content=data, headers=heads["planner"])
    assert r.status_code == 201 and r.json() == {"area": "grid2", "depots": 2, "points": 5}
    assert "grid2" in client.get("/areas", headers=heads["viewer"]).json()
    depots = client.get("/areas/grid2/depots", headers=heads["viewer"]).json()
    assert {d["id"] for d in depots} == {"D1", "D2"}
    assert (
        client.post("/areas?name=grid2", content=data, headers=heads["planner"]).status_code == 409
    )
    r = client.post("/areas?name=junk", content=b"not a geopackage", headers=heads["planner"])
    assert r.status_code == 422
    assert "junk" not in client.get("/areas", headers=heads["viewer"]).json()


def test_shelter_capacity_changes_reach_the_check(service):
    """Cutting shelter S1 to 150 places leaves 50 of the 200 people without a place: the
    next check says so; the change is versioned and audited; non-shelters are 404."""
    client, heads, _ = service
    listed = client.get("/areas/tiny/shelters", headers=heads["viewer"]).json()
    assert [s["id"] for s in listed] == ["S1"] and listed[0]["version"] == 0
    r = client.put(
        "/areas/tiny/shelters/S1",
        json={"capacity": 150, "expected_version": 0},
        headers=heads["duty_officer"],
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    r = client.put("/areas/tiny/shelters/P1", json={"capacity": 5}, headers=heads["planner"])
    assert r.status_code == 404 and r.json()["field"] == "point"
    body = {"kind": "check", "area": "tiny", "scenario": dispatch_scenario()}
    job = wait(
        client,
        heads["viewer"],
        client.post("/jobs", json=body, headers=heads["planner"]).json()["id"],
    )
    res = client.get(job["result"], headers=heads["viewer"]).json()
    over = [p for p in res["points"]["features"] if p["properties"]["id"].endswith("#overflow")]
    assert sum(p["properties"]["people"] for p in over) == 50
    actions = [a["action"] for a in client.get("/audit", headers=heads["viewer"]).json()]
    assert actions == ["submit_check", "set_shelter_capacity"]


def test_added_depot_gets_stock_and_ships(service):
    """An enterprise depot added next to the shelter can be stocked and is listed, audited;
    a depot far outside China, a duplicate id, or an unknown tier are refused."""
    client, heads, _ = service
    new = {"id": "E1", "name": "协议企业仓库", "tier": "enterprise", "lon": 115.611, "lat": 37.719}
    r = client.post("/areas/tiny/depots", json=new, headers=heads["planner"])
    assert r.status_code == 201, r.text
    assert r.json()["stock"]["food"] == 0
    assert client.post("/areas/tiny/depots", json=new, headers=heads["planner"]).status_code == 409
    far = {**new, "id": "E2", "lon": 10.0, "lat": 50.0}
    r = client.post("/areas/tiny/depots", json=far, headers=heads["planner"])
    assert r.status_code == 422
    r = client.post(
        "/areas/tiny/depots", json={**new, "id": "E3", "tier": "boss"}, headers=heads["planner"]
    )
    assert r.status_code == 422 and r.json()["field"] == "tier"
    ids = {d["id"] for d in client.get("/areas/tiny/depots", headers=heads["viewer"]).json()}
    assert ids == {"D1", "D2", "E1"}
    url = "/areas/tiny/depots/E1/stock/water"
    assert client.put(url, json={"quantity": 5000}, headers=heads["planner"]).status_code == 200
    d = next(
        d
        for d in client.get("/areas/tiny/depots", headers=heads["viewer"]).json()
        if d["id"] == "E1"
    )
    assert d["stock"]["water"] == 5000 and d["versions"]["water"] == 1
    assert [a["action"] for a in client.get("/audit", headers=heads["viewer"]).json()][:2] == [
        "set_stock",
        "add_depot",
    ]


def test_the_service_reads_no_file_a_client_names(service, tmp_path):
    client, heads, _ = service
    secret = tmp_path / "s.yaml"
    secret.write_text("name: x\n", encoding="utf-8")
    for name in (str(secret), "../scenarios/library/hengshui-example", "/etc/passwd"):
        body = {"kind": "check", "area": "tiny", "scenario": name}
        r = client.post("/jobs", json=body, headers=heads["planner"])
        assert r.status_code == 422 and r.json()["field"] == "scenario", name
    scenario = dispatch_scenario()
    scenario["floods"] = [{"name": "f", "file": "/etc/hostname"}]
    r = client.put("/scenarios/bad", json={"body": scenario}, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["field"] == "floods[0].file"
    body = {"kind": "check", "area": "hengshui", "scenario": dispatch_scenario()}
    r = client.post("/jobs", json=body, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["field"] == "area"  # tiny scenario, other area


def test_chunked_bodies_over_the_limit_are_refused(tmp_path, tiny_gpkg, db_url):
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_body_bytes=1000)
    heads = tokens(cfg)
    with TestClient(create_app(cfg, run_jobs=False)) as client:

        def chunks():  # no Content-Length: sent chunked
            for _ in range(10):
                yield b"x" * 500

        r = client.post("/areas/tiny/floods?name=big", content=chunks(), headers=heads["planner"])
        assert r.status_code == 413 and r.json()["field"] == "body"
        assert client.get("/areas/tiny/floods", headers=heads["viewer"]).json() == []


def test_concurrent_stock_edits_do_not_both_win(tmp_path, tiny_gpkg, db_url):
    """Two editors read version 1; the second write to land finds it changed and fails."""
    from service.api.db import Stock
    from service.api.registry import StaleVersionError, area_with_stock, set_stock

    cfg = settings(tmp_path, tiny_gpkg, db_url)
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        area = area_with_stock(s, "tiny", cfg.areas)
        set_stock(s, area, "tiny", "D1", "food", 10, None, ("a", "planner"))
    with sessions() as a, sessions() as b:
        seen = a.get(Stock, ("tiny", "D1", "food"))  # A has read version 1 (and keeps it)
        set_stock(b, area, "tiny", "D1", "food", 20, 1, ("b", "planner"))
        with pytest.raises(StaleVersionError):
            set_stock(a, area, "tiny", "D1", "food", 30, None, ("a", "planner"))
        assert seen is not None
    with sessions() as s:
        row = s.get(Stock, ("tiny", "D1", "food"))
        assert (row.quantity, row.version) == (20, 2)
    engine.dispose()


def test_bearer_scheme_is_case_insensitive_and_jobs_are_audited(service):
    client, heads, _ = service
    secret = heads["planner"]["Authorization"].split(" ", 1)[1]
    assert client.get("/areas", headers={"Authorization": f"bearer {secret}"}).status_code == 200
    body = {"kind": "site", "area": "tiny", "options": {"p": 1}}
    job = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
    trail = client.get("/audit", headers=heads["viewer"]).json()
    assert trail[0]["action"] == "submit_site" and trail[0]["target"] == job


def test_exercise_job(service):
    """An exercise runs as a job: one summary per step, the final plan attached."""
    client, heads, _ = service
    data = yaml.safe_load((TINY / "exercise.yaml").read_text(encoding="utf-8"))
    body = {
        "kind": "exercise",
        "area": "tiny",
        "scenario": json.loads(json.dumps(data, default=str)),
        "options": {"time_limit_s": 0.5, "engine": "greedy"},
    }
    r = client.post("/jobs", json=body, headers=heads["planner"])
    assert r.status_code == 202, r.text
    job = wait(client, heads["viewer"], r.json()["id"])
    assert job["status"] == "done", job
    res = client.get(job["result"], headers=heads["viewer"]).json()
    assert [s["at_h"] for s in res["steps"]] == [0.0, 2.5, 3.0]
    assert res["plan"]["redispatch"]["at_h"] == 3.0
    r = client.post(
        "/jobs", json={**body, "scenario": dispatch_scenario()}, headers=heads["planner"]
    )
    assert r.status_code == 422 and r.json()["field"] == "scenario.injects"
