"""A tiny Bot API server on loopback, for running the real `factbot run` process against it.

It serves queued updates through getUpdates and records every call, answering like Telegram.
Only for tests: it listens on 127.0.0.1 and stops with the test.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

BOT = {
    "id": 999,
    "is_bot": True,
    "first_name": "factbot",
    "username": "factbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}


class Fault:
    """How the emulator fails one call: an HTTP error as Telegram words it, or (status 0) a connection
    reset before any answer."""

    def __init__(self, status: int, description: str = "", retry_after: int | None = None) -> None:
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data

    def __repr__(self) -> str:
        return f"Fault({self.status}, {self.description!r})"


def too_many_requests(retry_after: int = 1) -> Fault:
    return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def server_error(status: int = 500) -> Fault:
    return Fault(status, {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Server Error"))


def connection_reset() -> Fault:
    return Fault(0)


class BotApiServer:
    """Start with `with BotApiServer() as api:`; `api.base_url` is the TELEGRAM_API_BASE_URL to use."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []  # in the order they were answered
        self.delays: dict[int, float] = {}  # chat id -> seconds to hold each sendMessage (a slow, busy chat)
        self.holding = 0  # sendMessage calls being held by `delays` now
        self.failed: list[tuple[str, Fault]] = []  # calls answered with a fault, in order
        self._faults: dict[str, list[Fault]] = {}  # method -> faults for its next calls
        self._updates: list[dict[str, Any]] = []
        self._lock = threading.RLock()  # reentrant: wait_until conditions may call sent()
        self._changed = threading.Condition(self._lock)  # every call and every push notifies the waiters
        self._confirmed_below = 0  # getUpdates' offset: every update below it was fetched and confirmed
        self._next_message_id = 1000
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:  # the bot died while sending: Telegram never sees half a request
                    self.close_connection = True
                    return
                body = raw.decode("utf-8")
                method = self.path.rsplit("/", 1)[-1]
                fault = server._take_fault(method)
                if fault is not None and fault.status == 0:
                    # A connection reset: SO_LINGER 0 makes close() send RST instead of FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                status = 200
                if fault is not None:
                    status = fault.status
                    data = json.dumps(fault.body()).encode()
                else:
                    params = server._decode(body, self.headers.get("Content-Type") or "")
                    result = server._answer(method, params)
                    data = json.dumps({"ok": True, "result": result}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped while long-polling

            do_GET = do_POST

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._http.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> BotApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def fail_next(self, method: str, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `fault` instead of doing them."""
        with self._lock:
            self._faults.setdefault(method, []).extend([fault] * times)

    def _take_fault(self, method: str) -> Fault | None:
        with self._changed:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue.pop(0)
            self.failed.append((method, fault))
            self._changed.notify_all()
            return fault

    def push(self, *updates: dict[str, Any]) -> None:
        with self._changed:
            self._updates.extend(updates)
            self._changed.notify_all()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 90.0) -> None:
        """Block until `condition()` holds, re-checked whenever the bot calls the API or an update is pushed."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise TimeoutError(f"condition not reached in {timeout:g} s; calls so far: {self.calls!r}")

    def wait_for(self, method: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        with self._changed:
            if not self._changed.wait_for(lambda: self._count(method) >= count, timeout):
                raise TimeoutError(f"expected {count} {method} calls, got {self._count(method)}: {self.calls!r}")
            return [p for m, p in self.calls if m == method]

    def all_updates_confirmed(self, update_ids: Iterable[int]) -> bool:
        """The bot asked for updates past all of these: it has taken every one of them."""
        return all(update_id < self._confirmed_below for update_id in update_ids)

    def _count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    @staticmethod
    def _decode(body: str, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in content_type:
            data: dict[str, Any] = json.loads(body)
            return data
        params: dict[str, Any] = {}
        for key, values in parse_qs(body, keep_blank_values=True).items():
            value: Any = values[0]
            try:
                value = json.loads(value)
            except ValueError:
                pass
            params[key] = value
        return params

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        delay = self.delays.get(int(params.get("chat_id") or 0), 0.0) if method == "sendMessage" else 0.0
        if delay:
            with self._changed:
                self.holding += 1
                self._changed.notify_all()
            time.sleep(delay)
            with self._changed:
                self.holding -= 1
        with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()
            if method == "getMe":
                return BOT
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                self._confirmed_below = max(self._confirmed_below, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if not self._updates:  # a short long-poll: answer as soon as an update is pushed
                    self._changed.wait_for(lambda: bool(self._updates), timeout=0.2)
                pending = list(self._updates)
            elif method in ("sendMessage", "editMessageText"):
                self._next_message_id += 1
                chat_id = int(params["chat_id"])
                message: dict[str, Any] = {
                    "message_id": self._next_message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                    "from": BOT,
                    "text": params.get("text", ""),
                }
                if params.get("reply_markup"):
                    message["reply_markup"] = params["reply_markup"]
                return message
            else:
                return True
        return pending


def start_factbot(api: BotApiServer, db: Path, **settings: str) -> subprocess.Popen[str]:
    """`factbot run` as a real process on an SQLite file, talking to `api`."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite:///{db.as_posix()}",
        "FACTBOT_SECRET": "run-secret",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def unhandled_in_inbox(db: Path) -> int:
    """Updates a `factbot run` on the SQLite file `db` has stored but not yet marked handled."""
    from sqlalchemy import create_engine, func, select

    from bot.db.models import InboxUpdate

    engine = create_engine(f"sqlite:///{db.as_posix()}")
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None)))
        n = int(count.scalar() or 0)
    engine.dispose()
    return n


def first_reply_then_stop(api: BotApiServer, process: subprocess.Popen[str]) -> tuple[dict[str, Any], str]:
    """The first sendMessage of a started `factbot run`, then SIGTERM: (that reply, the process's output),
    after checking the process exited 0 without a traceback."""
    import signal

    try:
        (reply,) = api.wait_for("sendMessage", 1, timeout=90)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    return reply, output
