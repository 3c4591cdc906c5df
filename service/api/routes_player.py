"""What a drill's players need to order trips: ``GET /drills/{id}/state``.

Players see the scenario without its script and the injects released (``GET /drills/{id}``);
to fill a decision they also need the fleet (each vehicle's depot, load limits, whether it
is lost and when it is next free), the stock each depot has left, what each place where
people wait still needs, and how the trips already ordered play. All of it is computed from
the drill's book (:class:`scenarios.drill.DrillBook`) on what is known at the drill hour, so
it tells no player more than the released injects do; every role that may read the drill
may read it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from scenarios.apply import Situation
from scenarios.check import demand_points
from scenarios.drill import DrillBook, TripRun
from scenarios.places import coords
from service.api.db import Drill
from service.api.deps import CurrentUser, ServicesDep, SessionDep
from service.api.player_schemas import (
    DepotState,
    DrillStateOut,
    ItemState,
    NeedState,
    StopState,
    TripState,
    VehicleState,
)
from service.api.routes_drills import _book, _drill, _tick, drill_hour, submitted
from solver.errors import DataError

#: Hours compared with this slack (the drill's hours are rounded to 4 places).
EPS = 1e-9


router = APIRouter(tags=["drills"])


@router.get("/drills/{drill_id}/state")
def state(drill_id: str, _: CurrentUser, s: SessionDep, services: ServicesDep) -> DrillStateOut:
    """The fleet, depots' stock left, what each place still needs and the trips ordered.

    As known at the drill hour (the injects released so far), for any role that may read
    the drill: nothing here is beyond the players' view. The trips are played as a
    decision is checked, so ``free_h`` and ``stock_left`` are what the next decision is
    held to.
    """
    d = _tick(s, _drill(s, drill_id))
    book = _book(d, services.known_area(s, d.area))
    return drill_state(d, book, book.play(submitted(s, d.id)), drill_hour(d))


def drill_state(d: Drill, book: DrillBook, runs: list[TripRun], hour: float) -> DrillStateOut:
    """The state of drill ``d`` at ``hour`` from its book and the trips as played."""
    now = book.epochs[book.epoch_at(hour)][1]
    first = book.epochs[0][1]
    lost = {dep: 0.0 for dep in book.scenario.depots_lost} | {
        dep: h for dep, h in book.lost_h.items() if h <= hour + EPS
    }
    vehicles = _vehicles(book, first, runs, lost, hour)
    used = book.stock_used(runs)
    held = {dep.id: dep.stock for dep in now.network.depots}
    depots = []
    for dep in book.area.network.depots:
        if not any(v.depot == dep.id for v in vehicles):
            continue  # trips start only where there are trucks
        gone = dep.id in lost or dep.id not in held
        left = (
            {} if gone else {i: int(q) - used.get((dep.id, i), 0) for i, q in held[dep.id].items()}
        )
        depots.append(
            DepotState(
                id=dep.id,
                name=dep.name,
                lon=dep.lon,
                lat=dep.lat,
                lost=gone,
                lost_h=lost.get(dep.id),
                stock_left={i: q for i, q in sorted(left.items()) if q > 0},
            )
        )
    return DrillStateOut(
        drill=d.id,
        status=d.status,  # type: ignore[arg-type]
        hour=round(hour, 4),
        items=[ItemState.model_validate(i, from_attributes=True) for i in now.network.catalogue],
        vehicles=vehicles,
        depots=depots,
        needs=_needs(now, runs, hour),
        trips=[_trip(now, r, hour) for r in runs],
    )


def _vehicles(
    book: DrillBook, first: Situation, runs: list[TripRun], lost: dict[str, float], hour: float
) -> list[VehicleState]:
    """The drill's road vehicles, and those lost with a depot at hour 0 (said, not usable)."""
    names = {dep.id: dep.name for dep in book.area.network.depots}
    fleet = dict(book.vehicles)
    for vid, v in book.all_vehicles.items():
        if vid not in fleet and v.depot in book.scenario.depots_lost:
            fleet[vid] = v
    out = []
    for vid, v in sorted(fleet.items()):
        mine = [r for r in runs if r.vehicle == vid and r.cancelled_h is None]
        vc = first.network.vehicle_class(v.cls)
        free_h = max((r.back_h for r in mine if r.back_h is not None), default=None)
        status: Any
        if v.depot in lost:
            status, free_h = "lost", None
        elif any(r.leave_h is not None and r.back_h is None for r in mine):
            status, free_h = "stuck", None
        elif free_h is not None and free_h > hour + EPS:
            status = "busy"
        else:
            status, free_h = "free", None
        out.append(
            VehicleState(
                id=vid,
                depot=v.depot,
                depot_name=names.get(v.depot, v.depot),
                vehicle_class=v.cls,
                class_zh=vc.name_zh,
                class_en=vc.name_en,
                payload_kg=float(vc.payload_kg),
                volume_m3=float(vc.volume_m3),
                status=status,
                lost_h=lost.get(v.depot),
                free_h=None if free_h is None else round(free_h, 4),
                trips=len(mine),
            )
        )
    return out


