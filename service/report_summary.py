"""The relief check's one-page answer as typed values, read from ``report.json`` alone.

Nothing here decides whether anyone is met: every figure is the report's (the rules live in
``solver/`` and ``scenarios/check.py``). This module only arranges it for a commander:

* per target, the people a printable plan meets, the most any plan can meet, the people not
  met by each, and what binds;
* the places with people not met by the first target, with the people not met by every
  target (by the plan, and in the bound's allocation), the reason, and the place behind it
  (the depots that ship to it in the bound, those whose loading or trucks pinch first; the
  item short; the roads the flood closes or slows, as ``report.json``'s ``points[].roads``
  names them);
* the people by **home county** (the report's ``by_county``: where people live) and by
  **shelter county** (the county of the place where they are met), each table named so;
* every note, in Chinese and English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.i18n import BINDING, Lang, pick, reason_text
from service.papers_text import road_label

#: Reasons where the depots that ship to a place are the place behind the shortfall.
DEPOT_REASONS = frozenset({"dispatch_capacity", "fleet_capacity", "plan_schedule", "too_far"})
#: Which pinch family a reason points at.
REASON_FAMILY = {"dispatch_capacity": "loading", "fleet_capacity": "fleet"}


@dataclass(frozen=True, slots=True)
class TargetAnswer:
    """The answer for one target."""

    hours: float
    people: int
    bound_met: int
    plan_met: int | None
    binding: str
    limits: Mapping[str, int]

    @property
    def bound_not_met(self) -> int:
        """People no plan can meet by this target."""
        return self.people - self.bound_met

    @property
    def plan_not_met(self) -> int | None:
        """People the printable plan does not meet by this target."""
        return None if self.plan_met is None else self.people - self.plan_met


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A place with people not met by some target, and why."""

    id: str
    name: str
    county: str
    people: int
    #: Per target (hours): people not met in the bound's allocation (one way to reach the
    #: bound's total, not a limit for this place), and by the plan (None without one).
    bound_not_met: Mapping[float, int]
    plan_not_met: Mapping[float, int | None]
    reason: str
    reason_item: str | None
    reason_quantity: float | None
    #: The depots behind the shortfall (ids), the pinching ones first.
    depots: tuple[str, ...]
    #: The roads behind it (``report.json``'s ``points[].roads``), the worst first.
    roads: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class CountyRow:
    """People and people met of one county, by the first target."""

    county: str
    people: int
    bound_met: int
    plan_met: int | None


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """Everything on the check's summary page."""

    scenario: str
    scenario_zh: str
    area: str
    provenance: str
    report_time: str
    affected: int
    sheltered: int
    without_place: int
    targets: tuple[TargetAnswer, ...]
    shortfalls: tuple[Shortfall, ...]
    by_home_county: tuple[CountyRow, ...]
    by_shelter_county: tuple[CountyRow, ...]
    notes: tuple[str, ...]
    everyone_met_h: float | None
    bound_everyone_met_by_h: float | None


def _int(value: object) -> int:
    """A people count (the report's figures may be fractional shares of a place)."""
    return round(float(value))  # type: ignore[arg-type]


def _depots_behind(
    point: str, reason: str, shipments: Sequence[Mapping[str, Any]], pinches: Sequence[Any]
) -> tuple[str, ...]:
    """The depots shipping to ``point`` in the bound, those pinching for ``reason`` first."""
    if reason not in DEPOT_REASONS:
        return ()
    shipping: list[str] = []
    for s in shipments:
        if s.get("point") == point and s.get("depot") not in shipping:
            shipping.append(str(s.get("depot")))
    family = REASON_FAMILY.get(reason)
    pinched = [str(p["depot"]) for p in pinches if p.get("family") == family]
    first = [d for d in pinched if d in shipping]
    return tuple(first + [d for d in shipping if d not in first])


def _by_target(p: Mapping[str, Any], hours: float) -> Mapping[str, Any]:
    return next((b for b in p.get("by_target", []) if b["hours"] == hours), {})


def build_summary(doc: Mapping[str, Any]) -> CheckSummary:
    """The summary of a relief check report (``report.json``, version 2)."""
    sc = doc.get("scenario") or {}
    targets = tuple(
        TargetAnswer(
            hours=float(t["hours"]),
            people=_int(t["people_total"]),
            bound_met=_int(t["people_met"]),
            plan_met=_int(t["plan_people_met"]) if "plan_people_met" in t else None,
            binding=str(t.get("binding", "unknown")),
            limits={k: _int(v) for k, v in (t.get("limits") or {}).items() if v},
        )
        for t in doc.get("targets", [])
    )
    planned = any(t.plan_met is not None for t in targets)
    first = (doc.get("targets") or [{}])[0]
    hours = [t.hours for t in targets]
    shortfalls = []
    for p in doc.get("points", []):
        people = _int(p["people"])
        bound = {h: people - _int(_by_target(p, h).get("people_met", 0)) for h in hours}
        plan: dict[float, int | None] = {
            h: people - _int(_by_target(p, h).get("plan_people_met", people)) if planned else None
            for h in hours
        }
        if not any(bound.values()) and not any(v for v in plan.values() if v):
            continue
        reason = p.get("reason") or ""
        if not reason:  # met by the bound in time: the plan's order leaves people waiting
            reason = "plan_schedule"
        shortfalls.append(
            Shortfall(
                id=str(p["id"]),
                name=str(p.get("name") or ""),
                county=str(p.get("county") or ""),
                people=people,
                bound_not_met=bound,
                plan_not_met=plan,
                reason=reason,
                reason_item=p.get("reason_item"),
                reason_quantity=p.get("reason_quantity"),
                depots=_depots_behind(
                    str(p["id"]), reason, doc.get("shipments") or [], first.get("pinches") or []
                ),
                roads=tuple(p.get("roads") or ()),
            )
        )
    h0 = hours[0] if hours else 0.0
    shortfalls.sort(
        key=lambda s: (-(s.plan_not_met.get(h0) or 0) - s.bound_not_met.get(h0, 0), s.id)
    )
    home = tuple(
        CountyRow(
            str(r["county"]),
            _int(r["people"]),
            _int(r["people_met"]),
            _int(r["plan_people_met"]) if "plan_people_met" in r else None,
        )
        for r in first.get("by_county", [])
    )
    return CheckSummary(
        scenario=str(sc.get("name") or ""),
        scenario_zh=str(sc.get("name_zh") or ""),
        area=str(sc.get("area") or ""),
        provenance=str(sc.get("provenance") or ""),
        report_time=str(sc.get("report_time") or ""),
        affected=_int(doc.get("people_affected", 0)),
        sheltered=_int(doc.get("people_sheltered", 0)),
        without_place=_int(doc.get("people_without_shelter_place", 0)),
        targets=targets,
        shortfalls=tuple(shortfalls),
        by_home_county=home,
        by_shelter_county=_shelter_counties(doc.get("points", []), h0, planned),
        notes=tuple(str(n) for n in doc.get("notes", [])),
        everyone_met_h=doc.get("everyone_met_h"),
        bound_everyone_met_by_h=doc.get("bound_everyone_met_by_h"),
    )


