"""`factbot run` in webhook mode, as a real process, attacked with real HTTP requests on loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from bot.db.models import User
from factbot_testing import fake_telegram as tgf
from handlers import webhook
from handlers.inbox import Inbox
from tests.bot_api_server import BotApiServer, server_error, start_factbot
from tests.harness import make_harness

HOOK_PATH = "/telegram/hook"
ADMIN = 9001
GRANT = {
    "update_id": 2,
    "message": {"from": {"id": 9001}, "chat": {"id": 9001, "type": "private"}, "text": "/grant 1666 admin"},
}
UNKNOWN = "В Калуге открылся новый зоопарк, вход для детей бесплатный"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(port: int, body: bytes, secret: str | None = None, path: str = HOOK_PATH, **headers: str) -> int:
    """POST to the webhook; the HTTP status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    sent = {"Content-Type": "application/json", **headers}
    if secret is not None:
        sent["X-Telegram-Bot-Api-Secret-Token"] = secret
    try:
        connection.request("POST", path, body=body, headers=sent)
        return connection.getresponse().status
    finally:
        connection.close()


def status_before_the_body(port: int, length: int, secret: str | None) -> int:
    """Send only the headers of a request announcing `length` bytes: the answer must not wait for them."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        head = f"POST {HOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
        if secret is not None:
            head += f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
        s.sendall((head + "\r\n").encode())
        status_line = s.recv(200).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def start_webhook(api: BotApiServer, db: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    return start_factbot(
        api,
        db,
        WEBHOOK_URL=f"https://bot.example.org{HOOK_PATH}",
        PORT=str(port),
        FACTBOT_ADMIN_IDS=str(ADMIN),
        **settings,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def test_webhook_without_a_configured_secret_refuses_unauthenticated_updates(tmp_path: Path) -> None:
    db = tmp_path / "hook.sqlite3"
    port = free_port()
    with BotApiServer() as api:
        process = start_webhook(api, db, port)
        try:
            (hook,) = api.wait_for("setWebhook", 1, timeout=90)
            secret = str(hook["secret_token"])
            assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret), "a strong secret is generated"
            body = json.dumps(GRANT).encode()
            assert post(port, body) == 403  # the attack: no secret at all
            assert post(port, body, "wrong-secret") == 403
            assert post(port, body, secret[:-1]) == 403
            # Refused on the headers alone: the 50 MB announced are never read (nor sent).
            assert status_before_the_body(port, 50 * 1024 * 1024, None) == 403
            assert status_before_the_body(port, 50 * 1024 * 1024, secret) == 413
            for bad in (b"", b"{", b"\xff\xfe{}", b"[1, 2]", b'{"update_id": "x"}', b'"text"', b"[" * 100_000):
                assert post(port, bad, secret) == 400, bad
            unreadable = tgf.private_text(2002, "UNREADABLE")
            unreadable["message"]["chat"] = "not a chat"
            assert post(port, json.dumps(unreadable).encode(), secret) == 200  # logged once and dropped
            good = tgf.private_text(2001, UNKNOWN)
            assert post(port, json.dumps(good).encode(), secret) == 200
            (reply,) = api.wait_for("sendMessage", 1, timeout=60)
            assert reply["chat_id"] == 2001 and "nothing on this yet" in reply["text"]
        finally:
            output = stop(process)
        assert "Traceback" not in output
        assert "/grant 1666" not in output
        assert output.count("refused requests without the right secret token") == 1  # not one line each

        engine = create_engine(f"sqlite:///{db.as_posix()}")
        with engine.connect() as conn:
            roles = dict(conn.execute(select(User.telegram_id, User.role)).all())
        engine.dispose()
        assert roles.get(1666, "user") == "user", "user 1666 must not have become an admin"
        assert [m for m in api.sent() if m["chat_id"] == ADMIN] == [], "the forged /grant got no answer"

        # The generated secret is kept in the database: a restart registers the same one.
        process = start_webhook(api, db, port)
        try:
            api.wait_for("setWebhook", 2, timeout=90)
        finally:
            stop(process)
        assert api.sent("setWebhook")[1]["secret_token"] == secret


def test_webhook_uses_the_configured_secret(tmp_path: Path) -> None:
    port = free_port()
    with BotApiServer() as api:
        api.fail_next("setWebhook", server_error(502))  # a passing failure at start is tried again
        process = start_factbot(
            api,
            tmp_path / "hook.sqlite3",
            WEBHOOK_URL=f"https://bot.example.org{HOOK_PATH}",
            PORT=str(port),
            WEBHOOK_SECRET="configured_Secret-123",
        )
        try:
            (hook,) = api.wait_for("setWebhook", 1, timeout=90)
            assert hook["secret_token"] == "configured_Secret-123"
            assert post(port, json.dumps(tgf.private_text(2001, UNKNOWN)).encode()) == 403
            assert post(port, json.dumps(tgf.private_text(2001, UNKNOWN)).encode(), "configured_Secret-123") == 200
            api.wait_for("sendMessage", 1, timeout=60)
        finally:
            output = stop(process)
        assert "Traceback" not in output


async def test_webhook_drops_connections_that_send_slowly(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slowloris: connections that trickle their headers (no secret needed to try) or stop sending in the
    middle of a body are closed after a bounded wait, instead of holding a socket each for an hour."""
    monkeypatch.setattr(webhook, "HEADER_TIMEOUT", 0.5)
    monkeypatch.setattr(webhook, "BODY_TIMEOUT", 0.5)
    port = free_port()
    h = make_harness(db_url, WEBHOOK_URL=f"https://bot.example.org{HOOK_PATH}", PORT=str(port))
    async with h.app:
        server = await webhook.start_webhook(h.app, Inbox(h.app, h.runtime.engine), h.runtime)
        secret = webhook.webhook_secret(h.runtime)
        try:
            partial_headers = f"POST {HOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: appl"
            partial_body = (
                f"POST {HOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n" + '{"update_id": 1, '
            )
            for start in (partial_headers, partial_body):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(start.encode())
                await writer.drain()
                try:  # the server closes the connection (EOF, perhaps after an error status) well before this
                    answer = await asyncio.wait_for(reader.read(), timeout=15)
                finally:
                    writer.close()
                assert b"200 OK" not in answer, answer
        finally:
            server.stop()
    h.runtime.close()
    assert h.fake.calls_of("sendMessage") == []


