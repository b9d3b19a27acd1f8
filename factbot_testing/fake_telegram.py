"""In-process fake of the Telegram Bot API for tests and load runs (no network).

:class:`FakeTelegram` is a :class:`telegram.request.BaseRequest`: plug it into a real
:class:`telegram.ext.Application` and every Bot API call the bot makes is answered in-process,
the way Telegram would answer it, and recorded in :attr:`FakeTelegram.calls`.

Typical use::

    fake = FakeTelegram()
    app = make_application(fake)
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    async with app:                       # initialize() calls getMe through the fake
        await app.process_update(Update.de_json(private_text(42, "hello"), app.bot))
        # or: await feed(app, private_text(42, "hello"))
    assert fake.last("sendMessage").params["chat_id"] == 42

Faults are injected per method (:meth:`FakeTelegram.fail_next` with :func:`retry_after`,
:func:`forbidden`, :func:`bad_request`, :func:`timeout`, :func:`network_error`) or per chat
(:meth:`FakeTelegram.block_chat`). With ``validate=True`` (the default) the fake also rejects
what Telegram itself rejects: empty or over-long texts and captions, broken HTML in
``parse_mode="HTML"``, callback_data over 64 bytes, "message is not modified" edits and bad
inline answers.

The update builders (:func:`private_text`, :func:`forwarded_from_channel`, :func:`callback`, ...)
return plain dicts for :meth:`telegram.Update.de_json`, with increasing ``update_id`` and
``message_id`` (see :func:`reset_ids`). Every builder accepts ``**extra`` keys that are merged
into the message (or query) dict, so any field can be added or overridden.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
import zlib
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application, CallbackContext
from telegram.request import BaseRequest, RequestData

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "Fault",
    "FakeTelegram",
    "UploadedFile",
    "bad_request",
    "callback",
    "channel_origin",
    "chat_migrated",
    "collect_errors",
    "command",
    "document",
    "edited_text",
    "feed",
    "forbidden",
    "forwarded_from_channel",
    "forwarded_from_chat",
    "forwarded_from_hidden_user",
    "forwarded_from_user",
    "group_command",
    "group_text",
    "http_error",
    "inline_query",
    "make_application",
    "network_error",
    "photo",
    "poll",
    "private_text",
    "reset_ids",
    "retry_after",
    "running",
    "sticker",
    "timeout",
    "to_update",
    "video",
    "voice",
]

JSONDict = dict[str, Any]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

BOT_ID: Final = 999
BOT_USERNAME: Final = "factbot_test_bot"
BOT_FIRST_NAME: Final = "factbot"
TOKEN: Final = "123:TEST"

MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024
MAX_CALLBACK_DATA: Final = 64
MAX_INLINE_RESULTS: Final = 50

_BOT_FROM: Final[JSONDict] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": BOT_FIRST_NAME,
    "username": BOT_USERNAME,
}


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file the bot uploaded (multipart part): name, raw bytes and guessed MIME type."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(slots=True)
class Call:
    """One Bot API request as the fake saw it.

    ``params`` holds plain Python values: JSON-encoded fields (reply_markup, results, commands,
    ...) are dicts/lists, and uploaded files appear as :class:`UploadedFile` under their
    parameter name (``params["photo"]``) or in place of their ``attach://`` reference.
    ``failed`` is True when the fake answered with an error (injected, blocked chat or
    validation); ``error`` then holds the description or exception name.
    """

    method: str
    params: dict[str, Any]
    failed: bool = False
    error: str | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    result: Any = None

    @property
    def text(self) -> str | None:
        """The ``text`` or ``caption`` parameter, if any."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Fault:
    """An error answer to inject: an HTTP error body, or an exception raised by the transport."""

    kind: str  # "http" | "timeout" | "network"
    status: int = 0
    description: str = ""
    parameters: JSONDict | None = None

    def body(self) -> bytes:
        """The JSON body Telegram would send with this HTTP error."""
        payload: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return json.dumps(payload).encode()

    def raise_or_answer(self) -> tuple[int, bytes]:
        """Raise the transport exception, or return (status, body) for an HTTP error."""
        if self.kind == "timeout":
            raise TimedOut(self.description or "Timed out")
        if self.kind == "network":
            raise NetworkError(self.description or "httpx.ConnectError: fake network error")
        return self.status, self.body()


def retry_after(seconds: float = 5) -> Fault:
    """HTTP 429 flood-wait; PTB raises :class:`telegram.error.RetryAfter`.

    Telegram always sends whole seconds; a fraction (e.g. 0.01) keeps retry tests fast
    (AIORateLimiter sleeps retry_after + 0.1 s before retrying).
    """
    return Fault(
        "http",
        429,
        f"Too Many Requests: retry after {seconds}",
        {"retry_after": seconds},
    )


def forbidden(description: str = "Forbidden: bot was blocked by the user") -> Fault:
    """HTTP 403; PTB raises :class:`telegram.error.Forbidden`."""
    return Fault("http", 403, description)


def bad_request(description: str = "Bad Request: message is too long") -> Fault:
    """HTTP 400; PTB raises :class:`telegram.error.BadRequest`.

    Note that PTB strips a leading ``"Bad Request: "`` and capitalises the rest, so
    ``bad_request("Bad Request: message is too long")`` gives ``.message == "Message is too long"``.
    """
    return Fault("http", 400, description)


