"""Usage statistics over the check log, for `/stats` and `factbot stats`.

Periods are whole UTC calendar days ending today: ``days=1`` is "today" (since UTC midnight of ``now``),
``days=7`` is today plus the six days before it, and so on; the window ends at the next UTC midnight.
The same windows are used by `checks_per_day`, so the chart's bars add up to the 30-day figures.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
1-based rank ceil(p / 100 * n). With no checks the percentiles are None.

Top claims count checks whose `matches` list names the claim with any strength (strong or possible),
each check at most once per claim. The queue is the number of distinct pending submission groups
(the same post sent by many people is one queue item); it is a current figure, not per period.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy import Date, and_, distinct, func, select
from sqlalchemy.orm import Session

from bot.db.models import CheckLog, Submission, utcnow

TOP_N = 10
SAMPLE_CHARS = 80
RESULTS = ("strong", "possible", "none")


@dataclass(frozen=True)
class ClaimCount:
    claim_id: str
    count: int


@dataclass(frozen=True)
class OriginCount:
    origin: str  # "@username", else the channel title, else the chat id
    count: int


@dataclass(frozen=True)
class UnansweredGroup:
    text_hash: str
    sample: str  # shortened; empty when the text was not stored or has been erased
    count: int


@dataclass(frozen=True)
class Stats:
    """The figures for one period."""

    days: int
    since: dt.datetime
    until: dt.datetime
    checks: int = 0
    unique_users: int = 0
    strong: int = 0
    possible: int = 0
    none: int = 0
    latency_p50: float | None = None
    latency_p95: float | None = None
    feedback_up: int = 0
    feedback_down: int = 0
    top_claims: list[ClaimCount] = field(default_factory=list)
    top_origins: list[OriginCount] = field(default_factory=list)
    unanswered: list[UnansweredGroup] = field(default_factory=list)
    queue: int = 0

    def share(self, result: str) -> float:
        """The share (0..1) of checks with this result; 0.0 when there were no checks."""
        count = {"strong": self.strong, "possible": self.possible, "none": self.none}[result]
        return count / self.checks if self.checks else 0.0

    def as_json(self) -> dict[str, Any]:
        """The JSON object of `factbot stats --json` (its keys are a contract)."""
        return {
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "checks": self.checks,
            "unique_users": self.unique_users,
            "strong": self.strong,
            "possible": self.possible,
            "none": self.none,
            "shares": {r: round(self.share(r), 4) for r in RESULTS},
            "latency_ms": {"p50": self.latency_p50, "p95": self.latency_p95},
            "feedback": {"up": self.feedback_up, "down": self.feedback_down},
            "top_claims": [{"claim_id": c.claim_id, "count": c.count} for c in self.top_claims],
            "top_origins": [{"origin": o.origin, "count": o.count} for o in self.top_origins],
            "unanswered": [{"text_hash": u.text_hash, "sample": u.sample, "count": u.count} for u in self.unanswered],
            "queue": self.queue,
        }


# --- periods and helpers ------------------------------------------------------------------------


def period_bounds(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[since, until): from UTC midnight `days - 1` days before `now`'s date to the next midnight."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = (now or utcnow()).date()
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time())
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    return since, until


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None for no values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def one_line_sample(text: str, limit: int = SAMPLE_CHARS) -> str:
    """One line, at most `limit` characters, with an ellipsis when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _top(counter: Counter[str], n: int = TOP_N) -> list[tuple[str, int]]:
    """Most common first; ties by key so the order is stable."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:n]


def _in_period(since: dt.datetime, until: dt.datetime) -> Any:
    return and_(CheckLog.created_at >= since, CheckLog.created_at < until)


# --- the figures --------------------------------------------------------------------------------


def _counts(session: Session, where: Any) -> tuple[int, int, dict[str, int], int, int]:
    """(checks, unique users, per-result counts, feedback up, feedback down)."""
    checks, users = session.execute(
        select(func.count(CheckLog.id), func.count(distinct(CheckLog.user_key))).where(where)
    ).one()
    per_result = {r: 0 for r in RESULTS}
    for result, count in session.execute(
        select(CheckLog.result, func.count(CheckLog.id)).where(where).group_by(CheckLog.result)
    ):
        per_result[result] = per_result.get(result, 0) + int(count)
    votes = dict(
        session.execute(
            select(CheckLog.feedback, func.count(CheckLog.id))
            .where(where, CheckLog.feedback.in_(("up", "down")))
            .group_by(CheckLog.feedback)
        ).all()
    )
    return int(checks), int(users), per_result, int(votes.get("up", 0)), int(votes.get("down", 0))


def _latencies(session: Session, where: Any) -> list[float]:
    return [float(v) for v in session.scalars(select(CheckLog.latency_ms).where(where).order_by(CheckLog.latency_ms))]


def count_claims(matches_lists: Iterable[Any]) -> Counter[str]:
    """How many checks name each claim (any strength), each check at most once per claim."""
    counter: Counter[str] = Counter()
    for matches in matches_lists:
        if not isinstance(matches, list):
            continue
        ids = {m.get("claim_id") for m in matches if isinstance(m, dict)}
        counter.update(i for i in ids if isinstance(i, str) and i)
    return counter


def _top_claims(session: Session, where: Any) -> list[ClaimCount]:
    rows = session.scalars(select(CheckLog.matches).where(where, CheckLog.result != "none"))
    return [ClaimCount(claim_id, count) for claim_id, count in _top(count_claims(rows))]


def origin_label(chat_id: int | None, username: str | None, title: str | None) -> str | None:
    """How a forward origin is shown and grouped: @username, else title, else the chat id."""
    if username:
        return "@" + username.lstrip("@")
    if title:
        return title
    if chat_id is not None:
        return str(chat_id)
    return None


def _top_origins(session: Session, where: Any) -> list[OriginCount]:
    query = (
        select(CheckLog.origin_chat_id, CheckLog.origin_username, CheckLog.origin_title, func.count(CheckLog.id))
        .where(where)
        .group_by(CheckLog.origin_chat_id, CheckLog.origin_username, CheckLog.origin_title)
    )
    counter: Counter[str] = Counter()
    for chat_id, username, title, count in session.execute(query):
        label = origin_label(chat_id, username, title)
        if label is not None:
            counter[label] += int(count)
    return [OriginCount(label, count) for label, count in _top(counter)]


def _unanswered(session: Session, where: Any) -> list[UnansweredGroup]:
    count = func.count(CheckLog.id).label("n")
    query = (
        select(CheckLog.text_hash, count, func.max(CheckLog.text), func.max(CheckLog.created_at).label("last"))
        .where(where, CheckLog.result == "none", CheckLog.text_hash.is_not(None))
        .group_by(CheckLog.text_hash)
        .order_by(count.desc(), func.max(CheckLog.created_at).desc(), CheckLog.text_hash)
        .limit(TOP_N)
    )
    return [
        UnansweredGroup(str(text_hash), one_line_sample(text or ""), int(n))
        for text_hash, n, text, _last in session.execute(query)
    ]


def queue_size(session: Session) -> int:
    """Distinct pending submission groups: one queue item per post, however many people sent it."""
    query = select(func.count(distinct(Submission.group_key))).where(Submission.status == "pending")
    return int(session.scalar(query) or 0)


def compute_stats(session: Session, *, days: int, now: dt.datetime | None = None, details: bool = True) -> Stats:
    """Every /stats figure for the last `days` UTC calendar days (1 = today); without `details`, only
    the counts (the top lists and the queue stay empty)."""
    since, until = period_bounds(days, now)
    where = _in_period(since, until)
    checks, users, per_result, up, down = _counts(session, where)
    latencies = _latencies(session, where)
    return Stats(
        days=days,
        since=since,
        until=until,
        checks=checks,
        unique_users=users,
        strong=per_result["strong"],
        possible=per_result["possible"],
        none=per_result["none"],
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        feedback_up=up,
        feedback_down=down,
        top_claims=_top_claims(session, where) if details else [],
        top_origins=_top_origins(session, where) if details else [],
        unanswered=_unanswered(session, where) if details else [],
        queue=queue_size(session) if details else 0,
    )


def checks_per_day(
    session: Session, days: int = 30, now: dt.datetime | None = None
) -> list[tuple[dt.date, int, int, int]]:
    """(date, strong, possible, none) for each of the last `days` UTC days, oldest first, zero days included."""
    since, until = period_bounds(days, now)
    day = func.date(CheckLog.created_at, type_=Date)
    query = (
        select(day, CheckLog.result, func.count(CheckLog.id))
        .where(_in_period(since, until))
        .group_by(day, CheckLog.result)
    )
    table: dict[dt.date, dict[str, int]] = {}
    for date, result, count in session.execute(query):
        if isinstance(date, str):  # defensive: some drivers hand back text
            date = dt.date.fromisoformat(date)
        table.setdefault(date, {})[result] = int(count)
    out = []
    for offset in range(days):
        date = since.date() + dt.timedelta(days=offset)
        counts = table.get(date, {})
        out.append((date, counts.get("strong", 0), counts.get("possible", 0), counts.get("none", 0)))
    return out


# --- text for /stats ----------------------------------------------------------------------------


def period_name(days: int) -> str:
    return "Today" if days == 1 else f"{days} days"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _pct(stats: Stats, result: str) -> str:
    return f"{stats.share(result) * 100:.0f}%"


def _period_block(name: str, s: Stats) -> list[str]:
    return [
        f"<b>{html.escape(name)}</b>",
        f"Checks: {s.checks} · users: {s.unique_users}",
        f"Strong {s.strong} ({_pct(s, 'strong')}) · possible {s.possible} ({_pct(s, 'possible')})"
        f" · none {s.none} ({_pct(s, 'none')})",
        f"Latency: median {_ms(s.latency_p50)} · p95 {_ms(s.latency_p95)}",
        f"Feedback: 👍 {s.feedback_up} · 👎 {s.feedback_down}",
    ]


def render_stats_text(stats_by_period: dict[str, Stats], lang: str = "en") -> str:
    """The /stats message (Telegram HTML): figures per period, then the top lists of the longest period.

    English labels for every language (`lang` is accepted for the handler's convenience); all user
    text (claim ids, channel names, post samples) is escaped.
    """
    del lang  # labels are English; kept in the signature so a translation can be added later
    if not stats_by_period:
        return "No statistics."
    lines: list[str] = ["📊 <b>Statistics</b>"]
    for name, s in stats_by_period.items():
        lines.append("")
        lines.extend(_period_block(name, s))
    longest = max(stats_by_period.values(), key=lambda s: s.days)
    lines.append("")
    lines.append(f"Queue: {longest.queue} pending")
    scope = html.escape(period_name(longest.days).lower())
    if longest.top_claims:
        lines += ["", f"<b>Top claims ({scope})</b>"]
        lines += [f"{i}. {html.escape(c.claim_id)} — {c.count}" for i, c in enumerate(longest.top_claims, 1)]
    if longest.top_origins:
        lines += ["", f"<b>Top forwarded channels ({scope})</b>"]
        lines += [f"{i}. {html.escape(o.origin)} — {o.count}" for i, o in enumerate(longest.top_origins, 1)]
    if longest.unanswered:
        lines += ["", f"<b>Top unanswered posts ({scope})</b>"]
        for i, u in enumerate(longest.unanswered, 1):
            sample = html.escape(u.sample) if u.sample else f"(text not kept, {html.escape(u.text_hash[:8])})"
            lines.append(f"{i}. ×{u.count} {sample}")
    return "\n".join(lines)


def stats_for_periods(
    session: Session, periods: Sequence[int] = (1, 7, 30), now: dt.datetime | None = None
) -> dict[str, Stats]:
    """The figures for several periods, keyed by a display name ("Today", "7 days", ...). Only the longest
    gets the top lists and the queue: that is all a reader is shown of them."""
    now = now or utcnow()
    longest = max(periods, default=0)
    return {period_name(days): compute_stats(session, days=days, now=now, details=days == longest) for days in periods}


# --- export (factbot logs export, /export) ------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = tuple(column.name for column in CheckLog.__table__.columns)


def parse_day(raw: str) -> dt.datetime | None:
    """YYYY-MM-DD as UTC midnight (naive, as the log stores it), or None."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(raw.strip()), dt.time())
    except ValueError:
        return None


def export_rows(
    session: Session, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Every check log column of the rows in [since, until), oldest first, as plain values."""
    query = select(CheckLog).order_by(CheckLog.created_at, CheckLog.id)
    if since is not None:
        query = query.where(CheckLog.created_at >= since)
    if until is not None:
        query = query.where(CheckLog.created_at < until)
    for row in session.scalars(query.execution_options(yield_per=1000)):
        record = {name: getattr(row, name) for name in EXPORT_COLUMNS}
        record["created_at"] = row.created_at.isoformat()
        yield record


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading single quote (OWASP's advice
    against CSV injection); numbers and other texts are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """CSV with a header; `matches` as JSON text, None as an empty cell, formula-like texts defused.
    Every cell is quoted: with a "\n" line end a bare "\r" inside a text would otherwise split the row.
    Returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    n = 0
    for row in rows:
        cells = {k: ("" if v is None else spreadsheet_safe(v)) for k, v in row.items()}
        cells["matches"] = json.dumps(row.get("matches") or [], ensure_ascii=False)
        writer.writerow(cells)
        n += 1
    return n


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One JSON object per line. Returns the number of rows."""
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


@dataclass(frozen=True)
class RecentCheck:
    """One line of /logs: when, what kind, how fast, the best match, and the text if it is kept."""

    created_at: dt.datetime
    input_kind: str
    language: str | None
    latency_ms: float
    top_match: dict[str, Any] | None
    text: str | None
    text_len: int


def recent_checks(session: Session, count: int) -> list[RecentCheck]:
    """The latest `count` checks, newest first."""
    rows = session.scalars(select(CheckLog).order_by(CheckLog.id.desc()).limit(count))
    return [
        RecentCheck(
            created_at=row.created_at,
            input_kind=row.input_kind,
            language=row.language,
            latency_ms=row.latency_ms,
            top_match=row.matches[0] if row.matches else None,
            text=row.text,
            text_len=row.text_len,
        )
        for row in rows
    ]
