"""Bilingual labels for everything a user reads: tables, sheets, map legends, errors."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    """Output language: Chinese, English, or both side by side."""

    ZH = "zh"
    EN = "en"
    BOTH = "both"


LABELS: dict[str, tuple[str, str]] = {
    "area": ("区域", "Area"),
    "network": ("路网与储备网络", "Road and reserve network"),
    "nodes": ("路网节点", "Road nodes"),
    "edges": ("路段", "Road edges"),
    "road_km": ("道路里程(公里)", "Road length (km)"),
    "depots": ("储备库/点", "Depots"),
    "tier": ("层级", "Tier"),
    "count": ("数量", "Count"),
    "points": ("受灾人口点", "Population points"),
    "people": ("人口", "People"),
    "shelters": ("避难场所", "Shelters"),
    "shelter_capacity": ("避难场所容量(人)", "Shelter capacity (people)"),
    "staging": ("直升机/冲锋舟转运点", "Helicopter/boat staging points"),
    "vehicles": ("车辆", "Vehicles"),
    "vehicle_class": ("车型", "Vehicle class"),
    "stock": ("库存", "Stock"),
    "need_group": ("需求类别", "Need group"),
    "units": ("件/单位", "Units"),
    "tonnes": ("吨", "Tonnes"),
    "m3": ("立方米", "m³"),
    "layer": ("图层", "Layer"),
    "real": ("真实", "Real"),
    "proxy": ("代理", "Proxy"),
    "synthetic": ("合成", "Synthetic"),
    "provenance": ("数据来源性质", "Data provenance"),
    "road_class": ("道路等级", "Road class"),
    "matrix_written": ("已写出行程时间表", "Travel-time table written"),
    "unreachable_pairs": ("不可达的库-点组合", "Unreachable depot-point pairs"),
    "max_hours": ("最长行程(小时)", "Longest trip (h)"),
    "flooded_edges": ("受淹路段", "Flooded road edges"),
    "closed_edges": ("封闭路段(对该车型)", "Closed road edges (for this vehicle)"),
    "error": ("错误", "Error"),
    "snap_depots": ("储备库接入路网距离(平均/最大)", "Depot snap distance (mean/max)"),
    "snap_points": ("地点接入路网距离(平均/最大)", "Point snap distance (mean/max)"),
    "flooded_depots": ("位于洪水中的储备库", "Depots inside the flood"),
    "flooded_shelters": ("位于洪水中的避难场所", "Shelters inside the flood"),
    "check": ("灾后基本生活救助时效核查", "Relief check: basic needs met in time"),
    "target": ("时限(小时)", "Target (h)"),
    "people_met": ("已满足人数", "People met"),
    "share_met": ("满足比例", "Share met"),
    "binding": ("制约因素", "Binding"),
    "county": ("县(市、区)", "County"),
    "county_of_origin": ("来源县(市、区)", "County of origin"),
    "plan_people_met": ("计划满足人数", "Plan: people met"),
    #: Per place or county, the bound's LP allocation (not a bound for that place alone).
    "bound_allocation": ("上界方案中满足", "In the bound's allocation"),
    "late_points": ("超时或未满足的地点", "Late or unmet points"),
    "point": ("地点", "Point"),
    "hours_to_met": ("满足用时(小时)", "Hours to needs met"),
    "status": ("状态", "Status"),
    "reason": ("原因", "Reason"),
    "everyone_met": ("全部满足时间(小时)", "Everyone met at (h)"),
    "never": ("始终无法满足", "Never met"),
    "affected": ("受灾人数", "People affected"),
    "sheltered": ("已安置到避难场所", "Sheltered"),
    "no_shelter_place": ("无避难场所床位", "Without a shelter place"),
    "plan_meets": ("调度计划可满足", "A printable plan meets"),
    "bound_at_most": ("任何计划至多", "No plan can meet more than"),
    "gap": ("差距(百分点)", "Gap (points)"),
    "limits": ("未满足人数的制约因素", "What stops the rest"),
    "pinches": (
        "最紧的约束(每增加一个单位可多满足的人数)",
        "Tightest rules (people per unit more)",
    ),
    "outputs": ("输出文件", "Outputs"),
    "flood": ("洪水范围", "Flood"),
    "depot": ("储备库", "Depot"),
    "more": ("其余", "more"),
    "value": ("数值", "Value"),
}


def label(key: str, lang: Lang) -> str:
    """The label for ``key`` in ``lang`` ("中文 English" when both)."""
    zh, en = LABELS.get(key, (key, key))
    if lang is Lang.ZH:
        return zh
    if lang is Lang.EN:
        return en
    return f"{zh} {en}"


def pick(zh: str, en: str, lang: Lang) -> str:
    """Choose between a Chinese and an English text for ``lang``."""
    if lang is Lang.ZH:
        return zh
    if lang is Lang.EN:
        return en
    return f"{zh} {en}" if zh != en else zh


REASONS: dict[str, tuple[str, str]] = {
    "unreachable": ("被洪水阻断,无法到达", "cut off by flood (unreachable)"),
    "shelter_over_capacity": ("避难场所容量不足", "no shelter place (shelters full)"),
    "evacuation_late": ("人员转移未完成", "evacuation not complete by the target"),
    "too_far": ("距离过远,时限内无法送达", "too far for the target"),
    "stock_shortfall": ("物资缺口", "stock shortfall"),
    "dispatch_capacity": ("储备库装车位不足", "depot loading bays"),
    "fleet_capacity": ("车辆运力不足", "trucks (fleet capacity)"),
    "plan_schedule": ("本计划排程未及(更优计划可满足)", "plan's order (a better plan could)"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "met": ("已满足", "met"),
    "partial": ("部分满足", "partly met"),
    "late": ("超时满足", "met late"),
    "unmet": ("未满足", "not met"),
}

BINDING: dict[str, tuple[str, str]] = {
    "none": ("无", "none"),
    "stock": ("库存", "stock"),
    "loading": ("装车位", "loading bays"),
    "fleet": ("车辆运力", "trucks"),
    "roads": ("道路与时间(路程、阻断)", "roads and time (travel, cut off)"),
    "shelters": ("避难场所容量", "shelter places"),
    "clock": ("响应与转移时间", "response and evacuation time"),
    "unknown": ("未分析", "not analysed"),
}

#: Units of a pinching rule's marginal value.
PINCH_UNITS: dict[str, tuple[str, str]] = {
    "stock": ("人/件", "people per unit"),
    "loading": ("人/装车位小时", "people per bay-hour"),
    "fleet": ("人/车辆小时", "people per truck-hour"),
}


def both_figures(row: dict[str, object], lang: Lang) -> str:
    """The answer for one target as a planner reads it: the plan beside the bound.

    ``row`` is a ``report.json`` target (``plan_share_met`` present when a plan was made).
    """
    hours = float(row["hours"])  # type: ignore[arg-type]
    bound = float(row["share_met"])  # type: ignore[arg-type]
    plan = row.get("plan_share_met")
    if plan is None:
        return pick(
            f"{hours:g} 小时内任何调度计划至多满足 {bound:.1%}",
            f"no plan can meet more than {bound:.1%} by {hours:g} h",
            lang,
        )
    return pick(
        f"可打印的调度计划 {hours:g} 小时满足 {float(plan):.1%};任何计划至多 {bound:.1%}",  # type: ignore[arg-type]
        f"a printable plan meets {float(plan):.1%} by {hours:g} h; "  # type: ignore[arg-type]
        f"no plan can meet more than {bound:.1%}",
        lang,
    )


def reason_text(
    reason: str | None, lang: Lang, item: str | None = None, quantity: float | None = None
) -> str:
    """A reason code in words, with the short item and quantity for a stock shortfall."""
    if reason is None:
        return ""
    text = pick(*REASONS.get(reason, (reason, reason)), lang)
    if item:
        text += f": {item} {quantity:,.0f}" if quantity is not None else f": {item}"
    return text
