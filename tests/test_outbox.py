"""Follow-ups through the outbox: enqueue dedupe, opt-outs, delivery exactly once through a real
Application's bot and the fake Bot API, blocked users, retries, crashes and concurrent workers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_sessionmaker, session_scope
from bot.db.models import CardDelivery, Outbox, Submission, User, utcnow
from bot.services import kb_store, outbox
from bot.services.submissions import submit
from factbot_testing import fake_telegram as tgf
from handlers import delivery
from tests.harness import Harness, make_harness

CLAIM_ID = "kursk-sudzha-recaptured"
OTHER_CLAIM_ID = "kursk-no-foreign-help"
GROUP = "tg:-1001234567890:42"
ASKED_ON = dt.datetime(2025, 3, 14, 9, 30)
A, B, C, D, E = 3001, 3002, 3003, 3004, 3005


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    harness = make_harness(db_url)
    async with harness.app:
        yield harness
    harness.runtime.close()


def add_user(session: Session, user_id: int, *, language: str | None = None, **flags: bool) -> None:
    session.add(
        User(
            telegram_id=user_id,
            language=language,
            notifications=flags.get("notifications", True),
            blocked=flags.get("blocked", False),
        )
    )


def ask(session: Session, user_id: int, *, group: str = GROUP, language: str = "en", text: str = "post") -> Submission:
    row, _ = submit(session, user_id=user_id, text=text, language=language)
    row.group_key = group
    row.created_at = ASKED_ON
    session.flush()
    return row


def resolve(
    session: Session, *, group: str = GROUP, claim_id: str | None = CLAIM_ID, reason: str | None = None
) -> None:
    for row in session.scalars(select(Submission).where(Submission.group_key == group)):
        row.status = "linked" if claim_id else "not_checkable"
        row.claim_id = claim_id
        row.reason = reason
        row.resolved_at = utcnow()


def rows(h: Harness) -> list[Outbox]:
    with session_scope(h.runtime.sessions) as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


def sends_to(h: Harness, user_id: int) -> list[str]:
    return h.fake.sent_texts(user_id)


async def deliver(h: Harness, **kwargs: Any) -> delivery.DeliveryReport:
    return await delivery.deliver_pending(h.app.bot, h.runtime.sessions, **kwargs)


# --- enqueue ------------------------------------------------------------------------------------


async def test_enqueue_resolved_once_per_requester_and_skips_opted_out_users(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        add_user(s, A)
        add_user(s, B, notifications=False)
        add_user(s, C, blocked=True)
        for user_id in (A, B, C, D):  # D never got a users row: defaults (notifications on)
            ask(s, user_id)
        ask(s, E, group="text:another-post")  # another queue item, still pending
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 0  # nothing resolved yet
        resolve(s)
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 2
    with session_scope(h.runtime.sessions) as s:
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 0  # twice -> once
        assert outbox.enqueue_submission_resolved(s, group_key="text:another-post") == 0
    got = {r.user_id: r for r in rows(h)}
    assert set(got) == {A, B, C, D}
    assert {u: r.status for u, r in got.items()} == {A: "pending", B: "skipped", C: "skipped", D: "pending"}
    assert got[B].last_error == "notifications are off" and got[C].last_error == "the user blocked the bot"
    assert got[A].kind == "resolved"
    assert got[A].payload["claim_id"] == CLAIM_ID and got[A].payload["asked_on"] == "2025-03-14"
    assert got[A].dedupe_key.startswith("resolved:")


async def test_a_user_who_sent_the_post_twice_is_told_once(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        first = ask(s, A)
        first.status = "not_checkable"  # e.g. an earlier round already closed, then they sent it again
        ask(s, A)
        resolve(s, claim_id=None, reason="a private conversation")
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 1
    assert len(rows(h)) == 1


# --- delivery -----------------------------------------------------------------------------------


async def test_every_requester_gets_the_card_with_the_date_exactly_once(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        add_user(s, C, language="uk")
        for user_id in (A, B, C):
            ask(s, user_id, language="ru" if user_id == B else "en")
        resolve(s)
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 3

    report = await deliver(h)
    assert (report.sent, report.skipped, report.retried, report.failed) == (3, 0, 0, 0)
    again = await deliver(h)
    assert again.total == 0
    with session_scope(h.runtime.sessions) as s:
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 0
    assert (await deliver(h)).total == 0

    for user_id in (A, B, C):
        assert len(sends_to(h, user_id)) == 1, user_id
    english = sends_to(h, A)[0]
    assert "You asked about this on 2025-03-14." in english
    assert "✅ <b>True</b>" in english and "Sudzha" in english  # the card itself
    assert h.fake.last("sendMessage").params["parse_mode"] == "HTML"
    assert "2025-03-14" in sends_to(h, B)[0] and "You asked" not in sends_to(h, B)[0]  # Russian
    assert "2025-03-14" in sends_to(h, C)[0] and "You asked" not in sends_to(h, C)[0]  # Ukrainian (chosen)
    assert {r.status for r in rows(h)} == {"sent"}
    with session_scope(h.runtime.sessions) as s:  # they got the card: a later correction reaches them
        assert s.get(CardDelivery, (A, CLAIM_ID)) is not None
        correct(s, CLAIM_ID, verdict="misleading", summary="Corrected.", at=utcnow())
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 3


async def test_not_checkable_reason_is_escaped(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s, claim_id=None, reason="opinion <b>only</b> & no facts")
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == 1
    assert (await deliver(h)).sent == 1
    (text,) = sends_to(h, A)
    assert "could not check it: opinion &lt;b&gt;only&lt;/b&gt; &amp; no facts" in text
    assert "2025-03-14" in text


async def test_a_blocked_requester_is_marked_and_skipped(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "CONCURRENCY", 1)  # A's second row is claimed after the first was refused
    with session_scope(h.runtime.sessions) as s:
        for user_id in (A, B):
            ask(s, user_id)
        resolve(s)
        ask(s, A, group="text:second")
        resolve(s, group="text:second", claim_id=OTHER_CLAIM_ID)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
        outbox.enqueue_submission_resolved(s, group_key="text:second")
    h.fake.block_chat(A)

    report = await deliver(h)
    assert report.sent == 1 and report.skipped == 2 and report.retried == 0  # both of A's rows
    assert len(sends_to(h, B)) == 1
    assert len(h.fake.calls_of("sendMessage")) == 2  # one refused, one sent: A's second row never tried
    with session_scope(h.runtime.sessions) as s:
        user = s.get(User, A)
        assert user is not None and user.blocked
    assert (await deliver(h, now=utcnow() + dt.timedelta(days=1))).total == 0
    assert {r.user_id: r.status for r in rows(h) if r.user_id == A} == {A: "skipped"}


@pytest.mark.parametrize(
    "fault", [tgf.retry_after(2), tgf.timeout(), tgf.network_error()], ids=["retry_after", "timeout", "network"]
)
async def test_a_failed_send_is_retried_later_and_sent_once(
    h: Harness, fault: tgf.Fault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "CONCURRENCY", 1)  # one send at a time: the run stops at the failure
    with session_scope(h.runtime.sessions) as s:
        for user_id in (A, B):
            ask(s, user_id)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    h.fake.fail_next("sendMessage", fault)
    now = utcnow()

    first = await deliver(h, now=now)
    assert first.retried == 1 and first.sent == 0  # the run stops: the other row waits, untouched
    failed_row = next(r for r in rows(h) if r.attempts == 1)
    assert failed_row.status == "pending" and failed_row.last_error
    assert failed_row.next_attempt_at >= now + dt.timedelta(seconds=2)

    second = await deliver(h, now=now)  # the other row goes; the failed one is not due yet
    assert second.sent == 1 and second.retried == 0
    third = await deliver(h, now=now + dt.timedelta(hours=1))
    assert third.sent == 1
    assert (await deliver(h, now=now + dt.timedelta(days=1))).total == 0
    assert len(sends_to(h, A)) == 1 and len(sends_to(h, B)) == 1
    assert {r.status for r in rows(h)} == {"sent"}


async def test_a_failure_among_concurrent_sends_loses_nothing_and_doubles_nothing(h: Harness) -> None:
    users = list(range(5000, 5020))
    with session_scope(h.runtime.sessions) as s:
        for user_id in users:
            ask(s, user_id)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    h.fake.latency = 0.002
    h.fake.fail_next("sendMessage", tgf.timeout())
    h.fake.fail_next("sendMessage", tgf.retry_after(1))
    now = utcnow()
    first = await deliver(h, now=now)
    assert first.retried == 2 and first.sent < len(users)
    later = await deliver(h, now=now + dt.timedelta(hours=1))
    assert first.sent + later.sent == len(users) and later.retried == 0
    for user_id in users:
        assert len(sends_to(h, user_id)) == 1


async def test_after_max_attempts_a_row_is_failed_and_kept(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    h.fake.fail_next("sendMessage", tgf.timeout(), times=outbox.MAX_ATTEMPTS)
    now = utcnow()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        report = await deliver(h, now=now + dt.timedelta(days=attempt))
        assert report.retried + report.failed == 1
    (row,) = rows(h)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert sends_to(h, A) == []
    with session_scope(h.runtime.sessions) as s:
        assert outbox.requeue_failed(s) == 1
    assert (await deliver(h, now=now + dt.timedelta(days=30))).sent == 1


async def test_rejected_markup_falls_back_to_plain_text(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    h.fake.fail_next("sendMessage", tgf.bad_request("Bad Request: can't parse entities: unexpected end tag"))
    assert (await deliver(h)).sent == 1
    (text,) = sends_to(h, A)
    assert "<b>" not in text and "You asked about this on 2025-03-14." in text
    assert "parse_mode" not in h.fake.last("sendMessage").params


async def test_a_row_that_cannot_be_rendered_is_failed_and_the_others_still_go(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
        s.add(Outbox(user_id=B, kind="from-a-newer-version", payload={}, dedupe_key="odd:1", status="pending",
                     attempts=0, next_attempt_at=utcnow()))  # fmt: skip
    report = await deliver(h)
    assert (report.sent, report.failed, report.retried) == (1, 1, 0)
    by_user = {r.user_id: r for r in rows(h)}
    assert by_user[A].status == "sent" and len(sends_to(h, A)) == 1
    odd = by_user[B]
    assert odd.status == "failed"
    assert odd.last_error == "render: ValueError(\"unknown outbox kind 'from-a-newer-version'\")"
    assert sends_to(h, B) == []
    assert "could not render follow-up" in caplog.text
    assert (await deliver(h, now=utcnow() + dt.timedelta(days=1))).total == 0  # kept for an operator, not retried


async def test_a_permanent_refusal_is_failed_once_not_retried(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    h.fake.fail_next("sendMessage", tgf.bad_request("Bad Request: chat not found"))
    report = await deliver(h)
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    (row,) = rows(h)
    assert (row.status, row.attempts, row.last_error) == ("failed", 0, "BadRequest: Chat not found")
    assert (await deliver(h, now=utcnow() + dt.timedelta(days=1))).total == 0
    assert sends_to(h, A) == [] and h.fake.pending_faults() == 0


async def test_an_unexpected_error_while_sending_is_failed_at_most_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    attempts: list[int] = []

    async def explode(bot: Any, user_id: int, html_text: str) -> None:
        attempts.append(user_id)
        raise RuntimeError("the outcome of this send is unknown")

    monkeypatch.setattr(delivery, "_send", explode)
    report = await deliver(h)
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    (row,) = rows(h)
    assert row.status == "failed"
    assert row.last_error == "unexpected: RuntimeError('the outcome of this send is unknown')"
    assert "unexpected error sending follow-up" in caplog.text
    assert (await deliver(h, now=utcnow() + dt.timedelta(days=1))).total == 0
    assert attempts == [A]  # tried once: a duplicate follow-up would be worse than a missing one


async def test_a_row_left_sending_by_a_crash_is_failed_not_resent(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        for user_id in (A, B):
            ask(s, user_id)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
        crashed, in_flight = s.scalars(select(Outbox).order_by(Outbox.id)).all()
        crashed.status, crashed.next_attempt_at = "sending", utcnow() - dt.timedelta(minutes=1)  # lease over
        in_flight.status, in_flight.next_attempt_at = "sending", utcnow() + dt.timedelta(minutes=5)  # a live worker
    report = await deliver(h)
    assert report.failed == 1 and report.sent == 0
    statuses = {r.user_id: (r.status, r.last_error) for r in rows(h)}
    assert statuses[A] == ("failed", outbox.INTERRUPTED)
    assert statuses[B] == ("sending", None)  # left to the worker that owns it
    assert h.fake.calls_of("sendMessage") == []


async def test_two_workers_on_one_database_never_send_a_row_twice(h: Harness, db_url: str) -> None:
    users = list(range(4000, 4012))
    with session_scope(h.runtime.sessions) as s:
        for user_id in users:
            ask(s, user_id)
        resolve(s)
        assert outbox.enqueue_submission_resolved(s, group_key=GROUP) == len(users)
    h.fake.latency = 0.005  # every send yields, so the two workers interleave
    other_engine = make_engine(db_url)  # a second "process": its own engine and connection pool
    other: sessionmaker[Session] = make_sessionmaker(other_engine)
    with other_engine.connect():  # connected before the race: a slow first connect let one worker take every row
        pass
    try:
        one, two = await asyncio.gather(
            delivery.deliver_pending(h.app.bot, h.runtime.sessions, limit=100),
            delivery.deliver_pending(h.app.bot, other, limit=100),
        )
    finally:
        other_engine.dispose()
    assert one.sent + two.sent == len(users)
    assert one.sent > 0 and two.sent > 0
    for user_id in users:
        assert len(sends_to(h, user_id)) == 1


async def test_kick_delivers_at_once_without_a_running_job_queue(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    await delivery.kick(h.app)
    assert len(sends_to(h, A)) == 1


async def test_kick_runs_a_job_when_the_job_queue_runs(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        ask(s, A)
        resolve(s)
        outbox.enqueue_submission_resolved(s, group_key=GROUP)
    await h.app.start()  # starts the job queue (no updater in the harness)
    try:
        await delivery.kick(h.app)
        await h.fake.wait_for("sendMessage", timeout=5.0)
    finally:
        await h.app.stop()
    assert len(sends_to(h, A)) == 1


async def test_schedule_registers_the_repeating_job(h: Harness) -> None:
    assert h.app.job_queue is not None
    delivery.schedule(h.app)
    jobs = h.app.job_queue.get_jobs_by_name(delivery.JOB_NAME)
    assert len(jobs) == 1
    jobs[0].schedule_removal()


# --- "updated" notices ----------------------------------------------------------------------------


def correct(session: Session, claim_id: str, *, verdict: str, summary: str, at: dt.datetime) -> None:
    row = kb_store.get_claim_row(session, claim_id)
    assert row is not None
    row.verdict, row.summary, row.modified_at = verdict, summary, at
    kb_store.bump_kb_version(session)


async def test_updated_notice_goes_only_to_recent_recipients_once_per_correction(h: Harness) -> None:
    now = utcnow()
    with session_scope(h.runtime.sessions) as s:
        add_user(s, C, notifications=False)
        add_user(s, D, blocked=True)
        s.add_all(
            [
                CardDelivery(user_id=A, claim_id=CLAIM_ID, last_sent_at=now - dt.timedelta(days=3)),
                CardDelivery(user_id=B, claim_id=CLAIM_ID, last_sent_at=now - dt.timedelta(days=45)),
                CardDelivery(user_id=C, claim_id=CLAIM_ID, last_sent_at=now - dt.timedelta(days=1)),
                CardDelivery(user_id=D, claim_id=CLAIM_ID, last_sent_at=now - dt.timedelta(days=1)),
                CardDelivery(user_id=E, claim_id=OTHER_CLAIM_ID, last_sent_at=now - dt.timedelta(days=1)),
            ]
        )
        s.flush()
        correct(s, CLAIM_ID, verdict="misleading", summary="Corrected: the picture is mixed.", at=now)
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 1
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 0  # the same correction: once
    assert (await deliver(h)).sent == 1
    (text,) = sends_to(h, A)
    assert "Update: the entry about this claim has been corrected." in text
    assert "Misleading" in text and "Corrected: the picture is mixed." in text
    for user_id in (B, C, D, E):
        assert sends_to(h, user_id) == []

    with session_scope(h.runtime.sessions) as s:  # a later correction is notified again
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 0
        correct(s, CLAIM_ID, verdict="true", summary="Corrected again.", at=now + dt.timedelta(minutes=5))
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 1
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID, within_days=60) == 1  # B is within 60 days
    assert (await deliver(h)).sent == 2
    assert len(sends_to(h, A)) == 2 and "Corrected again." in sends_to(h, A)[1]
    assert len(sends_to(h, B)) == 1


async def test_no_updated_notice_for_a_retired_claim(h: Harness) -> None:
    with session_scope(h.runtime.sessions) as s:
        s.add(CardDelivery(user_id=A, claim_id=CLAIM_ID, last_sent_at=utcnow()))
        row = kb_store.get_claim_row(s, CLAIM_ID)
        assert row is not None
        row.status = "retired"
        assert outbox.enqueue_claim_updated(s, claim_id=CLAIM_ID) == 0
