"""Road networks from OpenStreetMap extracts (``.osm`` XML or ``.osm.pbf``).

Ways with a drivable ``highway`` tag are split at every node they share with another way,
so junctions become graph nodes; ``oneway`` (including ``-1`` and motorway/roundabout
defaults) and a numeric ``maxspeed`` lower than the class's truck speed are honoured.
pyosmium (libosmium) reads both formats; the split and the mapping are ours.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely

from geodata.roads import CLASS_ALIASES, RoadNetwork, roads_from_lines
from solver.defaults import ROAD_CLASSES
from solver.errors import DataError

_ONEWAY_YES = {"yes", "true", "1"}


def _maxspeed(text: str | None) -> float:
    if not text:
        return np.nan
    head = text.strip().split()[0].split(";")[0]
    try:
        value = float(head)
    except ValueError:
        return np.nan
    return value * 1.609344 if "mph" in text else value


def read_osm(path: str | os.PathLike[str]) -> RoadNetwork:
    """Read the drivable roads of an OSM extract into a :class:`RoadNetwork`."""
    p = Path(path)
    if not p.exists():
        raise DataError("file does not exist", source=str(p), problem_zh="文件不存在")
    if p.stat().st_size == 0:
        raise DataError("file is empty", source=str(p), problem_zh="文件为空")
    ways: list[tuple[int, list[int], list[tuple[float, float]], dict[str, str]]] = []
    try:
        for obj in osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations():
            if not isinstance(obj, osmium.osm.Way):
                continue
            highway = str(obj.tags.get("highway", ""))
            if highway not in CLASS_ALIASES:
                continue
            refs = [n.ref for n in obj.nodes]
            coords = [(n.lon, n.lat) for n in obj.nodes]
            tags = {
                k: str(obj.tags.get(k))
                for k in ("highway", "oneway", "name", "maxspeed", "bridge", "junction", "ref")
                if obj.tags.get(k) is not None
            }
            ways.append((obj.id, refs, coords, tags))
    except osmium.InvalidLocationError as exc:
        raise DataError(
            f"a way refers to a node that is not in the file ({exc})",
            source=str(p),
            problem_zh="道路引用了文件中不存在的节点",
        ) from None
    except RuntimeError as exc:
        raise DataError(
            f"cannot be read as OSM: {exc}", source=str(p), problem_zh="无法按OSM格式读取"
        ) from None
    if not ways:
        raise DataError(
            "has no drivable roads (highway=*)", source=str(p), problem_zh="没有可通行道路"
        )
    use = Counter(ref for _, refs, _, _ in ways for ref in refs)
    rows = []
    for way_id, refs, coords, tags in ways:
        road_class = CLASS_ALIASES[tags["highway"]]
        oneway_tag = tags.get("oneway", "").lower()
        reverse = oneway_tag == "-1"
        oneway = (
            oneway_tag in _ONEWAY_YES
            or reverse
            or (
                oneway_tag != "no"
                and (tags["highway"] == "motorway" or tags.get("junction") == "roundabout")
            )
        )
        limit = _maxspeed(tags.get("maxspeed"))
        speed = ROAD_CLASSES[road_class].speed_kmh
        if np.isfinite(limit) and limit > 0:
            speed = min(speed, limit)
        start = 0
        for k in range(1, len(refs)):
            if k < len(refs) - 1 and use[refs[k]] < 2:
                continue
            part = coords[start : k + 1]
            if reverse:
                part = part[::-1]
            if len(part) >= 2 and part[0] != part[-1]:
                rows.append(
                    {
                        "id": f"w{way_id}-{start}",
                        "road_class": road_class.value,
                        "speed_kmh": speed,
                        "oneway": oneway,
                        "name": tags.get("name", ""),
                        "bridge": tags.get("bridge", "no") not in ("no", ""),
                        "provenance": "real",
                        "geometry": shapely.LineString(part),
                    }
                )
            start = k
    return roads_from_lines(
        gpd.GeoDataFrame(rows, geometry="geometry", crs=4326), source=str(p), tolerance_m=0.01
    )
