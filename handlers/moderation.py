"""Moderators and admins in Telegram: roles, adding and editing claims, and working the queue.

Every privileged command and button checks the role on the server (bot.users.has_role); anyone else
is told "not allowed", nothing changes, and the attempt is logged under a pseudonymous key.

/add, /edit and the queue's buttons run in one ConversationHandler whose state and draft (a plain
dict in user_data) are kept by the application's persistence, so a half-written claim survives a
restart; an idle conversation ends after CONVERSATION_TIMEOUT, also when the restart came in between.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageOriginUser, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import kb_store, moderation, outbox, render, users
from bot.db import session_scope
from bot.i18n import LANGUAGE_NAMES, t
from bot.keys import sign, user_key, verify
from bot.models import AuditLog
from bot.persistence import DatabasePersistence
from handlers.common import answer_callback, data_of, language_for, reply_html, runtime_of, send_html
from knowledge.schema import VERDICTS, Claim

log = logging.getLogger(__name__)

CONVERSATION = "moderation"
CONVERSATION_TIMEOUT = dt.timedelta(minutes=15)
DRAFT = "mod_draft"  # the user_data key kept across restarts (see bot.persistence user_keys)
PERSISTED_USER_KEYS = (DRAFT,)
PERSIST_NOW = "moderation.persist_now"  # bot_data: users whose conversation changed in this update
AFTER_GROUP = 100  # the handler group that writes the persistence after everything else ran

END = ConversationHandler.END
# Conversation states (strings, so they are stored as they are)
CLAIM = "mod.claim"
VERDICT = "mod.verdict"
SUMMARY = "mod.summary"
SOURCES = "mod.sources"
VARIANTS = "mod.variants"
LANGUAGE = "mod.language"
PREVIEW = "mod.preview"
FIELD = "mod.field"
LINK = "mod.link"
REASON = "mod.reason"

FIELDS = {"c": "claim", "v": "verdict", "s": "summary", "r": "sources", "w": "variants", "l": "lang"}
FIELD_STATES = {"c": CLAIM, "v": VERDICT, "s": SUMMARY, "r": SOURCES, "w": VARIANTS, "l": LANGUAGE}
QUEUE_LIMIT = 5
QUEUE_MAX = 20
EXCERPT_CHARS = 300
HISTORY_ROWS = 20

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, object]]
Step = Callable[[Update, ContextTypes.DEFAULT_TYPE, dict[str, Any]], Coroutine[Any, Any, object]]


# --- helpers ----------------------------------------------------------------------------------------


def _lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return language_for(context, update.effective_user)


def _uid(update: Update) -> int:
    user = update.effective_user
    return user.id if user is not None else 0


async def _say(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send plain text (escaped) to the chat of the update."""
    chat = update.effective_chat
    if chat is not None:
        await send_html(context, chat.id, render.esc(text), markup=markup, user_id=_uid(update))


async def _say_key(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **values: object) -> None:
    await _say(update, context, t(_lang(update, context), key, **values))


def _button(context: ContextTypes.DEFAULT_TYPE, user_id: int, label: str, payload: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=sign(runtime_of(context).secret, user_id, payload))


def _payload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[str] | None:
    query = update.callback_query
    if query is None:
        return None
    payload = verify(runtime_of(context).secret, query.from_user.id, query.data)
    return payload.split(":") if payload else None


