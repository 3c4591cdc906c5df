"""The duty officer's routes: a dispatch job's papers, re-dispatch at an hour, what it changed.

* ``GET /jobs/{id}/papers/{name}``: the bilingual driver sheets, loading and receipt lists,
  their front page, the workbook and the CSV of a finished dispatch (or re-dispatch) job, as
  ``relief dispatch`` writes them (``service.sheets``);
* ``POST /jobs/{id}/redispatch``: re-plan that job's plan at an hour after roads close,
  people are added at a place or depots are lost (``relief redispatch``), as a new job;
* ``GET /jobs/{id}/changes``: a re-dispatch job's plan beside the plan it re-planned
  (``service.plan_changes``): people met by each target before and after, changed vehicles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.api.context import check_time_limit
from service.api.db import Job
from service.api.deps import Caller, CurrentUser, Services, ServicesDep, Submitter
from service.api.duty_papers import papers_folder
from service.api.duty_schemas import PAPER_TYPES, PaperName, RedispatchIn
from service.api.errors import (
    NotADispatchError,
    NotARedispatchError,
    NothingChangedError,
    UnknownLostDepotError,
    UnknownPlaceError,
    UploadedFloodsError,
)
from service.api.routes_jobs import job_out, result_file
from service.api.schemas import JobOut
from service.i18n import Lang
from service.plan_changes import PlanChanges, plan_changes

#: Job kinds whose result holds a dispatch plan with its route legs.
PLAN_KINDS = ("dispatch", "redispatch")


router = APIRouter(tags=["duty"])


def _plan_job(s: Session, job_id: str, tok: Caller) -> tuple[Job, Path]:
    """A finished dispatch or re-dispatch job and its result file."""
    path = result_file(s, job_id, tok)  # 404 unknown, 409 not done
    job = s.get(Job, job_id)
    assert job is not None
    if job.kind not in PLAN_KINDS:
        raise NotADispatchError(job_id=job_id, kind=job.kind)
    return job, path


def _papers(services: Services, job_id: str, name: str, lang: Lang, tok: Caller) -> Path:
    with services.sessions() as s:
        job, path = _plan_job(s, job_id, tok)
        request = json.loads(job.request)
        area = services.known_area(s, request["area"])
    root = services.settings.data_dir / "papers"
    return papers_folder(root, job_id, lang, path, request, area) / name


@router.get("/jobs/{job_id}/papers/{name}", response_class=FileResponse)
async def paper(
    job_id: str, name: PaperName, tok: CurrentUser, services: ServicesDep, lang: Lang = Lang.BOTH
) -> FileResponse:
    """A finished dispatch job's papers, as ``relief dispatch`` writes them.

    ``sheets.html`` (driver sheets, one A4 page per vehicle), ``loading.html``,
    ``receipts.html``, ``papers.html`` (their front page), ``sheets.xlsx``, ``sheets.csv``;
    ``lang``: ``both`` (Chinese first), ``zh`` or ``en``. Made the first time they are asked
    for (seconds to half a minute for a county's plan), then served as files.
    """
    file = await run_in_threadpool(_papers, services, job_id, name, lang, tok)
    inline = name.endswith(".html")
    return FileResponse(
        file,
        media_type=PAPER_TYPES[name],
        filename=None if inline else f"dispatch-{job_id[:8]}-{name}",
    )


def _request(services: Services, job_id: str, body: RedispatchIn, tok: Caller) -> dict[str, Any]:
    """The re-dispatch job's request, every id in it checked against the area."""
    check_time_limit(services.settings, body.time_limit_s, "time_limit_s")
    if not (body.closures or body.add_people or body.depots_lost):
        raise NothingChangedError()
    with services.sessions() as s:
        job, path = _plan_job(s, job_id, tok)
        old = json.loads(job.request)
        if old.get("flood_files"):
            raise UploadedFloodsError()
        area = services.known_area(s, old["area"])
    doc = json.loads(path.read_text(encoding="utf-8"))["plan"]
    places = {p.id for p in area.network.points} | {
        str(st["point"]) for r in doc["routes"] for st in r["stops"]
    }
    for k, a in enumerate(body.add_people):
        if a.point not in places:
            raise UnknownPlaceError(point=a.point, area=old["area"], field=f"add_people[{k}].point")
    depots = {d.id for d in area.network.depots}
    for k, d in enumerate(body.depots_lost):
        if d not in depots:
            raise UnknownLostDepotError(depot=d, area=old["area"], field=f"depots_lost[{k}]")
    return {
        "area": old["area"],
        "previous_job": job_id,
        "plan_file": str(path),
        "at_h": body.at_h,
        "closures": [x.model_dump(mode="json", exclude_none=True) for x in body.closures],
        "added": [
            {"point": a.point, "people": a.people, "note": "reported at re-dispatch"}
            for a in body.add_people
        ],
        "depots_lost": list(body.depots_lost),
        "options": {"time_limit_s": body.time_limit_s, "seed": body.seed},
    }


@router.post("/jobs/{job_id}/redispatch", status_code=202)
async def redispatch(
    job_id: str, body: RedispatchIn, tok: Submitter, services: ServicesDep
) -> JobOut:
    """Re-plan a finished dispatch at ``at_h`` (hours after the report), as a new job.

    After roads close (by id, name, the road nearest a point, or along a line), people are
    added at a place, or depots are lost; trips under way deliver as planned. Poll
    ``GET /jobs/{id}``; then ``GET /jobs/{id}/changes``. A full queue is a 429.
    """
    request = await run_in_threadpool(_request, services, job_id, body, tok)
    job = await run_in_threadpool(
        services.runner.submit, "redispatch", request, tok.name, tok.role.value
    )
    return job_out(job)


def _changes(services: Services, job_id: str, tok: Caller) -> PlanChanges:
    with services.sessions() as s:
        job, path = _plan_job(s, job_id, tok)
        before = json.loads(job.request).get("previous_job")
        if job.kind != "redispatch" or not before:
            raise NotARedispatchError(job_id=job_id)
        _, old_path = _plan_job(s, before, tok)
    old = json.loads(old_path.read_text(encoding="utf-8"))["plan"]
    new = json.loads(path.read_text(encoding="utf-8"))["plan"]
    return plan_changes(old, new)


@router.get("/jobs/{job_id}/changes")
async def changes(job_id: str, tok: CurrentUser, services: ServicesDep) -> PlanChanges:
    """What a re-dispatch changed.

    People met by each target before and after, and each vehicle whose work changed (new,
    dropped, other stops, other roads, other times).
    """
    return await run_in_threadpool(_changes, services, job_id, tok)
