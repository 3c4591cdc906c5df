"""Dispatch sheets from a plan document: a CSV for Excel, an XLSX workbook and printable HTML.

The input is the dispatch plan document (``plan.json``, see :mod:`scenarios.dispatch_doc`).
Every time in a plan is hours after the disaster report; the sheets show both the offset
("+3.50 h") and the wall-clock time at the place of the scenario ("2024-07-30 21:30").

:func:`write_sheets` writes ``sheets.csv`` (UTF-8 with BOM, one row per stop),
``sheets.xlsx`` (Summary, Stops, Unserved and Transfers sheets) and ``sheets.html`` (a
cover page with the KPIs, then one signed dispatch sheet per vehicle).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from geodata.io import write_atomic
from service.i18n import Lang, pick
from solver.catalogue import DEFAULT_CATALOGUE
from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES

#: The ``kind`` of a dispatch plan document; equal to ``scenarios.dispatch_doc.PLAN_KIND``
#: (not imported, so that writing sheets does not load the routing stack).
PLAN_KIND = "dispatch_plan"

CSV_NAME = "sheets.csv"
XLSX_NAME = "sheets.xlsx"
HTML_NAME = "sheets.html"

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

#: Reasons a dispatch plan gives for units it does not deliver.
REASONS: dict[str, tuple[str, str]] = {
    "no_vehicle": ("储备库无车辆", "no vehicle at the depot"),
    "no_vehicle_in_time": ("运力不足,无车辆按时送达", "no vehicle in time"),
    "depot_closed": ("储备库关闭(车辆无法出库)", "depot closed"),
    "cut_off": ("被洪水阻断,车辆与转运均无法到达", "cut off (no road, air or boat route)"),
    "too_big_for_vehicles": ("单件超出所有车辆载重或容积", "a unit too big for every vehicle"),
    "over_capacity": ("避难场所容量不足", "shelters over capacity"),
    "no_stock": ("库存不足", "no stock"),
    "receiving_window": ("避难场所接收时段内无法送达", "outside the shelter's receiving hours"),
    "shelter_changed": ("道路封闭后人员转往其他避难场所", "people moved to another shelter"),
}
#: Prefix of re-dispatch reasons for goods already on a truck.
ON_BOARD = ("在途车辆:", "on board: ")

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


def reason_label(reason: str, lang: Lang) -> str:
    """An unserved reason code in words; unknown codes are printed as they are."""
    if reason.startswith("on_board_"):
        zh, en = REASONS.get(reason.removeprefix("on_board_"), (reason, reason))
        return pick(ON_BOARD[0] + zh, ON_BOARD[1] + en, lang)
    return pick(*REASONS.get(reason, (reason, reason)), lang)


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
    at = report + timedelta(hours=float(hours))
    at = (at + timedelta(seconds=30)).replace(second=0, microsecond=0)
    return at.strftime("%Y-%m-%d %H:%M")


def offset_text(hours: float | None) -> str:
    """Hours after the report as "+3.50 h"."""
    return "" if hours is None else f"{float(hours):+.2f} h"


def hours_text(hours: float | None) -> str:
    """Hours as a plain number for spreadsheets ("3.50")."""
    return "" if hours is None else f"{float(hours):.2f}"


# --- reading the plan -------------------------------------------------------------------------


def check_plan(doc: object) -> None:
    """Raise :class:`DataError` unless ``doc`` looks like a dispatch plan document."""
    kind = doc.get("kind") if isinstance(doc, Mapping) else None
    if kind != PLAN_KIND:
        raise DataError(
            f"not a dispatch plan: kind is {kind!r}, expected {PLAN_KIND!r}",
            field="plan",
            problem_zh=f"不是调度计划文件(kind 应为 {PLAN_KIND!r})",
        )
    assert isinstance(doc, Mapping)
    for key in ("routes", "committed", "unserved", "late", "transfers"):
        if not isinstance(doc.get(key, []), list):
            raise DataError("must be a list", field=key, problem_zh="须为列表")
    for n, route in enumerate(doc.get("routes", [])):
        if not isinstance(route, Mapping) or not isinstance(route.get("stops", []), list):
            raise DataError(
                "a route must be an object with a list of stops",
                record=str(n),
                field="routes",
                problem_zh="路线须包含停靠点列表",
            )


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of a vehicle, flattened for the sheets."""

    status: str
    vehicle: str
    vehicle_class: str
    depot: str
    trip: int | None
    point: str
    destination: str
    demand: str
    via: Mapping[str, Any] | None
    transfer: Mapping[str, Any] | None
    leave_h: float | None
    arrive_h: float | None
    met_h: float | None
    items: Mapping[str, Any]
    missed: tuple[float, ...]
    roads: tuple[str, ...] = ()
    name: str = ""


