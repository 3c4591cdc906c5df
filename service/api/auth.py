"""API tokens and roles: who may read, change stock, or run analyses."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.db import Token
from solver.errors import DataError


class Role(StrEnum):
    """What a token may do (应急管理局的岗位)."""

    PLANNER = "planner"  # 规划人员: stock, siting, checks, dispatch
    DUTY_OFFICER = "duty_officer"  # 值班人员: stock, checks, dispatch
    EXERCISE_DESIGNER = "exercise_designer"  # 演练设计人员: checks, dispatch, siting
    VIEWER = "viewer"  # 只读


#: Roles allowed to change the stock registry.
STOCK_WRITERS = frozenset({Role.PLANNER, Role.DUTY_OFFICER})
#: Roles that run drills (prepare, release injects, end, score) and players who take part.
DRILL_CONTROLLERS = frozenset({Role.PLANNER, Role.EXERCISE_DESIGNER})
DRILL_PLAYERS = frozenset({Role.DUTY_OFFICER})
#: Roles allowed to submit analysis jobs.
JOB_SUBMITTERS = frozenset({Role.PLANNER, Role.DUTY_OFFICER, Role.EXERCISE_DESIGNER})


def digest(secret: str) -> str:
    """SHA-256 of a token secret (what is stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, role: str) -> str:
    """Store a new token named ``name`` with ``role``; return its secret (shown once)."""
    try:
        r = Role(role)
    except ValueError:
        raise DataError(
            f"unknown role {role!r}; one of " + ", ".join(x.value for x in Role),
            field="role",
            problem_zh="未知角色",
        ) from None
    if not name or len(name) > 100:
        raise DataError("give a name of 1-100 characters", field="name", problem_zh="名称无效")
    if session.scalar(select(Token).where(Token.name == name)) is not None:
        raise DataError(f"a token named {name!r} exists", field="name", problem_zh="名称已存在")
    secret = secrets.token_urlsafe(24)
    session.add(Token(name=name, role=r.value, secret_sha256=digest(secret)))
    session.commit()
    return secret


def find_token(session: Session, secret: str) -> Token | None:
    """The token whose secret is ``secret``, if any."""
    return session.scalar(select(Token).where(Token.secret_sha256 == digest(secret)))
