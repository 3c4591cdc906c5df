import pytest

from solver.defaults import Tier
from solver.errors import DataError
from solver.fleet import FleetEntry, VehicleClass
from solver.network import Depot, Point, PointKind, ReserveNetwork, shelter_capacity


def depot(did="D1", **kw):
    base = dict(
        id=did,
        name=did,
        tier=Tier.COUNTY,
        lon=115.6,
        lat=37.7,
        stock={"water": 10},
        loading_t_per_h=5.0,
        alert_delay_h=1.0,
    )
    base.update(kw)
    return Depot(**base)


def point(pid="P1", **kw):
    base = dict(id=pid, name=pid, kind=PointKind.VILLAGE, lon=115.61, lat=37.71, population=50)
    base.update(kw)
    return Point(**base)


def test_negative_stock_names_depot_and_item():
    """A negative stock is refused with the depot id and the stock column named."""
    with pytest.raises(DataError) as info:
        depot(stock={"water": -5})
    assert info.value.record == "D1" and info.value.field == "stock_water"
    assert "库存不能为负" in info.value.message_zh


def test_fractional_stock_refused():
    """Stock is counted in whole units."""
    with pytest.raises(DataError, match="whole number"):
        depot(stock={"water": 1.5})


def test_stock_is_read_only():
    """A depot's stock cannot be changed after construction."""
    d = depot()
    with pytest.raises(TypeError):
        d.stock["water"] = 99  # type: ignore[index]


def test_unknown_item_in_stock_refused_by_network():
    """The network refuses stock of an item the catalogue does not know."""
    with pytest.raises(DataError, match="unknown item 'chocolate'"):
        ReserveNetwork(depots=(depot(stock={"chocolate": 1}),), points=(point(),))


def test_duplicate_depot_ids_refused():
    """Two depots with the same id are refused, naming the id."""
    with pytest.raises(DataError, match=r"duplicate depot id.*D1"):
        ReserveNetwork(depots=(depot(), depot()), points=(point(),))


def test_fleet_at_unknown_depot_refused():
    """A vehicle based at a depot that does not exist is refused."""
    with pytest.raises(DataError, match="unknown depot 'DX'"):
        ReserveNetwork(
            depots=(depot(),), points=(point(),), fleet=(FleetEntry("f1", "medium", "DX", 2),)
        )


def test_fleet_of_unknown_class_refused():
    """A vehicle of an unknown class is refused, listing known classes."""
    with pytest.raises(DataError, match=r"unknown vehicle class 'tank'.*medium"):
        ReserveNetwork(
            depots=(depot(),), points=(point(),), fleet=(FleetEntry("f1", "tank", "D1", 2),)
        )


def test_shelter_capacity_from_floor_area():
    """450 m2 at 1.5 m2 per person (GB 21734) holds 300 people; at Sphere's 3.5, 128."""
    assert shelter_capacity(450) == 300
    assert shelter_capacity(450, 3.5) == 128


def test_shelter_needs_capacity():
    """A shelter without capacity is refused."""
    with pytest.raises(DataError, match="capacity"):
        point(kind=PointKind.SHELTER)


def test_negative_population_refused():
    """Negative people are refused with the field named."""
    with pytest.raises(DataError) as info:
        point(population=-1)
    assert info.value.field == "population"


@pytest.mark.parametrize("opening", [(20.0, 8.0), (-1.0, 10.0), (0.0, 25.0)])
def test_bad_opening_hours_refused(opening):
    """Opening hours must lie in 0-24 with from < to."""
    with pytest.raises(DataError, match="opening hours"):
        depot(open_from_h=opening[0], open_to_h=opening[1])


def test_vehicle_with_zero_capacity_refused():
    """A vehicle class that carries nothing is refused."""
    with pytest.raises(DataError, match="payload_kg"):
        VehicleClass("x", "x", "x", 0, 10.0)


def test_stock_totals_by_group():
    """Totals add stock across depots and sort it into need groups."""
    net = ReserveNetwork(
        depots=(depot(stock={"water": 10, "tent": 2}), depot("D2", stock={"water": 5})),
        points=(point(),),
    )
    assert net.stock_total()["water"] == 15
    groups = net.stock_by_group()
    assert groups["food"]["water"] == 15 and groups["shelter"]["tent"] == 2
