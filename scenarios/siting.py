"""A siting study on an area: candidates, matrices, the chosen model, and its report.

``run_siting`` turns a :class:`SitingRequest` into a :class:`SitingReport`; the CLI and the
notebook print and draw it. Models come from :mod:`scenarios.siting_registry`; the
built-in ones name their solvers here (``solve_<model>``). Coverage "within T hours" uses
the relief clock: T minus the response, alert, first-truck loading and handover times of
the tier being sited (:func:`solver.timeline.coverage_overhead_h`) is the travel time
allowed; ``travel_h`` gives the travel cutoff directly instead. With ``curve=k`` the report
also carries the coverage-vs-number-of-depots curve for p = 0 ... k.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geodata.area import Area
from geodata.matrix import build_hazards, no_hazards
from geodata.siting import (
    SOURCES,
    SitingInput,
    candidates_from_file,
    exclude,
    generated_candidates,
    siting_input,
)
from scenarios.siting_registry import SitingJob, SitingModel, get_model, model_names
from solver.defaults import TIERS, Tier
from solver.errors import DataError
from solver.mip import Backend, MipParams
from solver.siting import Siting, lscp, mclp, pcenter, pmedian
from solver.siting_curve import CurveStep, coverage_curve
from solver.siting_extended import DEFAULT_TIERS, TierSpec, capacitated, robust, tiered
from solver.sources import SOURCES as CITATIONS
from solver.timeline import ResponseLevel, TimelineParams, coverage_overhead_h


@dataclass(frozen=True)
class SitingRequest:
    """What to site and how; every field has a documented default."""

    model: str = "mclp"
    p: int = 5
    target_h: float = 10.0
    travel_h: float | None = None
    tier: str = "county"
    floods: Sequence[Path | gpd.GeoDataFrame] = ()
    exclusions: Sequence[Path | gpd.GeoDataFrame] = ()
    candidates: Path | None = None
    sources: Sequence[str] = SOURCES
    vehicle: str = "medium"
    level: ResponseLevel = ResponseLevel.II
    time_limit_s: float = 60.0
    backend: Backend | None = None
    budget: float | None = None
    tiers: Sequence[TierSpec] = DEFAULT_TIERS
    robust_mode: str = "worst"
    crs: str | None = None
    #: For capacitated siting: the share of the population the reserves are sized for
    #: (Beijing sizes them for 1 %, "beijing-1pct"); coverage is then of those people.
    design_share: float = 0.01
    #: Also draw the coverage-vs-number-of-depots curve for p = 0 ... curve (None: no).
    curve: int | None = None

    def __post_init__(self) -> None:
        get_model(self.model)  # an unknown model is an error, never a fallback
        if not isinstance(self.p, int) or isinstance(self.p, bool) or self.p < 0:
            raise DataError(
                f"p must be a whole number >= 0, got {self.p!r}",
                field="p",
                problem_zh="新建站址数量须为非负整数",
            )
        if self.curve is not None and not (isinstance(self.curve, int) and self.curve >= 1):
            raise DataError(
                f"must be a whole number >= 1, got {self.curve!r}",
                field="curve",
                problem_zh="曲线的新建数量上限须为正整数",
            )
        if self.tier not in {t.value for t in Tier}:
            raise DataError(f"unknown tier {self.tier!r}", field="tier")
        if not (math.isfinite(self.target_h) and self.target_h > 0):
            raise DataError(
                f"must be positive hours, got {self.target_h!r}",
                field="target",
                problem_zh="时限须为正的小时数",
            )
        if not (0 < self.design_share <= 1):
            raise DataError(f"must be in (0, 1], got {self.design_share!r}", field="design_share")
        if self.travel_h is not None and not (self.travel_h > 0):
            raise DataError(f"must be positive hours, got {self.travel_h!r}", field="travel_hours")

    def overhead_h(self, params: TimelineParams | None = None) -> float:
        """Hours on the relief clock before the first truck of this tier drives."""
        d = TIERS[Tier(self.tier)]
        return coverage_overhead_h(
            params or TimelineParams(), self.level, d.alert_delay_h, d.loading_t_per_h
        )

    def cutoff_h(self, params: TimelineParams | None = None) -> float:
        """Travel hours allowed: given directly, or the target minus the tier's overhead."""
        if self.travel_h is not None:
            return self.travel_h
        cutoff = self.target_h - self.overhead_h(params)
        if cutoff <= 0:
            raise DataError(
                f"a {self.target_h:g} h target leaves no time to travel after the "
                f"response, alert, loading and handover of a {self.tier} depot",
                field="target",
                problem_zh="时限过短,扣除响应、装车与发放后无行驶时间",
            )
        return cutoff


