"""The bundled GeoPackages freeze the depot tier defaults: this test says which to rebuild.

``geodata/bundled.py`` writes each depot's loading rate, alert delay and opening hours from
``solver/defaults.py`` (``TIERS``) into the depot row; loading an area reads the row. So an
edit to ``TIERS`` changes nothing for the bundled areas until ``make data`` rebuilds them
(DATA.md, "What the bundled GeoPackages freeze"). This compares the frozen values with
``TIERS`` in a second and fails naming the GeoPackage, the tier and the command.
"""

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pyogrio
import pytest

from geodata.area import DATA_DIR
from solver.defaults import TIERS, Tier, TierDefaults

FROZEN = ("loading_t_per_h", "alert_delay_h", "open_from_h", "open_to_h")
GEOPACKAGES = sorted(DATA_DIR.glob("*.gpkg"))


def stale_tier_defaults(path: Path, tiers: Mapping[Tier, TierDefaults]) -> list[str]:
    """One line per tier and field where ``path``'s depot rows differ from ``tiers``."""
    depots = pyogrio.read_dataframe(path, layer="depots", read_geometry=False)
    out = []
    for tier_name, rows in depots.groupby("tier"):
        want = tiers[Tier(str(tier_name))]
        for name in FROZEN:
            expected = float(getattr(want, name))
            off = rows[rows[name].astype(float) != expected]
            if len(off):
                found = sorted(set(off[name].astype(float)))
                out.append(
                    f"{path.relative_to(DATA_DIR.parents[1])}: {len(off)} {tier_name} depot(s) "
                    f"(e.g. {off['id'].iloc[0]}) hold {name} = {found}, solver/defaults.py "
                    f"TIERS says {expected}"
                )
    return out


def _advice(lines: list[str]) -> str:
    return (
        "\n".join(lines)
        + "\nThe bundled GeoPackages freeze the tier defaults (DATA.md): run `make data` and "
        "commit the rebuilt geodata/data/*.gpkg."
    )


def test_geopackages_exist():
    """Both bundled areas are found, so the check below checks something."""
    assert {p.stem for p in GEOPACKAGES} >= {"hengshui", "zhuozhou"}


@pytest.mark.parametrize("path", GEOPACKAGES, ids=[p.stem for p in GEOPACKAGES])
def test_bundled_depots_hold_the_current_tier_defaults(path):
    """Every bundled depot's frozen operating values equal solver/defaults.py's TIERS."""
    stale = stale_tier_defaults(path, TIERS)
    assert not stale, _advice(stale)


def test_a_changed_default_names_the_geopackage_and_make_data():
    """Editing a tier default (here the municipal loading rate) is reported for each
    GeoPackage, with the depot, the frozen and the new value, and the command to run."""
    edited = dict(TIERS)
    edited[Tier.MUNICIPAL] = dataclasses.replace(TIERS[Tier.MUNICIPAL], loading_t_per_h=99.0)
    stale = stale_tier_defaults(DATA_DIR / "hengshui.gpkg", edited)
    assert len(stale) == 1
    assert "geodata/data/hengshui.gpkg" in stale[0] and "municipal" in stale[0]
    assert "loading_t_per_h" in stale[0] and "99.0" in stale[0] and "D-M-" in stale[0]
    assert "`make data`" in _advice(stale)