def _num(value: object) -> float | None:
    """A float, or None for missing values."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def _late_index(doc: Mapping[str, Any]) -> dict[tuple[str, str, float], tuple[float, ...]]:
    """Missed targets of each late stop, by (vehicle, demand, met_h)."""
    out: dict[tuple[str, str, float], tuple[float, ...]] = {}
    for row in doc.get("late", []):
        met = _num(row.get("met_h"))
        if met is None:
            continue
        key = (str(row.get("vehicle", "")), str(row.get("demand", row.get("point", ""))))
        out[(*key, round(met, 3))] = tuple(float(t) for t in row.get("missed_targets_h", []))
    return out


def _stop(
    raw: Mapping[str, Any],
    route: Mapping[str, Any],
    status: str,
    late: Mapping[tuple[str, str, float], tuple[float, ...]],
) -> Stop:
    """Flatten one stop record of ``route`` (or of a committed stop, ``route`` = itself)."""
    point = str(raw.get("point", ""))
    demand = str(raw.get("demand", point))
    transfer = raw.get("transfer") or None
    via = raw.get("via") or None
    destination = str((transfer or {}).get("to") or demand.split("#")[0] or point)
    vehicle = str(route.get("vehicle", ""))
    met = _num(raw.get("met_h"))
    missed = late.get((vehicle, demand, round(met, 3))) if met is not None else None
    trip = raw.get("trip")
    return Stop(
        status=status,
        vehicle=vehicle,
        vehicle_class=str(route.get("vehicle_class", "")),
        depot=str(raw.get("depot") or route.get("depot", "")),
        trip=None if trip is None else int(trip),
        point=point,
        destination=destination,
        demand=demand,
        via=via,
        transfer=transfer,
        leave_h=_num(raw.get("leave_h")),
        arrive_h=_num(raw.get("arrive_h")),
        met_h=met,
        items=dict(raw.get("items") or {}),
        missed=missed or (),
        roads=tuple(str(r) for r in raw.get("roads") or ()),
        name=str(raw.get("name") or ""),
    )


def plan_stops(doc: Mapping[str, Any]) -> list[Stop]:
    """Every stop of the plan: the planned route stops, then those already delivered."""
    check_plan(doc)
    late = _late_index(doc)
    out = [
        _stop(s, route, "planned", late)
        for route in doc.get("routes", [])
        for s in route.get("stops", [])
    ]
    classes = {r.get("vehicle"): r.get("vehicle_class", "") for r in doc.get("routes", [])}
    for s in doc.get("committed", []):
        route = {
            "vehicle": s.get("vehicle", ""),
            "vehicle_class": s.get("vehicle_class") or classes.get(s.get("vehicle"), ""),
            "depot": s.get("depot", ""),
        }
        out.append(_stop(s, route, "delivered", late))
    return out


def via_text(stop: Stop, lang: Lang) -> str:
    """The staging point of a stop and the air/boat mode, e.g. "ST-1 (直升机 helicopter)"."""
    if not stop.via:
        return ""
    staging = str(stop.via.get("staging", ""))
    mode = stop.via.get("mode")
    return f"{staging} ({mode_name(str(mode), lang)})" if mode else staging


def late_text(stop: Stop) -> str:
    """The targets a stop misses, e.g. "> 10 h", or "" when it is on time."""
    if not stop.missed:
        return ""
    return ", ".join(f"> {quantity_text(t)} h" for t in stop.missed)


# --- rows shared by CSV and XLSX --------------------------------------------------------------

STOP_COLUMNS = (
    "status",
    "vehicle",
    "vehicle_class",
    "depot",
    "trip",
    "point",
    "destination",
    "via",
    "roads",
    "leave_h",
    "leave_at",
    "arrive_h",
    "arrive_at",
    "met_h",
    "met_at",
    "items",
    "late",
)


def stop_record(stop: Stop, lang: Lang, report: datetime | None) -> dict[str, Any]:
    """The Stops columns of one stop; hours stay numbers (None when missing)."""
    return {
        "status": text(stop.status, lang),
        "vehicle": stop.vehicle,
        "vehicle_class": class_name(stop.vehicle_class, lang),
        "depot": stop.depot,
        "trip": stop.trip,
        "point": stop.point,
        "destination": stop.destination + (f" {stop.name}" if stop.name else ""),
        "via": via_text(stop, lang),
        "roads": " → ".join(stop.roads),
        "leave_h": stop.leave_h,
        "leave_at": wall_clock(report, stop.leave_h),
        "arrive_h": stop.arrive_h,
        "arrive_at": wall_clock(report, stop.arrive_h),
        "met_h": stop.met_h,
        "met_at": wall_clock(report, stop.met_h),
        "items": items_text(stop.items, lang),
        "late": late_text(stop),
    }


def render_csv(doc: Mapping[str, Any], lang: Lang = Lang.BOTH) -> str:
    """The stops of ``doc`` as CSV text, one row per stop, headers in ``lang``."""
    report = report_time(doc)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([text(c, lang) for c in STOP_COLUMNS])
    for stop in plan_stops(doc):
        rec = stop_record(stop, lang, report)
        writer.writerow(
            [
                hours_text(rec[c]) if c.endswith("_h") else ("" if rec[c] is None else rec[c])
                for c in STOP_COLUMNS
            ]
        )
    return buf.getvalue()


def _columns(rows: Sequence[Mapping[str, Any]], known: Sequence[str]) -> list[str]:
    """The known keys, then any other key the rows hold, in order of first appearance."""
    cols = list(known)
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols


def _cell(value: object, lang: Lang) -> object:
    """A plain spreadsheet value: dicts of items become a load text, other nests JSON."""
    if isinstance(value, Mapping):
        if all(isinstance(v, int | float) for v in value.values()):
            return items_text(value, lang)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


def transfer_table(
    doc: Mapping[str, Any], lang: Lang, report: datetime | None
) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the transfers: every key, plus the wall clock of ``*_h`` keys."""
    rows = list(doc.get("transfers", []))
    keys = _columns(rows, TRANSFER_KEYS)
    if rows:  # only the known keys the rows use, so that every column says something
        keys = [k for k in keys if any(k in r for r in rows)]
    headers: list[str] = []
    for k in keys:
        headers.append(text(k, lang))
        if k.endswith("_h"):
            headers.append(text(f"{k}_at", lang) if f"{k}_at" in LABELS else f"{k} @")
    body: list[list[object]] = []
    for row in rows:
        cells: list[object] = []
        for k in keys:
            value = row.get(k)
            cells.append(
                mode_name(str(value), lang) if k == "mode" and value else _cell(value, lang)
            )
            if k.endswith("_h"):
                cells.append(wall_clock(report, _num(value)) if _is_number(value) else "")
        body.append(cells)
    return headers, body


