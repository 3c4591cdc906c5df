"""Routes of the shared registry: areas, layers, depots and stock, shelters, audit, map."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from geodata.area import BUNDLED
from service.api import analyses
from service.api.cache import Entry, answer, make_entry
from service.api.context import STATIC
from service.api.db import Audit, NewDepot, Shelter, Stock
from service.api.deps import (
    CurrentUser,
    Services,
    ServicesDep,
    SessionDep,
    SettingsDep,
    StockWriter,
)
from service.api.errors import (
    BadRecordError,
    ChangedConcurrentlyError,
    DepotExistsError,
    OutdatedVersionError,
    ServiceError,
    UnknownAreaError,
    UnknownDepotError,
    UnknownItemError,
    UnknownLayerError,
    UnknownShelterError,
)
from service.api.registry import (
    StaleVersionError,
    area_spec,
    extra_areas,
    registry_version,
    set_capacity,
    set_stock,
    with_depots,
)
from service.api.schemas import AuditOut, CapacityChange, DepotIn, DepotOut, ShelterOut, StockChange
from solver.errors import DataError
from solver.network import PointKind

router = APIRouter(tags=["registry"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness (no token needed)."""
    return {"status": "ok"}


@router.get("/areas")
def areas(_: CurrentUser, s: SessionDep, cfg: SettingsDep) -> list[str]:
    """Areas the service knows: bundled, configured and uploaded."""
    return sorted([*BUNDLED, *extra_areas(s, cfg.areas)])


def _version_of(services: Services, area: str) -> tuple[int, ...]:
    """The registry version of ``area`` (404 for an unknown area); in a thread."""
    with services.sessions() as s:
        try:
            area_spec(area, extra_areas(s, services.settings.areas))
        except DataError as exc:  # an unknown name in a path is a 404, as everywhere
            raise UnknownAreaError.of(exc) from None
        return registry_version(s, area)


def _made(services: Services, area: str, what: str, make: Callable[[Session], bytes]) -> Entry:
    with services.sessions() as s:
        return services.answers.get(
            (what, area, registry_version(s, area)), lambda: make_entry(make(s))
        )


async def _current(
    services: Services, area: str, what: str, make: Callable[[Session], bytes]
) -> Entry:
    """The answer ``what`` for ``area`` at the registry's current version.

    On the event loop when it is made already and the version was read within the last
    second (edits through this process forget it at once); else in a thread.
    """
    version = services.versions.get(area)
    if version is None:
        version = await run_in_threadpool(_version_of, services, area)
        services.versions.put(area, version)
    got = services.answers.peek((what, area, version))
    if got is not None:
        return got
    return await run_in_threadpool(_made, services, area, what, make)


@router.get("/areas/{area}/depots", response_model=list[DepotOut])
async def depots(area: str, request: Request, _: CurrentUser, services: ServicesDep) -> Response:
    """Depots of an area with their current stock (registry changes applied).

    Made once per registry version; ``ETag`` / ``If-None-Match`` and gzip supported.
    """

    def make(s: Session) -> bytes:
        a = services.known_area(s, area)
        versions: dict[tuple[str, str], int] = {
            (r.depot, r.item): r.version
            for r in s.scalars(select(Stock).where(Stock.area == area)).all()
        }
        out = [
            _depot_out(d, {i: versions.get((d.id, i), 0) for i in d.stock}).model_dump(mode="json")
            for d in a.network.depots
        ]
        return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()

    return answer(request, await _current(services, area, "depots", make), "application/json")


#: The layers ``GET /areas/{area}/layers/{layer}`` serves (an optional one the area lacks,
#: ``boundaries`` or ``rivers``, is an empty collection).
LAYERS = ("boundaries", "roads", "rivers", "depots", "points", "shelters")


@router.get("/areas/{area}/layers/{layer}")
async def layer(
    area: str, layer: str, request: Request, _: CurrentUser, services: ServicesDep
) -> Response:
    """A layer as GeoJSON, made once per registry version (``ETag``, gzip).

    ``boundaries``, ``roads`` (``road_class``), ``rivers``, ``depots`` (``tier``, current
    stock), ``points`` (every place) or ``shelters`` (capacity).
    """
    if layer not in LAYERS:
        raise UnknownLayerError(layer=layer)

    def make(s: Session) -> bytes:
        doc = _layer(services.known_area(s, area), layer)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    entry = await _current(services, area, f"layer:{layer}", make)
    return answer(request, entry, "application/geo+json")


