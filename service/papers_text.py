"""Words, numbers and times on the printed papers, Chinese first.

With ``Lang.BOTH`` a label is the Chinese text with the English in a smaller second line
(``<span class="en">``); ``Lang.ZH`` prints no English except codes (ids, sheet numbers);
``Lang.EN`` prints English only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from service.i18n import Lang, pick
from solver.units import to_the_minute

LABELS: dict[str, tuple[str, str]] = {
    "driver_sheet": ("司机调度单", "Driver sheet"),
    "loading_list": ("储备库出库单", "Depot loading list"),
    "receipt_list": ("避难场所接收清单", "Shelter receipt list"),
    "index": ("目录", "Index"),
    "index_entry": ("内容", "Contents"),
    "papers": ("救灾物资调度文书", "Relief dispatch papers"),
    "sheet_no": ("单号", "Sheet No."),
    "plan_version": ("计划版本", "Plan version"),
    "issued": ("印发时间", "Issued"),
    "report_time": ("灾情报告时间", "Disaster reported"),
    "scenario": ("情景", "Scenario"),
    "vehicle": ("车辆", "Vehicle"),
    "vehicle_class": ("车型", "Vehicle class"),
    "plate": ("车牌号", "Plate"),
    "driver": ("司机", "Driver"),
    "phone": ("电话", "Phone"),
    "depot": ("储备库", "Depot"),
    "address": ("地址", "Address"),
    "contact": ("联系人", "Contact"),
    "bay": ("装车位", "Bay"),
    "load_start": ("开始装车", "Loading starts"),
    "load_by": ("装毕", "Loaded by"),
    "leave": ("出发", "Leave"),
    "load_leave": ("装车与出发", "Loading, leaving"),
    "arrive": ("到达", "Arrive"),
    "arrive_by": ("时限", "Arrive by"),
    "target": ("目标", "Target"),
    "on_time": ("按时", "on time"),
    "late": ("超时", "late"),
    "leg": ("路段", "Leg"),
    "stop": ("停靠点", "Stop"),
    "no": ("序号", "No."),
    "items": ("物资", "Items"),
    "weight_volume": ("重量/体积", "Weight/volume"),
    "capacity": ("车辆限额", "Truck limits"),
    "max_load": ("最大单趟装载", "Largest load"),
    "receipt": ("签收", "Received"),
    "reload": ("返回储备库重新装车", "Back to the depot to reload"),
    "return_end": ("返回储备库,收车", "Back to the depot, end of duty"),
    "open_end": ("本车送达后不返回(按调度员指示)", "Does not return (dispatcher's orders)"),
    "trip": ("第{n}趟", "Trip {n}"),
    "via": ("经转运点", "Via staging point"),
    "then": ("再由", "then by"),
    "roads": ("路线", "Roads"),
    "route_map": ("行驶路线图", "Route map"),
    "depot_map": ("本库车辆路线(数字为调度单号)", "This depot's trucks (numbers: driver sheets)"),
    "totals": ("合计", "Totals"),
    "km": ("公里", "km"),
    "hours": ("小时", "h"),
    "kg": ("公斤", "kg"),
    "litres": ("升", "L"),
    "drive": ("行驶", "Driving"),
    "dispatcher_sign": ("发运人签字", "Dispatched by"),
    "driver_sign": ("司机签字", "Driver"),
    "keeper_sign": ("仓库保管员签字", "Storekeeper"),
    "receiver_sign": ("接收人签字", "Received by"),
    "date_sign": ("日期", "Date"),
    "to": ("去往", "To"),
    "from_depot": ("发货储备库", "From depot"),
    "expected": ("预计到达", "Expected"),
    "code": ("编码", "Code"),
    "received_qty": ("实收数量", "Received"),
    "expected_qty": ("应收数量", "Expected"),
    "sign": ("签字", "Sign"),
    "people": ("安置人数", "People"),
    "shelter": ("避难场所", "Shelter"),
    "county": ("县(市、区)", "County"),
    "loads": ("车次", "Truckloads"),
    "first_load": ("首车装车", "First loading"),
    "first_arrival": ("首车到达", "First arrival"),
    "stops": ("停靠点", "Stops"),
    "delivered": ("已送达", "delivered"),
    "sheet_files": ("文书文件", "Files"),
    "no_entries": ("无", "none"),
    "fill_in": ("(待填)", "(fill in)"),
    "people_affected": ("需救助人数", "People to serve"),
    "met": ("需求满足", "Needs met"),
    "loading_sheet": ("出库单", "Loading"),
    "receipts_sheet": ("接收清单", "Receipts"),
    "depot_name": ("储备库名称", "Depot name"),
    "shelter_name": ("避难场所名称", "Shelter name"),
    "to_name": ("目的地名称", "Destination name"),
    "trip_no": ("趟次", "Trip"),
}


def e(value: object) -> str:
    """Escaped text of a value for HTML ("" for None)."""
    return "" if value is None else escape(str(value))


def words(key: str, lang: Lang, **fmt: object) -> str:
    """A label as plain text in ``lang`` ("中文 English" for both)."""
    zh, en = LABELS.get(key, (key, key))
    return pick(zh.format(**fmt), en.format(**fmt), lang)


def lab(key: str, lang: Lang, **fmt: object) -> str:
    """A label as HTML: Chinese, and for both languages English as a smaller second line."""
    zh, en = LABELS.get(key, (key, key))
    return two(zh.format(**fmt), en.format(**fmt), lang)


def two(zh: str, en: str, lang: Lang) -> str:
    """Chinese and English texts as HTML in ``lang`` (escaped)."""
    if lang is Lang.ZH:
        return e(zh)
    if lang is Lang.EN:
        return e(en)
    return f'{e(zh)}<span class="en">{e(en)}</span>'


def qty(value: float | None, digits: int = 0) -> str:
    """A quantity with thousands separators and no needless decimals ("1,234", "2.5")."""
    if value is None:
        return ""
    if float(value).is_integer() and digits == 0:
        return f"{int(value):,}"
    text = f"{value:,.{max(digits, 1)}f}"
    return text.rstrip("0").rstrip(".") if digits == 0 else text


def at(report: datetime | None, hours: float | None) -> str:
    """The wall clock ``hours`` after the report ("07-31 03:30"), or "+3.5 h" without one."""
    if hours is None:
        return ""
    if report is None:
        return f"+{hours:.2f} h"
    when = to_the_minute(report + timedelta(hours=float(hours)))
    return when.strftime("%m-%d %H:%M")


def rel(hours: float | None, lang: Lang = Lang.BOTH) -> str:
    """Hours after the report ("+3.5 h"; "+3.5 小时" in Chinese only)."""
    return "" if hours is None else f"+{hours:.1f} {hour_unit(lang)}"


def hour_unit(lang: Lang) -> str:
    """The unit of hours: "小时" for Chinese only, "h" otherwise."""
    return "小时" if lang is Lang.ZH else "h"


def stamp(when: datetime) -> str:
    """A full date and time ("2024-07-30 18:00")."""
    return when.strftime("%Y-%m-%d %H:%M")


def road_label(name: str, lang: Lang) -> str:
    """A road's name from the data, its " (synthetic)" mark in ``lang`` ("(合成)" in Chinese)."""
    if name.endswith(" (synthetic)") and lang is Lang.ZH:
        return name[: -len(" (synthetic)")] + "(合成)"
    return name


def provenance_text(counts: dict[str, int] | object, lang: Lang) -> str:
    """How many records are real, proxy or synthetic, in ``lang``."""
    names = {
        "real": ("真实", "real"),
        "proxy": ("代理", "proxy"),
        "synthetic": ("合成", "synthetic"),
    }
    if not isinstance(counts, dict):
        return ""
    parts = [f"{pick(*names.get(k, (k, k)), lang)} {n}" for k, n in counts.items() if n]
    return ", ".join(parts)
