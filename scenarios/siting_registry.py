"""The siting models, one entry each: name, solver, default back end, labels, needs.

The CLI's choices, the service schema's model names and ``run_siting``'s dispatch are all
read from :data:`REGISTRY`; a name not in it is an error, never a fallback. The built-in
models are the entries at the end of this module; their solvers are named as
``"module:function"`` and imported when first run, so that listing the models (``relief
--help``) loads no solver. A new model is one :func:`register` call with its solver
function (tests register toy ones).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from solver.backend import Backend
from solver.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd

    from geodata.area import Area
    from geodata.siting import SitingInput
    from scenarios.siting import SitingRequest
    from solver.mip import MipParams
    from solver.siting import Siting


@dataclass(eq=False)
class SitingJob:
    """What a model's solver gets: the area, the request, the prepared matrix, settings."""

    area: Area
    request: SitingRequest
    input: SitingInput
    kept: gpd.GeoDataFrame
    cutoff_h: float
    params: MipParams
    notes: list[str] = field(default_factory=list)
    scenarios: int = 1


@dataclass(frozen=True)
class SitingModel:
    """One siting model.

    ``needs_p``: the request's ``p`` (new sites) is used; ``uses_cutoff``: the answer
    depends on the travel cutoff (a cutoff nobody meets is then an error);
    ``by_township``: people are counted at their township seat; ``dry``: floods are
    scenarios for the model, not hazards on the matrix. ``backend`` is the default
    solver, chosen by measurement. ``solve_with``: the solver function, or its
    ``"module:function"`` name (imported on first use).
    """

    name: str
    label_zh: str
    label_en: str
    solve_with: Callable[[SitingJob], Siting] | str
    backend: Backend
    needs_p: bool
    uses_cutoff: bool = True
    by_township: bool = False
    dry: bool = False

    def solve(self, job: SitingJob) -> Siting:
        """Run the model's solver on ``job``."""
        fn = self.solve_with
        if isinstance(fn, str):
            module, _, name = fn.partition(":")
            fn = getattr(importlib.import_module(module), name)
        assert callable(fn)
        return fn(job)


REGISTRY: dict[str, SitingModel] = {}


def register(model: SitingModel) -> SitingModel:
    """Add a model (a name may be registered once)."""
    if model.name in REGISTRY:
        raise ValueError(f"siting model {model.name!r} is already registered")
    REGISTRY[model.name] = model
    return model


def unregister(name: str) -> None:
    """Remove a model (for tests that register toy ones)."""
    REGISTRY.pop(name, None)


def model_names() -> tuple[str, ...]:
    """Every registered model, in registration order."""
    return tuple(REGISTRY)


def get_model(name: str) -> SitingModel:
    """The model called ``name``; an unknown name is a bilingual error naming ``model``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(
            f"unknown model {name!r}; use {', '.join(REGISTRY)}",
            field="model",
            problem_zh=f"未知选址模型 {name!r},可选:{'、'.join(REGISTRY)}",
        ) from None


# Default back ends by measurement (benchmarks/README.md): HiGHS proves the province
# maximal covering that SCIP stalls on; SCIP proves the small covering models at once;
# p-median and p-center use their own bound-and-search (the back end serves sub-problems).
for _m in (
    SitingModel(
        "mclp", "最大覆盖", "maximal coverage", "scenarios.siting:solve_mclp", Backend.HIGHS, True
    ),
    SitingModel(
        "lscp",
        "集合覆盖(最少站点全覆盖)",
        "set covering",
        "scenarios.siting:solve_lscp",
        Backend.SCIP,
        False,
    ),
    SitingModel(
        "pmedian",
        "p-中位(人口加权行程最短)",
        "p-median",
        "scenarios.siting:solve_pmedian",
        Backend.HIGHS,
        True,
        uses_cutoff=False,
    ),
    SitingModel(
        "pcenter",
        "p-中心(最远行程最短)",
        "p-center",
        "scenarios.siting:solve_pcenter",
        Backend.SCIP,
        True,
        uses_cutoff=False,
    ),
    SitingModel(
        "capacitated",
        "容量约束覆盖(含规模等级)",
        "capacitated coverage with size classes",
        "scenarios.siting:solve_capacitated",
        Backend.SCIP,
        True,
        by_township=True,
    ),
    SitingModel(
        "tiered",
        "市县乡三级联合选址",
        "joint three-tier siting",
        "scenarios.siting:solve_tiered",
        Backend.SCIP,
        False,
    ),
    SitingModel(
        "robust",
        "多洪水情景稳健选址",
        "robust over flood scenarios",
        "scenarios.siting:solve_robust",
        Backend.SCIP,
        True,
        dry=True,
    ),
):
    register(_m)
