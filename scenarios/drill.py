"""Double-blind drills (双盲演练): what players know, their dispatch decisions, the score.

A drill plays a scenario whose injects are hidden from the players. A controller releases
them one by one (by hand or on a clock); the hour an inject is released is the hour it
happens in the drill. Players (duty officers) see the scenario without its injects plus
the injects released so far, and submit **decisions**: trips, each a vehicle and its stops
in order (a place and the items unloaded there). This module is pure domain: the service
(``service/api/routes_drills.py``) stores drills and their event log.

**Playing the players' trips** (:class:`DrillBook`) uses the loading rule of the optimiser's
plans (:mod:`solver.loading`): each depot's loading list is the trips in the order the
decisions ordered them; a truckload is loaded onto its truck at one bay (dock time plus its
tonnes at the bay's rate), within opening hours, no earlier than the decision, once its truck
is back and a bay is free; the truck leaves when loaded; each leg is
timed on the roads known when it begins (a closure released while a truck is out changes
its later legs and its way home; the leg under way is driven, as in a re-dispatch);
unloading takes the scenario's handover parameters. A stop the roads no longer reach is not
delivered (``unreachable``); a depot lost before a truck leaves takes the load and the
truck (``depot_lost``); a truck that cannot get home is ``stuck`` and does no later trip.
A decision with ``replace_pending`` cancels every trip *of the same player* that has not
left by the hour it is made (a re-plan; other players' trips stand); what the depot had
loaded for them by then stays spent, so the past does not change. Crew shifts and
boats/helicopters are not part of a players' plan.

**Blind** (:func:`player_view`): until a drill ends, what players and viewers read names
the drill, never the script's source: no scenario name, description, sources or notes
(a generated flood's note holds its seed; its name its severity), floods renamed
``flood-1``... (references to them follow).

**Speed**: a book computes travel times once per situation and vehicle class for every
place its trips use (not once per new place), and a book for one more released inject
reuses the situations and travel times of the book before it (:meth:`DrillBook.after`).

**The score** (:func:`score`) compares the players' plan with the optimiser's plan on the
same information (:func:`scenarios.exercise.run_exercise` with the injects at the hours they
were released): people met by each target, lateness in people-hours after each target,
unserved units by reason, and the decisions that cost most: for each demand, its people
times the hours it was met later than in the optimiser's plan, charged to the trip that
delivered its last missing load (or, if never met, to why not).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, ValidationError

from geodata.area import Area
from scenarios.apply import Situation, apply_scenario
from scenarios.check import CheckReport, run_check
from scenarios.dispatch import DispatchRequest
from scenarios.dispatch_build import load_of, road_vehicles, weight_of
from scenarios.dispatch_doc import document, place_names
from scenarios.dispatch_request import Progress, part_of
from scenarios.exercise import run_exercise
from scenarios.model import Affected, Closure, Inject, Scenario, _Strict, problem_zh_of
from scenarios.places import FORBIDDEN, Places, build_places
from scenarios.plan import (
    DemandRef,
    Part,
    Plan,
    Route,
    SolverFigures,
    Stop,
    Unserved,
    UnservedReason,
)
from solver.errors import DataError
from solver.loading import DockTrip, LoadingRule, dock_of, play_dock
from solver.units import seconds_to_hours

#: How many of the costliest decisions a score lists.
TOP = 10


class DrillStop(_Strict):
    """Unload ``items`` (catalogue item -> units) at ``point``."""

    point: str
    items: Annotated[dict[str, Annotated[int, Field(gt=0)]], Field(min_length=1)]


class DrillTrip(_Strict):
    """One truckload: ``vehicle`` leaves its depot loaded and serves ``stops`` in order."""

    vehicle: str
    stops: Annotated[list[DrillStop], Field(min_length=1)]


class Decision(_Strict):
    """What players order at an hour.

    ``replace_pending`` first cancels every trip of the same player not yet left (a re-plan);
    a decision with no trips then only cancels.
    """

    trips: list[DrillTrip] = Field(default_factory=list)
    replace_pending: bool = False
    note: str = ""


def decision_from_dict(data: object) -> Decision:
    """A :class:`Decision` from JSON; errors name the field (``trips[0].stops[1].point``)."""
    try:
        d = Decision.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
        raise DataError(
            err["msg"], field=where.lstrip(".") or "decision", problem_zh=problem_zh_of(err)
        ) from None
    if not d.trips and not d.replace_pending:
        raise DataError(
            "give trips, or replace_pending: true to cancel trips not yet left",
            field="trips",
            problem_zh="须给出车次,或设 replace_pending 以取消未出发车次",
        )
    return d


@dataclass(frozen=True)
class Released:
    """Inject ``index`` of the script, released (and so happening) at drill hour ``at_h``."""

    index: int
    at_h: float


@dataclass(frozen=True)
class Submitted:
    """A decision made at drill hour ``at_h`` by ``player``."""

    at_h: float
    player: str
    decision: Decision


def effective_injects(scenario: Scenario, released: list[Released]) -> list[Inject]:
    """The released injects, in release order, at the hours they were released."""
    order = sorted(released, key=lambda r: (r.at_h, r.index))
    return [scenario.injects[r.index].model_copy(update={"at_h": r.at_h}) for r in order]


def known_scenario(scenario: Scenario, injects: list[Inject]) -> Scenario:
    """``scenario`` with ``injects`` folded in (closures, people, depots lost), no script."""
    return scenario.model_copy(
        update={
            "closures": scenario.closures + [c for i in injects for c in i.closures],
            "affected": scenario.affected + [a for i in injects for a in i.add_people],
            "depots_lost": scenario.depots_lost + [d for i in injects for d in i.depots_lost],
            "injects": [],
        }
    )


def player_view(
    scenario: Scenario, released: list[Released], hour: float, *, name: str | None = None
) -> dict[str, Any]:
    """What players may see: the scenario without its script, and the injects released.

    With ``name`` (the drill's), the view is also blind to where the script came from: the
    scenario is called ``name``, and descriptions, sources, notes and flood names (which
    may hold a generator's seed and severity, or name a public scenario file) are dropped
    (floods become ``flood-1``...; ``in_flood`` references follow).
    """
    injects = effective_injects(scenario, released)
    order = sorted(released, key=lambda r: (r.at_h, r.index))
    sc = scenario.model_copy(update={"injects": []})
    if name is not None:
        sc, injects = blind_scenario(sc, injects, name)
    return {
        "hour": round(hour, 4),
        "scenario": sc.model_dump(mode="json"),
        "released": [
            {"index": r.index, **i.model_dump(mode="json")}
            for r, i in zip(order, injects, strict=True)
        ],
    }


def blind_scenario(
    scenario: Scenario, injects: list[Inject], name: str
) -> tuple[Scenario, list[Inject]]:
    """``scenario`` and ``injects`` with nothing that tells where they came from."""
    renamed = {f.name: f"flood-{k + 1}" for k, f in enumerate(scenario.floods) if f.name}

    def people(a: Affected) -> Affected:
        where = a.in_flood
        if isinstance(where, str):
            where = renamed.get(where, where)
        return a.model_copy(update={"note": "", "in_flood": where})

    def closures(cs: list[Closure]) -> list[Closure]:
        return [c.model_copy(update={"note": ""}) for c in cs]

    sc = scenario.model_copy(
        update={
            "name": name,
            "name_zh": name,
            "description": "",
            "sources": [],
            "floods": [
                f.model_copy(update={"name": f"flood-{k + 1}", "note": ""})
                for k, f in enumerate(scenario.floods)
            ],
            "affected": [people(a) for a in scenario.affected],
            "closures": closures(scenario.closures),
        }
    )
    out = [
        i.model_copy(
            update={
                "closures": closures(i.closures),
                "add_people": [people(a) for a in i.add_people],
            }
        )
        for i in injects
    ]
    return sc, out


def frozen_area(area: Area, snapshot: dict[str, Any]) -> Area:
    """``area`` with the stock and shelter capacities of ``snapshot``.

    The snapshot is taken when a drill is prepared (``{"stock": {depot: {item: units}},
    "capacity": {point: people}}``), so edits to the live registry during a drill change
    nothing in it. Depots added since hold nothing in the drill.
    """
    stock = snapshot.get("stock", {})
    caps = snapshot.get("capacity", {})
    net = area.network
    depots = tuple(dataclasses.replace(d, stock=dict(stock.get(d.id, {}))) for d in net.depots)
    points = tuple(
        dataclasses.replace(p, capacity=int(caps[p.id])) if p.id in caps else p for p in net.points
    )
    return dataclasses.replace(area, network=dataclasses.replace(net, depots=depots, points=points))


def snapshot_of(area: Area) -> dict[str, Any]:
    """The stock and shelter capacities a drill keeps (see :func:`frozen_area`)."""
    return {
        "stock": {d.id: {k: int(v) for k, v in d.stock.items()} for d in area.network.depots},
        "capacity": {p.id: int(p.capacity) for p in area.network.points if p.capacity is not None},
    }


@dataclass
class TripRun:
    """A players' trip as played: when it left and came back, each stop's hours or reason."""

    decision: int
    trip: int
    vehicle: str
    depot: str
    cls: str
    submitted_h: float
    stops: list[DrillStop]
    #: Who ordered it (a re-plan cancels only its own player's trips).
    player: str = ""
    #: The hour a re-plan cancelled it (it had not left), or None.
    cancelled_h: float | None = None
    loaded_by_h: float | None = None
    leave_h: float | None = None
    back_h: float | None = None
    #: stop index -> (leave the previous place, arrive, depart) hours, or the reason it was
    #: not delivered
    visits: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


class DrillBook:
    """A drill's situations (one per inject released) and the players' trips played on them."""

    def __init__(
        self,
        area: Area,
        scenario: Scenario,
        released: list[Released],
        request: DispatchRequest | None = None,
        *,
        folder: Any = None,
        before: DrillBook | None = None,
    ) -> None:
        self.area, self.scenario = area, scenario
        self.request = request or DispatchRequest()
        self._folder = folder
        self.injects = effective_injects(scenario, released)
        kw = {"folder": folder} if folder is not None else {}
        # Situations (and their travel times) the book before this one already has: the
        # same area and scenario, the same injects first.
        self._places: dict[tuple[int, str], tuple[Places, dict[str, int]]] = {}
        self._want: set[str] = set()
        if before is not None and before.scenario == scenario and before.area is area:
            n = 1
            while (
                n <= min(len(before.injects), len(self.injects))
                and before.injects[n - 1] == self.injects[n - 1]
            ):
                n += 1
            self.epochs: list[tuple[float, Situation]] = before.epochs[:n]
            self._places = {k: v for k, v in before._places.items() if k[0] < n}
            self._want = set(before._want)
        else:
            self.epochs = [(0.0, apply_scenario(area, known_scenario(scenario, []), **kw))]
        for k in range(len(self.epochs) - 1, len(self.injects)):
            sc = known_scenario(scenario, self.injects[: k + 1])
            self.epochs.append((self.injects[k].at_h, apply_scenario(area, sc, **kw)))
        # Places where people wait are where trips go: their travel times come in one build.
        self._want.update(p.location for _, sit in self.epochs for p in sit.placements)
        self._lock = threading.Lock()
        self.lost_h = {d: inj.at_h for inj in self.injects for d in inj.depots_lost}
        self.vehicles = {v.id: v for v in road_vehicles(self.epochs[0][1])}
        # Every road vehicle of the area (and the scenario's additions), to say why one
        # that players may not use is refused.
        first = self.epochs[0][1]
        everyone: dict[str, dict[str, int]] = {}
        for f in area.network.fleet:
            per = everyone.setdefault(f.depot_id, {})
            per[f.vehicle_class] = per.get(f.vehicle_class, 0) + f.count
        for add in scenario.fleet.added:
            per = everyone.setdefault(add.depot, {})
            per[add.vehicle_class] = per.get(add.vehicle_class, 0) + add.count
        whole = dataclasses.replace(first, network=area.network, fleet=everyone)
        self.all_vehicles = {v.id: v for v in road_vehicles(whole)}

    def after(self, released: list[Released]) -> DrillBook:
        """The book once ``released`` are out, reusing this one's situations and travel times."""
        return DrillBook(
            self.area, self.scenario, released, self.request, folder=self._folder, before=self
        )

    @property
    def final(self) -> Situation:
        """The situation once every released inject has happened."""
        return self.epochs[-1][1]

    def epoch_at(self, hour: float) -> int:
        """Index of the situation in force at ``hour``."""
        return max(k for k, (h, _) in enumerate(self.epochs) if h <= hour + 1e-9)

    # -- checking a decision -----------------------------------------------------------------

    def check(
        self, decision: Decision, at_h: float, before: list[Submitted], player: str = ""
    ) -> list[TripRun]:
        """Refuse a decision that breaks the rules players must keep; return what it cancels.

        A vehicle that is unknown, not in this drill's fleet or lost with its depot, an
        unknown place or item, a truck overloaded, or more than a depot holds (after the
        trips already ordered and not cancelled) is refused; errors name the field. With
        ``replace_pending``, the trips of ``player`` not yet left at ``at_h`` are cancelled:
        they are returned (a re-plan frees their stock before its own trips take any).
        """
        now = self.epochs[self.epoch_at(at_h)][1]
        net = now.network
        depots = {d.id: d for d in net.depots}
        points = {p.id for p in net.points}
        # Everything that needs no playing first: a typo is refused at once.
        totals: list[tuple[str, str, dict[str, int]]] = []
        for k, trip in enumerate(decision.trips):
            here = f"trips[{k}]"
            v = self._usable_vehicle(trip.vehicle, at_h, depots, f"{here}.vehicle")
            total: dict[str, int] = {}
            for j, stop in enumerate(trip.stops):
                if stop.point not in points:
                    raise DataError(
                        f"unknown place {stop.point!r}",
                        field=f"{here}.stops[{j}].point",
                        problem_zh=f"未知地点 {stop.point!r}",
                    )
                for item, q in stop.items.items():
                    if item not in net.catalogue:
                        raise DataError(
                            f"unknown item {item!r}",
                            field=f"{here}.stops[{j}].items.{item}",
                            problem_zh=f"未知物资 {item!r}",
                        )
                    total[item] = total.get(item, 0) + q
            kg, litres = load_of(now, total)
            vc = net.vehicle_class(v.cls)
            if kg > vc.payload_kg or litres > vc.volume_m3 * 1000:
                raise DataError(
                    f"{kg:,} kg / {litres / 1000:.1f} m³ exceeds {trip.vehicle}'s "
                    f"{vc.payload_kg:,.0f} kg / {vc.volume_m3:g} m³",
                    field=f"{here}.stops",
                    problem_zh=f"超出车辆 {trip.vehicle} 的载重或容积",
                )
            totals.append((here, v.depot, total))
        # The places this decision names join the travel times computed for the book.
        with self._lock:
            self._want.update(s.point for t in decision.trips for s in t.stops)
            self._want.update(self.vehicles[t.vehicle].depot for t in decision.trips)
        runs = self.play(before)
        cancelled: list[TripRun] = []
        if decision.replace_pending:
            cancel = Submitted(at_h, player, Decision(replace_pending=True))
            was = {(r.decision, r.trip) for r in runs if r.cancelled_h is not None}
            runs = self.play([*before, cancel])
            cancelled = [
                r for r in runs if r.cancelled_h is not None and (r.decision, r.trip) not in was
            ]
        used = self._stock_used(runs)
        mine: dict[tuple[str, str], int] = {}
        for here, depot, total in totals:
            for item, q in total.items():
                key = (depot, item)
                mine[key] = mine.get(key, 0) + q
                have = int(depots[depot].stock.get(item, 0))
                if used.get(key, 0) + mine[key] > have:
                    raise DataError(
                        f"depot {depot} holds {have:,} {item}; {used.get(key, 0):,} are "
                        f"ordered already",
                        field=f"{here}.stops",
                        problem_zh=f"储备库 {depot} 的 {item} 库存不足"
                        f"(共 {have:,},已订 {used.get(key, 0):,})",
                    )
        return cancelled

    def _usable_vehicle(self, vid: str, at_h: float, depots: dict[str, Any], where: str) -> Any:
        """The road vehicle ``vid`` if players may order it at ``at_h``; else why not."""
        v = self.vehicles.get(vid)
        known = self.all_vehicles.get(vid)
        if v is None and known is not None and known.depot in self.scenario.depots_lost:
            raise DataError(
                f"vehicle {vid!r} was lost with depot {known.depot!r} at hour 0",
                field=where,
                problem_zh=f"车辆 {vid} 已随储备库 {known.depot} 于第 0 小时损毁",
            )
        if v is None and known is not None:
            raise DataError(
                f"vehicle {vid!r} is not in this drill's fleet",
                field=where,
                problem_zh=f"车辆 {vid} 不在本次演练的车队中",
            )
        if v is None:
            raise DataError(f"unknown vehicle {vid!r}", field=where, problem_zh=f"未知车辆 {vid!r}")
        lost = self.lost_h.get(v.depot)
        if v.depot not in depots or (lost is not None and lost <= at_h + 1e-9):
            when = f" at hour {lost:g}" if lost is not None else ""
            raise DataError(
                f"vehicle {vid!r} was lost with depot {v.depot!r}{when}",
                field=where,
                problem_zh=f"车辆 {vid} 已随储备库 {v.depot} 损毁"
                + (f"(第 {lost:g} 小时)" if lost is not None else ""),
            )
        return v

    def stock_used(self, runs: list[TripRun]) -> dict[tuple[str, str], int]:
        """Units ``runs`` take from each depot, by (depot, item), as :meth:`check` counts them."""
        return self._stock_used(runs)

    def _stock_used(self, runs: list[TripRun]) -> dict[tuple[str, str], int]:
        """Units taken from each depot: delivered (or to be), or lost with their depot.

        Cancelled trips, trips a stuck truck never drove and loads that could not reach
        their place (brought back) leave their goods in the depot.
        """
        used: dict[tuple[str, str], int] = {}
        for r in runs:
            if r.cancelled_h is not None:
                continue
            for k, s in enumerate(r.stops):
                if k not in r.visits and r.failed.get(k) != "depot_lost":
                    continue
                for item, q in s.items.items():
                    used[r.depot, item] = used.get((r.depot, item), 0) + q
        return used

    # -- playing the trips -------------------------------------------------------------------

    def play(self, submitted: list[Submitted]) -> list[TripRun]:
        """Every trip ordered, played in order (see the module docstring)."""
        with self._lock:
            for sub in submitted:
                for trip in sub.decision.trips:
                    self._want.add(self.vehicles[trip.vehicle].depot)
                    self._want.update(s.point for s in trip.stops)
        runs: list[TripRun] = []
        for k, sub in enumerate(submitted):
            if sub.decision.replace_pending:
                self._run(runs)
                for r in runs:
                    if (
                        r.player == sub.player
                        and r.cancelled_h is None
                        and (r.leave_h is None or r.leave_h > sub.at_h)
                    ):
                        r.cancelled_h = sub.at_h
            for j, trip in enumerate(sub.decision.trips):
                v = self.vehicles[trip.vehicle]
                runs.append(
                    TripRun(k, j, v.id, v.depot, v.cls, sub.at_h, list(trip.stops), sub.player)
                )
        self._run(runs)
        return runs

    def _seconds(self, epoch: int, cls: str, ids: list[str], a: str, b: str) -> int:
        """Seconds from ``a`` to ``b`` for ``cls`` on epoch ``epoch``'s roads (cached).

        Built once for every place the book's trips use (``_want``), not once per new place:
        each build searches from every place, so growing it one place at a time costs
        hundreds of builds over a drill.
        """
        got = self._places.get((epoch, cls))
        if got is None or any(i not in got[1] for i in ids):
            with self._lock:  # concurrent decisions share the book
                got = self._places.get((epoch, cls))
                if got is None or any(i not in got[1] for i in ids):
                    want = sorted(set(ids) | self._want | set(got[1] if got else ()))
                    places = build_places(self.epochs[epoch][1], want, [cls])
                    got = (places, {p: k for k, p in enumerate(places.ids)})
                    self._places[epoch, cls] = got
        return int(got[0].durations[0][got[1][a], got[1][b]])

    def _run(self, runs: list[TripRun]) -> None:
        """Play ``runs`` by the loading rule (:func:`solver.loading.play_dock`), per depot.

        Each depot's loading list is its trips in the order they were ordered; a trip
        starts loading no earlier than the decision that ordered it.
        """
        first = self.epochs[0][1]
        rule = LoadingRule.of(first.params)
        unload_h = first.params.unload_h
        depots = {d.id: d for d in first.network.depots}
        out_of_service: dict[str, str] = {}
        per_depot: dict[str, list[TripRun]] = {}
        for r in runs:
            r.loaded_by_h = r.leave_h = r.back_h = None
            r.visits, r.failed = {}, {}
            per_depot.setdefault(r.depot, []).append(r)
        for depot_id, mine in per_depot.items():
            dock = dock_of(
                depots[depot_id], first.response_start_h, first.scenario.report_clock_h, rule
            )
            lost_h = self.lost_h.get(depot_id, math.inf)
            free = {r.vehicle: dock.start_h for r in mine}

            def drive(
                k: int, depart: float, mine: list[TripRun] = mine, lost_h: float = lost_h
            ) -> float | None:
                r = mine[k]
                if depart >= lost_h:  # the depot flooded before it left: load and truck lost
                    r.failed = dict.fromkeys(range(len(r.stops)), "depot_lost")
                    out_of_service[r.vehicle] = "depot_lost"
                    return None
                r.leave_h = depart
                ids = [r.depot] + [s.point for s in r.stops]
                t, at = depart, r.depot
                for n, s in enumerate(r.stops):
                    # Each leg on the roads known when it begins: a closure released while
                    # the truck is out changes its later legs, as in a re-dispatch.
                    sec = self._seconds(self.epoch_at(t), r.cls, ids, at, s.point)
                    if sec >= FORBIDDEN:
                        r.failed[n] = "unreachable"
                        continue
                    arrive = t + seconds_to_hours(sec)
                    r.visits[n] = (t, arrive, arrive + unload_h)
                    t, at = arrive + unload_h, s.point
                sec = self._seconds(self.epoch_at(t), r.cls, ids, at, r.depot)
                if sec >= FORBIDDEN:
                    out_of_service[r.vehicle] = "vehicle_stuck"
                    return None
                r.back_h = t + seconds_to_hours(sec)
                if lost_h <= r.back_h:
                    out_of_service[r.vehicle] = "depot_lost"
                    return None
                return r.back_h

            trips = [
                DockTrip(
                    r.vehicle,
                    weight_of(first, {i: q for s in r.stops for i, q in s.items.items()})[0]
                    / 1000.0,
                    r.submitted_h,
                    cancel_h=r.cancelled_h,
                )
                for r in mine
            ]
            slots = play_dock(dock, trips, free, drive)
            for r, slot in zip(mine, slots, strict=True):
                if r.cancelled_h is not None:
                    continue
                if slot is None:
                    if not r.failed:
                        why = out_of_service.get(r.vehicle, "not_loaded")
                        r.failed = dict.fromkeys(range(len(r.stops)), why)
                    continue
                r.loaded_by_h = slot.loaded_h

    # -- the players' plan as a plan document ---------------------------------------------------

    def plan_of(self, runs: list[TripRun], report: CheckReport) -> Plan:
        """The played trips as a plan on the final situation (KPIs included).

        A stop's goods go to the demands at its place in order (people in the shelter, then
        any overflow left in place); what a demand still lacks is unserved with the reason
        its last failed stop gives, else ``not_dispatched``.
        """
        final = self.final
        names = place_names(final)
        at_point: dict[str, list[DemandRef]] = {}
        for d in report.problem.demands:
            at_point.setdefault(d.place, []).append(DemandRef.of(d))
        left = {
            (DemandRef.of(d), i): round(q)
            for d in report.problem.demands
            for i, q in d.need.items()
        }
        delivered = sorted(
            ((r, k) for r in runs for k in r.visits), key=lambda rk: rk[0].visits[rk[1]][1]
        )
        by_vehicle: dict[str, list[Stop]] = {}
        for r, k in delivered:
            stop = r.stops[k]
            leave, arrive, depart = r.visits[k]
            parts: dict[DemandRef, dict[str, int]] = {}
            demands = at_point.get(stop.point, [])
            for item, q in stop.items.items():
                for ref in demands:
                    take = min(q, left.get((ref, item), 0))
                    if take > 0:
                        parts.setdefault(ref, {})[item] = take
                        left[ref, item] -= take
                        q -= take
                if q > 0:  # more than needed: counted at the first demand (or the place)
                    key = demands[0] if demands else DemandRef(point=stop.point)
                    got = parts.setdefault(key, {})
                    got[item] = got.get(item, 0) + q
            assert r.leave_h is not None
            for ref, items in parts.items():
                by_vehicle.setdefault(r.vehicle, []).append(
                    Stop(
                        point=stop.point,
                        name=names.get(stop.point, ""),
                        parts=(Part(demand=ref, items=items),),
                        depot=r.depot,
                        trip=0,
                        leave_h=round(leave, 3),
                        arrive_h=round(arrive, 3),
                        depart_h=round(depart, 3),
                        items=items,
                        loaded_by_h=round(r.loaded_by_h or 0.0, 3),
                        decision=r.decision,
                        decision_trip=r.trip,
                    )
                )
        routes = []
        for vid, stops in sorted(by_vehicle.items()):
            v = self.vehicles[vid]
            trips = sorted({(s.decision or 0, s.decision_trip or 0) for s in stops})
            numbered = [
                s.model_copy(
                    update={"trip": trips.index((s.decision or 0, s.decision_trip or 0)) + 1}
                )
                for s in stops
            ]
            mine = [r for r in runs if r.vehicle == vid and r.leave_h is not None]
            routes.append(
                Route(
                    vehicle=vid,
                    vehicle_class=v.cls,
                    depot=v.depot,
                    start=v.depot,
                    start_h=round(min(r.leave_h or 0.0 for r in mine), 3),
                    shift_end_h=None,
                    end_h=round(max(r.back_h or r.leave_h or 0.0 for r in mine), 3),
                    drive_h=round(
                        sum((r.back_h or r.leave_h or 0.0) - (r.leave_h or 0.0) for r in mine), 3
                    ),
                    stops=tuple(sorted(numbered, key=lambda s: s.arrive_h)),
                )
            )
        why: dict[tuple[DemandRef, str], UnservedReason] = {}
        for r in runs:
            for k, reason in r.failed.items():
                for item in r.stops[k].items:
                    for ref in at_point.get(r.stops[k].point, []):
                        why[ref, item] = UnservedReason(reason)
        unserved = [
            Unserved(
                point=ref.point,
                demand=ref,
                item=item,
                quantity=q,
                reason=why.get((ref, item), UnservedReason.NOT_DISPATCHED),
            )
            for (ref, item), q in sorted(left.items(), key=lambda kv: _ref_item(kv[0]))
            if q > 0
        ]
        return document(
            final,
            self.request,
            routes=routes,
            transfers=[],
            committed=[],
            unserved=unserved,
            report=report,
            solver=SolverFigures(engine="players", status="played"),
            seconds=0.0,
        )


def _ref_item(key: tuple[DemandRef, str]) -> tuple[str, bool, str]:
    ref, item = key
    return ref.point, ref.overflow, item


# ------------------------------------------------------------------------------------------
# Score
# ------------------------------------------------------------------------------------------


def met_hours(plan: Plan, report: CheckReport) -> dict[DemandRef, tuple[float | None, Any]]:
    """Per demand: when it is met (every item's need handed out) and the stop that decided it.

    ``None`` if it never is. The deciding stop is the one whose load completed the last item.
    """
    arrivals: dict[tuple[DemandRef, str], list[tuple[float, int, Stop]]] = {}
    for s in plan.stops():
        for ref, a in s.arrivals():
            arrivals.setdefault((ref, a.item), []).append((a.at_h, int(a.quantity), s))
    out: dict[DemandRef, tuple[float | None, Any]] = {}
    for d in report.problem.demands:
        if d.people == 0:
            continue
        when: float | None = d.ready_h + d.handover_h
        decided = None
        for item, need in d.need.items():
            if need <= 0 or when is None:
                continue
            got, hit = 0, None
            for eta, q, s in sorted(arrivals.get((DemandRef.of(d), item), []), key=lambda a: a[0]):
                got += q
                if got >= round(need):
                    hit = (eta + d.handover_h, s)
                    break
            if hit is None:
                when = None
            elif hit[0] >= when:
                when, decided = hit
        out[DemandRef.of(d)] = (when, decided)
    return out


def _lateness(
    met: dict[DemandRef, tuple[float | None, Any]],
    people: dict[DemandRef, int],
    targets: list[float],
    h: float,
) -> list[dict[str, Any]]:
    out = []
    for t in targets:
        hours = {
            dem: max(0.0, (h if when is None else min(when, h)) - t)
            for dem, (when, _) in met.items()
        }
        out.append(
            {
                "hours": t,
                "people_hours_late": round(sum(people[d] * x for d, x in hours.items()), 1),
                "demands_late": sum(1 for x in hours.values() if x > 0),
            }
        )
    return out


def score(player: Plan, optimiser: Plan, report: CheckReport, horizon_h: float) -> dict[str, Any]:
    """Players' plan against the optimiser's on the same information (module docstring)."""
    targets = [t.hours for t in player.kpis.targets]
    people = {DemandRef.of(d): d.people for d in report.problem.demands if d.people > 0}
    p_met, o_met = met_hours(player, report), met_hours(optimiser, report)
    why_not = {u.demand: u.reason.value for u in player.unserved}
    charged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for dem, n in people.items():
        p, stop = p_met[dem]
        o, _ = o_met[dem]
        p_h = horizon_h if p is None else min(p, horizon_h)
        o_h = horizon_h if o is None else min(o, horizon_h)
        cost = n * (p_h - o_h)
        if cost <= 0:
            continue
        if stop is not None and p is not None:
            key: tuple[Any, ...] = ("trip", stop.decision, stop.decision_trip)
            base = {
                "kind": "late_trip",
                "decision": stop.decision,
                "trip": stop.decision_trip,
                "vehicle": next(
                    r.vehicle for r in player.routes if any(s is stop for s in r.stops)
                ),
            }
        else:
            reason = why_not.get(dem, "not_dispatched")
            key = ("missing", dem.point, dem.overflow)
            base = {"kind": "not_met", "reason": reason}
        got = charged.setdefault(key, {**base, "people_hours": 0.0, "demands": []})
        got["people_hours"] += cost
        got["demands"].append(
            {
                "demand": dem.model_dump(mode="json"),
                "people": n,
                "player_met_h": None if p is None else round(p, 3),
                "optimiser_met_h": None if o is None else round(o, 3),
            }
        )
    costliest = sorted(charged.values(), key=lambda c: -c["people_hours"])[:TOP]
    for c in costliest:
        c["people_hours"] = round(c["people_hours"], 1)

    def side(plan: Plan, met: dict[DemandRef, tuple[float | None, Any]]) -> dict[str, Any]:
        return {
            "targets": [t.model_dump(mode="json") for t in plan.kpis.targets],
            "lateness": _lateness(met, people, targets, horizon_h),
            "unserved_units_by_reason": dict(plan.kpis.unserved_units_by_reason),
            "unserved_units": plan.kpis.unserved_units,
        }

    return {
        "kind": "drill_score",
        "version": 1,
        "targets_h": targets,
        "horizon_h": horizon_h,
        "players": side(player, p_met),
        "optimiser": side(optimiser, o_met),
        "costliest_decisions": costliest,
    }


def score_drill(
    area: Area,
    scenario: Scenario,
    released: list[Released],
    submitted: list[Submitted],
    request: DispatchRequest | None = None,
    *,
    folder: Any = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Play the players' decisions, plan the optimiser's, and score one against the other.

    ``progress`` gets (stage, fraction): the players' trips, the check, then the optimiser's
    plan at the start and at each inject.
    """
    say = progress or (lambda stage, frac: None)
    req = request or DispatchRequest()
    say("players", 0.0)
    book = DrillBook(area, scenario, released, req, folder=folder)
    runs = book.play(submitted)
    say("check", 0.1)
    report = run_check(book.final)
    player = book.plan_of(runs, report)
    played = scenario.model_copy(update={"injects": book.injects})
    kw = {"folder": folder} if folder is not None else {}
    optimiser = (
        run_exercise(area, played, request=req, progress=part_of(say, 0.3, 0.95, "optimiser"), **kw)
        .steps[-1]
        .plan
    )
    say("score", 0.95)
    out = score(player, optimiser, report, scenario.horizon_h)
    out["trips"] = [
        {
            "decision": r.decision,
            "trip": r.trip,
            "vehicle": r.vehicle,
            "submitted_h": r.submitted_h,
            "cancelled_h": r.cancelled_h,
            "loaded_by_h": None if r.loaded_by_h is None else round(r.loaded_by_h, 3),
            "leave_h": None if r.leave_h is None else round(r.leave_h, 3),
            "back_h": None if r.back_h is None else round(r.back_h, 3),
            "failed": {str(k): v for k, v in r.failed.items()},
        }
        for r in runs
    ]
    out["player_plan"] = player.to_json()
    out["optimiser_plan"] = optimiser.to_json()
    return out
