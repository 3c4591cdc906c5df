"""What each added depot buys: the coverage-vs-number-of-depots curve, p = 0 ... k.

Each step is a proven maximal-coverage answer for that many new sites (the sites of
consecutive steps need not nest: the best 3 are not always the best 2 plus one). For each
step the curve reports the people covered within the cutoff, the people newly covered
against the step before, and the people-weighted mean and the longest travel time to the
nearest open site: on the relief clock, hours saved in travel are hours saved for the
people served.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.errors import DataError
from solver.mip import MipParams
from solver.siting import HIGHS, Siting, SitingProblem, mclp


@dataclass(frozen=True, slots=True)
class CurveStep:
    """One point of the curve: ``p`` new sites at their best."""

    p: int
    sites: tuple[int, ...]
    added: tuple[int, ...]
    dropped: tuple[int, ...]
    covered: float
    coverage: float
    newly_covered: float
    mean_h: float
    longest_h: float
    hours_saved: float
    person_hours_saved: float
    status: str
    gap: float


def _travel(problem: SitingProblem, open_mask: np.ndarray) -> tuple[float, float]:
    """People-weighted mean and longest hours to the nearest open site (reachable people)."""
    near = _nearest_h(problem, open_mask)
    ok = np.isfinite(near) & (problem.weights > 0)
    if not ok.any():
        return math.nan, math.nan
    w = problem.weights[ok]
    return float(w @ near[ok] / w.sum()), float(near[ok].max())


def _nearest_h(problem: SitingProblem, open_mask: np.ndarray) -> np.ndarray:
    if not open_mask.any():
        return np.full(problem.hours.shape[1], np.inf)
    return np.asarray(np.where(open_mask[:, None], problem.hours, np.inf).min(axis=0))


def _person_hours_saved(problem: SitingProblem, before: np.ndarray, after: np.ndarray) -> float:
    """People x hours of travel saved by people reachable both before and after."""
    a, b = _nearest_h(problem, before), _nearest_h(problem, after)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(problem.weights[ok] @ (a[ok] - b[ok]))


def coverage_curve(
    problem: SitingProblem, cutoff_h: float, k: int, *, params: MipParams = HIGHS
) -> tuple[CurveStep, ...]:
    """Solve maximal coverage for p = 0 ... k and say what each step adds."""
    if not isinstance(k, int | np.integer) or k < 1:
        raise DataError(
            f"the curve needs k >= 1 new sites, got {k!r}",
            field="curve",
            problem_zh="曲线的新建数量上限须为正整数",
        )
    k = min(int(k), len(problem.new))
    steps: list[CurveStep] = []
    prev: Siting | None = None
    for p in range(k + 1):
        s = mclp(problem, cutoff_h, p, params=params)
        mean_h, longest_h = _travel(problem, s.open_mask)
        before = set(prev.opened) if prev else set()
        now = set(s.opened)
        prev_cov = steps[-1].covered if steps else s.objective
        prev_mean = steps[-1].mean_h if steps else mean_h
        steps.append(
            CurveStep(
                p,
                tuple(sorted(now)),
                tuple(sorted(now - before)),
                tuple(sorted(before - now)),
                s.objective,
                s.coverage_after,
                s.objective - prev_cov,
                mean_h,
                longest_h,
                prev_mean - mean_h if math.isfinite(prev_mean) and math.isfinite(mean_h) else 0.0,
                _person_hours_saved(problem, prev.open_mask, s.open_mask) if prev else 0.0,
                s.status,
                s.gap,
            )
        )
        prev = s
    return tuple(steps)
