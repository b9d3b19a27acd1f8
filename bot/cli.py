"""The `factbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.db import DatabaseUnavailable
from bot.errors import KnowledgeBaseInvalid, TelegramUnavailable
from bot.settings import Settings, SettingsError, configure_logging, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
MAX_CHECK_BYTES = 4 * 1024 * 1024  # the CLI accepts big inputs; the matcher caps its own work


class CliError(Exception):
    """A clear, expected failure: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings)
    return settings


# --- kb -----------------------------------------------------------------------------------------


def cmd_kb_validate(args: argparse.Namespace) -> int:
    """Validate knowledge directories: exit 0, or 1 with every error."""
    from knowledge.loader import load

    dirs = [Path(d) for d in args.dirs] if args.dirs else _default_kb_dirs()
    result = load(dirs)
    for error in result.errors:
        print(error, file=sys.stderr)
    if result.errors:
        print(f"{len(result.errors)} error(s) in {result.files} file(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {len(result.claims)} claims in {result.files} file(s)")
    return EXIT_OK


def _default_kb_dirs() -> list[Path]:
    from bot.kb_store import kb_dirs

    return kb_dirs(_settings())


def _open_db(settings: Settings) -> Any:
    from bot.db import make_engine, make_sessionmaker, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine, make_sessionmaker(engine)


def cmd_kb_import(args: argparse.Namespace) -> int:
    """Upsert knowledge directories (or a ClaimReview file) into the database."""
    from bot import kb_store
    from bot.db import session_scope
    from knowledge.loader import load

    settings = _settings()
    if args.format == "claimreview":
        from bot.claimreview import read_claimreview

        if len(args.dirs) != 1:
            raise CliError("kb import --format claimreview takes exactly one FILE", EXIT_USAGE)
        claims, problems = read_claimreview(Path(args.dirs[0]))
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    else:
        dirs = [Path(d) for d in args.dirs] if args.dirs else _default_kb_dirs()
        result = load(dirs)
        if result.errors:
            for error in result.errors:
                print(error, file=sys.stderr)
            print(f"nothing imported: {len(result.errors)} error(s)", file=sys.stderr)
            return EXIT_FAILED
        claims = result.claims
    engine, sessions = _open_db(settings)
    try:
        with session_scope(sessions) as session:
            report = kb_store.import_claims(session, claims, force=args.force, prune=args.prune)
    finally:
        engine.dispose()
    print(
        f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}"
        + (f", pruned {len(report.pruned)}" if args.prune else "")
    )
    if report.conflicts:
        for claim_id in report.conflicts:
            print(
                f"conflict: {claim_id} was changed in the database since it was last imported; "
                "not overwritten (use --force to overwrite)",
                file=sys.stderr,
            )
        return EXIT_FAILED
    return EXIT_OK


def cmd_kb_export(args: argparse.Namespace) -> int:
    """Write the database's knowledge base as YAML (or ClaimReview JSON-LD)."""
    from bot import kb_store
    from bot.db import session_scope
    from knowledge.loader import export_dir

    settings = _settings()
    engine, sessions = _open_db(settings)
    try:
        with session_scope(sessions) as session:
            claims = kb_store.published_claims(session)
    finally:
        engine.dispose()
    target = Path(args.target)
    if args.format == "claimreview":
        from bot.claimreview import write_claimreview

        write_claimreview(claims, target)
        print(f"wrote {len(claims)} claims to {target}")
        return EXIT_OK
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} exists and is not a directory", EXIT_USAGE)
    path = export_dir(claims, target)
    print(f"wrote {len(claims)} claims to {path}")
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    from bot.db import make_engine, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        ran = upgrade(engine)
    finally:
        engine.dispose()
    print("database upgraded" if ran else "database already up to date")
    return EXIT_OK


# --- check --------------------------------------------------------------------------------------


