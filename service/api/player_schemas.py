"""What a drill's players may read to order trips (``GET /drills/{id}/state``).

Everything here is known from the scenario without its script and the injects released so
far: the fleet, the depots' stock left, what each place still needs and the trips ordered.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ItemState(BaseModel):
    """A catalogue item players may load, with its unit mass and volume."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    unit_weight_kg: float
    unit_volume_m3: float


class VehicleState(BaseModel):
    """A road vehicle of the drill: its depot, load limits, and whether and when it is free.

    ``status``: ``free`` now; ``busy`` on (or queued for) a trip until ``free_h``; ``lost``
    with its depot at ``lost_h``; ``stuck`` out on a trip it cannot get back from.
    """

    id: str
    depot: str
    depot_name: str
    vehicle_class: str
    class_zh: str
    class_en: str
    payload_kg: float
    volume_m3: float
    status: Literal["free", "busy", "lost", "stuck"]
    lost_h: float | None = None
    free_h: float | None = None
    #: Trips ordered for it and not cancelled.
    trips: int = 0


class DepotState(BaseModel):
    """A depot with road vehicles: where it is, whether it is lost, the stock left to order.

    ``stock_left`` is what it holds less what the trips ordered take (as a decision is
    checked); a lost depot holds nothing.
    """

    id: str
    name: str
    lon: float
    lat: float
    lost: bool
    lost_h: float | None = None
    stock_left: dict[str, int]


class NeedState(BaseModel):
    """A place where people wait for relief, and what it still needs.

    ``need`` is for everyone there (sheltered and any overflow left in place), ``ordered``
    what trips not cancelled will bring (stops that fail are not counted), ``delivered``
    what has arrived by the drill hour, ``still`` the need less what is ordered.
    """

    place: str
    name: str
    county: str
    lon: float
    lat: float
    people: int
    overflow_people: int
    ready_h: float
    need: dict[str, int]
    ordered: dict[str, int]
    delivered: dict[str, int]
    still: dict[str, int]


class StopState(BaseModel):
    """A stop of an ordered trip: where, what, when it arrives or why it does not."""

    point: str
    name: str
    lon: float | None
    lat: float | None
    items: dict[str, int]
    arrive_h: float | None = None
    failed: str | None = None


class TripState(BaseModel):
    """A trip ordered, as played on what is known at the drill hour.

    ``status`` at the drill hour: ``cancelled`` by a re-plan, ``failed`` (no stop reached),
    ``waiting`` (not left yet), ``en_route``, ``back``, or ``out`` (left, never back).
    """

    decision: int
    trip: int
    player: str
    vehicle: str
    depot: str
    submitted_h: float
    status: Literal["cancelled", "failed", "waiting", "en_route", "back", "out"]
    cancelled_h: float | None = None
    loaded_by_h: float | None = None
    leave_h: float | None = None
    back_h: float | None = None
    stops: list[StopState]


class DrillStateOut(BaseModel):
    """A drill's state at its hour, as the players know it."""

    drill: str
    status: Literal["ready", "running", "ended"]
    hour: float
    items: list[ItemState]
    vehicles: list[VehicleState]
    depots: list[DepotState]
    needs: list[NeedState]
    trips: list[TripState]
