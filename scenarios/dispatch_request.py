"""How a dispatch plan is asked for: time limit, seed, engine, targets, crews (all overridable).

Kept apart from :mod:`scenarios.dispatch` so that the plan model (:mod:`scenarios.plan`)
can record the request it was made with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from solver.errors import DataError
from solver.schedule import ScheduleParams, check_engine

#: A crew's duty shift, hours from the vehicle's start ("shift-assumed").
SHIFT_H = 12.0
#: Trips per vehicle and shift: load, deliver, come back, reload ("trips-assumed").
TRIPS = 4

Progress = Callable[[str, float], None]


def part_of(progress: Progress | None, lo: float, hi: float, label: str = "") -> Progress:
    """A progress callback for one part of a longer job: its 0..1 maps onto ``lo..hi``.

    ``label`` prefixes the part's stages (``"inject 2: scheduling"``). With no ``progress``
    the callback does nothing.
    """

    def say(stage: str, frac: float) -> None:
        if progress is not None:
            name = f"{label}: {stage}" if label else stage
            progress(name, lo + (hi - lo) * min(1.0, max(0.0, frac)))

    return say


@dataclass(frozen=True)
class DispatchRequest:
    """How to plan: time limit, seed, deadline handling, crews (all overridable)."""

    time_limit_s: float = 30.0
    seed: int = 1
    engine: str = "grasp"
    hard_deadline: bool = False
    targets_h: tuple[float, ...] | None = None
    trips: int = TRIPS
    shift_h: float = SHIFT_H
    #: Truckloads are cut to this share of their truck class's payload and volume.
    load_share: float = 1.0
    #: Shelter receiving hours: point id -> (opens, closes), hours after the report; goods
    #: arrive within them. Points not listed receive at any hour.
    receiving: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Stop CP-SAT on its deterministic clock, so the same seed gives the same plan.
    deterministic: bool = True

    def __post_init__(self) -> None:
        check_engine(self.engine, self.time_limit_s)
        if self.trips < 1:
            raise DataError("must be >= 1", field="trips", problem_zh="须至少为1")
        if not (math.isfinite(self.shift_h) and self.shift_h > 0):
            raise DataError("must be > 0 hours", field="shift_h", problem_zh="须大于0小时")
        if not (0 < self.load_share <= 1):
            raise DataError(
                f"must be in (0, 1], got {self.load_share}",
                field="load_share",
                problem_zh="装载比例须在0到1之间",
            )
        for t in self.targets_h or ():
            if not (math.isfinite(t) and t > 0):
                raise DataError(
                    f"must be positive hours, got {t}", field="target", problem_zh="时限须为正"
                )
        for pid, win in self.receiving.items():
            if not (
                len(win) == 2 and all(math.isfinite(x) and x >= 0 for x in win) and win[0] < win[1]
            ):
                raise DataError(
                    f"{pid}: give (opens, closes) in hours >= 0 with opens < closes, got {win}",
                    field=f"receiving.{pid}",
                    problem_zh="接收时段须为 开始<结束 的小时数",
                )

    def params(self) -> ScheduleParams:
        """The scheduler's parameters."""
        return ScheduleParams(
            self.time_limit_s, self.seed, deterministic=self.deterministic, engine=self.engine
        )