def _is_number(value: object) -> bool:
    """True for ints and floats (not bools)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def unserved_table(doc: Mapping[str, Any], lang: Lang) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the units not delivered, with items and reasons in words."""
    rows = list(doc.get("unserved", []))
    keys = _columns(rows, UNSERVED_KEYS)
    body: list[list[object]] = []
    for row in rows:
        cells: list[object] = []
        for k in keys:
            value = row.get(k)
            if k == "item" and value is not None:
                value = item_name(str(value), lang)
            elif k == "reason" and value is not None:
                value = reason_label(str(value), lang)
            cells.append(_cell(value, lang))
        body.append(cells)
    return [text(k, lang) for k in keys], body


def _share(value: object) -> float | None:
    """A share as a float, or None."""
    return float(value) if _is_number(value) else None  # type: ignore[arg-type]


def target_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per target hour: people to serve and met by the plan, share met by plan and check."""
    kpis = doc.get("kpis") or {}
    check = {float(t["hours"]): t for t in kpis.get("relief_check_targets", []) if "hours" in t}
    out = []
    for t in kpis.get("targets", []):
        hours = float(t["hours"])
        plan_share = _share(t.get("share_met"))
        check_share = _share(check.get(hours, {}).get("share_met"))
        gap = None
        if plan_share is not None and check_share is not None:
            gap = round((plan_share - check_share) * 100, 1)
        out.append(
            {
                "hours": hours,
                "people_total": t.get("people_total"),
                "people_met": t.get("people_met"),
                "share_met": plan_share,
                "check_share": check_share,
                "gap": gap,
            }
        )
    return out


def summary_pairs(doc: Mapping[str, Any], lang: Lang) -> list[tuple[str, object]]:
    """The headline figures of the plan as (label, value) pairs."""
    sc = doc.get("scenario") or {}
    kpis = doc.get("kpis") or {}
    report = report_time(doc)
    pairs: list[tuple[str, object]] = [
        (text("scenario", lang), pick(sc.get("name_zh") or "", sc.get("name") or "", lang)),
        (text("area", lang), sc.get("area", "")),
        (text("report_time", lang), wall_clock(report, 0.0) if report else ""),
    ]
    for key in (
        "vehicles_used",
        "trips",
        "stops",
        "late_stops",
        "drive_h",
        "distance_km",
        "transfers",
        "unserved_units",
        "engine",
        "solve_s",
    ):
        if key in kpis:
            pairs.append((text(key, lang), kpis[key]))
    if doc.get("committed"):
        pairs.append((text("committed", lang), len(doc["committed"])))
    return pairs


def redispatch_pairs(doc: Mapping[str, Any], lang: Lang) -> list[tuple[str, object]]:
    """The ``redispatch`` section of a re-plan (any keys) as (key, value) pairs."""
    red = doc.get("redispatch")
    if not isinstance(red, Mapping):
        return []
    return [(str(k), _cell(v, lang)) for k, v in red.items()]


# --- XLSX -----------------------------------------------------------------------------------


def _width(value: object) -> int:
    """Display width of a cell value (CJK characters count double)."""
    s = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _fit_columns(ws: Any, rows: Iterable[Sequence[object]]) -> None:
    """Set each column's width to its longest value, within 6 to 60 characters."""
    widths: dict[int, int] = {}
    for row in rows:
        for n, value in enumerate(row, start=1):
            widths[n] = max(widths.get(n, 0), _width(value))
    for n, w in widths.items():
        ws.column_dimensions[get_column_letter(n)].width = min(60, max(6, w + 2))


