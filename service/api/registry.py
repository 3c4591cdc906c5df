"""The shared reserve registry: the area's depots with stock as changed through the service."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from geodata.area import BUNDLED, Area, load_area
from geodata.io import write_atomic
from service.api.db import Audit, NewDepot, Shelter, Stock
from solver.errors import DataError

#: This process's own folder (0700, unpredictable name) for derived depots tables.
_CACHE = Path(tempfile.mkdtemp(prefix="relief-registry-"))


@lru_cache(maxsize=8)
def _base_area(spec: str) -> Area:
    return load_area(spec)


def extra_areas(session: Session, configured: dict[str, Path]) -> dict[str, Path]:
    """Areas besides the bundled ones: configured at start-up and uploaded since."""
    from service.api.db import Layer

    rows = session.scalars(select(Layer).where(Layer.kind == "area")).all()
    return {**configured, **{r.area: Path(r.path) for r in rows}}


def area_spec(name: str, extra: dict[str, Path]) -> str:
    """What to load for area ``name`` (a bundled name or a configured GeoPackage)."""
    if name in BUNDLED:
        return name
    if name in extra:
        return str(extra[name])
    known = sorted([*BUNDLED, *extra])
    raise DataError(
        f"unknown area {name!r}; known: {', '.join(known)}", field="area", problem_zh="未知区域"
    )


@lru_cache(maxsize=16)
def _area_with_depots(spec: str, depots_csv: str) -> Area:
    return load_area(spec, depots=depots_csv)


def depots_csv(base: Area, added: list[dict[str, Any]]) -> str:
    """The area's depots plus ``added`` as a depots table (the CSV schema of DATA.md).

    Written once per content to the temporary folder; returns its path.
    """
    items = list(base.network.catalogue.ids)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "tier": d.tier.value,
            "lon": d.lon,
            "lat": d.lat,
            "county": d.county,
            "loading_t_per_h": d.loading_t_per_h,
            "alert_delay_h": d.alert_delay_h,
            "open_from_h": d.open_from_h,
            "open_to_h": d.open_to_h,
            "provenance": d.provenance.value,
            **{f"stock_{i}": int(dict(d.stock).get(i, 0)) for i in items},
        }
        for d in base.network.depots
    ]
    for a in added:  # tier defaults fill loading rate, alert delay and hours
        rows.append({**a, "provenance": "real", **{f"stock_{i}": 0 for i in items}})
    text = pd.DataFrame(rows).to_csv(index=False)
    digest = hashlib.sha256(f"{base.path}|{text}".encode()).hexdigest()[:20]
    path = _CACHE / f"depots-{digest}.csv"
    if not path.exists():
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return str(path)


def with_depots(spec: str, added: list[dict[str, Any]]) -> Area:
    """The area ``spec`` with depots ``added`` (loaded and checked like a depots file)."""
    return _area_with_depots(spec, depots_csv(_base_area(spec), added))


def registry_version(session: Session, name: str) -> tuple[int, ...]:
    """What changes whenever the registry changes for area ``name`` (one query).

    Versions only grow, so counts and version sums of stock, shelters and added depots
    differ after any edit: a key for answers derived from the area's current state.
    """

    def sub(*cols: Any, table: Any) -> Any:
        return select(*cols).where(table.area == name).scalar_subquery()

    row = session.execute(
        select(
            sub(func.count(), table=Stock),
            sub(func.coalesce(func.sum(Stock.version), 0), table=Stock),
            sub(func.count(), table=Shelter),
            sub(func.coalesce(func.sum(Shelter.version), 0), table=Shelter),
            sub(func.count(), table=NewDepot),
        )
    ).one()
    return tuple(int(x) for x in row)


def area_with_stock(session: Session, name: str, extra: dict[str, Path]) -> Area:
    """The area with every change made through the service: new depots, stock, shelters."""
    spec = area_spec(name, extra)
    base = _base_area(spec)
    added = session.scalars(select(NewDepot).where(NewDepot.area == name)).all()
    if added:
        new = [
            {
                "id": d.id,
                "name": d.name,
                "tier": d.tier,
                "lon": d.lon,
                "lat": d.lat,
                "county": d.county,
            }
            for d in sorted(added, key=lambda d: d.id)
        ]
        base = with_depots(spec, new)
    rows = session.scalars(select(Stock).where(Stock.area == name)).all()
    caps = {
        r.point: r.capacity
        for r in session.scalars(select(Shelter).where(Shelter.area == name)).all()
    }
    if not rows and not caps:
        return base
    changes: dict[str, dict[str, int]] = {}
    for r in rows:
        changes.setdefault(r.depot, {})[r.item] = r.quantity
    depots = tuple(
        dataclasses.replace(d, stock={**dict(d.stock), **changes[d.id]}) if d.id in changes else d
        for d in base.network.depots
    )
    points = tuple(
        dataclasses.replace(p, capacity=caps[p.id]) if p.id in caps else p
        for p in base.network.points
    )
    net = dataclasses.replace(base.network, depots=depots, points=points)
    return dataclasses.replace(base, network=net)


def set_capacity(
    session: Session,
    area: Area,
    area_name: str,
    point: str,
    capacity: int,
    expected_version: int | None,
    who: tuple[str, str],
) -> Shelter:
    """Set a shelter's capacity; refuse points that are not shelters and stale versions."""
    found = next((p for p in area.network.points if p.id == point), None)
    if found is None or found.capacity is None:
        raise LookupError(f"shelter {point!r}")
    key = {"area": area_name, "point": point}
    row: Shelter = _versioned_set(
        session,
        Shelter,
        key,
        "capacity",
        capacity,
        int(found.capacity),
        expected_version,
        who,
        "set_shelter_capacity",
        f"{area_name}/{point}",
    )
    return row


