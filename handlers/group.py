"""Groups: never interrupt. Answer /check sent as a reply, a mention, and (when admins turn it on)
auto-reply only to strong matches of false or misleading claims, in one short card."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import ChatMember, Message, MessageEntity, Update
from telegram.error import TelegramError

from bot.rendering import render
from bot.services import chats
from bot.services.checks import CheckRequest, log_check
from handlers import keyboards
from handlers.check import answer_check, extract, loggable_origin, typed_text
from handlers.common import chat_type, command_args, in_db, language_for, reply_html
from handlers.context import BotContext

log = logging.getLogger(__name__)

AUTOCHECK_VERDICTS = ("false", "misleading")


async def check_command(update: Update, context: BotContext) -> None:
    """/check as a reply to a message (groups), or /check TEXT (anywhere)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    is_group = chat_type(update) != "private"
    if is_group and not within_group_budget(update, context):
        return
    lang = await language_for(context, user)
    target: Message | None = message.reply_to_message
    if target is not None:
        extracted = extract(target, group=is_group)
    elif command_args(context):
        extracted = typed_text(message, " ".join(command_args(context)), group=is_group)
    else:
        await reply_html(update, context, render.message_html(lang, "group.reply_to_check"))
        return
    await answer_check(update, context, extracted, lang)


def within_group_budget(update: Update, context: BotContext) -> bool:
    """Answers in one group stay under FACTBOT_GROUP_RATE_LIMIT a minute; beyond it the bot stays silent
    there (Telegram's own limit would only queue the replies, and the handlers waiting on it)."""
    chat = update.effective_chat
    return chat is None or context.runtime.group_answers.allow(chat.id)


def _mentions_bot(message: Message, username: str) -> bool:
    handle = "@" + username.casefold()
    return any(v.casefold() == handle for v in message.parse_entities([MessageEntity.MENTION]).values())


def _without_mention(text: str, username: str) -> str:
    return " ".join(w for w in text.split() if w.casefold() != "@" + username.casefold())


async def autocheck_enabled(context: BotContext, chat_id: int) -> bool:
    """The group's auto-check setting, cached in chat_data."""
    data = context.chat_data if context.chat_data is not None else {}
    if "autocheck" not in data:
        data["autocheck"] = await in_db(context, lambda session: chats.autocheck_enabled(session, chat_id))
    return bool(data["autocheck"])


async def group_message(update: Update, context: BotContext) -> None:
    """A group message: answered when it mentions the bot, or by auto-check; otherwise silence."""
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    if message.text and _mentions_bot(message, context.bot.username):
        await _answer_mention(update, context, message)
    elif await autocheck_enabled(context, chat.id):
        await _autocheck(update, context, message)


async def _answer_mention(update: Update, context: BotContext, message: Message) -> None:
    """A mention checks the text beside it, or the message it replies to."""
    if not within_group_budget(update, context):
        return
    lang = await language_for(context, update.effective_user)
    rest = _without_mention(message.text or "", context.bot.username)
    if rest.strip():
        extracted = typed_text(message, rest, group=True)
    elif message.reply_to_message is not None:
        extracted = extract(message.reply_to_message, group=True)
    else:
        await reply_html(update, context, render.message_html(lang, "group.reply_to_check"))
        return
    await answer_check(update, context, extracted, lang, tell_limited=False)  # never flood a group


async def _autocheck(update: Update, context: BotContext, message: Message) -> None:
    """One short card for a strong match of a false or misleading claim; silence for anything else."""
    runtime = context.runtime
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not runtime.member_autochecks.allow((chat.id, user.id)):
        return
    extracted = extract(message, group=True)
    if not extracted.text.strip():
        return
    request = CheckRequest(
        text=extracted.text,
        user_id=user.id,
        chat_type=chat.type,
        language="",  # looked up only for an answer: a bystander we stay silent to is not even a user row
        input_kind="group",
        origin=loggable_origin(extracted.origin),
        urls=extracted.urls,
        posted=extracted.posted,
    )
    outcome = await runtime.match(request)
    hits = [m for m in outcome.strong if m.claim.verdict in AUTOCHECK_VERDICTS]
    if not hits:
        return  # silence: bystanders' messages that we do not answer are not logged either
    # The same claim posted again (by anyone) within the window gets no second card.
    if not runtime.repeated_posts.first((chat.id, hits[0].claim.id)) or not runtime.group_answers.allow(chat.id):
        return
    lang = await language_for(context, user)
    request = replace(request, language=lang)
    try:
        store_text = runtime.settings.store_check_text
        outcome.check_id = await in_db(
            context, lambda session: log_check(session, request, outcome, secret=runtime.secret, store_text=store_text)
        )
    except Exception:
        log.exception("could not write the check log; answering anyway")
    await reply_html(
        update,
        context,
        render.card(hits[0].claim, lang, compact=True),
        keyboards.feedback(runtime.secret, user.id, outcome.check_id, lang),
    )


async def _is_group_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("getChatMember failed: %s", exc)
        return False
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def autocheck(update: Update, context: BotContext) -> None:
    """/autocheck on|off, for group admins."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    lang = await language_for(context, user)
    args = [a.lower() for a in command_args(context)]
    if args not in (["on"], ["off"]):
        await reply_html(update, context, render.message_html(lang, "group.autocheck_usage"))
        return
    if not await _is_group_admin(context, chat.id, user.id):
        await reply_html(update, context, render.message_html(lang, "group.admins_only"))
        return
    enabled = args == ["on"]
    await in_db(context, lambda session: chats.set_autocheck(session, chat.id, enabled))
    if context.chat_data is not None:
        context.chat_data["autocheck"] = enabled
    await reply_html(
        update, context, render.message_html(lang, "group.autocheck_on" if enabled else "group.autocheck_off")
    )