def _table_sheet(
    ws: Any,
    headers: Sequence[str],
    body: Sequence[Sequence[object]],
    hour_cols: Collection[int] = (),
) -> None:
    """Fill ``ws`` with a bold, frozen header row and the body rows."""
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=False, vertical="center")
    for row in body:
        ws.append(list(row))
    for col in hour_cols:
        letter = get_column_letter(col)
        for cell in ws[letter][1:]:
            cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    _fit_columns(ws, [headers, *body])


def _summary_sheet(ws: Any, doc: Mapping[str, Any], lang: Lang) -> None:
    """KPIs, the targets met against the relief check, and unserved units by reason."""
    bold = Font(bold=True)
    written: list[Sequence[object]] = []

    def add(row: Sequence[object], *, strong: bool = False) -> None:
        ws.append(list(row))
        written.append(row)
        if strong:
            for cell in ws[ws.max_row]:
                cell.font = bold

    def section(title: str, headers: Sequence[str]) -> None:
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = bold
        add(headers, strong=True)

    add([text("indicator", lang), text("value", lang)], strong=True)
    for pair in summary_pairs(doc, lang):
        add(pair)
    report = report_time(doc)
    heads = ["target_h", "deadline", "people_total", "people_met", "share_met", "check_share"]
    section(text("targets", lang), [text(h, lang) for h in [*heads, "gap"]])
    for t in target_rows(doc):
        add(
            [
                t["hours"],
                wall_clock(report, t["hours"]),
                t["people_total"],
                t["people_met"],
                t["share_met"],
                t["check_share"],
                t["gap"],
            ]
        )
        for col in (5, 6):
            ws.cell(ws.max_row, col).number_format = "0.0%"
    by_reason = (doc.get("kpis") or {}).get("unserved_units_by_reason") or {}
    section(text("by_reason", lang), [text("reason", lang), text("units", lang)])
    for reason, units in by_reason.items():
        add([reason_label(str(reason), lang), units])
    red = redispatch_pairs(doc, lang)
    if red:
        section(text("redispatch", lang), [text("indicator", lang), text("value", lang)])
        for pair in red:
            add(pair)
    ws.freeze_panes = "A2"
    _fit_columns(ws, written)


