"""Request and response bodies of the HTTP service (pydantic; errors name the field)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from scenarios.siting import siting_models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def printable(value: str) -> str:
    """Refuse text with control characters (NUL, newlines, tabs...).

    Names are shown and stored; such characters break logs, files and terminals.
    """
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise ValueError(f"must be printable text, without control characters ({bad!r})")
    return value


#: A name or label: printable text only.
Printable = Annotated[str, AfterValidator(printable)]


class StockChange(_Strict):
    """New quantity of one item at one depot; ``expected_version`` guards concurrent edits."""

    quantity: int = Field(ge=0, le=10**9)
    expected_version: int | None = Field(default=None, ge=0)


class DepotIn(_Strict):
    """A depot to add (e.g. an enterprise's agreement stock); stock is then set per item."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: Printable = Field(min_length=1, max_length=200)
    tier: Literal["municipal", "county", "township", "enterprise", "community"]
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    county: Printable = Field(default="", max_length=100)


class CapacityChange(_Strict):
    """New capacity (people) of a shelter; ``expected_version`` guards concurrent edits."""

    capacity: int = Field(ge=0, le=10**7)
    expected_version: int | None = Field(default=None, ge=0)


class ShelterOut(BaseModel):
    """A shelter with its capacity and the version to send back when changing it."""

    id: str
    name: str
    lon: float
    lat: float
    capacity: int
    version: int


class CheckOptions(_Strict):
    """Relief-check options; ``floods`` are ids of flood layers uploaded to the area."""

    targets_h: list[float] | None = Field(default=None, min_length=1, max_length=5)
    floods: list[str] = Field(default=[], max_length=20)
    #: Search time of the dispatch plan made beside the bound (0: the bound only).
    plan_seconds: float = Field(default=10.0, ge=0, le=600)

    @model_validator(mode="after")
    def _positive(self) -> CheckOptions:
        if self.targets_h and any(not (0 < t < 1000) for t in self.targets_h):
            raise ValueError("targets_h must be hours between 0 and 1000")
        return self


class DispatchOptions(CheckOptions):
    """Dispatch options (see scenarios/README.md, "Dispatch plans")."""

    time_limit_s: float = Field(default=30.0, gt=0)
    seed: int = 1
    engine: Literal["grasp", "greedy", "cp-sat"] = "grasp"
    hard_deadline: bool = False
    trips: int = Field(default=4, ge=1, le=20)
    shift_h: float = Field(default=12.0, gt=0, le=48)
    load_share: float = Field(default=1.0, gt=0, le=1)


#: The siting models' names, from the registry (scenarios/siting_registry.py).
SiteModel = Literal[siting_models()]  # type: ignore[valid-type]


class SiteOptions(_Strict):
    """Siting options (see `relief site --help`)."""

    model: SiteModel = "mclp"  # type: ignore[valid-type]
    p: int = Field(default=5, ge=0, le=200)
    target_h: float = Field(default=10.0, gt=0, le=100)
    travel_h: float | None = Field(default=None, gt=0, le=100)
    tier: Literal["township", "county", "municipal"] = "county"
    curve: int | None = Field(default=None, ge=1, le=30)
    #: The solver's time limit (None: siting's default); the best answer found by then is
    #: returned with its gap. Above the server's limit it is refused.
    time_limit_s: float | None = Field(default=None, gt=0)


class SitingModelOut(BaseModel):
    """A siting model the ``site`` job accepts (``options.model``), with its labels."""

    name: str
    label_zh: str
    label_en: str
    #: Whether ``options.p`` (new sites) is used; whether the answer depends on the cutoff.
    needs_p: bool
    uses_cutoff: bool


class JobIn(_Strict):
    """An analysis to run: kind, area, scenario (library name or mapping), options.

    The kinds, who may submit each, whether it needs a scenario and its options are
    those of the job-kind registry (:mod:`service.api.job_kinds`), which the OpenAPI
    schema lists.
    """

    kind: str = Field(min_length=1, max_length=50)
    area: str = Field(min_length=1, max_length=100)
    scenario: str | dict[str, Any] | None = None
    options: dict[str, Any] = {}


class JobOut(BaseModel):
    """A job's state; ``result`` links to the result once ``status`` is done.

    ``error`` (failed or cancelled): ``problem``, ``problem_zh``, ``field`` and
    ``http_status``, what a request would have been answered with for the same error
    (422 for bad input or no solution under the hard constraints, 409 once cancelled).
    """

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    stage: str
    progress: float
    error: dict[str, Any] | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: str | None


class DepotOut(BaseModel):
    """A depot with its stock and, per item, the version to send back when changing it."""

    id: str
    name: str
    tier: str
    lon: float
    lat: float
    stock: dict[str, int]
    versions: dict[str, int]


class AuditOut(BaseModel):
    """One entry of the audit trail."""

    at: dt.datetime
    token: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]


