"""A siting study on an area: candidates, matrices, the chosen model, and its report.

``run_siting`` turns a :class:`SitingRequest` into a :class:`SitingReport`; the CLI and the
notebook print and draw it. Coverage "within T hours" uses the relief clock: T minus the
response, alert, first-truck loading and handover times of the tier being sited
(:func:`solver.timeline.coverage_overhead_h`) is the travel time allowed; ``travel_h``
gives the travel cutoff directly instead.
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
from solver.defaults import TIERS, Tier
from solver.errors import DataError
from solver.mip import Backend, MipParams
from solver.siting import Siting, lscp, mclp, pcenter, pmedian
from solver.siting_extended import DEFAULT_TIERS, TierSpec, capacitated, robust, tiered
from solver.sources import SOURCES as CITATIONS
from solver.timeline import ResponseLevel, TimelineParams, coverage_overhead_h

MODELS = ("mclp", "lscp", "pmedian", "pcenter", "capacitated", "tiered", "robust")
#: Default solver per model, chosen by measurement (benchmarks/README.md): SCIP proves
#: covering models at once; HiGHS is faster on the p-median radius formulation.
BACKEND = {
    "mclp": Backend.SCIP,
    "lscp": Backend.SCIP,
    "pcenter": Backend.SCIP,
    "pmedian": Backend.HIGHS,
    "capacitated": Backend.SCIP,
    "tiered": Backend.SCIP,
    "robust": Backend.SCIP,
}


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

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise DataError(
                f"unknown model {self.model!r}; use {', '.join(MODELS)}",
                field="model",
                problem_zh="未知选址模型",
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

    def cutoff_h(self, params: TimelineParams | None = None) -> float:
        """Travel hours allowed: given directly, or the target minus the tier's overhead."""
        if self.travel_h is not None:
            return self.travel_h
        d = TIERS[Tier(self.tier)]
        cutoff = self.target_h - coverage_overhead_h(
            params or TimelineParams(), self.level, d.alert_delay_h, d.loading_t_per_h
        )
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
            "objective": _plain(s.objective),
            "bound": _plain(s.bound),
            "gap": _plain(s.gap),
            "seconds": round(s.seconds, 3),
            "solver": s.backend,
            "target_h": self.request.target_h,
            "cutoff_travel_h": _plain(s.cutoff_h),
            "tier": self.request.tier,
            "p": self.request.p if s.model not in ("lscp", "tiered") else None,
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


def run_siting(area: Area, req: SitingRequest) -> SitingReport:
    """Build candidates and matrices for ``area`` and solve ``req.model``."""
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
    if not (~cands["existing"].astype(bool)).any() and req.model != "pmedian":
        raise DataError(
            "no new candidate sites", field="candidates", problem_zh="没有可新建的候选站址"
        )
    robust_mode = req.model == "robust"
    hazards = (
        no_hazards(area)
        if robust_mode or not req.floods
        else build_hazards(area, floods=list(req.floods), crs=req.crs)
    )
    kept, excluded = exclude(cands, list(req.exclusions), hazards=hazards, crs=req.crs)
    by_township = req.model == "capacitated"
    inp = siting_input(
        area, kept, hazards=hazards, vehicle=req.vehicle, excluded=excluded, by_township=by_township
    )
    backend = req.backend or BACKEND[req.model]
    params = MipParams(backend, req.time_limit_s)
    cutoff = req.cutoff_h()
    prob = inp.problem
    notes: list[str] = []
    if req.model == "mclp":
        result = mclp(prob, cutoff, req.p, params=params)
    elif req.model == "lscp":
        result = lscp(prob, cutoff, params=params)
    elif req.model == "pmedian":
        result = pmedian(prob, req.p, params=params)
    elif req.model == "pcenter":
        result = pcenter(prob, req.p, params=params)
    elif req.model == "capacitated":
        cat = area.network.catalogue
        depots = {d.id: d for d in area.network.depots}
        cap = np.array(
            [cat.people_served(depots[i].stock) if i in depots else 0 for i in prob.candidate_ids],
            float,
        )
        design = dataclasses.replace(prob, weights=prob.weights * req.design_share)
        result = capacitated(
            design, cutoff, p=req.p, budget=req.budget, existing_capacity=cap, params=params
        )
        notes.append(
            f"capacity is sized for {req.design_share:.0%} of the population (the "
            "people a relief reserve is planned for); people are counted at their "
            "township seat; a site's capacity is the people its size class "
            "(建标121-2009) serves; existing depots' capacity is the people their "
            "stock serves for 24 h"
        )
    elif req.model == "tiered":
        result = tiered(
            prob,
            req.tiers,
            existing_tier=[t if isinstance(t, str) else None for t in kept["tier"]],
            params=params,
        )
    else:
        if not req.floods:
            raise DataError(
                "robust siting needs at least one --flood scenario",
                field="flood",
                problem_zh="稳健选址至少需要一个洪水情景",
            )
        problems = [prob]
        for f in req.floods:
            hz = build_hazards(area, floods=[f], crs=req.crs)
            problems.append(siting_input(area, kept, hazards=hz, vehicle=req.vehicle).problem)
        result = robust(problems, cutoff, req.p, mode=req.robust_mode, params=params)
        notes.append(
            f"scenario 0 is the dry network; scenarios 1-{len(req.floods)} are the "
            "floods in the order given (--flood files, then a sweep's floods)"
        )
        return SitingReport(req, result, inp, scenarios=len(problems), notes=notes)
    return SitingReport(req, result, inp, notes=notes)
