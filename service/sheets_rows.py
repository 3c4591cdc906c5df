"""Reading a plan document into stops and the rows shared by the CSV and the workbook."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.i18n import Lang, pick
from service.sheets_text import (
    LABELS,
    PLAN_KIND,
    TRANSFER_KEYS,
    UNSERVED_KEYS,
    class_name,
    engine_label,
    hours_text,
    item_name,
    items_text,
    mode_name,
    quantity_text,
    reason_label,
    report_time,
    text,
    wall_clock,
)
from solver.errors import DataError

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


def demand_label(value: object) -> str:
    """A plan's demand (``{"point", "overflow"}``) as a sheet names it; "" if none."""
    from scenarios.plan import DemandRef

    if isinstance(value, Mapping):
        return DemandRef.model_validate(value).label()
    return "" if value is None else str(value)


def stop_demand(raw: Mapping[str, Any]) -> str:
    """The first demand a stop carries goods for, as a sheet names it."""
    parts = raw.get("parts") or []
    return demand_label(parts[0].get("demand")) if parts else str(raw.get("point", ""))


def _late_index(doc: Mapping[str, Any]) -> dict[tuple[str, str, float], tuple[float, ...]]:
    """Missed targets of each late stop, by (vehicle, demand, met_h)."""
    out: dict[tuple[str, str, float], tuple[float, ...]] = {}
    for row in doc.get("late", []):
        met = _num(row.get("met_h"))
        if met is None:
            continue
        key = (
            str(row.get("vehicle", "")),
            demand_label(row.get("demand")) or str(row.get("point", "")),
        )
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
    demand = stop_demand(raw)
    transfer = raw.get("transfer") or None
    via = raw.get("via") or None
    destination = str((transfer or {}).get("to") or raw.get("place") or point)
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
            elif k == "demand":
                value = demand_label(value)
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
            value = engine_label(kpis[key], lang) if key == "engine" else kpis[key]
            pairs.append((text(key, lang), value))
    if doc.get("committed"):
        pairs.append((text("committed", lang), len(doc["committed"])))
    return pairs


def redispatch_pairs(doc: Mapping[str, Any], lang: Lang) -> list[tuple[str, object]]:
    """The ``redispatch`` section of a re-plan (any keys) as (key, value) pairs."""
    red = doc.get("redispatch")
    if not isinstance(red, Mapping):
        return []
    return [(str(k), _cell(v, lang)) for k, v in red.items()]
