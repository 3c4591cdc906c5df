"""Routes for analysis jobs: submit, status, cancel, results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scenarios.model import problem_zh_of
from scenarios.siting_registry import REGISTRY as SITING_MODELS
from service.api.auth import DRILL_CONTROLLERS, Role
from service.api.cache import Entry, answer, make_entry
from service.api.context import check_time_limit, checked_scenario, stored_or_given
from service.api.db import Drill, Job, Layer
from service.api.deps import (
    Caller,
    CurrentUser,
    RunnerDep,
    ServicesDep,
    SessionDep,
    SettingsDep,
    Submitter,
)
from service.api.errors import (
    BadOptionError,
    JobNotDoneError,
    KindRefusedError,
    NoResultLayerError,
    NotYourJobError,
    OpensWhenEndedError,
    ResultGoneError,
    ScenarioNeededError,
    UnknownFloodLayerError,
    UnknownJobError,
    UnknownOptionError,
)
from service.api.job_kinds import JobKind, get_kind
from service.api.registry import area_spec, extra_areas
from service.api.schemas import JobIn, JobOut, SitingModelOut

router = APIRouter(tags=["jobs"])

#: Who may cancel any job, besides its submitter.
JOB_CANCELLERS = frozenset({Role.PLANNER})


@router.post("/jobs", status_code=202)
def submit(
    body: JobIn, tok: Submitter, cfg: SettingsDep, runner: RunnerDep, s: SessionDep
) -> JobOut:
    """Run an analysis in the background; poll ``GET /jobs/{id}``."""
    kind = get_kind(body.kind, submitted=True)
    if tok.role not in kind.roles:
        raise KindRefusedError(role=tok.role.value, kind=kind.name, label_zh=kind.label_zh)
    if kind.needs_scenario and body.scenario is None:
        raise ScenarioNeededError(kind=kind.name, label_zh=kind.label_zh)
    opts = _options(kind, body.options)
    check_time_limit(cfg, opts.get("time_limit_s"), "options.time_limit_s")
    area_spec(body.area, extra_areas(s, cfg.areas))  # unknown areas fail now
    scenario = stored_or_given(s, body.scenario)
    files: list[str] = []
    for k, lid in enumerate(opts.get("floods", [])):
        layer = s.get(Layer, lid)
        if layer is None or layer.area != body.area:
            raise UnknownFloodLayerError(layer=lid, area=body.area, field=f"options.floods[{k}]")
        files.append(layer.path)
    s.close()  # nothing more to read: no connection held while the scenario is checked
    if scenario is not None:  # validate before queueing
        checked_scenario(scenario, body.area, need_injects=kind.needs_injects, what="job")
    request = {"area": body.area, "scenario": scenario, "options": opts, "flood_files": files}
    return job_out(runner.submit(kind.name, request, tok.name, role=tok.role))


def _options(kind: JobKind, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` validated by the kind's options model (refusals name ``options.<field>``)."""
    assert kind.options is not None  # a submitted kind has one
    try:
        return kind.options.model_validate(given).model_dump(exclude_none=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
        field = "options" + where
        if err["type"] == "extra_forbidden":
            known = ", ".join(sorted(kind.options.model_fields))
            raise UnknownOptionError(kind=kind.name, known=known, field=field) from None
        raise BadOptionError(
            problem=err["msg"], problem_zh=problem_zh_of(err), field=field
        ) from None


@router.get("/siting/models")
def siting_models(_: CurrentUser) -> list[SitingModelOut]:
    """The siting models a ``site`` job accepts, in the registry's order."""
    return [
        SitingModelOut(
            name=m.name,
            label_zh=m.label_zh,
            label_en=m.label_en,
            needs_p=m.needs_p,
            uses_cutoff=m.uses_cutoff,
        )
        for m in SITING_MODELS.values()
    ]


@router.get("/jobs/{job_id}")
def job(job_id: str, _: CurrentUser, s: SessionDep) -> JobOut:
    """A job's status and progress (``error`` says why it failed or who cancelled it)."""
    return job_out(_job(s, job_id))


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: str, tok: CurrentUser, runner: RunnerDep, s: SessionDep) -> JobOut:
    """Cancel a queued or running job: its submitter, or a planner, may.

    A queued job never runs; a running one is marked cancelled at once, stops at its next
    stage and its result is discarded. Cancelling a cancelled job again answers it as it
    is; a finished (done or failed) one is a 409.
    """
    j = _job(s, job_id)
    if j.token != tok.name and tok.role not in JOB_CANCELLERS:
        raise NotYourJobError()
    s.close()
    return job_out(runner.cancel(job_id, tok.name, tok.role))


