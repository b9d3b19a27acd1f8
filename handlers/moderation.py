"""The moderators' conversation: adding and editing claims, and answering queued posts.

Every step and button checks the role on the server (handlers.privileged.require); anyone else is
told "not allowed", nothing changes, and the attempt is logged under a pseudonymous key. The plain
team commands (/grant, /queue, /variant...) are in handlers.team.

/add, /edit, /translate and the queue's buttons run in one ConversationHandler whose state and draft (a Draft: a typed
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
from typing import Any, TypedDict, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.rendering import render
from bot.rendering.i18n import LANGUAGE_NAMES, language_name, t
from bot.services import kb_store, moderation
from handlers.buttons import MODERATION, Button, is_, pattern
from handlers.common import (
    answer_callback,
    command_args,
    data_of,
    drop_keyboard,
    expired,
    in_db,
    language_for,
    send_html,
    verified_parts,
)
from handlers.context import BotContext
from handlers.persistence import DatabasePersistence
from handlers.privileged import (
    kick_outbox,
    refresh_index_now,
    require,
    requires,
    say,
    say_key,
    signed_button,
    user_id_of,
)
from knowledge.schema import VERDICTS, Claim

log = logging.getLogger(__name__)

CONVERSATION = "moderation"
CONVERSATION_TIMEOUT = dt.timedelta(minutes=15)
DRAFT = "mod_draft"  # the user_data key kept across restarts (see handlers.persistence user_keys)
PERSISTED_USER_KEYS = (DRAFT,)
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
TRANSLATED_CLAIM = "mod.tr_claim"
TRANSLATED_SUMMARY = "mod.tr_summary"

FIELDS = {"c": "claim", "v": "verdict", "s": "summary", "r": "sources", "w": "variants", "l": "lang"}
FIELD_STATES = {"c": CLAIM, "v": VERDICT, "s": SUMMARY, "r": SOURCES, "w": VARIANTS, "l": LANGUAGE}
EXCERPT_CHARS = 300


class Draft(TypedDict, total=False):
    """A moderator's task in progress, kept in user_data[DRAFT]; a plain dict, so the persistence stores it
    as JSON and it survives a restart."""

    mode: str  # "add", "edit", "link" (a queued post to an existing claim) or "reason" (not checkable)
    claim: dict[str, Any]  # the claim being written, in moderation.new_draft()'s shape
    claim_id: str  # edit: the claim's id
    orig: dict[str, Any]  # edit: the claim as it was, so a concurrent change is not overwritten
    sub: int  # queue: the submission being answered
    count: int  # queue: how many people sent that post
    prefill: str  # queue: the post's text, offered as the claim
    step: str  # the conversation state the draft is in
    touched: float  # time.time() of the last step, for the idle timeout across restarts
    back: bool  # one field is being edited from the preview
    prev: list[Any]  # that field's value before the edit (sources or variants)
    choices: list[str]  # link: the claim ids offered, by button index
    translate: str  # translate: the language the claim and summary are being written in
    tr_claim: str  # translate: the translated claim, until the summary comes


Callback = Callable[[Update, BotContext], Coroutine[Any, Any, object]]
Step = Callable[[Update, BotContext, Draft], Coroutine[Any, Any, object]]


def _mark_for_persistence(context: BotContext, user_id: int) -> None:
    context.bot_data.persist_now.add(user_id)


async def persist_now(update: object, context: BotContext) -> None:
    """After a moderator's step, write the conversation and draft at once (not at the next interval)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    pending = context.bot_data.persist_now
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


