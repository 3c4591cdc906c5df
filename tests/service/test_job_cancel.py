"""Cancelling jobs (POST /jobs/{id}/cancel): a queued job never runs; a running one is
marked cancelled at once, stops at its next stage and keeps no result; only its submitter
or a planner may cancel it."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from service.api.app import create_app
from service.api.db import open_db
from service.api.job_kinds import JobKind, register, unregister
from tests.service.test_api import settings, tokens


class GateOptions(BaseModel):
    """Which run this is, and whether it reports progress after the gate opens."""

    model_config = ConfigDict(extra="forbid")
    tag: str = ""
    report_after: bool = True


class Gate:
    """A toy job kind that waits at a gate between two stages."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.started = threading.Event()
        self.go = threading.Event()
        self.returned = threading.Event()
        self.stopped = threading.Event()

    def __call__(self, request, area, progress):
        opts = request["options"]
        self.ran.append(opts["tag"])
        progress("before", 0.1)
        self.started.set()
        self.go.wait(30)
        try:
            if opts["report_after"]:
                progress("after", 0.5)
        except BaseException:
            self.stopped.set()
            raise
        self.returned.set()
        return {"tag": opts["tag"]}


@pytest.fixture
def gate():
    g = Gate()
    register(JobKind("toy-gate", "闸门", "gate", g, GateOptions, needs_scenario=False))
    yield g
    g.go.set()
    unregister("toy-gate")


@pytest.fixture
def service(tmp_path, tiny_gpkg, db_url, gate):
    cfg = settings(tmp_path, tiny_gpkg, db_url)  # one worker
    heads = tokens(cfg)
    engine, sessions = open_db(cfg.db_url)
    from service.api.auth import create_token

    with sessions() as s:
        heads["duty2"] = {"Authorization": f"Bearer {create_token(s, 'duty2', 'duty_officer')}"}
    engine.dispose()
    with TestClient(create_app(cfg)) as client:
        yield client, heads, cfg
        gate.go.set()  # let a blocked job end before the server stops


def submit(client, headers, **options):
    r = client.post(
        "/jobs", json={"kind": "toy-gate", "area": "tiny", "options": options}, headers=headers
    )
    assert r.status_code == 202, r.text
    return r.json()["id"]


def status(client, headers, job_id):
    return client.get(f"/jobs/{job_id}", headers=headers).json()


def until(check, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_queued_job_cancelled_never_runs(service, gate):
    """With the one worker busy, the second job waits; cancelled, it never starts."""
    client, heads, _ = service
    first = submit(client, heads["duty_officer"], tag="first")
    assert gate.started.wait(20)
    second = submit(client, heads["duty_officer"], tag="second")
    assert status(client, heads["viewer"], second)["status"] == "queued"
    r = client.post(f"/jobs/{second}/cancel", headers=heads["duty_officer"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["error"]["problem"] == "cancelled by duty"
    gate.go.set()
    until(lambda: status(client, heads["viewer"], first)["status"] == "done")
    time.sleep(0.3)  # the worker is free: a job still queued would start now
    assert gate.ran == ["first"]
    job = status(client, heads["viewer"], second)
    assert job["status"] == "cancelled" and job["started_at"] is None and job["result"] is None
    assert "取消" in job["error"]["problem_zh"]


@pytest.mark.parametrize("report_after", [True, False])
def test_a_running_job_cancelled_keeps_no_result(service, gate, report_after):
    """Cancelled while it runs, the job shows "cancelled" at once; it stops at its next
    progress report, or, if it finishes without one, its result is discarded."""
    client, heads, cfg = service
    job_id = submit(client, heads["duty_officer"], tag="x", report_after=report_after)
    assert gate.started.wait(20)
    assert status(client, heads["viewer"], job_id)["status"] == "running"
    r = client.post(f"/jobs/{job_id}/cancel", headers=heads["planner"])  # a planner may
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    gate.go.set()
    if report_after:
        assert gate.stopped.wait(20) and not gate.returned.is_set()
    else:
        assert gate.returned.wait(20)
    until(lambda: not list((cfg.data_dir / "jobs").glob("*.json.*")))  # no temporary left
    time.sleep(0.3)  # the worker has recorded what it would
    job = status(client, heads["viewer"], job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    assert job["error"]["problem"] == "cancelled by planner"
    assert not (cfg.data_dir / "jobs" / f"{job_id}.json").exists()
    r = client.get(f"/jobs/{job_id}/result", headers=heads["viewer"])
    assert r.status_code == 409 and r.json()["field"] == "status"
    actions = [a["action"] for a in client.get("/audit", headers=heads["viewer"]).json()]
    assert actions == ["cancel_job", "submit_toy-gate"]


def test_only_the_submitter_or_a_planner_may_cancel(service, gate):
    """A viewer or another duty officer cannot cancel someone's job (403, nothing changes);
    a finished job cannot be cancelled (409); an unknown one is a 404."""
    client, heads, _ = service
    job_id = submit(client, heads["duty_officer"], tag="mine")
    assert gate.started.wait(20)
    for who in ("viewer", "duty2"):
        r = client.post(f"/jobs/{job_id}/cancel", headers=heads[who])
        assert r.status_code == 403 and r.json()["problem_zh"], who
        assert status(client, heads["viewer"], job_id)["status"] == "running"
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 401
    gate.go.set()
    until(lambda: status(client, heads["viewer"], job_id)["status"] == "done")
    r = client.post(f"/jobs/{job_id}/cancel", headers=heads["duty_officer"])
    assert (
        r.status_code == 409
        and r.json()["field"] == "status"
        and "已完成" in r.json()["problem_zh"]
    )
    assert client.get(f"/jobs/{job_id}/result", headers=heads["viewer"]).json() == {"tag": "mine"}
    r = client.post("/jobs/no-such-job/cancel", headers=heads["planner"])
    assert r.status_code == 404 and r.json()["field"] == "job_id"


def test_cancelling_twice_answers_the_cancelled_job(service, gate):
    """A second cancel of the same job changes nothing and is audited once."""
    client, heads, _ = service
    job_id = submit(client, heads["duty_officer"], tag="twice")
    assert gate.started.wait(20)
    first = client.post(f"/jobs/{job_id}/cancel", headers=heads["duty_officer"]).json()
    second = client.post(f"/jobs/{job_id}/cancel", headers=heads["planner"]).json()
    assert first == second and second["error"]["problem"] == "cancelled by duty"
    actions = [a["action"] for a in client.get("/audit", headers=heads["viewer"]).json()]
    assert actions.count("cancel_job") == 1
