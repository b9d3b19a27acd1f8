"""Proof that tests/fake_telegram.py behaves like the Bot API for a real PTB Application."""

from __future__ import annotations

import asyncio
import csv
import datetime as dtm
import io
import time
import warnings
from typing import Any

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from factbot_testing import fake_telegram as ft
from factbot_testing.fake_telegram import FakeTelegram, make_application, running

pytestmark = pytest.mark.asyncio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# -- the Application round trip -------------------------------------------------------------


async def test_echo_private_text() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        assert app.bot.username == ft.BOT_USERNAME
        assert app.bot.id == ft.BOT_ID
        assert app.bot.supports_inline_queries and app.bot.can_join_groups
        await app.process_update(Update.de_json(ft.private_text(42, "привет 👋"), app.bot))
    assert fake.methods() == ["getMe", "sendMessage"]
    call = fake.last("sendMessage")
    assert call.params == {"chat_id": 42, "text": "привет 👋"}
    assert fake.sent_texts() == ["привет 👋"]
    assert call.result["chat"] == {"id": 42, "type": "private", "first_name": "User42"}
    assert isinstance(call.result["date"], int)
    assert fake.initialize_count == 1 and fake.shutdown_count == 1


async def test_sent_message_is_parsed_back_with_markup() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="fb:1:up")]])
    async with app:
        first = await app.bot.send_message(42, "one", reply_markup=markup)
        second = await app.bot.send_message(-1001234, "two", reply_parameters=None)
    assert second.message_id == first.message_id + 1
    assert first.reply_markup == markup
    assert first.from_user is not None and first.from_user.is_bot
    assert second.chat.type == "supergroup"
    assert fake.last("sendMessage").params["chat_id"] == -1001234
    assert fake.calls_of("sendMessage")[0].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "👍", "callback_data": "fb:1:up"}]]
    }