def _add(into: dict[str, int], items: dict[str, int]) -> None:
    for item, q in items.items():
        into[item] = into.get(item, 0) + q


def _needs(now: Situation, runs: list[TripRun], hour: float) -> list[NeedState]:
    """Per place where people wait (:func:`scenarios.check.demand_points`): need and still."""
    ordered: dict[str, dict[str, int]] = {}
    delivered: dict[str, dict[str, int]] = {}
    for r in runs:
        if r.cancelled_h is not None:
            continue
        for k, stop in enumerate(r.stops):
            if k not in r.visits:
                continue  # failed (unreachable, lost, not loaded): brings nothing
            _add(ordered.setdefault(stop.point, {}), stop.items)
            if r.visits[k][1] <= hour + EPS:
                _add(delivered.setdefault(stop.point, {}), stop.items)
    places: dict[str, dict[str, Any]] = {}
    for dem in demand_points(now):
        if dem.people <= 0:
            continue
        p = places.setdefault(
            dem.place,
            {
                "name": dem.name,
                "county": dem.county,
                "people": 0,
                "overflow": 0,
                "ready": dem.ready_h,
                "need": {},
            },
        )
        p["people"] += dem.people
        p["overflow"] += dem.people if dem.overflow else 0
        p["ready"] = min(p["ready"], dem.ready_h)
        _add(p["need"], {i: round(q) for i, q in dem.need.items()})
    out = []
    for place, p in sorted(places.items()):
        lon, lat = coords(now, place)
        got = ordered.get(place, {})
        need: dict[str, int] = p["need"]
        out.append(
            NeedState(
                place=place,
                name=p["name"],
                county=p["county"],
                lon=lon,
                lat=lat,
                people=p["people"],
                overflow_people=p["overflow"],
                ready_h=round(p["ready"], 4),
                need=need,
                ordered=got,
                delivered=delivered.get(place, {}),
                still={i: q - got.get(i, 0) for i, q in need.items() if q > got.get(i, 0)},
            )
        )
    return out


def _where(now: Situation, place: str) -> tuple[float | None, float | None]:
    try:
        return coords(now, place)
    except DataError:
        return None, None


def _trip(now: Situation, r: TripRun, hour: float) -> TripState:
    names = {p.id: p.name for p in now.area.network.points}
    status: Any
    if r.cancelled_h is not None:
        status = "cancelled"
    elif r.leave_h is None:
        status = "failed" if r.failed else "waiting"
    elif r.leave_h > hour + EPS:
        status = "waiting"
    elif r.back_h is None:
        status = "out"
    elif r.back_h > hour + EPS:
        status = "en_route"
    else:
        status = "back"
    stops = []
    for k, stop in enumerate(r.stops):
        lon, lat = _where(now, stop.point)
        visit = r.visits.get(k)
        stops.append(
            StopState(
                point=stop.point,
                name=names.get(stop.point, ""),
                lon=lon,
                lat=lat,
                items=dict(stop.items),
                arrive_h=None if visit is None else round(visit[1], 4),
                failed=r.failed.get(k),
            )
        )
    return TripState(
        decision=r.decision,
        trip=r.trip,
        player=r.player,
        vehicle=r.vehicle,
        depot=r.depot,
        submitted_h=round(r.submitted_h, 4),
        status=status,
        cancelled_h=r.cancelled_h,
        loaded_by_h=None if r.loaded_by_h is None else round(r.loaded_by_h, 4),
        leave_h=None if r.leave_h is None else round(r.leave_h, 4),
        back_h=None if r.back_h is None else round(r.back_h, 4),
        stops=stops,
    )
