"""Scenario files: what happened, where, when, and what the network has to work with.

A scenario is YAML validated by the pydantic models below (``extra="forbid"``: a misspelt
key is an error, not silently ignored). Errors become :class:`solver.errors.DataError`
naming the file and the field path (``affected[2].people``). See
``scenarios/README.md`` for the format with examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solver.errors import DataError
from solver.timeline import ResponseLevel, parse_level
from solver.units import hours_of_day

LIBRARY = Path(__file__).parent / "library"

Hours = Annotated[float, Field(gt=0, allow_inf_nan=False)]
LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
Provenance = Literal["real", "proxy", "synthetic"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(value: list[str]) -> list[str]:
    seen: set[str] = set()
    for k, v in enumerate(value):
        if v in seen:
            raise ValueError(f"{v!r} is listed twice (again at [{k}])")
        seen.add(v)
    return value


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

    @field_validator("depots_lost")
    @classmethod
    def _depots_once(cls, value: list[str]) -> list[str]:
        return _unique(value)

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
    #: A depot bay's loading rate (t/h) and the dock time per truckload (hours).
    bay_t_per_h: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    dock_h: Annotated[float, Field(ge=0, le=24, allow_inf_nan=False)] | None = None


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

    @field_validator("depots_lost")
    @classmethod
    def _depots_once(cls, value: list[str]) -> list[str]:
        return _unique(value)

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
        return hours_of_day(t.hour, t.minute, t.second)


#: Chinese for pydantic's error types (``{...}`` from the error's context).
_ZH = {
    "extra_forbidden": "未知字段(是否拼写错误?)",
    "missing": "缺少必填字段",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "finite_number": "须为有限数值",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数值",
    "float_type": "须为数值",
    "string_type": "须为文本",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "list_type": "须为列表",
    "dict_type": "须为键值映射",
    "model_type": "须为键值映射",
    "model_attributes_type": "须为键值映射",
    "literal_error": "取值须为 {expected} 之一",
    "enum": "取值须为 {expected} 之一",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_too_short": "文本过短(至少 {min_length} 字符)",
    "string_too_long": "文本过长(最多 {max_length} 字符)",
    "string_pattern_mismatch": "格式不符",
    "datetime_parsing": "须为日期时间,如 2023-07-31T22:00:00+08:00",
    "datetime_from_date_parsing": "须为日期时间,如 2023-07-31T22:00:00+08:00",
    "datetime_type": "须为日期时间",
    "json_invalid": "不是有效的JSON",
    "json_type": "须为JSON",
    "union_tag_invalid": "类型标记无效",
}
#: Chinese for the value errors this package's validators raise (by a phrase they contain).
_ZH_VALUE = {
    "listed twice": "重复列出",
    "give exactly one of": "须且只能给出其中之一",
    "out of time order": "注入事件须按时间先后排列",
    "targets are numbers": "时限须为小时数(数字)",
    "at least 3 corners": "多边形至少需要 3 个顶点",
    "an inject needs": "注入事件须包含道路中断、新增人员或储备库损毁",
    "printable": "不能含控制字符(须为可打印文本)",
}


def problem_zh_of(err: Mapping[str, Any]) -> str:
    """A specific Chinese text for one pydantic error (``ValidationError.errors()[k]``)."""
    kind = str(err.get("type", ""))
    if kind == "value_error":
        msg = str(err.get("msg", ""))
        for phrase, zh in _ZH_VALUE.items():
            if phrase in msg:
                return zh
        return "取值无效:" + msg.removeprefix("Value error, ")
    template = _ZH.get(kind)
    if template is None:
        return "取值无效"
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip()


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
            problem_zh=problem_zh_of(first),
        ) from None


#: A scenario file larger than this is not a scenario someone wrote.
MAX_SCENARIO_BYTES = 10 * 2**20
#: YAML aliases a scenario may use (each can repeat a whole subtree: a "billion laughs").
MAX_ALIASES = 50
#: How deeply a scenario may nest (brackets, or indentation in columns); real ones nest < 10.
MAX_NESTING = 64
MAX_INDENT = 400


def _nesting(text: str) -> int:
    """Deepest nesting of flow brackets in ``text`` (quoted text skipped), cheaply.

    PyYAML takes minutes on a document nested tens of thousands deep before it overflows
    the stack, so the depth is measured before it parses anything.
    """
    depth = deepest = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def load_scenario(path: str | Path) -> tuple[Scenario, Path]:
    """Read a scenario YAML file (or a library name); return it and its folder.

    The file must be UTF-8 YAML of at most :data:`MAX_SCENARIO_BYTES`, nested no deeper
    than the parser allows and with few aliases; anything else is a :class:`DataError`
    naming the file.
    """
    p = Path(path)
    if not p.exists() and (LIBRARY / f"{path}.yaml").exists():
        p = LIBRARY / f"{path}.yaml"
    if not p.exists():
        raise DataError("file does not exist", source=str(path), problem_zh="情景文件不存在")
    if p.is_dir():
        raise DataError(
            "is a directory, not a scenario file", source=str(p), problem_zh="这是目录,不是情景文件"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot be read: {exc.strerror}", source=str(p), problem_zh="无法读取情景文件"
        ) from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise DataError(
            f"{len(raw):,} bytes: too large for a scenario (limit {MAX_SCENARIO_BYTES:,})",
            source=str(p),
            problem_zh="情景文件过大",
        )
    text = _utf8(raw, str(p))
    if not text.strip():
        raise DataError("file is empty", source=str(p), problem_zh="文件为空")
    indent = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    if _nesting(text) > MAX_NESTING or indent > MAX_INDENT:
        raise DataError(
            "nested too deeply to be a scenario", source=str(p), problem_zh="嵌套层次过深"
        )
    try:
        aliases = sum(
            isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)
        )
        if aliases > MAX_ALIASES:
            raise DataError(
                f"uses {aliases} YAML aliases (limit {MAX_ALIASES})",
                source=str(p),
                problem_zh="YAML 别名过多",
            )
        data = yaml.safe_load(text)
    except RecursionError:
        raise DataError(
            "nested too deeply to be a scenario", source=str(p), problem_zh="嵌套层次过深"
        ) from None
    except yaml.YAMLError as exc:
        raise DataError(
            f"not valid YAML: {exc}", source=str(p), problem_zh="YAML 格式错误"
        ) from None
    try:
        return scenario_from_dict(data, source=str(p)), p.parent
    except RecursionError:
        raise DataError(
            "nested too deeply to be a scenario", source=str(p), problem_zh="嵌套层次过深"
        ) from None


def _utf8(raw: bytes, source: str) -> str:
    """``raw`` as UTF-8 text (a BOM is fine); otherwise say so, and guess GBK by name."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gbk")
            hint = " (it reads as GBK: save it as UTF-8)"
        except UnicodeDecodeError:
            pass
        raise DataError(
            f"not UTF-8 text (byte {exc.start}){hint}",
            source=source,
            problem_zh="不是UTF-8编码" + ("(似为GBK编码,请另存为UTF-8)" if hint else ""),
        ) from None
