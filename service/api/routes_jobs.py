"""Routes for analysis jobs: submit, status, results."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scenarios.model import problem_zh_of
from service.api.auth import DRILL_CONTROLLERS, Role
from service.api.cache import Entry, answer, make_entry
from service.api.context import (
    ApiError,
    Ctx,
    check_time_limit,
    checked_scenario,
    stored_or_given,
)
from service.api.db import Drill, Job, Layer, Token
from service.api.jobs import TooManyJobsError
from service.api.registry import area_spec, extra_areas
from service.api.schemas import OPTIONS, JobIn, JobOut


def register(app: FastAPI, c: Ctx) -> None:
    """Add the job routes to ``app``."""
    cfg, sessions, runner, db = c.cfg, c.sessions, c.runner, c.db
    reader, submitter = c.reader, c.submitter

    @app.post("/jobs", status_code=202)
    def submit(body: JobIn, tok: Token = submitter) -> JobOut:
        """Run an analysis in the background; poll ``GET /jobs/{id}``."""
        if body.kind == "exercise" and Role(tok.role) not in DRILL_CONTROLLERS:
            raise ApiError(
                403,
                f"role {tok.role} may not run exercises (their scripts are drill secrets)",
                "role",
                "该角色不能运行演练推演",
            )
        try:
            opts = OPTIONS[body.kind].model_validate(body.options).model_dump(exclude_none=True)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
            field = "options" + where
            msg = err["msg"]
            zh = problem_zh_of(err)
            if err["type"] == "extra_forbidden":
                known = ", ".join(sorted(OPTIONS[body.kind].model_fields))
                msg = f"unknown option for a {body.kind} job; options: {known}"
                zh = f"{body.kind} 任务没有此选项;可用选项:{known}"
            raise ApiError(422, msg, field, zh) from None
        check_time_limit(cfg, opts.get("time_limit_s"), "options.time_limit_s")
        with sessions() as s:
            area_spec(body.area, extra_areas(s, cfg.areas))  # unknown areas fail now
        files: list[str] = []
        with sessions() as s:
            scenario = stored_or_given(s, body.scenario)
            for k, lid in enumerate(opts.get("floods", [])):
                layer = s.get(Layer, lid)
                if layer is None or layer.area != body.area:
                    raise ApiError(
                        422,
                        f"no flood layer {lid!r} for {body.area}",
                        f"options.floods[{k}]",
                        f"区域 {body.area} 没有洪水图层 {lid!r}",
                    )
                files.append(layer.path)
        if scenario is not None:  # validate before queueing
            checked_scenario(scenario, body.area, need_injects=body.kind == "exercise", what="job")
        request = {"area": body.area, "scenario": scenario, "options": opts, "flood_files": files}
        try:
            job = runner.submit(body.kind, request, tok.name, role=tok.role)
        except TooManyJobsError:
            raise ApiError(
                429, f"{cfg.max_queued_jobs} jobs queued or running; try later", None, "任务已满"
            ) from None
        return job_out(job)

    @app.get("/jobs/{job_id}")
    def job(job_id: str, _: Token = reader, s: Session = Depends(db)) -> JobOut:  # noqa: B008
        """A job's status and progress."""
        return job_out(_job(s, job_id))

    def result_path(job_id: str, tok: Token) -> Path:
        with sessions() as s:
            path = _result_file(s, job_id, tok)
            job = s.get(Job, job_id)
            if job is not None and job.kind != "drill_score":
                c.done_jobs[job_id] = path  # a drill's score opens when the drill ends
            return path

    @app.get("/jobs/{job_id}/result", response_class=Response)
    async def result(job_id: str, request: Request, tok: Token = reader) -> Response:
        """The result of a finished job (JSON with GeoJSON layers inside).

        Read from memory after the first time (no thread, no query); ``ETag`` /
        ``If-None-Match`` and gzip.
        """
        known = c.done_jobs.get(job_id)
        path: Path = (
            known if known is not None else await run_in_threadpool(result_path, job_id, tok)
        )
        try:
            entry: Entry | None = c.answers.peek(c.answers.file_key(path))
        except FileNotFoundError:
            c.done_jobs.pop(job_id, None)
            raise ApiError(
                404, "the result file is gone (data folder changed?)", "job_id", "结果文件缺失"
            ) from None
        if entry is None:
            entry = await run_in_threadpool(c.answers.file, path)
        return answer(request, entry, "application/json")

    @app.get("/jobs/{job_id}/result/{layer}", response_class=Response)
    def result_layer(
        job_id: str,
        layer: str,
        request: Request,
        tok: Token = reader,
        s: Session = Depends(db),  # noqa: B008
    ) -> Response:
        """One GeoJSON layer of a finished job's result, as ``application/geo+json``.

        Layers: ``points`` (check), ``routes`` (dispatch), ``flood``, ``sites`` (siting).
        """
        path = _result_file(s, job_id, tok)

        def make() -> Entry:
            doc = json.loads(path.read_text(encoding="utf-8"))
            found = doc.get(layer)
            if not (isinstance(found, dict) and found.get("type") == "FeatureCollection"):
                raise ApiError(404, f"no layer {layer!r} in this result", "layer", "结果中无此图层")
            return make_entry(json.dumps(found, ensure_ascii=False).encode())

        st = path.stat()
        entry = c.answers.get(("layer", str(path), st.st_mtime_ns, layer), make)
        return answer(request, entry, "application/geo+json")


def _job(s: Session, job_id: str) -> Job:
    j = s.get(Job, job_id)
    if j is None:
        raise ApiError(404, f"unknown job {job_id!r}", "job_id", "未知任务")
    return j


def _result_file(s: Session, job_id: str, tok: Token) -> Path:
    """The result file of a finished job (409 while it is not done, 404 if it is gone).

    A drill's score holds the script (the optimiser plans on it): players and viewers read
    it once the drill has ended.
    """
    j = _job(s, job_id)
    if j.kind == "drill_score" and Role(tok.role) not in DRILL_CONTROLLERS:
        drill = s.get(Drill, json.loads(j.request).get("drill", ""))
        if drill is None or drill.status != "ended":
            raise ApiError(
                403,
                "a drill's score opens to players when the drill ends",
                "status",
                "演练结束后方可查看评分",
            )
    if j.status != "done":
        raise ApiError(409, f"job is {j.status}", "status", "任务尚未完成")
    path = Path(j.result_file)
    if not path.is_file():
        raise ApiError(
            404, "the result file is gone (data folder changed?)", "job_id", "结果文件缺失"
        )
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
