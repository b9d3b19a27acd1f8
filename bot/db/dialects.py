"""Statements built once per database: ON CONFLICT belongs to each dialect's own insert construct, and settings
accept these two databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

__all__ = ["DIALECT_INSERTS", "per_dialect"]

T = TypeVar("T")

DIALECT_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def per_dialect(build: Callable[[Callable[..., Any]], T]) -> dict[str, T]:
    """`build(insert)` with each database's own insert, by dialect name (`session.get_bind().dialect.name`)."""
    return {name: build(insert) for name, insert in DIALECT_INSERTS.items()}
