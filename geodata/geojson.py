"""GeoJSON read with a JSON parser and shapely, never GDAL.

The document is UTF-8 JSON (RFC 8259) holding a FeatureCollection, a Feature or a bare
geometry (RFC 7946). Before any geometry is built the reader checks the nesting depth, that
every coordinate is a finite number, and the layer's feature and vertex limits. Anything
that is not JSON, say a GDAL virtual-format (VRT) XML document named ``.geojson``, is
refused as not JSON: nothing in a document is ever followed to a URL or another file.

A legacy ``crs`` member (GeoJSON 2008) naming an EPSG code is honoured: the coordinates
are read in that CRS and reprojected to WGS84 with a warning naming the file; any other
``crs`` member is refused. RFC 7946 GeoJSON has no ``crs``: it is always WGS84.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from pyproj import CRS

from geodata.limits import ReadLimits, check_count, check_size
from solver.errors import DataError

log = logging.getLogger(__name__)

_GEOMETRIES = {
    "Point": 0,
    "LineString": 1,
    "Polygon": 2,
    "MultiPoint": 1,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
_LEGACY_CRS = re.compile(
    r"(?:urn:ogc:def:crs:EPSG:[\d.]*:|EPSG:)(\d{4,6})|urn:ogc:def:crs:OGC:1\.3:CRS84",
    re.IGNORECASE,
)


class _NotJsonNumber(str):
    """``NaN`` / ``Infinity`` written in a document: JSON has no such numbers.

    The parser keeps them as this marker so that the check that meets one names its
    record and field (a depth, a coordinate) instead of failing the whole document.
    """

    __slots__ = ()


def read_geojson(path: Path, limits: ReadLimits) -> tuple[pd.DataFrame, np.ndarray, CRS | None]:
    """Properties, geometries and the legacy CRS (None: WGS84) of a GeoJSON file."""
    source = str(path)
    check_size(path.stat().st_size, limits, source)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte {exc.start}); GeoJSON is UTF-8",
            source=source,
            problem_zh="不是UTF-8编码的文本(GeoJSON须为UTF-8)",
        ) from None
    try:
        doc = json.loads(text, parse_constant=_NotJsonNumber)
    except RecursionError:
        raise DataError(
            "nested too deeply to be GeoJSON", source=source, problem_zh="嵌套层次过深"
        ) from None
    except ValueError as exc:
        first = text.lstrip()[:1]
        hint = " (it looks like XML, e.g. a GDAL VRT: refused)" if first == "<" else ""
        raise DataError(
            f"not valid JSON{hint}: {exc}", source=source, problem_zh="不是有效的JSON(GeoJSON)文件"
        ) from None
    features = _features(doc, source)
    check_count("features", len(features), limits.max_features, source, zh="要素")
    props: list[dict[str, Any]] = []
    geoms: list[Any] = []
    vertices = 0
    for i, feat in enumerate(features):
        record = _record(feat, i)
        where = f"features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise DataError(
                "not a GeoJSON Feature",
                source=source,
                record=record,
                field=where,
                problem_zh="不是GeoJSON要素",
            )
        p = feat.get("properties")
        if p is None:
            p = {}
        if not isinstance(p, dict):
            raise DataError(
                "properties must be an object",
                source=source,
                record=record,
                field=f"{where}.properties",
                problem_zh="properties 须为对象",
            )
        if (
            "id" not in p
            and isinstance(feat.get("id"), str | int)
            and not isinstance(feat.get("id"), bool)
        ):
            p = {"id": feat["id"], **p}
        geom = feat.get("geometry")
        if geom is None:
            geoms.append(None)
        else:
            vertices += _vertices(geom, limits.max_depth, source, record, f"{where}.geometry", 0)
            check_count("vertices", vertices, limits.max_vertices, source, zh="顶点")
            geoms.append(geom)
        props.append(p)
    built = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        if geom is None:
            continue
        try:
            built[i] = shapely.geometry.shape(geom)
        except Exception as exc:  # shapely raises several types for a bad geometry
            raise DataError(
                f"geometry cannot be built: {exc}",
                source=source,
                record=_record(features[i], i),
                field="geometry",
                problem_zh="几何数据无效",
            ) from None
    # NaN / Infinity written as numbers: the property's check names them (not a number).
    props = [
        {k: (str(v) if isinstance(v, _NotJsonNumber) else v) for k, v in p.items()} for p in props
    ]
    frame = pd.DataFrame.from_records(props) if props else pd.DataFrame()
    frame = frame.reindex(range(len(props)))
    return frame, built, _legacy_crs(doc, source)


def _features(doc: Any, source: str) -> list[Any]:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise DataError(
                "a FeatureCollection needs a features array",
                source=source,
                field="features",
                problem_zh="FeatureCollection 缺少 features 数组",
            )
        return feats
    if kind == "Feature":
        return [doc]
    if kind in _GEOMETRIES or kind == "GeometryCollection":
        return [{"type": "Feature", "properties": {}, "geometry": doc}]
    raise DataError(
        "not GeoJSON: expected a FeatureCollection, Feature or geometry",
        source=source,
        field="type",
        problem_zh="不是GeoJSON(须为要素集、要素或几何)",
    )


def _record(feat: Any, i: int) -> str:
    if isinstance(feat, dict):
        p = feat.get("properties")
        if isinstance(p, dict) and p.get("id") is not None:
            return str(p["id"])[:100]
        if isinstance(feat.get("id"), str | int):
            return str(feat["id"])[:100]
    return f"feature {i + 1}"


def _vertices(geom: Any, max_depth: int, source: str, record: str, where: str, depth: int) -> int:
    """Count a geometry's vertices, refusing bad structure or numbers before shapely sees it."""

    def bad(problem: str, zh: str = "几何数据无效") -> DataError:
        return DataError(problem, source=source, record=record, field=where, problem_zh=zh)

    if depth > 2:
        raise bad("geometry collections nested too deeply")
    if not isinstance(geom, dict):
        raise bad("geometry must be an object")
    kind = geom.get("type")
    if kind == "GeometryCollection":
        parts = geom.get("geometries")
        if not isinstance(parts, list):
            raise bad("a GeometryCollection needs a geometries array")
        return sum(_vertices(g, max_depth, source, record, where, depth + 1) for g in parts)
    if kind not in _GEOMETRIES:
        raise bad(f"unknown geometry type {kind!r}")
    levels = _GEOMETRIES[str(kind)]
    count = 0
    stack: list[tuple[Any, int]] = [(geom.get("coordinates"), levels)]
    while stack:
        value, level = stack.pop()
        if not isinstance(value, list):
            raise bad(f"{kind} coordinates are not nested arrays as the type needs")
        if level == 0:
            if not 2 <= len(value) <= 4:
                raise bad("a position has 2 to 4 numbers")
            for x in value:
                if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                    shown = str(x) if isinstance(x, _NotJsonNumber) else repr(x)
                    raise bad(f"coordinate {shown} is not a finite number", "坐标不是有限数值")
            count += 1
        else:
            stack.extend((v, level - 1) for v in value)
    return count