async def _expired(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await answer_callback(update, t(_lang(update, context), "button.expired"), alert=True)


async def _drop_keyboard(update: Update) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        log.debug("could not remove a keyboard: %s", exc)


def _has_role(context: ContextTypes.DEFAULT_TYPE, user_id: int, role: str) -> bool:
    runtime = runtime_of(context)
    with session_scope(runtime.sessions) as session:
        return users.has_role(session, user_id, role, runtime.settings.admin_ids)


async def require(update: Update, context: ContextTypes.DEFAULT_TYPE, role: str, *, action: str) -> bool:
    """The server-side role check: False after telling the user "not allowed" and logging the attempt."""
    user = update.effective_user
    if user is not None and _has_role(context, user.id, role):
        return True
    who = user_key(runtime_of(context).secret, user.id)[:12] if user is not None else "unknown"
    log.warning("refused %s (needs %s) for user %s", action, role, who)
    text = t(_lang(update, context), "not_allowed")
    if update.callback_query is not None:
        await answer_callback(update, text, alert=True)
    else:
        await reply_html(update, context, render.esc(text))
    return False


def _mark_for_persistence(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    context.application.bot_data.setdefault(PERSIST_NOW, set()).add(user_id)


async def persist_now(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a moderator's step, write the conversation and draft at once (not at the next interval)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    pending: set[int] = context.application.bot_data.get(PERSIST_NOW, set())
    user_id = update.effective_user.id
    if user_id not in pending:
        return
    pending.discard(user_id)
    app = context.application
    if app.persistence is not None:
        app.mark_data_for_update_persistence(user_ids=user_id)
        await app.update_persistence()


def _expired_draft(draft: Any) -> bool:
    if not isinstance(draft, dict):
        return True
    touched = draft.get("touched")
    return not isinstance(touched, int | float) or time.time() - touched > CONVERSATION_TIMEOUT.total_seconds()


def _store(context: ContextTypes.DEFAULT_TYPE, user_id: int, draft: dict[str, Any] | None) -> None:
    data = data_of(context)
    if draft is None:
        data.pop(DRAFT, None)
    else:
        draft["touched"] = time.time()
        data[DRAFT] = draft
    _mark_for_persistence(context, user_id)


def entry(role: str = "moderator") -> Callable[[Callback], Callback]:
    """An entry point: role-checked; the callback stores a fresh draft and returns the first state, or
    None when it cannot start (a task already under way then simply goes on)."""

    def wrap(fn: Callback) -> Callback:
        @functools.wraps(fn)
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
            if update.callback_query is not None and _payload(update, context) is None:
                await _expired(update, context)  # forged, or signed for someone else
                return None
            if not await require(update, context, role, action=fn.__name__):
                return None
            return await fn(update, context)

        return run

    return wrap


def step(fn: Step) -> Callback:
    """A conversation step: role-checked again (a role can be revoked meanwhile) and ended cleanly when
    the draft is gone or idle too long (also after a restart, when no timeout job survived)."""

    @functools.wraps(fn)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        user_id = _uid(update)
        if not await require(update, context, "moderator", action=fn.__name__):
            _store(context, user_id, None)
            return END
        draft = data_of(context).get(DRAFT)
        if not isinstance(draft, dict) or _expired_draft(draft):
            _store(context, user_id, None)
            await answer_callback(update)
            await _say_key(update, context, "mod.timeout", minutes=int(CONVERSATION_TIMEOUT.total_seconds() // 60))
            return END
        state = await fn(update, context, draft)
        if state == END:
            _store(context, user_id, None)
        else:
            if isinstance(state, str):
                draft["step"] = state
            _store(context, user_id, draft)
        return state

    return run


# --- prompts ------------------------------------------------------------------------------------------


def _verdict_keyboard(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str) -> InlineKeyboardMarkup:
    buttons = [_button(context, user_id, f"{render.BADGES[v]} {t(lang, 'verdict.' + v)}", f"mv:{v}") for v in VERDICTS]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _language_keyboard(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str) -> InlineKeyboardMarkup:
    row = [_button(context, user_id, name, f"mg:{code}") for code, name in LANGUAGE_NAMES.items()]
    return InlineKeyboardMarkup([row, [_button(context, user_id, t(lang, "mod.button.other_language"), "mg:x")]])


def _list_keyboard(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str, draft: dict[str, Any], *, skip: bool
) -> InlineKeyboardMarkup:
    row = [_button(context, user_id, t(lang, "mod.button.done"), "ms:d")]
    if draft.get("back"):
        row.append(_button(context, user_id, t(lang, "mod.button.keep"), "ms:s"))
    elif skip:
        row.append(_button(context, user_id, t(lang, "mod.button.skip"), "ms:s"))
    return InlineKeyboardMarkup([row])


def _field_keyboard(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str) -> InlineKeyboardMarkup:
    buttons = [_button(context, user_id, t(lang, f"mod.field.{name}"), f"mf:{code}") for code, name in FIELDS.items()]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(context, user_id, t(lang, "mod.button.cancel"), "mp:c")])
    return InlineKeyboardMarkup(rows)


def _current_value(draft: dict[str, Any], field: str) -> str:
    claim = draft.get("claim") or {}
    if field == "sources":
        sources = draft.get("prev", claim.get("sources")) or []
        return "\n".join(f"• {s.get('title', '')}" + (f" | {s['url']}" if s.get("url") else "") for s in sources)
    if field == "variants":
        return "\n".join(f"• {text}" for text in moderation.variant_texts({"variants": draft.get("prev", [])}))
    return str(claim.get(field) or "")


async def prompt(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], state: str) -> str:
    """Ask for what `state` expects (also used to repeat the question after unexpected input)."""
    lang = _lang(update, context)
    user_id = _uid(update)
    claim = draft.get("claim") or {}
    intro = ""
    if draft.get("back") and state in (CLAIM, SUMMARY, SOURCES, VARIANTS):
        current = _current_value(draft, FIELDS[_field_code(state)]) or "—"
        intro = t(lang, "mod.current", value=current) + "\n\n"
    markup: InlineKeyboardMarkup | None = None
    if state == CLAIM:
        text = t(lang, "mod.add.claim")
        if draft.get("prefill") and not draft.get("back"):
            excerpt = render.shorten(draft["prefill"], EXCERPT_CHARS)
            text = t(lang, "mod.add.claim_prefilled", text=excerpt)
            markup = InlineKeyboardMarkup([[_button(context, user_id, t(lang, "mod.button.use_text"), "mu:y")]])
    elif state == VERDICT:
        text, markup = t(lang, "mod.add.verdict"), _verdict_keyboard(context, user_id, lang)
    elif state == SUMMARY:
        text = t(lang, "mod.add.summary")
    elif state == SOURCES:
        text = t(lang, "mod.add.sources")
        if claim.get("sources") or draft.get("back"):
            markup = _list_keyboard(context, user_id, lang, draft, skip=False)
    elif state == VARIANTS:
        text, markup = t(lang, "mod.add.variants"), _list_keyboard(context, user_id, lang, draft, skip=True)
    elif state == LANGUAGE:
        text, markup = t(lang, "mod.add.language"), _language_keyboard(context, user_id, lang)
    elif state == FIELD:
        text, markup = t(lang, "mod.pick_field"), _field_keyboard(context, user_id, lang)
    elif state == LINK:
        text = t(lang, "mod.link.ask", count=draft.get("count", 1))
    elif state == REASON:
        text = t(lang, "mod.nc.ask", count=draft.get("count", 1))
    elif state == PREVIEW:
        return await _preview(update, context, draft)
    else:
        text = t(lang, "mod.add.claim")
    await _say(update, context, intro + text, markup)
    return state


def _field_code(state: str) -> str:
    return next(code for code, s in FIELD_STATES.items() if s == state)


async def _after_field(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], nxt: str) -> str:
    """The next step of /add, or the preview again when a single field was being changed."""
    if draft.get("back"):
        draft.pop("prev", None)
        return await _preview(update, context, draft)
    return await prompt(update, context, draft, nxt)


def _preview_claim(draft: dict[str, Any]) -> tuple[Claim | None, list[str]]:
    data = dict(draft["claim"])
    if draft.get("mode") == "add":
        data["published"] = moderation.today().isoformat()
    elif data != draft.get("orig"):
        data["updated"] = moderation.today().isoformat()
    return moderation.draft_to_claim(data)


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> str:
    """The card exactly as users will see it, then Publish (or Save) / Edit a field / Cancel."""
    lang = _lang(update, context)
    user_id = _uid(update)
    draft.pop("back", None)
    claim, errors = _preview_claim(draft)
    if claim is None:
        await _say(update, context, t(lang, "mod.invalid_draft", errors="; ".join(errors)))
        return await prompt(update, context, draft, FIELD)
    header = t(lang, "mod.preview")
    similar = [
        m.claim.id
        for m in runtime_of(context).index.matcher.match(claim.claim, limit=3)
        if m.strength == "strong" and m.claim.id != draft.get("claim_id")
    ]
    if similar:
        header += "\n" + t(lang, "mod.preview.similar", ids=", ".join(similar))
    await _say(update, context, header)
    action = "mod.button.publish" if draft.get("mode") == "add" else "mod.button.save"
    markup = InlineKeyboardMarkup(
        [
            [
                _button(context, user_id, t(lang, action), "mp:p"),
                _button(context, user_id, t(lang, "mod.button.edit_field"), "mp:e"),
                _button(context, user_id, t(lang, "mod.button.cancel"), "mp:c"),
            ]
        ]
    )
    chat = update.effective_chat
    if chat is not None:
        await send_html(context, chat.id, render.card(claim, lang), markup=markup, user_id=user_id)
    return PREVIEW


# --- entry points --------------------------------------------------------------------------------------


@entry()
async def add_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """/add: start a new claim."""
    draft = {"mode": "add", "claim": moderation.new_draft()}
    _store(context, _uid(update), draft)
    return await _enter(update, context, draft, CLAIM)


async def _enter(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], state: str) -> str:
    draft["step"] = state
    _store(context, _uid(update), draft)
    return await prompt(update, context, draft, state)


