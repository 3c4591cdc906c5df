"""Routes for uploads and stored inputs: whole areas, flood layers, scenarios."""

from __future__ import annotations

import json
import math
import re
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml
from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from geodata.area import BUNDLED, load_area
from geodata.flood import read_flood
from geodata.io import write_atomic
from geodata.limits import TooLargeError
from scenarios.model import load_scenario
from service.api import analyses
from service.api.auth import DRILL_CONTROLLERS, Role
from service.api.db import Audit, Layer, StoredScenario, now
from service.api.deps import (
    Caller,
    CurrentUser,
    Planner,
    Services,
    ServicesDep,
    SessionDep,
    SettingsDep,
    Submitter,
)
from service.api.errors import (
    AreaExistsError,
    BadAreaNameError,
    BadBboxError,
    BadScenarioNameError,
    BadUploadError,
    ControlCharactersError,
    EmptyBboxError,
    NotGeoPackageError,
    ScenarioChangedConcurrentlyError,
    ScenarioChangedError,
    ServiceError,
    UnknownScenarioError,
    UploadTooLargeError,
)
from service.api.library import library_scenario, library_scenarios
from service.api.registry import area_spec, extra_areas
from service.api.schemas import LayerOut, ScenarioIn, ScenarioOut, printable
from service.api.settings import Settings
from service.api.spatial import layers_in_bbox, store_features
from solver.errors import DataError

router = APIRouter(tags=["uploads"])


def check_name(value: str, field: str) -> None:
    """Refuse a name with control characters (422 naming ``field``)."""
    try:
        printable(value)
    except ValueError as exc:
        raise ControlCharactersError(problem=str(exc), field=field) from None


def upload_error(exc: DataError, path: Path) -> ServiceError:
    """A reader's error about an upload as an API error (413 over the size limit, else 422).

    It names the record and field, and never the server's file path.
    """
    problem = exc.problem.replace(str(path), "upload")
    if exc.record is not None:
        problem = f"record {exc.record!r}: {problem}"
    kind = UploadTooLargeError if isinstance(exc, TooLargeError) else BadUploadError
    return kind(
        problem=problem, problem_zh=exc.problem_zh or "上传文件无效", field=exc.field or "body"
    )


