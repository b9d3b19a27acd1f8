"""Admin commands of the `factbot` CLI: stats, logs export, eval, retention."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, db_session, matcher_from, settings_from_env
from bot.services.evaluation import EvalReport

MAX_DAYS = 3650


def _days(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of days, got {raw!r}") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DAYS}, got {value}")
    return value


def _threshold(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100, got {raw!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100, got {raw!r}")
    return value


def parse_date(raw: str, option: str) -> dt.datetime:
    """YYYY-MM-DD as UTC midnight, or a one-line CliError (exit 2)."""
    from bot.services.stats import parse_day

    day = parse_day(raw)
    if day is None:
        raise CliError(f"{option}: expected a date as YYYY-MM-DD, got {raw!r}", EXIT_USAGE)
    return day


def _print_json(data: Any, out: TextIO | None = None) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out or sys.stdout)


# --- stats --------------------------------------------------------------------------------------


def stats_table(stats_by_period: dict[str, Any]) -> str:
    """A plain-text table: one column per period, then the top lists of the longest period."""
    from bot.services.stats import Stats, period_name

    periods: list[tuple[str, Stats]] = list(stats_by_period.items())

    def pct(s: Stats, result: str) -> str:
        return f"{s.share(result) * 100:.1f}%"

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    metrics: list[tuple[str, Callable[[Stats], object]]] = [
        ("checks", lambda s: s.checks),
        ("unique users", lambda s: s.unique_users),
        ("strong", lambda s: f"{s.strong} ({pct(s, 'strong')})"),
        ("possible", lambda s: f"{s.possible} ({pct(s, 'possible')})"),
        ("none", lambda s: f"{s.none} ({pct(s, 'none')})"),
        ("latency p50 ms", lambda s: ms(s.latency_p50)),
        ("latency p95 ms", lambda s: ms(s.latency_p95)),
        ("feedback up", lambda s: s.feedback_up),
        ("feedback down", lambda s: s.feedback_down),
    ]
    cells = [["", *[name for name, _ in periods]]]
    cells += [[label, *[str(get(s)) for _, s in periods]] for label, get in metrics]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in cells
    ]
    longest = max((s for _, s in periods), key=lambda s: s.days)
    lines += ["", f"queue: {longest.queue} pending"]
    scope = period_name(longest.days).lower()
    if longest.top_claims:
        lines += ["", f"top claims ({scope}):"] + [f"  {c.count:>5}  {c.claim_id}" for c in longest.top_claims]
    if longest.top_origins:
        lines += ["", f"top forwarded channels ({scope}):"] + [
            f"  {o.count:>5}  {o.origin}" for o in longest.top_origins
        ]
    if longest.unanswered:
        lines += ["", f"top unanswered posts ({scope}):"] + [
            f"  {u.count:>5}  {u.sample or '(text not kept) ' + u.text_hash[:12]}" for u in longest.unanswered
        ]
    return "\n".join(line.rstrip() for line in lines)


def cmd_stats(args: argparse.Namespace) -> int:
    """Usage figures for today, 7 and 30 days (or --days N); --json prints one period as JSON."""
    from bot.services.stats import compute_stats, period_name, stats_for_periods

    with db_session() as session:
        if args.json:
            stats = compute_stats(session, days=args.days or 30)
            _print_json(stats.as_json())
            return EXIT_OK
        if args.days:
            by_period = {period_name(args.days): compute_stats(session, days=args.days)}
        else:
            by_period = stats_for_periods(session)
    print(stats_table(by_period))
    return EXIT_OK


# --- logs export --------------------------------------------------------------------------------


def cmd_logs_export(args: argparse.Namespace) -> int:
    """Write the check log (every column) as CSV or JSON Lines, to --out FILE or stdout."""
    from bot.services.stats import export_rows, write_csv, write_jsonl

    since = parse_date(args.since, "--since") if args.since else None
    until = parse_date(args.until, "--until") + dt.timedelta(days=1) if args.until else None
    if since is not None and until is not None and until <= since:
        raise CliError("--until must not be before --since", EXIT_USAGE)
    writer = write_csv if args.format == "csv" else write_jsonl
    with db_session() as session:
        rows = export_rows(session, since=since, until=until)
        if args.out:
            out_path = Path(args.out)
            try:
                with out_path.open("w", encoding="utf-8", newline="") as out:
                    n = writer(rows, out)
            except OSError as exc:
                raise CliError(f"cannot write {out_path}: {exc.strerror or exc}", EXIT_FAILED) from None
            print(f"wrote {n} checks to {out_path}", file=sys.stderr)
        else:
            writer(rows, sys.stdout)
    return EXIT_OK


# --- eval ---------------------------------------------------------------------------------------


def read_labelled(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Labelled JSON Lines: (records, errors naming FILE:LINE). Blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}", EXIT_USAGE) from None
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        problem = None
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as exc:
            problem = f"not valid JSON ({exc})"
        else:
            if not isinstance(item, dict):
                problem = "must be a JSON object"
            elif not isinstance(item.get("text"), str):
                problem = "'text' must be a string"
            elif not isinstance(item.get("claim_ids"), list) or not all(isinstance(c, str) for c in item["claim_ids"]):
                problem = "'claim_ids' must be a list of claim id strings (empty: nothing should match)"
            else:
                records.append({"text": item["text"], "claim_ids": item["claim_ids"]})
        if problem:
            errors.append(f"{path}:{number}: {problem}")
    return records, errors


def _thresholds(matcher: Any) -> dict[str, float | None]:
    return {"strong": getattr(matcher, "strong", None), "possible": getattr(matcher, "possible", None)}


def _set_thresholds(matcher: Any, strong: float | None, possible: float | None) -> None:
    for name, value in (("strong", strong), ("possible", possible)):
        if value is not None:
            if not hasattr(matcher, name):
                raise CliError(f"this matcher has no {name!r} threshold to change", EXIT_FAILED)
            setattr(matcher, name, value)


def _report_lines(title: str, report: EvalReport) -> list[str]:
    def fig(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    lines = [f"{title}:"]
    if report.source == "labelled":
        lines += [
            f"  records {report.records} (with claims {report.judged}, nothing-should-match {report.empty_gold})",
            f"  MAP@5 {fig(report.map_at_5)}   P@1 {fig(report.p_at_1)} ({report.right}/{report.judged})",
            f"  nothing-should-match records that matched: {report.empty_gold_matched}/{report.empty_gold}",
        ]
    else:
        lines += [
            f"  checks with votes {report.records}, judged {report.judged}"
            + (f", hidden by the thresholds {report.hidden}" if report.hidden else ""),
            f"  P@1 {fig(report.p_at_1)} ({report.right} right, {report.wrong} wrong)",
        ]
    lines.append(
        f"  strong first matches wrong: {report.strong_wrong}/{report.strong_top} ({fig(report.strong_wrong_share)})"
    )
    return lines


def _matcher(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    return matcher_from(args.kb)


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure matching quality (MAP@5, P@1, wrong strong matches) from a labelled file and/or feedback."""
    from bot.services.evaluation import evaluate_feedback, evaluate_labelled

    if not args.labelled and not args.feedback:
        raise CliError("nothing to evaluate: pass --labelled FILE and/or --feedback", EXIT_USAGE)
    if args.strong is not None and args.possible is not None and args.possible > args.strong:
        raise CliError("--possible must not be above --strong", EXIT_USAGE)
    what_if = args.strong is not None or args.possible is not None
    result: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    text: list[str] = []
    if args.labelled:
        records, errors = read_labelled(Path(args.labelled))
        if errors:
            for error in errors:
                print(error, file=sys.stderr)
            raise CliError(f"{len(errors)} malformed line(s) in {args.labelled}; nothing evaluated", EXIT_FAILED)
        matcher, close = _matcher(args)
        try:
            unknown = sorted({c for r in records for c in r["claim_ids"] if matcher.get(c) is None})
            if unknown:
                print(
                    f"warning: {len(unknown)} labelled claim id(s) are not in the knowledge base "
                    f"(they can never be found): {', '.join(unknown)}",
                    file=sys.stderr,
                )
            result["unknown_claim_ids"] = unknown
            current = _thresholds(matcher)
            if what_if:
                before = evaluate_labelled(matcher, records)
                baseline["labelled"] = before.as_json()
                text += _report_lines(f"labelled, current thresholds {current}", before)
                _set_thresholds(matcher, args.strong, args.possible)
            report = evaluate_labelled(matcher, records)
            result["thresholds"] = _thresholds(matcher)
            result["labelled"] = report.as_json()
            text += _report_lines(f"labelled, thresholds {result['thresholds']}", report)
        finally:
            close()
        baseline["thresholds"] = current
    if args.feedback:
        with db_session() as session:
            if what_if:
                before = evaluate_feedback(session)
                baseline["feedback"] = before.as_json()
                text += _report_lines("feedback, as logged", before)
            report = evaluate_feedback(session, strong=args.strong, possible=args.possible)
        result["feedback"] = report.as_json()
        title = "feedback" if not what_if else f"feedback, what if strong={args.strong} possible={args.possible}"
        text += _report_lines(title, report)
    if what_if:
        result["baseline"] = baseline
    if args.json:
        _print_json(result)
    else:
        print("\n".join(text))
    return EXIT_OK


