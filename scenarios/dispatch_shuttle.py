"""The last leg to places cut off by the flood: trucks to a staging point, then by air or boat.

An explicit, simple model (stated so officers can check it): boats and helicopters of every
depot form one pool per mode, available once their depot is alerted; each flies or sails the
straight line from a staging point to the cut-off place at the class's cruise speed, with
:data:`HANDLING_H` to load at the staging point and to unload at the place; a load heavier
than one craft's payload takes several craft trips. Transfers are scheduled first come, first
served on the earliest free craft, in the order trucks unload at the staging points. Not
modelled: water currents, flight rules and weather, craft range, repositioning between
staging points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scenarios.apply import Situation
from scenarios.places import coords
from scenarios.plan import Route, Stop, Transfer, TransferLeg, Via
from solver.fleet import Mode, VehicleClass
from solver.timeline import depot_start_h

#: Loading at the staging point, and unloading at the place, per craft trip (assumption).
HANDLING_H = 0.25


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points in kilometres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 12742.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Shuttle:
    """The pool of one mode: its class (the most numerous), how many, from when."""

    mode: Mode
    craft: VehicleClass
    count: int
    ready_h: float

    @staticmethod
    def fleet(situation: Situation) -> dict[Mode, Shuttle]:
        """Boats and helicopters of all depots, pooled by mode."""
        net = situation.network
        counts: dict[Mode, dict[str, int]] = {}
        ready: dict[Mode, float] = {}
        for depot in net.depots:
            start = depot_start_h(
                depot, situation.response_start_h, situation.scenario.report_clock_h
            )
            for cls, n in situation.fleet.get(depot.id, {}).items():
                vc = net.vehicle_class(cls)
                if vc.mode is Mode.ROAD or n <= 0 or not math.isfinite(start):
                    continue
                per = counts.setdefault(vc.mode, {})
                per[cls] = per.get(cls, 0) + n
                ready[vc.mode] = min(ready.get(vc.mode, math.inf), start)
        out = {}
        for mode, per in counts.items():
            cls = max(sorted(per), key=lambda c: per[c])
            out[mode] = Shuttle(mode, net.vehicle_class(cls), sum(per.values()), ready[mode])
        return out

    def one_way_h(self, km: float) -> float:
        """Load, travel ``km``, unload."""
        return 2 * HANDLING_H + km / self.craft.cruise_kmh


def staging_options(
    situation: Situation, point: str, kg: float, crafts: dict[Mode, Shuttle]
) -> list[Via]:
    """Staging points from which a pooled craft can carry ``kg`` to ``point``, best first."""
    dest = coords(situation, point)
    out = []
    for s in situation.network.staging:
        pool = crafts.get(s.mode)
        if pool is None:
            continue
        km = haversine_km((s.lon, s.lat), dest)
        trips = max(1, math.ceil(kg / pool.craft.payload_kg))
        round_h = pool.one_way_h(km) + km / pool.craft.cruise_kmh
        out.append(
            Via(
                staging=s.id,
                mode=s.mode.value,
                km=round(km, 2),
                hours_one_trip=pool.one_way_h(km),
                estimate_h=math.ceil(trips / pool.count) * round_h,
            )
        )
    return sorted(out, key=lambda o: (o.estimate_h, o.staging))


def plan_transfers(
    situation: Situation,
    routes: Sequence[Route],
    crafts: dict[Mode, Shuttle],
    busy: Sequence[Stop] = (),
) -> tuple[list[Route], list[Transfer]]:
    """Schedule the craft trips for every truck stop at a staging point.

    Returns the routes with each such stop's ``transfer`` (mode, craft trips, arrival at the
    place) set, and the transfers, one per stop, in the order they start. ``busy``: stops of
    an earlier plan whose transfers are under way; their crafts are taken until back (a
    round trip after the first start, counted per craft trip).
    """
    cat = situation.network.catalogue
    stops = [
        (s.depart_h, r.vehicle, k, n, s)
        for k, r in enumerate(routes)
        for n, s in enumerate(r.stops)
        if s.via is not None
    ]
    free = {mode: [pool.ready_h] * pool.count for mode, pool in crafts.items()}
    under_way = [s.transfer for s in busy if s.transfer is not None]
    for tr in sorted(under_way, key=lambda t: t.start_h):
        if Mode(tr.mode) not in free:
            continue
        back = tr.arrive_h + (tr.arrive_h - tr.start_h)
        times = free[Mode(tr.mode)]
        for _ in range(tr.craft_trips):
            k = min(range(len(times)), key=lambda i: (times[i], i))
            times[k] = max(times[k], back)
    out = []
    legs: dict[tuple[int, int], TransferLeg] = {}
    for ready_h, vehicle, r_k, s_n, stop in sorted(stops, key=lambda x: (x[0], x[1], x[3])):
        via = stop.via
        assert via is not None
        pool = crafts[Mode(via.mode)]
        dest = coords(situation, stop.people_place)
        km = haversine_km(coords(situation, via.staging), dest)
        kg = sum(cat.get(i).unit_weight_kg * q for i, q in stop.items.items())
        trips = max(1, math.ceil(kg / pool.craft.payload_kg - 1e-9))
        arrive = ready_h
        first = math.inf
        for _ in range(trips):
            times = free[pool.mode]
            k = min(range(len(times)), key=lambda i: (times[i], i))
            begin = max(times[k], ready_h)
            first = min(first, begin)
            arrive = max(arrive, begin + pool.one_way_h(km))
            times[k] = begin + pool.one_way_h(km) + km / pool.craft.cruise_kmh
        leg = TransferLeg(
            to=stop.people_place,
            mode=pool.mode.value,
            craft_trips=trips,
            start_h=round(first, 3),
            arrive_h=round(arrive, 3),
        )
        legs[r_k, s_n] = leg
        out.append(
            Transfer(
                from_=via.staging,
                to=leg.to,
                demand=stop.parts[0].demand,
                vehicle=vehicle,
                mode=leg.mode,
                craft_class=pool.craft.id,
                craft_trips=trips,
                km=round(km, 2),
                start_h=leg.start_h,
                arrive_h=leg.arrive_h,
                items=dict(stop.items),
            )
        )
    with_legs = [
        r.model_copy(
            update={
                "stops": tuple(
                    s.model_copy(update={"transfer": legs[k, n]}) if (k, n) in legs else s
                    for n, s in enumerate(r.stops)
                )
            }
        )
        for k, r in enumerate(routes)
    ]
    return with_legs, out
