"""Analyses as jobs: submitted, queued, run on worker threads, results kept on disk.

A job's state lives in the database and its result in ``data_dir/jobs/<id>.json`` (written
atomically, then the job is marked done), so a crash never leaves a half result: on the
next start, jobs found running are queued again (or failed after ``max_attempts``) and
queued ones are resumed. What runs a kind is :mod:`service.api.job_kinds`.

A job can be cancelled (:meth:`JobRunner.cancel`): a queued one never runs; a running one
is marked cancelled at once and stops at its next progress report (a runner reports
between its stages), and whatever it still returns is discarded. Each state change is a
conditional update (``running`` to ``done`` only if still running), so a cancellation and
a finish cannot both win, in one process or several.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from geodata.io import write_atomic
from service.api.db import Audit, Job, now
from service.api.errors import (
    CancelledByError,
    InterruptedJobError,
    JobFinishedError,
    QueueFullError,
    UnknownJobError,
    known,
    problem_of,
)
from service.api.job_kinds import get_kind
from service.api.settings import Settings

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")


class JobCancelledError(BaseException):
    """Raised in a running job's progress report once the job was cancelled.

    A ``BaseException`` (as ``asyncio.CancelledError``), so that no ``except Exception`` in
    an analysis takes it for an error of its own.
    """


class JobRunner:
    """Runs jobs on a small thread pool; every state change goes to the database first."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        load_area: Callable[[Session, str], Any],
        *,
        run: bool = True,
    ) -> None:
        self.run = run
        self.sessions = sessions
        self.settings = settings
        self.load_area = load_area
        self.pool = ThreadPoolExecutor(max_workers=settings.max_running_jobs)
        (settings.data_dir / "jobs").mkdir(parents=True, exist_ok=True)

    def submit(self, kind: str, request: dict[str, Any], token: str, role: str = "") -> Job:
        """Store a new job and queue it; refuse an unknown kind, or when the queue is full."""
        get_kind(kind)
        with self.sessions() as s:
            active = s.scalar(select(func.count()).select_from(Job).where(Job.status.in_(ACTIVE)))
            if (active or 0) >= self.settings.max_queued_jobs:
                raise QueueFullError(limit=self.settings.max_queued_jobs)
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

    def cancel(self, job_id: str, by: str, role: str) -> Job:
        """Cancel a queued or running job (``by``: the token cancelling it); audited.

        A job cancelled already is returned as it is; a finished one is a 409.
        """
        error = record(CancelledByError(by=by))
        with self.sessions() as s:
            done = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(ACTIVE))
                .values(status="cancelled", error=error, finished_at=now())
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                s.add(Audit(token=by, role=role, action="cancel_job", target=job_id))
            s.commit()
            job = s.get(Job, job_id)
            if job is None:
                raise UnknownJobError(job_id=job_id)
            if job.status != "cancelled":
                raise JobFinishedError(status=job.status)
            return job

    def recover(self) -> None:
        """After a restart: re-queue interrupted jobs (or fail them), resume queued ones."""
        with self.sessions() as s:
            for job in s.scalars(select(Job).where(Job.status.in_(ACTIVE))).all():
                if job.status == "running" and job.attempts >= self.settings.max_attempts:
                    job.status, job.finished_at = "failed", now()
                    job.error = record(InterruptedJobError())
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

    def _update(self, job_id: str, **values: Any) -> bool:
        """Change a running job; False if it is no longer running (it was cancelled)."""
        for attempt in range(5):  # a busy database must not leave a job "running"
            try:
                with self.sessions() as s:
                    done = s.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == "running")
                        .values(**values)
                        .execution_options(synchronize_session=False)
                    )
                    s.commit()
                    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
        return False  # pragma: no cover (the loop returns or raises)

    def _run(self, job_id: str) -> None:
        with self.sessions() as s:
            # Claim it: only one worker (or server) moves a queued job to running; a job
            # cancelled while queued is not queued any more, so it never runs.
            claimed = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="running", started_at=now(), attempts=Job.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
            job = s.get(Job, job_id)
            assert job is not None
            kind, request = job.kind, json.loads(job.request)

        def progress(stage: str, fraction: float) -> None:
            if not self._update(job_id, stage=stage, progress=float(fraction)):
                raise JobCancelledError(job_id)

        def area(name: str) -> Any:
            with self.sessions() as s2:
                return self.load_area(s2, name)

        path = self.result_path(job_id)
        try:
            result = get_kind(kind).runner()(request, area, progress)
            write_atomic(
                path,
                lambda tmp: tmp.write_text(
                    json.dumps(result, ensure_ascii=False), encoding="utf-8"
                ),
            )
            finished = self._update(
                job_id,
                status="done",
                stage="done",
                progress=1.0,
                result_file=str(path),
                finished_at=now(),
            )
            if not finished:  # cancelled while it ran: its result is not kept
                path.unlink(missing_ok=True)
        except JobCancelledError:
            log.info("job %s stopped: cancelled", job_id)
        except Exception as exc:
            if not known(exc):  # a bug, not bad input: the trace in the log, not the API
                log.exception("job %s failed", job_id)
            self._update(job_id, status="failed", error=record(exc), finished_at=now())


def record(exc: BaseException) -> str:
    """A failed or cancelled job's ``error``: the body and status a request would get."""
    status, body = problem_of(exc)
    return json.dumps({**body.model_dump(), "http_status": status}, ensure_ascii=False)
