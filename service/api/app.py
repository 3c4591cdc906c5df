"""The FastAPI application: registry, audit trail, jobs (see docs/architecture.md, "Service").

Every error is JSON ``{"problem", "problem_zh", "field"}`` with the right status: 400
unreadable body, 401 no or
bad token, 403 role not allowed, 404 unknown id, 409 concurrent edit, 413 body too large,
422 bad input (naming the field), 429 job queue full.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from geodata.area import BUNDLED, load_area
from geodata.flood import read_flood
from geodata.io import write_atomic
from service.api import analyses
from service.api.auth import JOB_SUBMITTERS, STOCK_WRITERS, Role, find_token
from service.api.db import (
    Audit,
    Job,
    Layer,
    NewDepot,
    Shelter,
    Stock,
    StoredScenario,
    Token,
    now,
    open_db,
)
from service.api.jobs import JobRunner, TooManyJobsError
from service.api.limits import BodyLimit
from service.api.registry import (
    StaleVersionError,
    area_spec,
    area_with_stock,
    extra_areas,
    set_capacity,
    set_stock,
    with_depots,
)
from service.api.schemas import (
    OPTIONS,
    AuditOut,
    CapacityChange,
    DepotIn,
    DepotOut,
    JobIn,
    JobOut,
    LayerOut,
    Problem,
    ScenarioIn,
    ScenarioOut,
    ShelterOut,
    StockChange,
)
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

    def db() -> Any:
        with sessions() as s:
            yield s

    def caller(allowed: frozenset[Role] | None = None) -> Callable[..., Token]:
        def check(
            authorization: Annotated[str | None, Header()] = None,
            s: Session = Depends(db),  # noqa: B008
        ) -> Token:
            scheme, _, secret = (authorization or "").partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise ApiError(401, "missing bearer token", "Authorization", "缺少访问令牌")
            tok = find_token(s, secret.strip())
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

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness (no token needed)."""
        return {"status": "ok"}

    @app.get("/areas")
    def areas(_: Token = reader, s: Session = Depends(db)) -> list[str]:  # noqa: B008
        """Areas the service knows: bundled, configured and uploaded."""
        return sorted([*BUNDLED, *extra_areas(s, cfg.areas)])

    @app.post("/areas", status_code=201)
    async def upload_area(
        request: Request, name: str, crs: str = "wgs84", tok: Token = planner
    ) -> dict[str, Any]:
        """Upload a whole area as a GeoPackage, checked before it is kept.

        Layers as in DATA.md: roads, depots, points, optional boundaries and staging.
        """
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,50}", name):
            raise ApiError(422, "1-50 letters, digits, '_' or '-'", "name", "名称无效")
        raw = await request.body()
        # Parsing a GeoPackage takes a while: off the event loop.
        return await run_in_threadpool(_store_area, name, crs, raw, (tok.name, tok.role))

    def _store_area(name: str, crs: str, raw: bytes, who: tuple[str, str]) -> dict[str, Any]:
        with sessions() as s:
            if name in BUNDLED or name in extra_areas(s, cfg.areas):
                raise ApiError(409, f"area {name!r} exists", "name", "区域已存在")
        folder = cfg.data_dir / "areas"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.gpkg"
        tmp = folder / f".{name}.{uuid.uuid4().hex}.gpkg"
        tmp.write_bytes(raw)
        try:
            try:
                area = load_area(tmp, crs=crs)
            except DataError as exc:
                raise ApiError(422, exc.problem, exc.field or "body", exc.problem_zh) from None
            except Exception:  # not a GeoPackage at all
                raise ApiError(
                    422, "not a readable GeoPackage", "body", "不是可读的GeoPackage文件"
                ) from None
            counts = {"depots": len(area.network.depots), "points": len(area.network.points)}
            with sessions() as s:
                # The row's id is the name: of two simultaneous uploads one fails here.
                s.add(
                    Layer(
                        id=f"area:{name}",
                        area=name,
                        kind="area",
                        name=name,
                        path=str(path),
                        features=sum(counts.values()),
                        token=who[0],
                    )
                )
                s.add(
                    Audit(
                        token=who[0],
                        role=who[1],
                        action="upload_area",
                        target=name,
                        detail=json.dumps(counts),
                    )
                )
                try:
                    s.commit()
                except IntegrityError:
                    raise ApiError(409, f"area {name!r} exists", "name", "区域已存在") from None
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return {"area": name, **counts}

    @app.get("/areas/{area}/depots")
    def depots(area: str, _: Token = reader, s: Session = Depends(db)) -> list[DepotOut]:  # noqa: B008
        """Depots of an area with their current stock (registry changes applied)."""
        a = known_area(s, area)
        versions: dict[tuple[str, str], int] = {
            (r.depot, r.item): r.version
            for r in s.scalars(select(Stock).where(Stock.area == area)).all()
        }
        return [
            DepotOut(
                id=d.id,
                name=d.name,
                tier=d.tier.value,
                lon=d.lon,
                lat=d.lat,
                stock=dict(d.stock),
                versions={i: versions.get((d.id, i), 0) for i in d.stock},
            )
            for d in a.network.depots
        ]

    @app.get("/areas/{area}/layers/{layer}")
    def layer(area: str, layer: str, _: Token = reader, s: Session = Depends(db)) -> Any:  # noqa: B008
        """A layer as GeoJSON: ``boundaries``, ``roads``, ``depots`` (current stock), ``points``."""
        a = known_area(s, area)
        if layer == "boundaries":
            frame = a.boundaries
            if frame is None:
                return {"type": "FeatureCollection", "features": []}
            return analyses.geojson(frame[["name", "geometry"]])
        if layer == "roads":  # context instead of base-map tiles (the page works offline)
            edges = a.roads.edges
            cols = [c for c in ("name", "road_class") if c in edges]
            return analyses.geojson(edges[[*cols, "geometry"]])
        if layer == "depots":
            net = a.network
            return {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
                        "properties": {
                            "id": d.id,
                            "name": d.name,
                            "tier": d.tier.value,
                            "stock": dict(d.stock),
                        },
                    }
                    for d in net.depots
                ],
            }
        if layer == "points":
            return {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                        "properties": {
                            "id": p.id,
                            "name": p.name,
                            "kind": p.kind.value,
                            "population": p.population,
                        },
                    }
                    for p in a.network.points
                ],
            }
        raise ApiError(404, f"unknown layer {layer!r}", "layer", "未知图层")

    @app.get("/map", include_in_schema=False)
    def map_page() -> FileResponse:
        """The map page (Leaflet, served from here; no CDN)."""
        return FileResponse(STATIC / "map.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.post("/areas/{area}/depots", status_code=201)
    def add_depot(
        area: str,
        body: DepotIn,
        tok: Token = stock_writer,
        s: Session = Depends(db),  # noqa: B008
    ) -> DepotOut:
        """Add a depot (no stock yet; set it per item), checked like a depots file.

        The place must be in China and near a road; the tier gives loading rate and hours.
        """
        a = known_area(s, area)
        if any(d.id == body.id for d in a.network.depots):
            raise ApiError(409, f"depot {body.id!r} exists", "id", "储备库编号已存在")
        spec = area_spec(area, extra_areas(s, cfg.areas))
        rows = s.scalars(select(NewDepot).where(NewDepot.area == area)).all()
        new = [
            {
                "id": r.id,
                "name": r.name,
                "tier": r.tier,
                "lon": r.lon,
                "lat": r.lat,
                "county": r.county,
            }
            for r in rows
        ] + [body.model_dump()]
        try:  # build the area with it before anything is stored
            with_new = with_depots(spec, new)
        except DataError as exc:
            raise ApiError(422, exc.problem, exc.field or "body", exc.problem_zh) from None
        d = next(x for x in with_new.network.depots if x.id == body.id)
        s.add(NewDepot(area=area, token=tok.name, **body.model_dump()))
        s.add(
            Audit(
                token=tok.name,
                role=tok.role,
                action="add_depot",
                target=f"{area}/{body.id}",
                detail=json.dumps(body.model_dump(), ensure_ascii=False),
            )
        )
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            raise ApiError(409, f"depot {body.id!r} exists", "id", "储备库编号已存在") from None
        return DepotOut(
            id=d.id,
            name=d.name,
            tier=d.tier.value,
            lon=d.lon,
            lat=d.lat,
            stock=dict(d.stock),
            versions=dict.fromkeys(d.stock, 0),
        )

    @app.put("/areas/{area}/depots/{depot}/stock/{item}")
    def put_stock(
        area: str,
        depot: str,
        item: str,
        change: StockChange,
        tok: Token = stock_writer,
        s: Session = Depends(db),  # noqa: B008
    ) -> dict[str, Any]:
        """Set a depot's stock of one item (attributed, audited, version-checked)."""
        a = known_area(s, area)
        if item not in a.network.catalogue:
            raise ApiError(404, f"unknown item {item!r}", "item", "未知物资")
        try:
            row = set_stock(
                s,
                a,
                area,
                depot,
                item,
                change.quantity,
                change.expected_version,
                (tok.name, tok.role),
            )
        except LookupError:
            raise ApiError(404, f"unknown depot {depot!r}", "depot", "未知储备库") from None
        except StaleVersionError as exc:
            s.rollback()
            raise ApiError(
                409, str(exc), "expected_version", "库存已被他人修改,请刷新后重试"
            ) from None
        except IntegrityError:
            s.rollback()
            raise ApiError(
                409, "changed concurrently; read again", "expected_version", "库存已被他人修改"
            ) from None
        return {"depot": depot, "item": item, "quantity": row.quantity, "version": row.version}

    @app.get("/areas/{area}/shelters")
    def shelters(area: str, _: Token = reader, s: Session = Depends(db)) -> list[ShelterOut]:  # noqa: B008
        """Shelters of an area with their current capacity (people)."""
        a = known_area(s, area)
        versions = {
            r.point: r.version for r in s.scalars(select(Shelter).where(Shelter.area == area))
        }
        return [
            ShelterOut(
                id=p.id,
                name=p.name,
                lon=p.lon,
                lat=p.lat,
                capacity=int(p.capacity),
                version=versions.get(p.id, 0),
            )
            for p in a.network.points
            if p.capacity is not None
        ]

    @app.put("/areas/{area}/shelters/{point}")
    def put_shelter(
        area: str,
        point: str,
        change: CapacityChange,
        tok: Token = stock_writer,
        s: Session = Depends(db),  # noqa: B008
    ) -> ShelterOut:
        """Set a shelter's capacity (attributed, audited, version-checked)."""
        a = known_area(s, area)
        try:
            row = set_capacity(
                s, a, area, point, change.capacity, change.expected_version, (tok.name, tok.role)
            )
        except LookupError:
            raise ApiError(404, f"unknown shelter {point!r}", "point", "未知避难场所") from None
        except StaleVersionError as exc:
            s.rollback()
            raise ApiError(409, str(exc), "expected_version", "已被他人修改,请刷新后重试") from None
        except IntegrityError:
            s.rollback()
            raise ApiError(
                409, "changed concurrently", "expected_version", "已被他人修改"
            ) from None
        p = next(p for p in a.network.points if p.id == point)
        return ShelterOut(
            id=p.id, name=p.name, lon=p.lon, lat=p.lat, capacity=row.capacity, version=row.version
        )

    @app.get("/audit")
    def audit(limit: int = 100, _: Token = reader, s: Session = Depends(db)) -> list[AuditOut]:  # noqa: B008
        """The newest entries of the audit trail."""
        rows = s.scalars(select(Audit).order_by(Audit.id.desc()).limit(max(1, min(limit, 1000))))
        return [
            AuditOut(
                at=r.at,
                token=r.token,
                role=r.role,
                action=r.action,
                target=r.target,
                detail=json.loads(r.detail),
            )
            for r in rows
        ]

    @app.get("/scenarios")
    def scenarios(_: Token = reader, s: Session = Depends(db)) -> list[ScenarioOut]:  # noqa: B008
        """Stored scenarios (library scenarios are named directly in jobs)."""
        rows = s.scalars(select(StoredScenario).order_by(StoredScenario.name)).all()
        return [
            ScenarioOut(name=r.name, area=r.area, version=r.version, updated_at=r.updated_at)
            for r in rows
        ]

    @app.get("/scenarios/{name}")
    def scenario(name: str, _: Token = reader, s: Session = Depends(db)) -> ScenarioOut:  # noqa: B008
        """One stored scenario with its body."""
        r = s.get(StoredScenario, name)
        if r is None:
            raise ApiError(404, f"unknown scenario {name!r}", "name", "未知情景")
        return ScenarioOut(
            name=r.name,
            area=r.area,
            version=r.version,
            updated_at=r.updated_at,
            body=json.loads(r.body),
        )

    @app.put("/scenarios/{name}")
    def put_scenario(
        name: str,
        body: ScenarioIn,
        tok: Token = submitter,
        s: Session = Depends(db),  # noqa: B008
    ) -> ScenarioOut:
        """Store or replace a scenario (validated first; version-checked; audited)."""
        if not (0 < len(name) <= 100) or "/" in name:
            raise ApiError(422, "1-100 characters, no '/'", "name", "名称无效")
        sc = analyses.scenario_of({"scenario": body.body})
        area_spec(sc.area, extra_areas(s, cfg.areas))
        row = s.get(StoredScenario, name)
        current = row.version if row else 0
        if body.expected_version is not None and body.expected_version != current:
            raise ApiError(
                409,
                f"changed meanwhile; current version {current}",
                "expected_version",
                "情景已被他人修改",
            )
        text = json.dumps(body.body, ensure_ascii=False, default=str)
        if row is None:
            row = StoredScenario(name=name, area=sc.area, body=text, version=1, token=tok.name)
            s.add(row)
        else:  # only if nobody changed it since it was read
            done = s.execute(
                update(StoredScenario)
                .where(StoredScenario.name == name, StoredScenario.version == current)
                .values(
                    area=sc.area, body=text, version=current + 1, token=tok.name, updated_at=now()
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                s.rollback()
                raise ApiError(409, "changed concurrently", "expected_version", "情景已被他人修改")
            s.expire(row)
        s.add(
            Audit(
                token=tok.name,
                role=tok.role,
                action="put_scenario",
                target=name,
                detail=json.dumps({"version": row.version}),
            )
        )
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            raise ApiError(
                409, "changed concurrently", "expected_version", "情景已被他人修改"
            ) from None
        return ScenarioOut(name=name, area=row.area, version=row.version, updated_at=row.updated_at)

    @app.post("/areas/{area}/floods", status_code=201)
    async def upload_flood(
        area: str,
        request: Request,
        name: str,
        crs: str = "wgs84",
        tok: Token = submitter,
    ) -> LayerOut:
        """Upload flood polygons (GeoJSON; optional ``depth_m``) for jobs to use by id.

        ``crs``: what the coordinates are in (wgs84, gcj02, bd09 or an EPSG code); stored in
        WGS84. Bad geometry, coordinates outside China or swapped lon/lat are refused (422).
        """
        raw = await request.body()
        return await run_in_threadpool(_store_flood, area, name, crs, raw, tok)

    def _store_flood(area: str, name: str, crs: str, raw: bytes, tok: Token) -> LayerOut:
        with sessions() as s:
            known_area(s, area)
        layer_id = str(uuid.uuid4())
        folder = cfg.data_dir / "layers"
        folder.mkdir(parents=True, exist_ok=True)
        upload = folder / f"{layer_id}.upload.geojson"
        upload.write_bytes(raw)
        try:
            frame = read_flood(upload, crs=crs)
        except DataError as exc:  # say "upload", not where the server keeps it
            problem = exc.problem.replace(str(upload), "upload")
            raise ApiError(422, problem, exc.field or "body", exc.problem_zh) from None
        finally:
            upload.unlink(missing_ok=True)
        path = folder / f"{layer_id}.geojson"
        write_atomic(path, lambda tmp: frame.to_file(tmp, driver="GeoJSON", engine="pyogrio"))
        with sessions() as s:
            row = Layer(
                id=layer_id,
                area=area,
                kind="flood",
                name=name[:200],
                path=str(path),
                features=len(frame),
                token=tok.name,
            )
            s.add(row)
            s.add(
                Audit(
                    token=tok.name,
                    role=tok.role,
                    action="upload_flood",
                    target=f"{area}/{layer_id}",
                    detail=json.dumps({"name": name, "features": len(frame)}, ensure_ascii=False),
                )
            )
            s.commit()
            return LayerOut(
                id=row.id,
                area=area,
                kind="flood",
                name=row.name,
                features=row.features,
                created_at=row.created_at,
            )

    @app.get("/areas/{area}/floods")
    def floods(area: str, _: Token = reader, s: Session = Depends(db)) -> list[LayerOut]:  # noqa: B008
        """Flood layers uploaded for an area."""
        known_area(s, area)
        rows = s.scalars(select(Layer).where(Layer.area == area, Layer.kind == "flood")).all()
        return [
            LayerOut(
                id=r.id,
                area=r.area,
                kind=r.kind,
                name=r.name,
                features=r.features,
                created_at=r.created_at,
            )
            for r in rows
        ]

    @app.post("/jobs", status_code=202)
    def submit(body: JobIn, tok: Token = submitter) -> JobOut:
        """Run an analysis in the background; poll ``GET /jobs/{id}``."""
        try:
            opts = OPTIONS[body.kind].model_validate(body.options).model_dump(exclude_none=True)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise ApiError(422, err["msg"], "options" + (f".{where}" if where else "")) from None
        limit = opts.get("time_limit_s")
        if limit is not None and limit > cfg.max_time_limit_s:
            raise ApiError(
                422,
                f"at most {cfg.max_time_limit_s:g} s on this server",
                "options.time_limit_s",
                "求解时间超过服务器上限",
            )
        with sessions() as s:
            area_spec(body.area, extra_areas(s, cfg.areas))  # unknown areas fail now
        scenario = body.scenario
        files: list[str] = []
        with sessions() as s:
            if isinstance(scenario, str) and (stored := s.get(StoredScenario, scenario)):
                scenario = json.loads(stored.body)  # a snapshot: later edits do not change it
            for k, lid in enumerate(opts.get("floods", [])):
                layer = s.get(Layer, lid)
                if layer is None or layer.area != body.area:
                    raise ApiError(
                        422, f"no flood layer {lid!r} for {body.area}", f"options.floods[{k}]"
                    )
                files.append(layer.path)
        if scenario is not None:
            sc = analyses.scenario_of({"scenario": scenario})  # validate before queueing
            if sc.area != body.area:
                raise ApiError(
                    422,
                    f"the scenario is for area {sc.area!r}, the job for {body.area!r}",
                    "area",
                    "情景所属区域与任务区域不一致",
                )
        request = {"area": body.area, "scenario": scenario, "options": opts, "flood_files": files}
        try:
            job = runner.submit(body.kind, request, tok.name, role=tok.role)
        except TooManyJobsError:
            raise ApiError(
                429, f"{cfg.max_queued_jobs} jobs queued or running; try later", None, "任务已满"
            ) from None
        return _job_out(job)

    @app.get("/jobs/{job_id}")
    def job(job_id: str, _: Token = reader, s: Session = Depends(db)) -> JobOut:  # noqa: B008
        """A job's status and progress."""
        j = s.get(Job, job_id)
        if j is None:
            raise ApiError(404, f"unknown job {job_id!r}", "job_id", "未知任务")
        return _job_out(j)

    @app.get("/jobs/{job_id}/result")
    def result(job_id: str, _: Token = reader, s: Session = Depends(db)) -> FileResponse:  # noqa: B008
        """The result of a finished job (JSON with GeoJSON layers inside)."""
        j = s.get(Job, job_id)
        if j is None:
            raise ApiError(404, f"unknown job {job_id!r}", "job_id", "未知任务")
        if j.status != "done":
            raise ApiError(409, f"job is {j.status}", "status", "任务尚未完成")
        if not Path(j.result_file).is_file():
            raise ApiError(
                404, "the result file is gone (data folder changed?)", "job_id", "结果文件缺失"
            )
        return FileResponse(j.result_file, media_type="application/json")

    @app.get("/jobs/{job_id}/result/{layer}")
    def result_layer(job_id: str, layer: str, _: Token = reader, s: Session = Depends(db)) -> Any:  # noqa: B008
        """One GeoJSON layer of a finished job's result, as ``application/geo+json``.

        Layers: ``points`` (check), ``routes`` (dispatch), ``flood``, ``sites`` (siting).
        """
        j = s.get(Job, job_id)
        if j is None:
            raise ApiError(404, f"unknown job {job_id!r}", "job_id", "未知任务")
        if j.status != "done":
            raise ApiError(409, f"job is {j.status}", "status", "任务尚未完成")
        if not Path(j.result_file).is_file():
            raise ApiError(
                404, "the result file is gone (data folder changed?)", "job_id", "结果文件缺失"
            )
        doc = json.loads(Path(j.result_file).read_text(encoding="utf-8"))
        found = doc.get(layer)
        if not (isinstance(found, dict) and found.get("type") == "FeatureCollection"):
            raise ApiError(404, f"no layer {layer!r} in this result", "layer", "结果中无此图层")
        return JSONResponse(found, media_type="application/geo+json")

    return app


def _job_out(j: Job) -> JobOut:
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
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body",)]
        body = Problem(
            problem=str(err.get("msg")), field=".".join(loc) or None, problem_zh="输入无效"
        )
        return JSONResponse(body.model_dump(), status_code=422)


__all__ = ["create_app"]
