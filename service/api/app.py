"""The FastAPI application: settings, database, job runner, limits, errors, routes.

Routes live in ``routes_registry`` (areas, depots, stock, shelters, audit, map),
``routes_uploads`` (areas, floods, scenarios), ``routes_jobs``, ``routes_drills`` and
``routes_workspace`` (the workspace at ``/``). Every error is JSON
``{"problem", "problem_zh", "field"}`` with the right status: 400 unreadable body, 401 no
or bad token, 403 role not allowed, 404 unknown id, 409 concurrent edit, 413 body too
large, 422 bad input (naming the field), 429 job queue full.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from geodata.limits import TooLargeError
from scenarios.model import problem_zh_of
from service.api import (
    analyses,
    routes_drills,
    routes_jobs,
    routes_player,
    routes_registry,
    routes_uploads,
    routes_workspace,
)
from service.api.context import ApiError, make_ctx
from service.api.db import open_db
from service.api.jobs import JobRunner
from service.api.limits import BodyLimit
from service.api.registry import area_with_stock, extra_areas
from service.api.schemas import OPTIONS, Problem
from service.api.settings import Settings
from solver.errors import DataError

log = logging.getLogger(__name__)

#: Chinese for the statuses the framework itself answers (unknown path, wrong method, ...).
HTTP_ZH = {
    400: "请求内容无法解析(须为UTF-8编码的JSON)",
    401: "未认证:请提供有效令牌",
    403: "无权执行此操作",
    404: "未找到该地址或资源",
    405: "不支持该请求方法",
    406: "无法提供所要求的格式",
    413: "请求内容过大",
    415: "不支持该内容类型",
    422: "输入数据有误",
    429: "请求过多,请稍后再试",
    500: "服务器内部错误",
}


def create_app(settings: Settings | None = None, *, run_jobs: bool = True) -> FastAPI:
    """The service for ``settings``; ``run_jobs=False`` stores jobs without running them."""
    cfg = settings or Settings()
    engine, sessions = open_db(cfg.db_url)
    runner = JobRunner(sessions, cfg, analyses.RUNNERS, _loader(cfg), run=run_jobs)

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            runner.recover()
            started.state.warm_drills()  # running drills' books, for their next decisions
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
    for routes in (routes_registry, routes_uploads, routes_jobs, routes_drills, routes_workspace):
        routes.register(app, ctx)
    routes_player.register(app, ctx)  # GET /drills/{id}/state, for the players' form

    _document_job_options(app)
    return app


def _document_job_options(app: FastAPI) -> None:
    """List each job kind's options in the OpenAPI schema (``JobIn.options``).

    The options are validated by kind (``schemas.OPTIONS``), so the request model keeps a
    mapping; the schema still shows every option, its type, default and limits.
    """
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = base()
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        refs = []
        for model in dict.fromkeys(OPTIONS.values()):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = schema
            refs.append({"$ref": f"#/components/schemas/{model.__name__}"})
        job_in = schemas.get("JobIn", {}).get("properties", {})
        if "options" in job_in:
            kinds = ", ".join(f"{k}: {m.__name__}" for k, m in OPTIONS.items())
            job_in["options"] = {
                "anyOf": refs,
                "default": {},
                "title": "Options",
                "description": f"Options by job kind ({kinds}); unknown options are refused.",
            }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _loader(cfg: Settings) -> Callable[[Session, str], Any]:
    def load(s: Session, name: str) -> Any:
        return area_with_stock(s, name, extra_areas(s, cfg.areas))

    return load


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
            for route in request.app.routes:
                regex = getattr(route, "path_regex", None)
                if regex is not None and regex.fullmatch(request.url.path):
                    methods |= set(getattr(route, "methods", None) or ())
            if methods:
                headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        # Logged with its traceback for the operator; the client gets no internals.
        log.exception("unhandled error", exc_info=exc)
        body = Problem(
            problem="internal error (see the server log)", field=None, problem_zh=HTTP_ZH[500]
        )
        return JSONResponse(body.model_dump(), status_code=500)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(), status_code=exc.status)

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        problem = exc.problem if exc.record is None else f"record {exc.record!r}: {exc.problem}"
        body = Problem(
            problem=problem, field=exc.field, problem_zh=exc.problem_zh or "输入数据有误"
        )
        return JSONResponse(
            body.model_dump(), status_code=413 if isinstance(exc, TooLargeError) else 422
        )

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
