"""Answers read on every visit: made once per registry version, with ETag, 304 and gzip;
a stock edit changes the depot list at once."""

from __future__ import annotations

import gzip
import json

from service.api.db import Job, open_db
from tests.service.test_api import service  # noqa: F401 - the fixture


def test_the_depot_list_is_cached_per_registry_version(service):  # noqa: F811
    client, heads, _ = service
    h = heads["viewer"]
    first = client.get("/areas/tiny/depots", headers=h)
    assert first.status_code == 200 and first.headers["etag"]
    tag = first.headers["etag"]
    again = client.get("/areas/tiny/depots", headers={**h, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    raw = client.get(
        "/areas/tiny/depots", headers={**h, "Accept-Encoding": "gzip"}, follow_redirects=False
    )
    # Small answers go plain; larger ones compressed (the layers below and results are).
    assert (raw.headers.get("content-encoding") == "gzip") == (len(first.content) >= 1024)
    assert raw.json() == first.json()
    r = client.put(
        "/areas/tiny/depots/D2/stock/food", json={"quantity": 77}, headers=heads["planner"]
    )
    assert r.status_code == 200
    fresh = client.get("/areas/tiny/depots", headers={**h, "If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != tag
    d2 = next(d for d in fresh.json() if d["id"] == "D2")
    assert d2["stock"]["food"] == 77 and d2["versions"]["food"] == 1
    assert client.get("/areas/atlantis/depots", headers=h).status_code == 404


def test_layers_have_etags_and_gzip(service):  # noqa: F811
    client, heads, _ = service
    h = {**heads["viewer"], "Accept-Encoding": "gzip"}
    r = client.get("/areas/tiny/layers/roads", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    assert r.json()["type"] == "FeatureCollection" and r.headers["etag"]
    assert r.headers["content-encoding"] == "gzip"
    again = client.get(
        "/areas/tiny/layers/roads", headers={**h, "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get("/areas/tiny/layers/tiles", headers=h).status_code == 404


def test_the_map_layers_the_workspace_draws(service):  # noqa: F811
    """Rivers (an empty collection where the area has none) and shelters with capacity."""
    client, heads, _ = service
    h = heads["viewer"]
    rivers = client.get("/areas/tiny/layers/rivers", headers=h)
    assert rivers.status_code == 200 and rivers.json()["type"] == "FeatureCollection"
    points = client.get("/areas/tiny/layers/points", headers=h).json()["features"]
    shelters = client.get("/areas/tiny/layers/shelters", headers=h).json()["features"]
    kept = [f["properties"]["id"] for f in points if f["properties"]["kind"] == "shelter"]
    assert kept, "the tiny area has a shelter"
    assert [f["properties"]["id"] for f in shelters] == kept
    assert all(set(f["properties"]) == {"id", "name", "capacity"} for f in shelters)


def test_a_stored_result_is_served_from_memory_with_an_etag(service, tmp_path):  # noqa: F811
    """A finished job's result (written here as the runner would) comes compressed, with an
    ETag that a second read can send back for a 304."""
    client, heads, cfg = service
    doc = {
        "report": {"x": list(range(2000))},
        "points": {"type": "FeatureCollection", "features": []},
    }
    path = cfg.data_dir / "jobs" / "done-job.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        s.add(
            Job(
                id="done-job",
                kind="check",
                status="done",
                request="{}",
                token="t",
                result_file=str(path),
            )
        )
        s.commit()
    engine.dispose()
    h = {**heads["viewer"], "Accept-Encoding": "gzip"}
    r = client.get("/jobs/done-job/result", headers=h)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.json() == doc
    assert len(gzip.compress(path.read_bytes())) < len(path.read_bytes())
    r2 = client.get("/jobs/done-job/result", headers={**h, "If-None-Match": r.headers["etag"]})
    assert r2.status_code == 304
    layer = client.get("/jobs/done-job/result/points", headers=h)
    assert layer.status_code == 200 and layer.json()["type"] == "FeatureCollection"
    assert client.get("/jobs/done-job/result/nothing", headers=h).status_code == 404
