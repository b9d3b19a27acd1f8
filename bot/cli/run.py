"""`factbot run`: start a front end (the Telegram bot) found through the `factbot.frontends` entry points.

The core never imports the Telegram side: the front end registers itself in the package metadata
(pyproject.toml, `[project.entry-points."factbot.frontends"]`) and is loaded by name here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from bot.cli.common import EXIT_OK, CliError, settings_from_env
from bot.settings import Settings

FRONTENDS = "factbot.frontends"
DEFAULT_FRONTEND = "telegram"


def load_frontend(name: str = DEFAULT_FRONTEND) -> Callable[[Settings], None]:
    """The front end's `run(settings)`, or a CliError naming what to reinstall."""
    found = entry_points(group=FRONTENDS, name=name)
    if not found:
        raise CliError(f"no '{name}' front end is installed (entry point group {FRONTENDS}); reinstall factbot")
    runner: Callable[[Settings], None] = next(iter(found)).load()
    return runner


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    load_frontend()(settings_from_env(running_bot=True))  # which checks the token first
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Register `run` on the `factbot` subparsers."""
    run = commands.add_parser("run", help="run the Telegram bot", description=cmd_run.__doc__)
    run.set_defaults(func=cmd_run)