def test_sigterm_loses_no_update_acknowledged_on_kept_alive_connections(tmp_path: Path) -> None:
    """Telegram keeps its webhook connections open and goes on sending on them. Updates it sends after
    SIGTERM, while earlier ones are still being answered, are either refused (Telegram sends them again
    later) or, once acknowledged with 200, answered: before the process exits or after the restart."""
    db = tmp_path / "term.sqlite3"
    port = free_port()
    secret = {"WEBHOOK_SECRET": "s3cret-token", "FACTBOT_RATE_LIMIT": "1000"}
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
    users = list(range(2101, 2149))
    status: dict[int, int | None] = {}

    def deliver_in_turn(mine: list[int]) -> None:
        """One kept-alive connection, as Telegram uses them."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            for user in mine:
                try:
                    body = json.dumps(tgf.private_text(user, UNKNOWN)).encode()
                    connection.request("POST", HOOK_PATH, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status[user] = response.status
                except (ConnectionError, http.client.HTTPException):
                    status[user] = None  # refused: Telegram would send it again
                    connection.close()
                time.sleep(0.1)
        finally:
            connection.close()

    with BotApiServer() as api:
        api.delays.update(dict.fromkeys(users, 0.5))  # answers take a while: some are in flight at SIGTERM
        process = start_webhook(api, db, port, **secret)
        try:
            api.wait_for("setWebhook", 1, timeout=90)
            senders = [threading.Thread(target=deliver_in_turn, args=(users[k::8],)) for k in range(8)]
            for sender in senders:
                sender.start()
            api.wait_until(lambda: len(status) >= 8 and api.holding > 0, 30)
            process.send_signal(signal.SIGTERM)
            for sender in senders:
                sender.join(60)
        finally:
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert "Traceback" not in output
        acknowledged = {user for user, code in status.items() if code == 200}
        assert acknowledged and set(status.values()) <= {200, 503, None}, status

        def answered() -> set[int]:
            return {int(m["chat_id"]) for m in api.sent()}

        if not acknowledged <= answered():
            process = start_webhook(api, db, port, **secret)  # the restart answers what was stored, not handled
            try:
                api.wait_until(lambda: acknowledged <= answered(), 60)
            finally:
                stop(process)
        assert sorted(int(m["chat_id"]) for m in api.sent() if int(m["chat_id"]) in acknowledged) == sorted(
            acknowledged
        ), "each acknowledged update answered once"


def test_webhook_path_is_taken_literally(tmp_path: Path) -> None:
    """WEBHOOK_URL's path is where Telegram posts, character for character: '+', '(' or '.' in it are not
    a pattern (a path like /hook+1 was never matched, so the bot received nothing)."""
    port = free_port()
    path = "/tg/hook+1(a).v2"
    with BotApiServer() as api:
        process = start_factbot(
            api,
            tmp_path / "path.sqlite3",
            WEBHOOK_URL=f"https://bot.example.org{path}",
            PORT=str(port),
            WEBHOOK_SECRET="s3cret-token",
        )
        try:
            api.wait_for("setWebhook", 1, timeout=90)
            for wrong in ("/tg/hookk1a.v2", "/tg/hook+1(a)xv2"):
                assert (
                    post(port, json.dumps(tgf.private_text(2001, UNKNOWN)).encode(), "s3cret-token", path=wrong) == 404
                )
            assert post(port, json.dumps(tgf.private_text(2001, UNKNOWN)).encode(), "s3cret-token", path=path) == 200
            (reply,) = api.wait_for("sendMessage", 1, timeout=60)
        finally:
            output = stop(process)
        assert reply["chat_id"] == 2001
        assert "Traceback" not in output


def test_a_port_already_taken_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken, BotApiServer() as api:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = start_webhook(api, tmp_path / "port.sqlite3", port, WEBHOOK_SECRET="s3cret-token")
        output, _ = process.communicate(timeout=120)  # the log and the error, in one stream
    assert process.returncode == 1, output
    assert "Traceback" not in output
    assert (
        output.strip().splitlines()[-1]
        == f"factbot: cannot listen for the webhook on port {port}: Address already in use"
    )
