"""`factbot kb validate|import|export`: the knowledge base between YAML (or ClaimReview) and the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, default_kb_dirs, open_db, settings_from_env


def cmd_kb_validate(args: argparse.Namespace) -> int:
    """Validate knowledge directories: exit 0, or 1 with every error."""
    from knowledge.loader import load

    dirs = [Path(d) for d in args.dirs] if args.dirs else default_kb_dirs()
    result = load(dirs)
    for error in result.errors:
        print(error, file=sys.stderr)
    if result.errors:
        print(f"{len(result.errors)} error(s) in {result.files} file(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {len(result.claims)} claims in {result.files} file(s)")
    return EXIT_OK


def cmd_kb_import(args: argparse.Namespace) -> int:
    """Upsert knowledge directories (or a ClaimReview file) into the database."""
    from bot.db import session_scope
    from bot.services import kb_store
    from knowledge.loader import load

    settings = settings_from_env()
    if args.format == "claimreview":
        from bot.services.claimreview import read_claimreview

        if len(args.dirs) != 1:
            raise CliError("kb import --format claimreview takes exactly one FILE", EXIT_USAGE)
        claims, problems = read_claimreview(Path(args.dirs[0]))
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    else:
        dirs = [Path(d) for d in args.dirs] if args.dirs else default_kb_dirs()
        result = load(dirs)
        if result.errors:
            for error in result.errors:
                print(error, file=sys.stderr)
            print(f"nothing imported: {len(result.errors)} error(s)", file=sys.stderr)
            return EXIT_FAILED
        claims = result.claims
    engine, sessions = open_db(settings)
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
    from bot.db import session_scope
    from bot.services import kb_store
    from knowledge.loader import export_dir

    settings = settings_from_env()
    engine, sessions = open_db(settings)
    try:
        with session_scope(sessions) as session:
            claims = kb_store.published_claims(session)
    finally:
        engine.dispose()
    target = Path(args.target)
    if args.format == "claimreview":
        from bot.services.claimreview import write_claimreview

        write_claimreview(claims, target)
        print(f"wrote {len(claims)} claims to {target}")
        return EXIT_OK
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} exists and is not a directory", EXIT_USAGE)
    path = export_dir(claims, target)
    print(f"wrote {len(claims)} claims to {path}")
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Register `kb validate|import|export` on the `factbot` subparsers."""
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