def _legacy_crs(doc: Any, source: str) -> CRS | None:
    member = doc.get("crs") if isinstance(doc, dict) else None
    if member is None:
        return None
    name = None
    if isinstance(member, dict) and member.get("type") == "name":
        props = member.get("properties")
        name = props.get("name") if isinstance(props, dict) else None
    m = _LEGACY_CRS.fullmatch(str(name or "").strip())
    if not isinstance(name, str) or m is None:
        raise DataError(
            f"crs member {json.dumps(member, ensure_ascii=False)[:120]} is not an EPSG code; "
            "GeoJSON (RFC 7946) is WGS84 longitude/latitude: remove the crs member or "
            "reproject",
            source=source,
            field="crs",
            problem_zh="无法识别的 crs 成员(GeoJSON 应为 WGS84 经纬度)",
        )
    if m.group(1) is None or m.group(1) == "4326":
        return None
    try:
        crs = CRS.from_epsg(int(m.group(1)))
    except Exception:  # pyproj's CRSError
        raise DataError(
            f"unknown EPSG code in crs member: {name}",
            source=source,
            field="crs",
            problem_zh="crs 成员中的EPSG代码无效",
        ) from None
    log.warning(
        "%s: legacy crs member %s: coordinates read in it and reprojected to WGS84 "
        "(GeoJSON is WGS84 longitude/latitude)",
        source,
        name,
    )
    return crs