async def _say_timed_out(update: Update, context: BotContext) -> None:
    await say_key(update, context, "mod.timeout", minutes=int(CONVERSATION_TIMEOUT.total_seconds() // 60))


def _store(context: BotContext, user_id: int, draft: Draft | None) -> None:
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
        checked = requires(role)(fn)

        @functools.wraps(fn)
        async def run(update: Update, context: BotContext) -> object:
            if update.callback_query is not None and verified_parts(update, context) is None:
                await expired(update, context)  # forged, or signed for someone else
                return None
            return await checked(update, context)

        return run

    return wrap


def step(fn: Step) -> Callback:
    """A conversation step: role-checked again (a role can be revoked meanwhile; a refusal also drops the
    draft and ends the conversation, which `requires` cannot do) and ended cleanly when the draft is gone
    or idle too long (also after a restart, when no timeout job survived)."""

    @functools.wraps(fn)
    async def run(update: Update, context: BotContext) -> object:
        user_id = user_id_of(update)
        if not await require(update, context, "moderator", action=fn.__name__):
            _store(context, user_id, None)
            return END
        stored = data_of(context).get(DRAFT)
        if not isinstance(stored, dict) or _expired_draft(stored):
            _store(context, user_id, None)
            await answer_callback(update)
            await _say_timed_out(update, context)
            return END
        draft = cast(Draft, stored)  # written only by _store, from a Draft
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


def _verdict_keyboard(context: BotContext, user_id: int, lang: str) -> InlineKeyboardMarkup:
    buttons = [
        signed_button(context, user_id, f"{render.BADGES[v]} {t(lang, 'verdict.' + v)}", Button.VERDICT, v)
        for v in VERDICTS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _language_keyboard(context: BotContext, user_id: int, lang: str) -> InlineKeyboardMarkup:
    row = [signed_button(context, user_id, name, Button.CLAIM_LANGUAGE, code) for code, name in LANGUAGE_NAMES.items()]
    return InlineKeyboardMarkup(
        [row, [signed_button(context, user_id, t(lang, "mod.button.other_language"), Button.CLAIM_LANGUAGE, "x")]]
    )


def _list_keyboard(context: BotContext, user_id: int, lang: str, draft: Draft, *, skip: bool) -> InlineKeyboardMarkup:
    row = [signed_button(context, user_id, t(lang, "mod.button.done"), Button.LIST, "d")]
    if draft.get("back"):
        row.append(signed_button(context, user_id, t(lang, "mod.button.keep"), Button.LIST, "s"))
    elif skip:
        row.append(signed_button(context, user_id, t(lang, "mod.button.skip"), Button.LIST, "s"))
    return InlineKeyboardMarkup([row])


def _field_keyboard(context: BotContext, user_id: int, lang: str) -> InlineKeyboardMarkup:
    buttons = [
        signed_button(context, user_id, t(lang, f"mod.field.{name}"), Button.FIELD, code)
        for code, name in FIELDS.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([signed_button(context, user_id, t(lang, "mod.button.cancel"), Button.PREVIEW, "c")])
    return InlineKeyboardMarkup(rows)


def _current_value(draft: Draft, field: str) -> str:
    claim = draft.get("claim") or {}
    if field == "sources":
        sources = draft.get("prev", claim.get("sources")) or []
        return "\n".join(f"• {s.get('title', '')}" + (f" | {s['url']}" if s.get("url") else "") for s in sources)
    if field == "variants":
        return "\n".join(f"• {text}" for text in moderation.variant_texts({"variants": draft.get("prev", [])}))
    return str(claim.get(field) or "")


async def prompt(update: Update, context: BotContext, draft: Draft, state: str) -> str:
    """Ask for what `state` expects (also used to repeat the question after unexpected input)."""
    lang = await language_for(context, update.effective_user)
    user_id = user_id_of(update)
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
            markup = InlineKeyboardMarkup(
                [[signed_button(context, user_id, t(lang, "mod.button.use_text"), Button.USE_TEXT, "y")]]
            )
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
    elif state in (TRANSLATED_CLAIM, TRANSLATED_SUMMARY):
        text = _translation_prompt(draft, lang, "claim" if state == TRANSLATED_CLAIM else "summary")
    elif state == PREVIEW:
        return await _preview(update, context, draft)
    else:
        text = t(lang, "mod.add.claim")
    await say(update, context, intro + text, markup)
    return state


def _translation_prompt(draft: Draft, lang: str, field: str) -> str:
    """Ask for the claim or summary in the target language, showing the original and any current text."""
    claim = draft.get("claim") or {}
    target = str(draft.get("translate"))
    current = (claim.get("translations") or {}).get(target, {}).get(field)
    text = t(
        lang,
        f"mod.translate.{field}",
        language=language_name(target, lang),
        original_language=language_name(str(claim.get("lang")), lang),
        text=str(claim.get(field) or ""),
    )
    return text + ("\n\n" + t(lang, "mod.current", value=current) if current else "")


def _field_code(state: str) -> str:
    return next(code for code, s in FIELD_STATES.items() if s == state)


async def _after_field(update: Update, context: BotContext, draft: Draft, nxt: str) -> str:
    """The next step of /add, or the preview again when a single field was being changed."""
    if draft.get("back"):
        draft.pop("prev", None)
        return await _preview(update, context, draft)
    return await prompt(update, context, draft, nxt)


def _dated(draft: Draft) -> dict[str, Any]:
    """The draft's claim with the date publishing or saving it would give it."""
    data = dict(draft["claim"])
    if draft.get("mode") == "add":
        data["published"] = moderation.today().isoformat()
    elif data != draft.get("orig"):
        data["updated"] = moderation.today().isoformat()
    return data


async def _valid_claim(update: Update, context: BotContext, data: dict[str, Any]) -> Claim | None:
    """The draft as a Claim, or None after telling the moderator what is wrong with it."""
    claim, errors = moderation.draft_to_claim(data)
    if claim is None:
        await say_key(update, context, "mod.invalid_draft", errors="; ".join(errors))
    return claim


async def _preview(update: Update, context: BotContext, draft: Draft) -> str:
    """The card exactly as users will see it, then Publish (or Save) / Edit a field / Cancel."""
    lang = await language_for(context, update.effective_user)
    user_id = user_id_of(update)
    draft.pop("back", None)
    claim = await _valid_claim(update, context, _dated(draft))
    if claim is None:
        return await prompt(update, context, draft, FIELD)
    header = t(lang, "mod.preview")
    similar = [
        m.claim.id
        for m in context.runtime.index.matcher.match(claim.claim, limit=3)
        if m.strength == "strong" and m.claim.id != draft.get("claim_id")
    ]
    if similar:
        header += "\n" + t(lang, "mod.preview.similar", ids=", ".join(similar))
    await say(update, context, header)
    action = "mod.button.publish" if draft.get("mode") == "add" else "mod.button.save"
    markup = InlineKeyboardMarkup(
        [
            [
                signed_button(context, user_id, t(lang, action), Button.PREVIEW, "p"),
                signed_button(context, user_id, t(lang, "mod.button.edit_field"), Button.PREVIEW, "e"),
                signed_button(context, user_id, t(lang, "mod.button.cancel"), Button.PREVIEW, "c"),
            ]
        ]
    )
    chat = update.effective_chat
    if chat is not None:
        # A translation is previewed as its readers will see it: the card in their language.
        shown_in = draft.get("translate") or lang
        await send_html(context, chat.id, render.card(claim, shown_in), markup=markup, user_id=user_id)
    return PREVIEW


# --- entry points --------------------------------------------------------------------------------------


@entry()
async def add_start(update: Update, context: BotContext) -> object:
    """/add: start a new claim."""
    draft: Draft = {"mode": "add", "claim": moderation.new_draft()}
    return await _enter(update, context, draft, CLAIM)


async def _enter(update: Update, context: BotContext, draft: Draft, state: str) -> str:
    draft["step"] = state
    _store(context, user_id_of(update), draft)
    return await prompt(update, context, draft, state)


@entry()
async def edit_start(update: Update, context: BotContext) -> object:
    """/edit <id>: pick a field of an existing claim."""
    args = command_args(context)
    if len(args) != 1:
        await say_key(update, context, "mod.usage.edit")
        return None
    claim_id = args[0].strip().lower()
    claim = await in_db(context, lambda session: kb_store.get_claim(session, claim_id))
    if claim is None:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return None
    snapshot = kb_store.claim_json(claim)
    draft: Draft = {"mode": "edit", "claim_id": claim_id, "claim": dict(snapshot), "orig": snapshot}
    await say_key(update, context, "mod.edit.start", id=claim_id)
    return await _enter(update, context, draft, FIELD)


@entry()
async def translate_start(update: Update, context: BotContext) -> object:
    """/translate <id> <lang>: write or change an entry's claim and summary in another language."""
    args = command_args(context)
    target = args[1].strip().lower() if len(args) == 2 else ""
    if not moderation.valid_lang(target):
        await say_key(update, context, "mod.usage.translate")
        return None
    claim_id = args[0].strip().lower()
    claim = await in_db(context, lambda session: kb_store.get_claim(session, claim_id))
    if claim is None:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return None
    if target == claim.lang:
        language = language_name(target, await language_for(context, update.effective_user))
        await say_key(update, context, "mod.translate.original", id=claim_id, language=language)
        return None
    snapshot = kb_store.claim_json(claim)
    draft: Draft = {
        "mode": "edit",
        "claim_id": claim_id,
        "claim": dict(snapshot),
        "orig": snapshot,
        "translate": target,
    }
    return await _enter(update, context, draft, TRANSLATED_CLAIM)


async def _queue_group(update: Update, context: BotContext) -> tuple[int, int, str] | None:
    """(submission id, pending count, text) of a queue button, or None after saying why not."""
    parts = verified_parts(update, context)
    sub_id = int(parts[2]) if parts and len(parts) == 3 and parts[2].isdigit() else None
    if sub_id is None:
        await expired(update, context)
        return None
    try:
        _key, subs = await in_db(context, lambda session: moderation.group_of(session, sub_id))
        text = next((s.text for s in subs if s.text.strip()), "")
    except moderation.AlreadyResolved:
        await answer_callback(
            update, t(await language_for(context, update.effective_user), "mod.resolved_already"), alert=True
        )
        return None
    await answer_callback(update)
    return sub_id, len(subs), text


@entry()
async def queue_new_claim(update: Update, context: BotContext) -> object:
    """Queue item → New claim: /add prefilled with the post's text; publishing links the group."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, count, text = group
    draft: Draft = {"mode": "add", "claim": moderation.new_draft(), "sub": sub_id, "count": count, "prefill": text}
    return await _enter(update, context, draft, CLAIM)


@entry()
async def queue_link(update: Update, context: BotContext) -> object:
    """Queue item → Link to a claim: ask for a search text or a claim id."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, count, _text = group
    return await _enter(update, context, {"mode": "link", "sub": sub_id, "count": count}, LINK)


@entry()
async def queue_not_checkable(update: Update, context: BotContext) -> object:
    """Queue item → Not checkable: ask for the reason the users will be told."""
    group = await _queue_group(update, context)
    if group is None:
        return None
    sub_id, count, _text = group
    return await _enter(update, context, {"mode": "reason", "sub": sub_id, "count": count}, REASON)


# --- steps: the claim's fields -----------------------------------------------------------------------------


def _text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else ""


async def _text_within(update: Update, context: BotContext, limit: int) -> str | None:
    """The message's text, or None when it has none or is longer than `limit` (the moderator is told)."""
    text = _text_of(update)
    if not text:
        return None
    if len(text) > limit:
        await say_key(update, context, "mod.too_long", limit=limit)
        return None
    return text


@step
async def on_claim_text(update: Update, context: BotContext, draft: Draft) -> object:
    text = await _text_within(update, context, moderation.CLAIM_CHARS)
    if text is None:
        return None
    draft["claim"]["claim"] = text
    return await _after_field(update, context, draft, VERDICT)


@step
async def on_use_text(update: Update, context: BotContext, draft: Draft) -> object:
    """Use the queued post's text as the claim."""
    text = str(draft.get("prefill") or "").strip()
    if not is_(verified_parts(update, context), Button.USE_TEXT, "y") or not text:
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    draft["claim"]["claim"] = text[: moderation.CLAIM_CHARS]
    return await _after_field(update, context, draft, VERDICT)


@step
async def on_translated_claim(update: Update, context: BotContext, draft: Draft) -> object:
    """The claim in the translation's language; then ask for the summary."""
    text = await _text_within(update, context, moderation.CLAIM_CHARS)
    if text is None:
        return None
    draft["tr_claim"] = text
    return await prompt(update, context, draft, TRANSLATED_SUMMARY)


@step
async def on_translated_summary(update: Update, context: BotContext, draft: Draft) -> object:
    """The summary in the translation's language; then preview the card as its readers will see it."""
    text = await _text_within(update, context, moderation.SUMMARY_CHARS)
    if text is None:
        return None
    translations = dict(draft["claim"].get("translations") or {})
    translations[str(draft.get("translate"))] = {"claim": str(draft.get("tr_claim") or ""), "summary": text}
    draft["claim"]["translations"] = translations
    draft.pop("tr_claim", None)
    return await _preview(update, context, draft)


@step
async def on_verdict(update: Update, context: BotContext, draft: Draft) -> object:
    parts = verified_parts(update, context)
    if not parts or len(parts) != 2 or parts[1] not in VERDICTS:
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    draft["claim"]["verdict"] = parts[1]
    return await _after_field(update, context, draft, SUMMARY)


@step
async def on_summary(update: Update, context: BotContext, draft: Draft) -> object:
    text = await _text_within(update, context, moderation.SUMMARY_CHARS)
    if text is None:
        return None
    draft["claim"]["summary"] = text
    return await _after_field(update, context, draft, SOURCES)


async def _finish_sources(update: Update, context: BotContext, draft: Draft) -> object:
    if not draft["claim"].get("sources"):
        await say_key(update, context, "mod.add.sources_needed")
        return None
    return await _after_field(update, context, draft, VARIANTS)


async def _finish_variants(update: Update, context: BotContext, draft: Draft) -> object:
    return await _after_field(update, context, draft, LANGUAGE)


async def _keep_previous(update: Update, context: BotContext, draft: Draft) -> object:
    """Skip (no variants in /add) or keep the current list (when changing one field)."""
    field = "sources" if draft.get("step") == SOURCES else "variants"
    previous = draft.get("prev", [])
    if field == "sources" and not previous:
        return await _finish_sources(update, context, draft)
    draft["claim"][field] = previous
    if field == "sources":
        return await _after_field(update, context, draft, VARIANTS)
    return await _finish_variants(update, context, draft)


async def _add_to_list(update: Update, context: BotContext, draft: Draft, field: str, item: Any, key: str) -> None:
    """Append a source or a wording to the draft and ask for the next (Done / Skip under it)."""
    items = draft["claim"].setdefault(field, [])
    items.append(item)
    lang = await language_for(context, update.effective_user)
    markup = _list_keyboard(context, user_id_of(update), lang, draft, skip=False)
    await say(update, context, t(lang, key, n=len(items)), markup)


@step
async def on_source(update: Update, context: BotContext, draft: Draft) -> object:
    text = _text_of(update)
    word = text.casefold()
    if word in moderation.DONE_WORDS:
        return await _finish_sources(update, context, draft)
    if word in moderation.SKIP_WORDS and draft.get("back"):
        return await _keep_previous(update, context, draft)
    try:
        source = moderation.parse_source(text)
    except moderation.InvalidSource as exc:
        await say_key(update, context, f"mod.source.{exc.reason}")
        return None
    await _add_to_list(update, context, draft, "sources", source, "mod.add.source_added")
    return None


@step
async def on_variant(update: Update, context: BotContext, draft: Draft) -> object:
    text = _text_of(update)
    word = text.casefold()
    if word in moderation.DONE_WORDS:
        return await _finish_variants(update, context, draft)
    if word in moderation.SKIP_WORDS:
        return await _keep_previous(update, context, draft)
    if await _text_within(update, context, moderation.VARIANT_CHARS) is None:
        return None
    await _add_to_list(update, context, draft, "variants", text, "mod.add.variant_added")
    return None


@step
async def on_list_button(update: Update, context: BotContext, draft: Draft) -> object:
    """Done / Skip / Keep current under the sources and variants prompts."""
    parts = verified_parts(update, context)
    if not (is_(parts, Button.LIST, "d") or is_(parts, Button.LIST, "s")):
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    if is_(parts, Button.LIST, "s"):
        return await _keep_previous(update, context, draft)
    if draft.get("step") == SOURCES:
        return await _finish_sources(update, context, draft)
    return await _finish_variants(update, context, draft)


@step
async def on_language(update: Update, context: BotContext, draft: Draft) -> object:
    parts = verified_parts(update, context)
    if not parts or len(parts) != 2:
        await expired(update, context)
        return None
    await answer_callback(update)
    if parts[1] == "x":
        await say_key(update, context, "mod.add.language_other")
        return None
    if parts[1] not in LANGUAGE_NAMES:
        await expired(update, context)
        return None
    await drop_keyboard(update)
    draft["claim"]["lang"] = parts[1]
    return await _preview(update, context, draft)


@step
async def on_language_text(update: Update, context: BotContext, draft: Draft) -> object:
    code = _text_of(update).lower()
    if not moderation.valid_lang(code):
        await say_key(update, context, "mod.add.language_invalid")
        return None
    draft["claim"]["lang"] = code
    return await _preview(update, context, draft)


@step
async def on_pick_field(update: Update, context: BotContext, draft: Draft) -> object:
    parts = verified_parts(update, context)
    if not parts or len(parts) != 2 or parts[1] not in FIELDS:
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    field = FIELDS[parts[1]]
    draft["back"] = True
    if field in ("sources", "variants"):
        draft["prev"] = list(draft["claim"].get(field) or [])
        draft["claim"][field] = []
    return await prompt(update, context, draft, FIELD_STATES[parts[1]])


# --- steps: preview, publish, save ------------------------------------------------------------------------


@step
async def on_preview_action(update: Update, context: BotContext, draft: Draft) -> object:
    parts = verified_parts(update, context)
    if not any(is_(parts, Button.PREVIEW, code) for code in "pec"):
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    if is_(parts, Button.PREVIEW, "c"):
        await say_key(update, context, "mod.cancelled")
        return END
    if is_(parts, Button.PREVIEW, "e"):
        return await prompt(update, context, draft, TRANSLATED_CLAIM if draft.get("translate") else FIELD)
    if draft.get("mode") == "edit":
        return await _save(update, context, draft)
    return await _publish(update, context, draft)


async def _publish(update: Update, context: BotContext, draft: Draft) -> object:
    """Create the claim (and link the queue item it was made for), then make the matcher see it."""
    data_of(context).pop(DRAFT, None)  # a second press of Publish finds no draft
    claim = await _valid_claim(update, context, draft["claim"])
    if claim is None:
        return await prompt(update, context, draft, FIELD)
    user_id = user_id_of(update)
    sub = draft.get("sub")

    def publish(session: Session) -> tuple[str, int, bool]:
        """(claim id, people told, whether the queued post was answered by someone else meanwhile)."""
        claim_id = moderation.create_claim(session, claim, actor=moderation.actor_for(user_id)).id
        if not sub:
            return claim_id, 0, False
        try:
            key = moderation.group_key_of(session, int(sub))
            return claim_id, moderation.link_group(session, key, claim_id, moderator_id=user_id).count, False
        except moderation.AlreadyResolved:
            return claim_id, 0, True

    try:
        claim_id, linked, missed = await in_db(context, publish)
    except IntegrityError:
        log.warning("publishing a claim collided with a concurrent change", exc_info=True)
        await say_key(update, context, "mod.save_failed")
        return PREVIEW  # the step keeps the draft for another try
    await refresh_index_now(context)
    if linked:
        await kick_outbox(context)
        await say_key(update, context, "mod.published_linked", id=claim_id, count=linked)
    else:
        await say_key(update, context, "mod.published", id=claim_id)
    if missed:
        await say_key(update, context, "mod.resolved_already")
    return END


async def _save(update: Update, context: BotContext, draft: Draft) -> object:
    claim = await _valid_claim(update, context, draft["claim"])
    claim_id = str(draft.get("claim_id"))
    if claim is None:
        return await prompt(update, context, draft, FIELD)
    try:
        actor, expected = moderation.actor_for(user_id_of(update)), draft.get("orig")
        result = await in_db(
            context,
            lambda session: moderation.update_claim(session, claim_id, claim, actor=actor, expected=expected),
        )
    except moderation.ClaimConflict:
        await say_key(update, context, "mod.edit.conflict", id=claim_id)
        return END
    except moderation.UnknownClaim:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return END
    if not result.fields:
        await say_key(update, context, "mod.edit.unchanged")
        return END
    await refresh_index_now(context)
    if result.notices:
        await kick_outbox(context)
    await say_key(update, context, "mod.edit.saved", id=claim_id, fields=", ".join(result.fields))
    return END


# --- steps: the queue ----------------------------------------------------------------------------------------


@step
async def on_link_query(update: Update, context: BotContext, draft: Draft) -> object:
    """A search text or claim id: the best published claims as buttons."""
    text = _text_of(update)
    lang = await language_for(context, update.effective_user)
    found = moderation.search_claims(context.runtime.index.matcher, text) if text else []
    if not found:
        await say_key(update, context, "mod.link.none")
        return None
    draft["choices"] = [c.id for c in found]
    user_id = user_id_of(update)
    rows = [
        [
            signed_button(
                context,
                user_id,
                f"{render.BADGES.get(c.verdict, '•')} {render.shorten(c.claim, 56)}",
                Button.LINK,
                i,
            )
        ]
        for i, c in enumerate(found)
    ]
    lines = "\n".join(f"{i}. {c.id}" for i, c in enumerate(found, 1))
    await say(update, context, t(lang, "mod.link.choose") + "\n" + lines, InlineKeyboardMarkup(rows))
    return None


@step
async def on_link_choice(update: Update, context: BotContext, draft: Draft) -> object:
    parts = verified_parts(update, context)
    choices = draft.get("choices") or []
    index = int(parts[1]) if parts and len(parts) == 2 and parts[1].isdigit() else -1
    if not 0 <= index < len(choices):
        await expired(update, context)
        return None
    await answer_callback(update)
    await drop_keyboard(update)
    claim_id = choices[index]
    user_id = user_id_of(update)
    try:
        sub_id = int(draft["sub"])
        result = await in_db(
            context,
            lambda session: moderation.link_group(
                session, moderation.group_key_of(session, sub_id), claim_id, moderator_id=user_id
            ),
        )
    except moderation.AlreadyResolved:
        await say_key(update, context, "mod.resolved_already")
        return END
    except moderation.UnknownClaim:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return None
    await refresh_index_now(context)
    await kick_outbox(context)
    await say_key(update, context, "mod.linked", id=claim_id, count=result.count)
    return END


@step
async def on_reason(update: Update, context: BotContext, draft: Draft) -> object:
    reason = await _text_within(update, context, moderation.REASON_CHARS)
    if reason is None:
        return None
    try:
        sub_id, moderator_id = int(draft["sub"]), user_id_of(update)
        count = await in_db(
            context,
            lambda session: moderation.close_group(
                session, moderation.group_key_of(session, sub_id), reason, moderator_id=moderator_id
            ),
        )
    except moderation.AlreadyResolved:
        await say_key(update, context, "mod.resolved_already")
        return END
    await kick_outbox(context)
    await say_key(update, context, "mod.nc.done", count=count)
    return END


# --- fallbacks ---------------------------------------------------------------------------------------------


async def on_cancel(update: Update, context: BotContext) -> object:
    """/cancel at any step (and outside a conversation: nothing to cancel)."""
    had = DRAFT in data_of(context)
    _store(context, user_id_of(update), None)
    await say_key(update, context, "mod.cancelled" if had else "mod.nothing_to_cancel")
    return END


@step
async def on_unexpected(update: Update, context: BotContext, draft: Draft) -> object:
    """Something the current step does not expect: ask again."""
    state = str(draft.get("step") or CLAIM)
    await prompt(update, context, draft, state)
    return None


async def on_stale_button(update: Update, context: BotContext) -> object:
    """A moderation button from an earlier step."""
    await expired(update, context)
    return None


async def on_timeout(update: object, context: BotContext) -> None:
    """The conversation was idle for CONVERSATION_TIMEOUT: drop the draft and say so."""
    if not isinstance(update, Update):
        return
    data_of(context).pop(DRAFT, None)
    if update.effective_user is not None:
        context.application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    await _say_timed_out(update, context)


# --- registration --------------------------------------------------------------------------------------------


def conversation(*, persistent: bool) -> ConversationHandler[Any]:
    """/add, /edit, /translate and the queue's buttons as one conversation (one moderator task at a time)."""
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
            CommandHandler("translate", translate_start, filters=private),
            CallbackQueryHandler(queue_link, pattern=pattern(Button.QUEUE_LINK)),
            CallbackQueryHandler(queue_new_claim, pattern=pattern(Button.QUEUE_NEW_CLAIM)),
            CallbackQueryHandler(queue_not_checkable, pattern=pattern(Button.QUEUE_NOT_CHECKABLE)),
        ],
        states={
            CLAIM: [
                MessageHandler(text, on_claim_text),
                CallbackQueryHandler(on_use_text, pattern=pattern(Button.USE_TEXT)),
            ],
            VERDICT: [CallbackQueryHandler(on_verdict, pattern=pattern(Button.VERDICT))],
            SUMMARY: [MessageHandler(text, on_summary)],
            SOURCES: [
                MessageHandler(text, on_source),
                CallbackQueryHandler(on_list_button, pattern=pattern(Button.LIST)),
            ],
            VARIANTS: [
                MessageHandler(text, on_variant),
                CallbackQueryHandler(on_list_button, pattern=pattern(Button.LIST)),
            ],
            LANGUAGE: [
                CallbackQueryHandler(on_language, pattern=pattern(Button.CLAIM_LANGUAGE)),
                MessageHandler(text, on_language_text),
            ],
            PREVIEW: [CallbackQueryHandler(on_preview_action, pattern=pattern(Button.PREVIEW))],
            FIELD: [
                CallbackQueryHandler(on_pick_field, pattern=pattern(Button.FIELD)),
                CallbackQueryHandler(on_preview_action, pattern=pattern(Button.PREVIEW) + "c"),
            ],
            LINK: [
                MessageHandler(text, on_link_query),
                CallbackQueryHandler(on_link_choice, pattern=pattern(Button.LINK)),
            ],
            REASON: [MessageHandler(text, on_reason)],
            TRANSLATED_CLAIM: [MessageHandler(text, on_translated_claim)],
            TRANSLATED_SUMMARY: [MessageHandler(text, on_translated_summary)],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
        },
        fallbacks=[
            CommandHandler("cancel", on_cancel),
            MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, on_unexpected),
            CallbackQueryHandler(on_stale_button, pattern=pattern(*MODERATION)),
        ],
        allow_reentry=True,
        conversation_timeout=CONVERSATION_TIMEOUT,
        name=CONVERSATION,
        persistent=persistent,
    )


def make_persistence(sessions: sessionmaker[Session]) -> DatabasePersistence:
    """The persistence `factbot run` needs: conversations plus the moderator's draft (nothing else)."""
    return DatabasePersistence(sessions, user_keys=PERSISTED_USER_KEYS)
