"""What every `factbot` command shares: exit codes, the one-line CliError, settings, the database, the matcher."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.db import session_scope
from bot.settings import Settings, configure_logging, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A clear, expected failure: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def settings_from_env(*, running_bot: bool = False) -> Settings:
    """The settings, with logging configured from them; likely mistakes are warned about on stderr."""
    from bot.startup_checks import database_warnings, webhook_warnings

    settings = load_settings()
    configure_logging(settings)
    for warning in database_warnings(settings) + (webhook_warnings(settings) if running_bot else []):
        print(f"factbot: warning: {warning}", file=sys.stderr)
    return settings


def print_errors(lines: Iterable[str]) -> None:
    """Every error (or warning) on stderr, one a line, before the one-line summary."""
    for line in lines:
        print(line, file=sys.stderr)


def default_kb_dirs() -> list[Path]:
    from bot.services.kb_store import kb_dirs

    return kb_dirs(settings_from_env())


@contextmanager
def db_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session on the configured database (migrated), committed on success."""
    from bot.db import make_engine, make_sessionmaker, upgrade

    engine = make_engine((settings or settings_from_env()).database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def progress_printer(what: str) -> Callable[[int, int], None]:
    """A progress line on stderr ("what: done/total"), redrawn in place on a terminal."""
    tty = sys.stderr.isatty()
    shown = [-1]

    def show(done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if tty:
            print(f"\rfactbot: {what}: {done:,}/{total:,}", end="\n" if done >= total else "", file=sys.stderr)
        elif tenth != shown[0]:
            shown[0] = tenth
            print(f"factbot: {what}: {done:,}/{total:,}", file=sys.stderr)

    return show


def kb_claims(kb: list[str]) -> list[Any]:
    """The claims of the YAML KB in the --kb directories (a CliError listing its errors if invalid)."""
    from knowledge.loader import load

    result = load([Path(d) for d in kb])
    if result.errors:
        print_errors(result.errors)
        raise CliError(f"the knowledge base in {', '.join(kb)} has {len(result.errors)} error(s)")
    return list(result.claims)


def matcher_from(kb: list[str] | None) -> tuple[Any, Callable[[], None]]:
    """The matcher: in memory from --kb directories, or the live KB in the database; with the semantic
    channel when FACTBOT_SEMANTIC wants it (texts without a stored vector are encoded first)."""
    from bot.services import semantic
    from knowledge.matcher import Matcher

    if kb:
        settings = load_settings()
        matcher = Matcher(kb_claims(kb), **settings.matcher_options)
        if semantic.enabled(settings):
            semantic.attach(settings, matcher, encode=True, progress=progress_printer("encoding new texts"))
        return matcher, lambda: None
    from bot.services.runtime import Runtime

    runtime = Runtime.start(settings_from_env())
    runtime.start_semantic(encode=True, progress=progress_printer("encoding new texts"))
    return runtime.index.matcher, runtime.close
