import copy
import csv
import io
import json

import openpyxl
import pytest

from service.i18n import Lang
from service.sheets import (
    CSV_NAME,
    HTML_NAME,
    LOADING_NAME,
    PAPERS_NAME,
    PLAN_KIND,
    RECEIPTS_NAME,
    XLSX_NAME,
    render_csv,
    render_html,
    wall_clock,
    write_sheets,
)
from solver.errors import DataError

EVIL = "<script>alert(1)</script>"


def _stop(point, trip, leave_h, arrive_h, met_h, items, demand=None, **extra):
    return {
        "point": point,
        "parts": [{"demand": demand or {"point": point, "overflow": False}, "items": items}],
        "depot": "D-1",
        "trip": trip,
        "leave_h": leave_h,
        "arrive_h": arrive_h,
        "depart_h": arrive_h + 0.5,
        "items": items,
        "loaded_by_h": leave_h,
        "met_h": met_h,
        **extra,
    }


@pytest.fixture
def plan():
    """Two vehicles, three stops (one via a staging point), one unserved and one late row."""
    return {
        "version": 1,
        "kind": "dispatch_plan",
        "scenario": {
            "name": "tiny-flood",
            "name_zh": "小型洪水",
            "area": "tiny",
            "fingerprint": "0" * 16,
            "report_time": "2024-07-30T18:00:00+08:00",
            "definition": {},
            "folder": ".",
        },
        "request": {"targets_h": [10.0, 12.0]},
        "routes": [
            {
                "vehicle": "D-1/heavy-1",
                "vehicle_class": "heavy",
                "depot": "D-1",
                "start_h": 2.0,
                "end_h": 8.0,
                "drive_h": 4.0,
                "stops": [
                    _stop("P-1", 1, 2.0, 3.5, 4.0, {"food": 50, "water": 300}),
                    _stop(EVIL, 2, 4.5, 6.0, 11.0, {"quilt": 20}),
                ],
            },
            {
                "vehicle": "D-1/light-1",
                "vehicle_class": "light",
                "depot": "D-1",
                "start_h": 1.0,
                "end_h": 5.0,
                "drive_h": 2.5,
                "stops": [
                    _stop(
                        "ST-1",
                        1,
                        1.0,
                        2.0,
                        3.25,
                        {"medical_kit": 7, "mystery_item": 3},
                        demand={"point": "P-9", "overflow": True},
                        via={"staging": "ST-1", "mode": "helicopter"},
                        transfer={
                            "to": "P-9",
                            "mode": "helicopter",
                            "craft_trips": 1,
                            "start_h": 2.5,
                            "arrive_h": 3.0,
                        },
                    )
                ],
            },
        ],
        "transfers": [
            {
                "from": "ST-1",
                "to": "P-9",
                "demand": {"point": "P-9", "overflow": True},
                "vehicle": "D-1/light-1",
                "mode": "helicopter",
                "craft_class": "helicopter",
                "craft_trips": 1,
                "km": 12.5,
                "start_h": 2.5,
                "arrive_h": 3.0,
                "items": {"medical_kit": 7, "mystery_item": 3},
            }
        ],
        "committed": [],
        "unserved": [
            {
                "point": "P-2",
                "demand": {"point": "P-2", "overflow": False},
                "item": "food",
                "quantity": 40,
                "reason": "no_vehicle_in_time",
                "depot": "D-1",
            }
        ],
        "late": [
            {
                "point": EVIL,
                "demand": {"point": EVIL, "overflow": False},
                "vehicle": "D-1/heavy-1",
                "met_h": 11.0,
                "missed_targets_h": [10.0],
            }
        ],
        "kpis": {
            "targets": [
                {"hours": 10.0, "people_total": 100, "people_met": 60, "share_met": 0.6},
                {"hours": 12.0, "people_total": 100, "people_met": 90, "share_met": 0.9},
            ],
            "relief_check_targets": [
                {"hours": 10.0, "people_met": 80, "share_met": 0.8},
                {"hours": 12.0, "people_met": 100, "share_met": 1.0},
            ],
            "vehicles_used": 2,
            "trips": 3,
            "stops": 3,
            "late_stops": 1,
            "drive_h": 6.5,
            "transfers": 1,
            "unserved_units": 40,
            "unserved_units_by_reason": {"no_vehicle_in_time": 40, "weird_reason": 0},
            "engine": "test",
            "objective": 1.0,
            "solve_s": 0.1,
            "seconds": 0.2,
        },
    }


