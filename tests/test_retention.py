"""Retention erases only old texts and keeps the counts; forget_user erases only that user."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import CheckLog, Feedback, Outbox, Submission, User
from bot.services.retention import erase_old_texts, forget_user, user_key
from bot.services.stats import compute_stats

NOW = dt.datetime(2025, 6, 1, 12, 0, 0)


def _check(created_at: dt.datetime, key: str, text: str | None, result: str = "none") -> CheckLog:
    return CheckLog(
        created_at=created_at, user_key=key, chat_type="private", input_kind="text", text=text,
        text_hash=f"hash-{text}", text_len=len(text or "x"), result=result, latency_ms=5.0,
    )  # fmt: skip


def test_user_key_is_hmac_sha256_of_the_id() -> None:
    expected = hmac.new(b"s3cret", b"42", hashlib.sha256).hexdigest()
    assert user_key("s3cret", 42) == expected
    assert len(expected) == 64
    assert user_key("other", 42) != expected
    assert user_key("s3cret", 43) != expected


def test_erase_old_texts_keeps_counts(sessions: sessionmaker[Session]) -> None:
    day = dt.timedelta(days=1)
    with session_scope(sessions) as session:
        session.add_all(
            [
                _check(NOW - 100 * day, "a", "very old"),
                _check(NOW - 90 * day - dt.timedelta(seconds=1), "b", "just over"),
                _check(NOW - 90 * day + dt.timedelta(seconds=1), "c", "just under"),
                _check(NOW - 95 * day, "d", None),  # hash-only row: nothing to erase
                _check(NOW - day, "e", "recent"),
            ]
        )
    with session_scope(sessions) as session:
        before = compute_stats(session, days=365, now=NOW).as_json()
        assert erase_old_texts(session, retention_days=90, now=NOW) == 2
    with session_scope(sessions) as session:
        rows = {r.user_key: r for r in session.scalars(select(CheckLog))}
        assert {k: r.text for k, r in rows.items()} == {
            "a": None, "b": None, "c": "just under", "d": None, "e": "recent"
        }  # fmt: skip
        assert rows["a"].text_hash == "hash-very old" and rows["a"].text_len == len("very old")
        assert rows["b"].text_hash == "hash-just over" and rows["b"].text_len == len("just over")
        after = compute_stats(session, days=365, now=NOW).as_json()
        # counts stay; only the samples of erased texts go
        for key in ("checks", "unique_users", "strong", "possible", "none", "latency_ms", "feedback", "queue"):
            assert after[key] == before[key]
        assert after["checks"] == 5
        assert erase_old_texts(session, retention_days=90, now=NOW) == 0  # idempotent


def test_forget_user_erases_only_that_user(sessions: sessionmaker[Session]) -> None:
    me, other = 111, 222
    my_key, other_key = user_key("k", me), user_key("k", other)
    with session_scope(sessions) as session:
        mine = [_check(NOW, my_key, "mine 1"), _check(NOW, my_key, "mine 2")]
        theirs = [_check(NOW, other_key, "theirs")]
        session.add_all(mine + theirs)
        session.flush()
        session.add_all(
            [
                Feedback(check_id=mine[0].id, value="up"),
                Feedback(check_id=mine[1].id, value="down", reason="wrong_claim"),
                Feedback(check_id=theirs[0].id, value="up"),
                Submission(user_id=me, text="x", group_key="g1"),
                Submission(user_id=me, text="y", group_key="g2"),
                Submission(user_id=other, text="x", group_key="g1"),
                Outbox(user_id=me, kind="answer", payload={}, dedupe_key="me-1"),
                Outbox(user_id=other, kind="answer", payload={}, dedupe_key="other-1"),
                User(telegram_id=me, language="uk"),
                User(telegram_id=other, language="ru"),
            ]
        )
    with session_scope(sessions) as session:
        counts = forget_user(session, user_id=me, user_key=my_key)
    assert counts == {"feedback": 2, "checks": 2, "submissions": 2, "outbox": 1, "users": 1}
    with session_scope(sessions) as session:
        assert session.scalars(select(CheckLog.user_key)).all() == [other_key]
        assert session.scalars(select(Feedback.check_id)).all() == [theirs[0].id]
        assert session.scalars(select(Submission.user_id)).all() == [other]
        assert session.scalars(select(Outbox.user_id)).all() == [other]
        assert session.scalars(select(User.telegram_id)).all() == [other]
    with session_scope(sessions) as session:  # forgetting twice finds nothing
        assert set(forget_user(session, user_id=me, user_key=my_key).values()) == {0}
        assert session.scalar(select(func.count(CheckLog.id))) == 1