@entry()
async def edit_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """/edit <id>: pick a field of an existing claim."""
    args = list(context.args or [])
    if len(args) != 1:
        await _say_key(update, context, "mod.usage.edit")
        return None
    claim_id = args[0].strip().lower()
    with session_scope(runtime_of(context).sessions) as session:
        claim = kb_store.get_claim(session, claim_id)
    if claim is None:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return None
    snapshot = kb_store.claim_json(claim)
    draft = {"mode": "edit", "claim_id": claim_id, "claim": dict(snapshot), "orig": snapshot}
    await _say_key(update, context, "mod.edit.start", id=claim_id)
    return await _enter(update, context, draft, FIELD)


async def _queue_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, str, int, str] | None:
    """(submission id, group key, pending count, text) of a queue button, or None after saying why not."""
    parts = _payload(update, context)
    sub_id = int(parts[2]) if parts and len(parts) == 3 and parts[2].isdigit() else None
    if sub_id is None:
        await _expired(update, context)
        return None
    try:
        with session_scope(runtime_of(context).sessions) as session:
            key, subs = moderation.group_of(session, sub_id)
            text = next((s.text for s in subs if s.text.strip()), "")
    except moderation.AlreadyResolved:
        await answer_callback(update, t(_lang(update, context), "mod.resolved_already"), alert=True)
        return None
    await answer_callback(update)
    return sub_id, key, len(subs), text


