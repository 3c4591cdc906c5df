"""The MIP solvers built into OR-Tools, by name (no solver is imported here).

Kept apart from :mod:`solver.mip` so that naming a back end (a CLI option, a registry
entry) does not load OR-Tools.
"""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    """MIP solvers built into OR-Tools."""

    SCIP = "scip"
    HIGHS = "highs"
    CP_SAT = "sat"
