"""Keys derived from the secret: pseudonymous user keys for the log and signed button payloads."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_CHARS = 12  # 48 bits: forging one needs ~2^47 tries against a rate-limited bot


def user_key(secret: str, user_id: int) -> str:
    """HMAC-SHA256 of the Telegram user id: the log never stores the raw id."""
    return hmac.new(secret.encode("utf-8"), str(user_id).encode("ascii"), hashlib.sha256).hexdigest()


def text_hash(text: str) -> str:
    """A stable hash of a text (for logs kept without texts, and for grouping the same post)."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _signature(secret: str, user_id: int, payload: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{user_id}|{payload}".encode(), hashlib.sha256)
    return mac.hexdigest()[:SIGNATURE_CHARS]


def sign(secret: str, user_id: int, payload: str) -> str:
    """callback_data for a button only `user_id` may press: 'payload:signature' (well under 64 bytes)."""
    data = f"{payload}:{_signature(secret, user_id, payload)}"
    if len(data.encode("utf-8")) > 64:
        raise ValueError(f"callback payload too long: {payload!r}")
    return data


def verify(secret: str, user_id: int, data: str | None) -> str | None:
    """The payload of a signed button pressed by `user_id`, or None when forged, foreign or malformed."""
    if not data or ":" not in data or len(data) > 64:
        return None
    payload, _, signature = data.rpartition(":")
    if not payload or not hmac.compare_digest(signature, _signature(secret, user_id, payload)):
        return None
    return payload
