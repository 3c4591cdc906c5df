"""Where every domain default comes from.

Each default in :mod:`solver.defaults` and :mod:`solver.catalogue` names a key of
:data:`SOURCES`. The tags follow ``docs/domain.md`` (copied from the team's domain
reference): ``S`` stated in the cited page, ``D`` derived by arithmetic on stated figures,
``R`` recalled and not verified, ``A`` an assumption of this project, to be replaced by the
bureau's own figure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """One citation: how sure we are, what it says, and where it is."""

    tag: str
    text: str
    url: str = ""


SOURCES: dict[str, Source] = {
    "jb121-hunan": Source(
        "S",
        "建标121-2009 tier mapping as adopted by Hunan's 9-department guidance: city depot stock "
        "for 4-6万 relocated people (2,900-4,100 m2), county 0.5-0.7万 (630-800 m2)",
        "https://zi.media/@yidianzixun/post/vzfEJL",
    ),
    "jb121-draft": Source(
        "S",
        "建标121 draft (2008) size classes 一类..六类 by relocated people and building area; "
        "class 四 and above should have a helipad",
        "http://www.renrendoc.com/paper/328990797.html",
    ),
    "city-plan-township-100": Source(
        "S",
        "a city plan: city / district / township stock for >=500 / 250 / 100 people",
        "http://www.kleyou.com/html/text/lar/173274/17327436_3.html",
    ),
    "beijing-8-doors": Source(
        "S",
        "Beijing 2013 city depot has 8 doors so trucks can load at once",
        "https://news.sohu.com/20130427/n374197237.shtml",
    ),
    "beijing-1pct": Source(
        "S",
        "Beijing (2013): relief reserves sized for 1 % of the population (about 20万 people)",
        "https://news.sohu.com/20130427/n374197237.shtml",
    ),
    "houston-unload": Source(
        "S",
        "Houston food bank model: unloading 0.0008 h/lb, i.e. about 2.5 t per hour per truck bay",
        "https://github.com/Freight-Disaster-Response-Logistics-Lab/Food-Bank (FoodBank_GP.py)",
    ),
    "dispatch-lag": Source(
        "D",
        "order -> loaded and departing 2-4 h when staff are pre-alerted (24-hour duty), "
        "6-10 h cold; from Shaanxi 2024, Hubei 2005, Shenyang 2020 dispatch records",
        "https://lswz.shaanxi.gov.cn/ztzl/zxzt/sgnzl/202407/t20240719_3240879.html",
    ),
    "truck-speeds": Source(
        "D",
        "operating speeds of loaded trucks, dry: expressway 70-80, national 50-60, provincial "
        "40-50, county 30-40, township/village 20-30 km/h (midpoints used)",
        "domain reference section 4.2",
    ),
    "legal-truck-100": Source(
        "S",
        "道路交通安全法实施条例 art. 78: vehicles other than small passenger cars <= 100 km/h",
        "https://m.64365.com/special/23551193",
    ),
    "truck-classes": Source(
        "S",
        "trade classes: 4.2 m light ~2 t, 15-20 m3; 6.8 m medium 30-40 m3; 9.6 m ~10 t, "
        "50-70 m3; 12.5-17.5 m heavy 18-35 t, 100-150 m3",
        "https://m.pcauto.com.cn/note/860106798722453015.html",
    ),
    "ford-depth": Source(
        "S",
        "depth thresholds: cars 0.3 m, emergency vehicles 0.6 m; still water stops heavy "
        "vehicles at 1.1-1.5 m",
        "https://trid.trb.org/view/1412184 ; https://www.hindawi.com/journals/jat/2018/2850546/ref/",
    ),
    "pregnolato": Source(
        "R",
        "Pregnolato et al. 2017 depth-disruption function v(w) = 0.0009 w^2 - 0.5529 w + "
        "86.9448 km/h, w in mm, impassable at 300 mm (form recalled, not verified)",
        "https://www.scipedia.com/public/Ford_et_al_2017a",
    ),
    "gb21734": Source(
        "S",
        "GB 21734-2008 5.4: shelter per-capita living area > 1.5 m2",
        "https://gf.cabr-fire.com/article-50452.htm",
    ),
    "sphere-shelter": Source(
        "S",
        "Sphere: covered living space >= 3.5 m2 per person",
        "http://spherehandbook.org/en/shelter-and-settlement-standard-3-covered-living-space/",
    ),
    "mzt011-tent": Source(
        "S",
        "MZ/T 011.2-2010: 12 m2 single-wall relief tent (3.7 m x 3.2 m); at Sphere's 3.5 m2 "
        "a 12 m2 tent holds 3 persons (D)",
        "https://m.aqrzj.com/doc/335477.html",
    ),
    "sphere-bedding": Source(
        "S",
        "Sphere NFI: bedding sufficient for separate sleeping; at least two sets of clothing",
        "http://spherehandbook.org/en/non-food-items-standard-2-clothing-and-bedding/",
    ),
    "grain-half-kg": Source(
        "S",
        "transitional aid of 1 jin (0.5 kg) of grain per person per day",
        "http://gztopstudy.com/OpennessContent/show/1101901.html",
    ),
    "sphere-water": Source(
        "S",
        "Sphere: survival intake 2.5-3 L per person per day; 3-5 L bottled suggested for the "
        "first 72 h in the domain reference (3 L used)",
        "http://www.spherehandbook.org/en/water-supply-standard-1-access-and-water-quantity/",
    ),
    "family-kit": Source(
        "D",
        "catalogue family emergency kit (家庭应急包) per household of about 3 persons",
        "https://lswz.shaanxi.gov.cn/ztzl/zxzt/sgnzl/202407/t20240719_3240879.html",
    ),
    "blanket-2kg": Source(
        "S",
        "Shanghai Red Cross catalogue: blanket 2 m x 1.5 m, 2 kg",
        "https://www.redcross-sha.org.cn/bzjh/View.aspx?id=547",
    ),
    "hebei-2023-trucks": Source(
        "D",
        "Hebei 2023 provincial dispatch: 116 trucks from 28 storage points, about 4 per point",
        "http://hamasdt.com/cn/Instant/local/202308/t20230809_7464480.html",
    ),
    "unit-mass-assumed": Source(
        "A",
        "unit weights and packed volumes of Chinese catalogue items were not found (MZ/T annex E "
        "has them); these are the project's estimates and must be replaced by the bureau's",
    ),
    "circuity-assumed": Source(
        "A",
        "road length = straight-line length x circuity factor for generated roads; 1.1-1.3 by "
        "class, the project's estimate",
    ),
    "access-speed-assumed": Source(
        "A",
        "the leg from a place to the road node it snaps to is driven at village-road speed",
    ),
    "report-2h": Source(
        "S",
        "disaster-report clock: the county reports within 2 h; city and province each review and "
        "forward within 2 h",
        "http://fsou.com/html/text/lar/174152/17415218_5.html",
    ),
    "response-start-assumed": Source(
        "A",
        "report -> relief response and dispatch order: 1 h at levels I-II (pre-decided, the "
        "province leads), 2 h at III-IV (within one 2 h review step, report-2h)",
    ),
    "evacuation-assumed": Source(
        "A",
        "people reach shelters 4 h after the response starts (Zhuozhou 2023 moved 8.31万 people "
        "within about a day of the detention area opening; a planning value, to be set per "
        "scenario)",
    ),
    "unload-half-hour": Source(
        "D",
        "unloading about 0.5-1 h per truck (domain reference 4.4); 0.5 h used",
    ),
    "distribution-assumed": Source(
        "A",
        "handing out at a shelter takes 1 h per 2,000 people after unloading, at most 3 h",
    ),
    "depot-cost-assumed": Source(
        "A",
        "building cost 3,000 yuan per m2 of depot floor area; a township reserve point is "
        "given 100 m2: placeholders for ranking options, not quoted prices",
    ),
    "tier-standards-assumed": Source(
        "A",
        "travel-time standards per tier: township station 0.5 h, county depot 1 h, municipal "
        "depot 2 h (three-level coverage as in the HSLA model for Beijing-Tianjin-Hebei; no "
        "Chinese standard found; on the bundled Hengshui roads these leave 7-21 % of people "
        "outside each tier's reach, so siting has something to improve)",
        "https://informahealthcare.com/doi/abs/10.1080/19475705.2018.1508077",
    ),
    "tier-delays-assumed": Source(
        "A",
        "alert delay by tier split from the 2-4 h pre-alerted dispatch lag (dispatch-lag); "
        "enterprise stock takes longer (contract call-out), community reserves are on site",
    ),
    "shift-assumed": Source(
        "A",
        "a truck crew works a 12 h duty shift from its first departure (no Chinese relief "
        "dispatch rule found; road-transport drivers' continuous driving is capped at 4 h, "
        "which the plan's stops and reloads interrupt)",
    ),
    "dock-turnaround-assumed": Source(
        "A",
        "0.25 h at the depot dock per trip for paperwork and securing the load, on top of "
        "loading at 2.5 t/h per bay (houston-unload)",
    ),
    "generator-assumed": Source(
        "A",
        "generated floods: river stretch 10/20/35/60 km, width 1/2/3.5/6 km, depth "
        "0.5/0.8/1.2/2 m, bridge failure 20/35/50/70 %, fleet available 95/90/80/70 % "
        "(minor/moderate/major/extreme); response level by national relocation thresholds "
        "(domain.md §3); generated injects within 5 km of the flood between hours 1 and 9, "
        "20-60 % of a village relocated",
    ),
    "trips-assumed": Source(
        "A",
        "at most 4 trips (load, deliver, return, reload) per truck and shift",
    ),
    "person-value-assumed": Source(
        "A",
        "dispatch weighs one person's needs met by a target as worth 60 s of truck driving, so "
        "a 1,000-person load justifies ~17 h of driving; medical loads x3 and people left in "
        "place x2 (priorities the issue names; weights are the project's)",
    ),
    "shuttle-handling-assumed": Source(
        "A",
        "0.25 h to load a boat or helicopter at a staging point and 0.25 h to unload it; "
        "straight-line legs at the class's cruise speed",
    ),
}