@dataclass(frozen=True, eq=False)
class SitingReport:
    """The chosen model's answer with the inputs behind it."""

    request: SitingRequest
    siting: Siting
    input: SitingInput
    scenarios: int = 1
    notes: list[str] = field(default_factory=list)
    curve: tuple[CurveStep, ...] = ()
    overhead_h: float = 0.0

    @property
    def status_text(self) -> str:
        """``optimal``, or ``feasible, gap x %`` (and what stopped it), or ``infeasible``."""
        s = self.siting
        if s.status == "feasible":
            gap = "—" if not math.isfinite(s.gap) else f"{100 * s.gap:.2f} %"
            return f"feasible, gap {gap} (time limit {self.request.time_limit_s:g} s)"
        return s.status

    def curve_json(self) -> list[dict[str, Any]]:
        """The curve with site ids and clock hours (travel + this tier's overhead)."""
        ids = self.input.candidates["id"].astype(str).tolist()
        out = []
        for c in self.curve:
            out.append(
                {
                    "p": c.p,
                    "sites": [ids[j] for j in c.sites],
                    "added": [ids[j] for j in c.added],
                    "dropped": [ids[j] for j in c.dropped],
                    "people_covered": _plain(c.covered),
                    "coverage": _plain(c.coverage),
                    "newly_covered": _plain(c.newly_covered),
                    "mean_travel_h": _plain(c.mean_h),
                    "mean_clock_h": _plain(c.mean_h + self.overhead_h),
                    "longest_clock_h": _plain(c.longest_h + self.overhead_h),
                    "hours_saved": _plain(c.hours_saved),
                    "person_hours_saved": _plain(c.person_hours_saved),
                    "status": c.status,
                    "gap": _plain(c.gap),
                }
            )
        return out

    def sites_frame(self) -> gpd.GeoDataFrame:
        """Open sites: new ones (``new`` true, with tier and size class) and existing ones."""
        s, c = self.siting, self.input.candidates
        rows = []
        for j in np.flatnonzero(s.open_mask):
            new = not bool(c["existing"].iloc[j])
            tier = s.detail.get("tier", {}).get(int(j)) if new else c["tier"].iloc[j]
            rows.append(
                {
                    "id": str(c["id"].iloc[j]),
                    "name": str(c["name"].iloc[j]),
                    "new": new,
                    "kind": str(c["kind"].iloc[j]),
                    "tier": tier or (self.request.tier if new else None),
                    "size_class": s.detail.get("size_class", {}).get(int(j)),
                    "lon": float(c["lon"].iloc[j]),
                    "lat": float(c["lat"].iloc[j]),
                }
            )
        frame = gpd.GeoDataFrame(
            rows,
            geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
            crs=4326,
        )
        return frame

    def to_json(self) -> dict[str, Any]:
        """The ``siting.json`` document."""
        s = self.siting
        sites = self.sites_frame()
        new = sites[sites["new"]]
        pts = self.input.points
        detail = {k: _plain(v) for k, v in s.detail.items() if k not in ("size_class", "tier")}
        return {
            "model": self.request.model,
            "variant": s.model,
            "status": s.status,
            "status_text": self.status_text,
            "objective": _plain(s.objective),
            "bound": _plain(s.bound),
            "gap": _plain(s.gap),
            "seconds": round(s.seconds, 3),
            "solver": s.backend,
            "target_h": self.request.target_h,
            "cutoff_travel_h": _plain(s.cutoff_h),
            "tier": self.request.tier,
            "p": self.request.p if get_model(self.request.model).needs_p else None,
            "coverage_before": _plain(s.coverage_before),
            "coverage_after": _plain(s.coverage_after),
            "sites": [
                {k: _plain(v) for k, v in r.items() if k != "geometry"}
                for r in new.drop(columns="geometry").to_dict("records")
            ],
            "existing_sites": int((~sites["new"]).sum()),
            "candidates": len(self.input.candidates),
            "excluded": [
                {"id": str(r["id"]), "reason": str(r["reason"])}
                for r in self.input.excluded.to_dict("records")
            ],
            "uncoverable": [
                {
                    "id": str(pts["id"].iloc[i]),
                    "name": str(pts["name"].iloc[i]),
                    "people": int(pts["population"].iloc[i]),
                }
                for i in s.uncoverable
            ],
            "people": int(pts["population"].sum()),
            "scenarios": self.scenarios,
            "detail": detail,
            "curve": self.curve_json(),
            "overhead_h": self.overhead_h,
            "notes": self.notes,
            "assumptions": {
                k: CITATIONS[k].text for k in ("tier-standards-assumed", "depot-cost-assumed")
            },
        }


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def siting_models() -> tuple[str, ...]:
    """The registered models' names, the built-in ones included."""
    return model_names()