def _shelter_counties(
    points: Sequence[Mapping[str, Any]], hours: float, planned: bool
) -> tuple[CountyRow, ...]:
    """People and people met added up by the county of the place where they are met."""
    rows: dict[str, list[float]] = {}
    for p in points:
        b = _by_target(p, hours)
        acc = rows.setdefault(str(p.get("county") or ""), [0.0, 0.0, 0.0])
        acc[0] += float(p["people"])
        acc[1] += float(b.get("people_met", 0))
        acc[2] += float(b.get("plan_people_met", 0))
    return tuple(
        CountyRow(c, _int(v[0]), _int(v[1]), _int(v[2]) if planned else None)
        for c, v in sorted(rows.items())
    )


# --- notes in both languages --------------------------------------------------------------------

_WATER = (
    (re.compile(r"^([\d.]+) m of water$"), "{0} 米深的积水"),
    (re.compile(r"^water of unknown depth$"), "深度不明的积水"),
)
_NOTES = (
    (re.compile(r"^depot (\S+) stands in (.+)$"), "储备库 {0} 位于{1}中"),
    (
        re.compile(r"^shelter (\S+) stands in (.+) and is not used$"),
        "避难场所 {0} 位于{1}中,不予使用",
    ),
)


def _water_zh(text: str) -> str:
    for pattern, zh in _WATER:
        m = pattern.match(text)
        if m:
            return zh.format(*m.groups())
    return text


def note_text(note: str, lang: Lang, names: Mapping[str, str] | None = None) -> str:
    """A note of the report in ``lang``; a place id gets its name from ``names``.

    Notes already in both languages are kept as they are; a note of a form not known here is
    printed in English under a Chinese "note (English only)" mark, never dropped.
    """
    names = names or {}
    if re.search(r"[\u4e00-\u9fff]", note):
        return note
    for pattern, zh in _NOTES:
        m = pattern.match(note)
        if m:
            place, water = m.groups()
            name = names.get(place, "")
            zh_text = zh.format(f"{name}({place})" if name else place, _water_zh(water))
            en_text = note.replace(place, f"{place} ({name})" if name else place, 1)
            return (
                pick(zh_text, en_text, lang) if lang is not Lang.BOTH else f"{zh_text}。{en_text}"
            )
    return note if lang is Lang.EN else f"(仅英文)Note: {note}"


def binding_text(binding: str, lang: Lang) -> str:
    """What binds a target, in words."""
    zh, en = BINDING.get(binding, (binding, binding))
    return pick(zh, en, lang)


def shortfall_reason(s: Shortfall, lang: Lang) -> str:
    """The reason of a shortfall in words, with the short item and quantity."""
    return reason_text(s.reason, lang, s.reason_item, s.reason_quantity)


# --- the roads behind a shortfall ---------------------------------------------------------------


def road_name(road: Mapping[str, Any], lang: Lang) -> str:
    """A road of ``points[].roads`` by its name and number, else its end places; with its id."""
    name = road_label(str(road.get("name") or ""), lang)
    ref = str(road.get("ref") or "")
    words = " ".join(w for w in (name, ref if ref not in name else "") if w)
    if not words:
        ends = [str(road.get(k) or "") for k in ("from", "to")]
        words = "—".join(dict.fromkeys(e for e in ends if e))
    rid = str(road.get("id") or "")
    if not words:
        return rid
    return f"{words}({rid})" if lang is Lang.ZH else f"{words} ({rid})"


def roads_text(roads: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """The roads behind a shortfall in words: closed ones, then ones slowed by water."""
    parts = []
    for closed, zh, en in (
        (True, "道路中断", "road closed"),
        (False, "道路积水减速", "road slowed"),
    ):
        names = [road_name(r, lang) for r in roads if bool(r.get("closed")) is closed]
        if names:
            sep = "、" if lang is Lang.ZH else ", "
            parts.append(f"{pick(zh, en, lang)}: {sep.join(names)}")
    return "; ".join(parts)


def point_label(point: Mapping[str, Any], lang: Lang) -> str:
    """A late place's map label: its name, and its reason with the roads behind it."""
    name = str(point.get("name") or point.get("id") or "")
    reason = reason_text(point.get("reason"), lang) if point.get("reason") else ""
    roads = roads_text(point.get("roads") or (), lang)
    why = roads or reason
    return f"{name}\n{why}" if why else name
