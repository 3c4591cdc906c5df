import math

import pytest

from solver.catalogue import DEFAULT_CATALOGUE, Catalogue, Item, NeedGroup
from solver.errors import DataError
from solver.sources import SOURCES


def test_every_default_item_cites_a_known_source():
    """Each default item names a source for its quota and its mass."""
    for item in DEFAULT_CATALOGUE:
        assert item.mass_source in SOURCES
        if item.per_person > 0:
            assert item.quota_source in SOURCES


def test_catalogue_covers_all_four_need_groups():
    """衣食住医 each have at least one item with a positive quota."""
    for group in NeedGroup:
        assert any(i.per_person > 0 for i in DEFAULT_CATALOGUE.in_group(group))


def test_consumable_need_grows_with_horizon_and_rounds_up():
    """Water for 10 people over 36 h is 10 * 3 L * 1.5 days = 45 L; tents round up."""
    water = DEFAULT_CATALOGUE.get("water")
    assert water.need(10, 36) == 45
    tent = DEFAULT_CATALOGUE.get("tent")
    assert tent.need(10, 24) == math.ceil(10 / 3)
    assert tent.need(10, 72) == tent.need(10, 24)  # not consumable


def test_override_changes_only_the_named_field():
    """An override replaces the field it names and keeps the rest."""
    cat = DEFAULT_CATALOGUE.with_overrides({"water": {"per_person": 5.0}})
    assert cat.get("water").per_person == 5.0
    assert cat.get("water").unit_weight_kg == DEFAULT_CATALOGUE.get("water").unit_weight_kg
    assert DEFAULT_CATALOGUE.get("water").per_person == 3.0


def test_unknown_item_error_lists_known_items():
    """Asking for an unknown item names it and the known ones."""
    with pytest.raises(DataError, match=r"unknown item 'chocolate'.*water"):
        DEFAULT_CATALOGUE.get("chocolate")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("unit", "", "needs a unit"),
        ("unit_weight_kg", 0.0, "positive"),
        ("unit_volume_m3", -1.0, "positive"),
        ("per_person", -0.5, ">= 0"),
    ],
)
def test_bad_item_fields_are_refused_with_the_field_named(field, value, match):
    """An item without a unit or with non-positive mass is refused, naming the field."""
    kwargs = dict(
        id="x",
        name_zh="x",
        name_en="x",
        unit="piece",
        unit_weight_kg=1.0,
        unit_volume_m3=0.01,
        group=NeedGroup.FOOD,
        per_person=1.0,
    )
    kwargs[field] = value
    with pytest.raises(DataError, match=match) as info:
        Item(**kwargs)
    assert info.value.field == field


def test_duplicate_item_ids_refused():
    """Two items with one id make an invalid catalogue."""
    item = DEFAULT_CATALOGUE.get("water")
    with pytest.raises(DataError, match="duplicate item id"):
        Catalogue((item, item))


def test_new_item_through_override_needs_every_field():
    """Adding an item by override without its unit and mass is refused."""
    with pytest.raises(DataError, match="incomplete"):
        DEFAULT_CATALOGUE.with_overrides({"soap": {"name_zh": "肥皂"}})