def run_siting(area: Area, req: SitingRequest) -> SitingReport:
    """Build candidates and matrices for ``area`` and solve ``req.model``."""
    model = get_model(req.model)
    cutoff = req.cutoff_h()
    if req.candidates is not None:
        cands = candidates_from_file(req.candidates, crs=req.crs)
        if "existing" in req.sources:
            gen = generated_candidates(area, ["existing"])
            clash = set(cands["id"]) & set(gen["id"])
            if clash:
                raise DataError(
                    f"candidate id {sorted(clash)[0]!r} is also an existing depot",
                    field="candidates",
                    record=sorted(clash)[0],
                    problem_zh="候选站址与现有储备库编号重复",
                )
            cands = gpd.GeoDataFrame(gpd.pd.concat([gen, cands], ignore_index=True), crs=4326)
    else:
        cands = generated_candidates(area, req.sources)
    wants_new = not model.needs_p or req.p > 0
    if not (~cands["existing"].astype(bool)).any() and wants_new:
        raise DataError(
            "no new candidate sites", field="candidates", problem_zh="没有可新建的候选站址"
        )
    hazards = (
        no_hazards(area)
        if model.dry or not req.floods
        else build_hazards(area, floods=list(req.floods), crs=req.crs)
    )
    kept, excluded = exclude(cands, list(req.exclusions), hazards=hazards, crs=req.crs)
    n_new = int((~kept["existing"].astype(bool)).sum())
    if n_new == 0 and wants_new:
        raise DataError(
            f"all {len(excluded)} new candidate sites were excluded (exclusion zones or "
            "the flood); nothing is left to site",
            field="exclude",
            problem_zh=f"全部 {len(excluded)} 个候选站址被排除(排除区或洪水),无可选站址",
        )
    _check_p_request(req, model, n_new, int(kept["existing"].astype(bool).sum()))
    inp = siting_input(
        area,
        kept,
        hazards=hazards,
        vehicle=req.vehicle,
        excluded=excluded,
        by_township=model.by_township,
    )
    if model.uses_cutoff:
        _check_reachable(inp, cutoff, req)
    job = SitingJob(
        area, req, inp, kept, cutoff, MipParams(req.backend or model.backend, req.time_limit_s)
    )
    result = model.solve(job)
    curve: tuple[CurveStep, ...] = ()
    if req.curve:
        _check_reachable(inp, cutoff, req)
        curve = coverage_curve(
            inp.problem, cutoff, req.curve, params=MipParams(Backend.HIGHS, req.time_limit_s)
        )
    return SitingReport(
        req,
        result,
        inp,
        scenarios=job.scenarios,
        notes=job.notes,
        curve=curve,
        overhead_h=req.overhead_h(),
    )


