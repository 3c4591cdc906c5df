"""The bundled scenario library as the API lists it beside stored scenarios.

``POST /jobs`` and ``POST /drills`` accept a library name (``scenarios/library/*.yaml``); this
module makes those names visible in ``GET /scenarios`` and ``GET /scenarios/{name}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scenarios.model import LIBRARY, load_scenario

NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True, slots=True)
class LibraryScenario:
    """One library scenario: its name, area, Chinese name, file time and body."""

    name: str
    area: str
    name_zh: str
    updated_at: dt.datetime
    body: dict[str, Any]


@lru_cache(maxsize=64)
def _read(name: str, mtime_ns: int) -> LibraryScenario:
    sc, _ = load_scenario(LIBRARY / f"{name}.yaml")
    return LibraryScenario(
        name=name,
        area=sc.area,
        name_zh=sc.name_zh,
        updated_at=dt.datetime.fromtimestamp(mtime_ns / 1e9, tz=dt.UTC),
        body=sc.model_dump(mode="json"),
    )


def library_scenario(name: str) -> LibraryScenario | None:
    """The library scenario ``name``, or None if the library has none of that name."""
    path = LIBRARY / f"{name}.yaml"
    if not NAME.fullmatch(name) or not path.is_file():
        return None
    return _read(name, path.stat().st_mtime_ns)


def library_scenarios() -> list[LibraryScenario]:
    """Every library scenario, by name."""
    found = (library_scenario(p.stem) for p in sorted(LIBRARY.glob("*.yaml")))
    return [s for s in found if s is not None]