def chat_migrated(new_chat_id: int) -> Fault:
    """HTTP 400 with migrate_to_chat_id; PTB raises :class:`telegram.error.ChatMigrated`."""
    return Fault(
        "http",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


def http_error(status: int, description: str, parameters: JSONDict | None = None) -> Fault:
    """Any other HTTP error (e.g. 502 -> :class:`telegram.error.NetworkError`)."""
    return Fault("http", status, description, parameters)


def timeout() -> Fault:
    """The transport raises :class:`telegram.error.TimedOut`."""
    return Fault("timeout", description="Timed out")


def network_error(description: str = "httpx.ConnectError: fake network error") -> Fault:
    """The transport raises :class:`telegram.error.NetworkError`."""
    return Fault("network", description=description)


# --------------------------------------------------------------------------------------------
# Telegram-side validation helpers
# --------------------------------------------------------------------------------------------

_HTML_TAGS: Final = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "tg-emoji", "tg-time", "code", "pre", "blockquote",
    }
)  # fmt: skip
_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_JSON_KEYS: Final = frozenset(
    {
        "reply_markup", "results", "commands", "entities", "caption_entities", "media",
        "allowed_updates", "scope", "menu_button", "button", "link_preview_options",
        "reply_parameters", "options", "reaction", "explanation_entities", "question_entities",
        "message_ids", "rights",
    }
)  # fmt: skip
_MEDIA_METHODS: Final = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendaudio": "audio",
    "sendanimation": "animation",
    "sendsticker": "sticker",
    "sendvideonote": "video_note",
}
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class _EntityError(ValueError):
    """Raised by :func:`_parse_html` with Telegram's description of the problem."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _parse_html(text: str) -> str:
    """Check ``text`` the way Telegram parses parse_mode=HTML and return its plain text."""
    if "<" not in text:
        return html.unescape(text) if "&" in text else text
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        match = _TAG_RE.match(text, start)
        if match is None:
            if text.find(">", start) < 0:
                raise _EntityError(f"Unclosed start tag at byte offset {_byte_offset(text, start)}")
            raise _EntityError(
                f'Unsupported start tag "" at byte offset {_byte_offset(text, start)}'
            )
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if not stack:
                raise _EntityError(f"Unexpected end tag at byte offset {_byte_offset(text, start)}")
            if stack[-1] != name:
                raise _EntityError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, start)}, "
                    f'expected "</{stack[-1]}>", found "</{name}>"'
                )
            stack.pop()
        else:
            if name not in _HTML_TAGS:
                raise _EntityError(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
                )
            if name == "span" and "tg-spoiler" not in attrs:
                raise _EntityError('Tag "span" must have class "tg-spoiler"')
            stack.append(name)
        pos = match.end()
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out))


def _plain_text(text: str, parse_mode: Any) -> str:
    """Plain text after entity parsing (only HTML is parsed; other modes pass through)."""
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        return _parse_html(text)
    return text


def _check_keyboard(markup: Any) -> str | None:
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard", ()):
        for button in row:
            data = button.get("callback_data")
            if isinstance(data, str) and len(data.encode()) > MAX_CALLBACK_DATA:
                return "Bad Request: BUTTON_DATA_INVALID"
            if len(button) == 1 and "text" in button:
                return "Bad Request: text buttons are unallowed in the inline keyboard"
    return None


def _chat_key(chat_id: Any) -> int | str:
    """Normalise a chat_id parameter ("42", 42, "@name") to a hashable key."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    try:
        return int(text)
    except ValueError:
        return text.lower()


def _channel_id_for(username: str) -> int:
    return -1_000_000_000_000 - zlib.crc32(username.lower().encode())


def _walk_attach(value: Any, uploads: Mapping[str, UploadedFile]) -> Any:
    """Replace ``attach://name`` strings with the uploaded file they point to."""
    if isinstance(value, str) and value.startswith("attach://"):
        return uploads.get(value[len("attach://") :], value)
    if isinstance(value, list):
        return [_walk_attach(item, uploads) for item in value]
    if isinstance(value, dict):
        return {key: _walk_attach(item, uploads) for key, item in value.items()}
    return value


def _decode(request_data: RequestData | None) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Turn PTB's request data into plain params and uploaded files."""
    if request_data is None:
        return {}, {}
    params: dict[str, Any] = request_data.parameters
    for key in _JSON_KEYS.intersection(params):
        value = params[key]
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    if not request_data.contains_files:
        return params, {}
    files: dict[str, UploadedFile] = {}
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        raw = content if isinstance(content, bytes) else content.read()
        files[name] = UploadedFile(filename, raw, mimetype)
    attached = False
    for name, upload in files.items():
        if name.startswith("attached"):  # referenced as attach://<name> inside a parameter
            attached = True
        else:  # a plain upload: the parameter itself (photo=..., document=...)
            params[name] = upload
    if attached:
        params = {key: _walk_attach(value, files) for key, value in params.items()}
    return params, files


# --------------------------------------------------------------------------------------------
# The fake transport
# --------------------------------------------------------------------------------------------

Responder = Callable[[dict[str, Any]], Any]


