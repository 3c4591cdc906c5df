"""Domain defaults with their sources: road speeds, depot tiers, size classes, shelters.

Every number here names a key of :data:`solver.sources.SOURCES`. Callers override them by
passing their own objects (``dataclasses.replace`` on a default, or a table in an area file);
nothing reads these values behind the caller's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RoadClass(StrEnum):
    """Road classes used for speeds; OSM highway tags and user classes map onto these."""

    EXPRESSWAY = "expressway"
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    COUNTY = "county"
    TOWNSHIP = "township"

    @property
    def zh(self) -> str:
        """Chinese label."""
        return {
            "expressway": "高速公路",
            "national": "国道",
            "provincial": "省道",
            "county": "县道",
            "township": "乡村道路",
        }[self.value]


@dataclass(frozen=True, slots=True)
class RoadClassDefaults:
    """Dry operating speed of a loaded truck and the circuity of generated roads."""

    speed_kmh: float
    circuity: float
    source: str = "truck-speeds"


#: Midpoints of the domain reference's loaded-truck speeds (section 4.2, [D]) and the
#: project's circuity estimates for roads generated between places ("circuity-assumed").
ROAD_CLASSES: dict[RoadClass, RoadClassDefaults] = {
    RoadClass.EXPRESSWAY: RoadClassDefaults(75.0, 1.10),
    RoadClass.NATIONAL: RoadClassDefaults(55.0, 1.15),
    RoadClass.PROVINCIAL: RoadClassDefaults(45.0, 1.20),
    RoadClass.COUNTY: RoadClassDefaults(35.0, 1.25),
    RoadClass.TOWNSHIP: RoadClassDefaults(25.0, 1.30),
}

#: Speed of the leg between a place and the road node it snaps to ("access-speed-assumed").
ACCESS_SPEED_KMH = 20.0

#: Snaps farther than this are refused as absurd; between the warning distance and this
#: they are reported.
MAX_SNAP_M = 5_000.0
WARN_SNAP_M = 1_000.0

#: Shelter floor area per person, GB 21734-2008 5.4 (> 1.5 m2, "gb21734"). Sphere's 3.5 m2
#: ("sphere-shelter") is the humanitarian standard; pass it where it applies.
SHELTER_M2_PER_PERSON = 1.5


class Tier(StrEnum):
    """The reserve tiers of the Hebei plans plus agreement and community stock."""

    MUNICIPAL = "municipal"
    COUNTY = "county"
    TOWNSHIP = "township"
    ENTERPRISE = "enterprise"
    COMMUNITY = "community"

    @property
    def zh(self) -> str:
        """Chinese label."""
        return {
            "municipal": "市级储备库",
            "county": "县级储备库",
            "township": "乡镇储备点",
            "enterprise": "协议代储",
            "community": "社区/学校/医院储备",
        }[self.value]


@dataclass(frozen=True, slots=True)
class TierDefaults:
    """Operating defaults of a depot tier.

    ``loading_t_per_h`` is bays x 2.5 t/h per bay ("houston-unload"); ``alert_delay_h`` is the
    time from dispatch order to loading start; ``stock_people`` sizes the bundled stock.
    """

    loading_t_per_h: float
    alert_delay_h: float
    open_from_h: float
    open_to_h: float
    stock_people: int
    sources: tuple[str, ...]


TIERS: dict[Tier, TierDefaults] = {
    # 8 loading doors as in Beijing's city depot; 4-6万 people per Hunan's 建标121 mapping.
    Tier.MUNICIPAL: TierDefaults(
        20.0,
        1.5,
        0.0,
        24.0,
        50_000,
        ("beijing-8-doors", "houston-unload", "jb121-hunan", "tier-delays-assumed"),
    ),
    # 2 doors (assumption); 0.5-0.7万 people per Hunan's mapping.
    Tier.COUNTY: TierDefaults(
        5.0, 1.5, 0.0, 24.0, 6_000, ("houston-unload", "jb121-hunan", "tier-delays-assumed")
    ),
    # 1 door; stock for at least 100 people (a city plan's township minimum).
    Tier.TOWNSHIP: TierDefaults(
        2.5,
        1.0,
        0.0,
        24.0,
        100,
        ("houston-unload", "city-plan-township-100", "tier-delays-assumed"),
    ),
    # Agreement stock in a supplier's warehouse: office hours, contract call-out.
    Tier.ENTERPRISE: TierDefaults(
        5.0, 2.5, 8.0, 20.0, 5_000, ("houston-unload", "tier-delays-assumed")
    ),
    # Community, school and hospital reserves are on site and small.
    Tier.COMMUNITY: TierDefaults(
        2.5, 0.5, 0.0, 24.0, 50, ("houston-unload", "tier-delays-assumed")
    ),
}


@dataclass(frozen=True, slots=True)
class SizeClass:
    """A depot size class of 建标121-2009 (draft classes and the Hunan tier mapping)."""

    id: str
    name_zh: str
    people_min: int
    people_max: int
    area_min_m2: int
    area_max_m2: int
    source: str


#: The draft's classes 一..六 ("jb121-draft") and the post-2009 county/city mapping
#: ("jb121-hunan"). The final 2009 Table 1 was not seen; see docs/domain.md.
SIZE_CLASSES: tuple[SizeClass, ...] = (
    SizeClass("I", "一类", 720_000, 720_000, 22_750, 22_750, "jb121-draft"),
    SizeClass("II", "二类", 540_000, 540_000, 17_150, 17_150, "jb121-draft"),
    SizeClass("III", "三类", 360_000, 360_000, 11_950, 11_950, "jb121-draft"),
    SizeClass("IV", "四类", 120_000, 200_000, 5_500, 8_000, "jb121-draft"),
    SizeClass("city", "市级(五类)", 40_000, 60_000, 2_900, 4_100, "jb121-hunan"),
    SizeClass("county", "县级(六类)", 5_000, 7_000, 630, 800, "jb121-hunan"),
    SizeClass("point", "储备点", 100, 500, 0, 0, "city-plan-township-100"),
)
