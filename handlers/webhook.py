"""The webhook: a small tornado server (python-telegram-bot's "custom webhook" pattern) in front of
handlers.inbox, because the built-in one reads a request's body before it checks the secret token,
has no size cap, and answers some malformed bodies with 500.

Every request must carry Telegram's secret token, checked before the body is read: WEBHOOK_SECRET,
or a strong one generated once and kept in the database when that is unset, so the webhook never
runs open. Bodies are capped; anything that is not one JSON update object gets 400, never a traceback.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlparse

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.db import session_scope
from bot.errors import CannotListen
from bot.services.runtime import Runtime, stored_secret
from handlers.inbox import Inbox, InboxClosed, update_id_of
from handlers.startup import at_start

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Telegram's updates are a few kB; a 1 MB cap leaves room for any real one
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CONNECTIONS = 40
# A connection must send its headers, and then its body, within these (seconds); otherwise it is closed.
# Telegram sends a few kB at once; without a bound, slow or stalled connections each hold a socket for an hour.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_HEADER_SIZE = 16 * 1024


def webhook_secret(runtime: Runtime) -> str:
    """WEBHOOK_SECRET, else a random token generated once and kept in the database (Telegram allows
    1-256 characters of A-Z, a-z, 0-9, _ and -; token_urlsafe uses exactly those)."""
    if runtime.settings.webhook_secret:
        return runtime.settings.webhook_secret
    with session_scope(runtime.sessions) as session:
        return stored_secret(session, "webhook_secret", lambda: secrets.token_urlsafe(48))


class RefusedRequests:
    """Counts requests refused for their secret token; logs at most once a minute, so a flood of
    forged requests cannot flood the log."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self.count = 0
        self._last = -interval

    def note(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            log.warning("webhook: refused requests without the right secret token (%d so far)", self.count)


refused = RefusedRequests()


def _no_access_log(handler: tornado.web.RequestHandler) -> None:
    """Tornado logs every request; refused ones are counted in RefusedRequests instead."""


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST of one update; headers are checked in `prepare`, before any of the body is read."""

    def initialize(self, inbox: Inbox, secret: str) -> None:
        self.inbox = inbox
        self.secret = secret
        self.body = bytearray()
        self.too_large = False

    def prepare(self) -> None:
        if self.request.method != "POST":
            return  # tornado answers 405
        token = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(token.encode("utf-8", "replace"), self.secret.encode("ascii")):
            refused.note()
            self.answer(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length", "")
        if length and not (length.isascii() and length.isdigit()):
            self.answer(HTTPStatus.BAD_REQUEST)
            return
        if length and (len(length) > 9 or int(length) > MAX_BODY):
            self.answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        connection = self.request.connection
        if connection is not None and hasattr(connection, "set_max_body_size"):
            connection.set_max_body_size(MAX_BODY + 1)

    def answer(self, status: HTTPStatus) -> None:
        """A status and an empty body."""
        self.set_status(status)
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        if len(self.body) + len(chunk) > MAX_BODY:
            self.too_large = True
            self.body.clear()
        elif not self.too_large:
            self.body.extend(chunk)

    async def post(self) -> None:
        if self.too_large:
            self.answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        try:
            data: Any = json.loads(bytes(self.body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.answer(HTTPStatus.BAD_REQUEST)
            return
        if update_id_of(data) is None:
            self.answer(HTTPStatus.BAD_REQUEST)
            return
        try:
            await self.inbox.accept([data])
        except InboxClosed:  # stopping: Telegram sends it again, to the restarted process
            self.answer(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        except Exception:
            log.exception("webhook: could not store an update; Telegram will send it again")
            self.answer(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        self.answer(HTTPStatus.OK)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()  # a status and nothing else: no traceback, no page


def url_path(webhook_url: str) -> str:
    return "/" + urlparse(webhook_url).path.strip("/")


async def start_webhook(app: Application, inbox: Inbox, runtime: Runtime) -> HTTPServer:
    """Listen on PORT, then tell Telegram the URL and the secret token."""
    settings = runtime.settings
    assert settings.webhook_url is not None
    secret = webhook_secret(runtime)
    # Tornado reads a route as a regular expression: the path is escaped so it matches only itself.
    routes = [(re.escape(url_path(settings.webhook_url)), UpdateHandler, {"inbox": inbox, "secret": secret})]
    server = HTTPServer(
        tornado.web.Application(routes, log_function=_no_access_log),
        max_body_size=MAX_BODY + 1,
        max_header_size=MAX_HEADER_SIZE,
        idle_connection_timeout=HEADER_TIMEOUT,  # tornado's bound on the wait for each request's headers
        body_timeout=BODY_TIMEOUT,
        xheaders=True,
    )
    try:
        server.listen(settings.port, address="0.0.0.0")
    except OSError as exc:
        raise CannotListen(f"cannot listen for the webhook on port {settings.port}: {exc.strerror or exc}") from None
    log.info("webhook listening on port %d", settings.port)
    url = settings.webhook_url
    try:
        await at_start(
            lambda: app.bot.set_webhook(
                url=url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
                max_connections=MAX_CONNECTIONS,
            ),
            "setWebhook",
        )
    except BaseException:
        server.stop()
        raise
    return server