def _check_p_request(req: SitingRequest, model: SitingModel, n_new: int, n_existing: int) -> None:
    if not model.needs_p:
        return
    if req.p > n_new:
        raise DataError(
            f"p = {req.p} exceeds the {n_new} new candidate sites",
            field="p",
            problem_zh=f"新建数量 {req.p} 超过候选站址数 {n_new}",
        )
    if req.p == 0 and n_existing == 0:
        raise DataError(
            "p = 0 and there is no existing depot: nothing to site or to measure",
            field="p",
            problem_zh="新建数量为 0 且没有现有储备库,无可计算内容",
        )


def _check_reachable(inp: SitingInput, cutoff: float, req: SitingRequest) -> None:
    """A cutoff no candidate meets for anyone is an error naming the time field."""
    pr = inp.problem
    people = pr.weights > 0
    if people.any() and not (pr.hours[:, people] <= cutoff + 1e-9).any():
        name = "travel_hours" if req.travel_h is not None else "target"
        raise DataError(
            f"no candidate site reaches anyone within {cutoff:.2f} h of travel; "
            f"raise --{name.replace('_', '-')}",
            field=name,
            problem_zh=f"在 {cutoff:.2f} 小时行驶时间内没有任何候选站址能覆盖人口,请放宽时限",
        )


# ------------------------------------------------------------------------------------------
# The built-in models
# ------------------------------------------------------------------------------------------


def solve_mclp(job: SitingJob) -> Siting:
    """Maximal covering: the most people within the cutoff with p new sites."""
    return mclp(job.input.problem, job.cutoff_h, job.request.p, params=job.params)


def solve_lscp(job: SitingJob) -> Siting:
    """Set covering: the fewest new sites that cover everyone coverable."""
    return lscp(job.input.problem, job.cutoff_h, params=job.params)


def solve_pmedian(job: SitingJob) -> Siting:
    """p-median: the least people-weighted travel time with p new sites."""
    return pmedian(job.input.problem, job.request.p, params=job.params)


def solve_pcenter(job: SitingJob) -> Siting:
    """p-center: the shortest longest travel time with p new sites."""
    return pcenter(job.input.problem, job.request.p, params=job.params)


def solve_capacitated(job: SitingJob) -> Siting:
    """Coverage with capacities and the size classes (建标121) of the tier."""
    req, prob = job.request, job.input.problem
    cat = job.area.network.catalogue
    depots = {d.id: d for d in job.area.network.depots}
    cap = np.array(
        [cat.people_served(depots[i].stock) if i in depots else 0 for i in prob.candidate_ids],
        float,
    )
    design = dataclasses.replace(prob, weights=prob.weights * req.design_share)
    job.notes.append(
        f"capacity is sized for {req.design_share:.0%} of the population (the "
        "people a relief reserve is planned for); people are counted at their "
        "township seat; a site's capacity is the people its size class "
        "(建标121-2009) serves; existing depots' capacity is the people their "
        "stock serves for 24 h"
    )
    return capacitated(
        design, job.cutoff_h, p=req.p, budget=req.budget, existing_capacity=cap, params=job.params
    )


def solve_tiered(job: SitingJob) -> Siting:
    """Joint siting of municipal, county and township tiers."""
    return tiered(
        job.input.problem,
        job.request.tiers,
        existing_tier=[t if isinstance(t, str) else None for t in job.kept["tier"]],
        params=job.params,
    )


def solve_robust(job: SitingJob) -> Siting:
    """Coverage that holds over the dry network and every flood scenario."""
    req = job.request
    if not req.floods:
        raise DataError(
            "robust siting needs at least one --flood scenario",
            field="flood",
            problem_zh="稳健选址至少需要一个洪水情景",
        )
    problems = [job.input.problem]
    for f in req.floods:
        hz = build_hazards(job.area, floods=[f], crs=req.crs)
        problems.append(siting_input(job.area, job.kept, hazards=hz, vehicle=req.vehicle).problem)
    job.scenarios = len(problems)
    job.notes.append(
        f"scenario 0 is the dry network; scenarios 1-{len(req.floods)} are the "
        "floods in the order given (--flood files, then a sweep's floods)"
    )
    return robust(problems, job.cutoff_h, req.p, mode=req.robust_mode, params=job.params)