def _stops_sheet(ws: Any, doc: Mapping[str, Any], lang: Lang) -> None:
    """One row per stop, with a numeric column per item after the load text."""
    report = report_time(doc)
    stops = plan_stops(doc)
    item_ids: list[str] = []
    for s in stops:
        item_ids += [k for k in s.items if k not in item_ids]
    headers = [text(c, lang) for c in STOP_COLUMNS] + [item_name(i, lang) for i in item_ids]
    body = []
    for s in stops:
        rec = stop_record(s, lang, report)
        body.append([rec[c] for c in STOP_COLUMNS] + [s.items.get(i) for i in item_ids])
    hour_cols = {n for n, c in enumerate(STOP_COLUMNS, start=1) if c.endswith("_h")}
    _table_sheet(ws, headers, body, hour_cols)


def build_workbook(doc: Mapping[str, Any], lang: Lang = Lang.BOTH) -> Workbook:
    """The XLSX workbook: Summary, Stops, Unserved and Transfers sheets."""
    check_plan(doc)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = text("summary", lang)
    _summary_sheet(summary, doc, lang)
    _stops_sheet(wb.create_sheet(text("stops_sheet", lang)), doc, lang)
    _table_sheet(wb.create_sheet(text("unserved_sheet", lang)), *unserved_table(doc, lang))
    report = report_time(doc)
    _table_sheet(wb.create_sheet(text("transfers_sheet", lang)), *transfer_table(doc, lang, report))
    return wb