class FakeTelegram(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` that answers like the Bot API, in-process.

    Args:
        validate: Reject what Telegram rejects (texts over 4096 / captions over 1024 characters,
            empty texts, broken HTML, callback_data over 64 bytes, unchanged edits, more than 50
            or duplicate inline results). Lengths are counted in code points after HTML parsing.
        latency: Seconds to ``await asyncio.sleep`` before each answer (0 = no await at all).
        bot_user: Override fields of the getMe answer.
        record: Keep every :class:`Call` in :attr:`calls`. Long load runs can pass False and
            read :attr:`counts` / :attr:`failures` (per-method tallies, always kept) instead.

    Safe for any number of concurrent requests on one event loop: the state changes happen
    without awaiting in between.
    """

    def __init__(
        self,
        *,
        validate: bool = True,
        latency: float = 0.0,
        bot_user: Mapping[str, Any] | None = None,
        record: bool = True,
    ) -> None:
        self.calls: list[Call] = []
        self.record = record
        #: Requests per method name, and failed (error-answered) requests per method name.
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.validate = validate
        self.latency = latency
        self.bot_user: JSONDict = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            **(bot_user or {}),
        }
        #: Chat type per chat id; unknown ids: >0 private, -100... supergroup, other <0 group.
        self.chat_types: dict[int | str, str] = {}
        #: Bytes served for file downloads (``File.download_*``), by file_id.
        self.file_contents: dict[str, bytes] = {}
        #: Commands stored by setMyCommands, by (scope JSON, language_code).
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.initialize_count = 0
        self.shutdown_count = 0
        self._faults: dict[str, deque[Fault]] = {}
        self._blocked: dict[int | str, Fault] = {}
        self._responders: dict[str, Responder] = {}
        self._contents: dict[tuple[int | str, int], tuple[str | None, Any]] = {}
        self._message_ids = itertools.count(1_000_001)
        self._file_ids = itertools.count(1)
        self._answers: dict[str, Callable[[str, dict[str, Any]], Any]] = {
            "getme": lambda _m, _p: dict(self.bot_user),
            "getupdates": lambda _m, _p: [],
            "sendmessage": self._send_message,
            "copymessage": lambda _m, _p: {"message_id": next(self._message_ids)},
            "copymessages": self._copy_messages,
            "forwardmessage": self._forward_message,
            "sendmediagroup": self._send_media_group,
            "editmessagetext": self._edit,
            "editmessagecaption": self._edit,
            "editmessagereplymarkup": self._edit,
            "editmessagemedia": self._edit,
            "deletemessage": self._delete,
            "setmycommands": self._set_commands,
            "getmycommands": self._get_commands,
            "deletemycommands": self._delete_commands,
            "getwebhookinfo": lambda _m, _p: {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": 0,
            },
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "getchatmenubutton": lambda _m, _p: {"type": "default"},
            "getfile": self._get_file,
        }
        for name in _MEDIA_METHODS:
            self._answers[name] = self._send_media

    # -- BaseRequest interface ---------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (unused: nothing ever waits on a socket)."""
        return 1.0

    async def initialize(self) -> None:
        """Nothing to set up; counts calls."""
        self.initialize_count += 1

    async def shutdown(self) -> None:
        """Nothing to tear down; counts calls."""
        self.shutdown_count += 1

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one Bot API request (POST) or file download (GET)."""
        if method == "GET":  # File.download_* -> BaseRequest.retrieve
            file_id = url.rsplit("/", 1)[-1]
            return 200, self.file_contents.get(file_id, b"")
        name = url.rsplit("/", 1)[-1]
        params, files = _decode(request_data)
        call = Call(name, params, files=files)
        if self.record:
            self.calls.append(call)
        self.counts[name] += 1
        key = name.lower()

        fault = self._take_fault(key)
        if fault is None and self._blocked and "chat_id" in params:
            fault = self._blocked.get(_chat_key(params["chat_id"]))
        if fault is None and self.validate:
            problem = self._validate(key, params)
            if problem is not None:
                fault = bad_request(problem)
        result: Any = None
        if fault is None:
            result = self._answer(name, key, params)
        if fault is not None:
            self.failures[name] += 1
            call.failed = True
            call.error = fault.description or fault.kind
            if self.latency:
                await asyncio.sleep(self.latency)
            self._wake_waiters()
            return fault.raise_or_answer()

        call.result = result
        body = json.dumps({"ok": True, "result": result}).encode()
        if self.latency:
            await asyncio.sleep(self.latency)
        self._wake_waiters()
        return 200, body

    # -- configuration ---------------------------------------------------------------------

    def fail_next(self, method: str, error: Fault, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error``.

        ``method`` is case-insensitive; ``"*"`` matches any method (used only when the method
        has no fault of its own queued). Faults queue up in the order given.
        """
        self._faults.setdefault(method.lower(), deque()).extend([error] * times)

    def pending_faults(self, method: str | None = None) -> int:
        """How many injected faults are still queued (for one method or all)."""
        if method is not None:
            return len(self._faults.get(method.lower(), ()))
        return sum(len(queue) for queue in self._faults.values())

    def block_chat(self, chat_id: int | str, error: Fault | None = None) -> None:
        """Every call with this chat_id answers 403 (or ``error``) until :meth:`unblock_chat`."""
        if error is None:
            key = _chat_key(chat_id)
            if isinstance(key, int) and key < 0:
                error = forbidden("Forbidden: bot was kicked from the supergroup chat")
            else:
                error = forbidden()
        self._blocked[_chat_key(chat_id)] = error

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo :meth:`block_chat`."""
        self._blocked.pop(_chat_key(chat_id), None)

    def respond(self, method: str, responder: Responder | None) -> None:
        """Answer ``method`` with ``responder(params)`` (its JSON-able return value).

        Use it for methods the fake does not know or to script special answers; pass ``None``
        to remove it. Faults, blocked chats and validation still apply first.
        """
        if responder is None:
            self._responders.pop(method.lower(), None)
        else:
            self._responders[method.lower()] = responder

    # -- inspection --------------------------------------------------------------------------

    def calls_of(self, method: str, *, include_failed: bool = True) -> list[Call]:
        """All calls of ``method`` (case-insensitive), in order."""
        key = method.lower()
        return [
            c for c in self.calls if c.method.lower() == key and (include_failed or not c.failed)
        ]

    def successful(self, method: str | None = None) -> list[Call]:
        """Calls that were answered with ok=true (optionally of one method)."""
        key = method.lower() if method else None
        return [c for c in self.calls if not c.failed and (key is None or c.method.lower() == key)]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts and captions of the messages the bot successfully sent or edited, in order.

        Covers sendMessage, editMessageText, editMessageCaption, copyMessage and the send*
        media methods; answerCallbackQuery toasts are not included. Texts are as sent
        (HTML tags included). Optionally only those for one chat.
        """
        want = None if chat_id is None else _chat_key(chat_id)
        texts: list[str] = []
        for c in self.calls:
            if c.failed:
                continue
            key = c.method.lower()
            if key in ("sendmessage", "editmessagetext"):
                value = c.params.get("text")
            elif key in _MEDIA_METHODS or key in ("editmessagecaption", "copymessage"):
                value = c.params.get("caption")
            else:
                continue
            if not isinstance(value, str):
                continue
            if want is not None and _chat_key(c.params.get("chat_id")) != want:
                continue
            texts.append(value)
        return texts

    def last(self, method: str | None = None) -> Call:
        """The most recent call (of ``method``, if given). Raises LookupError if none."""
        key = method.lower() if method else None
        for c in reversed(self.calls):
            if key is None or c.method.lower() == key:
                return c
        raise LookupError(f"no {method or 'Bot API'} call recorded; got {self.methods()}")

    def methods(self) -> list[str]:
        """The method names of all recorded calls, in order."""
        return [c.method for c in self.calls]

    def clear(self) -> None:
        """Forget recorded calls and counts (faults, blocks and responders stay)."""
        self.calls.clear()
        self.counts.clear()
        self.failures.clear()

    def reset(self) -> None:
        """Forget calls, queued faults, blocked chats, responders and message contents."""
        self.clear()
        self._faults.clear()
        self._blocked.clear()
        self._responders.clear()
        self._contents.clear()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        """Wait until ``condition()`` holds, checked after every answered request (no polling);
        raise TimeoutError when it does not within ``timeout`` seconds."""
        if condition():
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (condition, woken)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await woken
        finally:
            self._waiters.remove(waiter)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 2.0) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` were recorded (jobs, background
        tasks, concurrent updates); raise TimeoutError otherwise."""
        try:
            await self.wait_until(lambda: self.count(method) >= count, timeout)
        except TimeoutError:
            raise TimeoutError(f"{self.count(method)} of {count} {method} calls after {timeout}s") from None
        return self.calls_of(method)

    def _wake_waiters(self) -> None:
        for condition, woken in list(self._waiters):
            if not woken.done() and condition():
                woken.set_result(None)

    def count(self, method: str, *, failed: bool | None = None) -> int:
        """How many requests of ``method`` arrived (``failed=True/False``: only those),
        also when ``record=False``."""
        key = method.lower()
        tally = self.counts if failed is None or not failed else self.failures
        total = sum(n for name, n in tally.items() if name.lower() == key)
        if failed is False:
            total -= sum(n for name, n in self.failures.items() if name.lower() == key)
        return total

    # -- internals ---------------------------------------------------------------------------

    def _take_fault(self, key: str) -> Fault | None:
        if not self._faults:
            return None
        for name in (key, "*"):
            queue = self._faults.get(name)
            if queue:
                fault = queue.popleft()
                if not queue:
                    del self._faults[name]
                return fault
        return None

    def _validate(self, key: str, params: dict[str, Any]) -> str | None:
        """Telegram's own rejections, as a description, or None."""
        try:
            if key in ("sendmessage", "editmessagetext"):
                text = params.get("text")
                if not isinstance(text, str) or not text.strip():
                    return "Bad Request: message text is empty"
                plain = _plain_text(text, params.get("parse_mode"))
                if not plain.strip():
                    return "Bad Request: message text is empty"
                if len(plain) > MAX_TEXT:
                    return "Bad Request: message is too long"
            elif "caption" in params and (
                key in _MEDIA_METHODS or key in ("editmessagecaption", "copymessage")
            ):
                caption = params["caption"]
                if isinstance(caption, str):
                    plain = _plain_text(caption, params.get("parse_mode"))
                    if len(plain) > MAX_CAPTION:
                        return "Bad Request: message caption is too long"
            elif key == "answerinlinequery":
                results = params.get("results") or []
                if len(results) > MAX_INLINE_RESULTS:
                    return "Bad Request: RESULTS_TOO_MUCH"
                ids = [r.get("id") for r in results if isinstance(r, dict)]
                if len(ids) != len(set(ids)):
                    return "Bad Request: RESULT_ID_DUPLICATE"
                for result in results:
                    problem = _check_keyboard(result.get("reply_markup"))
                    if problem:
                        return problem
                    content = result.get("input_message_content") or {}
                    if "message_text" in content:
                        _plain_text(content["message_text"], content.get("parse_mode"))
        except _EntityError as exc:
            return f"Bad Request: can't parse entities: {exc}"
        problem = _check_keyboard(params.get("reply_markup"))
        if problem:
            return problem
        if key.startswith("editmessage") and "message_id" in params:
            before = self._contents.get((_chat_key(params.get("chat_id")), params["message_id"]))
            if before is not None and self._edited_content(key, params, before) == before:
                return _NOT_MODIFIED
        return None

    @staticmethod
    def _edited_content(
        key: str, params: dict[str, Any], before: tuple[str | None, Any]
    ) -> tuple[str | None, Any]:
        markup = params.get("reply_markup")
        if key == "editmessagetext":
            return params.get("text"), markup
        if key == "editmessagecaption":
            return params.get("caption"), markup
        if key == "editmessagereplymarkup":
            return before[0], markup
        return (None, object())  # media edits always count as changes

    def _answer(self, name: str, key: str, params: dict[str, Any]) -> Any:
        responder = self._responders.get(key)
        if responder is not None:
            return responder(params)
        handler = self._answers.get(key)
        if handler is None:
            return True  # setWebhook, answerCallbackQuery, sendChatAction, ... and unknowns
        return handler(name, params)

    def _chat(self, chat_id: Any) -> JSONDict:
        key = _chat_key(chat_id)
        if isinstance(key, str):  # "@channelname"
            username = key.lstrip("@")
            return {
                "id": _channel_id_for(username),
                "type": self.chat_types.get(key, "channel"),
                "title": username,
                "username": username,
            }
        kind = self.chat_types.get(key)
        if kind is None:
            if key > 0:
                kind = "private"
            elif str(key).startswith("-100"):
                kind = "supergroup"
            else:
                kind = "group"
        if kind == "private":
            return {"id": key, "type": kind, "first_name": f"User{key}"}
        return {"id": key, "type": kind, "title": f"Chat {key}"}

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> JSONDict:
        chat = self._chat(params.get("chat_id", 0))
        msg: JSONDict = {
            "message_id": next(self._message_ids) if message_id is None else message_id,
            "date": int(time.time()),
            "chat": chat,
        }
        if chat["type"] == "channel":
            msg["sender_chat"] = chat
        else:
            msg["from"] = _BOT_FROM
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            msg["reply_to_message"] = {
                "message_id": reply["message_id"],
                "date": msg["date"],
                "chat": self._chat(reply.get("chat_id", params.get("chat_id", 0))),
            }
        if "message_thread_id" in params:
            msg["message_thread_id"] = params["message_thread_id"]
        return msg

    def _remember(self, msg: JSONDict, content: str | None, markup: Any) -> None:
        if self.validate:  # only needed for "message is not modified"
            self._contents[(msg["chat"]["id"], msg["message_id"])] = (content, markup)

    def _file(self, kind: str, value: Any) -> JSONDict:
        n = next(self._file_ids)
        info: JSONDict = {"file_id": f"{kind}-{n}", "file_unique_id": f"u{kind}-{n}"}
        if isinstance(value, UploadedFile):
            info["file_size"] = len(value.content)
            if kind in ("document", "audio", "animation"):
                info["file_name"] = value.filename
                info["mime_type"] = value.mimetype
            self.file_contents[info["file_id"]] = value.content
        elif isinstance(value, str) and not value.startswith(("http://", "https://")):
            info["file_id"] = value  # re-sent by file_id
        return info

    def _media_dict(self, kind: str, value: Any) -> Any:
        info = self._file(kind, value)
        if kind == "photo":
            return [
                {**info, "file_id": f"{info['file_id']}-s", "width": 90, "height": 90},
                {**info, "width": 1280, "height": 720},
            ]
        if kind in ("video", "animation"):
            info.update(width=1280, height=720, duration=1)
        elif kind in ("voice", "audio"):
            info["duration"] = 1
        elif kind == "video_note":
            info.update(length=240, duration=1)
        elif kind == "sticker":
            info.update(width=512, height=512, is_animated=False, is_video=False, type="regular")
        return info

    def _send_message(self, _name: str, params: dict[str, Any]) -> JSONDict:
        msg = self._message(params)
        text = params.get("text", "")
        msg["text"] = _plain_text(text, params.get("parse_mode")) if self.validate else text
        self._remember(msg, text, params.get("reply_markup"))
        return msg

    def _send_media(self, name: str, params: dict[str, Any]) -> JSONDict:
        kind = _MEDIA_METHODS[name.lower()]
        msg = self._message(params)
        msg[kind] = self._media_dict(kind, params.get(kind))
        caption = params.get("caption")
        if isinstance(caption, str):
            msg["caption"] = caption
        self._remember(msg, caption, params.get("reply_markup"))
        return msg

    def _send_media_group(self, _name: str, params: dict[str, Any]) -> list[JSONDict]:
        messages = []
        for item in params.get("media") or []:
            kind = item.get("type", "photo")
            msg = self._message(params)
            msg[kind] = self._media_dict(kind, item.get("media"))
            if "caption" in item:
                msg["caption"] = item["caption"]
            messages.append(msg)
        return messages

    def _copy_messages(self, _name: str, params: dict[str, Any]) -> list[JSONDict]:
        return [{"message_id": next(self._message_ids)} for _ in params.get("message_ids") or []]

    def _forward_message(self, _name: str, params: dict[str, Any]) -> JSONDict:
        msg = self._message(params)
        msg["forward_origin"] = {
            "type": "chat",
            "date": msg["date"],
            "sender_chat": self._chat(params.get("from_chat_id", 0)),
        }
        msg["text"] = ""
        return msg

    def _edit(self, name: str, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        key = name.lower()
        msg = self._message(params, message_id=params.get("message_id", 0))
        msg["edit_date"] = msg["date"]
        stored_key = (msg["chat"]["id"], msg["message_id"])
        before = self._contents.get(stored_key, (None, None))
        if key == "editmessagetext":
            text = params.get("text", "")
            msg["text"] = _plain_text(text, params.get("parse_mode")) if self.validate else text
            content: str | None = text
        elif key == "editmessagecaption":
            content = params.get("caption")
            msg["caption"] = content or ""
        elif key == "editmessagemedia":
            media = params.get("media") or {}
            kind = media.get("type", "photo")
            msg[kind] = self._media_dict(kind, media.get("media"))
            content = media.get("caption")
        else:  # editMessageReplyMarkup
            content = before[0]
            msg["text"] = content or ""
        if self.validate:
            self._contents[stored_key] = (content, params.get("reply_markup"))
        return msg

    def _delete(self, _name: str, params: dict[str, Any]) -> bool:
        self._contents.pop((_chat_key(params.get("chat_id")), params.get("message_id", 0)), None)
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))

    def _set_commands(self, _name: str, params: dict[str, Any]) -> bool:
        self.commands[self._commands_key(params)] = list(params.get("commands") or [])
        return True

    def _get_commands(self, _name: str, params: dict[str, Any]) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_commands(self, _name: str, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _get_chat(self, _name: str, params: dict[str, Any]) -> JSONDict:
        return {
            **self._chat(params.get("chat_id", 0)),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, _name: str, params: dict[str, Any]) -> JSONDict:
        user_id = int(params.get("user_id", 0))
        if user_id == BOT_ID:
            return {"status": "member", "user": dict(_BOT_FROM)}
        return {
            "status": "member",
            "user": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
        }

    def _get_file(self, _name: str, params: dict[str, Any]) -> JSONDict:
        file_id = str(params.get("file_id", ""))
        content = self.file_contents.get(file_id, b"")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": file_id,
        }


