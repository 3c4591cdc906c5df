"""Checks that several route modules make: a stored or given scenario, its area, a time limit.

Routes take their dependencies from :mod:`service.api.deps` and raise the errors of
:mod:`service.api.errors`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from scenarios.model import Scenario
from service.api import analyses
from service.api.db import StoredScenario
from service.api.errors import (
    NoInjectsError,
    ScenarioForOtherAreaError,
    TimeLimitTooLongError,
)
from service.api.settings import Settings

STATIC = Path(__file__).parent / "static"


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
