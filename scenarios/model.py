"""Scenario files: what happened, where, when, and what the network has to work with.

A scenario is YAML validated by the pydantic models below (``extra="forbid"``: a misspelt
key is an error, not silently ignored). Errors become :class:`solver.errors.DataError`
naming the file and the field path (``affected[2].people``). See
``scenarios/README.md`` for the format with examples.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solver.errors import DataError
from solver.timeline import ResponseLevel, parse_level

LIBRARY = Path(__file__).parent / "library"

Hours = Annotated[float, Field(gt=0, allow_inf_nan=False)]
LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
Provenance = Literal["real", "proxy", "synthetic"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Affected(_Strict):
    """People affected at a place: pick the places, then say how many people.

    Exactly one selector (``point``, ``township``, ``county``, or ``all_points``) and exactly
    one amount (``people`` spread over the selected places by population, or ``share`` of
    their population). ``in_flood: true`` keeps only places inside the scenario's floods;
    ``in_flood: NAME`` only those inside the flood with that name.
    """

    point: str | None = None
    township: str | None = None
    county: str | None = None
    all_points: bool = False
    in_flood: bool | str = False
    people: Annotated[int, Field(ge=0)] | None = None
    share: Annotated[float, Field(ge=0, le=1)] | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_selector_one_amount(self) -> Affected:
        selectors = [s for s in ("point", "township", "county") if getattr(self, s)]
        if self.all_points:
            selectors.append("all_points")
        if len(selectors) != 1:
            raise ValueError("give exactly one of point, township, county, all_points")
        if (self.people is None) == (self.share is None):
            raise ValueError("give exactly one of people, share")
        return self


class Flood(_Strict):
    """A flood layer: a file (relative to the scenario) or an inline polygon."""

    name: str = ""
    file: str | None = None
    polygon: list[LonLat] | None = None
    depth_m: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    provenance: Provenance = "synthetic"
    note: str = ""

    @model_validator(mode="after")
    def _file_or_polygon(self) -> Flood:
        if (self.file is None) == (self.polygon is None):
            raise ValueError("give exactly one of file, polygon")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least 3 corners")
        return self


class Closure(_Strict):
    """A closed road: by id, by name or bridge name (substring), at a point, or along a line."""

    road: str | None = None
    name: str | None = None
    at: LonLat | None = None
    line: list[LonLat] | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> Closure:
        given = [k for k in ("road", "name", "at", "line") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of road, name, at, line")
        return self


class ShelterAssignment(_Strict):
    """People moved from a place to a named shelter."""

    from_point: str
    shelter: str
    people: Annotated[int, Field(ge=0)]


class Evacuation(_Strict):
    """Where affected people go: to shelters (automatic or listed) or stay in place."""

    mode: Literal["shelter", "in_place"] = "shelter"
    hours_after_response: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    assignments: list[ShelterAssignment] = []


class VehiclesAdded(_Strict):
    """Extra vehicles at a depot (e.g. requisitioned trucks)."""

    depot: str
    vehicle_class: str
    count: Annotated[int, Field(ge=0)]


class Inject(_Strict):
    """An event during an exercise: roads close, more people are reported, depots are lost.

    It happens ``at_h`` hours after the report; ``relief exercise run`` re-plans at each one.
    A depot lost (flooded) loses its stock and the vehicles parked there at that hour.
    """

    at_h: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    label: str = ""
    closures: list[Closure] = []
    add_people: list[Affected] = []
    depots_lost: list[str] = []

    @model_validator(mode="after")
    def _something(self) -> Inject:
        if not (self.closures or self.add_people or self.depots_lost):
            raise ValueError("an inject needs closures, add_people or depots_lost")
        return self


class Fleet(_Strict):
    """Which vehicles are available: a share of every depot's fleet, removals and additions."""

    available_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    unavailable_depots: list[str] = []
    added: list[VehiclesAdded] = []


class StockChange(_Strict):
    """Add to (or, with a negative ``add``, take from) a depot's stock of one item."""

    depot: str
    item: str
    add: int


