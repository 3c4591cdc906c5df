"""The browser workspace: its shell at ``/``, its web font, and the two reads it adds to the API.

The page is static (``static/workspace``) and does everything through the HTTP API; what it
needs beyond the other routes is here: ``GET /me`` (the token's role and what it may do) and
``GET /jobs/{id}/summary`` (a relief check's answer, arranged as the CLI's summary page).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from service.api.auth import DRILL_CONTROLLERS, DRILL_PLAYERS, JOB_SUBMITTERS, STOCK_WRITERS, Role
from service.api.context import STATIC
from service.api.db import Job
from service.api.deps import Caller, CurrentUser, Services, ServicesDep
from service.api.errors import NotACheckError
from service.api.routes_jobs import result_file
from service.api.workspace_schemas import CheckSummaryOut, CountyOut, LateOut, MeOut, TargetOut
from service.i18n import BINDING, REASONS, Lang, both_figures, reason_text
from service.report_summary import build_summary, note_text

WORKSPACE = STATIC / "workspace"
#: The full CJK subset (3.4 MB): the fallback face for characters the web subset lacks.
FULL_FONT = Path(__file__).parents[1] / "assets" / "NotoSansSC-Subset.otf"
FONT_CACHE = {"Cache-Control": "public, max-age=86400"}

ROLE_ZH = {
    Role.PLANNER: "规划人员",
    Role.DUTY_OFFICER: "值班人员",
    Role.EXERCISE_DESIGNER: "演练设计人员",
    Role.VIEWER: "只读用户",
}


def may(role: Role) -> dict[str, bool]:
    """What ``role`` may do, from the role sets the routes check (the page hides the rest)."""
    return {
        "run_jobs": role in JOB_SUBMITTERS,
        "write_stock": role in STOCK_WRITERS,
        "upload_area": role is Role.PLANNER,
        "control_drills": role in DRILL_CONTROLLERS,
        "play_drills": role in DRILL_PLAYERS,
    }


router = APIRouter(tags=["workspace"])


@router.get("/", include_in_schema=False)
def root() -> FileResponse:
    """The workspace (static; it calls the API below with the user's token)."""
    return FileResponse(WORKSPACE / "index.html", media_type="text/html")


@router.get("/workspace/fonts/NotoSansSC-Subset.otf", include_in_schema=False)
def full_font() -> FileResponse:
    """The full CJK subset, fetched by the browser only for a character the web font lacks."""
    return FileResponse(FULL_FONT, media_type="font/otf", headers=FONT_CACHE)


@router.get("/me")
def me(tok: CurrentUser) -> MeOut:
    """The caller's token name and role, and what the role may do."""
    return MeOut(name=tok.name, role=tok.role.value, role_zh=ROLE_ZH[tok.role], may=may(tok.role))


def _summary_of(services: Services, job_id: str, tok: Caller) -> CheckSummaryOut:
    with services.sessions() as s:
        path = result_file(s, job_id, tok)
        job = s.get(Job, job_id)
        assert job is not None  # result_file found it
        kind, area = job.kind, json.loads(job.request).get("area", "")
    if kind != "check":
        raise NotACheckError(job_id=job_id, kind=kind)
    whole = json.loads(path.read_text(encoding="utf-8"))
    out = summary_out(job_id, area, whole["report"])
    return out.model_copy(update={"flood": "flood" in whole})


@router.get("/jobs/{job_id}/summary")
async def summary(job_id: str, tok: CurrentUser, services: ServicesDep) -> CheckSummaryOut:
    """A finished relief check's answer: both figures per target, counties, late places.

    Arranged by ``service.report_summary`` (as the CLI's summary.html), texts in Chinese
    and English; 409 while the job runs, 422 for a job of another kind.
    """
    return await run_in_threadpool(_summary_of, services, job_id, tok)


def summary_out(job_id: str, area: str, doc: dict[str, Any]) -> CheckSummaryOut:
    """The workspace's view of a check's ``report.json``."""
    summ = build_summary(doc)
    where = {str(p["id"]): (p.get("lon"), p.get("lat")) for p in doc.get("points", [])}
    names = {str(p["id"]): str(p.get("name") or "") for p in doc.get("points", [])}
    targets = []
    for t, row in zip(summ.targets, doc.get("targets", []), strict=True):
        zh, en = BINDING.get(t.binding, (t.binding, t.binding))
        targets.append(
            TargetOut(
                hours=t.hours,
                people=t.people,
                bound_people_met=t.bound_met,
                bound_share_met=float(row["share_met"]),
                plan_people_met=t.plan_met,
                plan_share_met=row.get("plan_share_met"),
                gap_points=row.get("gap_points"),
                binding=t.binding,
                binding_zh=zh,
                binding_en=en,
                text_zh=both_figures(row, Lang.ZH),
                text_en=both_figures(row, Lang.EN),
                need_groups={
                    g: float(v["share_met"]) for g, v in (row.get("by_need_group") or {}).items()
                },
            )
        )
    h0 = summ.targets[0].hours if summ.targets else 0.0
    late = [
        LateOut(
            id=x.id,
            name=x.name,
            county=x.county,
            people=x.people,
            lon=where.get(x.id, (None, None))[0],
            lat=where.get(x.id, (None, None))[1],
            bound_not_met=x.bound_not_met.get(h0, 0),
            plan_not_met=x.plan_not_met.get(h0),
            reason=x.reason,
            reason_zh=reason_text(x.reason, Lang.ZH, x.reason_item, x.reason_quantity),
            reason_en=reason_text(x.reason, Lang.EN, x.reason_item, x.reason_quantity),
        )
        for x in summ.shortfalls
    ]
    return CheckSummaryOut(
        job=job_id,
        area=area,
        scenario=summ.scenario,
        scenario_zh=summ.scenario_zh,
        affected=summ.affected,
        sheltered=summ.sheltered,
        without_place=summ.without_place,
        everyone_met_h=summ.everyone_met_h,
        bound_everyone_met_by_h=summ.bound_everyone_met_by_h,
        targets=targets,
        counties=[
            CountyOut(
                county=r.county,
                people=r.people,
                bound_people_met=r.bound_met,
                plan_people_met=r.plan_met,
            )
            for r in summ.by_home_county
        ],
        late=late,
        reasons=dict(REASONS),
        notes_zh=[note_text(n, Lang.ZH, names) for n in summ.notes],
        notes_en=[note_text(n, Lang.EN, names) for n in summ.notes],
    )
