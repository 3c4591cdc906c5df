"""The analyses the service runs as jobs: relief check, dispatch, siting, exercises, drill scores.

Each takes the job's request (already validated by :mod:`service.api.schemas`), a loader
for the area with the registry's stock, and a progress callback; returns JSON-ready data
with GeoJSON layers inline. Which kind runs which is said in :mod:`service.api.job_kinds`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd

from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.dispatch import DispatchRequest, plan_dispatch
from scenarios.dispatch_geo import route_lines
from scenarios.dispatch_request import part_of
from scenarios.drill import Released, Submitted, decision_from_dict, frozen_area, score_drill
from scenarios.exercise import run_exercise
from scenarios.model import LIBRARY, Scenario, load_scenario, scenario_from_dict
from scenarios.siting import SitingRequest, run_siting
from service.api.errors import NoInjectsError
from service.api.siting_places import places
from solver.errors import DataError

Area = Callable[[str], Any]
Progress = Callable[[str, float], None]


def geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """A GeoDataFrame as a GeoJSON mapping (WGS84)."""
    return json.loads(frame.to_crs(4326).to_json(drop_id=True))  # type: ignore[no-any-return]


def scenario_of(request: dict[str, Any]) -> Scenario:
    """The request's scenario: a library name, or a scenario mapping (as in a YAML file).

    The service reads no file a client names: a name must be a library scenario, and a
    flood must be given as polygons or uploaded (then passed by id in ``options.floods``).
    """
    raw = request["scenario"]
    if isinstance(raw, str):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", raw) or not (LIBRARY / f"{raw}.yaml").exists():
            raise DataError(
                f"no stored or library scenario named {raw!r}",
                field="scenario",
                problem_zh="无此情景",
            )
        return load_scenario(LIBRARY / f"{raw}.yaml")[0]
    sc = scenario_from_dict(raw, source="scenario")
    for k, f in enumerate(sc.floods):
        if f.file is not None:
            raise DataError(
                "the service reads no files named in a scenario: give the polygon, or upload "
                "the flood layer and pass its id in options.floods",
                field=f"floods[{k}].file",
                problem_zh="服务不读取情景中引用的文件,请上传洪水图层",
            )
    return sc


def _situation(request: dict[str, Any], area: Area) -> Any:
    # Checks and plans do not play injects; dropping them keeps a drill's script out of
    # results anyone may read.
    sc = scenario_of(request).model_copy(update={"injects": []})
    # Scenario files named in a request would be read from the library folder only; uploaded
    # flood layers come as files the service wrote itself.
    floods = [Path(f) for f in request.get("flood_files", [])]
    return apply_scenario(area(request["area"]), sc, folder=LIBRARY, extra_floods=floods)


def check(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """The 10/12-hour relief check: report and points."""
    progress("scenario", 0.1)
    situation = _situation(request, area)
    progress("check", 0.3)
    opts = request.get("options", {})
    targets = opts.get("targets_h")
    rep = run_check(situation, targets_h=tuple(targets) if targets else None)
    plan = None
    seconds = float(opts.get("plan_seconds", 10.0))
    if seconds > 0:
        progress("plan", 0.6)
        plan = plan_dispatch(
            situation,
            DispatchRequest(time_limit_s=seconds, targets_h=tuple(targets) if targets else None),
            report=rep,
        ).plan
    return {
        "report": rep.to_json(plan),
        "points": geojson(rep.points_frame(plan)),
        **_flood(situation),
    }


def _flood(situation: Any) -> dict[str, Any]:
    return {"flood": geojson(situation.flood)} if situation.flood is not None else {}


def dispatch(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """A dispatch plan: plan.json content and route lines."""
    progress("scenario", 0.05)
    situation = _situation(request, area)
    opts = dict(request.get("options", {}))
    opts.pop("floods", None)
    opts.pop("plan_seconds", None)
    if opts.get("targets_h") is not None:
        opts["targets_h"] = tuple(opts["targets_h"])
    made = plan_dispatch(situation, DispatchRequest(**opts), progress=progress)
    legs, plan = route_lines(situation, made.plan)
    return {"plan": plan.to_json(), "routes": geojson(legs), **_flood(situation)}


def redispatch(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """Re-plan a finished dispatch job's plan at an hour (``service.api.routes_duty``)."""
    from scenarios.model import Affected, Closure
    from scenarios.plan import Plan
    from scenarios.redispatch import redispatch as replan

    progress("scenario", 0.05)
    doc = json.loads(Path(request["plan_file"]).read_text(encoding="utf-8"))["plan"]
    old = Plan.from_json(doc, source="plan_file")
    req = old.request
    opts = {k: v for k, v in request.get("options", {}).items() if v is not None}
    req = dataclasses.replace(req, **opts)
    new = replan(
        old,
        float(request["at_h"]),
        [Closure.model_validate(c) for c in request.get("closures", [])],
        req,
        area=area(request["area"]),
        folder=LIBRARY,
        progress=progress,
        added=[Affected.model_validate(a) for a in request.get("added", [])],
        depots_lost=list(request.get("depots_lost", [])),
    )
    assert new.situation is not None
    legs, plan = route_lines(new.situation, new.plan)
    return {"plan": plan.to_json(), "routes": geojson(legs), **_flood(new.situation)}


def site(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """Depot siting: chosen sites and coverage."""
    progress("siting", 0.1)
    opts = request.get("options", {})
    rep = run_siting(area(request["area"]), SitingRequest(**opts))
    return {"siting": rep.to_json(), "sites": geojson(rep.sites_frame()), "places": places(rep)}


def exercise(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """Play the scenario's injects: each step's KPIs, and the plan in force at the end."""
    progress("scenario", 0.05)
    sc = scenario_of(request)
    if not sc.injects:
        raise NoInjectsError()
    opts = dict(request.get("options", {}))
    opts.pop("floods", None)
    opts.pop("plan_seconds", None)
    if opts.get("targets_h") is not None:
        opts["targets_h"] = tuple(opts["targets_h"])
    progress("exercise", 0.1)
    rep = run_exercise(
        area(request["area"]),
        sc,
        folder=LIBRARY,
        request=DispatchRequest(**opts),
        progress=part_of(progress, 0.1, 1.0),
    )
    return {**rep.to_json(), "plan": rep.steps[-1].plan.to_json()}


def drill_score(request: dict[str, Any], area: Area, progress: Progress) -> dict[str, Any]:
    """A drill's score: the players' decisions played, the optimiser's plan, compared.

    The scenario is the drill's own stored copy (checked when the drill was prepared), the
    stock and shelter capacities those the drill was prepared with.
    """
    progress("scenario", 0.05)
    sc = scenario_from_dict(request["scenario"], source="drill")
    released = [Released(int(k), float(h)) for k, h in request["released"]]
    subs = [
        Submitted(float(x["at_h"]), str(x["player"]), decision_from_dict(x["decision"]))
        for x in request["submitted"]
    ]
    opts = dict(request.get("options", {}))
    progress("score", 0.1)
    the_area = frozen_area(area(request["area"]), request["snapshot"])
    out = score_drill(
        the_area,
        sc,
        released,
        subs,
        DispatchRequest(**opts),
        folder=LIBRARY,
        progress=part_of(progress, 0.1, 1.0),
    )
    return {"drill": request.get("drill"), **out}
