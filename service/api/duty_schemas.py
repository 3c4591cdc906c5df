"""Bodies of the duty officer's routes (``routes_duty``): a re-dispatch request, the papers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scenarios.model import Closure
from service.api.schemas import Printable

#: The papers of a dispatch job, as ``service.sheets.write_sheets`` names them.
PaperName = Literal[
    "sheets.html", "loading.html", "receipts.html", "papers.html", "sheets.xlsx", "sheets.csv"
]
PAPER_TYPES: dict[str, str] = {
    "sheets.html": "text/html; charset=utf-8",
    "loading.html": "text/html; charset=utf-8",
    "receipts.html": "text/html; charset=utf-8",
    "papers.html": "text/html; charset=utf-8",
    "sheets.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sheets.csv": "text/csv; charset=utf-8",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PeopleAdded(_Strict):
    """New affected people reported at a shelter or place (``relief redispatch --add-people``)."""

    point: Annotated[Printable, Field(min_length=1, max_length=100)]
    people: int = Field(ge=1, le=1_000_000)


class RedispatchIn(_Strict):
    """Re-plan a finished dispatch at an hour after roads close, people are added or depots lost.

    As ``relief redispatch``: trips under way at ``at_h`` deliver as planned; the rest is
    planned again. ``time_limit_s`` and ``seed`` default to the old plan's.
    """

    at_h: float = Field(ge=0, le=240, allow_inf_nan=False)
    closures: list[Closure] = Field(default=[], max_length=50)
    add_people: list[PeopleAdded] = Field(default=[], max_length=50)
    depots_lost: list[Annotated[Printable, Field(min_length=1, max_length=100)]] = Field(
        default=[], max_length=20
    )
    time_limit_s: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    seed: int | None = None