def _stop_count(doc):
    return sum(len(r["stops"]) for r in doc["routes"]) + len(doc["committed"])


def _csv_rows(path):
    raw = path.read_bytes()
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _items_total(cell):
    """Sum the quantities of a load text "name 50; other name 300"."""
    return sum(float(part.rsplit(" ", 1)[1]) for part in cell.split("; ") if part)


def test_plan_kind_matches_the_plan_document():
    from scenarios.dispatch_doc import PLAN_KIND as DOC_KIND

    assert PLAN_KIND == DOC_KIND


def test_write_sheets_writes_six_files(plan, tmp_path):
    paths = write_sheets(plan, tmp_path / "out")
    names = [CSV_NAME, XLSX_NAME, HTML_NAME, LOADING_NAME, RECEIPTS_NAME, PAPERS_NAME]
    assert [p.name for p in paths] == names
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    # No temporary files are left behind.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_csv_has_bom_one_row_per_stop_and_bilingual_header(plan, tmp_path):
    csv_path = write_sheets(plan, tmp_path, Lang.BOTH)[0]
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(csv_path)
    header, body = rows[0], rows[1:]
    assert len(body) == _stop_count(plan) == 3
    assert header[1] == "车辆 Vehicle"
    assert "车型 Vehicle class" in header
    assert [r[header.index("车辆 Vehicle")] for r in body] == [
        "D-1/heavy-1",
        "D-1/heavy-1",
        "D-1/light-1",
    ]


def test_csv_english_header_has_no_chinese(plan):
    rows = list(csv.reader(io.StringIO(render_csv(plan, Lang.EN))))
    header = rows[0]
    assert "Vehicle" in header
    assert not any("\u4e00" <= ch <= "\u9fff" for h in header for ch in h)
    load = rows[1][header.index("Load")]
    assert load == "ready-to-eat food 50; drinking water 300"


def test_csv_zh_uses_chinese_item_and_class_names(plan):
    rows = list(csv.reader(io.StringIO(render_csv(plan, Lang.ZH))))
    header = rows[0]
    assert header[1] == "车辆"
    assert rows[1][header.index("装载物资")] == "方便食品 50; 饮用水 300"
    assert rows[1][header.index("车型")] == "17.5米重型半挂车"
    # Unknown items fall back to their id.
    assert "mystery_item 3" in rows[3][header.index("装载物资")]


def test_csv_quantities_round_trip(plan, tmp_path):
    rows = _csv_rows(write_sheets(plan, tmp_path, Lang.BOTH)[0])
    col = rows[0].index("装载物资 Load")
    in_csv = sum(_items_total(r[col]) for r in rows[1:])
    in_doc = sum(q for r in plan["routes"] for s in r["stops"] for q in s["items"].values())
    assert in_csv == in_doc == 50 + 300 + 20 + 7 + 3


def test_csv_times_and_late_and_via(plan):
    rows = list(csv.reader(io.StringIO(render_csv(plan, Lang.EN))))
    header, first, second, third = rows[0], rows[1], rows[2], rows[3]
    assert first[header.index("Arrive (h)")] == "3.50"
    assert first[header.index("Arrive at")] == "2024-07-30 21:30"
    assert first[header.index("Late (missed targets)")] == ""
    assert second[header.index("Late (missed targets)")] == "> 10 h"
    assert third[header.index("Via staging")] == "ST-1 (helicopter)"
    assert third[header.index("Destination")] == "P-9"


def test_wall_clock_conversion():
    from datetime import datetime

    report = datetime.fromisoformat("2024-07-30T18:00:00+08:00")
    assert wall_clock(report, 3.5) == "2024-07-30 21:30"
    assert wall_clock(report, 7.0) == "2024-07-31 01:00"
    assert wall_clock(report, 0.0) == "2024-07-30 18:00"
    assert wall_clock(None, 3.5) == ""


