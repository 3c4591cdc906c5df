"""Load an area (bundled by name, or a user's GeoPackage) into the objects the solvers use.

Layer schema (documented in DATA.md): ``depots``, ``points`` and ``roads`` are required;
``boundaries``, ``staging``, ``fleet``, ``vehicle_classes``, ``items``, ``rivers`` are
optional. Roads may also come from an OSM extract or a separate line file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.io import list_layers, read_layer, read_table
from geodata.limits import LOCAL, ReadLimits
from geodata.osm import read_osm
from geodata.records import (
    catalogue_from_frame,
    depots_from_frame,
    fleet_from_frame,
    points_from_frame,
    provenance_counts,
    staging_from_frame,
    vehicle_classes_from_frame,
)
from geodata.roads import RoadNetwork, roads_from_lines
from geodata.snap import Snap, snap
from solver.catalogue import DEFAULT_CATALOGUE
from solver.defaults import MAX_SNAP_M, SHELTER_M2_PER_PERSON
from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES
from solver.network import ReserveNetwork

DATA_DIR = Path(__file__).parent / "data"
BUNDLED = ("hengshui", "zhuozhou")
REQUIRED_LAYERS = ("depots", "points")


def area_path(spec: str | os.PathLike[str]) -> Path:
    """The GeoPackage behind a bundled area name or a user's path."""
    text = str(spec)
    if text.lower() in BUNDLED:
        return DATA_DIR / f"{text.lower()}.gpkg"
    path = Path(text)
    if not path.exists():
        raise DataError(
            f"is neither a bundled area ({', '.join(BUNDLED)}) nor an existing file",
            source=text,
            field="area",
            problem_zh=f"既不是内置区域({'、'.join(BUNDLED)})也不是已有文件",
        )
    return path


@dataclass(frozen=True, eq=False)
class Area:
    """One area: its reserve network, roads, and the layers they were read from."""

    name: str
    path: Path
    network: ReserveNetwork
    roads: RoadNetwork
    layers: dict[str, pd.DataFrame] = field(repr=False)
    max_snap_m: float = MAX_SNAP_M

    @property
    def boundaries(self) -> gpd.GeoDataFrame | None:
        """County boundaries when the area has them."""
        return self.layers.get("boundaries")

    @property
    def rivers(self) -> gpd.GeoDataFrame | None:
        """River lines when the area has them."""
        return self.layers.get("rivers")

    sources: dict[str, str] = field(default_factory=dict)

    @cached_property
    def depot_snap(self) -> Snap:
        """Each depot's road node and access distance."""
        d = self.network.depots
        return snap(
            self.roads,
            [x.lon for x in d],
            [x.lat for x in d],
            [x.id for x in d],
            max_m=self.max_snap_m,
            source=self.sources.get("depots", f"{self.path}:depots"),
        )

    @cached_property
    def point_snap(self) -> Snap:
        """Each point's road node and access distance."""
        p = self.network.points
        return snap(
            self.roads,
            [x.lon for x in p],
            [x.lat for x in p],
            [x.id for x in p],
            max_m=self.max_snap_m,
            source=self.sources.get("points", f"{self.path}:points"),
        )

    def provenance(self) -> dict[str, dict[str, int]]:
        """Counts of real / proxy / synthetic records per layer."""
        return provenance_counts(self.layers)


