"""The siting models, one entry each: name, solver, default back end, labels, needs.

The CLI's choices, the service schema's model names and ``run_siting``'s dispatch are all
read from :data:`REGISTRY`; a name not in it is an error, never a fallback. A new model
registers itself with :func:`register` (tests register toy ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd

from solver.errors import DataError
from solver.mip import Backend, MipParams
from solver.siting import Siting

if TYPE_CHECKING:
    from geodata.area import Area
    from geodata.siting import SitingInput
    from scenarios.siting import SitingRequest


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
    solver, chosen by measurement.
    """

    name: str
    label_zh: str
    label_en: str
    solve: Callable[[SitingJob], Siting]
    backend: Backend
    needs_p: bool
    uses_cutoff: bool = True
    by_township: bool = False
    dry: bool = False


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
