"""`factbot check`: match a text (or a JSON Lines batch) and print what a user would get."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from typing import Any, TextIO

from bot.cli.common import EXIT_OK, EXIT_USAGE, CliError, matcher_from

MAX_CHECK_BYTES = 4 * 1024 * 1024  # the CLI accepts big inputs; the matcher caps its own work
MATCHES = 5  # at most this many matches, best first (the README's contract)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _printed_match(match: Any) -> dict[str, Any]:
    """One match as `factbot check --json` prints it (the README's contract)."""
    return {
        "claim_id": match.claim_id,
        "score": round(float(match.score), 1),
        "strength": match.strength,
        "verdict": match.claim.verdict,
        "claim": match.claim.claim,
        "fragment": match.fragment,
        "reason": match.reason,
    }


def _timed_matches(matcher: Any, text: str, posted: dt.date | None = None) -> dict[str, Any]:
    """{"matches", "elapsed_ms"}: the JSON both --json and --batch print for one text."""
    started = time.perf_counter()
    matches = matcher.match(text, limit=MATCHES, posted=posted)
    elapsed = (time.perf_counter() - started) * 1000
    return {"matches": [_printed_match(m) for m in matches], "elapsed_ms": round(elapsed, 2)}


def parse_post_date(raw: object, name: str = "'date'") -> dt.date | None:
    """The post's date written YYYY-MM-DD (None if absent); ValueError says what is wrong with `name`."""
    if raw is None:
        return None
    if isinstance(raw, str) and _ISO_DAY.fullmatch(raw.strip()):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"{name} must be a day written YYYY-MM-DD, got {raw!r}")


def _read_stdin_text(stdin: TextIO) -> str:
    data = stdin.read(MAX_CHECK_BYTES + 1)
    if len(data) > MAX_CHECK_BYTES:
        raise CliError(f"input is larger than {MAX_CHECK_BYTES // (1024 * 1024)} MB", EXIT_USAGE)
    return data


def cmd_check(args: argparse.Namespace) -> int:
    """Match a text (argument or stdin) and print the reply, JSON, or a JSON Lines batch."""
    from bot.rendering.render import plain_reply

    if args.batch and args.text is not None:
        raise CliError("--batch reads JSON Lines from stdin; do not also pass TEXT", EXIT_USAGE)
    if args.batch and args.date is not None:
        raise CliError("--batch reads each post's date from its line ('date'); do not also pass --date", EXIT_USAGE)
    try:
        posted = parse_post_date(args.date, "--date")
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    text = None
    if not args.batch:
        text = args.text if args.text is not None else _read_stdin_text(sys.stdin)
        if not text.strip():
            raise CliError("nothing to check: pass TEXT or pipe it on stdin", EXIT_USAGE)
    matcher, close = matcher_from(args.kb)
    try:
        if args.batch:
            return _check_batch(matcher, sys.stdin, sys.stdout)
        assert text is not None
        if args.json:
            print(json.dumps(_timed_matches(matcher, text, posted), ensure_ascii=False))
        else:
            print(plain_reply(matcher.match(text, limit=MATCHES, posted=posted), args.lang))
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
                try:
                    posted = parse_post_date(item.get("date"))
                except ValueError as exc:
                    record = {"id": item.get("id"), "error": str(exc)}
                else:
                    record = {"id": item.get("id"), **_timed_matches(matcher, text, posted)}
        except (ValueError, RecursionError) as exc:
            record = {"id": None, "error": f"malformed line: {exc}"}
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return EXIT_OK


def add_commands(commands: Any) -> None:
    """Register `check` on the `factbot` subparsers."""
    check = commands.add_parser(
        "check",
        help="match a text against the knowledge base and print the reply",
        description=(
            "Match TEXT (or stdin) against the knowledge base and print the reply a user would get. "
            "Checks made here are not logged: `factbot stats` and `eval --feedback` count only the bot's."
        ),
    )
    check.add_argument("text", nargs="?", metavar="TEXT", help="the text to check (default: read stdin)")
    check.add_argument(
        "--kb", action="append", metavar="DIR", help="match against the YAML KB in DIR only (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object with the matches")
    check.add_argument(
        "--batch",
        action="store_true",
        help='stdin is JSON Lines {"id", "text"[, "date"]}; print one JSON line each',
    )
    check.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="when the post was first published, as the bot takes a forward's original date (helps rank claims)",
    )
    check.add_argument("--lang", choices=("en", "uk", "ru"), default="en", help="reply language (default en)")
    check.set_defaults(func=cmd_check)
