"""The bot in private chats, end to end through a real Application and the fake Bot API."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import CheckLog, Feedback, Submission, User
from bot.rendering.i18n import LANGUAGES, catalog
from bot.services import users
from bot.services.keys import sign
from factbot_testing import fake_telegram as tgf
from tests.harness import ADMIN_ID, FALSE_CLAIM_RU, OTHER_USER_ID, USER_ID, Harness, make_harness

MOD_LOSSES_RU = (
    "Минобороны: потери ВСУ в Курской области составили 67 150 военнослужащих, 392 танка, "
    "2428 артиллерийских орудий и 52 реактивные установки"
)
UNRELATED = "Рецепт борща: свёкла, капуста, картофель, морковь и лук, варить два часа на медленном огне"


def only_sends(calls: list[tgf.Call]) -> list[tgf.Call]:
    return [c for c in calls if c.method == "sendMessage"]


def buttons(call: tgf.Call) -> list[dict[str, str]]:
    return [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


def checks(h: Harness) -> list[CheckLog]:
    with session_scope(h.runtime.sessions) as s:
        return list(s.scalars(select(CheckLog).order_by(CheckLog.id)))


async def test_start_help_about_privacy_in_english(tg: Harness) -> None:
    for name, needle in (("/start", "Forward me a post"), ("/help", "/language"), ("/privacy", "/forget_me")):
        sent = only_sends(await tg.send(tgf.command(USER_ID, name)))
        assert len(sent) == 1 and needle in sent[0].params["text"]
    about = only_sends(await tg.send(tgf.command(USER_ID, "/about")))[0].params["text"]
    assert re.search(r"Knowledge base: \d+ claims, last updated \d{4}-\d{2}-\d{2}", about)


async def test_help_adds_the_team_commands_for_moderators_and_admins_in_private(tg: Harness) -> None:
    async def help_for(user_id: int) -> str:
        (sent,) = only_sends(await tg.send(tgf.command(user_id, "/help")))
        return str(sent.params["text"])

    public = await help_for(USER_ID)
    assert "/language" in public and "/queue" not in public and "/grant" not in public
    with session_scope(tg.runtime.sessions) as s:
        users.ensure_user(s, OTHER_USER_ID, admin_ids=())
        users.set_role(s, OTHER_USER_ID, "moderator")
    moderator = await help_for(OTHER_USER_ID)
    assert "/queue — posts waiting for an answer" in moderator and "/edit &lt;id&gt;" in moderator
    assert "/grant" not in moderator
    admin = await help_for(ADMIN_ID)
    assert "/queue" in admin and "/export [from] [to]" in admin
    # Groups see the public help only: the team's commands are not advertised there.
    (in_group,) = only_sends(await tg.send(tgf.group_command(-100555, OTHER_USER_ID, "/help")))
    assert "/queue" not in in_group.params["text"] and "/check" in in_group.params["text"]


async def test_language_from_telegram_and_from_language_command(tg: Harness) -> None:
    uk = only_sends(await tg.send(tgf.command(3001, "/start", language_code="uk")))[0].params["text"]
    assert uk.startswith("Вітаю!")
    ru = only_sends(await tg.send(tgf.command(3002, "/start", language_code="ru-RU")))[0].params["text"]
    assert ru.startswith("Здравствуйте!")
    menu = only_sends(await tg.send(tgf.command(USER_ID, "/language")))[0]
    assert [b["text"] for b in buttons(menu)] == ["English", "Українська", "Русский"]
    await tg.press(menu, "Українська")
    with session_scope(tg.runtime.sessions) as s:
        assert s.get(User, USER_ID).language == "uk"  # type: ignore[union-attr]
    again = only_sends(await tg.send(tgf.command(USER_ID, "/help")))[0].params["text"]
    assert "/language — обрати мову" in again


async def test_strong_match_gets_a_verdict_card_with_sources_and_feedback(tg: Harness) -> None:
    calls = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    (card,) = only_sends(calls)
    text = card.params["text"]
    assert card.params["parse_mode"] == "HTML"
    assert card.params["link_preview_options"] == {"is_disabled": True}  # the application's default
    assert text.startswith("❌ <b>False</b>")
    assert "North Korean" in text  # the summary
    assert "<b>Sources:</b>" in text and "• " in text
    assert "<b>Matched in your message:</b>" in text
    assert [b["text"] for b in buttons(card)] == ["👍 Helpful", "👎 Not helpful"]
    assert card.params["reply_parameters"]["message_id"] > 0
    log = checks(tg)
    assert len(log) == 1 and log[0].result == "strong" and log[0].input_kind == "text"
    assert log[0].matches[0]["claim_id"] == "kursk-no-foreign-help"
    assert log[0].user_key != str(USER_ID) and len(log[0].user_key) == 64


async def test_a_forwarded_posts_original_date_is_matched_as_the_posts_date(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = tg.runtime.matcher()
    real_match = matcher.match
    posted: list[object] = []

    def recording_match(text: str, **kwargs: Any) -> Any:
        posted.append(kwargs.get("posted"))
        return real_match(text, **kwargs)

    monkeypatch.setattr(matcher, "match", recording_match)
    published = int(dt.datetime(2024, 8, 20, 9, 30, tzinfo=dt.UTC).timestamp())
    text = "Суджа освобождена, ВСУ отступили из Курской области"
    await tg.send(tgf.forwarded_from_channel(USER_ID, text, forward_origin=tgf.channel_origin(date=published)))
    await tg.send(tgf.private_text(USER_ID, text))
    assert posted == [dt.date(2024, 8, 20), None]  # a typed text has no publication date


GAME_REVIEW = (
    "🎮 REVIEW: «Iron Contract» (PC/PS5)\n\nYou run a company of mercenaries in a made-up 17th-century Europe: "
    "hire, pay, bury, repeat.\n\n👎 late game turns into a gold grind, and a 340-page lore codex nobody asked "
    "for\n\nVerdict: 8/10."
)
CEASEFIRE_ASIA = (
    "Індія та Пакистан погодилися на повне припинення вогню після кількох днів взаємних ударів. Найближчими "
    "днями мають зустрітися військові представники обох країн."
)
NPP_POWER = "На Курской АЭС-2 первый энергоблок выведен на 100% мощности."  # not the attack on the plant
GUEVO_COUNTER = "Контратака ВСУ у Гуево удалась: российские подразделения отошли, бои продолжаются."


@pytest.mark.parametrize(("text", "day"), [(GAME_REVIEW, dt.date(2025, 3, 11)), (CEASEFIRE_ASIA, dt.date(2025, 3, 9))])
async def test_a_forwards_date_alone_never_makes_a_match(tg: Harness, text: str, day: dt.date) -> None:
    typed = only_sends(await tg.send(tgf.private_text(USER_ID, text)))
    published = int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp())
    forwarded = only_sends(
        await tg.send(tgf.forwarded_from_channel(USER_ID, text, forward_origin=tgf.channel_origin(date=published)))
    )
    for sent in (typed, forwarded):  # a claim published that day, but the post is about something else
        assert "Our knowledge base has nothing on this yet." in sent[0].params["text"]


@pytest.mark.parametrize(("text", "day"), [(NPP_POWER, dt.date(2024, 8, 20)), (GUEVO_COUNTER, dt.date(2025, 3, 28))])
async def test_a_forwards_date_does_not_turn_a_related_post_into_a_verdict(
    tg: Harness, text: str, day: dt.date
) -> None:
    published = int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp())  # a near claim's day
    await tg.send(tgf.private_text(USER_ID, text))
    await tg.send(tgf.forwarded_from_channel(USER_ID, text, forward_origin=tgf.channel_origin(date=published)))
    typed, forwarded = checks(tg)
    assert typed.matches and typed.result != "strong"  # the words alone: "may be related"
    assert (
        forwarded.result == typed.result
        and [m["claim_id"] for m in forwarded.matches][:1] == [m["claim_id"] for m in typed.matches][:1]
    )


async def test_forwarded_channel_post_gets_card_and_channel_reputation(tg: Harness) -> None:
    post = tgf.forwarded_from_channel(
        USER_ID,
        "‼️ Бойцы «Шквала» из 129-й бригады ТрО ВСУ — бывшие зэки из украинских колоний, им разрешили грабить "
        "и расстреливать мирных жителей Курской области 👉 Подписывайтесь @avc_group",
        channel_id=-1001234567890,
        channel_username="avc_group_example",
        channel_title="AVC Group",
        channel_message_id=77,
    )
    sends = only_sends(await tg.send(post))
    text = "\n".join(c.params["text"] for c in sends)
    assert "❓ <b>Unproven</b>" in text
    # AVC Group is the origin of three bundled entries: the Shkval story (unproven), the recruitment of
    # criminals (misleading) and the "lawless mercenaries" framing (false).
    assert "This channel has spread 3 claims in our knowledge base (1 false)." in text
    log = checks(tg)[-1]
    assert (log.input_kind, log.origin_chat_id, log.origin_title) == ("forward", -1001234567890, "AVC Group")


async def test_other_forward_origins_and_captions_are_checked(tg: Harness) -> None:
    for payload in (
        tgf.forwarded_from_user(USER_ID, FALSE_CLAIM_RU),
        tgf.forwarded_from_hidden_user(USER_ID, FALSE_CLAIM_RU, "Someone"),
        tgf.forwarded_from_chat(USER_ID, FALSE_CLAIM_RU),
        tgf.photo(USER_ID, caption=FALSE_CLAIM_RU),
        tgf.video(USER_ID, caption=FALSE_CLAIM_RU),
        tgf.document(USER_ID, caption=FALSE_CLAIM_RU),
    ):
        sends = only_sends(await tg.send(payload))
        assert sends and sends[0].params["text"].startswith("❌ <b>False</b>"), payload
    kinds = [c.input_kind for c in checks(tg)]
    assert kinds == ["forward", "forward", "forward", "caption", "caption", "caption"]


async def test_edited_message_is_checked_again(tg: Harness) -> None:
    first = await tg.send(tgf.private_text(USER_ID, UNRELATED))
    assert "has nothing on this yet" in only_sends(first)[0].params["text"]
    edited = await tg.send(tgf.edited_text(USER_ID, 5, FALSE_CLAIM_RU))
    assert only_sends(edited)[0].params["text"].startswith("❌")
    assert len(checks(tg)) == 2


async def test_no_match_is_honest_and_offers_moderators(tg: Harness) -> None:
    original = tgf.forwarded_from_channel(
        USER_ID,
        UNRELATED,
        channel_id=-100555,
        channel_username="cooking",
        channel_title="Cooking",
        channel_message_id=9,
    )
    (reply,) = only_sends(await tg.send(original))
    text = reply.params["text"]
    assert "Our knowledge base has nothing on this yet" in text
    assert text.count("\n• ") == 3  # three concrete ways to check
    assert [b["text"] for b in buttons(reply)] == ["Send to moderators"]
    calls = await tg.press(reply, "Send to moderators", original=original)
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert any("Sent to the moderators" in t for t in tg.texts(calls))
    with session_scope(tg.runtime.sessions) as s:
        (sub,) = s.scalars(select(Submission)).all()
        assert (sub.user_id, sub.text, sub.origin_chat_id, sub.origin_message_id) == (USER_ID, UNRELATED, -100555, 9)
        assert sub.group_key == "tg:-100555:9" and sub.language == "en" and sub.status == "pending"
    again = await tg.press(reply, "Send to moderators", original=original)
    assert any("already sent this" in t for t in tg.texts(again))
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1


async def test_media_without_text_says_what_can_be_checked(tg: Harness) -> None:
    for payload in (tgf.photo(USER_ID), tgf.sticker(USER_ID), tgf.voice(USER_ID), tgf.poll(USER_ID)):
        (reply,) = only_sends(await tg.send(payload))
        assert "I can check text and captions" in reply.params["text"]
        assert [b["text"] for b in buttons(reply)] == ["Send to moderators"]
    photo = tgf.photo(USER_ID, file_unique_id="PHOTO-1")
    (reply,) = only_sends(await tg.send(photo))
    await tg.press(reply, "Send to moderators", original=photo)
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalars(select(Submission.file_unique_id)).all() == ["PHOTO-1"]


async def test_possible_matches_offer_buttons_that_open_cards(db_url: str) -> None:
    h = make_harness(db_url, FACTBOT_MATCH_STRONG="100", FACTBOT_MATCH_POSSIBLE="10")
    async with h.app:
        (reply,) = only_sends(await h.send(tgf.private_text(USER_ID, MOD_LOSSES_RU)))
        assert reply.params["text"].startswith("We have no exact match, but this may be related to:")
        labels = [b["text"] for b in buttons(reply)]
        assert 2 <= len(labels) <= 4 and labels[-1] == "None of these"
        assert len(labels) - 1 <= 3
        opened = only_sends(await h.press(reply, 0))
        assert opened[0].params["text"].split("\n")[0].endswith("</b>")
        assert [b["text"] for b in buttons(opened[0])] == ["👍 Helpful", "👎 Not helpful"]
        offer = only_sends(await h.press(reply, "None of these"))
        assert [b["text"] for b in buttons(offer[0])] == ["Send to moderators"]
    h.runtime.close()
    assert h.errors == []


async def test_feedback_is_stored_with_its_check(tg: Harness) -> None:
    (card,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    await tg.press(card, "👍")
    (card2,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    calls = await tg.press(card2, "👎")
    edit = next(c for c in calls if c.method == "editMessageReplyMarkup")
    reasons = [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert reasons == ["Wrong claim", "Outdated", "Other"]
    log = checks(tg)
    with session_scope(tg.runtime.sessions) as s:
        votes = s.scalars(select(Feedback).order_by(Feedback.id)).all()
        assert [(v.check_id, v.value) for v in votes][:2] == [(log[0].id, "up"), (log[1].id, "down")]
        assert votes[0].claim_id == "kursk-no-foreign-help"


async def test_not_helpful_on_an_inline_message_edits_it_by_its_inline_id(tg: Harness) -> None:
    only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    check_id = checks(tg)[0].id
    data = sign("test-secret", USER_ID, f"fb:{check_id}:d")
    calls = await tg.send(tgf.callback(USER_ID, data, message_id=0, inline_message_id="inl-7"))
    edit = next(c for c in calls if c.method == "editMessageReplyMarkup")
    assert edit.params["inline_message_id"] == "inl-7" and "chat_id" not in edit.params
    assert checks(tg)[0].feedback == "down"
    assert tg.errors == []


async def test_feedback_reason_button(tg: Harness) -> None:
    (card,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    check_id = checks(tg)[0].id
    data = sign("test-secret", USER_ID, f"fr:{check_id}:w")
    calls = await tg.send(tgf.callback(USER_ID, data, message_id=card.result["message_id"]))
    assert any(c.method == "answerCallbackQuery" and "noted" in (c.params.get("text") or "") for c in calls)
    row = checks(tg)[0]
    assert (row.feedback, row.feedback_reason) == ("down", "wrong_claim")
    # A changed mind (or a redelivered press) replaces the vote: still one row for the check.
    for vote in ("u", "u"):
        await tg.send(tgf.callback(USER_ID, sign("test-secret", USER_ID, f"fb:{check_id}:{vote}"), message_id=1))
    row = checks(tg)[0]
    assert (row.feedback, row.feedback_reason) == ("up", None)
    with session_scope(tg.runtime.sessions) as s:
        votes = s.scalars(select(Feedback)).all()
        assert [(v.check_id, v.value, v.reason, v.claim_id) for v in votes] == [
            (check_id, "up", None, "kursk-no-foreign-help")
        ]


async def test_forged_foreign_and_stale_buttons_have_expired(tg: Harness) -> None:
    (card,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    check_id = checks(tg)[0].id
    cases = [
        "fb:1:u:000000000000",  # forged signature
        "garbage",
        "",
        sign("test-secret", OTHER_USER_ID, f"fb:{check_id}:u"),  # signed for someone else
        sign("test-secret", USER_ID, "fb:999999:u"),  # stale: no such check
        sign("test-secret", USER_ID, f"pc:{check_id}:7"),  # no such suggestion
        sign("test-secret", USER_ID, "lang:xx"),
    ]
    for data in cases:
        calls = await tg.send(tgf.callback(USER_ID, data, message_id=card.result["message_id"]))
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answers and answers[0].params["text"] == "This button has expired.", data
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == 0


async def test_user_text_is_escaped(tg: Harness) -> None:
    nasty = "<b>bold</b> & <script>alert(1)</script> *markdown* _x_ " + FALSE_CLAIM_RU
    (card,) = only_sends(await tg.send(tgf.private_text(USER_ID, nasty)))
    assert "<script>" not in card.params["text"]
    assert "&lt;script&gt;" in card.params["text"] or "script" not in card.params["text"]


async def test_kb_text_is_escaped_and_long_cards_fit_telegram(db_url: str, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    summary = "Tags like <b> & <i> must show as text. " * 300
    sources = "\n".join(f'      - {{title: "Source {i} <x>", publisher: "P&Q"}}' for i in range(8))
    (kb / "x.yaml").write_text(
        f"""claims:
  - id: html-claim
    claim: "Bananas <b>cure</b> everything & more, says the fruit channel"
    verdict: "false"
    summary: "{summary}"
    sources:
{sources}
""",
        encoding="utf-8",
    )
    h = make_harness(db_url, FACTBOT_KB_DIR=str(kb))
    async with h.app:
        from bot.services import kb_store
        from knowledge.loader import load

        with session_scope(h.runtime.sessions) as s:
            kb_store.import_claims(s, load([kb]).claims)
        h.runtime.refresh_index()
        sends = only_sends(
            await h.send(tgf.private_text(USER_ID, "Bananas cure everything and more, says the fruit channel"))
        )
        assert sends
        for call in sends:
            assert len(call.params["text"]) <= 4096
            assert "<b>cure</b>" not in call.params["text"]
        text = sends[0].params["text"]
        assert "Bananas &lt;b&gt;cure&lt;/b&gt; everything &amp; more" in text
        assert text.count("• Source") == 5 and "and 3 more sources" in text
    h.runtime.close()
    assert h.errors == []


async def test_rate_limit_gives_a_friendly_reply(db_url: str) -> None:
    h = make_harness(db_url, FACTBOT_RATE_LIMIT="3")
    async with h.app:
        for _ in range(3):
            assert not any(
                "a lot of messages" in t for t in h.texts(await h.send(tgf.private_text(USER_ID, UNRELATED)))
            )
        fourth = h.texts(await h.send(tgf.private_text(USER_ID, UNRELATED)))
        assert fourth == ["You are sending a lot of messages. Please wait a minute and try again."]
        other = h.texts(await h.send(tgf.private_text(OTHER_USER_ID, UNRELATED)))
        assert "a lot of messages" not in other[0]
    h.runtime.close()


async def test_empty_and_unknown_commands(tg: Harness) -> None:
    (reply,) = only_sends(await tg.send(tgf.private_text(USER_ID, "   \n\t  ")))
    assert "Send me the text of a post" in reply.params["text"]
    (reply,) = only_sends(await tg.send(tgf.command(USER_ID, "/nonsense")))
    assert "/language" in reply.params["text"]
    (reply,) = only_sends(await tg.send(tgf.command(USER_ID, "/notifications", args="maybe")))
    assert "Use /notifications on or /notifications off." == reply.params["text"]
    await tg.send(tgf.command(USER_ID, "/notifications", args="off"))
    with session_scope(tg.runtime.sessions) as s:
        assert s.get(User, USER_ID).notifications is False  # type: ignore[union-attr]


def placeholders(strings: dict[str, str | dict[str, str]], key: str) -> set[str]:
    """The {names} a message fills in, over all its plural forms and the messages it embeds ({@key})."""
    message = strings[key]
    forms = [message] if isinstance(message, str) else [v for k, v in message.items() if k != "by"]
    names = {name for form in forms for name in re.findall(r"{(\w+)}", form)}
    embedded = {name for form in forms for name in re.findall(r"{@([\w.]+)}", form)}
    return names.union(*(placeholders(strings, name) for name in embedded))


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    english = catalog("en")
    for lang in LANGUAGES:
        strings = catalog(lang)
        assert set(strings) == set(english), lang
        for key in strings:
            assert placeholders(strings, key) == placeholders(english, key), (lang, key)
    for lang in LANGUAGES:
        json.dumps(catalog(lang))


async def test_forget_me_erases_only_that_user_after_confirmation(tg: Harness) -> None:
    for user in (USER_ID, OTHER_USER_ID):
        await tg.send(tgf.private_text(user, FALSE_CLAIM_RU))
        original = tgf.private_text(user, UNRELATED)
        (offer,) = only_sends(await tg.send(original))
        await tg.press(offer, "Send to moderators", original=original)
    (confirm,) = only_sends(await tg.send(tgf.command(USER_ID, "/forget_me")))
    assert [b["text"] for b in buttons(confirm)] == ["Yes, erase", "Cancel"]
    await tg.press(confirm, "Cancel")
    assert len(checks(tg)) == 4
    calls = await tg.press(confirm, "Yes, erase")
    assert any(c.method == "editMessageText" and c.params["text"] == "Done: your data has been erased." for c in calls)
    mine = {c.user_key for c in checks(tg)}
    assert len(checks(tg)) == 2 and len(mine) == 1
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalars(select(Submission.user_id)).all() == [OTHER_USER_ID]
        assert s.get(User, USER_ID) is None and s.get(User, OTHER_USER_ID) is not None


async def test_hash_mode_keeps_no_text_in_the_log(db_url: str) -> None:
    h = make_harness(db_url, FACTBOT_LOG_TEXT="hash")
    async with h.app:
        original = tgf.private_text(USER_ID, UNRELATED)
        (offer,) = only_sends(await h.send(original))
        await h.press(offer, "Send to moderators", original=original)
        (row,) = checks(h)
        assert row.text is None and row.text_len == len(UNRELATED) and len(row.text_hash or "") == 64
        with session_scope(h.runtime.sessions) as s:  # the submission still has the text moderators need
            assert s.scalars(select(Submission.text)).all() == [UNRELATED]
    h.runtime.close()


async def test_a_card_is_logged_with_its_delivery_and_a_second_card_moves_the_delivery_on(tg: Harness) -> None:
    from bot.db.models import CardDelivery
    from handlers.buttons import Button

    (first,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    with session_scope(tg.runtime.sessions) as s:
        (delivery,) = s.scalars(select(CardDelivery).where(CardDelivery.user_id == USER_ID)).all()
        claim_id, sent_at = delivery.claim_id, delivery.last_sent_at
    (second,) = only_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU + "!")))
    logged = checks(tg)
    assert [c.result for c in logged] == ["strong", "strong"]
    assert all(c.matches[0]["claim_id"] == claim_id for c in logged)
    for card, check in ((first, logged[0]), (second, logged[1])):  # feedback goes to the check just logged
        payloads = {b["callback_data"].rsplit(":", 1)[0] for b in buttons(card) if "callback_data" in b}
        assert {f"{Button.FEEDBACK.value}:{check.id}:u", f"{Button.FEEDBACK.value}:{check.id}:d"} <= payloads
    with session_scope(tg.runtime.sessions) as s:
        (delivery,) = s.scalars(select(CardDelivery).where(CardDelivery.user_id == USER_ID)).all()
        assert delivery.claim_id == claim_id and delivery.last_sent_at >= sent_at
