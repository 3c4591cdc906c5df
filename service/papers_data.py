"""The papers of a dispatch plan as typed values: driver sheets, loading lists, receipt lists.

:func:`build_papers` reads a plan document (``plan.json`` version 2, see
``scenarios/README.md``), optionally with the area's :class:`~service.papers_places.Directory`
and the plan's legs (``routes.geojson`` rows from ``scenarios.dispatch_geo.route_lines``),
into one :class:`Papers` value that every renderer (HTML, XLSX) prints:

* a :class:`DriverSheet` per vehicle, its stops as :class:`Visit` s: one per place per
  visit (loads for the same place in a row within a trip are merged, so a stop never repeats
  with zero driving), each with the leg driven to it and the way back to reload;
* a :class:`LoadingList` per depot (出库单), truck by truck in loading order;
* a :class:`ReceiptList` per shelter (接收清单), arrivals by time.

Every quantity on the papers is the plan's: loading lists add up to the plan's loads and
receipt lists to its deliveries (tested).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.papers_places import Directory, Place
from service.sheets_rows import _late_index, check_plan, demand_label, stop_demand
from service.sheets_text import report_time

Line = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop of a driver sheet: a place reached on one trip, with all it receives there."""

    no: int
    trip: int | None
    place: Place
    #: For goods flown or sailed on from a staging point: where they end, and how.
    final: Place | None
    mode: str
    demands: tuple[str, ...]
    items: Mapping[str, float]
    kg: float | None
    litres: float | None
    bay: int | None
    load_start_h: float | None
    loaded_by_h: float | None
    leave_h: float | None
    arrive_h: float | None
    depart_h: float | None
    #: Back at the depot after this stop (the trip's end), or None when the trip goes on.
    back_h: float | None
    met_h: float | None
    by_h: float | None
    missed: tuple[float, ...]
    km: float | None
    back_km: float | None
    roads: tuple[str, ...]
    code: str
    status: str = "planned"
    #: The transfer's arrival at the final place (boat or helicopter), when there is one.
    final_arrive_h: float | None = None
    path: tuple[Line, ...] = ()
    back_path: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class DriverSheet:
    """One vehicle's sheet: the truck, its depot and its stops in driving order."""

    number: str
    vehicle: str
    vehicle_class: str
    depot: Place
    capacity_kg: float | None
    capacity_litres: float | None
    start_h: float | None
    end_h: float | None
    drive_h: float | None
    km: float | None
    visits: tuple[Visit, ...]
    open_end: bool = False


@dataclass(frozen=True, slots=True)
class LoadRow:
    """One truckload on a depot's loading list."""

    vehicle: str
    vehicle_class: str
    sheet: str
    trip: int | None
    bay: int | None
    load_start_h: float | None
    loaded_by_h: float | None
    to: Place
    items: Mapping[str, float]
    kg: float | None
    litres: float | None


@dataclass(frozen=True, slots=True)
class LoadingList:
    """A depot's loading list (出库单): its truckloads in loading order."""

    number: str
    depot: Place
    rows: tuple[LoadRow, ...]

    def totals(self) -> dict[str, float]:
        """Units of each item loaded at this depot."""
        return _sum_items(r.items for r in self.rows)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One delivery expected at a shelter."""

    arrive_h: float | None
    vehicle: str
    sheet: str
    code: str
    depot: Place
    via: Place | None
    mode: str
    items: Mapping[str, float]
    kg: float | None
    litres: float | None
    demands: tuple[str, ...]
    status: str = "planned"


@dataclass(frozen=True, slots=True)
class ReceiptList:
    """A shelter's receipt list (接收清单): what arrives, from whom and when."""

    number: str
    shelter: Place
    people: int | None
    arrivals: tuple[Arrival, ...]

    def totals(self) -> dict[str, float]:
        """Units of each item this shelter receives."""
        return _sum_items(a.items for a in self.arrivals)


@dataclass(frozen=True, slots=True)
class Papers:
    """Everything printed from one plan."""

    scenario: str
    scenario_zh: str
    area: str
    version: str
    issued: datetime
    report: datetime | None
    targets_h: tuple[float, ...]
    sheets: tuple[DriverSheet, ...]
    loading: tuple[LoadingList, ...]
    receipts: tuple[ReceiptList, ...]
    directory: Directory = field(default_factory=Directory)


def _num(value: object) -> float | None:
    """A float, or None for missing values."""
    if value is None or isinstance(value, bool):
        return None
    return float(value)  # type: ignore[arg-type]


