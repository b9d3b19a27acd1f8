"""The `factbot` command line: one module per command group (run, check, kb, db, admin) over cli.common."""

from bot.cli.entry import build_parser, main

__all__ = ["build_parser", "main"]
