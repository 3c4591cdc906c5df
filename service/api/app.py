"""The FastAPI application: settings, database, job runner, limits, errors, routes.

Routes live in ``routes_registry`` (areas, depots, stock, shelters, audit, map),
``routes_uploads`` (areas, floods, scenarios) and ``routes_jobs``. Every error is JSON
``{"problem", "problem_zh", "field"}`` with the right status: 400 unreadable body, 401 no
or bad token, 403 role not allowed, 404 unknown id, 409 concurrent edit, 413 body too
large, 422 bad input (naming the field), 429 job queue full.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api import analyses, routes_drills, routes_jobs, routes_registry, routes_uploads
from service.api.context import ApiError, make_ctx
from service.api.db import open_db
from service.api.jobs import JobRunner
from service.api.limits import BodyLimit
from service.api.registry import area_with_stock, extra_areas
from service.api.schemas import Problem
from service.api.settings import Settings
from solver.errors import DataError


def create_app(settings: Settings | None = None, *, run_jobs: bool = True) -> FastAPI:
    """The service for ``settings``; ``run_jobs=False`` stores jobs without running them."""
    cfg = settings or Settings()
    engine, sessions = open_db(cfg.db_url)
    runner = JobRunner(sessions, cfg, analyses.RUNNERS, _loader(cfg), run=run_jobs)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            runner.recover()
        yield
        runner.shutdown()
        engine.dispose()

    app = FastAPI(
        title="Hebei relief logistics 河北救灾物资保障",
        version="0.1.0",
        description="Shared reserve registry and relief analyses (check, siting, dispatch) "
        "run as jobs. Authenticate with `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        responses={code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 422, 429)},
    )
    app.state.settings, app.state.sessions, app.state.runner = cfg, sessions, runner
    _errors(app, cfg)

    ctx = make_ctx(cfg, sessions, runner)
    for routes in (routes_registry, routes_uploads, routes_jobs, routes_drills):
        routes.register(app, ctx)
    return app


def _loader(cfg: Settings) -> Callable[[Session, str], Any]:
    def load(s: Session, name: str) -> Any:
        return area_with_stock(s, name, extra_areas(s, cfg.areas))

    return load


def _errors(app: FastAPI, cfg: Settings) -> None:
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = Problem(problem=str(exc.detail), field=None)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette lists only the first route's methods; a path served by several route
            # functions (GET and PUT) must list them all.
            methods: set[str] = set()
            for route in request.app.routes:
                regex = getattr(route, "path_regex", None)
                if regex is not None and regex.fullmatch(request.url.path):
                    methods |= set(getattr(route, "methods", None) or ())
            if methods:
                headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(), status_code=exc.status)

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        body = Problem(problem=exc.problem, field=exc.field, problem_zh=exc.problem_zh)
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0]
        loc = [x for x in err.get("loc", ()) if x not in ("body",)]
        # Field paths as everywhere else: trips[0].stops[1].point
        where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".")
        body = Problem(problem=str(err.get("msg")), field=where or None, problem_zh="输入无效")
        return JSONResponse(body.model_dump(), status_code=422)


__all__ = ["create_app"]
