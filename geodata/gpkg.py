"""GeoPackages read through SQLite alone, after the checks a hostile file must pass.

A GeoPackage is an SQLite database: it is opened read-only and immutable (no journal, no
writes, so no trigger ever fires), with ``trusted_schema`` off, and refused unless

* its header says SQLite and its application id says GeoPackage;
* ``gpkg_contents``, ``gpkg_geometry_columns`` and ``gpkg_spatial_ref_sys`` are there;
* every table is a data table listed in ``gpkg_contents``, a ``gpkg_*`` table of the
  standard, or the R-tree spatial index of a geometry column; no views; no virtual table
  but those R-trees;
* every trigger is one the standard or GDAL's feature counts define, on its own table;
* each geometry blob has the GeoPackage binary header (standard, not extended) and WKB
  whose structure :mod:`geodata.wkb` checks (nesting, declared counts) before GEOS decodes it;
* the layer keeps within its feature and vertex limits.

References
----------
OGC GeoPackage Encoding Standard 1.3.1 (OGC 12-128r18), clauses 1.1.3 (binary header),
2.1.5 (contents), 2.1.6 (geometry columns), F.3 (R-tree spatial index triggers).
"""

from __future__ import annotations

import re
import sqlite3
import struct
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata.limits import ReadLimits, check_count, check_size
from geodata.wkb import checked_vertices
from solver.errors import DataError

_MAGIC = b"SQLite format 3\x00"
#: 'GPKG', and the ids of GeoPackage 1.0 ('GP10') and 1.1 ('GP11').
_APP_IDS = {0x47504B47, 0x47503130, 0x47503131}
_STANDARD_TABLES = {
    "gpkg_spatial_ref_sys",
    "gpkg_contents",
    "gpkg_geometry_columns",
    "gpkg_tile_matrix_set",
    "gpkg_tile_matrix",
    "gpkg_extensions",
    "gpkg_ogr_contents",
    "gpkg_data_columns",
    "gpkg_data_column_constraints",
    "gpkg_metadata",
    "gpkg_metadata_reference",
    "sqlite_sequence",
    "sqlite_stat1",
    "sqlite_stat4",
}
_TILE_TRIGGER = re.compile(
    r"gpkg_tile_matrix_(zoom_level|matrix_width|matrix_height|pixel_x_size|pixel_y_size)_"
    r"(insert|update)"
)
_METADATA_TRIGGER = re.compile(
    r"gpkg_metadata(_reference)?_(md_scope|reference_scope|column_name|row_id_value|"
    r"timestamp)_(insert|update)"
)
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


@dataclass(frozen=True)
class GpkgLayer:
    """One layer as read: its attributes, geometries (None for a table) and CRS."""

    name: str
    frame: pd.DataFrame
    geometry: np.ndarray | None
    crs: CRS | None


def _bad(problem: str, source: str, zh: str = "不是有效的GeoPackage文件") -> DataError:
    return DataError(problem, source=source, problem_zh=zh)


