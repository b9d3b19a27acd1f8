"""URLs in posts: finding them, and one canonical form for exact lookups."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["URL_RE", "canonical_url", "extract_urls"]

_TLDS = "com|org|net|ru|ua|su|by|kz|me|io|info|news|gov|edu|uk|de|fr|tv|co|ly|be|eu|online|site|pro"
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»]+"  # explicit scheme or www.
    r"|\b(?:pic\.twitter\.com|t\.me|t\.co|youtu\.be|bit\.ly)/[^\s<>\"'«»]+"  # well-known shorteners
    rf"|\b(?:[a-z0-9][a-z0-9-]*\.)+(?:{_TLDS})\b(?:/[^\s<>\"'«»]*)?",  # bare domain (+ path)
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?)]}»\"'…"


def extract_urls(text: str) -> list[str]:
    """URLs in `text` in order of appearance, with trailing sentence punctuation removed."""
    if not text:
        return []
    out: list[str] = []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(_TRAILING_PUNCT)
        if url:
            out.append(url)
    return out


def canonical_url(url: str) -> str:
    """A form of `url` for exact lookups.

    http and https are treated alike (the same page), the host is lower-cased without "www.",
    the fragment, tracking parameters and a trailing slash are dropped, and Telegram's web preview
    path ``t.me/s/<channel>/<id>`` is folded into ``t.me/<channel>/<id>``.
    """
    u = (url or "").strip()
    if not u:
        return ""
    if "://" not in u:
        u = "https://" + u
    try:
        parts = urlsplit(u)
    except ValueError:
        return u.lower().rstrip("/")
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if host in ("telegram.me", "telegram.dog"):
        host = "t.me"
    try:
        port = parts.port
    except ValueError:  # "example.com:99999", "t.me:abc": keep what was written, as text
        port = None
        written = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        host = f"{host}:{written.lower()}"
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if host == "t.me" and path.startswith("/s/"):
        path = path[2:]
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in ("fbclid", "gclid", "si")
        ]
    )
    return urlunsplit((scheme, host, path, query, ""))

