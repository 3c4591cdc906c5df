"""Analyses as jobs: submitted, queued, run on worker threads, results kept on disk.

A job's state lives in the database and its result in ``data_dir/jobs/<id>.json`` (written
atomically, then the job is marked done), so a crash never leaves a half result: on the
next start, jobs found running are queued again (or failed after ``max_attempts``) and
queued ones are resumed.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from geodata.io import write_atomic
from service.api.db import Audit, Job, now
from service.api.settings import Settings
from solver.errors import DataError

log = logging.getLogger(__name__)

#: kind -> function(request, area loader, progress) -> JSON-ready result
Runner = Callable[[dict[str, Any], Callable[[str], Any], Callable[[str, float], None]], Any]

ACTIVE = ("queued", "running")


class TooManyJobsError(Exception):
    """The queue is full (answered with 429)."""


class JobRunner:
    """Runs jobs on a small thread pool; every state change goes to the database first."""

    def __init__(
        self,
        sessions: sessionmaker,  # type: ignore[type-arg]
        settings: Settings,
        runners: Mapping[str, Runner],
        load_area: Callable[[Session, str], Any],
        *,
        run: bool = True,
    ) -> None:
        self.run = run
        self.sessions = sessions
        self.settings = settings
        self.runners = runners
        self.load_area = load_area
        self.pool = ThreadPoolExecutor(max_workers=settings.max_running_jobs)
        (settings.data_dir / "jobs").mkdir(parents=True, exist_ok=True)

    def submit(self, kind: str, request: dict[str, Any], token: str, role: str = "") -> Job:
        """Store a new job and queue it; refuse when the queue is full."""
        if kind not in self.runners:
            raise DataError(f"unknown job kind {kind!r}", field="kind", problem_zh="未知任务类型")
        with self.sessions() as s:
            active = s.scalar(select(func.count()).select_from(Job).where(Job.status.in_(ACTIVE)))
            if (active or 0) >= self.settings.max_queued_jobs:
                raise TooManyJobsError()
            job = Job(
                id=str(uuid.uuid4()),
                kind=kind,
                status="queued",
                request=json.dumps(request, ensure_ascii=False),
                token=token,
                stage="",
                progress=0.0,
                error="",
                result_file="",
                attempts=0,
            )
            s.add(job)
            s.add(
                Audit(
                    token=token,
                    role=role,
                    action=f"submit_{kind}",
                    target=job.id,
                    detail=json.dumps({"area": request.get("area")}, ensure_ascii=False),
                )
            )
            s.commit()
        if self.run:
            self.pool.submit(self._run, job.id)
        return job

    def recover(self) -> None:
        """After a restart: re-queue interrupted jobs (or fail them), resume queued ones."""
        with self.sessions() as s:
            for job in s.scalars(select(Job).where(Job.status.in_(ACTIVE))).all():
                if job.status == "running" and job.attempts >= self.settings.max_attempts:
                    job.status, job.finished_at = "failed", now()
                    job.error = json.dumps(
                        {"problem": "interrupted by a server stop too often", "field": None}
                    )
                else:
                    job.status = "queued"
            s.commit()
            queued = [j.id for j in s.scalars(select(Job).where(Job.status == "queued")).all()]
        for job_id in queued:
            self.pool.submit(self._run, job_id)

    def shutdown(self) -> None:
        """Stop taking work and let the running job finish (queued ones resume next start)."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def result_path(self, job_id: str) -> Path:
        """Where a job's result is written."""
        return self.settings.data_dir / "jobs" / f"{job_id}.json"

    def _update(self, job_id: str, **values: Any) -> None:
        for attempt in range(5):  # a busy database must not leave a job "running"
            try:
                with self.sessions() as s:
                    job = s.get(Job, job_id)
                    if job is not None:
                        for k, v in values.items():
                            setattr(job, k, v)
                        s.commit()
                return
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))

    def _run(self, job_id: str) -> None:
        with self.sessions() as s:
            # Claim it: only one worker (or server) moves a queued job to running.
            claimed = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="running", started_at=now(), attempts=Job.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            if claimed.rowcount != 1:
                return
            job = s.get(Job, job_id)
            assert job is not None
            kind, request = job.kind, json.loads(job.request)

        def progress(stage: str, fraction: float) -> None:
            self._update(job_id, stage=stage, progress=float(fraction))

        def area(name: str) -> Any:
            with self.sessions() as s2:
                return self.load_area(s2, name)

        try:
            result = self.runners[kind](request, area, progress)
            path = self.result_path(job_id)
            write_atomic(
                path,
                lambda tmp: tmp.write_text(
                    json.dumps(result, ensure_ascii=False), encoding="utf-8"
                ),
            )
            self._update(
                job_id,
                status="done",
                stage="done",
                progress=1.0,
                result_file=str(path),
                finished_at=now(),
            )
        except DataError as exc:
            error = {"problem": exc.problem, "field": exc.field, "problem_zh": exc.problem_zh}
            self._update(job_id, status="failed", error=json.dumps(error), finished_at=now())
        except Exception:  # a bug, not bad input: keep the trace in the log, not the API
            log.error("job %s failed:\n%s", job_id, traceback.format_exc())
            error = {"problem": "internal error (see the server log)", "field": None}
            self._update(job_id, status="failed", error=json.dumps(error), finished_at=now())
