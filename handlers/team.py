"""Moderator and admin commands outside the /add and /edit conversation: roles (/grant, /revoke,
/team), claims (/variant, /retire, /claim, /history) and the queue listing (/queue).

Each checks the role on the server first (handlers.privileged.requires)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageOriginUser, Update

from bot.rendering import render
from bot.rendering.i18n import t
from bot.services import kb_store, moderation, users
from handlers.args import optional_count, parse_user_id
from handlers.buttons import Button
from handlers.common import command_args, in_db, language_for, reply_html, send_html
from handlers.context import BotContext
from handlers.moderation import EXCERPT_CHARS
from handlers.privileged import refresh_index_now, requires, say, say_key, signed_button, user_id_of
from knowledge.schema import Claim

QUEUE_LIMIT = 5
QUEUE_MAX = 20
HISTORY_ROWS = 20


def _message_args(update: Update, parts: int) -> list[str]:
    """The command's arguments split at most `parts - 1` times (keeps a free text's spacing)."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    pieces = text.split(maxsplit=parts)
    return [p.strip() for p in pieces[1:]]


@requires("admin")
async def grant(update: Update, context: BotContext) -> None:
    """/grant <user id> moderator|admin, or as a reply to the person's message."""
    target, args = _target(update, context)
    if target is None or len(args) != 1 or args[0].lower() not in ("moderator", "admin"):
        await say_key(update, context, "mod.usage.grant")
        return
    role = args[0].lower()
    await in_db(context, lambda session: users.set_role(session, target, role))
    lang = await language_for(context, update.effective_user)
    await say(update, context, t(lang, "mod.granted", user=target, role=t(lang, f"mod.role.{role}")))


@requires("admin")
async def revoke(update: Update, context: BotContext) -> None:
    """/revoke <user id> (or as a reply): back to a regular user."""
    target, args = _target(update, context)
    if target is None or args:
        await say_key(update, context, "mod.usage.revoke")
        return
    runtime = context.runtime
    if target in runtime.settings.admin_ids:
        await say_key(update, context, "mod.revoke_env_admin", user=target)
        return

    def demote(session: Session) -> None:
        if users.get_user(session, target) is not None:
            users.set_role(session, target, "user")

    await in_db(context, demote)
    await say_key(update, context, "mod.revoked", user=target)


def _target(update: Update, context: BotContext) -> tuple[int | None, list[str]]:
    """The person a /grant or /revoke is about and the remaining arguments: the author of the message
    replied to (in a group), the sender of a forwarded message replied to, else the first argument."""
    args = command_args(context)
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is not None:
        origin = replied.forward_origin
        if isinstance(origin, MessageOriginUser) and not origin.sender_user.is_bot:
            return origin.sender_user.id, args
        author = replied.from_user
        if author is not None and not author.is_bot and author.id != user_id_of(update):
            return author.id, args
    user_id = parse_user_id(args[0]) if args else None
    if user_id is not None:
        return user_id, args[1:]
    return None, args


@requires("admin")
async def team(update: Update, context: BotContext) -> None:
    """/team: admins and moderators."""
    runtime = context.runtime
    lang = await language_for(context, update.effective_user)
    members = await in_db(context, lambda session: {u.telegram_id: u.role for u in users.team(session)})
    for admin_id in runtime.settings.admin_ids:
        members[admin_id] = "admin"
    order = sorted(members.items(), key=lambda item: (item[1] != "admin", item[0]))
    lines = [t(lang, "mod.team.title")]
    for user_id, role in order:
        note = " " + t(lang, "mod.team.from_settings") if user_id in runtime.settings.admin_ids else ""
        lines.append(f"• {user_id} — {t(lang, f'mod.role.{role}')}{note}")
    await say(update, context, "\n".join(lines))


async def _claim_id_argument(update: Update, context: BotContext, *, action: str) -> str | None:
    """The one <claim id> argument of /retire, /claim and /history (None: the usage was answered)."""
    args = command_args(context)
    if len(args) != 1:
        await say_key(update, context, f"mod.usage.{action}")
        return None
    return args[0].lower()


@requires("moderator")
async def variant(update: Update, context: BotContext) -> None:
    """/variant <id> <text>: add a wording to a claim."""
    args = _message_args(update, 2)
    if len(args) != 2 or not args[1]:
        await say_key(update, context, "mod.usage.variant")
        return
    claim_id, text = args[0].lower(), args[1]
    if len(text) > moderation.VARIANT_CHARS:
        await say_key(update, context, "mod.too_long", limit=moderation.VARIANT_CHARS)
        return
    try:
        actor = moderation.actor_for(user_id_of(update))
        added = await in_db(context, lambda session: moderation.add_variant(session, claim_id, text, actor=actor))
    except moderation.UnknownClaim:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    if added:
        await refresh_index_now(context)
    await say_key(update, context, "mod.variant.added" if added else "mod.variant.exists", id=claim_id)


@requires("moderator")
async def retire(update: Update, context: BotContext) -> None:
    """/retire <id>: no longer matched, kept for history."""
    claim_id = await _claim_id_argument(update, context, action="retire")
    if claim_id is None:
        return
    try:
        actor = moderation.actor_for(user_id_of(update))
        done = await in_db(context, lambda session: moderation.retire_claim(session, claim_id, actor=actor))
    except moderation.UnknownClaim:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    if done:
        await refresh_index_now(context)
    await say_key(update, context, "mod.retired" if done else "mod.already_retired", id=claim_id)