@entry()
async def queue_new_claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """Queue item → New claim: /add prefilled with the post's text; publishing links the group."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, _key, count, text = group
    draft = {"mode": "add", "claim": moderation.new_draft(), "sub": sub_id, "count": count, "prefill": text}
    return await _enter(update, context, draft, CLAIM)


@entry()
async def queue_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """Queue item → Link to a claim: ask for a search text or a claim id."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, _key, count, _text = group
    return await _enter(update, context, {"mode": "link", "sub": sub_id, "count": count}, LINK)


@entry()
async def queue_not_checkable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """Queue item → Not checkable: ask for the reason the users will be told."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, _key, count, _text = group
    return await _enter(update, context, {"mode": "reason", "sub": sub_id, "count": count}, REASON)


# --- steps: the claim's fields -----------------------------------------------------------------------------


def _text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else ""


async def _too_long(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, limit: int) -> bool:
    if len(text) > limit:
        await _say_key(update, context, "mod.too_long", limit=limit)
        return True
    return False


@step
async def on_claim_text(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    text = _text_of(update)
    if not text or await _too_long(update, context, text, moderation.CLAIM_CHARS):
        return None
    draft["claim"]["claim"] = text
    return await _after_field(update, context, draft, VERDICT)


@step
async def on_use_text(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """Use the queued post's text as the claim."""
    text = str(draft.get("prefill") or "").strip()
    if _payload(update, context) != ["mu", "y"] or not text:
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    draft["claim"]["claim"] = text[: moderation.CLAIM_CHARS]
    return await _after_field(update, context, draft, VERDICT)