async def test_forwarded_channel_post_exposes_origin() -> None:
    seen: list[MessageOriginChannel] = []

    async def on_forward(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        origin = update.message.forward_origin
        assert isinstance(origin, MessageOriginChannel)
        seen.append(origin)
        await update.message.reply_text(f"{origin.chat.username}/{origin.message_id}")

    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(MessageHandler(filters.FORWARDED, on_forward))
    payload = ft.forwarded_from_channel(
        7,
        "Zelenskiy kupil dve yahty",
        channel_id=-1001111111111,
        channel_username="rumours",
        channel_title="Rumours",
        channel_message_id=321,
        author_signature="Ivan",
    )
    async with running(app):
        await ft.feed(app, payload)
    (origin,) = seen
    assert origin.chat.id == -1001111111111
    assert origin.chat.username == "rumours"
    assert origin.chat.title == "Rumours"
    assert origin.chat.type == "channel"
    assert origin.message_id == 321
    assert origin.author_signature == "Ivan"
    assert fake.sent_texts() == ["rumours/321"]


async def test_forwarded_caption_and_other_origins() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    async with app:
        post = ft.to_update(ft.forwarded_from_channel(7, "caption text", caption=True), app)
        assert post.message is not None
        assert post.message.caption == "caption text" and post.message.text is None
        assert post.message.photo[-1].file_unique_id == "AQADfwdphoto"

        user = ft.to_update(ft.forwarded_from_user(7, "hi", origin_user_id=5, origin_username="x"), app)
        assert user.message is not None
        assert isinstance(user.message.forward_origin, MessageOriginUser)
        assert user.message.forward_origin.sender_user.username == "x"

        hidden = ft.to_update(ft.forwarded_from_hidden_user(7, "hi", "Anon Name"), app)
        assert hidden.message is not None
        assert isinstance(hidden.message.forward_origin, MessageOriginHiddenUser)
        assert hidden.message.forward_origin.sender_user_name == "Anon Name"

        chat = ft.to_update(ft.forwarded_from_chat(7, "hi", chat_id=-1005, chat_title="G"), app)
        assert chat.message is not None
        assert isinstance(chat.message.forward_origin, MessageOriginChat)
        assert chat.message.forward_origin.sender_chat.id == -1005


async def test_media_and_misc_builders_parse() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    async with app:
        bot = app.bot
        msg = ft.to_update(ft.photo(1, caption="c", file_unique_id="PH1"), bot).message
        assert msg is not None and msg.photo[-1].file_unique_id == "PH1" and msg.caption == "c"
        msg = ft.to_update(ft.video(1, caption="v", file_unique_id="V1"), bot).message
        assert msg is not None and msg.video is not None and msg.video.file_unique_id == "V1"
        msg = ft.to_update(ft.document(1, file_name="a.csv", mime_type="text/csv"), bot).message
        assert msg is not None and msg.document is not None
        assert msg.document.file_name == "a.csv"
        msg = ft.to_update(ft.sticker(1), bot).message
        assert msg is not None and msg.sticker is not None and msg.sticker.emoji == "👍"
        msg = ft.to_update(ft.voice(1, duration=9), bot).message
        assert msg is not None and msg.voice is not None
        msg = ft.to_update(ft.poll(1, "Q?", ["a", "b", "c"]), bot).message
        assert msg is not None and msg.poll is not None and len(msg.poll.options) == 3
        edited = ft.to_update(ft.edited_text(1, 77, "fixed"), bot)
        assert edited.edited_message is not None
        assert edited.edited_message.message_id == 77 and edited.edited_message.edit_date
        msg = ft.to_update(ft.photo(1, forward_origin=ft.channel_origin(-1002, 9)), bot).message
        assert msg is not None and isinstance(msg.forward_origin, MessageOriginChannel)
    a, b = ft.private_text(1, "a"), ft.private_text(1, "b")
    assert b["update_id"] == a["update_id"] + 1
    assert b["message"]["message_id"] == a["message"]["message_id"] + 1
    ft.reset_ids(100)
    assert ft.private_text(1, "c")["update_id"] == 100


async def test_commands_and_group_messages() -> None:
    checked: list[str] = []

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.reply_to_message is not None
        target = update.message.reply_to_message
        checked.append(target.text or "")
        assert isinstance(target.forward_origin, MessageOriginChannel)
        await update.message.reply_text("checked")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"args={context.args}")

    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("check", check, filters.REPLY))
    async with app:
        await ft.feed(app, ft.command(5, "/start", "ref_abc"))
        post = ft.forwarded_from_channel(6, "claim text")
        await ft.feed(app, ft.group_command(-1009, 5, "/check", reply_to=post, with_username=True))
        mention = ft.to_update(ft.group_text(-1009, 5, "Правда? 🤔", mention_bot=True), app)
    assert fake.sent_texts() == ["args=['ref_abc']", "checked"]
    assert checked == ["claim text"]
    assert fake.last("sendMessage").params["chat_id"] == -1009
    assert mention.message is not None
    assert mention.message.chat.type == "supergroup"
    mentions = mention.message.parse_entities([MessageEntity.MENTION])
    assert list(mentions.values()) == ["@factbot_test_bot"]


async def test_callback_query_is_answerable() -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("thanks")
        await query.edit_message_text(f"voted {query.data}")

    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(CallbackQueryHandler(on_button))
    payload = ft.callback(42, "fb:up", message_id=555, message_text="verdict card")
    async with app:
        await ft.feed(app, payload)
    answer = fake.last("answerCallbackQuery")
    assert answer.params == {
        "callback_query_id": payload["callback_query"]["id"],
        "text": "thanks",
    }
    edit = fake.last("editMessageText")
    assert edit.params["chat_id"] == 42 and edit.params["message_id"] == 555
    assert edit.result["message_id"] == 555
    assert fake.sent_texts() == ["voted fb:up"]


async def test_inline_query_results_are_parsed() -> None:
    async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        await update.inline_query.answer(
            [
                InlineQueryResultArticle(
                    id="claim-1",
                    title="False",
                    input_message_content=InputTextMessageContent("<b>False</b>", parse_mode="HTML"),
                )
            ],
            cache_time=0,
        )

    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(InlineQueryHandler(on_inline))
    async with app:
        await ft.feed(app, ft.inline_query(42, "yacht"))
    call = fake.last("answerInlineQuery")
    (result,) = call.params["results"]
    assert result["id"] == "claim-1" and result["type"] == "article"
    assert result["input_message_content"] == {"message_text": "<b>False</b>", "parse_mode": "HTML"}
    assert call.params["cache_time"] == 0


