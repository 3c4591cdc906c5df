"""Checks that several route modules make, and the old per-app context.

Routes take their dependencies from :mod:`service.api.deps` and raise the errors of
:mod:`service.api.errors`. :class:`Ctx` is kept for route modules still written as
``register(app, c)`` closures; it is made from the app's :class:`~service.api.deps.Services`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

from geodata.area import Area
from scenarios.model import Scenario
from service.api import analyses
from service.api.auth import DRILL_CONTROLLERS, DRILL_PLAYERS, JOB_SUBMITTERS, STOCK_WRITERS, Role
from service.api.cache import AnswerCache, Versions
from service.api.db import StoredScenario
from service.api.deps import (
    Services,
    current_user,
    get_session,
    role_in,
)
from service.api.errors import (
    ApiError,
    NoInjectsError,
    ScenarioForOtherAreaError,
    TimeLimitTooLongError,
)
from service.api.jobs import JobRunner
from service.api.settings import Settings

STATIC = Path(__file__).parent / "static"

__all__ = ["STATIC", "ApiError", "Ctx", "check_time_limit", "checked_scenario", "make_ctx"]


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
        raise NoInjectsError()
    if sc.area != area:
        raise ScenarioForOtherAreaError(scenario_area=sc.area, what=what, area=area)
    return sc


def check_time_limit(cfg: Settings, limit: float | None, field: str) -> None:
    """Refuse a solver time limit above the server's."""
    if limit is not None and limit > cfg.max_time_limit_s:
        raise TimeLimitTooLongError(limit=cfg.max_time_limit_s, field=field)


@dataclass
class Ctx:
    """The app's parts for ``register(app, c)`` route modules (new ones use ``deps``).

    ``reader`` ... ``drill_player`` are ``Depends`` markers to use as parameter defaults.
    """

    cfg: Settings
    sessions: sessionmaker[Session]
    runner: JobRunner
    db: Callable[..., Iterator[Session]]
    known_area: Callable[[Session, str], Area]
    reader: Any
    planner: Any
    stock_writer: Any
    submitter: Any
    drill_controller: Any
    drill_player: Any
    answers: AnswerCache
    versions: Versions
    done_jobs: dict[str, Path]


def make_ctx(services: Services) -> Ctx:
    """The context over ``services`` (the same caches and token checks as ``deps``)."""
    return Ctx(
        cfg=services.settings,
        sessions=services.sessions,
        runner=services.runner,
        db=get_session,
        known_area=services.known_area,
        reader=Depends(current_user),
        planner=Depends(role_in(frozenset({Role.PLANNER}))),
        stock_writer=Depends(role_in(STOCK_WRITERS)),
        submitter=Depends(role_in(JOB_SUBMITTERS)),
        drill_controller=Depends(role_in(DRILL_CONTROLLERS)),
        drill_player=Depends(role_in(DRILL_PLAYERS)),
        answers=services.answers,
        versions=services.versions,
        done_jobs=services.done_jobs,
    )
