"""The `factbot` command line (also `python -m bot`): the parser and the turning of failures into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import admin, check, db, kb, run
from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from bot.db import DatabaseUnavailable
from bot.errors import CannotListen, KnowledgeBaseInvalid, TelegramUnavailable
from bot.settings import SettingsError

COMMAND_GROUPS = (run, check, kb, db, admin)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factbot",
        description="factbot: checks forwarded posts against a curated knowledge base of claims.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn expected failures into one clear line and an exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except SettingsError as exc:
        print(f"factbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return exc.code
    except (DatabaseUnavailable, TelegramUnavailable, CannotListen) as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KnowledgeBaseInvalid as exc:
        print(f"factbot: the knowledge base does not validate:\n{exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
