"""Reply rendering: verdict cards in Telegram HTML (every piece of user and KB text escaped) and the
same replies as plain text for the CLI. Messages stay within Telegram's 4096 characters."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.rendering.i18n import language_name, t
from knowledge.matcher import Match
from knowledge.schema import Claim, Source, Translation

TELEGRAM_LIMIT = 4096
MAX_SOURCES = 5
FRAGMENT_CHARS = 300
SUMMARY_CHARS = 1500
SEPARATOR = "\n\n━━━━━━━━━━\n\n"

BADGES = {
    "false": "❌",
    "misleading": "⚠️",
    "unproven": "❓",
    "disputed": "⚖️",
    "true": "✅",
    "opinion": "💬",
}


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def message_html(lang: str, key: str, **values: object) -> str:
    """One catalog message as Telegram HTML: escaped, because its values can carry user or KB text."""
    return esc(t(lang, key, **values))


def shorten(text: str, limit: int) -> str:
    """Cut plain text at a word boundary with an ellipsis (before escaping, so never inside a tag)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def verdict_line(verdict: str, lang: str) -> str:
    return f"{BADGES.get(verdict, '•')} <b>{esc(t(lang, 'verdict.' + verdict))}</b>"


def source_line(source: Source) -> str:
    details = ", ".join(x for x in (source.publisher, source.date.isoformat() if source.date else None) if x)
    title = esc(source.title)
    label = f'<a href="{esc(source.url)}">{title}</a>' if source.url else title
    return f"• {label}" + (f" — {esc(details)}" if details else "")


def in_language(claim: Claim, lang: str) -> tuple[Translation, str | None]:
    """The claim and summary to show a reader of `lang`, and the name of their language when it is
    the original shown untranslated (None when the reader gets their own language)."""
    translated = claim.translation(lang)
    if translated is not None:
        return translated, None
    return Translation(claim=claim.claim, summary=claim.summary), language_name(claim.lang, lang)


def card(
    claim: Claim,
    lang: str,
    *,
    fragment: str | None = None,
    compact: bool = False,
    summary_chars: int = SUMMARY_CHARS,
    match: Match | None = None,
) -> str:
    """One claim's verdict card as Telegram HTML, in the reader's language when the entry has it."""
    text, original = in_language(claim, lang)
    marker = f" <i>({esc(original)})</i>" if original else ""
    lines = [verdict_line(claim.verdict, lang), f"<b>{esc(t(lang, 'card.claim'))}:</b> {esc(text.claim)}{marker}"]
    lines.append("")
    lines.append(esc(shorten(text.summary, 400 if compact else summary_chars)))
    sources = claim.sources[: 1 if compact else MAX_SOURCES]
    if sources:
        lines.append("")
        lines.append(f"<b>{esc(t(lang, 'card.sources'))}:</b>")
        lines.extend(source_line(s) for s in sources)
        hidden = len(claim.sources) - len(sources)
        if hidden > 0 and not compact:
            lines.append(esc(t(lang, "card.more_sources", count=hidden)))
    if fragment and not compact:
        lines.append("")
        lines.append(f"<b>{esc(t(lang, 'card.matched'))}:</b> <i>«{esc(shorten(fragment, FRAGMENT_CHARS))}»</i>")
    why = why_line(match, lang) if match is not None and not compact else None
    if why:
        lines.append(f"<i>{esc(why)}</i>")
    if claim.date and not compact:
        lines.append(f"<i>{esc(t(lang, 'card.date', date=claim.date.isoformat()))}</i>")
    return "\n".join(lines)


def why_line(match: Match, lang: str) -> str | None:
    """One line saying on what the post agrees with the claim (figures, place, side), in `lang`."""
    parts = []
    for kind in match.agreed:
        if kind == "figures" and match.figures:
            parts.append(t(lang, "card.why.figures", figures=", ".join(match.figures)))
        elif kind in ("place", "side"):
            parts.append(t(lang, f"card.why.{kind}"))
    return t(lang, "card.why", parts="; ".join(parts)) if parts else None


def fit(sections: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack whole sections into as few messages as fit the limit (sections are never cut)."""
    messages: list[str] = []
    current = ""
    for section in sections:
        candidate = section if not current else current + SEPARATOR + section
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = section
    if current:
        messages.append(current)
    return messages


def strong_cards(matches: Sequence[Match], lang: str, *, note: str | None = None) -> list[str]:
    """The reply for strong matches: one section per claim, split into messages within the limit."""
    sections = []
    for match in matches:
        section = card(match.claim, lang, fragment=match.fragment, match=match)
        if len(section) > TELEGRAM_LIMIT - 200:
            section = card(match.claim, lang, fragment=match.fragment, summary_chars=600, match=match)
        sections.append(section)
    if len(matches) > 1:
        sections.insert(0, esc(t(lang, "card.found_several", count=len(matches))))
    if note:
        sections.append(note)
    return fit(sections)


def possible_intro(lang: str, *, note: str | None = None) -> str:
    text = esc(t(lang, "possible.intro"))
    return text + ("\n\n" + note if note else "")


def possible_button_label(match: Match, lang: str | None = None) -> str:
    """A button label: the verdict badge and the claim (in `lang` when translated), within Telegram's limit."""
    text = in_language(match.claim, lang)[0].claim if lang else match.claim.claim
    return f"{BADGES.get(match.claim.verdict, '•')} {shorten(text, 60)}"


def no_match(lang: str, *, note: str | None = None) -> str:
    parts = [esc(t(lang, "none.intro")), esc(t(lang, "none.tips")), esc(t(lang, "none.offer"))]
    if note:
        parts.append(note)
    return "\n\n".join(parts)


def reputation_note(count: int, false_count: int, lang: str) -> str:
    return "📣 " + esc(t(lang, "reputation", count=count, false=false_count))


_TAG = re.compile(r"<(/?)(a|b|i|u|s|code|pre|blockquote)(\s[^>]*)?>")
_HREF = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def to_plain(markup: str) -> str:
    """Telegram HTML as plain text: links become 'title (url)', tags dropped, entities unescaped."""
    text = _HREF.sub(lambda m: f"{m.group(2)} ({m.group(1)})", markup)
    text = _TAG.sub("", text)
    return html.unescape(text)


def plain_reply(matches: Sequence[Match], lang: str = "en") -> str:
    """The reply a user would get for these matches, as plain text (used by `factbot check`)."""
    strong = [m for m in matches if m.strength == "strong"]
    if strong:
        return to_plain(SEPARATOR.join(strong_cards(strong, lang)))
    if matches:
        options = "\n".join(f"{i}. {to_plain(possible_button_label(m, lang))}" for i, m in enumerate(matches[:3], 1))
        return f"{t(lang, 'possible.intro')}\n{options}"
    return to_plain(no_match(lang))