# --------------------------------------------------------------------------------------------
# Application helpers
# --------------------------------------------------------------------------------------------


def make_application(fake: FakeTelegram, **builder_kwargs: Any) -> AnyApplication:
    """Build a real Application whose Bot talks to ``fake`` (and has no Updater).

    Each keyword calls the ApplicationBuilder method of that name, e.g.
    ``make_application(fake, rate_limiter=AIORateLimiter(max_retries=2),
    persistence=PicklePersistence(path), concurrent_updates=True, post_init=setup,
    defaults=Defaults(parse_mode="HTML"), token="1:OTHER")``.
    """
    builder = (
        Application.builder()
        .token(builder_kwargs.pop("token", TOKEN))
        .request(fake)
        .get_updates_request(FakeTelegram())
        .updater(None)
    )
    for name, value in builder_kwargs.items():
        method = getattr(builder, name, None)
        if name.startswith("_") or name == "build" or not callable(method):
            raise TypeError(f"ApplicationBuilder has no setting {name!r}")
        builder = method(value)
    return builder.build()


def to_update(payload: JSONDict, app_or_bot: Any) -> Update:
    """``Update.de_json(payload, bot)`` for an Application or a Bot."""
    bot = app_or_bot.bot if isinstance(app_or_bot, Application) else app_or_bot
    update = Update.de_json(payload, bot)
    assert update is not None
    return update