def set_stock(
    session: Session,
    area: Area,
    area_name: str,
    depot: str,
    item: str,
    quantity: int,
    expected_version: int | None,
    who: tuple[str, str],
) -> Stock:
    """Set ``depot``'s stock of ``item``; refuse unknown ids and stale versions."""
    found = next((d for d in area.network.depots if d.id == depot), None)
    if found is None:
        raise LookupError(f"depot {depot!r}")
    if item not in area.network.catalogue:
        raise DataError(f"unknown item {item!r}", field="item", problem_zh="未知物资")
    if quantity < 0:
        raise DataError("must be >= 0", field="quantity", problem_zh="数量须≥0")
    key = {"area": area_name, "depot": depot, "item": item}
    default = int(dict(found.stock).get(item, 0))
    row: Stock = _versioned_set(
        session,
        Stock,
        key,
        "quantity",
        quantity,
        default,
        expected_version,
        who,
        "set_stock",
        f"{area_name}/{depot}/{item}",
    )
    return row


def _versioned_set(
    session: Session,
    model: Any,
    key: dict[str, str],
    column: str,
    value: int,
    default: int,
    expected_version: int | None,
    who: tuple[str, str],
    action: str,
    target: str,
) -> Any:
    """Set ``column`` of the row at ``key`` to ``value``, audited, if its version is unchanged.

    Unchanged means: still the version read here, and ``expected_version`` when given.

    A row not yet stored starts at version 0 with the area's ``default``. Two writers racing
    on one version: the second finds no row to update (or a duplicate key) and fails.
    """
    row = session.get(model, tuple(key.values()))
    old = getattr(row, column) if row else default
    version = row.version if row else 0
    if expected_version is not None and expected_version != version:
        raise StaleVersionError(version)
    if row is None:  # a concurrent insert fails on the primary key (IntegrityError -> 409)
        row = model(**key, **{column: value}, version=1)
        session.add(row)
    else:  # only if nobody changed it since it was read
        conditions = [getattr(model, k) == v for k, v in key.items()]
        done = session.execute(
            update(model)
            .where(*conditions, model.version == version)
            .values({column: value, "version": version + 1})
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise StaleVersionError(version + 1)
        session.expire(row)
    session.add(
        Audit(
            token=who[0],
            role=who[1],
            action=action,
            target=target,
            detail=json.dumps({"old": old, "new": value}),
        )
    )
    session.commit()
    return row


class StaleVersionError(Exception):
    """The record changed since the client read it (a concurrent edit)."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(f"changed meanwhile; current version {current}")
