"""Button presses from the public: feedback, picking a possible match, sending to moderators, settings.

Every payload is verified against its signature for the user who pressed it: forged, foreign or stale
buttons get "this button has expired" and change nothing."""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from telegram import CallbackQuery, Update
from telegram.error import BadRequest

from bot.db import in_session, in_transaction, run_db
from bot.rendering import render
from bot.rendering.i18n import LANGUAGES, t
from bot.services import users
from bot.services.checks import owned_check, record_deliveries
from bot.services.feedback import record_vote
from bot.services.keys import user_key
from bot.services.retention import forget_user
from bot.services.runtime import Runtime
from bot.services.submissions import submit
from handlers import keyboards
from handlers.args import parse_count
from handlers.buttons import FEEDBACK_REASONS
from handlers.check import extract
from handlers.common import answer_callback, drop_keyboard, expired, in_db, language_for, send_html, verified_parts
from handlers.context import BotContext
from handlers.sending import edit_markup
from knowledge.schema import Claim

log = logging.getLogger(__name__)


class Press(NamedTuple):
    """A verified button press: the query, its payload's parts, the runtime and the user's language."""

    query: CallbackQuery
    parts: list[str]
    runtime: Runtime
    lang: str


async def verified_payload(update: Update, context: BotContext) -> Press | None:
    """The verified press, or None after telling the user the button has expired."""
    query = update.callback_query
    if query is None:
        return None
    parts = verified_parts(update, context)
    if parts is None:
        await expired(update, context)
        return None
    return Press(query, parts, context.runtime, await language_for(context, query.from_user))


def _int(value: str) -> int | None:
    return parse_count(value, minimum=0, maximum=2**62)


async def on_feedback(update: Update, context: BotContext) -> None:
    """👍 / 👎 under a card; 👎 asks one follow-up question."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, lang = press
    check_id = _int(parts[1]) if len(parts) == 3 else None
    vote = parts[2] if len(parts) == 3 else ""
    if check_id is None or vote not in ("u", "d", *FEEDBACK_REASONS):
        await expired(update, context)
        return
    value = "up" if vote == "u" else "down"
    reason = FEEDBACK_REASONS.get(vote)
    owner = user_key(runtime.secret, query.from_user.id)

    def store(connection: Connection) -> bool:
        return record_vote(connection, check_id, owner, value=value, reason=reason)

    try:
        found = await run_db(in_transaction, runtime.engine, store)
    except Exception:
        log.exception("could not store feedback")
        await answer_callback(update, t(lang, "feedback.failed"), alert=True)
        return
    if not found:
        await expired(update, context)
        return
    if vote == "d":
        await answer_callback(update, t(lang, "feedback.why"))
        try:
            await edit_markup(
                context.bot, query, keyboards.feedback_reasons(runtime.secret, query.from_user.id, check_id, lang)
            )
        except BadRequest as exc:
            log.debug("could not show feedback reasons: %s", exc)
        return
    await answer_callback(update, t(lang, "feedback.saved" if reason else "feedback.thanks"))
    await drop_keyboard(update)


async def on_pick_possible(update: Update, context: BotContext) -> None:
    """The user picked one of the 'may be related' claims: show its card."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, lang = press
    check_id = _int(parts[1]) if len(parts) == 3 else None
    index = _int(parts[2]) if len(parts) == 3 else None
    owner = user_key(runtime.secret, query.from_user.id)

    def pick(connection: Connection) -> Claim | None:
        check = owned_check(connection, check_id, owner) if check_id and index is not None else None
        if check is None or index is None or index >= len(check[0]):
            return None
        claim_id = check[0][index].get("claim_id")
        claim = runtime.index.matcher.get(claim_id) if claim_id else None
        if claim is not None:
            record_deliveries(connection, query.from_user.id, [claim.id])
        return claim

    claim = await run_db(in_transaction, runtime.engine, pick)
    if claim is None or query.message is None:
        await expired(update, context)
        return
    await answer_callback(update)
    markup = keyboards.feedback(runtime.secret, query.from_user.id, check_id, lang)
    await send_html(context, query.message.chat.id, render.card(claim, lang), markup=markup, user_id=query.from_user.id)