# --- retention ----------------------------------------------------------------------------------


def cmd_retention_run(args: argparse.Namespace) -> int:
    """Erase log texts older than FACTBOT_RETENTION_DAYS now (hashes, lengths and counts stay)."""
    from bot.services.retention import erase_old_texts

    settings = settings_from_env()
    days = settings.retention_days
    with db_session(settings) as session:
        erased = erase_old_texts(session, retention_days=days)
    print(f"erased {erased} log text(s) older than {days} days")
    return EXIT_OK


# --- registration -------------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """Register stats, logs, eval and retention on the `factbot` subparsers."""
    stats = commands.add_parser("stats", help="usage statistics (today, 7 and 30 days)", description=cmd_stats.__doc__)
    stats.add_argument("--days", type=_days, metavar="N", help="just the last N UTC days (1 = today)")
    stats.add_argument("--json", action="store_true", help="print one period as a JSON object (default 30 days)")
    stats.set_defaults(func=cmd_stats)

    logs = commands.add_parser("logs", help="the check log")
    logs_commands = logs.add_subparsers(dest="logs_command", metavar="LOGS_COMMAND", required=True)
    export = logs_commands.add_parser("export", help="export the check log", description=cmd_logs_export.__doc__)
    export.add_argument("--since", metavar="YYYY-MM-DD", help="first day (UTC) to include (default: all)")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="last day (UTC) to include (default: today)")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="default csv")
    export.add_argument("--out", metavar="FILE", help="write to FILE (default: stdout)")
    export.set_defaults(func=cmd_logs_export)

    evaluate = commands.add_parser("eval", help="measure matching quality", description=cmd_eval.__doc__)
    evaluate.add_argument(
        "--labelled", metavar="FILE", help='JSON Lines {"text": ..., "claim_ids": [...]} (empty list: no match)'
    )
    evaluate.add_argument("--feedback", action="store_true", help="measure from the feedback users gave")
    evaluate.add_argument(
        "--kb", action="append", metavar="DIR", help="match against the YAML KB in DIR (default: the database)"
    )
    evaluate.add_argument("--strong", type=_threshold, metavar="X", help="what if the strong threshold were X")
    evaluate.add_argument("--possible", type=_threshold, metavar="Y", help="what if the possible threshold were Y")
    evaluate.add_argument("--json", action="store_true", help="print a JSON object")
    evaluate.set_defaults(func=cmd_eval)

    retention = commands.add_parser("retention", help="privacy retention of the check log")
    retention_commands = retention.add_subparsers(dest="retention_command", metavar="RETENTION_COMMAND", required=True)
    run = retention_commands.add_parser("run", help="erase old log texts now", description=cmd_retention_run.__doc__)
    run.set_defaults(func=cmd_retention_run)