def test_xlsx_has_six_sheets_with_matching_rows(plan, tmp_path):
    xlsx = write_sheets(plan, tmp_path, Lang.BOTH)[1]
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [
        "概要 Summary",
        "停靠点 Stops",
        "出库单 Loading",
        "接收清单 Receipts",
        "未送达 Unserved",
        "转运 Transfers",
    ]
    stops, unserved, transfers = wb.worksheets[1], wb.worksheets[4], wb.worksheets[5]
    assert stops.max_row - 1 == _stop_count(plan)
    assert unserved.max_row - 1 == len(plan["unserved"])
    assert transfers.max_row - 1 == len(plan["transfers"])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.cell(1, 1).font.bold
    assert stops.cell(1, 2).value == "车辆 Vehicle"
    assert unserved.cell(2, 5).value.startswith("运力不足")


def test_xlsx_times_filters_and_print_setup(plan, tmp_path):
    """Clock times are Excel date-times; table sheets filter and print landscape to width."""
    from datetime import datetime

    wb = openpyxl.load_workbook(write_sheets(plan, tmp_path, Lang.EN)[1])
    stops = wb["Stops"]
    header = [c.value for c in stops[1]]
    cell = stops.cell(2, header.index("Arrive at") + 1)
    assert cell.value == datetime(2024, 7, 30, 21, 30)
    assert cell.is_date and "hh:mm" in cell.number_format
    for name in ("Stops", "Loading", "Receipts", "Unserved", "Transfers"):
        ws = wb[name]
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"
    loading = wb["Loading"]
    head = [c.value for c in loading[1]]
    first = [c.value for c in loading[2]]
    assert isinstance(first[head.index("Loaded by")], datetime)


def _sheet_totals(ws) -> dict[str, float]:
    """Sum of each item column of a Loading/Receipts sheet (Lang.EN item names)."""

    head = [c.value for c in ws[1]]
    out: dict[str, float] = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        for name, value in zip(head, row, strict=True):
            if isinstance(value, int | float) and name not in ("No.", "Bay", "Trip", "People"):
                out[name] = out.get(name, 0) + value
    return out


def test_xlsx_lists_add_up_to_the_plan(plan, tmp_path):
    """The Loading sheet adds up to the plan's loads, the Receipts sheet to its deliveries."""
    from service.sheets_text import item_name

    wb = openpyxl.load_workbook(write_sheets(plan, tmp_path, Lang.EN)[1])
    loads: dict[str, float] = {}
    for r in plan["routes"]:
        for s in r["stops"]:
            for k, q in s["items"].items():
                name = item_name(k, Lang.EN)
                loads[name] = loads.get(name, 0) + q
    for sheet in ("Loading", "Receipts"):
        got = _sheet_totals(wb[sheet])
        assert {k: got[k] for k in loads} == loads


def test_html_names_every_vehicle_and_escapes(plan, tmp_path):
    html_path = write_sheets(plan, tmp_path, Lang.BOTH)[2]
    page = html_path.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in page
    for route in plan["routes"]:
        assert route["vehicle"] in page
    assert "方便食品" in page  # the Chinese name of "food"
    assert "签收" in page and "Received" in page
    assert EVIL not in page
    assert "&lt;script&gt;" in page
    assert page.count('<section class="page sheet">') == len(plan["routes"])
    assert "break-before: page" in page


def test_html_cover_kpis(plan):
    page = render_html(plan, Lang.EN)
    assert "60.0%" in page and "80.0%" in page  # plan vs relief check at 10 h
    assert "no vehicle in time" in page
    assert "weird_reason" in page  # unknown reasons are printed as they are
    assert "07-30 21:30" in page  # the first stop, 3.5 h after the 18:00 report


def test_wrong_kind_raises_data_error(plan, tmp_path):
    bad = copy.deepcopy(plan)
    bad["kind"] = "relief_check"
    with pytest.raises(DataError) as info:
        write_sheets(bad, tmp_path)
    assert info.value.field == "plan"
    assert info.value.problem_zh
    assert not list(tmp_path.iterdir())


def test_not_a_dict_raises_data_error(tmp_path):
    with pytest.raises(DataError) as info:
        write_sheets([], tmp_path)  # type: ignore[arg-type]
    assert info.value.field == "plan"


