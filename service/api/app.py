"""The FastAPI application: settings, database, job runner, limits, errors, routes.

One ``APIRouter`` per resource: ``routes_registry`` (areas, depots, stock, shelters, audit,
map), ``routes_uploads`` (areas, floods, scenarios), ``routes_jobs`` (submit, status,
cancel, results), ``routes_drills``, ``routes_player`` (a drill's state for its players),
``routes_duty`` (dispatch papers, re-dispatch, changes) and ``routes_workspace`` (the
workspace at ``/``).
Routes take the session, the caller and the app's parts as ``Annotated`` dependencies
(``deps.py``); the kinds of jobs come from ``job_kinds.py``.

Every error is JSON ``{"problem", "problem_zh", "field"}`` from the catalogue in
``errors.py``, with its status: 400 unreadable body, 401 no or bad token, 403 role not
allowed, 404 unknown id, 405 method not allowed, 409 concurrent edit or a state that does
not allow it (a job not done, a finished job cancelled), 413 body too large, 422 bad input
(naming the field) or no solution under the hard constraints (``InfeasibleError``), 429
job queue full, 500 a solver that could not answer (``SolverError``) or a bug (told in the
server log only). A failed job's ``error`` carries the same body and its ``http_status``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute

from geodata.area import Area
from scenarios.model import problem_zh_of
from service.api import (
    routes_drills,
    routes_duty,
    routes_jobs,
    routes_player,
    routes_registry,
    routes_uploads,
    routes_workspace,
)
from service.api.context import STATIC
from service.api.db import open_db
from service.api.deps import Services
from service.api.errors import HTTP_ZH, ServiceError, known, problem_of
from service.api.job_kinds import submitted_kinds
from service.api.jobs import JobRunner
from service.api.limits import BodyLimit
from service.api.registry import area_with_stock, extra_areas
from service.api.schemas import Problem
from service.api.settings import Settings
from solver.errors import DataError, InfeasibleError, SolverError

log = logging.getLogger(__name__)

#: The routers, one per resource, in the order they are matched.
ROUTERS: tuple[APIRouter, ...] = (
    routes_registry.router,
    routes_uploads.router,
    routes_jobs.router,
    routes_drills.router,
    routes_player.router,
    routes_duty.router,
    routes_workspace.router,
)


def create_app(settings: Settings | None = None, *, run_jobs: bool = True) -> FastAPI:
    """The service for ``settings``; ``run_jobs=False`` stores jobs without running them."""
    cfg = settings or Settings()
    engine, sessions = open_db(cfg.db_url)
    services = Services(cfg, sessions, JobRunner(sessions, cfg, _loader(cfg), run=run_jobs))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            services.runner.recover()
            routes_drills.warm_drills(services)  # running drills' books, for their decisions
        yield
        services.runner.shutdown()
        engine.dispose()

    app = FastAPI(
        title="Hebei relief logistics 河北救灾物资保障",
        version="0.1.0",
        description="Shared reserve registry and relief analyses (check, siting, dispatch) "
        "run as jobs. Authenticate with `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        responses={code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 422, 429)},
    )
    app.state.services = services
    app.state.settings, app.state.sessions, app.state.runner = cfg, sessions, services.runner
    _errors(app, cfg)

    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    _document_job_kinds(app)
    return app


def _document_job_kinds(app: FastAPI) -> None:
    """List the job kinds and each kind's options in the OpenAPI schema (``JobIn``).

    Both come from the job-kind registry when the schema is first asked for: ``kind`` is
    an enum of the kinds ``POST /jobs`` accepts, and ``options`` any of their models (the
    options are validated by kind, so the request model keeps a mapping).
    """
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = base()
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        kinds = submitted_kinds()
        refs = []
        for model in dict.fromkeys(k.options for k in kinds if k.options is not None):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = schema
            refs.append({"$ref": f"#/components/schemas/{model.__name__}"})
        job_in = schemas.get("JobIn", {}).get("properties", {})
        if "kind" in job_in:
            job_in["kind"] = {
                "type": "string",
                "enum": [k.name for k in kinds],
                "title": "Kind",
                "description": "; ".join(f"{k.name}: {k.label_en} ({k.label_zh})" for k in kinds),
            }
        if "options" in job_in:
            listed = ", ".join(f"{k.name}: {k.options.__name__}" for k in kinds if k.options)
            job_in["options"] = {
                "anyOf": refs,
                "default": {},
                "title": "Options",
                "description": f"Options by job kind ({listed}); unknown options are refused.",
            }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _loader(cfg: Settings) -> Callable[[Session, str], Area]:
    def load(s: Session, name: str) -> Area:
        return area_with_stock(s, name, extra_areas(s, cfg.areas))

    return load


def _routes(app: FastAPI) -> Iterable[BaseRoute]:
    """Every route of ``app``, the routers' own included (``app.routes`` lists a router as one)."""
    yield from app.routes
    for router in ROUTERS:
        yield from router.routes


def _errors(app: FastAPI, cfg: Settings) -> None:
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    # Other JSON answers compressed on the fly (cached ones come compressed already).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = Problem(
            problem=str(exc.detail),
            field=None,
            problem_zh=HTTP_ZH.get(exc.status_code, "请求无法处理"),
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette lists only the first route's methods; a path served by several route
            # functions (GET and PUT) must list them all.
            methods: set[str] = set()
            for route in _routes(request.app):
                regex = getattr(route, "path_regex", None)
                if regex is not None and regex.fullmatch(request.url.path):
                    methods |= set(getattr(route, "methods", None) or ())
            if methods:
                headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)

    async def answer(_: Request, exc: Exception) -> JSONResponse:
        if not known(exc):  # a bug: logged with its traceback; the client gets no internals
            log.exception("unhandled error", exc_info=exc)
        status, body = problem_of(exc)
        return JSONResponse(body.model_dump(), status_code=status)

    for kind in (Exception, ServiceError, DataError, InfeasibleError, SolverError):
        app.add_exception_handler(kind, answer)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0]
        loc = [x for x in err.get("loc", ()) if x not in ("body",)]
        # Field paths as everywhere else: trips[0].stops[1].point
        where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".")
        if err.get("type") == "json_invalid":
            where = "body"
        zh = problem_zh_of(err)
        body = Problem(
            problem=str(err.get("msg")),
            field=where or None,
            problem_zh=f"{where}:{zh}" if where else zh,
        )
        return JSONResponse(body.model_dump(), status_code=422)


__all__ = ["create_app"]
