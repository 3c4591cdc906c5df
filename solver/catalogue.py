"""The relief-item catalogue: what each item weighs, how much room it takes, whom it serves.

Items belong to one of the four basic-needs groups of the Hebei plans: clothing 衣, food 食,
shelter 住, medical 医. Quotas say how many units one relocated person needs, either once
(a bed) or per day (water). Every default names its source in :mod:`solver.sources`; every
value can be overridden with :meth:`Catalogue.with_overrides` or an ``items`` layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from solver.errors import DataError
from solver.sources import SOURCES


class NeedGroup(StrEnum):
    """The four basic needs the 10/12-hour target is about (衣食住医)."""

    CLOTHING = "clothing"
    FOOD = "food"
    SHELTER = "shelter"
    MEDICAL = "medical"

    @property
    def zh(self) -> str:
        """Chinese label."""
        return {"clothing": "衣", "food": "食", "shelter": "住", "medical": "医"}[self.value]


@dataclass(frozen=True, slots=True)
class Item:
    """One catalogue item.

    Parameters
    ----------
    id
        Stable identifier used in stock columns (``stock_<id>``) and scenarios.
    name_zh, name_en
        Labels for sheets and maps.
    unit
        The counting unit (``piece``, ``kg``, ``L``).
    unit_weight_kg, unit_volume_m3
        Mass and packed volume of one unit; trucks are checked against both.
    group
        The basic need the item serves.
    per_person
        Units one relocated person needs (once, or per day when ``per_day``).
    per_day
        True for consumables (food, water) whose need grows with the planning horizon.
    quota_source, mass_source
        Keys of :data:`solver.sources.SOURCES`.
    """

    id: str
    name_zh: str
    name_en: str
    unit: str
    unit_weight_kg: float
    unit_volume_m3: float
    group: NeedGroup
    per_person: float
    per_day: bool = False
    quota_source: str = ""
    mass_source: str = "unit-mass-assumed"

    def __post_init__(self) -> None:
        if not self.id or not self.id.replace("_", "").isalnum():
            raise DataError(
                "must be a non-empty identifier of letters, digits and _",
                record=self.id,
                field="id",
                problem_zh="须为字母、数字或下划线组成的标识",
            )
        if not self.unit:
            raise DataError(
                "an item needs a unit", record=self.id, field="unit", problem_zh="物资缺少计量单位"
            )
        for name in ("unit_weight_kg", "unit_volume_m3"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise DataError(
                    f"must be a positive number, got {value!r}",
                    record=self.id,
                    field=name,
                    problem_zh=f"须为正数,实际为 {value!r}",
                )
        if not (math.isfinite(self.per_person) and self.per_person >= 0):
            raise DataError(
                f"must be >= 0, got {self.per_person!r}",
                record=self.id,
                field="per_person",
                problem_zh="人均定额不能为负",
            )
        for key in (self.quota_source, self.mass_source):
            if key and key not in SOURCES:
                raise DataError(f"unknown source key {key!r}", record=self.id, field="source")

    def need(self, people: int, horizon_h: float) -> int:
        """Units needed by ``people`` over a planning horizon of ``horizon_h`` hours."""
        days = horizon_h / 24.0 if self.per_day else 1.0
        return math.ceil(people * self.per_person * days - 1e-9)


def _default_items() -> tuple[Item, ...]:
    g = NeedGroup
    return (
        Item(
            "tent",
            "救灾帐篷(12㎡单帐篷)",
            "relief tent, 12 m2 single",
            "piece",
            28.0,
            0.12,
            g.SHELTER,
            1 / 3,
            quota_source="mzt011-tent",
        ),
        Item(
            "folding_bed",
            "折叠床",
            "folding bed",
            "piece",
            9.0,
            0.05,
            g.SHELTER,
            1.0,
            quota_source="sphere-bedding",
        ),
        Item(
            "quilt",
            "棉被",
            "quilt",
            "piece",
            2.5,
            0.03,
            g.CLOTHING,
            1.0,
            quota_source="sphere-bedding",
        ),
        Item(
            "blanket",
            "毛毯",
            "blanket",
            "piece",
            2.0,
            0.015,
            g.CLOTHING,
            0.0,
            quota_source="",
            mass_source="blanket-2kg",
        ),
        Item(
            "clothing_set",
            "衣物(套)",
            "clothing set",
            "set",
            1.5,
            0.012,
            g.CLOTHING,
            1.0,
            quota_source="sphere-bedding",
        ),
        Item(
            "food",
            "方便食品",
            "ready-to-eat food",
            "kg",
            1.0,
            0.003,
            g.FOOD,
            0.5,
            per_day=True,
            quota_source="grain-half-kg",
        ),
        Item(
            "water",
            "饮用水",
            "drinking water",
            "L",
            1.0,
            0.0011,
            g.FOOD,
            3.0,
            per_day=True,
            quota_source="sphere-water",
        ),
        Item(
            "medical_kit",
            "家庭应急医疗包",
            "family medical kit",
            "kit",
            3.0,
            0.015,
            g.MEDICAL,
            1 / 3,
            quota_source="family-kit",
        ),
    )


@dataclass(frozen=True, slots=True)
class Catalogue:
    """An ordered, read-only set of items with unique ids."""

    items: tuple[Item, ...] = field(default_factory=_default_items)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise DataError(
                    "duplicate item id", record=item.id, field="id", problem_zh="物资编号重复"
                )
            seen.add(item.id)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return any(item.id == item_id for item in self.items)

    @property
    def ids(self) -> tuple[str, ...]:
        """Item ids in catalogue order."""
        return tuple(item.id for item in self.items)

    def get(self, item_id: str) -> Item:
        """Return the item; raise :class:`DataError` naming the unknown id."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise DataError(
            f"unknown item {item_id!r}; known items: {', '.join(self.ids)}",
            field="item",
            problem_zh=f"未知物资 {item_id!r}",
        )

    def index(self, item_id: str) -> int:
        """Position of ``item_id`` in catalogue order."""
        return self.ids.index(self.get(item_id).id)

    def in_group(self, group: NeedGroup) -> tuple[Item, ...]:
        """Items that serve ``group``."""
        return tuple(item for item in self.items if item.group == group)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, object]]) -> Catalogue:
        """Return a catalogue with fields of existing items replaced, or new items added.

        ``overrides`` maps an item id to the fields to set, e.g.
        ``{"water": {"per_person": 5}}``. A new id needs every field of :class:`Item`.
        """
        items = {item.id: item for item in self.items}
        for item_id, fields in overrides.items():
            values = dict(fields)
            if "group" in values:
                values["group"] = _group(values["group"], item_id)
            if item_id in items:
                unknown = set(values) - set(Item.__dataclass_fields__)
                if unknown:
                    raise DataError(f"unknown item field(s) {sorted(unknown)}", record=item_id)
                items[item_id] = replace(items[item_id], **values)  # type: ignore[arg-type]
            else:
                try:
                    items[item_id] = Item(id=item_id, **values)  # type: ignore[arg-type]
                except TypeError as exc:
                    raise DataError(
                        f"new item is incomplete: {exc}",
                        record=item_id,
                        problem_zh="新增物资字段不全",
                    ) from None
        return Catalogue(tuple(items.values()))

    def needs(self, people: int, horizon_h: float) -> dict[str, int]:
        """Units of every item needed by ``people`` over ``horizon_h`` hours."""
        return {item.id: item.need(people, horizon_h) for item in self.items}

    def people_served(
        self, stock: Mapping[str, int], horizon_h: float = 24.0, skip: Iterable[str] = ("tent",)
    ) -> int:
        """How many people ``stock`` meets every need of (items in ``skip`` not counted).

        The default skips tents: people in indoor shelters need none.
        """
        skipped = set(skip)
        counts = []
        for item in self.items:
            if item.per_person <= 0 or item.id in skipped:
                continue
            days = horizon_h / 24.0 if item.per_day else 1.0
            counts.append(int(stock.get(item.id, 0) / (item.per_person * days) + 1e-9))
        return min(counts) if counts else 0

    def weight_kg(self, quantities: Mapping[str, float]) -> float:
        """Total mass of ``quantities`` (item id -> units)."""
        return sum(self.get(k).unit_weight_kg * q for k, q in quantities.items())

    def volume_m3(self, quantities: Mapping[str, float]) -> float:
        """Total packed volume of ``quantities`` (item id -> units)."""
        return sum(self.get(k).unit_volume_m3 * q for k, q in quantities.items())


def _group(value: object, item_id: str) -> NeedGroup:
    text = str(value).strip().lower()
    aliases = {"衣": "clothing", "食": "food", "住": "shelter", "医": "medical"}
    try:
        return NeedGroup(aliases.get(text, text))
    except ValueError:
        raise DataError(
            f"unknown need group {value!r}; use clothing/food/shelter/medical",
            record=item_id,
            field="group",
            problem_zh="需求类别须为 衣/食/住/医",
        ) from None


def parse_group(value: object, item_id: str = "") -> NeedGroup:
    """Parse a need group given in English or as 衣/食/住/医."""
    return _group(value, item_id)


DEFAULT_CATALOGUE = Catalogue()