def load_area(
    spec: str | os.PathLike[str],
    *,
    crs: str | None = None,
    roads: str | os.PathLike[str] | None = None,
    depots: str | os.PathLike[str] | None = None,
    points: str | os.PathLike[str] | None = None,
    m2_per_person: float = SHELTER_M2_PER_PERSON,
    max_snap_m: float = MAX_SNAP_M,
    limits: ReadLimits = LOCAL,
) -> Area:
    """Load a bundled area by name (``hengshui``, ``zhuozhou``) or a user's GeoPackage.

    Parameters
    ----------
    crs
        For a user's file: what its coordinates are (``wgs84``, ``gcj02``, ``bd09``, EPSG).
    roads
        Roads from elsewhere: an OSM extract (``.osm``, ``.osm.pbf``) or a line file; replaces
        the ``roads`` layer.
    depots, points
        Files (CSV, XLSX, GeoJSON, ...) replacing the area's ``depots`` or ``points`` layer.
    limits
        Size, feature and vertex limits for each file and layer read.
    """
    path = area_path(spec)
    bundled = str(spec).lower() in BUNDLED
    names = set(list_layers(path, limits=limits))
    for required in REQUIRED_LAYERS:
        if required not in names and {"depots": depots, "points": points}[required] is None:
            raise DataError(
                f"missing layer {required!r}; layers present: {', '.join(sorted(names))}",
                source=str(path),
                field=required,
                problem_zh=f"缺少图层 {required!r}",
            )
    use_crs = None if bundled else crs
    layers: dict[str, pd.DataFrame] = {}
    for name in ("boundaries", "depots", "points", "staging", "rivers"):
        if name in names:
            layers[name] = read_layer(path, name, crs=use_crs, limits=limits)
    sources = {"depots": f"{path}:depots", "points": f"{path}:points"}
    for name, given in (("depots", depots), ("points", points)):
        if given is not None:
            layers[name] = read_layer(given, crs=crs, limits=limits)
            sources[name] = str(given)
    for name in ("fleet", "vehicle_classes", "items", "meta"):
        if name in names:
            layers[name] = read_table(path, name, limits=limits)
    catalogue = DEFAULT_CATALOGUE
    if "items" in layers:
        catalogue = catalogue_from_frame(layers["items"], catalogue, source=f"{path}:items")
    classes = DEFAULT_VEHICLE_CLASSES
    if "vehicle_classes" in layers:
        own = vehicle_classes_from_frame(
            layers["vehicle_classes"], source=f"{path}:vehicle_classes"
        )
        by_id = {c.id: c for c in classes} | {c.id: c for c in own}
        classes = tuple(by_id.values())
    src = str(path)
    try:
        network = ReserveNetwork(
            depots=depots_from_frame(layers["depots"], catalogue, source=sources["depots"]),
            points=points_from_frame(
                layers["points"], source=sources["points"], m2_per_person=m2_per_person
            ),
            staging=(
                staging_from_frame(layers["staging"], source=f"{src}:staging")
                if "staging" in layers
                else ()
            ),
            fleet=(
                fleet_from_frame(layers["fleet"], source=f"{src}:fleet")
                if "fleet" in layers
                else ()
            ),
            vehicle_classes=classes,
            catalogue=catalogue,
        )
    except DataError as exc:
        raise exc.located(source=src) from None
    road_net = load_roads(roads, crs=crs) if roads is not None else None
    if road_net is None:
        if "roads" not in names:
            raise DataError(
                "has no 'roads' layer; pass roads from an OSM extract or a line file",
                source=src,
                field="roads",
                problem_zh="缺少道路图层",
            )
        lines = read_layer(path, "roads", crs=use_crs, limits=limits)
        layers["roads"] = lines
        road_net = roads_from_lines(lines, source=f"{src}:roads")
    meta = layers.get("meta")
    name = path.stem
    if meta is not None and "key" in meta.columns:
        values = dict(zip(meta["key"], meta["value"], strict=True))
        name = str(values.get("area", name))
    return Area(
        name=name,
        path=path,
        network=network,
        roads=road_net,
        layers=layers,
        max_snap_m=max_snap_m,
        sources=sources,
    )


def load_roads(path: str | os.PathLike[str], *, crs: str | None = None) -> RoadNetwork:
    """Roads from an OSM extract (``.osm``/``.osm.pbf``) or a line layer file."""
    text = str(path).lower()
    if text.endswith((".osm", ".osm.pbf", ".pbf")):
        return read_osm(path)
    return roads_from_lines(read_layer(path, crs=crs), source=str(path))


def summary(area: Area) -> dict[str, object]:
    """Counts for ``relief network``: graph, depots by tier, people, stock, provenance."""
    net = area.network
    people = sum(p.population for p in net.points)
    shelters = [p for p in net.points if p.capacity is not None]
    stock = net.stock_by_group()
    cat = net.catalogue
    tiers: dict[str, int] = {}
    for d in net.depots:
        tiers[d.tier.value] = tiers.get(d.tier.value, 0) + 1
    vehicles: dict[str, int] = {}
    for f in net.fleet:
        vehicles[f.vehicle_class] = vehicles.get(f.vehicle_class, 0) + f.count
    return {
        "area": area.name,
        "nodes": area.roads.graph.n_nodes,
        "edges": area.roads.graph.n_edges,
        "edges_by_class": area.roads.counts_by_class(),
        "road_km": float(np.sum(area.roads.graph.length_m) / 1000.0),
        "depots_by_tier": tiers,
        "points": len(net.points),
        "people": people,
        "shelters": len(shelters),
        "shelter_capacity": sum(p.capacity or 0 for p in shelters),
        "staging": len(net.staging),
        "vehicles": vehicles,
        "stock_by_group": {
            g.value: {
                "units": sum(v for v in items.values()),
                "tonnes": cat.weight_kg(items) / 1000.0,
                "m3": cat.volume_m3(items),
            }
            for g, items in stock.items()
        },
        "provenance": area.provenance(),
    }