@step
async def on_verdict(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    parts = _payload(update, context)
    if not parts or len(parts) != 2 or parts[1] not in VERDICTS:
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    draft["claim"]["verdict"] = parts[1]
    return await _after_field(update, context, draft, SUMMARY)


@step
async def on_summary(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    text = _text_of(update)
    if not text or await _too_long(update, context, text, moderation.SUMMARY_CHARS):
        return None
    draft["claim"]["summary"] = text
    return await _after_field(update, context, draft, SOURCES)


async def _finish_sources(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    if not draft["claim"].get("sources"):
        await _say_key(update, context, "mod.add.sources_needed")
        return None
    return await _after_field(update, context, draft, VARIANTS)


async def _finish_variants(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    return await _after_field(update, context, draft, LANGUAGE)


async def _keep_previous(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """Skip (no variants in /add) or keep the current list (when changing one field)."""
    field = "sources" if draft.get("step") == SOURCES else "variants"
    previous = draft.get("prev", [])
    if field == "sources" and not previous:
        return await _finish_sources(update, context, draft)
    draft["claim"][field] = previous
    if field == "sources":
        return await _after_field(update, context, draft, VARIANTS)
    return await _finish_variants(update, context, draft)


@step
async def on_source(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    text = _text_of(update)
    word = text.casefold()
    if word in moderation.DONE_WORDS:
        return await _finish_sources(update, context, draft)
    if word in moderation.SKIP_WORDS and draft.get("back"):
        return await _keep_previous(update, context, draft)
    try:
        source = moderation.parse_source(text)
    except moderation.InvalidSource as exc:
        await _say_key(update, context, f"mod.source.{exc.reason}")
        return None
    sources = draft["claim"].setdefault("sources", [])
    sources.append(source)
    lang = _lang(update, context)
    markup = _list_keyboard(context, _uid(update), lang, draft, skip=False)
    await _say(update, context, t(lang, "mod.add.source_added", n=len(sources)), markup)
    return None


@step
async def on_variant(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    text = _text_of(update)
    word = text.casefold()
    if word in moderation.DONE_WORDS:
        return await _finish_variants(update, context, draft)
    if word in moderation.SKIP_WORDS:
        return await _keep_previous(update, context, draft)
    if not text or await _too_long(update, context, text, moderation.VARIANT_CHARS):
        return None
    variants = draft["claim"].setdefault("variants", [])
    variants.append(text)
    lang = _lang(update, context)
    markup = _list_keyboard(context, _uid(update), lang, draft, skip=False)
    await _say(update, context, t(lang, "mod.add.variant_added", n=len(variants)), markup)
    return None


@step
async def on_list_button(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """Done / Skip / Keep current under the sources and variants prompts."""
    parts = _payload(update, context)
    if parts not in (["ms", "d"], ["ms", "s"]):
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    if parts == ["ms", "s"]:
        return await _keep_previous(update, context, draft)
    if draft.get("step") == SOURCES:
        return await _finish_sources(update, context, draft)
    return await _finish_variants(update, context, draft)


@step
async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    parts = _payload(update, context)
    if not parts or len(parts) != 2:
        await _expired(update, context)
        return None
    await answer_callback(update)
    if parts[1] == "x":
        await _say_key(update, context, "mod.add.language_other")
        return None
    if parts[1] not in LANGUAGE_NAMES:
        await _expired(update, context)
        return None
    await _drop_keyboard(update)
    draft["claim"]["lang"] = parts[1]
    return await _preview(update, context, draft)


@step
async def on_language_text(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    code = _text_of(update).lower()
    if not moderation.valid_lang(code):
        await _say_key(update, context, "mod.add.language_invalid")
        return None
    draft["claim"]["lang"] = code
    return await _preview(update, context, draft)


@step
async def on_pick_field(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    parts = _payload(update, context)
    if not parts or len(parts) != 2 or parts[1] not in FIELDS:
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    field = FIELDS[parts[1]]
    draft["back"] = True
    if field in ("sources", "variants"):
        draft["prev"] = list(draft["claim"].get(field) or [])
        draft["claim"][field] = []
    state = FIELD_STATES[parts[1]]
    draft["step"] = state
    return await prompt(update, context, draft, state)


# --- steps: preview, publish, save ------------------------------------------------------------------------


@step
async def on_preview_action(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    parts = _payload(update, context)
    if parts not in (["mp", "p"], ["mp", "e"], ["mp", "c"]):
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    if parts == ["mp", "c"]:
        await _say_key(update, context, "mod.cancelled")
        return END
    if parts == ["mp", "e"]:
        return await prompt(update, context, draft, FIELD)
    if draft.get("mode") == "edit":
        return await _save(update, context, draft)
    return await _publish(update, context, draft)


async def _kick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver queued follow-ups now (the outbox also retries later on its own)."""
    try:
        await outbox.kick(context.application)
    except Exception:
        log.exception("could not start delivering follow-ups")


def _refresh(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        runtime_of(context).refresh_index()
    except Exception:
        log.exception("could not refresh the index after a moderator change")


async def _publish(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """Create the claim (and link the queue item it was made for), then make the matcher see it."""
    data_of(context).pop(DRAFT, None)  # a second press of Publish finds no draft
    claim, errors = moderation.draft_to_claim(draft["claim"])
    if claim is None:
        await _say_key(update, context, "mod.invalid_draft", errors="; ".join(errors))
        return await prompt(update, context, draft, FIELD)
    user_id = _uid(update)
    linked, missed = 0, False
    try:
        with session_scope(runtime_of(context).sessions) as session:
            row = moderation.create_claim(session, claim, actor=moderation.actor_for(user_id))
            claim_id = row.id
            if draft.get("sub"):
                try:
                    key, _subs = moderation.group_of(session, int(draft["sub"]))
                    linked = moderation.link_group(session, key, claim_id, moderator_id=user_id).count
                except moderation.AlreadyResolved:
                    missed = True
    except IntegrityError:
        log.warning("publishing a claim collided with a concurrent change", exc_info=True)
        await _say_key(update, context, "mod.save_failed")
        data_of(context)[DRAFT] = draft
        return PREVIEW
    _refresh(context)
    if linked:
        await _kick(context)
        await _say_key(update, context, "mod.published_linked", id=claim_id, count=linked)
    else:
        await _say_key(update, context, "mod.published", id=claim_id)
    if missed:
        await _say_key(update, context, "mod.resolved_already")
    return END


async def _save(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    claim, errors = moderation.draft_to_claim(draft["claim"])
    claim_id = str(draft.get("claim_id"))
    if claim is None:
        await _say_key(update, context, "mod.invalid_draft", errors="; ".join(errors))
        return await prompt(update, context, draft, FIELD)
    try:
        with session_scope(runtime_of(context).sessions) as session:
            result = moderation.update_claim(
                session, claim_id, claim, actor=moderation.actor_for(_uid(update)), expected=draft.get("orig")
            )
    except moderation.ClaimConflict:
        await _say_key(update, context, "mod.edit.conflict", id=claim_id)
        return END
    except moderation.UnknownClaim:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return END
    if not result.fields:
        await _say_key(update, context, "mod.edit.unchanged")
        return END
    _refresh(context)
    if result.notices:
        await _kick(context)
    await _say_key(update, context, "mod.edit.saved", id=claim_id, fields=", ".join(result.fields))
    return END


# --- steps: the queue ----------------------------------------------------------------------------------------


@step
async def on_link_query(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """A search text or claim id: the best published claims as buttons."""
    text = _text_of(update)
    lang = _lang(update, context)
    found = moderation.search_claims(runtime_of(context).index.matcher, text) if text else []
    if not found:
        await _say_key(update, context, "mod.link.none")
        return None
    draft["choices"] = [c.id for c in found]
    user_id = _uid(update)
    rows = [
        [_button(context, user_id, f"{render.BADGES.get(c.verdict, '•')} {render.shorten(c.claim, 56)}", f"ml:{i}")]
        for i, c in enumerate(found)
    ]
    lines = "\n".join(f"{i}. {c.id}" for i, c in enumerate(found, 1))
    await _say(update, context, t(lang, "mod.link.choose") + "\n" + lines, InlineKeyboardMarkup(rows))
    return None


@step
async def on_link_choice(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    parts = _payload(update, context)
    choices = draft.get("choices") or []
    index = int(parts[1]) if parts and len(parts) == 2 and parts[1].isdigit() else -1
    if not 0 <= index < len(choices):
        await _expired(update, context)
        return None
    await answer_callback(update)
    await _drop_keyboard(update)
    claim_id = choices[index]
    user_id = _uid(update)
    try:
        with session_scope(runtime_of(context).sessions) as session:
            key, _subs = moderation.group_of(session, int(draft["sub"]))
            result = moderation.link_group(session, key, claim_id, moderator_id=user_id)
    except moderation.AlreadyResolved:
        await _say_key(update, context, "mod.resolved_already")
        return END
    except moderation.UnknownClaim:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return None
    _refresh(context)
    await _kick(context)
    await _say_key(update, context, "mod.linked", id=claim_id, count=result.count)
    return END


@step
async def on_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    reason = _text_of(update)
    if not reason or await _too_long(update, context, reason, moderation.REASON_CHARS):
        return None
    try:
        with session_scope(runtime_of(context).sessions) as session:
            key, _subs = moderation.group_of(session, int(draft["sub"]))
            count = moderation.close_group(session, key, reason, moderator_id=_uid(update))
    except moderation.AlreadyResolved:
        await _say_key(update, context, "mod.resolved_already")
        return END
    await _kick(context)
    await _say_key(update, context, "mod.nc.done", count=count)
    return END


# --- fallbacks ---------------------------------------------------------------------------------------------


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """/cancel at any step (and outside a conversation: nothing to cancel)."""
    had = DRAFT in data_of(context)
    _store(context, _uid(update), None)
    await _say_key(update, context, "mod.cancelled" if had else "mod.nothing_to_cancel")
    return END


@step
async def on_unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> object:
    """Something the current step does not expect: ask again."""
    state = str(draft.get("step") or CLAIM)
    await prompt(update, context, draft, state)
    return None


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """A moderation button from an earlier step."""
    await _expired(update, context)
    return None


async def on_timeout(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The conversation was idle for CONVERSATION_TIMEOUT: drop the draft and say so."""
    if not isinstance(update, Update):
        return
    data_of(context).pop(DRAFT, None)
    if update.effective_user is not None:
        context.application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    await _say_key(update, context, "mod.timeout", minutes=int(CONVERSATION_TIMEOUT.total_seconds() // 60))


# --- plain commands ------------------------------------------------------------------------------------------


def _message_args(update: Update, parts: int) -> list[str]:
    """The command's arguments split at most `parts - 1` times (keeps a free text's spacing)."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    pieces = text.split(maxsplit=parts)
    return [p.strip() for p in pieces[1:]]


async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grant <user id> moderator|admin, or as a reply to the person's message."""
    if not await require(update, context, "admin", action="grant"):
        return
    target, args = _target(update, context)
    if target is None or len(args) != 1 or args[0].lower() not in ("moderator", "admin"):
        await _say_key(update, context, "mod.usage.grant")
        return
    role = args[0].lower()
    runtime = runtime_of(context)
    with session_scope(runtime.sessions) as session:
        users.set_role(session, target, role)
    lang = _lang(update, context)
    await _say(update, context, t(lang, "mod.granted", user=target, role=t(lang, f"mod.role.{role}")))


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revoke <user id> (or as a reply): back to a regular user."""
    if not await require(update, context, "admin", action="revoke"):
        return
    target, args = _target(update, context)
    if target is None or args:
        await _say_key(update, context, "mod.usage.revoke")
        return
    runtime = runtime_of(context)
    if target in runtime.settings.admin_ids:
        await _say_key(update, context, "mod.revoke_env_admin", user=target)
        return
    with session_scope(runtime.sessions) as session:
        if users.get_user(session, target) is not None:
            users.set_role(session, target, "user")
    await _say_key(update, context, "mod.revoked", user=target)


def _target(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int | None, list[str]]:
    """The person a /grant or /revoke is about and the remaining arguments: the author of the message
    replied to (in a group), the sender of a forwarded message replied to, else the first argument."""
    args = list(context.args or [])
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is not None:
        origin = replied.forward_origin
        if isinstance(origin, MessageOriginUser) and not origin.sender_user.is_bot:
            return origin.sender_user.id, args
        author = replied.from_user
        if author is not None and not author.is_bot and author.id != _uid(update):
            return author.id, args
    if args and args[0].lstrip("-").isdigit() and int(args[0]) > 0:
        return int(args[0]), args[1:]
    return None, args


async def team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/team: admins and moderators."""
    if not await require(update, context, "admin", action="team"):
        return
    runtime = runtime_of(context)
    lang = _lang(update, context)
    with session_scope(runtime.sessions) as session:
        members = {u.telegram_id: u.role for u in users.team(session)}
    for admin_id in runtime.settings.admin_ids:
        members[admin_id] = "admin"
    order = sorted(members.items(), key=lambda item: (item[1] != "admin", item[0]))
    lines = [t(lang, "mod.team.title")]
    for user_id, role in order:
        note = " " + t(lang, "mod.team.from_settings") if user_id in runtime.settings.admin_ids else ""
        lines.append(f"• {user_id} — {t(lang, f'mod.role.{role}')}{note}")
    await _say(update, context, "\n".join(lines))


async def variant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/variant <id> <text>: add a wording to a claim."""
    if not await require(update, context, "moderator", action="variant"):
        return
    args = _message_args(update, 2)
    if len(args) != 2 or not args[1]:
        await _say_key(update, context, "mod.usage.variant")
        return
    claim_id, text = args[0].lower(), args[1]
    if len(text) > moderation.VARIANT_CHARS:
        await _say_key(update, context, "mod.too_long", limit=moderation.VARIANT_CHARS)
        return
    try:
        with session_scope(runtime_of(context).sessions) as session:
            added = moderation.add_variant(session, claim_id, text, actor=moderation.actor_for(_uid(update)))
    except moderation.UnknownClaim:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    if added:
        _refresh(context)
    await _say_key(update, context, "mod.variant.added" if added else "mod.variant.exists", id=claim_id)


async def retire(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/retire <id>: no longer matched, kept for history."""
    if not await require(update, context, "moderator", action="retire"):
        return
    args = list(context.args or [])
    if len(args) != 1:
        await _say_key(update, context, "mod.usage.retire")
        return
    claim_id = args[0].lower()
    try:
        with session_scope(runtime_of(context).sessions) as session:
            done = moderation.retire_claim(session, claim_id, actor=moderation.actor_for(_uid(update)))
    except moderation.UnknownClaim:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    if done:
        _refresh(context)
    await _say_key(update, context, "mod.retired" if done else "mod.already_retired", id=claim_id)


def _history_lines(rows: list[AuditLog], lang: str) -> list[str]:
    lines = []
    for row in rows:
        when = row.created_at.strftime("%Y-%m-%d %H:%M")
        fields = ", ".join(row.fields or []) or "—"
        lines.append(t(lang, "mod.history.row", when=when, who=row.actor, action=row.action, fields=fields))
    return lines


async def show_claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/claim <id>: the card as users see it, its status and its latest changes."""
    if not await require(update, context, "moderator", action="claim"):
        return
    args = list(context.args or [])
    if len(args) != 1:
        await _say_key(update, context, "mod.usage.claim")
        return
    claim_id = args[0].lower()
    lang = _lang(update, context)
    with session_scope(runtime_of(context).sessions) as session:
        row = kb_store.get_claim_row(session, claim_id)
        claim = kb_store.row_to_claim(row) if row else None
        status = row.status if row else ""
        rows = moderation.claim_history(session, claim_id, limit=5)
    if claim is None:
        await _say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    await reply_html(update, context, render.card(claim, lang))
    info = [t(lang, "mod.claim.info", id=claim_id, status=t(lang, f"mod.status.{status}"))]
    if rows:
        info.append(t(lang, "mod.history.title", id=claim_id))
        info.extend(_history_lines(rows, lang))
    await _say(update, context, "\n".join(info))


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/history <id>: who changed what, and when."""
    if not await require(update, context, "moderator", action="history"):
        return
    args = list(context.args or [])
    if len(args) != 1:
        await _say_key(update, context, "mod.usage.history")
        return
    claim_id = args[0].lower()
    lang = _lang(update, context)
    with session_scope(runtime_of(context).sessions) as session:
        rows = moderation.claim_history(session, claim_id, limit=HISTORY_ROWS)
        exists = kb_store.get_claim_row(session, claim_id) is not None
    if not rows:
        await _say_key(update, context, "mod.history.empty" if exists else "mod.unknown_claim", id=claim_id)
        return
    await _say(update, context, "\n".join([t(lang, "mod.history.title", id=claim_id), *_history_lines(rows, lang)]))


def _origin_label(item: moderation.QueueItem) -> str | None:
    title, username = item.origin_title, item.origin_username
    if title and username:
        return f"{title} (@{username})"
    if username:
        return f"@{username}"
    return title


async def queue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue [n]: pending posts, the same post sent by many people as one item, most requested first."""
    if not await require(update, context, "moderator", action="queue"):
        return
    args = list(context.args or [])
    if len(args) > 1 or (args and not args[0].isdigit()):
        await _say_key(update, context, "mod.usage.queue")
        return
    limit = min(int(args[0]), QUEUE_MAX) if args else QUEUE_LIMIT
    lang = _lang(update, context)
    user_id = _uid(update)
    with session_scope(runtime_of(context).sessions) as session:
        pending = moderation.pending_queue(session, limit=max(limit, 1))
    if not pending.items:
        await _say_key(update, context, "mod.queue.empty")
        return
    await _say(update, context, t(lang, "mod.queue.header", groups=pending.groups, requests=pending.requests))
    for n, item in enumerate(pending.items, 1):
        lines = [f"<b>{render.esc(t(lang, 'mod.queue.item', n=n, count=item.count))}</b>"]
        lines.append(render.esc(t(lang, "mod.queue.first", date=item.first_at.strftime("%Y-%m-%d %H:%M"))))
        origin = _origin_label(item)
        if origin:
            lines.append(render.esc(t(lang, "mod.queue.origin", origin=origin)))
        if item.text.strip():
            lines.append(f"<i>«{render.esc(render.shorten(item.text, EXCERPT_CHARS))}»</i>")
        if item.has_media:
            lines.append(render.esc(t(lang, "mod.queue.media")))
        ref = item.submission_id
        markup = InlineKeyboardMarkup(
            [
                [_button(context, user_id, t(lang, "mod.button.link"), f"mq:l:{ref}")],
                [
                    _button(context, user_id, t(lang, "mod.button.new_claim"), f"mq:n:{ref}"),
                    _button(context, user_id, t(lang, "mod.button.not_checkable"), f"mq:x:{ref}"),
                ],
            ]
        )
        chat = update.effective_chat
        if chat is not None:
            await send_html(context, chat.id, "\n".join(lines), markup=markup, user_id=user_id)
    hidden = pending.groups - len(pending.items)
    if hidden > 0:
        await _say_key(update, context, "mod.queue.more", count=hidden)


# --- registration --------------------------------------------------------------------------------------------


def conversation(*, persistent: bool) -> ConversationHandler[Any]:
    """/add, /edit and the queue's buttons as one conversation (one moderator task at a time)."""
    private = filters.ChatType.PRIVATE
    text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user on purpose (one task at a time), not per message.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return _conversation(private, text, persistent=persistent)


def _conversation(
    private: filters.BaseFilter, text: filters.BaseFilter, *, persistent: bool
) -> ConversationHandler[Any]:
    return ConversationHandler(
        entry_points=[
            CommandHandler("add", add_start, filters=private),
            CommandHandler("edit", edit_start, filters=private),
            CallbackQueryHandler(queue_link, pattern=r"^mq:l:"),
            CallbackQueryHandler(queue_new_claim, pattern=r"^mq:n:"),
            CallbackQueryHandler(queue_not_checkable, pattern=r"^mq:x:"),
        ],
        states={
            CLAIM: [MessageHandler(text, on_claim_text), CallbackQueryHandler(on_use_text, pattern=r"^mu:")],
            VERDICT: [CallbackQueryHandler(on_verdict, pattern=r"^mv:")],
            SUMMARY: [MessageHandler(text, on_summary)],
            SOURCES: [MessageHandler(text, on_source), CallbackQueryHandler(on_list_button, pattern=r"^ms:")],
            VARIANTS: [MessageHandler(text, on_variant), CallbackQueryHandler(on_list_button, pattern=r"^ms:")],
            LANGUAGE: [CallbackQueryHandler(on_language, pattern=r"^mg:"), MessageHandler(text, on_language_text)],
            PREVIEW: [CallbackQueryHandler(on_preview_action, pattern=r"^mp:")],
            FIELD: [
                CallbackQueryHandler(on_pick_field, pattern=r"^mf:"),
                CallbackQueryHandler(on_preview_action, pattern=r"^mp:c"),
            ],
            LINK: [MessageHandler(text, on_link_query), CallbackQueryHandler(on_link_choice, pattern=r"^ml:")],
            REASON: [MessageHandler(text, on_reason)],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
        },
        fallbacks=[
            CommandHandler("cancel", on_cancel),
            MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, on_unexpected),
            CallbackQueryHandler(on_stale_button, pattern=r"^m[a-z]:"),
        ],
        allow_reentry=True,
        conversation_timeout=CONVERSATION_TIMEOUT,
        name=CONVERSATION,
        persistent=persistent,
    )


def make_persistence(sessions: sessionmaker[Session]) -> DatabasePersistence:
    """The persistence `factbot run` needs: conversations plus the moderator's draft (nothing else)."""
    return DatabasePersistence(sessions, user_keys=PERSISTED_USER_KEYS)


def register(app: Application) -> None:
    """Moderator and admin handlers (called from handlers.registry before the public handlers)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(conversation(persistent=app.persistence is not None))
    app.add_handler(CommandHandler("cancel", on_cancel, filters=private))
    app.add_handler(CommandHandler("grant", grant))  # also in a team group, replying to the person
    app.add_handler(CommandHandler("revoke", revoke))
    app.add_handler(CommandHandler("team", team, filters=private))
    app.add_handler(CommandHandler("variant", variant, filters=private))
    app.add_handler(CommandHandler("retire", retire, filters=private))
    app.add_handler(CommandHandler("claim", show_claim, filters=private))
    app.add_handler(CommandHandler("history", history, filters=private))
    app.add_handler(CommandHandler("queue", queue, filters=private))
    app.add_handler(TypeHandler(Update, persist_now), group=AFTER_GROUP)