async def feed(app: AnyApplication, *payloads: JSONDict) -> None:
    """Process update payloads one after another through ``app`` (must be initialized)."""
    for payload in payloads:
        await app.process_update(Update.de_json(payload, app.bot))


@asynccontextmanager
async def running(app: AnyApplication, *, start: bool = False) -> AsyncIterator[AnyApplication]:
    """``async with running(app):`` initializes (and with ``start=True`` also starts, so the
    JobQueue and post_init-scheduled tasks run) and shuts down afterwards."""
    async with app:
        if start:
            await app.start()
        try:
            yield app
        finally:
            if start and app.running:
                await app.stop()


def collect_errors(app: AnyApplication) -> list[BaseException]:
    """Register an error handler that stores handler exceptions in the returned list.

    Without any error handler PTB only logs them, so a test would pass silently.
    """
    errors: list[BaseException] = []

    async def _store(_update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(_store)
    return errors


# --------------------------------------------------------------------------------------------
# Update builders
# --------------------------------------------------------------------------------------------

class _Ids:
    """Counters shared by the builders."""

    def __init__(self) -> None:
        self.update = itertools.count(1)
        self.message = itertools.count(1)
        self.query = itertools.count(1)

    def reset(self, start: int) -> None:
        self.update = itertools.count(start)
        self.message = itertools.count(start)
        self.query = itertools.count(start)


_ids = _Ids()

DEFAULT_GROUP_ID: Final = -1001000000001


def reset_ids(start: int = 1) -> None:
    """Restart update_id / message_id / query id numbering (for deterministic tests)."""
    _ids.reset(start)


def _now() -> int:
    return int(time.time())


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _user(
    user_id: int,
    *,
    first_name: str | None = None,
    language_code: str | None = "en",
    username: str | None = None,
) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
    if language_code:
        user["language_code"] = language_code
    if username:
        user["username"] = username
    return user


def _chat_dict(chat_id: int, chat_type: str, user: JSONDict | None = None) -> JSONDict:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": (user or {}).get("first_name", "U")}
    return {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}


def _message(
    user_id: int,
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    language_code: str | None = "en",
    first_name: str | None = None,
    username: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONDict:
    user = _user(user_id, first_name=first_name, language_code=language_code, username=username)
    if chat_id is None:
        chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_ID
    msg: JSONDict = {
        "message_id": next(_ids.message),
        "date": _now(),
        "chat": _chat_dict(chat_id, chat_type, user),
        "from": user,
    }
    if extra:
        msg.update(extra)
    return msg


def _update(msg: JSONDict, key: str = "message") -> JSONDict:
    return {"update_id": next(_ids.update), key: msg}


def _reply_dict(reply_to: int | JSONDict, chat: JSONDict) -> JSONDict:
    """A reply_to_message from a message_id, a message dict or an update dict."""
    if isinstance(reply_to, int):
        return {
            "message_id": reply_to,
            "date": _now(),
            "chat": chat,
            "from": _user(1, first_name="Someone"),
            "text": "original message",
        }
    msg = reply_to.get("message", reply_to) if "update_id" in reply_to else reply_to
    return {**msg, "chat": chat}


def private_text(
    user_id: int,
    text: str,
    *,
    language_code: str | None = "en",
    first_name: str | None = None,
    entities: list[JSONDict] | None = None,
    **extra: Any,
) -> JSONDict:
    """A text message in the user's private chat with the bot."""
    msg = _message(user_id, language_code=language_code, first_name=first_name)
    msg["text"] = text
    if entities:
        msg["entities"] = entities
    msg.update(extra)
    return _update(msg)


def channel_origin(
    channel_id: int = -1001234567890,
    channel_message_id: int = 42,
    *,
    channel_username: str | None = "example_channel",
    channel_title: str = "Example channel",
    author_signature: str | None = None,
    date: int | None = None,
) -> JSONDict:
    """A ``forward_origin`` of type "channel" (MessageOriginChannel: chat, message_id,
    author_signature), for use as ``forward_origin=`` in any builder's extra keys."""
    chat: JSONDict = {"id": channel_id, "type": "channel", "title": channel_title}
    if channel_username:
        chat["username"] = channel_username
    origin: JSONDict = {
        "type": "channel",
        "date": date if date is not None else _now() - 3600,
        "chat": chat,
        "message_id": channel_message_id,
    }
    if author_signature:
        origin["author_signature"] = author_signature
    return origin


def _text_or_caption(
    msg: JSONDict, text: str, caption: bool, file_unique_id: str, entities: Any
) -> None:
    if caption:
        msg["photo"] = _photo_sizes(file_unique_id)
        msg["caption"] = text
        if entities:
            msg["caption_entities"] = entities
    else:
        msg["text"] = text
        if entities:
            msg["entities"] = entities


def forwarded_from_channel(
    user_id: int,
    text: str,
    *,
    channel_id: int = -1001234567890,
    channel_username: str | None = "example_channel",
    channel_title: str = "Example channel",
    channel_message_id: int = 42,
    caption: bool = False,
    language_code: str | None = "en",
    author_signature: str | None = None,
    file_unique_id: str = "AQADfwdphoto",
    entities: list[JSONDict] | None = None,
    **extra: Any,
) -> JSONDict:
    """A channel post forwarded into the private chat (``forward_origin.type == "channel"``).

    With ``caption=True`` the post is a photo and ``text`` is its caption.
    """
    msg = _message(user_id, language_code=language_code)
    msg["forward_origin"] = channel_origin(
        channel_id,
        channel_message_id,
        channel_username=channel_username,
        channel_title=channel_title,
        author_signature=author_signature,
    )
    _text_or_caption(msg, text, caption, file_unique_id, entities)
    msg.update(extra)
    return _update(msg)


def forwarded_from_user(
    user_id: int,
    text: str,
    *,
    origin_user_id: int = 555,
    origin_first_name: str = "Original",
    origin_username: str | None = None,
    caption: bool = False,
    language_code: str | None = "en",
    file_unique_id: str = "AQADfwduser",
    **extra: Any,
) -> JSONDict:
    """A message forwarded from a user who allows linking (``forward_origin.type == "user"``)."""
    msg = _message(user_id, language_code=language_code)
    msg["forward_origin"] = {
        "type": "user",
        "date": _now() - 3600,
        "sender_user": _user(
            origin_user_id,
            first_name=origin_first_name,
            language_code=None,
            username=origin_username,
        ),
    }
    _text_or_caption(msg, text, caption, file_unique_id, None)
    msg.update(extra)
    return _update(msg)


def forwarded_from_hidden_user(
    user_id: int,
    text: str,
    sender_user_name: str = "Hidden Person",
    *,
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """A message forwarded from a user who hides their account (only a name is known)."""
    msg = _message(user_id, language_code=language_code)
    msg["forward_origin"] = {
        "type": "hidden_user",
        "date": _now() - 3600,
        "sender_user_name": sender_user_name,
    }
    msg["text"] = text
    msg.update(extra)
    return _update(msg)


def forwarded_from_chat(
    user_id: int,
    text: str,
    *,
    chat_id: int = -1009876543210,
    chat_title: str = "Example group",
    chat_username: str | None = None,
    author_signature: str | None = None,
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """A message forwarded from an anonymous group admin / the group itself (type "chat")."""
    msg = _message(user_id, language_code=language_code)
    sender_chat: JSONDict = {"id": chat_id, "type": "supergroup", "title": chat_title}
    if chat_username:
        sender_chat["username"] = chat_username
    origin: JSONDict = {"type": "chat", "date": _now() - 3600, "sender_chat": sender_chat}
    if author_signature:
        origin["author_signature"] = author_signature
    msg["forward_origin"] = origin
    msg["text"] = text
    msg.update(extra)
    return _update(msg)


def _photo_sizes(file_unique_id: str) -> list[JSONDict]:
    return [
        {"file_id": f"{file_unique_id}-fs", "file_unique_id": f"{file_unique_id}-s",
         "width": 90, "height": 67, "file_size": 1200},
        {"file_id": f"{file_unique_id}-fm", "file_unique_id": f"{file_unique_id}-m",
         "width": 320, "height": 240, "file_size": 15000},
        {"file_id": f"{file_unique_id}-f", "file_unique_id": file_unique_id,
         "width": 1280, "height": 960, "file_size": 120000},
    ]  # fmt: skip


def _media_message(
    user_id: int,
    kind: str,
    media: Any,
    caption: str | None,
    chat_id: int | None,
    chat_type: str,
    extra: Mapping[str, Any],
) -> JSONDict:
    msg = _message(user_id, chat_id=chat_id, chat_type=chat_type)
    msg[kind] = media
    if caption is not None:
        msg["caption"] = caption
    msg.update(extra)
    return _update(msg)


def photo(
    user_id: int,
    *,
    caption: str | None = None,
    file_unique_id: str = "AQADphoto1",
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A photo (three sizes; the largest, ``photo[-1]``, has ``file_unique_id``)."""
    return _media_message(
        user_id, "photo", _photo_sizes(file_unique_id), caption, chat_id, chat_type, extra
    )


def video(
    user_id: int,
    *,
    caption: str | None = None,
    file_unique_id: str = "AQADvideo1",
    duration: int = 15,
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A video message."""
    media = {
        "file_id": f"{file_unique_id}-f",
        "file_unique_id": file_unique_id,
        "width": 1280,
        "height": 720,
        "duration": duration,
        "mime_type": "video/mp4",
    }
    return _media_message(user_id, "video", media, caption, chat_id, chat_type, extra)


def document(
    user_id: int,
    *,
    file_name: str = "report.pdf",
    mime_type: str = "application/pdf",
    caption: str | None = None,
    file_unique_id: str = "AQADdoc1",
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A document (file) message."""
    media = {
        "file_id": f"{file_unique_id}-f",
        "file_unique_id": file_unique_id,
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": 2048,
    }
    return _media_message(user_id, "document", media, caption, chat_id, chat_type, extra)


def sticker(
    user_id: int,
    *,
    emoji: str = "👍",
    file_unique_id: str = "AQADsticker1",
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A regular static sticker."""
    media = {
        "file_id": f"{file_unique_id}-f",
        "file_unique_id": file_unique_id,
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": emoji,
    }
    return _media_message(user_id, "sticker", media, None, chat_id, chat_type, extra)


def voice(
    user_id: int,
    *,
    duration: int = 4,
    file_unique_id: str = "AQADvoice1",
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A voice note."""
    media = {
        "file_id": f"{file_unique_id}-f",
        "file_unique_id": file_unique_id,
        "duration": duration,
        "mime_type": "audio/ogg",
    }
    return _media_message(user_id, "voice", media, None, chat_id, chat_type, extra)


def poll(
    user_id: int,
    question: str = "Is this true?",
    options: Iterable[str] = ("Yes", "No"),
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """A message carrying a regular anonymous poll."""
    media = {
        "id": str(next(_ids.query)),
        "question": question,
        "options": [
            {"text": option, "voter_count": 0, "persistent_id": str(n)}
            for n, option in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        # PTB 22.8 rejects polls without these (Bot API 9.6 / 10.0 fields)
        "allows_revoting": False,
        "members_only": False,
    }
    return _media_message(user_id, "poll", media, None, chat_id, chat_type, extra)


def edited_text(
    user_id: int,
    message_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> JSONDict:
    """An ``edited_message`` update: the user edited message ``message_id`` to ``text``."""
    msg = _message(user_id, chat_id=chat_id, chat_type=chat_type)
    msg["message_id"] = message_id
    msg["date"] = _now() - 60
    msg["edit_date"] = _now()
    msg["text"] = text
    msg.update(extra)
    return _update(msg, "edited_message")


def command(
    user_id: int,
    name: str = "/start",
    args: str = "",
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    with_username: bool = False,
    reply_to: int | JSONDict | None = None,
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """A ``/command [args]`` with a bot_command entity at offset 0.

    ``with_username=True`` writes ``/command@factbot_test_bot`` (as in groups). ``chat_type``
    other than "private" puts it in a group (default id :data:`DEFAULT_GROUP_ID`).
    """
    cmd = name if name.startswith("/") else f"/{name}"
    if with_username:
        cmd = f"{cmd}@{BOT_USERNAME}"
    msg = _message(user_id, chat_id=chat_id, chat_type=chat_type, language_code=language_code)
    msg["text"] = f"{cmd} {args}" if args else cmd
    msg["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(cmd)}]
    if reply_to is not None:
        msg["reply_to_message"] = _reply_dict(reply_to, msg["chat"])
    msg.update(extra)
    return _update(msg)


def group_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    reply_to: int | JSONDict | None = None,
    mention_bot: bool = False,
    chat_type: str = "supergroup",
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """A text message in a group (supergroup by default; use a negative ``chat_id``).

    ``mention_bot`` appends `` @factbot_test_bot`` with a mention entity; ``reply_to`` is a
    message_id, a message dict or an update dict (its chat is replaced by this group).
    """
    msg = _message(user_id, chat_id=chat_id, chat_type=chat_type, language_code=language_code)
    entities: list[JSONDict] = list(extra.pop("entities", None) or [])
    if mention_bot:
        mention = f"@{BOT_USERNAME}"
        offset = _utf16_len(text) + 1 if text else 0
        text = f"{text} {mention}" if text else mention
        entities.append({"type": "mention", "offset": offset, "length": _utf16_len(mention)})
    msg["text"] = text
    if entities:
        msg["entities"] = entities
    if reply_to is not None:
        msg["reply_to_message"] = _reply_dict(reply_to, msg["chat"])
    msg.update(extra)
    return _update(msg)


def group_command(
    chat_id: int,
    user_id: int,
    name: str = "/check",
    args: str = "",
    *,
    reply_to: int | JSONDict | None = None,
    with_username: bool = False,
    chat_type: str = "supergroup",
    **extra: Any,
) -> JSONDict:
    """A command in a group, e.g. ``/check`` sent as a reply to the message to check."""
    return command(
        user_id,
        name,
        args,
        chat_id=chat_id,
        chat_type=chat_type,
        with_username=with_username,
        reply_to=reply_to,
        **extra,
    )


def callback(
    user_id: int,
    data: str,
    *,
    message_id: int,
    chat_id: int | None = None,
    chat_type: str | None = None,
    message_text: str = "card",
    inline_message_id: str | None = None,
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """A callback_query from a button on the bot's message ``message_id``.

    Extra keys are merged into the attached message (e.g. its ``reply_markup``). With
    ``inline_message_id`` the query comes from an inline-mode message and has no message.
    """
    user = _user(user_id, language_code=language_code)
    query: JSONDict = {
        "id": str(next(_ids.query)),
        "from": user,
        "chat_instance": f"ci{chat_id if chat_id is not None else user_id}",
        "data": data,
    }
    if inline_message_id is not None:
        query["inline_message_id"] = inline_message_id
        return _update(query, "callback_query")
    if chat_id is None:
        chat_id = user_id
    kind = chat_type or ("private" if chat_id > 0 else "supergroup")
    message: JSONDict = {
        "message_id": message_id,
        "date": _now() - 10,
        "chat": _chat_dict(chat_id, kind, user),
        "from": dict(_BOT_FROM),
        "text": message_text,
    }
    message.update(extra)
    query["message"] = message
    return _update(query, "callback_query")


def inline_query(
    user_id: int,
    query: str,
    *,
    offset: str = "",
    chat_type: str = "sender",
    language_code: str | None = "en",
    **extra: Any,
) -> JSONDict:
    """An inline query ``@factbot_test_bot <query>``."""
    payload: JSONDict = {
        "id": str(next(_ids.query)),
        "from": _user(user_id, language_code=language_code),
        "query": query,
        "offset": offset,
        "chat_type": chat_type,
    }
    payload.update(extra)
    return _update(payload, "inline_query")