@router.post("/areas", status_code=201)
async def upload_area(
    request: Request, name: str, tok: Planner, services: ServicesDep, crs: str = "wgs84"
) -> dict[str, Any]:
    """Upload a whole area as a GeoPackage, checked before it is kept.

    Layers as in DATA.md: roads, depots, points, optional boundaries and staging.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,50}", name):
        raise BadAreaNameError()
    raw = await request.body()
    # Parsing a GeoPackage takes a while: off the event loop.
    return await run_in_threadpool(_store_area, services, name, crs, raw, tok)


def _store_area(services: Services, name: str, crs: str, raw: bytes, who: Caller) -> dict[str, Any]:
    cfg = services.settings
    with services.sessions() as s:
        if name in BUNDLED or name in extra_areas(s, cfg.areas):
            raise AreaExistsError(name=name)
    folder = cfg.data_dir / "areas"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.gpkg"
    tmp = folder / f".{name}.{uuid.uuid4().hex}.gpkg"
    tmp.write_bytes(raw)
    try:
        try:
            area = load_area(tmp, crs=crs, limits=cfg.upload_limits)
        except DataError as exc:  # say "upload", not where the server keeps it
            raise upload_error(exc, tmp) from None
        except Exception:  # not a GeoPackage at all
            raise NotGeoPackageError() from None
        counts = {"depots": len(area.network.depots), "points": len(area.network.points)}
        with services.sessions() as s:
            # The row's id is the name: of two simultaneous uploads one fails here.
            s.add(
                Layer(
                    id=f"area:{name}",
                    area=name,
                    kind="area",
                    name=name,
                    path=str(path),
                    features=sum(counts.values()),
                    token=who.name,
                )
            )
            s.flush()
            for sub, frame in area.layers.items():
                if isinstance(frame, gpd.GeoDataFrame):
                    store_features(s, f"area:{name}", sub, frame)
            s.add(
                Audit(
                    token=who.name,
                    role=who.role,
                    action="upload_area",
                    target=name,
                    detail=json.dumps(counts),
                )
            )
            try:
                s.commit()
            except IntegrityError:
                raise AreaExistsError(name=name) from None
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return {"area": name, **counts}


@router.get("/scenarios")
def scenarios(_: CurrentUser, s: SessionDep) -> list[ScenarioOut]:
    """Stored scenarios, then the bundled library's (``source``; a stored name shadows one).

    Jobs and drills accept either name; a library scenario has version 0.
    """
    rows = s.scalars(select(StoredScenario).order_by(StoredScenario.name)).all()
    stored = [
        ScenarioOut(
            name=r.name,
            area=r.area,
            version=r.version,
            updated_at=r.updated_at,
            name_zh=str(json.loads(r.body).get("name_zh") or ""),
        )
        for r in rows
    ]
    names = {r.name for r in stored}
    return stored + [
        ScenarioOut(
            name=x.name,
            area=x.area,
            version=0,
            updated_at=x.updated_at,
            name_zh=x.name_zh,
            source="library",
        )
        for x in library_scenarios()
        if x.name not in names
    ]


@router.get("/scenarios/{name}")
def scenario(name: str, tok: CurrentUser, s: SessionDep) -> ScenarioOut:
    """One stored or library scenario with its body.

    Its ``injects`` (an exercise script) are shown to planners and exercise designers
    only: duty officers may be the players of a drill made from it.
    """
    r = s.get(StoredScenario, name)
    if r is not None:
        out = ScenarioOut(name=r.name, area=r.area, version=r.version, updated_at=r.updated_at)
        body = json.loads(r.body)
    elif (lib := library_scenario(name)) is not None:
        out = ScenarioOut(
            name=lib.name,
            area=lib.area,
            version=0,
            updated_at=lib.updated_at,
            source="library",
        )
        body = dict(lib.body)
    else:
        raise UnknownScenarioError(name=name)
    if Role(tok.role) not in DRILL_CONTROLLERS and body.get("injects"):
        body["injects"] = []
        body["injects_hidden"] = True
    return out.model_copy(update={"body": body, "name_zh": str(body.get("name_zh") or "")})


@router.put("/scenarios/{name}")
def put_scenario(
    name: str, body: ScenarioIn, tok: Submitter, s: SessionDep, cfg: SettingsDep
) -> ScenarioOut:
    """Store or replace a scenario (validated first; version-checked; audited)."""
    return _store_scenario(s, cfg, name, body.body, body.expected_version, tok)


@router.put("/scenarios/{name}/yaml")
def put_scenario_yaml(
    name: str,
    tok: Submitter,
    s: SessionDep,
    cfg: SettingsDep,
    raw: bytes = Body(media_type="application/yaml"),
    expected_version: int | None = Query(default=None, ge=0),
) -> ScenarioOut:
    """Store or replace a scenario sent as a YAML file (as ``relief check --scenario`` reads).

    Read by the scenario reader itself (UTF-8, size, nesting and alias limits, the
    scenario's fields), then stored as ``PUT /scenarios/{name}`` stores a JSON body.
    """
    return _store_scenario(s, cfg, name, _yaml_scenario(cfg.data_dir, raw), expected_version, tok)


def _yaml_scenario(data_dir: Path, raw: bytes) -> dict[str, Any]:
    """An uploaded scenario YAML as a mapping, refused (422) as the CLI refuses the file."""
    folder = data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    upload = folder / f"{uuid.uuid4().hex}.yaml"
    upload.write_bytes(raw)
    try:
        load_scenario(upload)
    except DataError as exc:
        raise upload_error(exc, upload) from None
    finally:
        upload.unlink(missing_ok=True)
    body: dict[str, Any] = yaml.safe_load(raw.decode("utf-8-sig"))  # checked: a mapping
    return body


def _store_scenario(
    s: Session,
    cfg: Settings,
    name: str,
    body: dict[str, Any],
    expected_version: int | None,
    tok: Caller,
) -> ScenarioOut:
    if not (0 < len(name) <= 100) or "/" in name:
        raise BadScenarioNameError()
    check_name(name, "name")
    sc = analyses.scenario_of({"scenario": body})
    area_spec(sc.area, extra_areas(s, cfg.areas))
    row = s.get(StoredScenario, name)
    current = row.version if row else 0
    if expected_version is not None and expected_version != current:
        raise ScenarioChangedError(current=current)
    text = json.dumps(body, ensure_ascii=False, default=str)
    if row is None:
        row = StoredScenario(name=name, area=sc.area, body=text, version=1, token=tok.name)
        s.add(row)
    else:  # only if nobody changed it since it was read
        done = s.execute(
            update(StoredScenario)
            .where(StoredScenario.name == name, StoredScenario.version == current)
            .values(area=sc.area, body=text, version=current + 1, token=tok.name, updated_at=now())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            s.rollback()
            raise ScenarioChangedConcurrentlyError()
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
        raise ScenarioChangedConcurrentlyError() from None
    return ScenarioOut(name=name, area=row.area, version=row.version, updated_at=row.updated_at)


@router.post("/areas/{area}/floods", status_code=201)
async def upload_flood(
    area: str,
    request: Request,
    name: str,
    tok: Submitter,
    services: ServicesDep,
    crs: str = "wgs84",
    depth_m: float | None = None,
) -> LayerOut:
    """Upload flood polygons (GeoJSON; optional ``depth_m``) for jobs to use by id.

    ``crs``: what the coordinates are in (wgs84, gcj02, bd09 or an EPSG code); stored in
    WGS84. ``depth_m``: the depth of features that state none. Bad geometry (a polygon
    whose edges cross, field ``geometry``: it is not repaired silently), absurd depths,
    coordinates outside China or swapped lon/lat are refused (422).
    """
    check_name(name, "name")
    raw = await request.body()
    return await run_in_threadpool(_store_flood, services, area, name, crs, depth_m, raw, tok)


def _store_flood(
    services: Services,
    area: str,
    name: str,
    crs: str,
    depth_m: float | None,
    raw: bytes,
    tok: Caller,
) -> LayerOut:
    cfg = services.settings
    with services.sessions() as s:
        services.known_area(s, area)
    layer_id = str(uuid.uuid4())
    folder = cfg.data_dir / "layers"
    folder.mkdir(parents=True, exist_ok=True)
    upload = folder / f"{layer_id}.upload.geojson"
    upload.write_bytes(raw)
    try:
        frame = read_flood(
            upload, crs=crs, limits=cfg.upload_limits, default_depth_m=depth_m, repair=False
        )
    except DataError as exc:  # say "upload", not where the server keeps it
        raise upload_error(exc, upload) from None
    finally:
        upload.unlink(missing_ok=True)
    path = folder / f"{layer_id}.geojson"
    write_atomic(path, lambda tmp: frame.to_file(tmp, driver="GeoJSON", engine="pyogrio"))
    with services.sessions() as s:
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
        s.flush()
        store_features(s, layer_id, "flood", frame)
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
        return LayerOut.model_validate(row)


@router.get("/areas/{area}/floods")
def floods(
    area: str, _: CurrentUser, s: SessionDep, services: ServicesDep, bbox: str | None = None
) -> list[LayerOut]:
    """Flood layers uploaded for an area.

    ``bbox=lon0,lat0,lon1,lat1`` keeps those that reach into it (a spatial-index query
    on PostGIS).
    """
    services.known_area(s, area)
    rows = s.scalars(select(Layer).where(Layer.area == area, Layer.kind == "flood")).all()
    if bbox is not None:
        box = _bbox(bbox)
        hit = layers_in_bbox(s, [(r.id, r.path) for r in rows], box)
        rows = [r for r in rows if r.id in hit]
    return [LayerOut.model_validate(r) for r in rows]


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise BadBboxError() from None
    if not (all(map(math.isfinite, (x0, y0, x1, y1))) and x0 < x1 and y0 < y1):
        raise EmptyBboxError()
    return x0, y0, x1, y1
