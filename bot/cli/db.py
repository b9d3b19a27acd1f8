"""`factbot db upgrade`: the schema brought up to date."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import EXIT_OK, settings_from_env


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    from bot.db import make_engine, upgrade

    settings = settings_from_env()
    engine = make_engine(settings.database_url)
    try:
        ran = upgrade(engine)
    finally:
        engine.dispose()
    print("database upgraded" if ran else "database already up to date")
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Register `db upgrade` on the `factbot` subparsers."""
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply migrations", description=cmd_db_upgrade.__doc__)
    db_upgrade.set_defaults(func=cmd_db_upgrade)
