"""What routes depend on, as ``Annotated`` dependencies (the FastAPI full-stack template's way).

One :class:`Services` per app (``app.state.services``) holds the settings, the database
sessions, the job runner and the answer caches. Routes ask for what they need by type:

- ``SessionDep``: a database session for the request;
- ``ServicesDep``, ``SettingsDep``, ``RunnerDep``: the app's parts;
- ``CurrentUser``: the caller (any role), from ``Authorization: Bearer <token>``;
- ``Planner``, ``StockWriter``, ``Submitter``, ``DrillController``, ``DrillPlayer``: the
  caller, refused with 403 unless the role is one of those (the sets in ``auth.py``).

Token checks run on the event loop: a token seen before costs no thread and no query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geodata.area import Area
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
from service.api.errors import (
    MissingTokenError,
    RoleRefusedError,
    UnknownAreaError,
    UnknownTokenError,
)
from service.api.jobs import JobRunner
from service.api.registry import area_with_stock, extra_areas
from service.api.settings import Settings
from solver.errors import DataError

#: Tokens kept per process (a token never changes once made; kept by digest, not secret).
MAX_KNOWN_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the token's name and role."""

    name: str
    role: Role


@dataclass
class Services:
    """The parts of one app that routes share."""

    settings: Settings
    sessions: sessionmaker[Session]
    runner: JobRunner
    #: Serialised answers (results, depot lists, layers) with their gzip and ETag.
    answers: AnswerCache = field(default_factory=AnswerCache)
    #: Registry version per area (see :class:`service.api.cache.Versions`).
    versions: Versions = field(default_factory=Versions)
    #: Result files of finished jobs, by job id (a finished job never changes).
    done_jobs: dict[str, Path] = field(default_factory=dict)
    #: Callers by the digest of their token's secret.
    callers: dict[str, Caller] = field(default_factory=dict)

    def area(self, s: Session, name: str) -> Area:
        """The area ``name`` with the registry's stock (a bad name is a 422 naming ``area``)."""
        return area_with_stock(s, name, extra_areas(s, self.settings.areas))

    def known_area(self, s: Session, name: str) -> Area:
        """The area named in a path: an unknown name is a 404."""
        try:
            return self.area(s, name)
        except DataError as exc:
            if exc.field == "area":
                raise UnknownAreaError.of(exc) from None
            raise

    def caller(self, secret: str) -> Caller | None:
        """The caller whose token's secret is ``secret`` (a query the first time only)."""
        key = digest(secret)
        known = self.callers.get(key)
        if known is not None:
            return known
        with self.sessions() as s:
            tok = find_token(s, secret)
        if tok is None:
            return None
        found = Caller(tok.name, Role(tok.role))
        if len(self.callers) < MAX_KNOWN_TOKENS:
            self.callers[key] = found
        return found


async def get_services(request: Request) -> Services:
    """The app's :class:`Services` (async: no thread for it)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    """The app's settings."""
    return services.settings


async def get_runner(services: ServicesDep) -> JobRunner:
    """The app's job runner."""
    return services.runner


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A database session for the request, closed after it."""
    with services.sessions() as s:
        yield s


SettingsDep = Annotated[Settings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
SessionDep = Annotated[Session, Depends(get_session)]


async def current_user(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Caller:
    """The caller named by the bearer token (401 without one or with an unknown one)."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise MissingTokenError()
    key = digest(secret)
    found = services.callers.get(key)
    if found is None:
        found = await run_in_threadpool(services.caller, secret)
    if found is None:
        raise UnknownTokenError()
    return found


CurrentUser = Annotated[Caller, Depends(current_user)]


def role_in(allowed: frozenset[Role]) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency: the caller, if their role is in ``allowed`` (else 403 naming ``role``)."""

    async def check(caller: CurrentUser) -> Caller:
        if caller.role not in allowed:
            raise RoleRefusedError(role=caller.role.value)
        return caller

    return check


Planner = Annotated[Caller, Depends(role_in(frozenset({Role.PLANNER})))]
StockWriter = Annotated[Caller, Depends(role_in(STOCK_WRITERS))]
Submitter = Annotated[Caller, Depends(role_in(JOB_SUBMITTERS))]
DrillController = Annotated[Caller, Depends(role_in(DRILL_CONTROLLERS))]
DrillPlayer = Annotated[Caller, Depends(role_in(DRILL_PLAYERS))]