def test_committed_stops_are_rows(plan):
    plan["committed"] = [
        {**_stop("P-5", 1, 0.5, 1.0, 1.5, {"water": 10}), "vehicle": "D-1/light-1"}
    ]
    rows = list(csv.reader(io.StringIO(render_csv(plan, Lang.EN))))
    header = rows[0]
    assert len(rows) - 1 == _stop_count(plan) == 4
    last = rows[-1]
    assert last[header.index("Status")] == "delivered"
    assert last[header.index("Vehicle class")] == "4.2 m light truck"


def test_optional_distance_and_redispatch(plan):
    plan["kpis"]["distance_km"] = 321.5
    plan["routes"][0]["distance_km"] = 123.4
    plan["redispatch"] = {"at_h": 5.0, "reason": "bridge <failed>"}
    page = render_html(plan, Lang.EN)
    assert "321.5" in page and "123.4" in page
    assert "bridge &lt;failed&gt;" in page


def test_missing_report_time_shows_offsets_only(plan):
    del plan["scenario"]["report_time"]
    rows = list(csv.reader(io.StringIO(render_csv(plan, Lang.EN))))
    header = rows[0]
    assert rows[1][header.index("Arrive at")] == ""
    assert "+3.50 h" in render_html(plan, Lang.EN)


def test_bad_report_time_raises(plan):
    plan["scenario"]["report_time"] = "yesterday"
    with pytest.raises(DataError) as info:
        render_csv(plan)
    assert info.value.field == "scenario.report_time"


def test_real_plan(tmp_path, tiny_gpkg):
    """Sheets of a plan made by the dispatcher on the tiny area: one CSV/XLSX row per stop,
    one HTML sheet per vehicle."""
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.dispatch import DispatchRequest, plan_dispatch
    from scenarios.model import load_scenario
    from tests.conftest import TINY

    sc, folder = load_scenario(TINY / "dispatch.yaml")
    situation = apply_scenario(load_area(tiny_gpkg), sc, folder=folder)
    req = DispatchRequest(time_limit_s=1.0, engine="greedy")
    doc = json.loads(json.dumps(plan_dispatch(situation, req).doc))
    assert doc["routes"]
    paths = write_sheets(doc, tmp_path)
    rows = _csv_rows(paths[0])
    assert len(rows) - 1 == _stop_count(doc)
    wb = openpyxl.load_workbook(paths[1])
    assert wb.worksheets[1].max_row - 1 == _stop_count(doc)
    page = paths[2].read_text(encoding="utf-8")
    assert page.count('<section class="page sheet">') == len(doc["routes"])


def test_stop_names_show_on_sheets(tmp_path):
    """A stop's Chinese place name appears next to its id on the CSV and the HTML sheet."""
    from service.i18n import Lang
    from service.sheets import render_csv, render_html

    doc = {
        "kind": "dispatch_plan",
        "version": 1,
        "scenario": {"name": "t", "name_zh": "测", "area": "x", "report_time": None},
        "request": {},
        "routes": [
            {
                "vehicle": "V1",
                "vehicle_class": "light",
                "depot": "D1",
                "start_h": 1.0,
                "end_h": 3.0,
                "stops": [
                    {
                        "point": "S1",
                        "name": "中学避难场所",
                        "parts": [
                            {"demand": {"point": "S1", "overflow": False}, "items": {"food": 5}}
                        ],
                        "depot": "D1",
                        "trip": 1,
                        "leave_h": 1.0,
                        "arrive_h": 2.0,
                        "depart_h": 2.5,
                        "met_h": 3.0,
                        "items": {"food": 5},
                        "roads": ["横0-1", "纵1-0"],
                    }
                ],
            }
        ],
        "transfers": [],
        "committed": [],
        "unserved": [],
        "late": [],
        "kpis": {"targets": [], "relief_check_targets": []},
    }
    assert "S1 中学避难场所" in render_csv(doc, Lang.BOTH)
    html = render_html(doc, Lang.BOTH)
    assert "中学避难场所" in html and "横0-1 → 纵1-0" in html


def test_engine_names_in_words():
    from service.sheets_text import engine_label

    assert engine_label("grasp-3", Lang.ZH) == "随机化贪心(GRASP) 第3次"
    assert engine_label("value", Lang.EN) == "value-first greedy"
    assert engine_label("cp-sat", Lang.BOTH).startswith("约束规划")
    assert engine_label("something-new", Lang.ZH) == "something-new"  # unknown: as it is