async def test_uploads_are_captured() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    buf = io.StringIO()
    csv.writer(buf).writerows([["claim", "verdict"], ["yachts", "false"]])
    async with app:
        sent = await app.bot.send_photo(42, photo=PNG, caption="chart", filename="chart.png")
        await app.bot.send_document(42, document=buf.getvalue().encode(), filename="stats.csv")
        album = await app.bot.send_media_group(42, [InputMediaPhoto(PNG), InputMediaPhoto(PNG)])
        await app.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("check", "Check")])
        commands = await app.bot.get_my_commands()
    photo = fake.last("sendPhoto").params["photo"]
    assert isinstance(photo, ft.UploadedFile)
    assert photo.filename == "chart.png" and photo.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert sent.caption == "chart" and sent.photo[-1].file_size == len(PNG)
    doc = fake.last("sendDocument").params["document"]
    assert doc.filename == "stats.csv"
    assert list(csv.reader(io.StringIO(doc.content.decode()))) == [
        ["claim", "verdict"],
        ["yachts", "false"],
    ]
    media = fake.last("sendMediaGroup").params["media"]
    assert [m["media"].content[:4] for m in media] == [b"\x89PNG", b"\x89PNG"]
    assert len(album) == 2
    assert fake.last("setMyCommands").params["commands"][1] == {
        "command": "check",
        "description": "Check",
    }
    assert [c.command for c in commands] == ["start", "check"]


# -- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "exc_type", "message"),
    [
        (ft.retry_after(7), RetryAfter, None),
        (ft.forbidden(), Forbidden, "Forbidden: bot was blocked by the user"),
        (ft.bad_request("Bad Request: message is too long"), BadRequest, "Message is too long"),
        (
            ft.bad_request("Bad Request: can't parse entities: Unsupported start tag"),
            BadRequest,
            "Can't parse entities: unsupported start tag",
        ),
        (ft.timeout(), TimedOut, None),
        (ft.network_error(), NetworkError, None),
    ],
)
async def test_injected_faults_raise(
    fault: ft.Fault, exc_type: type[Exception], message: str | None
) -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    async with app:
        fake.fail_next("sendMessage", fault)
        with pytest.raises(exc_type) as info:
            await app.bot.send_message(42, "hello")
        assert type(info.value) is exc_type
        if message is not None:
            assert info.value.message == message  # type: ignore[attr-defined]
        if isinstance(info.value, RetryAfter):
            assert _retry_seconds(info.value) == 7
        ok = await app.bot.send_message(42, "again")  # the fault was used up
    assert ok.text == "again"
    first, second = fake.calls_of("sendMessage")
    assert first.failed and first.error and not second.failed
    assert fake.sent_texts() == ["again"]


async def test_fault_times_and_wildcard() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    async with app:
        fake.fail_next("sendMessage", ft.timeout(), times=2)
        fake.fail_next("*", ft.network_error())
        for _ in range(2):
            with pytest.raises(TimedOut):
                await app.bot.send_message(1, "x")
        with pytest.raises(NetworkError):
            await app.bot.answer_callback_query("1")
        assert fake.pending_faults() == 0
        await app.bot.send_message(1, "x")
    assert [c.failed for c in fake.calls_of("sendMessage")] == [True, True, False]


async def test_rate_limiter_retries_are_counted() -> None:
    fake = FakeTelegram()
    app = make_application(fake, rate_limiter=AIORateLimiter(max_retries=2))
    async with app:
        fake.fail_next("sendMessage", ft.retry_after(0.01), times=2)
        msg = await app.bot.send_message(42, "eventually")
    assert msg.text == "eventually"
    assert [c.failed for c in fake.calls_of("sendMessage")] == [True, True, False]


async def test_block_chat() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    async with app:
        fake.block_chat(42)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(42, "hi")
        with pytest.raises(Forbidden):
            await app.bot.send_photo("42", PNG)
        await app.bot.send_message(43, "other chat works")
        await app.bot.answer_callback_query("q1")  # no chat_id: not affected
        fake.block_chat(-1009)
        with pytest.raises(Forbidden, match="kicked"):
            await app.bot.send_message(-1009, "hi")
        fake.unblock_chat(42)
        await app.bot.send_message(42, "back")
    assert fake.sent_texts() == ["other chat works", "back"]
    assert len(fake.calls_of("sendMessage", include_failed=False)) == 2


