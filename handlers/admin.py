"""Admin commands: /stats (with a chart), /logs [N], /export [from] [to]; and the daily retention job."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import logging

from telegram import InputFile, Update

from bot.rendering.charts import checks_chart_png
from bot.rendering.render import shorten
from bot.services import stats
from bot.services.retention import erase_old_texts
from handlers.args import optional_count
from handlers.common import command_args, in_db, reply_html
from handlers.context import BotApplication, BotContext
from handlers.privileged import requires

log = logging.getLogger(__name__)

LOGS_DEFAULT = 10
LOGS_MAX = 50
RETENTION_TIME = dt.time(3, 15, tzinfo=dt.UTC)


@requires("admin")
async def stats_command(update: Update, context: BotContext) -> None:
    """Usage statistics for today, 7 and 30 days, and a chart of checks per day."""
    chat = update.effective_chat
    if chat is None:
        return
    text, rows = await in_db(
        context,
        lambda session: (stats.render_stats_text(stats.stats_for_periods(session)), stats.checks_per_day(session, 30)),
    )
    await reply_html(update, context, text)
    png = await asyncio.to_thread(checks_chart_png, rows)
    await context.bot.send_photo(
        chat.id, InputFile(png, filename="checks-30-days.png"), caption="Checks per day, 30 days"
    )


def _log_line(row: stats.RecentCheck) -> str:
    top = row.top_match
    matched = f"{top['claim_id']} ({top['score']}, {top['strength']})" if top else "no match"
    text = shorten(row.text, 80) if row.text else f"[{row.text_len} chars, text not kept]"
    when = row.created_at.strftime("%Y-%m-%d %H:%M")
    head = f"{when} · {row.input_kind} · {row.language or '-'} · {row.latency_ms:.0f} ms · {html.escape(matched)}"
    return f"{head}\n  {html.escape(text)}"


@requires("admin")
async def logs_command(update: Update, context: BotContext) -> None:
    """/logs [N]: the latest checks, texts shortened."""
    count = optional_count(command_args(context), default=LOGS_DEFAULT, maximum=LOGS_MAX)
    if count is None:
        await reply_html(update, context, f"Usage: /logs [N] (N from 1 to {LOGS_MAX})")
        return
    rows = await in_db(context, lambda session: stats.recent_checks(session, count))
    lines = [_log_line(r) for r in rows]
    text = "\n".join(lines) if lines else "No checks logged yet."
    while len(text) > 4000 and len(lines) > 1:
        lines.pop()
        text = "\n".join(lines)
    await reply_html(update, context, f"<b>Latest {len(lines)} checks</b>\n" + text)


@requires("admin")
async def export_command(update: Update, context: BotContext) -> None:
    """/export [from] [to]: the check log as a CSV document (dates YYYY-MM-DD, 'to' inclusive)."""
    chat = update.effective_chat
    if chat is None:
        return
    args = command_args(context)
    days = [stats.parse_day(a) for a in args]
    if len(args) > 2 or any(d is None for d in days):
        await reply_html(update, context, "Usage: /export [from] [to] with dates as YYYY-MM-DD")
        return
    since = days[0] if days else None
    until = days[1] + dt.timedelta(days=1) if len(days) == 2 and days[1] else None
    buffer = io.StringIO()
    count = await in_db(
        context, lambda session: stats.write_csv(stats.export_rows(session, since=since, until=until), buffer)
    )
    name = f"factbot-checks-{args[0] if args else 'all'}{'-' + args[1] if len(args) == 2 else ''}.csv"
    await context.bot.send_document(
        chat.id,
        InputFile(buffer.getvalue().encode("utf-8"), filename=name),
        caption=f"{count} checks",
    )


async def retention_job(context: BotContext) -> None:
    """Daily: erase check texts older than FACTBOT_RETENTION_DAYS, keeping the counts."""
    runtime = context.runtime
    try:
        days = runtime.settings.retention_days
        erased = await in_db(context, lambda session: erase_old_texts(session, retention_days=days))
        log.info("retention: erased %d old check texts", erased)
    except Exception:
        log.exception("the retention job failed; it will run again tomorrow")


def schedule_retention(app: BotApplication) -> None:
    """The daily retention job."""
    if app.job_queue is not None:
        app.job_queue.run_daily(retention_job, time=RETENTION_TIME, name="retention")
