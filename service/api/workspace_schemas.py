"""What the workspace reads that the other routes do not give: who is calling, the check's answer.

The answer is ``service.report_summary``'s arrangement of ``report.json`` (the one the CLI's
summary.html prints), with every text in Chinese and English from ``service.i18n``.
"""

from __future__ import annotations

from pydantic import BaseModel


class MeOut(BaseModel):
    """The caller's token: name, role, and what the role may do (the API enforces it)."""

    name: str
    role: str
    role_zh: str
    may: dict[str, bool]


class TargetOut(BaseModel):
    """One target's answer: the bound, the plan beside it, and what binds."""

    hours: float
    people: int
    #: The bound: no plan can meet more (``targets[].share_met``).
    bound_people_met: int
    bound_share_met: float
    #: A printable plan (``targets[].plan_share_met``), None without one.
    plan_people_met: int | None
    plan_share_met: float | None
    gap_points: float | None
    binding: str
    binding_zh: str
    binding_en: str
    text_zh: str
    text_en: str
    #: Share met by need group (衣食住医) in the bound.
    need_groups: dict[str, float]


class CountyOut(BaseModel):
    """People and people met of one county of origin, by the first target."""

    county: str
    people: int
    bound_people_met: int
    plan_people_met: int | None


class LateOut(BaseModel):
    """A place with people not met by the first target (the bound's or the plan's), and why."""

    id: str
    name: str
    county: str
    people: int
    lon: float | None
    lat: float | None
    bound_not_met: int
    plan_not_met: int | None
    reason: str
    reason_zh: str
    reason_en: str


class CheckSummaryOut(BaseModel):
    """A finished relief check as the workspace shows it."""

    job: str
    area: str
    scenario: str
    scenario_zh: str
    affected: int
    sheltered: int
    without_place: int
    everyone_met_h: float | None
    bound_everyone_met_by_h: float | None
    targets: list[TargetOut]
    counties: list[CountyOut]
    late: list[LateOut]
    #: Reason codes with their Chinese and English words (the map's legend).
    reasons: dict[str, tuple[str, str]]
    notes_zh: list[str]
    notes_en: list[str]
    #: The check's flood polygons are at ``GET /jobs/{job}/result/flood`` (the map draws them).
    flood: bool = False
