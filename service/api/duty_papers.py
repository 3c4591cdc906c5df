"""A dispatch job's papers (driver sheets, loading and receipt lists, workbook), made once.

The same papers ``relief dispatch`` writes beside ``plan.json`` (``service.sheets``), from the
job's stored result: its plan, its route legs, and the area's directory of names and roads
for the scenario the plan was made for. They are written to a folder of their own the first
time they are asked for, and served from there after that (a finished job never changes).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from service.i18n import Lang

_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def write_papers(
    result_file: Path, request: dict[str, Any], area: Any, out: Path, lang: Lang
) -> None:
    """Write the papers of the job whose result is ``result_file`` into the folder ``out``."""
    import geopandas as gpd

    from scenarios.apply import apply_scenario
    from scenarios.model import LIBRARY, scenario_from_dict
    from service.papers_places import directory_from_area
    from service.sheets import write_sheets

    result = json.loads(result_file.read_text(encoding="utf-8"))
    doc = result["plan"]
    scenario = scenario_from_dict(doc["scenario"]["definition"], source="plan")
    floods = [Path(f) for f in request.get("flood_files", [])]
    situation = apply_scenario(area, scenario, folder=LIBRARY, extra_floods=floods)
    features = (result.get("routes") or {}).get("features") or []
    legs = gpd.GeoDataFrame.from_features(features, crs=4326) if features else None
    write_sheets(
        doc, out, lang, directory=directory_from_area(situation.area, situation.network), legs=legs
    )


def papers_folder(
    root: Path, job_id: str, lang: Lang, result_file: Path, request: dict[str, Any], area: Any
) -> Path:
    """The folder with the job's papers in ``lang``, written on the first call.

    Written to a temporary folder and renamed into place: a failed or concurrent first call
    never leaves half a set.
    """
    out = root / f"{job_id}-{lang.value}"
    with _lock(out.name):
        if out.is_dir():
            return out
        tmp = root / f".{out.name}.{uuid.uuid4().hex}"
        try:
            write_papers(result_file, request, area, tmp, lang)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out