class Problem(BaseModel):
    """An error: what is wrong (English and Chinese) and which field."""

    problem: str
    problem_zh: str | None = None
    field: str | None = None


class ScenarioIn(_Strict):
    """A scenario to store: the body as in a scenario YAML file (see scenarios/README.md)."""

    body: dict[str, Any]
    expected_version: int | None = Field(default=None, ge=0)


class ScenarioOut(BaseModel):
    """A stored or library scenario."""

    name: str
    area: str
    version: int
    updated_at: dt.datetime
    name_zh: str = ""
    #: ``stored`` through ``PUT /scenarios``, or ``library`` (bundled; version 0).
    source: Literal["stored", "library"] = "stored"
    body: dict[str, Any] | None = None


class LayerOut(BaseModel):
    """An uploaded layer."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    area: str
    kind: str
    name: str
    features: int
    created_at: dt.datetime


class DrillClock(_Strict):
    """How the drill hour moves.

    ``manual``: the controller moves it; ``clock``: it runs at ``speed`` drill hours per
    real hour (60: one drill hour a minute) and injects release on time.
    """

    mode: Literal["manual", "clock"] = "manual"
    speed: float = Field(default=60.0, gt=0, le=3600)


class DrillGenerate(_Strict):
    """Let the service draw the flood and the script: nobody knows it in advance (双盲).

    ``seed`` defaults to a random one (kept in the drill, shown once it has ended).
    """

    severity: Literal["minor", "moderate", "major", "extreme"] = "major"
    seed: int | None = Field(default=None, ge=0, le=2**31)
    injects: int = Field(default=3, ge=1, le=20)


class DrillIn(_Strict):
    """A drill to prepare.

    Either a scenario with injects (library or stored name, or a mapping), or one the
    service generates (then the drill is blind).
    """

    area: str = Field(min_length=1, max_length=100)
    scenario: str | dict[str, Any] | None = None
    generate: DrillGenerate | None = None
    name: Printable = Field(default="", max_length=200)
    clock: DrillClock = DrillClock()
    #: The controller does not see the script either (双盲): injects are revealed to
    #: everyone only as they are released.
    blind: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> DrillIn:
        if (self.scenario is None) == (self.generate is None):
            raise ValueError("give exactly one of scenario, generate")
        return self


class ReleaseIn(_Strict):
    """Release an inject now: the next in the script, or ``index`` (not in a blind drill).

    Manual mode: the drill hour moves to ``at_h`` (default: the inject's scripted hour,
    never backwards).
    """

    index: int | None = Field(default=None, ge=0)
    at_h: float | None = Field(default=None, ge=0, le=1000)


class AdvanceIn(_Strict):
    """Move a manual drill's clock forward to ``to_h``."""

    to_h: float = Field(ge=0, le=1000)


class ScoreIn(_Strict):
    """How long the optimiser may take per plan when scoring."""

    time_limit_s: float = Field(default=30.0, gt=0)
    seed: int = 1
    engine: Literal["grasp", "greedy", "cp-sat"] = "grasp"


class DrillOut(BaseModel):
    """A drill as its caller may see it: players never see injects not yet released."""

    id: str
    area: str
    name: str
    status: Literal["ready", "running", "ended"]
    mode: str
    speed: float
    blind: bool
    hour: float
    released: list[dict[str, Any]]
    #: Injects not yet released (a count; the script itself only for a non-blind controller).
    pending: int | None = None
    script: list[dict[str, Any]] | None = None
    scenario: dict[str, Any]


class CancelledTrip(BaseModel):
    """A trip a re-plan cancelled: trip ``trip`` of decision ``decision``, and its vehicle."""

    decision: int
    trip: int
    vehicle: str


class DecisionOut(BaseModel):
    """A decision recorded: its number, the drill hour it was made at, what it cancelled.

    ``cancelled`` lists the caller's own trips not yet left that ``replace_pending``
    cancelled (other players' trips are never cancelled).
    """

    index: int
    hour: float
    trips: int
    cancelled: list[CancelledTrip] = []


class DrillEventOut(BaseModel):
    """One entry of the drill's log."""

    id: int
    at: dt.datetime
    hour: float
    token: str
    role: str
    kind: str
    body: dict[str, Any]