def _int(value: object) -> int | None:
    """An int, or None for missing values."""
    return None if value is None else int(value)  # type: ignore[call-overload]


def _sum_items(loads: Any) -> dict[str, float]:
    """Units per item over several loads, items in order of first appearance."""
    out: dict[str, float] = {}
    for items in loads:
        for k, q in items.items():
            out[k] = out.get(k, 0) + q
    return out


def _add(a: float | None, b: float | None) -> float | None:
    """The sum of two optional numbers (None only when both are)."""
    if a is None and b is None:
        return None
    return (a or 0.0) + (b or 0.0)


def _place_of(stop: Mapping[str, Any]) -> str:
    """The place a truck drives to for ``stop`` (the staging point when flown on)."""
    return str(stop.get("point", ""))


def _trip_groups(stops: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Stops grouped into visits: consecutive stops of one trip at one place are one visit."""
    groups: list[list[Mapping[str, Any]]] = []
    for s in stops:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.get("trip") == s.get("trip")
            and _place_of(last) == _place_of(s)
            and (last.get("transfer") or {}).get("to") == (s.get("transfer") or {}).get("to")
        ):
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


@dataclass
class _Legs:
    """The legs of one vehicle in driving order: deliveries and returns, with km and path."""

    delivery: list[tuple[float | None, Line]] = field(default_factory=list)
    back: list[tuple[float | None, Line]] = field(default_factory=list)


def _legs_by_vehicle(legs: Any) -> dict[str, _Legs]:
    """Rows of ``route_lines`` (a GeoDataFrame, or None) by vehicle."""
    out: dict[str, _Legs] = defaultdict(_Legs)
    if legs is None or not len(legs):
        return out
    for row in legs.itertuples(index=False):
        kind = getattr(row, "leg", "")
        coords = tuple((float(x), float(y)) for x, y in row.geometry.coords)
        km = _num(getattr(row, "distance_km", None))
        if kind == "delivery":
            out[str(row.vehicle)].delivery.append((km, coords))
        elif kind == "return":
            out[str(row.vehicle)].back.append((km, coords))
    return out


def _items(raw: object) -> dict[str, float]:
    """A load {item: units} with numeric quantities."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): float(v) for k, v in raw.items()}


def _visits(
    route: Mapping[str, Any],
    number: str,
    directory: Directory,
    legs: _Legs,
    late: Mapping[tuple[str, str, float], tuple[float, ...]],
    code_prefix: str,
    status: str,
) -> list[Visit]:
    """The visits of one route, with leg distances from ``legs`` where known."""
    vehicle = str(route.get("vehicle", ""))
    stops = list(route.get("stops", []))
    groups = _trip_groups(stops)
    deliveries = iter(legs.delivery)
    backs = iter(legs.back)
    out: list[Visit] = []
    for n, group in enumerate(groups, start=1):
        first, last = group[0], group[-1]
        km: float | None = None
        path: list[Line] = []
        for _ in group:
            leg_km, line = next(deliveries, (None, ()))
            km = _add(km, leg_km)
            if line:
                path.append(line)
        nxt = groups[n] if n < len(groups) else None
        trip_ends = nxt is None or nxt[0].get("trip") != last.get("trip")
        back_km: float | None = None
        back_path: tuple[Line, ...] = ()
        if trip_ends and not (nxt is None and route.get("open_end")):
            back_km, line = next(backs, (None, ()))
            back_path = (line,) if line else ()
        transfer = last.get("transfer") or {}
        via = last.get("via") or {}
        final = directory.get(str(transfer["to"])) if transfer.get("to") else None
        demands = tuple(demand_label(p.get("demand")) for s in group for p in s.get("parts") or [])
        missed: set[float] = set()
        for s in group:
            met = _num(s.get("met_h"))
            if met is not None:
                key = (vehicle, stop_demand(s), round(met, 3))
                missed.update(late.get(key, ()))
        mets = [m for m in (_num(s.get("met_h")) for s in group) if m is not None]
        kgs = [_num(s.get("kg")) for s in group]
        litres = [_num(s.get("litres")) for s in group]
        out.append(
            Visit(
                no=n,
                trip=_int(first.get("trip")),
                place=directory.get(_place_of(first), str(first.get("name") or "")),
                final=final,
                mode=str(via.get("mode") or transfer.get("mode") or ""),
                demands=demands,
                items=_sum_items(_items(s.get("items")) for s in group),
                kg=None if all(k is None for k in kgs) else sum(k or 0.0 for k in kgs),
                litres=None if all(v is None for v in litres) else sum(v or 0.0 for v in litres),
                bay=_int(first.get("bay")),
                load_start_h=_num(first.get("load_start_h")),
                loaded_by_h=_num(first.get("loaded_by_h")),
                leave_h=_num(first.get("leave_h")),
                arrive_h=_num(first.get("arrive_h")),
                depart_h=_num(last.get("depart_h")),
                back_h=_num(last.get("back_h")) if trip_ends else None,
                met_h=max(mets) if mets else None,
                by_h=_num(first.get("by_h")),
                missed=tuple(sorted(missed)),
                km=km,
                back_km=back_km,
                roads=tuple(str(r) for s in group for r in s.get("roads") or ()),
                code=f"{code_prefix}/{number}/{n}",
                status=status,
                final_arrive_h=_num(transfer.get("arrive_h")),
                path=tuple(path),
                back_path=back_path,
            )
        )
    return out


def _version(doc: Mapping[str, Any]) -> str:
    """The plan's version line: document version and the first 8 hex of its fingerprint."""
    fp = str((doc.get("scenario") or {}).get("fingerprint") or "")[:8]
    return f"v{doc.get('version', '?')}" + (f"·{fp}" if fp else "")


def _sheets(
    doc: Mapping[str, Any], directory: Directory, legs: Any, prefix: str
) -> list[DriverSheet]:
    """A driver sheet per route (by depot, then start), then one per committed vehicle."""
    late = _late_index(doc)
    by_vehicle = _legs_by_vehicle(legs)
    routes = sorted(
        doc.get("routes", []),
        key=lambda r: (str(r.get("depot", "")), _num(r.get("start_h")) or 0.0, r.get("vehicle")),
    )
    committed: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in doc.get("committed", []):
        committed[str(s.get("vehicle", ""))].append(s)
    out: list[DriverSheet] = []
    for route in routes:
        number = f"{len(out) + 1:03d}"
        vehicle = str(route.get("vehicle", ""))
        visits = _visits(route, number, directory, by_vehicle[vehicle], late, prefix, "planned")
        out.append(
            DriverSheet(
                number=number,
                vehicle=vehicle,
                vehicle_class=str(route.get("vehicle_class", "")),
                depot=directory.get(str(route.get("depot", ""))),
                capacity_kg=_num(route.get("capacity_kg")),
                capacity_litres=_num(route.get("capacity_litres")),
                start_h=_num(route.get("start_h")),
                end_h=_num(route.get("end_h")),
                drive_h=_num(route.get("drive_h")),
                km=_num(route.get("distance_km")),
                visits=tuple(visits),
                open_end=bool(route.get("open_end")),
            )
        )
    classes = {r.get("vehicle"): r.get("vehicle_class", "") for r in doc.get("routes", [])}
    for vehicle, stops in committed.items():
        number = f"{len(out) + 1:03d}"
        route = {"vehicle": vehicle, "stops": stops, "open_end": True}
        visits = _visits(route, number, directory, _Legs(), late, prefix, "delivered")
        out.append(
            DriverSheet(
                number=number,
                vehicle=vehicle,
                vehicle_class=str(stops[0].get("vehicle_class") or classes.get(vehicle, "")),
                depot=directory.get(str(stops[0].get("depot", ""))),
                capacity_kg=None,
                capacity_litres=None,
                start_h=None,
                end_h=None,
                drive_h=None,
                km=None,
                visits=tuple(visits),
                open_end=True,
            )
        )
    return out


def _loading(
    doc: Mapping[str, Any], directory: Directory, sheets: Sequence[DriverSheet]
) -> list[LoadingList]:
    """Per depot, the plan's loading list (``doc["loading"]``), or the stops' loads."""
    sheet_of = {s.vehicle: s for s in sheets}
    lists: dict[str, list[LoadRow]] = {}
    for entry in doc.get("loading") or []:
        depot = str(entry.get("depot", ""))
        rows = lists.setdefault(depot, [])
        for load in entry.get("loads", []):
            vehicle = str(load.get("vehicle", ""))
            sheet = sheet_of.get(vehicle)
            to = str(load.get("to", ""))
            trip = [v for v in sheet.visits if v.trip == _int(load.get("trip"))] if sheet else []
            # The visits this load makes: those of its trip to its place (all of the trip's
            # when none names it); their litres are the load's volume.
            made = [v for v in trip if to in (v.place.id, v.final.id if v.final else "")] or trip
            litres = [v.litres for v in made]
            rows.append(
                LoadRow(
                    vehicle=vehicle,
                    vehicle_class=sheet.vehicle_class if sheet else "",
                    sheet=sheet.number if sheet else "",
                    trip=_int(load.get("trip")),
                    bay=_int(load.get("bay")),
                    load_start_h=_num(load.get("load_start_h")),
                    loaded_by_h=_num(load.get("loaded_by_h")),
                    to=directory.get(to),
                    items=_items(load.get("items")),
                    kg=_num(load.get("kg")),
                    litres=sum(litres) if litres and None not in litres else None,  # type: ignore[arg-type]
                )
            )
    if not lists:  # a plan without a loading list: each trip's first visit carries the load
        for sheet in sheets:
            for v in sheet.visits:
                if v.status != "planned":
                    continue
                lists.setdefault(sheet.depot.id, []).append(
                    LoadRow(
                        vehicle=sheet.vehicle,
                        vehicle_class=sheet.vehicle_class,
                        sheet=sheet.number,
                        trip=v.trip,
                        bay=v.bay,
                        load_start_h=v.load_start_h,
                        loaded_by_h=v.loaded_by_h,
                        to=v.place,
                        items=v.items,
                        kg=v.kg,
                        litres=v.litres,
                    )
                )
    out: list[LoadingList] = []
    for depot in sorted(lists):
        rows = sorted(
            lists[depot],
            key=lambda r: (r.load_start_h or 0.0, r.bay or 0, r.vehicle, r.trip or 0),
        )
        out.append(LoadingList(f"L-{len(out) + 1:03d}", directory.get(depot), tuple(rows)))
    return out


def _receipts(
    doc: Mapping[str, Any], directory: Directory, sheets: Sequence[DriverSheet]
) -> list[ReceiptList]:
    """Per place that receives goods, its expected arrivals by time."""
    people: dict[str, int] = defaultdict(int)
    for d in doc.get("demands") or []:
        people[str((d.get("demand") or {}).get("point", ""))] += int(d.get("people") or 0)
    arrivals: dict[str, list[Arrival]] = defaultdict(list)
    for sheet in sheets:
        for v in sheet.visits:
            to = v.final or v.place
            arrivals[to.id].append(
                Arrival(
                    arrive_h=v.final_arrive_h if v.final else v.arrive_h,
                    vehicle=sheet.vehicle,
                    sheet=sheet.number,
                    code=v.code,
                    depot=sheet.depot,
                    via=v.place if v.final else None,
                    mode=v.mode,
                    items=v.items,
                    kg=v.kg,
                    litres=v.litres,
                    demands=v.demands,
                    status=v.status,
                )
            )
    out: list[ReceiptList] = []
    for place in sorted(arrivals):
        rows = sorted(arrivals[place], key=lambda a: (a.arrive_h or 0.0, a.vehicle))
        out.append(
            ReceiptList(
                f"R-{len(out) + 1:03d}",
                directory.get(place, _name_of(doc, place)),
                people.get(place),
                tuple(rows),
            )
        )
    return out


def _name_of(doc: Mapping[str, Any], place: str) -> str:
    """A place's name as the plan's stops give it ("" when none does)."""
    for r in doc.get("routes", []):
        for s in r.get("stops", []):
            if s.get("point") == place and s.get("name"):
                return str(s["name"])
    return ""


def build_papers(
    doc: Mapping[str, Any],
    directory: Directory | None = None,
    legs: Any = None,
    *,
    issued: datetime | None = None,
) -> Papers:
    """The papers of plan ``doc``; ``directory`` and ``legs`` add names, distances, maps.

    Raises
    ------
    DataError
        When ``doc`` is not a dispatch plan document.
    """
    check_plan(doc)
    directory = directory or Directory()
    sc = doc.get("scenario") or {}
    prefix = str(sc.get("fingerprint") or "plan")[:8]
    sheets = _sheets(doc, directory, legs, prefix)
    targets = tuple(
        float(t["hours"]) for t in (doc.get("kpis") or {}).get("targets", []) if "hours" in t
    ) or tuple(float(t) for t in (doc.get("request") or {}).get("targets_h") or ())
    return Papers(
        scenario=str(sc.get("name") or ""),
        scenario_zh=str(sc.get("name_zh") or ""),
        area=str(sc.get("area") or ""),
        version=_version(doc),
        issued=issued or datetime.now().astimezone().replace(microsecond=0),
        report=report_time(doc),
        targets_h=targets,
        sheets=tuple(sheets),
        loading=tuple(_loading(doc, directory, sheets)),
        receipts=tuple(_receipts(doc, directory, sheets)),
        directory=directory,
    )
