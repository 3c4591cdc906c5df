"""The relief clock: report -> response -> depot alert and loading -> travel -> handover.

All times are hours after the disaster report (T0). The plans' targets (12 h in 2023, 10 h in
2025 and 2027) are deadlines on this clock; transport is only one segment of it. Every
default names its source (:mod:`solver.sources`) and can be replaced with
:func:`dataclasses.replace`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from solver.errors import DataError
from solver.network import Depot

#: Loading rate of one depot bay, t/h ("houston-unload"); see :mod:`solver.loading`.
BAY_T_PER_H = 2.5
#: Time at the dock per truckload: positioning, paperwork, securing ("dock-turnaround-assumed").
DOCK_H = 0.25


class ResponseLevel(StrEnum):
    """The four graded response levels (I is the highest)."""

    I = "I"  # noqa: E741 - the level's official name
    II = "II"
    III = "III"
    IV = "IV"


def _default_response() -> Mapping[ResponseLevel, float]:
    return MappingProxyType(
        {
            ResponseLevel.I: 1.0,
            ResponseLevel.II: 1.0,
            ResponseLevel.III: 2.0,
            ResponseLevel.IV: 2.0,
        }
    )


def check_loading_rule(bay_t_per_h: float, dock_h: float) -> None:
    """Refuse a loading rate per bay that is not positive or a negative dock time."""
    if not (math.isfinite(bay_t_per_h) and bay_t_per_h > 0):
        raise DataError(
            f"must be > 0, got {bay_t_per_h!r}",
            field="bay_t_per_h",
            problem_zh="每个装车位的装车速率须大于0",
        )
    if not (math.isfinite(dock_h) and dock_h >= 0):
        raise DataError(
            f"must be >= 0, got {dock_h!r}", field="dock_h", problem_zh="每车靠台时间不能为负"
        )


@dataclass(frozen=True, slots=True)
class TimelineParams:
    """Durations of the relief clock, in hours.

    Parameters
    ----------
    response_start_h
        Report -> dispatch order, by response level ("response-start-assumed", "report-2h").
    evacuation_h
        Response start -> relocated people are at their shelter ("evacuation-assumed").
    unload_h
        Unloading at the point after arrival ("unload-half-hour").
    distribution_people_per_h, max_distribution_h
        Handing out to people after unloading ("distribution-assumed").
    horizon_h
        Planning horizon of the needs: consumables for this many hours ("grain-half-kg",
        "sphere-water" are per day).
    checkpoints_h
        Times at which the check measures progress besides the targets; the plan maximises
        people met at the targets first, then the area under the curve at all checkpoints.
    indoor_skip_items
        Items not needed by people in an indoor shelter (a school has a roof: no tent).
    bay_t_per_h, dock_h
        A depot bay's loading rate and the dock time per truckload (:mod:`solver.loading`).
    """

    response_start_h: Mapping[ResponseLevel, float] = field(default_factory=_default_response)
    evacuation_h: float = 4.0
    unload_h: float = 0.5
    distribution_people_per_h: float = 2000.0
    max_distribution_h: float = 2.5
    horizon_h: float = 24.0
    checkpoints_h: tuple[float, ...] = ()
    indoor_skip_items: tuple[str, ...] = ("tent",)
    bay_t_per_h: float = BAY_T_PER_H
    dock_h: float = DOCK_H

    def __post_init__(self) -> None:
        for name in ("evacuation_h", "unload_h", "max_distribution_h"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise DataError(
                    f"must be >= 0, got {value!r}", field=name, problem_zh="时长不能为负"
                )
        if not (self.distribution_people_per_h > 0):
            raise DataError("must be > 0", field="distribution_people_per_h")
        if not (self.horizon_h > 0):
            raise DataError(
                f"must be > 0, got {self.horizon_h!r}",
                field="horizon_h",
                problem_zh="规划时长须大于0",
            )
        check_loading_rule(self.bay_t_per_h, self.dock_h)
        if any(not (math.isfinite(c) and c > 0) for c in self.checkpoints_h):
            raise DataError("checkpoints must be positive hours", field="checkpoints_h")
        missing = set(ResponseLevel) - set(self.response_start_h)
        if missing:
            raise DataError(
                f"no response start for level(s) {sorted(missing)}", field="response_start_h"
            )

    def response_start(self, level: ResponseLevel) -> float:
        """Hours from report to dispatch order at ``level``."""
        return float(self.response_start_h[level])

    def handover_h(self, people: int) -> float:
        """Unloading plus handing out to ``people`` at one point."""
        hand = min(people / self.distribution_people_per_h, self.max_distribution_h)
        return self.unload_h + hand


def parse_level(value: object) -> ResponseLevel:
    """A response level from I-IV, 1-4 or 一级..四级."""
    text = str(value).strip().upper().removesuffix("级").removesuffix("级响应")
    aliases = {
        "1": "I",
        "2": "II",
        "3": "III",
        "4": "IV",
        "一": "I",
        "二": "II",
        "三": "III",
        "四": "IV",
        "Ⅰ": "I",
        "Ⅱ": "II",
        "Ⅲ": "III",
        "Ⅳ": "IV",
    }
    try:
        return ResponseLevel(aliases.get(text, text))
    except ValueError:
        raise DataError(
            f"unknown response level {value!r}; use I, II, III or IV",
            field="response_level",
            problem_zh="响应级别须为 I、II、III 或 IV",
        ) from None


def open_windows(
    depot: Depot, report_clock_h: float, start_h: float, until_h: float
) -> list[tuple[float, float]]:
    """Intervals (hours after T0) in ``[start_h, until_h]`` during which ``depot`` is open.

    ``report_clock_h`` is the time of day of the report (0-24); opening hours repeat daily.
    """
    if depot.open_from_h <= 0 and depot.open_to_h >= 24:
        return [(start_h, until_h)] if until_h > start_h else []
    out: list[tuple[float, float]] = []
    day0 = math.floor((start_h + report_clock_h) / 24.0)
    day = day0
    while True:
        lo = day * 24.0 + depot.open_from_h - report_clock_h
        hi = day * 24.0 + depot.open_to_h - report_clock_h
        if lo >= until_h:
            break
        a, b = max(lo, start_h), min(hi, until_h)
        if b > a:
            out.append((a, b))
        day += 1
    return out


def work_finish_h(windows: Sequence[tuple[float, float]], start_h: float, hours: float) -> float:
    """When ``hours`` of work, not started before ``start_h``, end inside ``windows``.

    ``inf`` when the windows end first.
    """
    left = hours
    t = start_h
    for a, b in windows:
        if b <= t:
            continue
        t = max(t, a)
        if left <= b - t + 1e-12:
            return t + left
        left -= b - t
        t = b
    return math.inf


def depot_start_h(depot: Depot, response_start_h: float, report_clock_h: float) -> float:
    """When ``depot`` can start loading: order + alert delay, then the next opening."""
    ready = response_start_h + depot.alert_delay_h
    windows = open_windows(depot, report_clock_h, ready, ready + 48.0)
    return windows[0][0] if windows else math.inf


def coverage_overhead_h(
    params: TimelineParams,
    level: ResponseLevel,
    alert_delay_h: float,
    loading_t_per_h: float,
    *,
    first_load_t: float = 6.0,
    people: int = 2000,
) -> float:
    """Hours of the relief clock that are not travel, for a depot's first truckload.

    Response start, the depot's alert delay, loading one truck (``first_load_t``, a medium
    truck's payload) at the depot's rate, and handover to ``people`` at the point. A site
    covers a point "within T" when this overhead plus the travel time is at most T.
    """
    if loading_t_per_h <= 0:
        raise DataError("must be > 0", field="loading_t_per_h")
    return (
        params.response_start(level)
        + alert_delay_h
        + first_load_t / loading_t_per_h
        + params.handover_h(people)
    )
