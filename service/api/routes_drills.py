"""Routes for double-blind drills (双盲演练).

A controller (planner or exercise designer) prepares a drill from a scenario with injects,
starts it, releases injects (by hand, or they release themselves on the drill clock), ends
it and asks for a score (a job: the players' plan against the optimiser's). Players (duty
officers) see only the scenario and the injects released, and submit dispatch decisions.
Every step is an event in the drill's log, which the debrief replays (players may read it
once the drill has ended). The domain rules live in :mod:`scenarios.drill`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scenarios.apply import check_injects
from scenarios.drill import (
    Decision,
    DrillBook,
    Released,
    Submitted,
    blind_scenario,
    decision_from_dict,
    frozen_area,
    player_view,
    snapshot_of,
)
from scenarios.generate import generate_scenario
from scenarios.model import LIBRARY, Inject, Scenario, scenario_from_dict
from service.api.auth import DRILL_CONTROLLERS, Role
from service.api.context import check_time_limit, checked_scenario, stored_or_given
from service.api.db import Drill, DrillEvent, now
from service.api.deps import (
    Caller,
    CurrentUser,
    DrillController,
    DrillPlayer,
    RunnerDep,
    Services,
    ServicesDep,
    SessionDep,
    SettingsDep,
)
from service.api.errors import (
    AllReleasedError,
    BlindReleasesNextError,
    ClockRunsError,
    ClockSetsHourError,
    DrillBusyError,
    DrillChangedError,
    DrillNotStartedError,
    DrillStateError,
    InjectReleasedError,
    NoSuchInjectError,
    NothingToScriptError,
    OpensWhenEndedError,
    TimeRunsForwardError,
    UnknownDrillError,
)
from service.api.registry import area_spec, extra_areas
from service.api.routes_jobs import job_out
from service.api.schemas import (
    AdvanceIn,
    CancelledTrip,
    DecisionOut,
    DrillEventOut,
    DrillIn,
    DrillOut,
    JobOut,
    ReleaseIn,
    ScoreIn,
)
from solver.units import seconds_to_hours

#: Drill books (situations per inject released) kept for checking decisions quickly.
_BOOKS: OrderedDict[tuple[str, tuple[tuple[int, float], ...]], Future[DrillBook]] = OrderedDict()
_BOOKS_LOCK = threading.Lock()


router = APIRouter(tags=["drills"])


@router.post("/drills", status_code=201)
def create(body: DrillIn, tok: DrillController, s: SessionDep, services: ServicesDep) -> DrillOut:
    """Prepare a drill from a scenario with injects (its script)."""
    area_spec(body.area, extra_areas(s, services.settings.areas))  # an unknown area fails now
    blind = body.blind
    if body.generate is not None:
        g = body.generate
        seed = g.seed if g.seed is not None else secrets.randbelow(2**31)
        raw: Any = generate_scenario(
            services.known_area(s, body.area), seed, g.severity, injects=g.injects
        )
        if not raw.get("injects"):
            raise NothingToScriptError()
        blind = True  # nobody has seen this script
    else:
        raw = stored_or_given(s, body.scenario)
    sc = checked_scenario(raw, body.area, need_injects=True, what="drill")
    area = services.known_area(s, body.area)
    check_injects(area, sc)
    snapshot = snapshot_of(area)
    drill_id = str(uuid.uuid4())
    d = Drill(
        id=drill_id,
        area=body.area,
        # Never the scenario's name: players must not learn where the script is kept.
        name=body.name or f"drill-{drill_id[:8]}",
        scenario=json.dumps(sc.model_dump(mode="json"), ensure_ascii=False),
        mode=body.clock.mode,
        speed=body.clock.speed,
        blind=blind,
        status="ready",
        hour=0.0,
        released="[]",
        snapshot=json.dumps(snapshot),
        version=1,
        token=tok.name,
    )
    # The scenario itself must apply to the area too (its roads, places, depots); the
    # book is kept for the players' first decisions.
    _book(d, area)
    s.add(d)
    _log(s, d, tok, "created", {"injects": len(sc.injects), "blind": blind})
    s.commit()
    return _out(d, tok)


@router.get("/drills")
def drills(tok: CurrentUser, s: SessionDep) -> list[DrillOut]:
    """Every drill, newest first, as the caller may see it."""
    rows = s.scalars(select(Drill).order_by(Drill.created_at.desc())).all()
    return [_out(_tick(s, d), tok) for d in rows]


@router.get("/drills/{drill_id}")
def drill(drill_id: str, tok: CurrentUser, s: SessionDep) -> DrillOut:
    """The drill as the caller may see it: players see released injects only."""
    return _out(_tick(s, _drill(s, drill_id)), tok)


@router.post("/drills/{drill_id}/start")
def start(drill_id: str, tok: DrillController, s: SessionDep) -> DrillOut:
    """Start the drill clock (hour 0 = the disaster report)."""
    d = _drill(s, drill_id)
    _must_be(d, "ready")
    _change(s, d, status="running", started_at=now())
    _log(s, d, tok, "started", {"mode": d.mode, "speed": d.speed})
    s.commit()
    return _out(d, tok)


@router.post("/drills/{drill_id}/release")
def release(
    drill_id: str, body: ReleaseIn, tok: DrillController, s: SessionDep, services: ServicesDep
) -> DrillOut:
    """Release an inject now (the next one, or ``index``)."""
    d = _tick(s, _drill(s, drill_id))
    _must_be(d, "running")
    script = _scenario(d).injects
    done = {r.index for r in _released(d)}
    if body.index is not None:
        if d.blind:
            raise BlindReleasesNextError()
        if body.index >= len(script):
            raise NoSuchInjectError(count=len(script))
        if body.index in done:
            raise InjectReleasedError(index=body.index)
        k = body.index
    else:
        left = [k for k in range(len(script)) if k not in done]
        if not left:
            raise AllReleasedError()
        k = left[0]
    hour = drill_hour(d)
    if d.mode == "clock":
        if body.at_h is not None:
            raise ClockSetsHourError()
        at = hour
    else:
        at = body.at_h if body.at_h is not None else max(hour, script[k].at_h)
        if at < hour - 1e-9:
            raise TimeRunsForwardError(hour=hour, field="at_h")
    rel = [*json.loads(d.released), [k, at]]
    _change(s, d, released=json.dumps(rel), hour=max(d.hour, at))
    _log(s, d, tok, "released", _inject_body(script, k, at), hour=at)
    s.commit()
    _warm(d, services.known_area(s, d.area), submitted(s, d.id))
    return _out(d, tok)


@router.post("/drills/{drill_id}/advance")
def advance(drill_id: str, body: AdvanceIn, tok: DrillController, s: SessionDep) -> DrillOut:
    """Move a manual drill's clock forward."""
    d = _drill(s, drill_id)
    _must_be(d, "running")
    if d.mode != "manual":
        raise ClockRunsError()
    if body.to_h < d.hour - 1e-9:
        raise TimeRunsForwardError(hour=d.hour, field="to_h")
    _change(s, d, hour=body.to_h)
    _log(s, d, tok, "advanced", {"to_h": body.to_h}, hour=body.to_h)
    s.commit()
    return _out(d, tok)


