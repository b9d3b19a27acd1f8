"""Inline mode: `@bot some text` offers the top matches; choosing one sends a compact card."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update

from bot.rendering import render
from bot.rendering.i18n import t
from bot.services.checks import CheckRequest
from handlers.check import match_and_log
from handlers.common import language_for
from handlers.context import BotContext

MIN_QUERY_CHARS = 3


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer an inline query with verdict + claim results."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    if len(text) < MIN_QUERY_CHARS:
        await query.answer([], cache_time=5, is_personal=True)
        return
    runtime = context.runtime
    lang = await language_for(context, query.from_user)
    if not runtime.limiter.allow(query.from_user.id):
        await query.answer([], cache_time=5, is_personal=True)
        return
    request = CheckRequest(
        text=text, user_id=query.from_user.id, chat_type="inline", language=lang, input_kind="inline"
    )
    outcome = await match_and_log(runtime, request)
    results = [
        InlineQueryResultArticle(
            id=f"{i}",
            title=f"{render.BADGES.get(m.claim.verdict, '')} {t(lang, 'verdict.' + m.claim.verdict)}",
            description=render.shorten(render.in_language(m.claim, lang)[0].claim, 120),
            input_message_content=InputTextMessageContent(render.card(m.claim, lang, compact=True)),
        )
        for i, m in enumerate(outcome.matches[:5])
    ]
    if not results:
        results = [
            InlineQueryResultArticle(
                id="none",
                title=t(lang, "inline.nothing"),
                input_message_content=InputTextMessageContent(render.message_html(lang, "inline.nothing_text")),
            )
        ]
    await query.answer(results, cache_time=30, is_personal=True)
