"""Play a scenario's timed injects forward: plan, then re-plan at each inject.

``run_exercise`` makes the dispatch plan at the start (the check's allocation, the fleet,
the flooded roads), then at each inject (roads closing, people reported, depots lost) re-dispatches
from the plan in force at that hour (:func:`scenarios.redispatch.redispatch`: what is
delivered or being driven stays). Each step records the plan's KPIs beside the relief
check's for the situation known at that hour, so an exercise designer sees how the
10/12-hour figures move as the event unfolds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geodata.area import Area
from scenarios.apply import apply_scenario, check_injects
from scenarios.dispatch import DispatchRequest, plan_dispatch
from scenarios.dispatch_request import Progress, part_of
from scenarios.model import Scenario
from scenarios.plan import Plan
from scenarios.redispatch import redispatch


@dataclass(frozen=True)
class ExerciseStep:
    """The plan in force after one step (the start, or an inject)."""

    at_h: float
    label: str
    plan: Plan
    seconds: float

    @property
    def doc(self) -> dict[str, Any]:
        """The step's plan as its ``plan.json`` document."""
        return self.plan.to_json()

    def summary(self) -> dict[str, Any]:
        """The step's KPIs, without the routes."""
        k = self.plan.kpis
        red = self.plan.redispatch
        return {
            "at_h": self.at_h,
            "label": self.label,
            "closures": len(red.closures) if red else 0,
            "added_people": sum(a.people or 0 for a in red.added_affected) if red else 0,
            "depots_lost": list(red.depots_lost) if red else [],
            "plan_share": {f"{t.hours:g}": t.share_met for t in k.targets},
            "check_share": {f"{t.hours:g}": t.share_met for t in k.relief_check_targets},
            "late_stops": k.late_stops,
            "unserved_units": k.unserved_units,
            "stuck_vehicles": len(red.stuck_vehicles) if red else 0,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class ExerciseReport:
    """Every step of an exercise."""

    scenario: str
    steps: list[ExerciseStep] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """exercise.json: the scenario and each step's KPIs (plans are written apart)."""
        return {
            "kind": "exercise",
            "version": 1,
            "scenario": self.scenario,
            "steps": [s.summary() for s in self.steps],
        }


def run_exercise(
    area: Area,
    scenario: Scenario,
    *,
    folder: Path = Path("."),
    request: DispatchRequest | None = None,
    progress: Progress | None = None,
) -> ExerciseReport:
    """Plan at the start, then re-plan at each of the scenario's injects, in time order.

    ``progress`` gets (stage, fraction) through every step's plan.
    """
    req = request or DispatchRequest()
    check_injects(area, scenario)
    report = ExerciseReport(scenario.name)
    steps = 1 + len(scenario.injects)
    tic = time.perf_counter()
    start = scenario.model_copy(update={"injects": []})
    say = part_of(progress, 0.0, 1 / steps, "start")
    plan = plan_dispatch(
        apply_scenario(area, start, folder=folder), req, folder=folder, progress=say
    ).plan
    report.steps.append(ExerciseStep(0.0, "start", plan, time.perf_counter() - tic))
    for k, inject in enumerate(scenario.injects):
        tic = time.perf_counter()
        say = part_of(progress, (k + 1) / steps, (k + 2) / steps, f"inject {k + 1}")
        plan = redispatch(
            plan,
            inject.at_h,
            inject.closures,
            req,
            area=area,
            folder=folder,
            added=inject.add_people,
            depots_lost=inject.depots_lost,
            progress=say,
        ).plan
        label = inject.label or f"inject {k + 1}"
        report.steps.append(ExerciseStep(inject.at_h, label, plan, time.perf_counter() - tic))
    return report
