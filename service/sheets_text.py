"""Labels, names and times for the dispatch sheets (Chinese and English)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from service.i18n import Lang, pick
from solver.catalogue import DEFAULT_CATALOGUE
from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES
from solver.units import to_the_minute

#: The ``kind`` of a dispatch plan document; equal to ``scenarios.dispatch_doc.PLAN_KIND``
#: (not imported, so that writing sheets does not load the routing stack).
PLAN_KIND = "dispatch_plan"

CSV_NAME = "sheets.csv"
XLSX_NAME = "sheets.xlsx"
HTML_NAME = "sheets.html"
#: The depots' loading lists (出库单) and the shelters' receipt lists (接收清单).
LOADING_NAME = "loading.html"
RECEIPTS_NAME = "receipts.html"
#: The papers' front page, linking every sheet of the three files above.
PAPERS_NAME = "papers.html"

LABELS: dict[str, tuple[str, str]] = {
    "title": ("救灾物资调度单", "Relief dispatch sheets"),
    "status": ("状态", "Status"),
    "planned": ("计划", "planned"),
    "delivered": ("已送达", "delivered"),
    "vehicle": ("车辆", "Vehicle"),
    "vehicle_class": ("车型", "Vehicle class"),
    "depot": ("储备库", "Depot"),
    "trip": ("趟次", "Trip"),
    "stop_no": ("序号", "No."),
    "point": ("停靠点", "Stop"),
    "destination": ("目的地", "Destination"),
    "demand": ("需求编号", "Demand"),
    "via": ("经转运点", "Via staging"),
    "roads": ("行驶路线", "Route (roads)"),
    "leave_h": ("出发(小时)", "Leave (h)"),
    "leave_at": ("出发时刻", "Leave at"),
    "arrive_h": ("到达(小时)", "Arrive (h)"),
    "arrive_at": ("到达时刻", "Arrive at"),
    "met_h": ("满足(小时)", "Met (h)"),
    "met_at": ("满足时刻", "Met at"),
    "leave": ("出发", "Leave"),
    "arrive": ("到达", "Arrive"),
    "met": ("需求满足", "Needs met"),
    "items": ("装载物资", "Load"),
    "item": ("物资", "Item"),
    "quantity": ("数量", "Quantity"),
    "unit": ("单位", "Unit"),
    "late": ("超时(未达时限)", "Late (missed targets)"),
    "reason": ("原因", "Reason"),
    "signature": ("签收", "Received by"),
    "driver": ("司机签字", "Driver"),
    "dispatcher": ("发运人签字", "Dispatched by"),
    "summary": ("概要", "Summary"),
    "stops_sheet": ("停靠点", "Stops"),
    "unserved_sheet": ("未送达", "Unserved"),
    "transfers_sheet": ("转运", "Transfers"),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "scenario": ("情景", "Scenario"),
    "area": ("区域", "Area"),
    "report_time": ("灾情报告时间", "Disaster reported at"),
    "engine": ("求解引擎", "Engine"),
    "vehicles_used": ("出动车辆", "Vehicles used"),
    "trips": ("趟次总数", "Trips"),
    "stops": ("停靠点总数", "Stops"),
    "committed": ("已送达停靠点", "Stops already delivered"),
    "late_stops": ("超时停靠点", "Late stops"),
    "drive_h": ("行驶时间(小时)", "Driving time (h)"),
    "distance_km": ("行驶里程(公里)", "Distance (km)"),
    "transfers": ("直升机/冲锋舟转运", "Air/boat transfers"),
    "unserved_units": ("未送达物资(件/单位)", "Units not delivered"),
    "solve_s": ("求解用时(秒)", "Solve time (s)"),
    "targets": ("时效目标", "Time targets"),
    "target_h": ("时限(小时)", "Target (h)"),
    "deadline": ("时限时刻", "Deadline"),
    "people_total": ("需救助人数", "People to serve"),
    "people_met": ("计划满足人数", "People met (plan)"),
    "share_met": ("计划满足比例", "Share met (plan)"),
    "check_share": ("救助核查满足比例", "Share met (relief check)"),
    "gap": ("差距(百分点)", "Gap (points)"),
    "by_reason": ("未送达原因", "Units not delivered, by reason"),
    "units": ("件/单位", "Units"),
    "redispatch": ("重新调度", "Re-dispatch"),
    "start": ("出车", "Start"),
    "end": ("收车", "End"),
    "no_stops": ("本车无停靠点", "No stops for this vehicle"),
    "none": ("无", "none"),
    "craft_trips": ("架次/船次", "craft trips"),
    "from": ("起点", "From"),
    "to": ("终点", "To"),
    "mode": ("方式", "Mode"),
    "craft_class": ("机/船型", "Craft class"),
    "km": ("距离(公里)", "Distance (km)"),
    "start_h": ("开始(小时)", "Start (h)"),
    "start_h_at": ("开始时刻", "Start at"),
    "arrive_h_at": ("到达时刻", "Arrive at"),
}


MODES: dict[str, tuple[str, str]] = {
    "road": ("公路", "road"),
    "boat": ("冲锋舟", "boat"),
    "helicopter": ("直升机", "helicopter"),
}

UNITS: dict[str, tuple[str, str]] = {
    "piece": ("件", "piece"),
    "set": ("套", "set"),
    "kg": ("公斤", "kg"),
    "L": ("升", "L"),
    "kit": ("包", "kit"),
}

#: Transfer columns in the order :mod:`scenarios.dispatch_shuttle` writes them.
TRANSFER_KEYS = (
    "from",
    "to",
    "demand",
    "vehicle",
    "mode",
    "craft_class",
    "craft_trips",
    "km",
    "start_h",
    "arrive_h",
    "items",
)
UNSERVED_KEYS = ("point", "demand", "item", "quantity", "reason", "depot")


def text(key: str, lang: Lang) -> str:
    """The sheet label for ``key`` in ``lang``; unknown keys come back as they are."""
    zh, en = LABELS.get(key, (key, key))
    return pick(zh, en, lang)


#: The schedule engine that made the plan (solver.schedule), in words; "grasp-N" is run N.
ENGINE_NAMES: dict[str, tuple[str, str]] = {
    "deadline": ("最早时限优先贪心", "earliest-deadline greedy"),
    "value": ("价值优先贪心", "value-first greedy"),
    "grasp": ("随机化贪心(GRASP)", "GRASP"),
    "cp-sat": ("约束规划(CP-SAT)", "CP-SAT"),
}


def engine_label(engine: str, lang: Lang) -> str:
    """The engine of a plan in words ("grasp-3": the third randomised run)."""
    name, _, run = str(engine).partition("-")
    if str(engine) in ENGINE_NAMES:
        name, run = str(engine), ""
    zh, en = ENGINE_NAMES.get(name, (str(engine), str(engine)))
    if run and name in ENGINE_NAMES:
        zh, en = f"{zh} 第{run}次", f"{en} run {run}"
    return pick(zh, en, lang)


def reason_label(reason: str, lang: Lang) -> str:
    """An unserved reason code in words (:mod:`scenarios.plan`'s labels)."""
    from scenarios.plan import reason_labels

    return pick(*reason_labels(reason), lang)


def item_name(item_id: str, lang: Lang) -> str:
    """The catalogue name of an item in ``lang``; the id for items not in the catalogue."""
    try:
        item = DEFAULT_CATALOGUE.get(item_id)
    except DataError:
        return item_id
    return pick(item.name_zh, item.name_en, lang)


def item_unit(item_id: str, lang: Lang) -> str:
    """The counting unit of an item in ``lang`` ("" for items not in the catalogue)."""
    try:
        unit = DEFAULT_CATALOGUE.get(item_id).unit
    except DataError:
        return ""
    return pick(*UNITS.get(unit, (unit, unit)), lang)


def class_name(class_id: str, lang: Lang) -> str:
    """The name of a vehicle class in ``lang``; the id for classes not in the defaults."""
    for cls in DEFAULT_VEHICLE_CLASSES:
        if cls.id == class_id:
            return pick(cls.name_zh, cls.name_en, lang)
    return class_id


def mode_name(mode: str, lang: Lang) -> str:
    """A transport mode (road, boat, helicopter) in ``lang``."""
    return pick(*MODES.get(mode, (mode, mode)), lang)


def quantity_text(quantity: object) -> str:
    """A quantity without a needless ".0" (and without thousands separators)."""
    if isinstance(quantity, int | float) and not isinstance(quantity, bool):
        if float(quantity).is_integer():
            return str(int(quantity))
        return f"{quantity:.3f}".rstrip("0").rstrip(".")
    return str(quantity)


def items_text(items: Mapping[str, Any], lang: Lang) -> str:
    """A load as "方便食品 ready-to-eat food 50; 饮用水 drinking water 300"."""
    return "; ".join(f"{item_name(k, lang)} {quantity_text(q)}" for k, q in items.items())


# --- time -----------------------------------------------------------------------------------


def report_time(doc: Mapping[str, Any]) -> datetime | None:
    """When the disaster was reported (scenario.report_time), or None when the plan lacks it."""
    raw = (doc.get("scenario") or {}).get("report_time")
    if raw in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        raise DataError(
            f"not an ISO date and time: {raw!r}",
            field="scenario.report_time",
            problem_zh="灾情报告时间须为 ISO 格式日期时间",
        ) from None


def wall_clock(report: datetime | None, hours: float | None) -> str:
    """The local time ``hours`` after ``report`` to the minute ("2024-07-30 21:30").

    The time is shown in the report's own UTC offset (the place of the scenario).
    """
    if report is None or hours is None:
        return ""
    at = to_the_minute(report + timedelta(hours=float(hours)))
    return at.strftime("%Y-%m-%d %H:%M")


def offset_text(hours: float | None) -> str:
    """Hours after the report as "+3.50 h"."""
    return "" if hours is None else f"{float(hours):+.2f} h"


def hours_text(hours: float | None) -> str:
    """Hours as a plain number for spreadsheets ("3.50")."""
    return "" if hours is None else f"{float(hours):.2f}"
