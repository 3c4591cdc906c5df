"""Read any supported file into a WGS84 GeoDataFrame, with errors that name file and field.

Each file is parsed as exactly the format its name claims, never by GDAL's driver
auto-detection: GeoJSON with a JSON parser and shapely (:mod:`geodata.geojson`), GeoPackage
with SQLite after the GeoPackage checks (:mod:`geodata.gpkg`), CSV with pandas, XLSX with
openpyxl after its ZIP directory is checked, and Shapefile / FlatGeobuf through GDAL only
once the file's own header (magic number) says it is one, with GDAL locked down for the
process (:mod:`geodata.gdal_policy`). Every reader keeps to :class:`geodata.limits.ReadLimits`.
Coordinates in GCJ-02 or BD-09 are converted only when the caller says so
(``crs="gcj02"``); a projected CRS declared by the file is reprojected.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata.crs import ChineseCRS, check_in_china, parse_crs, to_wgs84_arrays
from geodata.geojson import read_geojson
from geodata.gpkg import gpkg_layers, read_gpkg
from geodata.limits import LOCAL, ReadLimits, check_size
from solver.errors import DataError

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
WGS84 = CRS.from_epsg(4326)


#: What each GDAL-read format's file starts with.
_MAGIC = {".shp": b"\x00\x00\x27\x0a", ".fgb": b"fgb\x03"}
#: An XLSX (a ZIP) may unpack to at most this many times its own size.
_MAX_ZIP_RATIO = 100


def _check_file(path: Path, limits: ReadLimits = LOCAL) -> None:
    if not path.exists():
        raise DataError("file does not exist", source=str(path), problem_zh="文件不存在")
    if path.is_dir():
        raise DataError(
            "is a directory, not a file", source=str(path), problem_zh="这是目录,不是文件"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("file is empty", source=str(path), problem_zh="文件为空")
    check_size(path.stat().st_size, limits, str(path))
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES | TABLE_SUFFIXES:
        raise DataError(
            f"unsupported file type {suffix!r}; use one of "
            f"{', '.join(sorted(VECTOR_SUFFIXES | TABLE_SUFFIXES))}",
            source=str(path),
            problem_zh="不支持的文件类型",
        )


def list_layers(path: str | os.PathLike[str], *, limits: ReadLimits = LOCAL) -> list[str]:
    """Layer names of a vector file (one name for single-layer formats)."""
    p = Path(path)
    _check_file(p, limits)
    if p.suffix.lower() == ".gpkg":
        return gpkg_layers(p, limits)
    return [p.stem]


def _check_magic(p: Path) -> None:
    """A Shapefile or FlatGeobuf must start with its format's magic number before GDAL reads it."""
    want = _MAGIC[p.suffix.lower()]
    with p.open("rb") as f:
        head = f.read(len(want))
    if head != want:
        raise DataError(
            f"not a {p.suffix.lower()[1:]} file (its header does not say so)",
            source=str(p),
            problem_zh="文件内容与扩展名不符",
        )


def _check_xlsx(p: Path, limits: ReadLimits) -> None:
    """Refuse an XLSX whose ZIP entries would unpack to too much (a ZIP bomb)."""
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise DataError(
            "not an XLSX workbook (not a ZIP archive)", source=str(p), problem_zh="不是XLSX工作簿"
        ) from None
    limit = min(limits.max_bytes, _MAX_ZIP_RATIO * max(p.stat().st_size, 1))
    if total > limit:
        raise DataError(
            f"unpacks to {total:,} bytes, over the limit of {limit:,} (a ZIP bomb?)",
            source=str(p),
            problem_zh="解压后过大(疑似压缩炸弹)",
        )


def read_table(
    path: str | os.PathLike[str], layer: str | None = None, *, limits: ReadLimits = LOCAL
) -> pd.DataFrame:
    """Read a plain table (CSV, XLSX, or a non-spatial GeoPackage layer)."""
    p = Path(path)
    _check_file(p, limits)
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(p, dtype={"id": str}, encoding="utf-8-sig")
        elif suffix in {".xlsx", ".xls"}:
            if suffix == ".xlsx":
                _check_xlsx(p, limits)
            df = pd.read_excel(p, sheet_name=layer or 0, dtype={"id": str})
        elif suffix == ".gpkg":
            df = read_gpkg(p, layer, limits).frame
        else:
            raise DataError(
                f"{suffix} files hold no plain table", source=str(p), problem_zh="该文件不是表格"
            )
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte {exc.start}); save the table as UTF-8",
            source=_name(p, layer),
            problem_zh="不是UTF-8编码(请另存为UTF-8)",
        ) from None
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
    limits: ReadLimits = LOCAL,
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
    limits
        Size, feature and vertex limits (:data:`geodata.limits.LOCAL` for local files).
    """
    p = Path(path)
    _check_file(p, limits)
    target = parse_crs(crs)
    source = _name(p, layer)
    suffix = p.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        gdf = _points_from_table(read_table(p, layer, limits=limits), source)
    else:
        gdf = _read_vector(p, layer, limits, source)
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


def _read_vector(p: Path, layer: str | None, limits: ReadLimits, source: str) -> gpd.GeoDataFrame:
    suffix = p.suffix.lower()
    if suffix in (".geojson", ".json"):
        frame, geoms, file_crs = read_geojson(p, limits)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=file_crs)
    if suffix == ".gpkg":
        got = read_gpkg(p, layer, limits)
        if got.geometry is None:
            raise DataError(
                "is a table without geometry", source=source, problem_zh="该图层没有几何"
            )
        return gpd.GeoDataFrame(got.frame, geometry=gpd.GeoSeries(got.geometry), crs=got.crs)
    _check_magic(p)
    try:
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except Exception as exc:  # GDAL errors come in many types; name the file
        raise DataError(
            f"cannot be read: {exc}", source=source, problem_zh="无法读取文件"
        ) from None


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


def write_json(path: str | os.PathLike[str], doc: object) -> Path:
    """Write ``doc`` as UTF-8 JSON (Chinese kept readable, indented), atomically."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
