"""Read any supported file into a WGS84 GeoDataFrame, with errors that name file and field.

Supported: GeoPackage, GeoJSON, Shapefile (through pyogrio/GDAL), and CSV or XLSX tables
with longitude/latitude columns. Coordinates in GCJ-02 or BD-09 are converted only when the
caller says so (``crs="gcj02"``); a projected CRS declared by the file is reprojected.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geodata.crs import ChineseCRS, check_in_china, parse_crs, to_wgs84_arrays
from solver.errors import DataError

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
WGS84 = CRS.from_epsg(4326)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError("file does not exist", source=str(path), problem_zh="文件不存在")
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("file is empty", source=str(path), problem_zh="文件为空")
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES | TABLE_SUFFIXES:
        raise DataError(
            f"unsupported file type {suffix!r}; use one of "
            f"{', '.join(sorted(VECTOR_SUFFIXES | TABLE_SUFFIXES))}",
            source=str(path),
            problem_zh="不支持的文件类型",
        )


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Layer names of a vector file (one name for single-layer formats)."""
    p = Path(path)
    _check_file(p)
    if p.suffix.lower() in TABLE_SUFFIXES:
        return [p.stem]
    return [str(name) for name, _ in pyogrio.list_layers(p)]


def read_table(path: str | os.PathLike[str], layer: str | None = None) -> pd.DataFrame:
    """Read a plain table (CSV, XLSX, or a non-spatial GeoPackage layer)."""
    p = Path(path)
    _check_file(p)
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(p, dtype={"id": str}, encoding="utf-8-sig")
        elif suffix in {".xlsx", ".xls"}:
            df = pd.read_excel(p, sheet_name=layer or 0, dtype={"id": str})
        else:
            df = pyogrio.read_dataframe(p, layer=layer, read_geometry=False)
    except DataError:
        raise
    except Exception as exc:  # the readers raise many types; name the file in every case
        raise DataError(
            f"cannot be read: {exc}", source=_name(p, layer), problem_zh="无法读取文件"
        ) from None
    if df.empty:
        raise DataError("has no records", source=_name(p, layer), problem_zh="文件没有记录")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _name(p: Path, layer: str | None) -> str:
    return f"{p}:{layer}" if layer else str(p)


def _find_column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in df.columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _points_from_table(df: pd.DataFrame, source: str) -> gpd.GeoDataFrame:
    lon_col = _find_column(df, LON_COLUMNS)
    lat_col = _find_column(df, LAT_COLUMNS)
    for col, names, what in (
        (lon_col, LON_COLUMNS, "longitude"),
        (lat_col, LAT_COLUMNS, "latitude"),
    ):
        if col is None:
            raise DataError(
                f"no {what} column; expected one of {', '.join(names)}",
                source=source,
                field=names[0],
                problem_zh=f"缺少{what}列",
            )
    assert lon_col is not None and lat_col is not None  # narrowed above, for mypy
    coords = {}
    for col in (lon_col, lat_col):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"not a number: {df[col].iloc[i]!r}",
                source=source,
                record=_record_id(df, i),
                field=col,
                problem_zh="不是数值",
            )
        coords[col] = values.to_numpy(dtype=float)
    geometry = gpd.points_from_xy(coords[lon_col], coords[lat_col])
    return gpd.GeoDataFrame(df.drop(columns=[lon_col, lat_col]), geometry=geometry, crs=None)


def _record_id(df: pd.DataFrame, i: int) -> str:
    if "id" in df.columns and pd.notna(df["id"].iloc[i]):
        return str(df["id"].iloc[i])
    return f"row {i + 1}"


def read_layer(
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    crs: str | None = None,
    check_china: bool = True,
) -> gpd.GeoDataFrame:
    """Read one layer into a GeoDataFrame in WGS84 (EPSG:4326).

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON, Shapefile, CSV or XLSX file.
    layer
        Layer (GeoPackage) or sheet (XLSX) name; the first one when omitted.
    crs
        What the coordinates are in when the file does not say, or says WGS84 but holds
        Chinese offsets: ``wgs84`` (default), ``gcj02``, ``bd09`` or an EPSG code.
    check_china
        Refuse coordinates outside China, and say when lon/lat look swapped.
    """
    p = Path(path)
    _check_file(p)
    target = parse_crs(crs)
    source = _name(p, layer)
    if p.suffix.lower() in TABLE_SUFFIXES:
        gdf = _points_from_table(read_table(p, layer), source)
    else:
        try:
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
        except Exception as exc:  # GDAL errors come in many types; name the file
            raise DataError(
                f"cannot be read: {exc}", source=source, problem_zh="无法读取文件"
            ) from None
        if gdf.empty:
            raise DataError("has no records", source=source, problem_zh="文件没有记录")
        gdf.columns = [str(c).strip() for c in gdf.columns]
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise DataError(
            "has no geometry",
            source=source,
            record=_record_id(gdf, i),
            field="geometry",
            problem_zh="缺少几何坐标",
        )
    gdf = _to_wgs84(gdf, target, source)
    if check_china:
        xy, index = shapely.get_coordinates(gdf.geometry.to_numpy(), return_index=True)
        check_in_china(xy[:, 0], xy[:, 1], lambda i: _record_id(gdf, int(index[i])), source=source)
    return gdf


def _to_wgs84(gdf: gpd.GeoDataFrame, target: ChineseCRS | CRS, source: str) -> gpd.GeoDataFrame:
    if isinstance(target, CRS):
        gdf = gdf.set_crs(target, allow_override=True)
        return gdf.to_crs(WGS84)
    if gdf.crs is not None and not gdf.crs.is_geographic:
        if target != "wgs84":
            raise DataError(
                f"the file is in projected CRS {gdf.crs.to_string()}; GCJ-02/BD-09 "
                "apply to longitude/latitude only",
                source=source,
                field="crs",
                problem_zh="投影坐标文件不能按GCJ-02/BD-09转换",
            )
        return gdf.to_crs(WGS84)
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    gdf = gdf.set_crs(WGS84, allow_override=True)
    if target in ("gcj02", "bd09"):

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84_arrays(xy[:, 0], xy[:, 1], target)
            return np.column_stack([lon, lat])

        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.to_numpy(), convert), crs=WGS84)
    return gdf


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Nothing half-written is ever left at ``path``: on an exception the temporary is removed
    and an existing file at ``path`` is untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` and move the result to ``path`` only when it succeeds."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)
