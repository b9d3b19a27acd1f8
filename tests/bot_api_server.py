"""A tiny Bot API server on loopback, for running the real `factbot run` process against it.

It serves queued updates through getUpdates and records every call, answering like Telegram.
Only for tests: it listens on 127.0.0.1 and stops with the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
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


class BotApiServer:
    """Start with `with BotApiServer() as api:`; `api.base_url` is the TELEGRAM_API_BASE_URL to use."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []  # in the order they were answered
        self.delays: dict[int, float] = {}  # chat id -> seconds to hold each sendMessage (a slow, busy chat)
        self._updates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._next_message_id = 1000
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                method = self.path.rsplit("/", 1)[-1]
                params = server._decode(body, self.headers.get("Content-Type") or "")
                result = server._answer(method, params)
                data = json.dumps({"ok": True, "result": result}).encode()
                try:
                    self.send_response(200)
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

    def push(self, *updates: dict[str, Any]) -> None:
        with self._lock:
            self._updates.extend(updates)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, method: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} {method} calls, got {len(self.sent(method))}: {self.calls!r}")

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
        if method == "sendMessage":
            time.sleep(self.delays.get(int(params.get("chat_id") or 0), 0.0))
        with self._lock:
            self.calls.append((method, params))
            if method == "getMe":
                return BOT
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
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
        if not pending:
            time.sleep(0.2)  # a short long-poll
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
