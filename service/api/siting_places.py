"""The demand places of a siting answer, each marked reached before and after the new sites.

The workspace highlights the places the new sites bring within reach. A place is reached
when an open site is within the answer's travel cutoff (:meth:`SitingProblem.covered`, the
one rule); models without a cutoff (p-median, p-center) have no such places.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scenarios.siting import SitingReport


def places(rep: SitingReport) -> dict[str, Any] | None:
    """A GeoJSON FeatureCollection of the demand places (``None`` without a cutoff).

    Properties: ``id``, ``name``, ``people``, ``reached_before`` (by existing depots),
    ``reached_after`` (by every open site, the new ones included).
    """
    s, problem, pts = rep.siting, rep.input.problem, rep.input.points
    if s.cutoff_h is None:
        return None
    before = problem.covered(np.asarray(problem.existing, dtype=bool), s.cutoff_h)
    after = problem.covered(np.asarray(s.open_mask, dtype=bool), s.cutoff_h)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            "properties": {
                "id": str(pid),
                "name": str(name),
                "people": int(people),
                "reached_before": bool(b),
                "reached_after": bool(a),
            },
        }
        for pid, name, people, lon, lat, b, a in zip(
            pts["id"],
            pts["name"],
            pts["population"],
            pts.geometry.x,
            pts.geometry.y,
            before,
            after,
            strict=True,
        )
    ]
    return {"type": "FeatureCollection", "features": features}
