"""Moderators and admins in Telegram, end to end through the real Application and the fake Bot API:
roles, the /add conversation, /edit, /variant, /retire, /claim, /history and the queue."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import AuditLog, CheckLog, ClaimRow, ExactKey, Outbox, PersistenceRow, Submission, User
from bot.rendering import render
from bot.services import kb_store
from bot.services.keys import sign
from factbot_testing import fake_telegram as tgf
from handlers import moderation as mod_handlers
from tests.harness import (
    ADMIN_ID,
    FALSE_CLAIM_RU,
    KURSK,
    MOD_ID,
    NEW_CLAIM,
    NEW_SUMMARY,
    OTHER_USER_ID,
    USER_ID,
    Harness,
    alerts,
    cmd,
    labels,
    last_with_buttons,
    make_harness,
    say,
    sends,
    submit_post,
    texts,
)

UNRELATED = "Рецепт борща: свёкла, капуста, картофель, морковь и лук, варить два часа на медленном огне"


# --- helpers ---------------------------------------------------------------------------------------------


def count(h: Harness, model: Any, *where: Any) -> int:
    with session_scope(h.runtime.sessions) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_rows(h: Harness, claim_id: str) -> list[AuditLog]:
    with session_scope(h.runtime.sessions) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.claim_id == claim_id).order_by(AuditLog.id)))


def claim_row(h: Harness, claim_id: str) -> ClaimRow | None:
    with session_scope(h.runtime.sessions) as s:
        return kb_store.get_claim_row(s, claim_id)


def last_updated_long_ago(h: Harness, claim_id: str) -> None:
    """The entry as last edited before today, whatever date the bundled KB gives, so an edit moves it."""
    with session_scope(h.runtime.sessions) as s:
        row = kb_store.get_claim_row(s, claim_id)
        assert row is not None
        row.updated = dt.date(2025, 5, 1)


def kb_version(h: Harness) -> int:
    with session_scope(h.runtime.sessions) as s:
        return kb_store.kb_version(s)


def matched_ids(h: Harness, text: str, **kwargs: Any) -> list[str]:
    return [m.claim_id for m in h.runtime.index.matcher.match(text, **kwargs) if m.strength == "strong"]


async def add_until_preview(h: Harness, user_id: int = MOD_ID, *, claim: str = NEW_CLAIM) -> list[tgf.Call]:
    """Walk /add to the preview: claim, verdict, summary, one source, no variants, language uk."""
    assert "Send the claim as one sentence" in texts(await cmd(h, user_id, "/add"))[0]
    verdicts = last_with_buttons(await say(h, user_id, claim))
    assert labels(verdicts) == ["❌ False", "⚠️ Misleading", "❓ Unproven", "⚖️ Disputed", "✅ True", "💬 Opinion"]
    await h.press(verdicts, "False")
    await say(h, user_id, NEW_SUMMARY)
    await say(h, user_id, "StopFake: the yacht story | https://www.stopfake.org/en/yachts/")
    variants = last_with_buttons(await say(h, user_id, "done"))
    languages = last_with_buttons(await h.press(variants, "Skip"))
    assert labels(languages) == ["English", "Українська", "Русский", "Other…"]
    return await h.press(languages, "Українська")


# --- /add ------------------------------------------------------------------------------------------------


async def test_add_conversation_publishes_a_claim_the_matcher_sees_at_once(bot: Harness) -> None:
    version = kb_version(bot)
    assert "Send the claim as one sentence" in texts(await cmd(bot, MOD_ID, "/add"))[0]
    verdicts = last_with_buttons(await say(bot, MOD_ID, NEW_CLAIM))
    wrong = await say(bot, MOD_ID, "false")  # text where a button is expected: asked again
    assert labels(last_with_buttons(wrong))[0] == "❌ False"
    assert "Send the summary" in texts(await bot.press(verdicts, "Misleading"))[0]
    assert "Send the sources" in texts(await say(bot, MOD_ID, NEW_SUMMARY))[0]
    assert "at least one source" in texts(await say(bot, MOD_ID, "done"))[0]
    assert "must start with http" in texts(await say(bot, MOD_ID, "StopFake | ftp://example.org/x"))[0]
    assert "needs a title" in texts(await say(bot, MOD_ID, " | https://example.org/x"))[0]
    assert "needs a title" in texts(await say(bot, MOD_ID, "https://example.org/x"))[0]
    added = await say(bot, MOD_ID, "StopFake: the yacht story | https://www.stopfake.org/en/yachts/")
    assert "Source 1 added" in texts(added)[0]
    await say(bot, MOD_ID, "Yacht builder's statement")  # a title without a link is fine
    variants = await say(bot, MOD_ID, "DONE")
    assert "other wordings" in texts(variants)[0]
    await say(bot, MOD_ID, "Zelensky bought two yachts for 75 million dollars")
    languages = last_with_buttons(await say(bot, MOD_ID, "done"))
    other = await bot.press(languages, "Other")
    assert "two-letter" in texts(other)[0]
    assert "not a two-letter" in texts(await say(bot, MOD_ID, "russian"))[0]
    preview = await say(bot, MOD_ID, "ru")

    header, card = sends(preview)[-2:]
    assert header.params["text"].startswith("Preview — this is the card exactly as users will see it")
    claim, errors = mod_handlers.moderation.draft_to_claim(
        {
            "id": "draft",
            "claim": NEW_CLAIM,
            "lang": "ru",
            "verdict": "misleading",
            "summary": NEW_SUMMARY,
            "sources": [
                {"title": "StopFake: the yacht story", "url": "https://www.stopfake.org/en/yachts/"},
                {"title": "Yacht builder's statement"},
            ],
            "variants": ["Zelensky bought two yachts for 75 million dollars"],
            "published": dt.date.today().isoformat(),
        }
    )
    assert claim is not None, errors
    assert card.params["text"] == render.card(claim, "en")
    assert labels(card) == ["✅ Publish", "✏️ Edit a field", "✖️ Cancel"]
    assert count(bot, CheckLog) == 0  # nothing the moderator typed was fact-checked

    done = await bot.press(card, "Publish")
    slug = "zelenskii-kupil-dve-jahti-za-75-millionov-dollarov-na-dengi"
    assert texts(done)[-1] == f"Published as {slug}. It is matched from now on."
    row = claim_row(bot, slug)
    assert row is not None and row.status == "published" and row.verdict == "misleading" and row.lang == "ru"
    assert [(s.title, s.url) for s in row.sources] == [
        ("StopFake: the yacht story", "https://www.stopfake.org/en/yachts/"),
        ("Yacht builder's statement", None),
    ]
    assert [v.text for v in row.variants] == ["Zelensky bought two yachts for 75 million dollars"]
    (created,) = audit_rows(bot, slug)
    assert (created.actor, created.action, created.before) == (f"tg:{MOD_ID}", "create", None)
    assert created.after is not None and created.after["verdict"] == "misleading"
    assert kb_version(bot) == version + 1

    # The matcher sees it at once: a user forwarding the claim gets the new card.
    reply = sends(await say(bot, USER_ID, NEW_CLAIM + " — срочно!"))[0]
    assert reply.params["text"].startswith("⚠️ <b>Misleading</b>")
    assert "yacht builder" in reply.params["text"]
    # The conversation is over: its state and draft are gone from the database too.
    assert count(bot, PersistenceRow) == 0


async def test_slugs_are_unique(bot: Harness) -> None:
    for expected in ("same-claim-text", "same-claim-text-2", "same-claim-text-3"):
        preview = await add_until_preview(bot, claim="Same claim text")
        done = await bot.press(last_with_buttons(preview), "Publish")
        assert texts(done)[-1].startswith(f"Published as {expected}.")


async def test_edit_a_field_from_the_preview_then_cancel(bot: Harness) -> None:
    preview = await add_until_preview(bot)
    fields = last_with_buttons(await bot.press(last_with_buttons(preview), "Edit a field"))
    assert labels(fields) == ["Claim", "Verdict", "Summary", "Sources", "Wordings", "Language", "✖️ Cancel"]
    asked = await bot.press(fields, "Summary")
    assert f"Current value:\n{NEW_SUMMARY}" in texts(asked)[0]
    again = await say(bot, MOD_ID, "A corrected summary.")
    assert "A corrected summary." in last_with_buttons(again).params["text"]
    fields = last_with_buttons(await bot.press(last_with_buttons(again), "Edit a field"))
    sources = await bot.press(fields, "Sources")
    assert "StopFake: the yacht story | https://www.stopfake.org/en/yachts/" in texts(sources)[0]
    kept = await bot.press(last_with_buttons(sources), "Keep the current ones")
    assert "stopfake.org/en/yachts" in last_with_buttons(kept).params["text"]
    cancelled = await bot.press(last_with_buttons(kept), "Cancel")
    assert texts(cancelled) == ["Cancelled. Nothing was saved."]
    with session_scope(bot.runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.claim == NEW_CLAIM)) == 0


async def test_cancel_at_any_step_and_outside(bot: Harness) -> None:
    assert texts(await cmd(bot, MOD_ID, "/cancel")) == ["There is nothing to cancel."]
    await cmd(bot, MOD_ID, "/add")
    await say(bot, MOD_ID, NEW_CLAIM)
    assert texts(await cmd(bot, MOD_ID, "/cancel")) == ["Cancelled. Nothing was saved."]
    # The next text is an ordinary check again, and the stale verdict buttons have expired.
    reply = sends(await say(bot, MOD_ID, FALSE_CLAIM_RU))[0]
    assert reply.params["text"].startswith("❌ <b>False</b>")
    assert count(bot, PersistenceRow) == 0


async def test_an_idle_conversation_ends_also_across_a_restart(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    await cmd(bot, MOD_ID, "/add")
    await say(bot, MOD_ID, NEW_CLAIM)
    later = time.time() + mod_handlers.CONVERSATION_TIMEOUT.total_seconds() + 5
    monkeypatch.setattr(mod_handlers.time, "time", lambda: later)
    ended = await say(bot, MOD_ID, NEW_SUMMARY)
    assert texts(ended) == [
        "This task ended after 15 minutes without activity. Nothing was saved; start again when you are ready."
    ]
    assert sends(await say(bot, MOD_ID, FALSE_CLAIM_RU))[0].params["text"].startswith("❌")


async def test_the_conversation_timeout_job_says_so(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mod_handlers, "CONVERSATION_TIMEOUT", dt.timedelta(seconds=0.3))
    h = make_harness(db_url, persistent=True)
    async with h.app:
        await h.app.start()
        try:
            await cmd(h, ADMIN_ID, "/add")
            await say(h, ADMIN_ID, NEW_CLAIM)
            before = len(h.fake.calls)
            # The timeout job runs on the job queue's clock; wait for its message, not for a guessed time.
            await h.fake.wait_until(
                lambda: any("without activity" in t for t in texts(h.fake.calls[before:])), timeout=10
            )
            assert sends(await say(h, ADMIN_ID, FALSE_CLAIM_RU))[0].params["text"].startswith("❌")
        finally:
            await h.app.stop()
    h.runtime.close()
    assert h.errors == []


# --- roles ---------------------------------------------------------------------------------------------

PRIVILEGED = [
    ("/grant", f"{OTHER_USER_ID} moderator", "admin"),
    ("/revoke", str(MOD_ID), "admin"),
    ("/team", "", "admin"),
    ("/add", "", "moderator"),
    ("/edit", KURSK, "moderator"),
    ("/variant", f"{KURSK} another wording of it", "moderator"),
    ("/retire", KURSK, "moderator"),
    ("/claim", KURSK, "moderator"),
    ("/history", KURSK, "moderator"),
    ("/queue", "", "moderator"),
]


def snapshot(h: Harness) -> tuple[Any, ...]:
    """What a refused command must not change."""
    with session_scope(h.runtime.sessions) as s:
        roles = sorted((u.telegram_id, u.role) for u in s.scalars(select(User)) if u.role != "user")
        kursk = kb_store.get_claim(s, KURSK)
        status = s.scalar(select(ClaimRow.status).where(ClaimRow.id == KURSK))
        return roles, kursk, status, kb_store.kb_version(s), s.scalar(select(func.count()).select_from(AuditLog))


async def test_every_privileged_command_checks_the_role(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    await say(bot, USER_ID, "hello")  # the user exists, with the role "user"
    before = snapshot(bot)
    caplog.set_level(logging.WARNING, logger="handlers.privileged")
    for name, args, needed in PRIVILEGED:
        refused = await cmd(bot, USER_ID, name, args)
        assert texts(refused) == ["Not allowed."], name
        if needed == "admin":
            assert texts(await cmd(bot, MOD_ID, name, args)) == ["Not allowed."], name
    assert snapshot(bot) == before
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(refusals) == len(PRIVILEGED) + 3
    assert all(str(USER_ID) not in r.getMessage() and str(MOD_ID) not in r.getMessage() for r in refusals)
    # The same commands work for those allowed (each checked in detail below).
    assert texts(await cmd(bot, MOD_ID, "/claim", KURSK))[0].startswith("❌ <b>False</b>")
    assert texts(await cmd(bot, ADMIN_ID, "/team"))[0].startswith("Team:")


async def test_every_privileged_button_checks_the_role(bot: Harness) -> None:
    sub_id = await submit_post(bot, USER_ID, UNRELATED, message_id=501)
    # The user's own validly signed queue buttons: not allowed, nothing starts, nothing changes.
    for action in ("l", "n", "x"):
        data = sign("test-secret", USER_ID, f"mq:{action}:{sub_id}")
        calls = await bot.send(tgf.callback(USER_ID, data, message_id=9))
        assert alerts(calls) == ["Not allowed."] and not sends(calls)
    # A moderator's button pressed by someone else has expired (signed for the moderator only).
    queue = await cmd(bot, MOD_ID, "/queue")
    item = last_with_buttons(queue)
    calls = await bot.press(item, "Not checkable", user_id=USER_ID)
    assert alerts(calls) == ["This button has expired."] and not sends(calls)
    # Conversation buttons too: a moderator demoted in the middle of /add is stopped at the next step.
    await cmd(bot, MOD_ID, "/add")
    verdicts = last_with_buttons(await say(bot, MOD_ID, NEW_CLAIM))
    await cmd(bot, ADMIN_ID, "/revoke", str(MOD_ID))
    assert alerts(await bot.press(verdicts, "False")) == ["Not allowed."]
    assert sends(await say(bot, MOD_ID, FALSE_CLAIM_RU))[0].params["text"].startswith("❌")  # a plain check again
    with session_scope(bot.runtime.sessions) as s:
        assert s.get(Submission, sub_id).status == "pending"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.claim == NEW_CLAIM)) == 0


async def test_grant_revoke_and_team(bot: Harness) -> None:
    usage = texts(await cmd(bot, ADMIN_ID, "/grant"))
    assert usage[0].startswith("Usage: /grant")
    assert texts(await cmd(bot, ADMIN_ID, "/grant", "abc moderator"))[0].startswith("Usage: /grant")
    assert texts(await cmd(bot, ADMIN_ID, "/grant", "4001 superuser"))[0].startswith("Usage: /grant")
    assert texts(await cmd(bot, ADMIN_ID, "/grant", "4001 moderator")) == ["User 4001 is now moderator."]
    # By replying to a message forwarded from the person.
    forwarded = tgf.forwarded_from_user(ADMIN_ID, "hi", origin_user_id=4002)
    granted = await cmd(bot, ADMIN_ID, "/grant", "admin", reply_to=forwarded)
    assert texts(granted) == ["User 4002 is now admin."]
    # In a team group, by replying to the person's own message.
    their_message = tgf.group_text(-100777, 4003, "I can help")
    reply = tgf.group_command(-100777, ADMIN_ID, "/grant", "moderator", reply_to=their_message)
    assert texts(await bot.send(reply)) == ["User 4003 is now moderator."]
    team = texts(await cmd(bot, ADMIN_ID, "/team"))[0]
    assert team.splitlines() == [
        "Team:",
        "• 1000 — admin (FACTBOT_ADMIN_IDS)",
        "• 4002 — admin",
        "• 3000 — moderator",
        "• 4001 — moderator",
        "• 4003 — moderator",
    ]
    # The new moderator can work the queue at once; revoked, they cannot.
    assert texts(await cmd(bot, 4001, "/queue")) == ["The queue is empty. 🎉"]
    assert texts(await cmd(bot, ADMIN_ID, "/revoke", "4001")) == ["User 4001 is now a regular user."]
    assert texts(await cmd(bot, 4001, "/queue")) == ["Not allowed."]
    assert "FACTBOT_ADMIN_IDS" in texts(await cmd(bot, 4002, "/revoke", str(ADMIN_ID)))[0]
    assert texts(await cmd(bot, ADMIN_ID, "/revoke"))[0].startswith("Usage: /revoke")


# --- the queue ---------------------------------------------------------------------------------------------


async def test_queue_groups_the_same_post_most_requested_first(bot: Harness) -> None:
    for user in (5001, 5002, 5003):
        await submit_post(bot, user, UNRELATED + " <b>", message_id=11)
    await submit_post(bot, 5004, "Совсем другой пост про погоду в Одессе и цены на хлеб", message_id=12)
    for user in (5005, 5006):
        await submit_post(bot, user, "", message_id=13, photo="PHOTO-Q")
    queue = await cmd(bot, MOD_ID, "/queue")
    header, *items = texts(queue)
    assert header == "Pending: 3 posts, 6 requests. Most requested first:"
    assert [i.splitlines()[0] for i in items] == [
        "<b>#1 · 3 requests</b>",
        "<b>#2 · 2 requests</b>",
        "<b>#3 · 1 request</b>",
    ]
    assert "From: Rumours &lt;daily&gt; (@rumours)" in items[0]
    assert f"<i>«{render.esc(UNRELATED)} &lt;b&gt;»</i>" in items[0]
    assert "📎 With a photo or another file" in items[1] and "«" not in items[1]
    assert labels(sends(queue)[1]) == ["🔗 Link to a claim", "➕ New claim", "🚫 Not checkable"]
    limited = texts(await cmd(bot, MOD_ID, "/queue", "1"))
    assert len(limited) == 3 and limited[-1] == "…and 2 more posts. Resolve these, then send /queue again."
    assert texts(await cmd(bot, MOD_ID, "/queue", "many"))[0].startswith("Usage: /queue")


async def test_link_a_group_to_a_claim(bot: Harness) -> None:
    post = "Срочно! Наши источники: над водохранилищем ночью видели странные огни, власти молчат"
    subs = [await submit_post(bot, user, post, message_id=21) for user in (5001, 5002, 5003)]
    version = kb_version(bot)
    item = last_with_buttons(await cmd(bot, MOD_ID, "/queue"))
    asked = await bot.press(item, "Link to a claim")
    assert texts(asked) == ["Send a search text or a claim id to link 3 requests to."]
    assert texts(await say(bot, MOD_ID, "qwzx vbnm")) == ["Nothing found. Send other words or a claim id."]
    found = last_with_buttons(await say(bot, MOD_ID, "Курская область иностранная помощь"))
    assert f"1. {KURSK}" in found.params["text"]
    by_id = last_with_buttons(await say(bot, MOD_ID, KURSK))
    assert by_id.params["text"].splitlines()[1] == f"1. {KURSK}"
    fake_before = len(bot.fake.calls)
    done = await bot.press(by_id, 0)
    assert f"Linked 3 requests to {KURSK}" in texts(done)[-1]
    with session_scope(bot.runtime.sessions) as s:
        rows = [s.get(Submission, i) for i in subs]
        assert [(r.status, r.claim_id, r.resolved_by) if r else None for r in rows] == [("linked", KURSK, MOD_ID)] * 3
        assert [r.resolved_at is not None if r else None for r in rows] == [True] * 3
        assert s.get(ExactKey, "tg:-1001112223334:21").claim_id == KURSK  # type: ignore[union-attr]
        row = kb_store.get_claim_row(s, KURSK)
        assert row is not None and [v.text for v in row.variants].count(post) == 1
    (link,) = [a for a in audit_rows(bot, KURSK) if a.action == "link"]
    assert link.actor == f"tg:{MOD_ID}" and link.fields == ["variants"]
    assert kb_version(bot) == version + 1
    # Every requester is told once, with the card.
    notified = [c for c in bot.fake.calls[fake_before:] if c.method == "sendMessage" and c.params["chat_id"] != MOD_ID]
    assert sorted(c.params["chat_id"] for c in notified) == [5001, 5002, 5003]
    assert all("You asked about this on" in c.params["text"] and "❌" in c.params["text"] for c in notified)
    # The same post forwarded again — with another text, even — is answered from exact memory.
    again = tgf.forwarded_from_channel(
        5009, "Подписывайтесь на наш канал!", channel_id=-1001112223334, channel_message_id=21
    )
    reply = sends(await bot.send(again))[0]
    assert reply.params["text"].startswith("❌ <b>False</b>")
    # The queue item is gone; its old buttons say so.
    assert texts(await cmd(bot, MOD_ID, "/queue")) == ["The queue is empty. 🎉"]
    assert alerts(await bot.press(item, "Not checkable")) == ["This item has already been resolved."]


async def test_a_linked_photo_without_text_is_answered_from_exact_memory(bot: Harness) -> None:
    await submit_post(bot, 5001, "", message_id=31, photo="PHOTO-LINK")
    await submit_post(bot, 5002, "", message_id=31, photo="PHOTO-LINK")
    item = last_with_buttons(await cmd(bot, MOD_ID, "/queue"))
    await bot.press(item, "Link")
    await bot.press(last_with_buttons(await say(bot, MOD_ID, KURSK)), 0)
    with session_scope(bot.runtime.sessions) as s:
        keys = set(s.scalars(select(ExactKey.key).where(ExactKey.claim_id == KURSK)))
        assert {"tg:-1001112223334:31", "file:PHOTO-LINK"} <= keys
        assert [v.text for v in kb_store.get_claim_row(s, KURSK).variants if not v.text.strip()] == []  # type: ignore[union-attr]
    # Someone sends the same photo without a caption, not even forwarded from the channel.
    reply = sends(await bot.send(tgf.photo(5010, file_unique_id="PHOTO-LINK")))[0]
    assert reply.params["text"].startswith("❌ <b>False</b>")


async def test_not_checkable_closes_the_group_with_a_reason(bot: Harness) -> None:
    subs = [await submit_post(bot, user, UNRELATED, message_id=41) for user in (5001, 5002)]
    version = kb_version(bot)
    item = last_with_buttons(await cmd(bot, MOD_ID, "/queue"))
    asked = await bot.press(item, "Not checkable")
    assert "will be told this reason" in texts(asked)[0]
    before = len(bot.fake.calls)
    done = await say(bot, MOD_ID, "It is a recipe, not a claim of fact.")
    assert texts(done)[-1].startswith("Closed 2 requests as not checkable")
    with session_scope(bot.runtime.sessions) as s:
        rows = [s.get(Submission, i) for i in subs]
        assert {(r.status, r.reason, r.resolved_by) for r in rows if r} == {
            ("not_checkable", "It is a recipe, not a claim of fact.", MOD_ID)
        }
    assert kb_version(bot) == version  # the KB did not change
    told = [c for c in bot.fake.calls[before:] if c.method == "sendMessage" and c.params["chat_id"] in (5001, 5002)]
    assert len(told) == 2 and all("It is a recipe, not a claim of fact." in c.params["text"] for c in told)


async def test_new_claim_from_the_queue_links_the_group_on_publish(bot: Harness) -> None:
    post = "Зеленский купил две яхты за 75 миллионов долларов — пишут СМИ"
    subs = [await submit_post(bot, user, post, message_id=51) for user in (5001, 5002)]
    item = last_with_buttons(await cmd(bot, MOD_ID, "/queue"))
    prefilled = last_with_buttons(await bot.press(item, "New claim"))
    assert f"«{post}»" in prefilled.params["text"] and labels(prefilled) == ["Use the post's text"]
    verdicts = last_with_buttons(await bot.press(prefilled, "Use the post's text"))
    await bot.press(verdicts, "False")
    await say(bot, MOD_ID, NEW_SUMMARY)
    await say(bot, MOD_ID, "StopFake | https://www.stopfake.org/en/yachts/")
    await say(bot, MOD_ID, "done")
    await say(bot, MOD_ID, "skip")
    preview = await bot.press(last_with_buttons(sends(bot.fake.calls[-1:])), "Русский")
    before = len(bot.fake.calls)
    done = await bot.press(last_with_buttons(preview), "Publish")
    slug = "zelenskii-kupil-dve-jahti-za-75-millionov-dollarov-pishut"
    assert texts(done)[-1] == f"Published as {slug} and linked to 2 requests; the people who asked will be notified."
    with session_scope(bot.runtime.sessions) as s:
        assert {(r.status, r.claim_id) for r in (s.get(Submission, i) for i in subs) if r} == {("linked", slug)}
        assert s.get(ExactKey, "tg:-1001112223334:51").claim_id == slug  # type: ignore[union-attr]
        assert [v.text for v in kb_store.get_claim_row(s, slug).variants] == []  # type: ignore[union-attr]
    assert [a.action for a in audit_rows(bot, slug)] == ["create", "link"]
    told = [c for c in bot.fake.calls[before:] if c.method == "sendMessage" and c.params["chat_id"] in (5001, 5002)]
    assert len(told) == 2


# --- edit, variant, retire, claim, history ------------------------------------------------------------------


async def test_edit_verdict_saves_audits_and_notifies_recent_readers(bot: Harness) -> None:
    assert sends(await say(bot, USER_ID, FALSE_CLAIM_RU))[0].params["text"].startswith("❌")  # USER_ID got the card
    assert texts(await cmd(bot, MOD_ID, "/edit"))[0] == render.esc("Usage: /edit <claim id>")
    assert texts(await cmd(bot, MOD_ID, "/edit", "no-such-claim")) == ["There is no claim with the id «no-such-claim»."]
    last_updated_long_ago(bot, KURSK)
    started = await cmd(bot, MOD_ID, "/edit", KURSK)
    assert texts(started)[0] == f"Editing {KURSK}."
    verdicts = last_with_buttons(await bot.press(last_with_buttons(started), "Verdict"))
    preview = await bot.press(verdicts, "Misleading")
    card = last_with_buttons(preview)
    assert card.params["text"].startswith("⚠️ <b>Misleading</b>") and labels(card)[0] == "✅ Save"
    before = len(bot.fake.calls)
    saved = await bot.press(card, "Save")
    assert texts(saved)[-1] == f"Saved {KURSK} (changed: updated, verdict)."
    row = claim_row(bot, KURSK)
    assert row is not None and row.verdict == "misleading" and row.updated == dt.datetime.now(dt.UTC).date()
    update = audit_rows(bot, KURSK)[-1]
    assert (update.actor, update.action, update.fields) == (f"tg:{MOD_ID}", "update", ["updated", "verdict"])
    assert update.before["verdict"] == "false" and update.after["verdict"] == "misleading"  # type: ignore[index]
    # The matcher serves the new verdict at once, and the user who got the old card is told.
    notice = [c for c in bot.fake.calls[before:] if c.method == "sendMessage" and c.params["chat_id"] == USER_ID]
    assert len(notice) == 1 and "corrected" in notice[0].params["text"]
    assert count(bot, Outbox, Outbox.kind != "") >= 1
    assert sends(await say(bot, OTHER_USER_ID, FALSE_CLAIM_RU))[0].params["text"].startswith("⚠️ <b>Misleading</b>")
    history = texts(await cmd(bot, MOD_ID, "/history", KURSK))[0].splitlines()
    assert history[0] == f"History of {KURSK}:"
    assert history[1].endswith(f" UTC · tg:{MOD_ID} · update · updated, verdict")
    assert " UTC · seed · create · claim, " in history[-1]


async def test_edit_text_fields_and_an_edit_that_changes_nothing(bot: Harness) -> None:
    last_updated_long_ago(bot, KURSK)
    started = await cmd(bot, MOD_ID, "/edit", KURSK)
    asked = await bot.press(last_with_buttons(started), "Summary")
    assert texts(asked)[0].startswith("Current value:\n")
    preview = await say(bot, MOD_ID, "North Korean troops fought in Kursk region, as both sides confirmed.")
    fields = last_with_buttons(await bot.press(last_with_buttons(preview), "Edit a field"))
    wordings = await bot.press(fields, "Wordings")
    await say(bot, MOD_ID, "Курскую область освободили без помощи союзников")
    preview = await say(bot, MOD_ID, "done")
    saved = await bot.press(last_with_buttons(preview), "Save")
    assert texts(saved)[-1] == f"Saved {KURSK} (changed: summary, updated, variants)."
    assert [v.text for v in claim_row(bot, KURSK).variants] == ["Курскую область освободили без помощи союзников"]  # type: ignore[union-attr]
    assert wordings  # the prompt was sent
    # Nothing changed: nothing saved, no audit row.
    rows = len(audit_rows(bot, KURSK))
    started = await cmd(bot, MOD_ID, "/edit", KURSK)
    verdicts = last_with_buttons(await bot.press(last_with_buttons(started), "Verdict"))
    unchanged = await bot.press(last_with_buttons(await bot.press(verdicts, "False")), "Save")
    assert texts(unchanged)[-1] == "Nothing changed; nothing was saved."
    assert len(audit_rows(bot, KURSK)) == rows


async def test_edit_refuses_to_overwrite_a_change_made_meanwhile(bot: Harness) -> None:
    started = await cmd(bot, MOD_ID, "/edit", KURSK)
    verdicts = last_with_buttons(await bot.press(last_with_buttons(started), "Verdict"))
    card = last_with_buttons(await bot.press(verdicts, "True"))
    await cmd(bot, ADMIN_ID, "/variant", f"{KURSK} Россия сама освободила Курскую область")
    conflict = await bot.press(card, "Save")
    assert (
        texts(conflict)[-1]
        == f"{KURSK} was changed by someone else meanwhile. Nothing was saved; start again with /edit {KURSK}."
    )
    assert claim_row(bot, KURSK).verdict == "false"  # type: ignore[union-attr]


async def test_variant_retire_claim_and_history_commands(bot: Harness) -> None:
    wording = "Курщину освобождают исключительно российские войска, иностранцев там нет"
    assert texts(await cmd(bot, MOD_ID, "/variant", KURSK))[0].startswith("Usage: /variant")
    assert texts(await cmd(bot, MOD_ID, "/variant", f"nope {wording}")) == ["There is no claim with the id «nope»."]
    assert texts(await cmd(bot, MOD_ID, "/variant", f"{KURSK} {wording}")) == [f"Wording added to {KURSK}."]
    assert texts(await cmd(bot, MOD_ID, "/variant", f"{KURSK}   {wording}")) == [f"{KURSK} already has this wording."]
    assert KURSK in matched_ids(bot, wording)
    shown = texts(await cmd(bot, MOD_ID, "/claim", KURSK))
    assert shown[0].startswith("❌ <b>False</b>")
    assert shown[1].splitlines()[0] == f"{KURSK} · status: published"
    assert shown[1].splitlines()[2].endswith(f"tg:{MOD_ID} · update · variants")
    assert texts(await cmd(bot, MOD_ID, "/claim"))[0] == render.esc("Usage: /claim <claim id>")
    assert texts(await cmd(bot, MOD_ID, "/claim", "nope")) == ["There is no claim with the id «nope»."]
    assert texts(await cmd(bot, MOD_ID, "/history", "nope")) == ["There is no claim with the id «nope»."]
    assert texts(await cmd(bot, MOD_ID, "/history", "a b"))[0] == render.esc("Usage: /history <claim id>")

    assert texts(await cmd(bot, MOD_ID, "/retire", "nope")) == ["There is no claim with the id «nope»."]
    assert texts(await cmd(bot, MOD_ID, "/retire"))[0] == render.esc("Usage: /retire <claim id>")
    retired = texts(await cmd(bot, MOD_ID, "/retire", KURSK))
    assert retired == [f"{KURSK} is retired: it is no longer matched, and its history is kept."]
    assert texts(await cmd(bot, MOD_ID, "/retire", KURSK)) == [f"{KURSK} is already retired."]
    assert KURSK not in matched_ids(bot, FALSE_CLAIM_RU) and KURSK not in matched_ids(bot, wording)
    reply = sends(await say(bot, USER_ID, FALSE_CLAIM_RU))[0]
    assert not reply.params["text"].startswith("❌ <b>False</b>")
    row = claim_row(bot, KURSK)
    assert row is not None and row.status == "retired"  # kept, with its history
    assert [a.action for a in audit_rows(bot, KURSK)] == ["create", "update", "retire"]
    assert audit_rows(bot, KURSK)[-1].fields == ["status"]
    assert texts(await cmd(bot, MOD_ID, "/claim", KURSK))[1].startswith(f"{KURSK} · status: retired")
