"""What the route modules share: the error type and the per-app context.

The context holds the settings, database sessions, job runner, token checks and area lookup.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Header
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scenarios.model import Scenario
from service.api import analyses
from service.api.auth import (
    DRILL_CONTROLLERS,
    DRILL_PLAYERS,
    JOB_SUBMITTERS,
    STOCK_WRITERS,
    Role,
    digest,
    find_token,
)
from service.api.cache import AnswerCache, Versions
from service.api.db import StoredScenario, Token
from service.api.jobs import JobRunner
from service.api.registry import area_with_stock, extra_areas
from service.api.schemas import Problem
from service.api.settings import Settings
from solver.errors import DataError

STATIC = Path(__file__).parent / "static"


class ApiError(Exception):
    """An error answered with ``status`` and a :class:`Problem` body."""

    def __init__(
        self, status: int, problem: str, field: str | None = None, problem_zh: str | None = None
    ) -> None:
        self.status, self.body = (
            status,
            Problem(problem=problem, field=field, problem_zh=problem_zh),
        )
        super().__init__(problem)


def stored_or_given(s: Session, raw: Any) -> Any:
    """A stored scenario's body if ``raw`` names one, else ``raw`` as given.

    The body is a snapshot (later edits change nothing); ``raw`` may also be a library
    name or a scenario mapping.
    """
    if isinstance(raw, str) and (stored := s.get(StoredScenario, raw)):
        return json.loads(stored.body)
    return raw


def checked_scenario(raw: Any, area: str, *, need_injects: bool, what: str) -> Scenario:
    """``raw`` validated as a scenario for ``area`` (with injects if ``need_injects``)."""
    sc = analyses.scenario_of({"scenario": raw})
    if need_injects and not sc.injects:
        raise ApiError(422, "the scenario has no injects", "scenario.injects", "情景中没有注入事件")
    if sc.area != area:
        raise ApiError(
            422,
            f"the scenario is for area {sc.area!r}, the {what} for {area!r}",
            "area",
            "情景所属区域与请求区域不一致",
        )
    return sc


def check_time_limit(cfg: Settings, limit: float | None, field: str) -> None:
    """Refuse a solver time limit above the server's."""
    if limit is not None and limit > cfg.max_time_limit_s:
        raise ApiError(
            422,
            f"at most {cfg.max_time_limit_s:g} s on this server",
            field,
            "求解时间超过服务器上限",
        )


@dataclass
class Ctx:
    """Per-app dependencies the routes use (closures over the app's settings and database)."""

    cfg: Settings
    sessions: Any
    runner: JobRunner
    db: Callable[[], Any]
    known_area: Callable[[Session, str], Any]
    reader: Any
    planner: Any
    stock_writer: Any
    submitter: Any
    drill_controller: Any
    drill_player: Any
    #: Serialised answers (results, depot lists, layers) with their gzip and ETag.
    answers: AnswerCache = field(default_factory=AnswerCache)
    #: Registry version per area (see :class:`service.api.cache.Versions`).
    versions: Versions = field(default_factory=Versions)
    #: Result files of finished jobs, by job id (a finished job never changes).
    done_jobs: dict[str, Path] = field(default_factory=dict)


def make_ctx(cfg: Settings, sessions: Any, runner: JobRunner) -> Ctx:
    """Token checks per role, a session per request, and the area lookup for ``cfg``."""

    def db() -> Any:
        with sessions() as s:
            yield s

    known_tokens: dict[str, Token] = {}  # tokens never change once made: kept per process

    def lookup(secret: str) -> Token | None:
        with sessions() as s:
            return find_token(s, secret)

    def caller(allowed: frozenset[Role] | None = None) -> Callable[..., Any]:
        # On the event loop: a known token costs no thread and no query.
        async def check(authorization: Annotated[str | None, Header()] = None) -> Token:
            scheme, _, secret = (authorization or "").partition(" ")
            secret = secret.strip()
            if scheme.lower() != "bearer" or not secret:
                raise ApiError(401, "missing bearer token", "Authorization", "缺少访问令牌")
            key = digest(secret)  # kept by digest, as stored: never the secret itself
            tok = known_tokens.get(key)
            if tok is None:
                tok = await run_in_threadpool(lookup, secret)
                if tok is not None and len(known_tokens) < 10_000:
                    known_tokens[key] = tok
            if tok is None:
                raise ApiError(401, "unknown token", "Authorization", "访问令牌无效")
            if allowed is not None and Role(tok.role) not in allowed:
                raise ApiError(403, f"role {tok.role} may not do this", "role", "该角色无此权限")
            return tok

        return check

    def known_area(s: Session, name: str) -> Any:
        """The area (registry stock applied); an unknown name in a path is a 404."""
        try:
            return area_with_stock(s, name, extra_areas(s, cfg.areas))
        except DataError as exc:
            if exc.field == "area":
                raise ApiError(404, exc.problem, "area", exc.problem_zh) from None
            raise

    reader = Depends(caller())
    planner = Depends(caller(frozenset({Role.PLANNER})))
    stock_writer = Depends(caller(STOCK_WRITERS))
    submitter = Depends(caller(JOB_SUBMITTERS))
    return Ctx(
        cfg,
        sessions,
        runner,
        db,
        known_area,
        reader,
        planner,
        stock_writer,
        submitter,
        Depends(caller(DRILL_CONTROLLERS)),
        Depends(caller(DRILL_PLAYERS)),
    )
