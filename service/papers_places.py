"""What the papers know about places and roads beyond the plan: names, counties, addresses.

A plan document names places by id (and shelters by name). The papers also print a depot's
name, each place's county, address and contact, and draw a small map, so they take a
:class:`Directory` built from the area. Address, contact and phone come from the area's own
depot and point layers when those have such columns (``address``/``地址``,
``contact``/``联系人``, ``phone``/``电话``); the bundled areas have none, and the papers then
print blank lines to fill in, never invented values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Column names (lower case) an area's layer may use for each contact field.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("address", "addr", "地址", "详细地址"),
    "contact": ("contact", "contact_name", "联系人", "负责人"),
    "phone": ("phone", "tel", "telephone", "contact_phone", "电话", "联系电话"),
}


@dataclass(frozen=True, slots=True)
class Place:
    """A depot, shelter or staging point as the papers print it ("" where the data has none)."""

    id: str
    name: str = ""
    county: str = ""
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    contact: str = ""
    phone: str = ""


#: Road classes drawn on a map whatever its scale (minor roads only on close-ups).
MAIN_CLASSES = frozenset({"expressway", "national", "provincial", "county"})


@dataclass(frozen=True, slots=True)
class RoadLines:
    """The area's roads as polylines (lon/lat), with their class, for the small maps."""

    lines: tuple[tuple[tuple[float, float], ...], ...] = ()
    classes: tuple[str, ...] = ()
    water: tuple[tuple[tuple[float, float], ...], ...] = ()
    _line_bounds: np.ndarray = field(init=False, repr=False, compare=False)
    _water_bounds: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_line_bounds", _bounds(self.lines))
        object.__setattr__(self, "_water_bounds", _bounds(self.water))

    def within(self, box: tuple[float, float, float, float], *, minor: bool = True) -> RoadLines:
        """The lines that cross ``box`` (lon0, lat0, lon1, lat1); minor roads only if ``minor``.

        A line is kept when its own bounding box overlaps ``box`` (the map clips the rest).
        """
        keep = [
            k
            for k in _overlapping(self._line_bounds, box)
            if minor or self.classes[k] in MAIN_CLASSES
        ]
        return RoadLines(
            tuple(self.lines[k] for k in keep),
            tuple(self.classes[k] for k in keep),
            tuple(self.water[k] for k in _overlapping(self._water_bounds, box)),
        )


def _bounds(lines: tuple[tuple[tuple[float, float], ...], ...]) -> np.ndarray:
    """Each line's (min lon, min lat, max lon, max lat) as an (n, 4) array."""
    out = np.empty((len(lines), 4))
    for k, line in enumerate(lines):
        xy = np.asarray(line, dtype=float)
        out[k, :2] = xy.min(axis=0)
        out[k, 2:] = xy.max(axis=0)
    return out


def _overlapping(bounds: np.ndarray, box: tuple[float, float, float, float]) -> list[int]:
    """Indices of the rows of ``bounds`` that overlap ``box``."""
    if not len(bounds):
        return []
    x0, y0, x1, y1 = box
    hit = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    return [int(k) for k in np.flatnonzero(hit)]


@dataclass(frozen=True, slots=True)
class Directory:
    """Places by id, the area's roads and the data's source line, for the papers."""

    places: Mapping[str, Place] = field(default_factory=dict)
    roads: RoadLines = field(default_factory=RoadLines)
    #: The area's data file, and how many of its depots and points are real, proxy, synthetic.
    source_file: str = ""
    provenance: Mapping[str, int] = field(default_factory=dict)

    def get(self, place_id: str, name: str = "") -> Place:
        """The place ``place_id``; an unknown id is a place with only its id (and ``name``)."""
        known = self.places.get(place_id)
        if known is not None:
            return known
        return Place(id=place_id, name=name)


def _text(value: object) -> str:
    """A cell as text: "" for missing values (None, NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _contact_fields(layer: Any) -> dict[str, dict[str, str]]:
    """Per id, the address/contact/phone the layer holds (only the columns it has)."""
    if layer is None or "id" not in getattr(layer, "columns", ()):
        return {}
    by_lower = {str(c).lower(): c for c in layer.columns}
    found = {
        key: next((by_lower[c] for c in names if c in by_lower), None)
        for key, names in FIELD_COLUMNS.items()
    }
    out: dict[str, dict[str, str]] = {}
    for _, row in layer.iterrows():
        values = {k: _text(row[c]) for k, c in found.items() if c is not None}
        if any(values.values()):
            out[str(row["id"])] = values
    return out


def _lines(geoms: Iterable[Any]) -> list[tuple[tuple[float, float], ...]]:
    """Each (multi)line geometry as tuples of (lon, lat); other geometries are skipped."""
    out: list[tuple[tuple[float, float], ...]] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        parts = getattr(g, "geoms", [g])
        for part in parts:
            if part.geom_type == "LineString":
                out.append(tuple((float(x), float(y)) for x, y in part.coords))
    return out


def directory_from_area(area: Any, network: Any = None) -> Directory:
    """A :class:`Directory` of an area (``geodata.area.Area``).

    It holds the depots, points and staging points of ``network`` (a scenario's network, with
    its added shelters; default the area's own), and the area's roads and rivers.
    """
    extra = {
        **_contact_fields(area.layers.get("depots")),
        **_contact_fields(area.layers.get("points")),
    }
    places: dict[str, Place] = {}
    net = network if network is not None else area.network
    for rec in (*net.depots, *net.points, *net.staging):
        more = extra.get(rec.id, {})
        places[rec.id] = Place(
            id=rec.id,
            name=rec.name,
            county=getattr(rec, "county", ""),
            lon=rec.lon,
            lat=rec.lat,
            **more,
        )
    edges = area.roads.edges
    lines = _lines(edges.geometry) if len(edges) else []
    classes = (
        [str(c) for c in edges["road_class"]]
        if "road_class" in edges and len(lines) == len(edges)
        else ["road"] * len(lines)
    )
    rivers = area.rivers
    water = _lines(rivers.geometry) if rivers is not None and len(rivers) else []
    counts: dict[str, int] = {}
    for rec in (*net.depots, *net.points):
        key = str(getattr(rec.provenance, "value", rec.provenance))
        counts[key] = counts.get(key, 0) + 1
    return Directory(
        places,
        RoadLines(tuple(lines), tuple(classes), tuple(water)),
        source_file=area.path.name,
        provenance=counts,
    )
