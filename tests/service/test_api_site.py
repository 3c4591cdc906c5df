"""Siting through the service: model names from the registry, the curve in the job result."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.service.test_api import settings, tokens, wait


def test_site_job_carries_the_curve_and_refuses_unknown_models(tmp_path, tiny_gpkg, db_url):
    """A site job with curve=2 returns p = 0..2 with people newly covered; an unknown model,
    or a curve of 0, is a 422 naming the field."""
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=10.0)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        bad = {"kind": "site", "area": "tiny", "options": {"model": "voronoi"}}
        r = client.post("/jobs", json=bad, headers=heads["planner"])
        assert r.status_code == 422 and "model" in r.text
        bad = {"kind": "site", "area": "tiny", "options": {"curve": 0}}
        assert client.post("/jobs", json=bad, headers=heads["planner"]).status_code == 422
        # The tiny area has no township seats: the bundled Hengshui area has candidates.
        body = {
            "kind": "site",
            "area": "hengshui",
            "options": {"p": 1, "travel_h": 0.5, "tier": "township", "curve": 2},
        }
        job_id = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
        job = wait(client, heads["viewer"], job_id)
        assert job["status"] == "done", job.get("error")
        doc = client.get(job["result"], headers=heads["viewer"]).json()["siting"]
        assert [c["p"] for c in doc["curve"]] == [0, 1, 2]
        assert doc["status"] == "optimal" and doc["status_text"] == "optimal"
        gained = [c["newly_covered"] for c in doc["curve"][1:]]
        assert all(g >= 0 for g in gained)
        # The places, reached before and after: their people give the coverage figures.
        places = client.get(job["result"], headers=heads["viewer"]).json()["places"]
        rows = [f["properties"] for f in places["features"]]
        total = sum(r["people"] for r in rows)
        assert total == doc["people"]
        for key, share in (
            ("reached_before", "coverage_before"),
            ("reached_after", "coverage_after"),
        ):
            assert abs(sum(r["people"] for r in rows if r[key]) / total - doc[share]) < 1e-9
        assert all(r["reached_after"] for r in rows if r["reached_before"])
        # Bad input found only when the job runs fails it with the field named, bilingually.
        body = {"kind": "site", "area": "tiny", "options": {"p": 1}}
        job_id = client.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
        job = wait(client, heads["viewer"], job_id)
        assert job["status"] == "failed"
        assert job["error"]["field"] == "candidates" and job["error"]["problem_zh"]


def test_siting_models_are_listed_and_the_time_limit_is_checked(tmp_path, tiny_gpkg, db_url):
    """GET /siting/models lists the registry's models with their labels (a token needed); a
    site job's time limit above the server's is refused naming options.time_limit_s."""
    from scenarios.siting_registry import REGISTRY

    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=10.0)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        assert client.get("/siting/models").status_code == 401
        listed = client.get("/siting/models", headers=heads["viewer"]).json()
        assert [m["name"] for m in listed] == list(REGISTRY)
        for m in listed:
            model = REGISTRY[m["name"]]
            assert (m["label_zh"], m["needs_p"]) == (model.label_zh, model.needs_p)
        body = {"kind": "site", "area": "tiny", "options": {"time_limit_s": 20}}
        r = client.post("/jobs", json=body, headers=heads["planner"])
        assert r.status_code == 422 and r.json()["field"] == "options.time_limit_s"