def _matcher_from(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """The matcher: in memory from --kb directories, or the live KB in the database."""
    from knowledge.loader import load
    from knowledge.matcher import Matcher

    if args.kb:
        result = load([Path(d) for d in args.kb])
        if result.errors:
            for error in result.errors:
                print(error, file=sys.stderr)
            raise CliError(f"the knowledge base in {', '.join(args.kb)} has {len(result.errors)} error(s)")
        kwargs: dict[str, float] = {}
        settings = load_settings()
        if settings.match_strong is not None:
            kwargs["strong"] = settings.match_strong
        if settings.match_possible is not None:
            kwargs["possible"] = settings.match_possible
        return Matcher(result.claims, **kwargs), lambda: None
    from bot.runtime import Runtime

    runtime = Runtime.start(_settings())
    return runtime.index.matcher, runtime.close


def _match_json(match: Any) -> dict[str, Any]:
    return {
        "claim_id": match.claim_id,
        "score": round(float(match.score), 1),
        "strength": match.strength,
        "verdict": match.claim.verdict,
        "claim": match.claim.claim,
        "fragment": match.fragment,
    }


def _read_stdin_text(stdin: TextIO) -> str:
    data = stdin.read(MAX_CHECK_BYTES + 1)
    if len(data) > MAX_CHECK_BYTES:
        raise CliError(f"input is larger than {MAX_CHECK_BYTES // (1024 * 1024)} MB", EXIT_USAGE)
    return data


def cmd_check(args: argparse.Namespace) -> int:
    """Match a text (argument or stdin) and print the reply, JSON, or a JSON Lines batch."""
    from bot.render import plain_reply

    if args.batch and args.text is not None:
        raise CliError("--batch reads JSON Lines from stdin; do not also pass TEXT", EXIT_USAGE)
    text = None
    if not args.batch:
        text = args.text if args.text is not None else _read_stdin_text(sys.stdin)
        if not text.strip():
            raise CliError("nothing to check: pass TEXT or pipe it on stdin", EXIT_USAGE)
    matcher, close = _matcher_from(args)
    try:
        if args.batch:
            return _check_batch(matcher, sys.stdin, sys.stdout)
        assert text is not None
        started = time.perf_counter()
        matches = matcher.match(text, limit=5)
        elapsed = (time.perf_counter() - started) * 1000
        if args.json:
            payload = {"matches": [_match_json(m) for m in matches], "elapsed_ms": round(elapsed, 2)}
            print(json.dumps(payload, ensure_ascii=False))
        else:
            print(plain_reply(matches, args.lang))
        return EXIT_OK
    finally:
        close()


def _check_batch(matcher: Any, stdin: TextIO, stdout: TextIO) -> int:
    for line in stdin:
        record: dict[str, Any]
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            text = item.get("text")
            if not isinstance(text, str):
                record = {"id": item.get("id"), "error": "'text' must be a string"}
            else:
                started = time.perf_counter()
                matches = matcher.match(text, limit=5)
                elapsed = (time.perf_counter() - started) * 1000
                record = {
                    "id": item.get("id"),
                    "matches": [_match_json(m) for m in matches],
                    "elapsed_ms": round(elapsed, 2),
                }
        except (ValueError, RecursionError) as exc:
            record = {"id": None, "error": f"malformed line: {exc}"}
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return EXIT_OK


# --- run ----------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    from handlers.app import run_bot

    run_bot(_settings())  # which checks the token first
    return EXIT_OK


# --- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factbot",
        description="factbot: checks forwarded posts against a curated knowledge base of claims.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the Telegram bot", description=cmd_run.__doc__)
    run.set_defaults(func=cmd_run)

    check = commands.add_parser(
        "check",
        help="match a text against the knowledge base and print the reply",
        description="Match TEXT (or stdin) against the knowledge base and print the reply a user would get.",
    )
    check.add_argument("text", nargs="?", metavar="TEXT", help="the text to check (default: read stdin)")
    check.add_argument(
        "--kb", action="append", metavar="DIR", help="match against the YAML KB in DIR only (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object with the matches")
    check.add_argument(
        "--batch", action="store_true", help='stdin is JSON Lines {"id", "text"}; print one JSON line each'
    )
    check.add_argument("--lang", choices=("en", "uk", "ru"), default="en", help="reply language (default en)")
    check.set_defaults(func=cmd_check)

    kb = commands.add_parser("kb", help="validate, import and export the knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    validate = kb_commands.add_parser(
        "validate", help="validate knowledge directories", description=cmd_kb_validate.__doc__
    )
    validate.add_argument("dirs", nargs="*", metavar="DIR", help="default: the bundled KB plus FACTBOT_KB_DIR")
    validate.set_defaults(func=cmd_kb_validate)

    kb_import = kb_commands.add_parser(
        "import", help="upsert knowledge directories into the database", description=cmd_kb_import.__doc__
    )
    kb_import.add_argument("dirs", nargs="*", metavar="DIR", help="default: the bundled KB plus FACTBOT_KB_DIR")
    kb_import.add_argument("--prune", action="store_true", help="delete database entries missing from DIRs")
    kb_import.add_argument("--force", action="store_true", help="overwrite entries changed in the database")
    kb_import.add_argument("--format", choices=("yaml", "claimreview"), default="yaml")
    kb_import.set_defaults(func=cmd_kb_import)

    kb_export = kb_commands.add_parser(
        "export", help="write the database's knowledge base", description=cmd_kb_export.__doc__
    )
    kb_export.add_argument("target", metavar="DIR", help="directory for YAML (a FILE for --format claimreview)")
    kb_export.add_argument("--format", choices=("yaml", "claimreview"), default="yaml")
    kb_export.set_defaults(func=cmd_kb_export)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply migrations", description=cmd_db_upgrade.__doc__)
    db_upgrade.set_defaults(func=cmd_db_upgrade)

    _add_admin_commands(commands)
    return parser


def _add_admin_commands(commands: Any) -> None:
    """Admin commands (statistics, log export, evaluation, retention) live in bot.admin_cli."""
    from bot.admin_cli import add_commands

    add_commands(commands)


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
    except (DatabaseUnavailable, TelegramUnavailable) as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KnowledgeBaseInvalid as exc:
        print(f"factbot: the knowledge base does not validate:\n{exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