class DepotChange(_Strict):
    """Change how a depot operates (more loading bays, a faster call-out)."""

    depot: str
    loading_t_per_h: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    alert_delay_h: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Timeline(_Strict):
    """Overrides of the relief clock (hours); unset values keep the sourced defaults."""

    response_start_h: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    evacuation_h: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    unload_h: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    distribution_people_per_h: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    max_distribution_h: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Scenario(_Strict):
    """A disaster scenario for the relief check (and later dispatch and exercises)."""

    name: str
    name_zh: str = ""
    area: str = "hengshui"
    description: str = ""
    provenance: Provenance = "synthetic"
    sources: list[str] = []
    report_time: dt.datetime = dt.datetime(
        2023, 7, 31, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    response_level: ResponseLevel = ResponseLevel.II
    targets_h: Annotated[list[Hours], Field(min_length=1)] = [10.0, 12.0]
    horizon_h: Hours = 24.0
    affected: Annotated[list[Affected], Field(min_length=1)]
    evacuation: Evacuation = Evacuation()
    floods: list[Flood] = []
    closures: list[Closure] = []
    depots_lost: list[str] = []
    fleet: Fleet = Fleet()
    stock_changes: list[StockChange] = []
    depot_changes: list[DepotChange] = []
    timeline: Timeline = Timeline()
    tier_preference: dict[str, float] = {}
    injects: list[Inject] = []

    @field_validator("injects")
    @classmethod
    def _injects_in_order(cls, value: list[Inject]) -> list[Inject]:
        for k in range(1, len(value)):
            if value[k].at_h < value[k - 1].at_h:
                raise ValueError(
                    f"out of time order: injects[{k}] at {value[k].at_h} h comes after one "
                    f"at {value[k - 1].at_h} h"
                )
        return value

    @field_validator("response_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> ResponseLevel:
        try:
            return parse_level(value)
        except DataError as exc:
            raise ValueError(exc.problem) from None

    @field_validator("targets_h", mode="before")
    @classmethod
    def _numbers_only(cls, value: object) -> object:
        # "10" would pass pydantic's lax mode; a target is a number of hours, not text.
        if isinstance(value, list):
            for v in value:
                if isinstance(v, str | bool):
                    raise ValueError(f"targets are numbers of hours, got {v!r}")
        return value

    @property
    def report_clock_h(self) -> float:
        """Time of day of the report, in hours (local time of the timestamp)."""
        t = self.report_time
        return t.hour + t.minute / 60.0 + t.second / 3600.0


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def scenario_from_dict(data: object, *, source: str = "scenario") -> Scenario:
    """Validate ``data`` into a :class:`Scenario`; errors name the field path."""
    if not isinstance(data, dict):
        raise DataError(
            "a scenario must be a mapping of keys to values",
            source=source,
            problem_zh="情景文件须为键值映射",
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _loc(tuple(first["loc"])) or "scenario"
        given = first.get("input")
        shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
        more = f"; and {exc.error_count() - 1} more problem(s)" if exc.error_count() > 1 else ""
        raise DataError(
            f"{first['msg']}{shown}{more}",
            source=source,
            field=field,
            problem_zh=f"字段 {field} 有误",
        ) from None


def load_scenario(path: str | Path) -> tuple[Scenario, Path]:
    """Read a scenario YAML file (or a library name); return it and its folder."""
    p = Path(path)
    if not p.exists() and (LIBRARY / f"{path}.yaml").exists():
        p = LIBRARY / f"{path}.yaml"
    if not p.exists():
        raise DataError("file does not exist", source=str(path), problem_zh="情景文件不存在")
    text = p.read_text(encoding="utf-8")
    if not text.strip():
        raise DataError("file is empty", source=str(p), problem_zh="文件为空")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataError(
            f"not valid YAML: {exc}", source=str(p), problem_zh="YAML 格式错误"
        ) from None
    return scenario_from_dict(data, source=str(p)), p.parent