def _result_path(services: ServicesDep, job_id: str, tok: Caller) -> Path:
    with services.sessions() as s:
        path = result_file(s, job_id, tok)
        job = s.get(Job, job_id)
        if job is not None and not get_kind(job.kind).result_opens_with_drill:
            services.done_jobs[job_id] = path  # a drill's score opens when the drill ends
        return path


@router.get("/jobs/{job_id}/result", response_class=Response)
async def result(
    job_id: str, request: Request, tok: CurrentUser, services: ServicesDep
) -> Response:
    """The result of a finished job (JSON with GeoJSON layers inside).

    Read from memory after the first time (no thread, no query); ``ETag`` /
    ``If-None-Match`` and gzip.
    """
    known = services.done_jobs.get(job_id)
    path: Path = (
        known if known is not None else await run_in_threadpool(_result_path, services, job_id, tok)
    )
    try:
        entry: Entry | None = services.answers.peek(services.answers.file_key(path))
    except FileNotFoundError:
        services.done_jobs.pop(job_id, None)
        raise ResultGoneError() from None
    if entry is None:
        entry = await run_in_threadpool(services.answers.file, path)
    return answer(request, entry, "application/json")


@router.get("/jobs/{job_id}/result/{layer}", response_class=Response)
def result_layer(
    job_id: str,
    layer: str,
    request: Request,
    tok: CurrentUser,
    s: SessionDep,
    services: ServicesDep,
) -> Response:
    """One GeoJSON layer of a finished job's result, as ``application/geo+json``.

    Layers: ``points`` (check), ``routes`` (dispatch), ``flood``, ``sites`` (siting).
    """
    path = result_file(s, job_id, tok)

    def make() -> Entry:
        doc = json.loads(path.read_text(encoding="utf-8"))
        found = doc.get(layer)
        if not (isinstance(found, dict) and found.get("type") == "FeatureCollection"):
            raise NoResultLayerError(layer=layer)
        return make_entry(json.dumps(found, ensure_ascii=False).encode())

    st = path.stat()
    entry = services.answers.get(("layer", str(path), st.st_mtime_ns, layer), make)
    return answer(request, entry, "application/geo+json")


def _job(s: Session, job_id: str) -> Job:
    j = s.get(Job, job_id)
    if j is None:
        raise UnknownJobError(job_id=job_id)
    return j


def result_file(s: Session, job_id: str, tok: Caller) -> Path:
    """The result file of a finished job (409 while it is not done, 404 if it is gone).

    A drill's score holds the script (the optimiser plans on it): players and viewers read
    it once the drill has ended.
    """
    j = _job(s, job_id)
    if get_kind(j.kind).result_opens_with_drill and Role(tok.role) not in DRILL_CONTROLLERS:
        drill = s.get(Drill, json.loads(j.request).get("drill", ""))
        if drill is None or drill.status != "ended":
            raise OpensWhenEndedError(what="a drill's score", what_zh="评分")
    if j.status != "done":
        raise JobNotDoneError(status=j.status)
    path = Path(j.result_file)
    if not path.is_file():
        raise ResultGoneError()
    return path


def job_out(j: Job) -> JobOut:
    """A job as the API shows it."""
    return JobOut(
        id=j.id,
        kind=j.kind,
        status=j.status,  # type: ignore[arg-type]
        stage=j.stage,
        progress=j.progress,
        error=json.loads(j.error) if j.error else None,
        created_at=j.created_at,
        started_at=j.started_at,
        finished_at=j.finished_at,
        result=f"/jobs/{j.id}/result" if j.status == "done" else None,
    )
