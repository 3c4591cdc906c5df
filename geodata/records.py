"""Turn read layers into the reserve-network objects of :mod:`solver.network`.

Each reader checks required columns, types and values row by row and raises
:class:`DataError` naming the source, the record id and the field. Missing optional values
take the tier defaults of :mod:`solver.defaults`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from solver.catalogue import Catalogue, parse_group
from solver.defaults import SHELTER_M2_PER_PERSON, TIERS, Tier
from solver.errors import DataError
from solver.fleet import FleetEntry, Mode, VehicleClass
from solver.network import (
    Depot,
    Point,
    PointKind,
    Provenance,
    StagingPoint,
    shelter_capacity,
)

T = TypeVar("T")
Row = dict[Any, Any]

TIER_ALIASES = {
    "市级": Tier.MUNICIPAL,
    "市": Tier.MUNICIPAL,
    "city": Tier.MUNICIPAL,
    "县级": Tier.COUNTY,
    "县": Tier.COUNTY,
    "乡镇": Tier.TOWNSHIP,
    "乡": Tier.TOWNSHIP,
    "镇": Tier.TOWNSHIP,
    "协议代储": Tier.ENTERPRISE,
    "企业": Tier.ENTERPRISE,
    "agreement": Tier.ENTERPRISE,
    "社区": Tier.COMMUNITY,
    "学校": Tier.COMMUNITY,
    "医院": Tier.COMMUNITY,
    "school": Tier.COMMUNITY,
    "hospital": Tier.COMMUNITY,
}


#: Optional columns of each layer (besides ``stock_<item>``), for restoring Shapefile names.
DEPOT_COLUMNS = (
    "id",
    "name",
    "tier",
    "loading_t_per_h",
    "alert_delay_h",
    "open_from_h",
    "open_to_h",
    "county",
    "provenance",
    "provenance_detail",
    "size_class",
)
POINT_COLUMNS = (
    "id",
    "name",
    "kind",
    "population",
    "capacity",
    "floor_area_m2",
    "county",
    "township",
    "provenance",
    "provenance_detail",
)


def restore_truncated(df: pd.DataFrame, known: tuple[str, ...]) -> pd.DataFrame:
    """Rename columns cut to 10 characters by the Shapefile format back to their full names.

    A 10-character column that is the start of exactly one known column is renamed to it
    (``floor_area`` -> ``floor_area_m2``); anything ambiguous is left alone.
    """
    renames = {}
    for col in df.columns:
        if len(col) == 10 and col not in known:
            matches = [k for k in known if k.startswith(col)]
            if len(matches) == 1:
                renames[col] = matches[0]
    return df.rename(columns=renames) if renames else df


def _require(df: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    for col in columns:
        if col not in df.columns:
            raise DataError(
                f"missing column {col!r}; columns present: {', '.join(df.columns)}",
                source=source,
                field=col,
                problem_zh=f"缺少列 {col!r}",
            )


def _ids(df: pd.DataFrame, source: str) -> list[str]:
    ids = []
    seen: set[str] = set()
    for i, v in enumerate(df["id"]):
        if pd.isna(v) or str(v).strip() == "":
            raise DataError(
                "empty id", source=source, record=f"row {i + 1}", field="id", problem_zh="编号为空"
            )
        rec = str(v).strip()
        if rec in seen:
            raise DataError(
                f"duplicate id {rec!r} (again in row {i + 1})",
                source=source,
                record=rec,
                field="id",
                problem_zh=f"编号重复: {rec}",
            )
        seen.add(rec)
        ids.append(rec)
    return ids


def _number(row: Row, col: str, default: float | None, rec: str, source: str) -> float:
    value = row.get(col, None)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        if default is None:
            raise DataError(
                "value is missing", source=source, record=rec, field=col, problem_zh="缺少数值"
            )
        return default
    if isinstance(value, bool):
        raise DataError(
            f"not a number: {value!r}", source=source, record=rec, field=col, problem_zh="不是数值"
        )
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DataError(
            f"not a number: {value!r}", source=source, record=rec, field=col, problem_zh="不是数值"
        ) from None
    if not math.isfinite(out):
        raise DataError(
            f"not a finite number: {value!r}",
            source=source,
            record=rec,
            field=col,
            problem_zh="不是有限数值",
        )
    return out


def _whole(row: Row, col: str, default: int | None, rec: str, source: str) -> int:
    value = _number(row, col, None if default is None else float(default), rec, source)
    if abs(value - round(value)) > 1e-9:
        raise DataError(
            f"must be a whole number, got {value}",
            source=source,
            record=rec,
            field=col,
            problem_zh="须为整数",
        )
    return round(value)


def _text(row: Row, col: str, default: str = "") -> str:
    value = row.get(col, None)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return default
    return str(value).strip()


def _provenance(row: Row, rec: str, source: str, default: Provenance) -> Provenance:
    text = _text(row, "provenance", default.value).lower()
    try:
        return Provenance(text)
    except ValueError:
        raise DataError(
            f"must be real, proxy or synthetic, got {text!r}",
            source=source,
            record=rec,
            field="provenance",
            problem_zh="须为 real/proxy/synthetic",
        ) from None


def _rows(df: pd.DataFrame, source: str, build: Callable[[Row, str], T]) -> tuple[T, ...]:
    out = []
    for rec, row in zip(_ids(df, source), df.to_dict("records"), strict=True):
        try:
            out.append(build(row, rec))
        except DataError as exc:
            raise exc.located(source=source, record=rec) from None
    return tuple(out)


def parse_tier(value: object) -> Tier:
    """A depot tier from English names or Chinese labels (市级, 县级, 乡镇, 协议代储, 社区…)."""
    text = str(value).strip()
    if text.lower() in {t.value for t in Tier}:
        return Tier(text.lower())
    if text in TIER_ALIASES:
        return TIER_ALIASES[text]
    raise DataError(
        f"unknown tier {value!r}; use one of {', '.join(t.value for t in Tier)}",
        field="tier",
        problem_zh=f"未知储备层级 {value!r}",
    )


def _lonlat(row: Row) -> tuple[float, float]:
    geom = row["geometry"]
    if geom.geom_type != "Point":
        c = geom.representative_point()
        return float(c.x), float(c.y)
    return float(geom.x), float(geom.y)


def depots_from_frame(
    gdf: gpd.GeoDataFrame, catalogue: Catalogue, *, source: str = "depots"
) -> tuple[Depot, ...]:
    """Depots from a point layer with ``id``, ``tier`` and ``stock_<item>`` columns.

    Optional columns: ``name``, ``loading_t_per_h``, ``alert_delay_h``, ``open_from_h``,
    ``open_to_h``, ``county``, ``provenance``. A ``stock_`` column naming an item not in
    the catalogue is an error; a missing stock value counts as zero.
    """
    gdf = restore_truncated(gdf, (*DEPOT_COLUMNS, *(f"stock_{i}" for i in catalogue.ids)))
    _require(gdf, ("id", "tier"), source)
    stock_cols = [c for c in gdf.columns if c.startswith("stock_")]
    for col in stock_cols:
        item_id = col.removeprefix("stock_")
        if item_id not in catalogue:
            raise DataError(
                f"unknown item {item_id!r}; known items: {', '.join(catalogue.ids)}",
                source=source,
                field=col,
                problem_zh=f"未知物资 {item_id!r}",
            )

    def build(row: Row, rec: str) -> Depot:
        tier = parse_tier(row["tier"])
        d = TIERS[tier]
        lon, lat = _lonlat(row)
        stock = {c.removeprefix("stock_"): _whole(row, c, 0, rec, source) for c in stock_cols}
        return Depot(
            id=rec,
            name=_text(row, "name", rec),
            tier=tier,
            lon=lon,
            lat=lat,
            stock=stock,
            loading_t_per_h=_number(row, "loading_t_per_h", d.loading_t_per_h, rec, source),
            alert_delay_h=_number(row, "alert_delay_h", d.alert_delay_h, rec, source),
            open_from_h=_number(row, "open_from_h", d.open_from_h, rec, source),
            open_to_h=_number(row, "open_to_h", d.open_to_h, rec, source),
            county=_text(row, "county"),
            provenance=_provenance(row, rec, source, Provenance.REAL),
        )

    return _rows(gdf, source, build)


def parse_point_kind(value: object) -> PointKind:
    """A point kind from English names or Chinese labels."""
    text = str(value).strip().lower()
    zh = {
        "县城": "county_seat",
        "乡镇": "township_seat",
        "乡镇驻地": "township_seat",
        "村": "village",
        "避难场所": "shelter",
        "安置点": "shelter",
    }
    try:
        return PointKind(zh.get(text, text))
    except ValueError:
        raise DataError(
            f"unknown kind {value!r}; use one of {', '.join(k.value for k in PointKind)}",
            field="kind",
            problem_zh=f"未知地点类型 {value!r}",
        ) from None


def points_from_frame(
    gdf: gpd.GeoDataFrame, *, source: str = "points", m2_per_person: float = SHELTER_M2_PER_PERSON
) -> tuple[Point, ...]:
    """Affected-population points and shelters from a point layer.

    Required: ``id``, ``population``. Optional: ``name``, ``kind`` (default village),
    ``capacity`` or ``floor_area_m2`` (shelters; area / ``m2_per_person``), ``county``,
    ``township``, ``provenance``.
    """
    gdf = restore_truncated(gdf, POINT_COLUMNS)
    _require(gdf, ("id", "population"), source)

    def build(row: Row, rec: str) -> Point:
        kind = parse_point_kind(_text(row, "kind", "village"))
        capacity: int | None = None
        if pd.notna(row.get("capacity")):
            capacity = _whole(row, "capacity", None, rec, source)
        elif pd.notna(row.get("floor_area_m2")):
            area = _number(row, "floor_area_m2", None, rec, source)
            try:
                capacity = shelter_capacity(area, m2_per_person)
            except DataError as exc:
                raise exc.located(record=rec) from None
        lon, lat = _lonlat(row)
        return Point(
            id=rec,
            name=_text(row, "name", rec),
            kind=kind,
            lon=lon,
            lat=lat,
            population=_whole(row, "population", None, rec, source),
            capacity=capacity,
            county=_text(row, "county"),
            township=_text(row, "township"),
            provenance=_provenance(row, rec, source, Provenance.REAL),
        )

    return _rows(gdf, source, build)


def staging_from_frame(
    gdf: gpd.GeoDataFrame, *, source: str = "staging"
) -> tuple[StagingPoint, ...]:
    """Helicopter and boat staging points: ``id``, ``mode`` (boat/helicopter), ``name``."""
    _require(gdf, ("id", "mode"), source)

    def build(row: Row, rec: str) -> StagingPoint:
        text = _text(row, "mode").lower()
        text = {"船": "boat", "直升机": "helicopter"}.get(text, text)
        try:
            mode = Mode(text)
        except ValueError:
            raise DataError(
                f"unknown mode {text!r}; use boat or helicopter",
                field="mode",
                problem_zh="转运方式须为 boat 或 helicopter",
            ) from None
        lon, lat = _lonlat(row)
        return StagingPoint(
            rec,
            _text(row, "name", rec),
            mode,
            lon,
            lat,
            _provenance(row, rec, source, Provenance.REAL),
        )

    return _rows(gdf, source, build)


def fleet_from_frame(df: pd.DataFrame, *, source: str = "fleet") -> tuple[FleetEntry, ...]:
    """Vehicles at depots: ``id``, ``vehicle_class``, ``depot_id``, ``count``."""
    _require(df, ("id", "vehicle_class", "depot_id"), source)
    return _rows(
        df,
        source,
        lambda row, rec: FleetEntry(
            rec,
            _text(row, "vehicle_class"),
            _text(row, "depot_id"),
            _whole(row, "count", 1, rec, source),
        ),
    )


def vehicle_classes_from_frame(
    df: pd.DataFrame, *, source: str = "vehicle_classes"
) -> tuple[VehicleClass, ...]:
    """Vehicle classes: ``id``, ``payload_kg``, ``volume_m3`` and optional speed/fording fields."""
    _require(df, ("id", "payload_kg", "volume_m3"), source)

    def build(row: Row, rec: str) -> VehicleClass:
        mode = Mode(_text(row, "mode", "road").lower())
        return VehicleClass(
            rec,
            _text(row, "name_zh", rec),
            _text(row, "name_en", rec),
            _whole(row, "payload_kg", None, rec, source),
            _number(row, "volume_m3", None, rec, source),
            speed_factor=_number(row, "speed_factor", 1.0, rec, source),
            max_speed_kmh=_number(row, "max_speed_kmh", 100.0, rec, source),
            fording_depth_m=_number(row, "fording_depth_m", 0.6, rec, source),
            mode=mode,
            cruise_kmh=_number(row, "cruise_kmh", 0.0, rec, source),
        )

    return _rows(df, source, build)


def catalogue_from_frame(df: pd.DataFrame, base: Catalogue, *, source: str = "items") -> Catalogue:
    """``base`` with the rows of an ``items`` table overriding or adding items.

    Columns: ``id`` and any of ``name_zh``, ``name_en``, ``unit``, ``unit_weight_kg``,
    ``unit_volume_m3``, ``group`` (clothing/food/shelter/medical or 衣/食/住/医),
    ``per_person``, ``per_day``.
    """
    _require(df, ("id",), source)
    numeric = {"unit_weight_kg", "unit_volume_m3", "per_person"}
    overrides: dict[str, dict[str, object]] = {}
    for rec, row in zip(_ids(df, source), df.to_dict("records"), strict=True):
        fields: dict[str, object] = {}
        for col in (
            "name_zh",
            "name_en",
            "unit",
            "unit_weight_kg",
            "unit_volume_m3",
            "group",
            "per_person",
            "per_day",
        ):
            if col not in row:
                continue
            value = row[col]
            if col == "unit" and (
                value is None
                or (not isinstance(value, str) and pd.isna(value))
                or str(value).strip() == ""
            ):
                raise DataError(
                    "an item needs a unit",
                    source=source,
                    record=rec,
                    field="unit",
                    problem_zh="物资缺少计量单位",
                )
            if not isinstance(value, str) and pd.isna(value):
                continue
            if col in numeric:
                fields[col] = _number(row, col, None, rec, source)
            elif col == "per_day":
                fields[col] = str(value).strip().lower() in {"1", "true", "yes", "是"}
            elif col == "group":
                fields[col] = parse_group(value, rec)
            else:
                fields[col] = str(value)
        overrides[rec] = fields
    try:
        return base.with_overrides(overrides)
    except DataError as exc:
        raise exc.located(source=source) from None


def provenance_counts(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    """Records per provenance flag in each layer that has a ``provenance`` column."""
    out: dict[str, dict[str, int]] = {}
    for name, df in frames.items():
        if "provenance" in df.columns:
            counts = df["provenance"].astype(str).value_counts()
            out[name] = {p.value: int(counts.get(p.value, 0)) for p in Provenance}
    return out