def _open(path: Path, limits: ReadLimits) -> sqlite3.Connection:
    source = str(path)
    check_size(path.stat().st_size, limits, source)
    with path.open("rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(_MAGIC):
        raise _bad("not a GeoPackage (not an SQLite database)", source)
    (app_id,) = struct.unpack(">I", head[68:72])
    if app_id not in _APP_IDS:
        raise _bad("an SQLite database, but its application id is not GeoPackage", source)
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA query_only = ON")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(limits.max_bytes, 1_000_000))
    try:
        _check_schema(conn, source)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _bad(f"not a readable GeoPackage: {exc}", source) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _check_schema(conn: sqlite3.Connection, source: str) -> None:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    tables = {name for kind, name, _, _ in rows if kind == "table"}
    for need in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"):
        if need not in tables:
            raise _bad(f"no {need} table: not a GeoPackage", source)
    contents = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
    geoms = {
        (t, c) for t, c in conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
    }
    rtrees = {f"rtree_{t}_{c}" for t, c in geoms}
    shadows = {f"{r}_{s}" for r in rtrees for s in ("rowid", "node", "parent")}
    for kind, name, table, sql in rows:
        sql = sql or ""
        if kind == "view":
            raise _bad(
                f"holds a view ({name!r}); a GeoPackage upload may not",
                source,
                "GeoPackage中不允许视图",
            )
        if kind == "table":
            virtual = sql.lstrip().upper().startswith("CREATE VIRTUAL TABLE")
            if name in rtrees:
                if not (virtual and re.search(r"\bUSING\s+rtree\s*\(", sql, re.IGNORECASE)):
                    raise _bad(f"{name!r} is not an R-tree index", source)
            elif virtual:
                raise _bad(f"holds a virtual table ({name!r})", source, "GeoPackage中不允许虚拟表")
            elif name not in contents and name not in _STANDARD_TABLES and name not in shadows:
                raise _bad(
                    f"holds table {name!r}, which gpkg_contents does not list",
                    source,
                    f"GeoPackage中有未登记的表 {name!r}",
                )
        if kind == "trigger" and not _standard_trigger(name, table, contents, geoms):
            raise _bad(
                f"holds trigger {name!r} on {table!r}, which the standard does not define",
                source,
                f"GeoPackage中有非标准触发器 {name!r}",
            )


def _standard_trigger(
    name: str, table: str, contents: set[str], geoms: set[tuple[str, str]]
) -> bool:
    if table == "gpkg_tile_matrix" and _TILE_TRIGGER.fullmatch(name):
        return True
    if table in ("gpkg_metadata", "gpkg_metadata_reference") and _METADATA_TRIGGER.fullmatch(name):
        return True
    if table in contents and name in (
        f"trigger_insert_feature_count_{table}",
        f"trigger_delete_feature_count_{table}",
    ):
        return True
    return any(
        t == table
        and re.fullmatch(rf"rtree_{re.escape(t)}_{re.escape(c)}_(insert|update\d|delete)", name)
        for t, c in geoms
    )


def gpkg_layers(path: Path, limits: ReadLimits) -> list[str]:
    """Layer names in ``gpkg_contents`` order."""
    conn = _open(path, limits)
    try:
        return [
            str(r[0]) for r in conn.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid")
        ]
    finally:
        conn.close()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_gpkg(path: Path, layer: str | None, limits: ReadLimits) -> GpkgLayer:
    """Read one layer (the first when ``layer`` is None); see the module docstring."""
    source = f"{path}:{layer}" if layer else str(path)
    conn = _open(path, limits)
    try:
        return _read(conn, path, layer, limits, source)
    except sqlite3.DatabaseError as exc:
        raise _bad(f"not a readable GeoPackage: {exc}", source) from None
    finally:
        conn.close()


def _read(
    conn: sqlite3.Connection, path: Path, layer: str | None, limits: ReadLimits, source: str
) -> GpkgLayer:
    names = [str(r[0]) for r in conn.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid")]
    if not names:
        raise _bad("has no layers", source, "GeoPackage中没有图层")
    if layer is None:
        layer = names[0]
    elif layer not in names:
        raise DataError(
            f"no layer {layer!r}; layers: {', '.join(names)}",
            source=str(path),
            problem_zh=f"无图层 {layer!r}",
        )
    info = conn.execute(f"PRAGMA table_info({_q(layer)})").fetchall()
    if not info:
        raise _bad(f"layer {layer!r} is listed but has no table", source)
    geo = conn.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
    ).fetchone()
    geom_col = str(geo[0]) if geo else None
    pk = [str(c[1]) for c in info if c[5]]
    columns = [str(c[1]) for c in info if str(c[1]) != geom_col and str(c[1]) not in pk]
    booleans = {str(c[1]) for c in info if str(c[2]).upper() == "BOOLEAN"}
    (n,) = conn.execute(f"SELECT count(*) FROM {_q(layer)}").fetchone()
    check_count("features", int(n), limits.max_features, source, zh="要素")
    select = [*(_q(c) for c in columns), *([_q(geom_col)] if geom_col else [])]
    order = f" ORDER BY {_q(pk[0])}" if pk else ""
    rows = conn.execute(f"SELECT {', '.join(select) or 'NULL'} FROM {_q(layer)}{order}").fetchall()
    width = len(columns)
    frame = pd.DataFrame([r[:width] for r in rows], columns=columns)
    for col in booleans & set(columns):
        if frame[col].notna().all():
            frame[col] = frame[col].astype(bool)
    if geom_col is None:
        return GpkgLayer(layer, frame, None, None)
    ids = frame["id"].astype(str).tolist() if "id" in frame.columns else None
    wkbs: list[bytes | None] = []
    vertices = 0
    for i, r in enumerate(rows):
        record = ids[i] if ids else f"feature {i + 1}"
        blob = r[width]
        if blob is None:
            wkbs.append(None)
            continue
        start = _wkb_start(bytes(blob), source, record)
        if start is None:
            wkbs.append(None)
            continue
        vertices += checked_vertices(blob, start, source=source, record=record)
        check_count("vertices", vertices, limits.max_vertices, source, zh="顶点")
        wkbs.append(bytes(blob[start:]))
    geometry = shapely.from_wkb(np.array(wkbs, dtype=object))
    return GpkgLayer(layer, frame, geometry, _crs(conn, int(geo[1]), source))


def _wkb_start(blob: bytes, source: str, record: str) -> int | None:
    """Where the WKB starts after the GeoPackage binary header; None for an empty geometry."""
    if len(blob) < 8 or blob[:2] != b"GP":
        raise DataError(
            "geometry blob lacks the GeoPackage header ('GP')",
            source=source,
            record=record,
            field="geometry",
            problem_zh="几何数据无效",
        )
    flags = blob[3]
    if flags & 0b100000:
        raise DataError(
            "extended GeoPackage geometry types are not read",
            source=source,
            record=record,
            field="geometry",
            problem_zh="不支持扩展几何类型",
        )
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope is None:
        raise DataError(
            "geometry header has an invalid envelope code",
            source=source,
            record=record,
            field="geometry",
            problem_zh="几何数据无效",
        )
    if flags & 0b10000:  # the empty-geometry flag
        return None
    return 8 + envelope


def _crs(conn: sqlite3.Connection, srs_id: int, source: str) -> CRS | None:
    row = conn.execute(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
        "WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None or srs_id in (0, -1):
        return None
    org, code, definition = row
    try:
        if str(org).upper() == "EPSG":
            return CRS.from_epsg(int(code))
        return CRS.from_wkt(str(definition))
    except Exception:  # pyproj raises CRSError and others; name the file either way
        raise DataError(
            f"unknown coordinate reference system (srs_id {srs_id})",
            source=source,
            field="crs",
            problem_zh="无法识别的坐标参考系",
        ) from None
