import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely

from geodata.io import read_layer
from geodata.osm import read_osm
from geodata.roads import parse_road_class, roads_from_lines
from solver.defaults import ROAD_CLASSES, RoadClass
from solver.errors import DataError
from tests.conftest import TINY


def test_tiny_grid_topology_from_end_points():
    """The 4x4 grid of 24 line pieces becomes 16 nodes and 24 edges."""
    net = roads_from_lines(read_layer(TINY / "roads.geojson"))
    assert (net.graph.n_nodes, net.graph.n_edges) == (16, 24)
    assert net.edges.loc[net.edge_index("h11"), "bridge"]


def test_lengths_are_measured_in_metres():
    """A 0.01 degree east-west piece at 37.7 N is about 880 m long."""
    net = roads_from_lines(read_layer(TINY / "roads.geojson"))
    assert net.graph.length_m[net.edge_index("h00")] == pytest.approx(881, abs=3)


def test_class_sets_speed_and_speed_column_overrides():
    """Speed comes from the class unless a speed_kmh value is given."""
    lines = read_layer(TINY / "roads.geojson")
    lines["speed_kmh"] = np.nan
    lines.loc[0, "speed_kmh"] = 12.0
    net = roads_from_lines(lines)
    assert net.graph.speed_kmh[0] == 12.0
    assert net.graph.speed_kmh[1] == ROAD_CLASSES[RoadClass(net.edges.road_class[1])].speed_kmh


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("motorway", RoadClass.EXPRESSWAY),
        ("国道", RoadClass.NATIONAL),
        ("County", RoadClass.COUNTY),
        ("residential", RoadClass.TOWNSHIP),
    ],
)
def test_road_class_aliases(value, expected):
    """OSM values, Chinese names and our names all map onto our classes."""
    assert parse_road_class(value) is expected


def test_unknown_class_names_record():
    """An unknown class is refused naming the road."""
    lines = read_layer(TINY / "roads.geojson")
    lines.loc[3, "road_class"] = "goat track"
    with pytest.raises(DataError, match="unknown road class 'goat track'") as info:
        roads_from_lines(lines, source="roads.geojson")
    assert info.value.record == lines.loc[3, "id"]


def test_non_positive_speed_refused():
    """A speed of zero is refused naming record and field."""
    lines = read_layer(TINY / "roads.geojson")
    lines["speed_kmh"] = 30.0
    lines.loc[2, "speed_kmh"] = 0.0
    with pytest.raises(DataError) as info:
        roads_from_lines(lines)
    assert (info.value.record, info.value.field) == (lines.loc[2, "id"], "speed_kmh")


def test_polygons_are_not_roads():
    """A polygon layer is refused as roads."""
    gdf = gpd.GeoDataFrame(
        {"road_class": ["county"]}, geometry=[shapely.box(115.6, 37.7, 115.61, 37.71)], crs=4326
    )
    with pytest.raises(DataError, match="must be lines"):
        roads_from_lines(gdf)


def test_duplicate_road_ids_refused():
    """Two roads with one id are refused."""
    lines = read_layer(TINY / "roads.geojson")
    lines.loc[1, "id"] = lines.loc[0, "id"]
    with pytest.raises(DataError, match="duplicate road id"):
        roads_from_lines(lines)


def write_pbf(path):
    """A T junction: way 10 (primary, A-B-C) and way 11 (residential, one-way B->D)."""
    with osmium.SimpleWriter(str(path)) as w:
        for i, (x, y) in enumerate(
            [(115.6, 37.7), (115.61, 37.7), (115.62, 37.7), (115.61, 37.71), (115.7, 37.8)], 1
        ):
            w.add_node(osmium.osm.mutable.Node(id=i, location=(x, y)))
        w.add_way(
            osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3], tags={"highway": "primary", "name": "A"})
        )
        w.add_way(
            osmium.osm.mutable.Way(
                id=11,
                nodes=[2, 4],
                tags={"highway": "residential", "oneway": "yes", "maxspeed": "15"},
            )
        )
        w.add_way(osmium.osm.mutable.Way(id=12, nodes=[3, 5], tags={"waterway": "river"}))


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="37.7" lon="115.6"/><node id="2" lat="37.7" lon="115.61"/>
  <node id="3" lat="37.7" lon="115.62"/><node id="4" lat="37.71" lon="115.61"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
  <way id="11"><nd ref="4"/><nd ref="2"/><tag k="highway" v="residential"/>
    <tag k="oneway" v="-1"/></way>
</osm>
"""


def test_osm_pbf_is_split_at_junctions_and_keeps_oneway(tmp_path):
    """Way 10 splits at the shared node; the one-way side street is u->v only."""
    path = tmp_path / "t.osm.pbf"
    write_pbf(path)
    net = read_osm(path)
    assert (net.graph.n_nodes, net.graph.n_edges) == (4, 3)
    side = net.edges.index[net.edges.road_class == "township"][0]
    assert net.graph.oneway[side] and net.graph.speed_kmh[side] == 15.0
    assert set(net.edges.road_class) == {"national", "township"}


def test_osm_xml_reverse_oneway(tmp_path):
    """oneway=-1 reverses the way: 4->2 is drawn, the edge runs 2->4."""
    path = tmp_path / "t.osm"
    path.write_text(OSM_XML)
    net = read_osm(path)
    side = net.edges.index[net.edges.road_class == "township"][0]
    start = shapely.get_coordinates(net.edges.geometry[side])[0]
    assert tuple(np.round(start, 4)) == (115.61, 37.7)
    assert net.graph.oneway[side]


def test_osm_without_roads_refused(tmp_path):
    """An extract without highway ways is refused."""
    path = tmp_path / "empty.osm"
    path.write_text(
        "<?xml version='1.0'?><osm version='0.6'><node id='1' lat='37' lon='115'/></osm>"
    )
    with pytest.raises(DataError, match="no drivable roads"):
        read_osm(path)
