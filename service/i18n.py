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