async def on_none_of_these(update: Update, context: BotContext) -> None:
    """None of the suggestions fit: offer the moderators' queue."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, lang = press
    if query.message is None:
        return
    check_id = _int(parts[1]) if len(parts) == 2 else None
    await answer_callback(update)
    await send_html(
        context,
        query.message.chat.id,
        render.message_html(lang, "submit.offer_none"),
        markup=keyboards.send_to_moderators(runtime.secret, query.from_user.id, check_id, lang),
        user_id=query.from_user.id,
    )


async def on_submit(update: Update, context: BotContext) -> None:
    """Send the post to moderators: the text and origin come from the message our reply quoted."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, lang = press
    check_id = _int(parts[1]) if len(parts) == 2 else None
    original = getattr(query.message, "reply_to_message", None) if query.message else None
    text, origin, file_id = "", None, None
    if original is not None:
        extracted = extract(original)
        text, origin, file_id = extracted.text, extracted.origin, extracted.file_unique_id
    owner = user_key(runtime.secret, query.from_user.id)

    def store(session: Session) -> tuple[bool, bool]:
        check = owned_check(session, check_id, owner) if check_id else None
        body = text or (check[1] if check is not None and check[1] else "")
        if not body and origin is None and file_id is None:
            return False, False
        _, created = submit(
            session,
            user_id=query.from_user.id,
            text=body,
            language=lang,
            origin=origin,
            file_unique_id=file_id,
            check_id=check_id if check is not None else None,
        )
        return True, created

    try:
        stored, created = await run_db(in_session, runtime.sessions, store)
    except Exception:
        log.exception("could not store a submission")
        await answer_callback(update, t(lang, "submit.failed"), alert=True)
        return
    if not stored:
        await expired(update, context)
        return
    await answer_callback(update, t(lang, "submit.done" if created else "submit.already"))
    await drop_keyboard(update)
    if query.message is not None:
        await send_html(
            context,
            query.message.chat.id,
            render.message_html(lang, "submit.done" if created else "submit.already"),
            user_id=query.from_user.id,
        )


async def on_language(update: Update, context: BotContext) -> None:
    """Remember the chosen language."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, _ = press
    code = parts[1] if len(parts) == 2 else ""
    if code not in LANGUAGES:
        await expired(update, context)
        return

    def remember(session: Session) -> None:
        users.ensure_user(session, query.from_user.id, admin_ids=runtime.settings.admin_ids).language = code

    await in_db(context, remember)
    if context.user_data is not None:
        context.user_data["lang"] = code
    await answer_callback(update, t(code, "language.set"))
    try:
        await query.edit_message_text(render.message_html(code, "language.set"))
    except BadRequest as exc:
        log.debug("could not edit the language message: %s", exc)


async def on_forget(update: Update, context: BotContext) -> None:
    """/forget_me confirmed or cancelled."""
    press = await verified_payload(update, context)
    if press is None:
        return
    query, parts, runtime, lang = press
    if parts[1:] == ["n"]:
        await answer_callback(update)
        text = t(lang, "forget.cancelled")
    elif parts[1:] == ["y"]:
        key = user_key(runtime.secret, query.from_user.id)
        await in_db(context, lambda session: forget_user(session, user_id=query.from_user.id, user_key=key))
        if context.user_data is not None:
            context.user_data.clear()
        await answer_callback(update)
        text = t(lang, "forget.done")
    else:
        await expired(update, context)
        return
    try:
        await query.edit_message_text(render.esc(text))
    except BadRequest as exc:
        log.debug("could not edit the confirmation: %s", exc)


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """Anything else (forged, from an old version, or garbage) has expired."""
    await expired(update, context)