@router.post("/drills/{drill_id}/decisions", status_code=201)
def decide(
    drill_id: str, body: Decision, tok: DrillPlayer, s: SessionDep, services: ServicesDep
) -> DecisionOut:
    """Order trips at the current drill hour (checked against what the players know).

    The stock is the drill's own (as when it was prepared); a decision made while the
    drill changed (another decision, a release) is refused with 409: send it again.
    """
    d = _tick(s, _drill(s, drill_id))
    _must_be(d, "running")
    decision = decision_from_dict(body.model_dump(mode="json"))
    hour = drill_hour(d)
    book = _book(d, services.known_area(s, d.area))
    before = submitted(s, d.id)
    cancelled = book.check(decision, hour, before, tok.name)
    # Claim the drill: a decision, release or end made meanwhile makes this one 409
    # (so two decisions cannot both take the last of a depot's stock).
    _change(s, d)
    ev = _log(
        s,
        d,
        tok,
        "decision",
        {
            "decision": decision.model_dump(mode="json"),
            "player": tok.name,
            "cancelled": [[r.decision, r.trip] for r in cancelled],
        },
        hour=hour,
    )
    del ev
    s.commit()
    index = len(before)
    return DecisionOut(
        index=index,
        hour=round(hour, 4),
        trips=len(decision.trips),
        cancelled=[
            CancelledTrip(decision=r.decision, trip=r.trip, vehicle=r.vehicle) for r in cancelled
        ],
    )


@router.post("/drills/{drill_id}/end")
def end(drill_id: str, tok: DrillController, s: SessionDep) -> DrillOut:
    """End the drill: no more releases or decisions; the log opens to players."""
    d = _tick(s, _drill(s, drill_id))
    _must_be(d, "running")
    hour = drill_hour(d)
    _change(s, d, status="ended", ended_h=hour, hour=hour)
    _log(s, d, tok, "ended", {}, hour=hour)
    s.commit()
    return _out(d, tok)


