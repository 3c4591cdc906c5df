"""The job-kind registry: a kind registered at run time is accepted by POST /jobs, checked
against its roles and options, listed in the OpenAPI schema and run; an unknown kind is an
error, never a fallback. Solver errors inside a job or a request get their own status."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from service.api.app import create_app
from service.api.auth import Role
from service.api.errors import INFEASIBLE_ZH, UnknownJobKindError
from service.api.job_kinds import REGISTRY, JobKind, get_kind, register, unregister
from solver.errors import InfeasibleError, SolverError
from tests.service.test_api import settings, tokens


class EchoOptions(BaseModel):
    """The toy kind's options."""

    model_config = ConfigDict(extra="forbid")
    word: str = "hello"
    fail: str = ""


def echo(request, area, progress):
    """A toy runner: says its word back with the area's depots, or fails as asked."""
    progress("echo", 0.5)
    fail = request["options"]["fail"]
    if fail == "infeasible":
        raise InfeasibleError("toy model: demand 5 > capacity 3")
    if fail == "solver":
        raise SolverError("toy solver crashed", problem_zh="玩具求解器崩溃")
    if fail == "bug":
        raise KeyError("secret internals")
    return {"word": request["options"]["word"], "depots": len(area(request["area"]).network.depots)}


@pytest.fixture
def toy_kind():
    kind = register(
        JobKind(
            "toy-echo",
            "回声",
            "echo",
            echo,
            EchoOptions,
            roles=frozenset({Role.PLANNER}),
            needs_scenario=False,
        )
    )
    yield kind
    unregister("toy-echo")


@pytest.fixture
def client(tmp_path, tiny_gpkg, toy_kind):
    cfg = settings(tmp_path, tiny_gpkg, f"sqlite:///{tmp_path / 'r.db'}")
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as c:
        yield c, heads


def finished(client, headers, job_id, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']}")


def test_the_built_in_kinds_are_registered_once():
    """The five analyses and re-dispatch are in the registry with labels; a name is taken once."""
    assert {"check", "dispatch", "redispatch", "site", "exercise", "drill_score"} <= set(REGISTRY)
    for kind in REGISTRY.values():
        assert kind.label_zh and kind.label_en and kind.roles
    assert not get_kind("drill_score").submitted  # asked for at the drill, not at /jobs
    with pytest.raises(ValueError, match="already registered"):
        register(get_kind("check"))


def test_an_unknown_kind_is_an_error_never_a_fallback(client):
    """A misspelt kind is a bilingual 422 naming ``kind`` and the kinds there are; a kind
    that exists but is not submitted through /jobs is refused the same way."""
    with pytest.raises(UnknownJobKindError) as info:
        get_kind("chek")
    assert info.value.body.field == "kind" and "check" in info.value.body.problem
    c, heads = client
    for kind in ("paint", "drill_score"):
        r = c.post("/jobs", json={"kind": kind, "area": "tiny"}, headers=heads["planner"])
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["field"] == "kind" and "未知任务类型" in body["problem_zh"]
        known = body["problem"].split("; one of ")[1]
        assert "toy-echo" in known and "drill_score" not in known
    assert c.get("/audit", headers=heads["viewer"]).json() == []  # nothing queued


def test_a_registered_toy_kind_runs_through_post_jobs(client):
    """The toy kind is in the OpenAPI enum with its options model, runs on the area and
    returns its result; its roles and options are checked before anything is queued."""
    c, heads = client
    job_in = c.get("/openapi.json").json()["components"]["schemas"]["JobIn"]["properties"]
    assert "toy-echo" in job_in["kind"]["enum"] and "drill_score" not in job_in["kind"]["enum"]
    assert {"$ref": "#/components/schemas/EchoOptions"} in job_in["options"]["anyOf"]
    body = {"kind": "toy-echo", "area": "tiny", "options": {"word": "你好"}}
    r = c.post("/jobs", json=body, headers=heads["duty_officer"])
    assert r.status_code == 403 and r.json()["field"] == "role"
    assert "回声" in r.json()["problem_zh"]
    r = c.post("/jobs", json={**body, "options": {"wrod": "x"}}, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["field"] == "options.wrod"
    assert "word" in r.json()["problem"]
    r = c.post("/jobs", json=body, headers=heads["planner"])
    assert r.status_code == 202, r.text
    job = finished(c, heads["viewer"], r.json()["id"])
    assert job["status"] == "done" and job["kind"] == "toy-echo"
    assert c.get(job["result"], headers=heads["viewer"]).json() == {"word": "你好", "depots": 2}


@pytest.mark.parametrize(
    ("fail", "status", "problem", "problem_zh"),
    [
        ("infeasible", 422, "no solution under the hard constraints", INFEASIBLE_ZH),
        ("solver", 500, "toy solver crashed", "玩具求解器崩溃"),
        ("bug", 500, "internal error", "服务器内部错误"),
    ],
)
def test_a_failed_job_says_why_with_the_status_a_request_gets(
    client, fail, status, problem, problem_zh
):
    """Infeasibility in a job is a clear failure (not "internal error"); a solver's own
    failure keeps its message; a bug says nothing of the internals."""
    c, heads = client
    body = {"kind": "toy-echo", "area": "tiny", "options": {"fail": fail}}
    job = finished(
        c, heads["viewer"], c.post("/jobs", json=body, headers=heads["planner"]).json()["id"]
    )
    assert job["status"] == "failed" and job["result"] is None
    err = job["error"]
    assert err["http_status"] == status and problem in err["problem"]
    assert err["problem_zh"] == problem_zh
    assert "secret internals" not in str(err)
    if fail == "infeasible":
        assert "demand 5 > capacity 3" in err["problem"]  # the solver's reason is kept


@pytest.mark.parametrize(
    ("exc", "status", "problem_zh"),
    [
        (InfeasibleError("no route reaches S1 by 10 h"), 422, INFEASIBLE_ZH),
        (
            SolverError("HiGHS: numerical trouble"),
            500,
            "求解器未能给出结果(数值问题或求解器故障,并非无解)",
        ),
    ],
)
def test_solver_errors_in_a_request_have_their_status(tmp_path, tiny_gpkg, exc, status, problem_zh):
    """A solver error raised while answering a request gets its documented status and a
    bilingual body, never the generic internal error."""
    cfg = settings(tmp_path, tiny_gpkg, f"sqlite:///{tmp_path / 'r.db'}")
    app = create_app(cfg, run_jobs=False)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == status, r.text
    assert r.json()["problem_zh"] == problem_zh and str(exc) in r.json()["problem"]