def _layer(a: Any, layer: str) -> Any:
    if layer in ("boundaries", "rivers"):
        frame = a.boundaries if layer == "boundaries" else a.rivers
        if frame is None:
            return {"type": "FeatureCollection", "features": []}
        cols = [c for c in ("name", "name_en") if c in frame]
        return analyses.geojson(frame[[*cols, "geometry"]])
    if layer == "roads":  # context instead of base-map tiles (the page works offline)
        edges = a.roads.edges
        cols = [c for c in ("name", "road_class") if c in edges]
        return analyses.geojson(edges[[*cols, "geometry"]])
    if layer == "depots":
        return _points(
            a.network.depots,
            lambda d: {
                "id": d.id,
                "name": d.name,
                "tier": d.tier.value,
                "tier_zh": d.tier.zh,
                "stock": dict(d.stock),
            },
        )
    if layer == "shelters":
        return _points(
            [p for p in a.network.points if p.kind is PointKind.SHELTER],
            lambda p: {"id": p.id, "name": p.name, "capacity": p.capacity},
        )
    return _points(
        a.network.points,
        lambda p: {
            "id": p.id,
            "name": p.name,
            "kind": p.kind.value,
            "population": p.population,
        },
    )


@router.get("/map", include_in_schema=False)
def map_page() -> FileResponse:
    """The map page (Leaflet, served from here; no CDN)."""
    return FileResponse(STATIC / "map.html", media_type="text/html")


@router.post("/areas/{area}/depots", status_code=201)
def add_depot(
    area: str, body: DepotIn, tok: StockWriter, s: SessionDep, services: ServicesDep
) -> DepotOut:
    """Add a depot (no stock yet; set it per item), checked like a depots file.

    The place must be in China and near a road; the tier gives loading rate and hours.
    """
    a = services.known_area(s, area)
    if any(d.id == body.id for d in a.network.depots):
        raise DepotExistsError(depot=body.id)
    spec = area_spec(area, extra_areas(s, services.settings.areas))
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
        raise BadRecordError.of(exc) from None
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
        raise DepotExistsError(depot=body.id) from None
    services.versions.forget(area)
    return _depot_out(d, dict.fromkeys(d.stock, 0))


@contextmanager
def _versioned_edit(s: Session, unknown: ServiceError) -> Iterator[None]:
    """An edit of a versioned record, its refusals as API errors.

    ``unknown`` if the record is not there; 409 if it changed since the client read it or
    meanwhile (the session rolled back).
    """
    try:
        yield
    except LookupError:
        raise unknown from None
    except StaleVersionError as exc:
        s.rollback()
        raise OutdatedVersionError(current=exc.current) from None
    except IntegrityError:
        s.rollback()
        raise ChangedConcurrentlyError() from None


@router.put("/areas/{area}/depots/{depot}/stock/{item}")
def put_stock(
    area: str,
    depot: str,
    item: str,
    change: StockChange,
    tok: StockWriter,
    s: SessionDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Set a depot's stock of one item (attributed, audited, version-checked)."""
    a = services.known_area(s, area)
    if item not in a.network.catalogue:
        raise UnknownItemError(item=item)
    with _versioned_edit(s, UnknownDepotError(depot=depot)):
        row = set_stock(
            s, a, area, depot, item, change.quantity, change.expected_version, (tok.name, tok.role)
        )
    services.versions.forget(area)
    return {"depot": depot, "item": item, "quantity": row.quantity, "version": row.version}


@router.get("/areas/{area}/shelters")
def shelters(area: str, _: CurrentUser, s: SessionDep, services: ServicesDep) -> list[ShelterOut]:
    """Shelters of an area with their current capacity (people)."""
    a = services.known_area(s, area)
    versions = {r.point: r.version for r in s.scalars(select(Shelter).where(Shelter.area == area))}
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


@router.put("/areas/{area}/shelters/{point}")
def put_shelter(
    area: str,
    point: str,
    change: CapacityChange,
    tok: StockWriter,
    s: SessionDep,
    services: ServicesDep,
) -> ShelterOut:
    """Set a shelter's capacity (attributed, audited, version-checked)."""
    a = services.known_area(s, area)
    with _versioned_edit(s, UnknownShelterError(point=point)):
        row = set_capacity(
            s, a, area, point, change.capacity, change.expected_version, (tok.name, tok.role)
        )
    services.versions.forget(area)
    p = next(p for p in a.network.points if p.id == point)
    return ShelterOut(
        id=p.id, name=p.name, lon=p.lon, lat=p.lat, capacity=row.capacity, version=row.version
    )


@router.get("/audit")
def audit(_: CurrentUser, s: SessionDep, limit: int = 100) -> list[AuditOut]:
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


def _points(records: Any, properties: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of point records (``lon``/``lat``) with ``properties(r)``."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": properties(r),
            }
            for r in records
        ],
    }


def _depot_out(d: Any, versions: dict[str, int]) -> DepotOut:
    """A depot as the API shows it, with the version of each stock item."""
    return DepotOut(
        id=d.id,
        name=d.name,
        tier=d.tier.value,
        lon=d.lon,
        lat=d.lat,
        stock=dict(d.stock),
        versions=versions,
    )