@router.post("/drills/{drill_id}/score", status_code=202)
def score(
    drill_id: str,
    body: ScoreIn,
    tok: DrillController,
    s: SessionDep,
    cfg: SettingsDep,
    runner: RunnerDep,
) -> JobOut:
    """Score the players against the optimiser (a job; poll ``GET /jobs/{id}``)."""
    d = _tick(s, _drill(s, drill_id))
    if d.status == "ready":
        raise DrillNotStartedError()
    check_time_limit(cfg, body.time_limit_s, "time_limit_s")
    request = {
        "area": d.area,
        "drill": d.id,
        "scenario": json.loads(d.scenario),
        "released": json.loads(d.released),
        "snapshot": json.loads(d.snapshot),
        "submitted": [
            {"at_h": x.at_h, "player": x.player, "decision": x.decision.model_dump(mode="json")}
            for x in submitted(s, d.id)
        ],
        "options": body.model_dump(exclude_none=True),
    }
    job = runner.submit("drill_score", request, tok.name, role=tok.role)
    _log(s, d, tok, "scored", {"job": job.id}, hour=drill_hour(d))
    s.commit()
    return job_out(job)


@router.get("/drills/{drill_id}/events")
def events(drill_id: str, tok: CurrentUser, s: SessionDep) -> list[DrillEventOut]:
    """The drill's log in order, for the debrief (players: once the drill has ended)."""
    d = _tick(s, _drill(s, drill_id))
    if Role(tok.role) not in DRILL_CONTROLLERS and d.status != "ended":
        raise OpensWhenEndedError(what="the log", what_zh="记录")
    sc = _scenario(d) if d.blind and d.status != "ended" else None
    out = []
    for e in _events(s, d.id):
        body = json.loads(e.body)
        if sc is not None and e.kind == "released":
            # A blind controller's log tells no more than the players' view.
            _, (inj,) = blind_scenario(sc, [Inject.model_validate(body["inject"])], d.name)
            body["inject"] = inj.model_dump(mode="json")
        out.append(
            DrillEventOut(
                id=e.id,
                at=e.at,
                hour=e.hour,
                token=e.token,
                role=e.role,
                kind=e.kind,
                body=body,
            )
        )
    return out


def warm_drills(services: Services) -> None:
    """Build the books of running drills in the background, so no player waits for them.

    Called at start-up; the server answers meanwhile.
    """

    def work() -> None:
        try:
            with services.sessions() as s:
                for d in s.scalars(select(Drill).where(Drill.status == "running")).all():
                    _warm(d, services.known_area(s, d.area), submitted(s, d.id))
        except Exception:  # a decision builds its book anyway
            return

    threading.Thread(target=work, name="drill-books", daemon=True).start()


# ------------------------------------------------------------------------------------------


def _drill(s: Session, drill_id: str) -> Drill:
    d = s.get(Drill, drill_id)
    if d is None:
        raise UnknownDrillError(drill_id=drill_id)
    return d


def _must_be(d: Drill, status: str) -> None:
    if d.status != status:
        raise DrillStateError(status=d.status, wanted=status)


def _scenario(d: Drill) -> Scenario:
    return scenario_from_dict(json.loads(d.scenario), source="drill")


def _released(d: Drill) -> list[Released]:
    return [Released(int(k), float(h)) for k, h in json.loads(d.released)]


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)  # SQLite drops the zone (UTC)


def drill_hour(d: Drill) -> float:
    """The drill hour now: set by hand, or from the clock since the start."""
    if d.status == "ended":
        return float(d.ended_h or d.hour)
    if d.mode == "clock" and d.status == "running" and d.started_at is not None:
        real = seconds_to_hours((now() - _utc(d.started_at)).total_seconds())
        return max(d.hour, real * d.speed)
    return float(d.hour)


def _tick(s: Session, d: Drill) -> Drill:
    """Release the injects whose hour has come on a running drill's clock.

    Each is logged at the moment it was due, so the log does not depend on when someone looked.
    """
    if d.mode != "clock" or d.status != "running" or d.started_at is None:
        return d
    script = _scenario(d).injects
    for _ in range(5):
        done = {r.index for r in _released(d)}
        hour = drill_hour(d)
        due = [k for k, inj in enumerate(script) if k not in done and inj.at_h <= hour]
        if not due:
            return d
        rel = json.loads(d.released) + [[k, script[k].at_h] for k in due]
        try:
            _change(s, d, released=json.dumps(rel))
            break
        except DrillChangedError:  # someone changed the drill meanwhile: look again
            s.rollback()
            s.refresh(d)
    else:
        raise DrillBusyError()
    assert d.started_at is not None
    start = _utc(d.started_at)
    for k in due:
        at = start + dt.timedelta(hours=script[k].at_h / d.speed)
        s.add(
            DrillEvent(
                drill=d.id,
                at=at,
                hour=script[k].at_h,
                token="clock",
                role="clock",
                kind="released",
                body=json.dumps(_inject_body(script, k, script[k].at_h), ensure_ascii=False),
            )
        )
    s.commit()
    return d