# --- HTML -----------------------------------------------------------------------------------

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "SimSun", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 1px solid #555; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
td.num { text-align: right; white-space: nowrap; }
.time { white-space: nowrap; }
.rel { color: #555; font-size: 9pt; }
.late { background: #fde2e2; }
.newtrip > td { border-top: 2.5px solid #111; }
.load { border: none; margin: 0; width: auto; }
.load td { border: none; padding: 0 1.5mm 0 0; }
.roads { display: block; color: #444; font-size: 8.5pt; margin-top: 1mm; }
td.narrow, th.narrow { width: 7mm; text-align: center; }
.sign { min-width: 20mm; height: 12mm; }
.info th { width: 32mm; }
.footer { margin-top: 8mm; display: flex; gap: 20mm; }
.footer div { flex: 1; border-bottom: 1px solid #111; padding-top: 10mm; }
.sheet { margin-top: 12mm; }
@page { size: A4; margin: 12mm; }
@media print {
  .sheet { page-break-before: always; break-before: page; margin-top: 0; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    """Escaped text of a value for HTML ("" for None)."""
    return "" if value is None else escape(str(value))


def _time_html(report: datetime | None, hours: float | None) -> str:
    """A time cell: the wall clock over the offset after the report."""
    if hours is None:
        return ""
    clock = wall_clock(report, hours)
    rel = f'<span class="rel">{_e(offset_text(hours))}</span>'
    return f'<span class="time">{_e(clock)}</span><br>{rel}' if clock else rel


def _table_html(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table from header texts and already-escaped cell HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(share: float | None) -> str:
    """A share as a percentage ("45.4%")."""
    return "" if share is None else f"{share * 100:.1f}%"


def _cover_html(doc: Mapping[str, Any], lang: Lang) -> str:
    """The cover page: headline figures, targets against the relief check, unserved units."""
    report = report_time(doc)
    parts = [f"<h1>{_e(text('title', lang))}</h1>"]
    pairs = [(label, _e(quantity_text(v))) for label, v in summary_pairs(doc, lang)]
    parts.append(_table_html([text("indicator", lang), text("value", lang)], pairs, "info"))
    rows = [
        [
            _e(quantity_text(t["hours"])),
            _e(wall_clock(report, t["hours"])),
            _e(t["people_total"]),
            _e(t["people_met"]),
            _e(_pct(t["share_met"])),
            _e(_pct(t["check_share"])),
            _e("" if t["gap"] is None else f"{t['gap']:+.1f}"),
        ]
        for t in target_rows(doc)
    ]
    heads = ["target_h", "deadline", "people_total", "people_met", "share_met", "check_share"]
    parts.append(f"<h3>{_e(text('targets', lang))}</h3>")
    parts.append(_table_html([text(h, lang) for h in [*heads, "gap"]], rows))
    by_reason = (doc.get("kpis") or {}).get("unserved_units_by_reason") or {}
    parts.append(f"<h3>{_e(text('by_reason', lang))}</h3>")
    if by_reason:
        reason_rows = [[_e(reason_label(str(r), lang)), _e(n)] for r, n in by_reason.items()]
        parts.append(_table_html([text("reason", lang), text("units", lang)], reason_rows))
    else:
        parts.append(f"<p>{_e(text('none', lang))}</p>")
    red = redispatch_pairs(doc, lang)
    if red:
        parts.append(f"<h3>{_e(text('redispatch', lang))}</h3>")
        red_rows = [[_e(k), _e(v)] for k, v in red]
        parts.append(_table_html([text("indicator", lang), text("value", lang)], red_rows))
    return '<section class="cover">' + "".join(parts) + "</section>"


def _load_html(items: Mapping[str, Any], lang: Lang) -> str:
    """A stop's load as a small table of item, quantity and unit."""
    rows = "".join(
        f'<tr><td>{_e(item_name(k, lang))}</td><td class="num">{_e(quantity_text(q))}</td>'
        f"<td>{_e(item_unit(k, lang))}</td></tr>"
        for k, q in items.items()
    )
    return f'<table class="load">{rows}</table>'


def _destination_html(stop: Stop, report: datetime | None, lang: Lang) -> str:
    """The place the goods go; for a staging stop, the staging point and the air/boat leg."""
    route = (
        f'<span class="roads">{_e(text("roads", lang))}: {_e(" → ".join(stop.roads))}</span>'
        if stop.roads
        else ""
    )
    place = _e(stop.destination) + (f"<br>{_e(stop.name)}" if stop.name else "")
    if not stop.via:
        return place + route
    lines = [
        f"<b>{place}</b>" + route,
        f"{_e(text('via', lang))}: {_e(via_text(stop, lang))}",
    ]
    tr = stop.transfer or {}
    if "craft_trips" in tr:
        lines.append(f"{_e(quantity_text(tr['craft_trips']))} {_e(text('craft_trips', lang))}")
    if _is_number(tr.get("arrive_h")):
        lines.append(f"{_e(text('arrive', lang))} {_time_html(report, _num(tr['arrive_h']))}")
    return "<br>".join(lines)


def _vehicle_html(route: Mapping[str, Any], doc: Mapping[str, Any], lang: Lang) -> str:
    """One dispatch sheet: the vehicle, its stops in order, and signature lines."""
    report = report_time(doc)
    late = _late_index(doc)
    stops = [_stop(s, route, "planned", late) for s in route.get("stops", [])]
    vehicle = str(route.get("vehicle", ""))
    info = [
        (text("vehicle", lang), _e(vehicle)),
        (text("vehicle_class", lang), _e(class_name(str(route.get("vehicle_class", "")), lang))),
        (text("depot", lang), _e(route.get("depot", ""))),
        (text("start", lang), _time_html(report, _num(route.get("start_h")))),
        (text("end", lang), _time_html(report, _num(route.get("end_h")))),
        (text("drive_h", lang), _e(hours_text(_num(route.get("drive_h"))))),
    ]
    if route.get("distance_km") is not None:
        info.append((text("distance_km", lang), _e(quantity_text(route["distance_km"]))))
    info_html = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in info)
    heads = ["stop_no", "trip", "leave", "arrive", "destination", "items", "met", "signature"]
    rows = []
    prev_trip: int | None = None
    for n, s in enumerate(stops, start=1):
        classes = []
        if s.missed:
            classes.append("late")
        if n > 1 and s.trip != prev_trip:
            classes.append("newtrip")
        prev_trip = s.trip
        met = _time_html(report, s.met_h)
        if s.missed:
            met += f"<br><b>{_e(text('late', lang))}: {_e(late_text(s))}</b>"
        cells = [
            _e(n),
            _e(s.trip),
            _time_html(report, s.leave_h),
            _time_html(report, s.arrive_h),
            _destination_html(s, report, lang),
            _load_html(s.items, lang),
            met,
            "",
        ]
        attr = f' class="{" ".join(classes)}"' if classes else ""
        tds = "".join(
            f'<td class="sign">{c}</td>'
            if i == len(cells) - 1
            else f'<td class="narrow">{c}</td>'
            if i < 2
            else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        )
        rows.append(f"<tr{attr}>{tds}</tr>")
    head = "".join(
        f'<th class="narrow">{_e(text(h, lang))}</th>' if i < 2 else f"<th>{_e(text(h, lang))}</th>"
        for i, h in enumerate(heads)
    )
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else f"<p>{_e(text('no_stops', lang))}</p>"
    )
    footer = "".join(
        f"<div>{_e(text(k, lang))}:</div>" for k in ("driver", "dispatcher", "signature")
    )
    title = f"{_e(text('title', lang))} · {_e(vehicle)}"
    return (
        f'<section class="sheet"><h2>{title}</h2><table class="info">{info_html}</table>'
        f'{table}<div class="footer">{footer}</div></section>'
    )


def render_html(doc: Mapping[str, Any], lang: Lang = Lang.BOTH) -> str:
    """The printable HTML: a cover with the KPIs, then one sheet per vehicle by depot."""
    check_plan(doc)
    routes = sorted(
        doc.get("routes", []),
        key=lambda r: (str(r.get("depot", "")), _num(r.get("start_h")) or 0.0),
    )
    sc = doc.get("scenario") or {}
    name = pick(sc.get("name_zh") or "", sc.get("name") or "", lang)
    title = f"{text('title', lang)} – {name}" if name else text("title", lang)
    html_lang = "en" if lang is Lang.EN else "zh-CN"
    body = _cover_html(doc, lang) + "".join(_vehicle_html(r, doc, lang) for r in routes)
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


# --- writing --------------------------------------------------------------------------------


def write_sheets(doc: dict[str, Any], out: Path, lang: Lang = Lang.BOTH) -> list[Path]:
    """Write ``sheets.csv``, ``sheets.xlsx`` and ``sheets.html`` into the folder ``out``.

    Each file is written atomically (a temporary file moved into place), so an old sheet
    is never left half-overwritten. Returns the paths written.

    Raises
    ------
    DataError
        When ``doc`` is not a dispatch plan document (``field="plan"``) or is malformed.
    """
    check_plan(doc)
    out = Path(out)
    csv_bytes = render_csv(doc, lang).encode("utf-8-sig")
    workbook = build_workbook(doc, lang)
    html_bytes = render_html(doc, lang).encode("utf-8")
    return [
        write_atomic(out / CSV_NAME, lambda tmp: tmp.write_bytes(csv_bytes)),
        write_atomic(out / XLSX_NAME, lambda tmp: workbook.save(tmp)),
        write_atomic(out / HTML_NAME, lambda tmp: tmp.write_bytes(html_bytes)),
    ]
