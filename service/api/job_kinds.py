"""The kinds of jobs, one entry each: name, runner, options, who may submit, labels.

``POST /jobs`` accepts the kinds that have an options model, checks the caller's role and
the options against the entry, and the job runner calls the entry's runner; the OpenAPI
schema lists the kinds and their options from here (``app.py``). A name not in
:data:`REGISTRY` is an error, never a fallback. Runners are named ``"module:function"`` and
imported when first run, so that reading the registry loads no analysis. A new kind is one
:func:`register` call with its runner (tests register toy ones).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from service.api.auth import DRILL_CONTROLLERS, JOB_SUBMITTERS, Role
from service.api.errors import UnknownJobKindError
from service.api.schemas import CheckOptions, DispatchOptions, SiteOptions

#: The job's request, a loader for an area (with the registry's stock), and a progress
#: callback (stage, fraction) -> JSON-ready result.
Runner = Callable[[dict[str, Any], Callable[[str], Any], Callable[[str, float], None]], Any]


@dataclass(frozen=True)
class JobKind:
    """One kind of job.

    ``options``: the model of ``JobIn.options`` for this kind; a kind without one is not
    submitted through ``POST /jobs`` (a drill's score is asked for at the drill).
    ``roles``: who may submit it. ``needs_scenario`` / ``needs_injects``: what the request
    must carry. ``result_opens_with_drill``: players and viewers read the result only once
    its drill has ended (it holds the drill's script). ``run_with``: the runner, or its
    ``"module:function"`` name.
    """

    name: str
    label_zh: str
    label_en: str
    run_with: Runner | str
    options: type[BaseModel] | None = None
    roles: frozenset[Role] = JOB_SUBMITTERS
    needs_scenario: bool = True
    needs_injects: bool = False
    result_opens_with_drill: bool = False

    @property
    def submitted(self) -> bool:
        """Whether ``POST /jobs`` accepts this kind."""
        return self.options is not None

    def runner(self) -> Runner:
        """The function that runs a job of this kind."""
        fn = self.run_with
        if isinstance(fn, str):
            module, _, name = fn.partition(":")
            fn = cast(Runner, getattr(importlib.import_module(module), name))
        return fn


REGISTRY: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Add a kind (a name may be registered once)."""
    if kind.name in REGISTRY:
        raise ValueError(f"job kind {kind.name!r} is already registered")
    REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (for tests that register toy ones)."""
    REGISTRY.pop(name, None)


def submitted_kinds() -> tuple[JobKind, ...]:
    """The kinds ``POST /jobs`` accepts, in registration order."""
    return tuple(k for k in REGISTRY.values() if k.submitted)


def get_kind(name: str, *, submitted: bool = False) -> JobKind:
    """The kind called ``name`` (one ``POST /jobs`` accepts if ``submitted``).

    An unknown name is a bilingual 422 naming ``kind`` and the known kinds.
    """
    kind = REGISTRY.get(name)
    if kind is None or (submitted and not kind.submitted):
        known = ", ".join(k.name for k in (submitted_kinds() if submitted else REGISTRY.values()))
        raise UnknownJobKindError(kind=name, known=known)
    return kind


for _k in (
    JobKind(
        "check",
        "救灾物资保障核查",
        "relief check",
        "service.api.analyses:check",
        CheckOptions,
    ),
    JobKind(
        "dispatch",
        "调运方案",
        "dispatch plan",
        "service.api.analyses:dispatch",
        DispatchOptions,
    ),
    # Asked for at a finished dispatch job (the duty officers' routes), not through /jobs.
    JobKind("redispatch", "重新调运", "re-dispatch", "service.api.analyses:redispatch"),
    JobKind(
        "site",
        "储备库选址",
        "depot siting",
        "service.api.analyses:site",
        SiteOptions,
        needs_scenario=False,
    ),
    # An exercise plays the scenario's script: only those who run drills may see it played.
    JobKind(
        "exercise",
        "演练推演",
        "exercise",
        "service.api.analyses:exercise",
        DispatchOptions,
        roles=DRILL_CONTROLLERS,
        needs_injects=True,
    ),
    JobKind(
        "drill_score",
        "演练评分",
        "drill score",
        "service.api.analyses:drill_score",
        roles=DRILL_CONTROLLERS,
        result_opens_with_drill=True,
    ),
):
    register(_k)