def _history_lines(rows: list[moderation.HistoryEntry], lang: str) -> list[str]:
    lines = []
    for row in rows:
        when = row.created_at.strftime("%Y-%m-%d %H:%M")
        fields = ", ".join(row.fields) or "—"
        lines.append(t(lang, "mod.history.row", when=when, who=row.actor, action=row.action, fields=fields))
    return lines


@requires("moderator")
async def show_claim(update: Update, context: BotContext) -> None:
    """/claim <id>: the card as users see it, its status and its latest changes."""
    claim_id = await _claim_id_argument(update, context, action="claim")
    if claim_id is None:
        return
    lang = await language_for(context, update.effective_user)

    def read(session: Session) -> tuple[Claim | None, str, list[moderation.HistoryEntry]]:
        row = kb_store.get_claim_row(session, claim_id)
        if row is None:
            return None, "", []
        return kb_store.row_to_claim(row), row.status, moderation.claim_history(session, claim_id, limit=5)

    claim, status, rows = await in_db(context, read)
    if claim is None:
        await say_key(update, context, "mod.unknown_claim", id=claim_id)
        return
    await reply_html(update, context, render.card(claim, lang))
    info = [t(lang, "mod.claim.info", id=claim_id, status=t(lang, f"mod.status.{status}"))]
    if rows:
        info.append(t(lang, "mod.history.title", id=claim_id))
        info.extend(_history_lines(rows, lang))
    await say(update, context, "\n".join(info))


@requires("moderator")
async def history(update: Update, context: BotContext) -> None:
    """/history <id>: who changed what, and when."""
    claim_id = await _claim_id_argument(update, context, action="history")
    if claim_id is None:
        return
    lang = await language_for(context, update.effective_user)
    rows, exists = await in_db(
        context,
        lambda session: (
            moderation.claim_history(session, claim_id, limit=HISTORY_ROWS),
            kb_store.get_claim_row(session, claim_id) is not None,
        ),
    )
    if not rows:
        await say_key(update, context, "mod.history.empty" if exists else "mod.unknown_claim", id=claim_id)
        return
    await say(update, context, "\n".join([t(lang, "mod.history.title", id=claim_id), *_history_lines(rows, lang)]))


def _origin_label(item: moderation.QueueItem) -> str | None:
    title, username = item.origin_title, item.origin_username
    if title and username:
        return f"{title} (@{username})"
    if username:
        return f"@{username}"
    return title


def _queue_item_html(item: moderation.QueueItem, n: int, lang: str) -> str:
    lines = [f"<b>{render.message_html(lang, 'mod.queue.item', n=n, count=item.count)}</b>"]
    lines.append(render.message_html(lang, "mod.queue.first", date=item.first_at.strftime("%Y-%m-%d %H:%M")))
    origin = _origin_label(item)
    if origin:
        lines.append(render.message_html(lang, "mod.queue.origin", origin=origin))
    if item.text.strip():
        lines.append(f"<i>«{render.esc(render.shorten(item.text, EXCERPT_CHARS))}»</i>")
    if item.has_media:
        lines.append(render.message_html(lang, "mod.queue.media"))
    return "\n".join(lines)


def _queue_buttons(context: BotContext, user_id: int, lang: str, ref: int) -> InlineKeyboardMarkup:
    """Link to a claim / New claim / Not checkable, for the group the submission `ref` belongs to."""

    def button(label: str, kind: Button) -> InlineKeyboardButton:
        return signed_button(context, user_id, t(lang, label), kind, ref)

    return InlineKeyboardMarkup(
        [
            [button("mod.button.link", Button.QUEUE_LINK)],
            [
                button("mod.button.new_claim", Button.QUEUE_NEW_CLAIM),
                button("mod.button.not_checkable", Button.QUEUE_NOT_CHECKABLE),
            ],
        ]
    )


@requires("moderator")
async def queue(update: Update, context: BotContext) -> None:
    """/queue [n]: pending posts, the same post sent by many people as one item, most requested first."""
    limit = optional_count(command_args(context), default=QUEUE_LIMIT, maximum=QUEUE_MAX)
    if limit is None:
        await say_key(update, context, "mod.usage.queue")
        return
    lang = await language_for(context, update.effective_user)
    user_id = user_id_of(update)
    pending = await in_db(context, lambda session: moderation.pending_queue(session, limit=limit))
    if not pending.items:
        await say_key(update, context, "mod.queue.empty")
        return
    await say(update, context, t(lang, "mod.queue.header", groups=pending.groups, requests=pending.requests))
    chat = update.effective_chat
    for n, item in enumerate(pending.items, 1):
        if chat is not None:
            markup = _queue_buttons(context, user_id, lang, item.submission_id)
            await send_html(context, chat.id, _queue_item_html(item, n, lang), markup=markup, user_id=user_id)
    hidden = pending.groups - len(pending.items)
    if hidden > 0:
        await say_key(update, context, "mod.queue.more", count=hidden)