def _change(s: Session, d: Drill, **values: Any) -> None:
    """Update ``d`` if nobody changed it since it was read (409 otherwise)."""
    res = s.execute(
        update(Drill)
        .where(Drill.id == d.id, Drill.version == d.version)
        .values(version=d.version + 1, **values)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise DrillChangedError()
    s.flush()
    s.refresh(d)


def _inject_body(script: list[Any], k: int, at: float) -> dict[str, Any]:
    return {"index": k, "at_h": at, "inject": script[k].model_dump(mode="json")}


def _log(
    s: Session, d: Drill, tok: Caller, kind: str, body: dict[str, Any], *, hour: float | None = None
) -> DrillEvent:
    ev = DrillEvent(
        drill=d.id,
        hour=drill_hour(d) if hour is None else hour,
        token=tok.name,
        role=tok.role,
        kind=kind,
        body=json.dumps(body, ensure_ascii=False),
    )
    s.add(ev)
    s.flush()
    return ev


def _events(s: Session, drill_id: str, kind: str | None = None) -> list[DrillEvent]:
    q = select(DrillEvent).where(DrillEvent.drill == drill_id)
    if kind is not None:
        q = q.where(DrillEvent.kind == kind)
    return list(s.scalars(q.order_by(DrillEvent.id)).all())


def submitted(s: Session, drill_id: str) -> list[Submitted]:
    """The players' decisions in the order they were recorded."""
    out = []
    for e in _events(s, drill_id, "decision"):
        body = json.loads(e.body)
        out.append(Submitted(e.hour, body["player"], decision_from_dict(body["decision"])))
    return out


def _book(d: Drill, area: Any) -> DrillBook:
    """The drill's book for the injects released so far (built once, shared by requests).

    A book for more injects reuses the situations and travel times of the drill's latest
    book, so the first decision after a release does not start from scratch.
    """
    return _book_for(d.id, _released(d), d.snapshot, d.scenario, area)


def _book_for(
    drill_id: str, rel: list[Released], snapshot: str, scenario: str, area: Any
) -> DrillBook:
    key = (drill_id, tuple((r.index, r.at_h) for r in rel))
    with _BOOKS_LOCK:
        got = _BOOKS.get(key)
        build = got is None
        if got is None:
            got = _BOOKS[key] = Future()
        _BOOKS.move_to_end(key)
        earlier = [
            f.result()
            for k, f in reversed(_BOOKS.items())
            if k[0] == drill_id and k != key and f.done() and f.exception() is None
        ]
        while len(_BOOKS) > 8:
            _BOOKS.popitem(last=False)
    if build:
        try:
            if earlier:
                book = earlier[0].after(rel)
            else:
                frozen = frozen_area(area, json.loads(snapshot))
                sc = scenario_from_dict(json.loads(scenario), source="drill")
                book = DrillBook(frozen, sc, rel, folder=LIBRARY)
        except BaseException as exc:
            got.set_exception(exc)
            with _BOOKS_LOCK:
                _BOOKS.pop(key, None)
            raise
        got.set_result(book)
    return got.result()


def _warm(d: Drill, area: Any, before: list[Submitted]) -> None:
    """Build the book for the injects just released, and its travel times, in the background."""
    args = (d.id, _released(d), d.snapshot, d.scenario, area)

    def work() -> None:
        try:
            _book_for(*args).play(before)
        except Exception:  # the next decision builds it again and reports why
            return

    threading.Thread(target=work, name=f"drill-book-{d.id[:8]}", daemon=True).start()


def _out(d: Drill, tok: Caller) -> DrillOut:
    sc = _scenario(d)
    released = _released(d)
    controls = Role(tok.role) in DRILL_CONTROLLERS
    ended = d.status == "ended"
    # Known by the drill's name, nothing that tells where the script came from (a file, a
    # generator's seed or severity) until it ends.
    blind = not ended and (d.blind or not controls)
    view = player_view(sc, released, drill_hour(d), name=d.name if blind else None)
    script = None
    # The whole script for the debrief once it has ended; before, to a non-blind controller.
    if ended or (controls and not d.blind):
        script = [{"index": k, **i.model_dump(mode="json")} for k, i in enumerate(sc.injects)]
    return DrillOut(
        id=d.id,
        area=d.area,
        name=d.name,
        status=d.status,  # type: ignore[arg-type]
        mode=d.mode,
        speed=d.speed,
        blind=d.blind,
        hour=view["hour"],
        released=view["released"],
        pending=len(sc.injects) - len(released) if controls else None,
        script=script,
        scenario=view["scenario"],
    )