async def test_validation_like_telegram() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    bot = app.bot
    async with app:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(1, "x" * 4097)
        await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(1, "  ")
        with pytest.raises(BadRequest, match='entities: unsupported start tag "br" at byte offset 1'):
            await bot.send_message(1, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match="entities: can't find end tag"):
            await bot.send_message(1, "<b>bold", parse_mode="HTML")
        with pytest.raises(BadRequest, match="unsupported start tag"):
            await bot.send_message(1, "1 < 2 > 0", parse_mode="HTML")  # escape with html.escape
        sent = await bot.send_message(1, "<b>A &amp; B</b> 1 &lt; 2", parse_mode="HTML")
        assert sent.text == "A & B 1 < 2"
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_photo(1, PNG, caption="c" * 1025)
        long_data = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(1, "x", reply_markup=long_data)
        card = await bot.send_message(1, "card")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("card", chat_id=1, message_id=card.message_id)
        await bot.edit_message_text("card v2", chat_id=1, message_id=card.message_id)
        results = [
            InlineQueryResultArticle("same", "t", InputTextMessageContent("m")) for _ in range(2)
        ]
        with pytest.raises(BadRequest, match="Result_id_duplicate"):
            await bot.answer_inline_query("q", results)
    relaxed = FakeTelegram(validate=False)
    app2 = make_application(relaxed)
    async with app2:
        await app2.bot.send_message(1, "x" * 5000)


async def test_respond_and_collect_errors() -> None:
    fake = FakeTelegram()
    fake.respond("getChatMemberCount", lambda params: 12)
    app = make_application(fake)
    errors = ft.collect_errors(app)

    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("handler failed")

    app.add_handler(MessageHandler(filters.TEXT, boom))
    async with app:
        assert await app.bot.get_chat_member_count(-1001) == 12
        chat = await app.bot.get_chat(-1001)
        assert chat.type == "supergroup"
        await ft.feed(app, ft.private_text(1, "x"))
    assert [str(e) for e in errors] == ["handler failed"]


# -- concurrency and load -------------------------------------------------------------------


async def test_concurrent_sends_get_unique_ids() -> None:
    fake = FakeTelegram(latency=0.001)
    app = make_application(fake)
    async with app:
        messages = await asyncio.gather(*(app.bot.send_message(i, f"m{i}") for i in range(1, 301)))
    assert len({m.message_id for m in messages}) == 300
    assert sorted(m.chat.id for m in messages) == list(range(1, 301))


async def test_thousand_updates_through_process_update() -> None:
    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    payloads = [ft.private_text(1000 + i % 50, f"claim number {i}") for i in range(1000)]
    async with app:
        fake.clear()
        started = time.perf_counter()
        for payload in payloads:
            await app.process_update(Update.de_json(payload, app.bot))
        elapsed = time.perf_counter() - started
    print(f"\nfake_telegram: 1000 updates in {elapsed:.3f}s = {1000 / elapsed:,.0f} updates/s")
    assert len(fake.calls_of("sendMessage")) == 1000
    assert fake.sent_texts()[-1] == "claim number 999"


async def test_counts_without_recording() -> None:
    fake = FakeTelegram(record=False)
    app = make_application(fake)
    async with app:
        fake.fail_next("sendMessage", ft.forbidden())
        with pytest.raises(Forbidden):
            await app.bot.send_message(1, "x")
        for _ in range(3):
            await app.bot.send_message(1, "x")
    assert fake.calls == []
    assert fake.count("sendMessage") == 4
    assert fake.count("sendmessage", failed=True) == 1
    assert fake.count("sendMessage", failed=False) == 3


async def test_thousand_concurrent_updates() -> None:
    fake = FakeTelegram()
    app = make_application(fake, concurrent_updates=64)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    payloads = [ft.private_text(2000 + i, f"claim {i}") for i in range(1000)]
    async with running(app, start=True):
        started = time.perf_counter()
        for payload in payloads:
            await app.update_queue.put(Update.de_json(payload, app.bot))
        await fake.wait_for("sendMessage", 1000, timeout=30)
        elapsed = time.perf_counter() - started
    print(f"\nfake_telegram: 1000 queued updates (64 concurrent) in {elapsed:.3f}s")
    assert sorted(c.params["chat_id"] for c in fake.calls_of("sendMessage")) == list(
        range(2000, 3000)
    )
