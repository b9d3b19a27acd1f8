"""Knowledge-base interchange as schema.org ClaimReview JSON-LD (Google Fact Check Tools, other fact-checkers).

Writing: a JSON array with one ClaimReview per claim and language (the original first, then one per
translation, whose claimReviewed/reviewBody/inLanguage are the translation's, identifier is "ID@LANG" and
translationOfWork names the original: {"@type": "ClaimReview", "identifier": ID}). Reading merges such
translations back into their original's entry. Fields of the original review:
    identifier      our id                    claimReviewed  the claim text
    reviewBody      our summary               inLanguage     the claim's language
    reviewRating    {"@type": "Rating", "alternateName": the verdict in English words ("False"...),
                     "ratingValue", "bestRating": 5, "worstRating": 1}
    itemReviewed    {"@type": "Claim", "author": the first origin, "datePublished": its date,
                     "appearance": one CreativeWork per origin (url, datePublished, author),
                     "alternateName": the variants as JSON-LD language-tagged strings}
    citation        one CreativeWork per source (name, publisher, url, datePublished)
    url             the first source with a url (omitted when none has one; never invented)
    datePublished   published (else updated); dateModified: updated
    author          the fact-checker: {"@type": "Organization", "name": "factbot"}
    keywords        our keywords;  about: our tags, as {"@type": "Thing", "name": tag}

Verdict -> ratingValue on a 1 (worst: false) .. 5 (best: true) truth scale:
    false 1, misleading 2, unproven 3, disputed 3, true 5; "opinion" is not on a truth scale and has no
    ratingValue (alternateName "Opinion" only). The number is a hint for tools that want one; our reader
    maps only the textual alternateName, because publishers' numeric scales differ.

An origin's kind travels as the author's "@type" (person -> Person, else Organization) plus
"additionalType" (our kind name), so our own files round-trip every field of our schema. Lossy: a claim
with `updated` but no `published` reads back with both dates equal to `updated`; a variant's missing
language stays missing. Other publishers' files carry less: an origin's kind comes from the author's
type (Person -> person, else other; an appearance without an author -> website, named by its host).

Reading accepts a JSON array, an object with "@graph", a DataFeed ("dataFeedElement", items either
ClaimReviews or DataFeedItems with "item"), or one ClaimReview. Textual ratings map to verdicts with
the table RATING_WORDS (English plus common Russian, Ukrainian, Spanish, French and German words);
"satire" and anything else not in the table is reported in `problems` and skipped, never guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.errors import KnowledgeBaseInvalid
from bot.rendering.i18n import LANGUAGES, t
from knowledge.loader import claim_to_dict, validate_entry
from knowledge.schema import ID_RE, LANG_RE, ORIGIN_KINDS, VERDICTS, Claim, claim_id_from_text, free_id

CONTEXT = "https://schema.org"
FACT_CHECKER = {"@type": "Organization", "name": "factbot"}
BEST_RATING = 5
WORST_RATING = 1
RATING_VALUES: dict[str, int | None] = {
    "false": 1,
    "misleading": 2,
    "unproven": 3,
    "disputed": 3,
    "true": 5,
    "opinion": None,
}

_FALSE = (
    "false", "pants on fire", "fake", "fake news", "fabricated", "hoax", "incorrect", "wrong", "not true", "untrue",
    "scam", "falso", "faux", "falsch", "неправда", "фейк", "ложь", "брехня", "фейк ньюз",
    "не соответствует действительности",
)  # fmt: skip
_MISLEADING = (
    "misleading", "mostly false", "half true", "half-true", "mixture", "mixed", "missing context", "needs context",
    "lacks context", "out of context", "exaggerated", "exaggeration", "partly false", "partially false",
    "partly true", "partially true", "distorted", "manipulation", "manipulated", "altered", "cherry picked",
    "engañoso", "enganoso", "trompeur", "irreführend", "manipulado", "вводит в заблуждение", "манипуляция",
    "полуправда", "преувеличение", "вырвано из контекста", "маніпуляція", "напівправда", "перебільшення",
    "вводить в оману", "неточно",
)  # fmt: skip
_UNPROVEN = (
    "unproven", "unverified", "no evidence", "unsupported", "unsubstantiated", "not proven", "unconfirmed",
    "lacks evidence", "insufficient evidence", "cannot be verified", "unverifiable", "не доказано",
    "не подтверждено", "нет доказательств", "не доведено", "не підтверджено", "немає доказів",
)  # fmt: skip
_DISPUTED = ("disputed", "contested", "controversial", "спорно", "спірно", "оспаривается")
_TRUE = (
    "true", "correct", "mostly true", "accurate", "mostly correct", "mostly accurate", "verified", "confirmed",
    "verdadero", "vrai", "richtig", "wahr", "правда", "верно", "в основном правда", "достоверно", "переважно правда",
)  # fmt: skip
_OPINION = ("opinion", "мнение", "думка")


def _norm_rating(text: str) -> str:
    text = text.strip().lower().replace("’", "'").replace("_", " ").replace("-", " ")
    text = re.sub(r"[!.?:;«»\"“”]+", " ", text)
    return " ".join(text.split())


def _rating_table() -> dict[str, str]:
    table: dict[str, str] = {}
    groups: list[tuple[tuple[str, ...], str]] = [(_FALSE, "false"), (_MISLEADING, "misleading")]
    groups += [(_UNPROVEN, "unproven"), (_DISPUTED, "disputed"), (_TRUE, "true"), (_OPINION, "opinion")]
    for words, verdict in groups:
        for word in words:
            table[_norm_rating(word)] = verdict
    for lang in LANGUAGES:  # our own verdict names in every language we speak
        for verdict in VERDICTS:
            table.setdefault(_norm_rating(t(lang, f"verdict.{verdict}")), verdict)
    return table


RATING_WORDS: dict[str, str] = _rating_table()
# Not verdicts on a claim's truth: reported, not imported ("satire" says what a text is, not whether it is true).
NOT_VERDICTS = frozenset({"satire", "parody", "humor", "humour", "сатира", "пародия", "пародія"})


def rating_to_verdict(text: str) -> str | None:
    """Our verdict for a textual rating ("Mostly False" -> misleading), None when it has no mapping."""
    key = _norm_rating(text)
    if key in NOT_VERDICTS:
        return None
    return RATING_WORDS.get(key)


# --- writing ------------------------------------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None and v != []}


def claim_to_review(claim: Claim) -> dict[str, Any]:
    """One claim as a ClaimReview mapping."""
    rating = _compact(
        {
            "@type": "Rating",
            "alternateName": t("en", f"verdict.{claim.verdict}"),
            "ratingValue": RATING_VALUES.get(claim.verdict),
            "bestRating": BEST_RATING if RATING_VALUES.get(claim.verdict) is not None else None,
            "worstRating": WORST_RATING if RATING_VALUES.get(claim.verdict) is not None else None,
        }
    )
    appearances = [
        _compact(
            {
                "@type": "CreativeWork",
                "url": o.url,
                "datePublished": _iso(o.date),
                "author": {
                    "@type": "Person" if o.kind == "person" else "Organization",
                    "name": o.name,
                    "additionalType": o.kind,
                },
            }
        )
        for o in claim.origins
    ]
    first = claim.origins[0] if claim.origins else None
    item = _compact(
        {
            "@type": "Claim",
            "author": appearances[0]["author"] if appearances else None,
            "datePublished": _iso(first.date) if first else None,
            "appearance": appearances,
            "alternateName": [{"@value": v.text, "@language": v.lang} if v.lang else v.text for v in claim.variants],
        }
    )
    citations = [
        _compact(
            {
                "@type": "CreativeWork",
                "name": s.title,
                "publisher": {"@type": "Organization", "name": s.publisher} if s.publisher else None,
                "url": s.url,
                "datePublished": _iso(s.date),
            }
        )
        for s in claim.sources
    ]
    review: dict[str, Any] = {"@context": CONTEXT, "@type": "ClaimReview", "identifier": claim.id}
    review.update(
        _compact(
            {
                "url": next((s.url for s in claim.sources if s.url), None),
                "claimReviewed": claim.claim,
                "reviewBody": claim.summary,
                "inLanguage": claim.lang,
                "reviewRating": rating,
                "itemReviewed": item,
                "citation": citations,
                "datePublished": _iso(claim.published or claim.updated),
                "dateModified": _iso(claim.updated),
                "author": dict(FACT_CHECKER),
                "keywords": list(claim.keywords),
                "about": [{"@type": "Thing", "name": tag} for tag in claim.tags],
            }
        )
    )
    return review


def claim_to_reviews(claim: Claim) -> list[dict[str, Any]]:
    """The claim's ClaimReview in its own language, then one per translation (inLanguage), linked to it."""
    original = claim_to_review(claim)
    reviews = [original]
    for lang, translation in claim.translations:
        review = {
            **original,
            "identifier": f"{claim.id}@{lang}",
            "claimReviewed": translation.claim,
            "reviewBody": translation.summary,
            "inLanguage": lang,
            "translationOfWork": {"@type": "ClaimReview", "identifier": claim.id},
        }
        reviews.append(review)
    return reviews


def write_claimreview(claims: list[Claim], path: Path) -> None:
    """Write the claims as a JSON-LD array of ClaimReview objects (UTF-8, readable)."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    data = [review for c in claims for review in claim_to_reviews(c)]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------


def _reviews(data: Any) -> Iterator[Any]:
    """Every candidate ClaimReview in a parsed document, in order."""
    if isinstance(data, list):
        for item in data:
            yield from _reviews(item)
        return
    if not isinstance(data, dict):
        yield data  # reported as not a ClaimReview
        return
    if "@graph" in data:
        yield from _reviews(data["@graph"])
        return
    if "dataFeedElement" in data:
        yield from _reviews(data["dataFeedElement"])
        return
    if _types(data) & {"DataFeedItem"} and "item" in data:
        yield from _reviews(data["item"])
        return
    yield data


def _types(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if v}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _name(node: Any) -> str | None:
    node = _first(node)
    if isinstance(node, dict):
        return _text(node.get("name")) or _text(node.get("alternateName"))
    return _text(node)


def _url(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    parsed = urlparse(text)
    return text if parsed.scheme in ("http", "https") and parsed.netloc else None


def _date(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _lang(review: dict[str, Any], text: str) -> str:
    raw = _text(review.get("inLanguage"))
    if raw:
        code = raw.lower().replace("_", "-").split("-")[0]
        if LANG_RE.match(code):
            return code
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[а-яА-ЯёЁ]", text):
        return "ru"
    return "en"


def _origin(author: Any, *, url: str | None, date: str | None) -> dict[str, Any] | None:
    name = _name(author)
    if name is None:
        return None
    author = _first(author)
    kind = "other"
    if isinstance(author, dict):
        extra = _text(author.get("additionalType"))
        if extra in ORIGIN_KINDS:
            kind = extra
        elif "Person" in _types(author):
            kind = "person"
        url = url or _url(author.get("url")) or _url(author.get("sameAs"))
    return {"name": name, "kind": kind, "url": url, "date": date}


def _origins(item: Any) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        return []
    appearances = [a for a in _as_list(item.get("appearance")) + _as_list(item.get("firstAppearance")) if a]
    origins: list[dict[str, Any]] = []
    if any(isinstance(a, dict) and a.get("author") for a in appearances):  # ours: one appearance per origin
        for a in appearances:
            if isinstance(a, dict):
                origin = _origin(a.get("author"), url=_url(a.get("url")), date=_date(a.get("datePublished")))
                if origin:
                    origins.append(origin)
        return origins
    urls = [_url(a.get("url") if isinstance(a, dict) else a) for a in appearances]
    urls = [u for u in urls if u]
    origin = _origin(item.get("author"), url=urls[0] if urls else None, date=_date(item.get("datePublished")))
    if origin:
        origins.append(origin)
        urls = urls[1:]
    for url in urls:  # appearances without an author: the site it appeared on
        origins.append({"name": urlparse(url).netloc, "kind": "website", "url": url, "date": None})
    return origins


def _sources(review: dict[str, Any]) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    for cited in _as_list(review.get("citation")):
        if isinstance(cited, dict):
            title = _text(cited.get("name")) or _text(cited.get("headline")) or _url(cited.get("url"))
            if title:
                sources.append(
                    {
                        "title": title,
                        "publisher": _name(cited.get("publisher")) or _name(cited.get("author")),
                        "url": _url(cited.get("url")),
                        "date": _date(cited.get("datePublished")),
                    }
                )
        elif _text(cited):
            sources.append({"title": _text(cited)})
    if sources:
        return sources
    url = _url(review.get("url"))
    publisher = _name(review.get("author")) or _name(review.get("publisher"))
    title = _text(review.get("headline")) or _text(review.get("name"))
    if not title and publisher:
        title = f"Fact check by {publisher}"
    title = title or url
    if title:
        sources.append({"title": title, "publisher": publisher, "url": url, "date": _date(review.get("datePublished"))})
    return sources


def _variants(item: Any) -> list[Any]:
    if not isinstance(item, dict):
        return []
    out: list[Any] = []
    for value in _as_list(item.get("alternateName")):
        if isinstance(value, dict) and _text(value.get("@value")):
            lang = _text(value.get("@language"))
            lang = lang.lower().split("-")[0] if lang else None
            text = _text(value.get("@value"))
            out.append({"lang": lang, "text": text} if lang and LANG_RE.match(lang) else text)
        elif _text(value):
            out.append(_text(value))
    return out


def review_to_entry(review: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """A ClaimReview as a KB entry mapping (for validate_entry), or (None, why it cannot be imported)."""
    claim_text = _text(review.get("claimReviewed"))
    item = _first(review.get("itemReviewed"))
    if claim_text is None and isinstance(item, dict):
        claim_text = _text(item.get("name")) or _text(item.get("text"))
    if claim_text is None:
        return None, "no claimReviewed"
    ratings = [r for r in _as_list(review.get("reviewRating")) if isinstance(r, dict)]
    labels = [x for r in ratings for x in (_text(r.get("alternateName")), _text(r.get("name"))) if x]
    if not labels:
        return None, "no textual rating (reviewRating.alternateName)"
    verdict = next((v for v in map(rating_to_verdict, labels) if v), None)
    if verdict is None:
        return None, f"rating {labels[0][:60]!r} has no verdict mapping"
    sources = _sources(review)
    if not sources:
        return None, "no source (no citation, url or author)"
    publisher = _name(review.get("author"))
    summary = _text(review.get("reviewBody")) or _text(review.get("description"))
    if summary is None:
        summary = f"Rated “{labels[0]}”" + (f" by {publisher}" if publisher else "") + "."
    keywords = review.get("keywords")
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    entry = _compact(
        {
            "claim": claim_text,
            "lang": _lang(review, claim_text),
            "verdict": verdict,
            "summary": summary,
            "variants": _variants(item),
            "keywords": [k for k in (_text(k) for k in _as_list(keywords)) if k],
            "origins": [_compact(o) for o in _origins(item)],
            "sources": [_compact(s) for s in sources],
            "tags": [x for x in (_name(a) for a in _as_list(review.get("about"))) if x],
            "published": _date(review.get("datePublished")),
            "updated": _date(review.get("dateModified")),
        }
    )
    return entry, None


def _translation_of(review: dict[str, Any]) -> str | None:
    """The identifier (or @id) of the review this one translates, None for an original."""
    target = _first(review.get("translationOfWork"))
    if isinstance(target, dict):
        return _text(target.get("identifier")) or _text(target.get("@id"))
    return _text(target)


Translations = dict[str, list[tuple[str, dict[str, Any]]]]


def _split_translations(reviews: list[Any], name: str) -> tuple[list[tuple[int, Any]], Translations]:
    """The reviews to import as entries (with their positions), and the translations by original's id."""
    originals: list[tuple[int, Any]] = []
    translations: Translations = {}
    for position, review in enumerate(reviews, start=1):
        target = _translation_of(review) if isinstance(review, dict) else None
        if target is None or "ClaimReview" not in _types(review):
            originals.append((position, review))
        else:
            translations.setdefault(target, []).append((f"{name}: review {position}", review))
    return originals, translations


def _translations_for(
    review: dict[str, Any], entry: dict[str, Any], translations: Translations, problems: list[str]
) -> dict[str, dict[str, str]]:
    """The `translations` mapping of an entry from the reviews that translate `review` (consumed)."""
    found: dict[str, dict[str, str]] = {}
    keys = {k for k in (_text(review.get("identifier")), _text(review.get("@id"))) if k}
    for label, translated in (item for key in sorted(keys) for item in translations.pop(key, [])):
        claim_text, summary = _text(translated.get("claimReviewed")), _text(translated.get("reviewBody"))
        if claim_text is None or summary is None:
            problems.append(f"{label}: a translation needs claimReviewed and reviewBody; skipped")
            continue
        lang = _lang(translated, claim_text)
        if lang == entry["lang"] or lang in found:
            problems.append(f"{label}: a second text in {lang!r} for the same claim; skipped")
            continue
        found[lang] = {"claim": claim_text, "summary": summary}
    return found


def _parse(path: Path) -> list[Any]:
    """Every candidate review in the file; KnowledgeBaseInvalid when it is not JSON we can walk."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        return list(_reviews(data))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeBaseInvalid(f"{path}: not a readable JSON-LD file: {exc}") from None
    except RecursionError:
        raise KnowledgeBaseInvalid(f"{path}: not a readable JSON-LD file: nested too deeply") from None


def read_claimreview(path: Path) -> tuple[list[Claim], list[str]]:
    """Claims from a ClaimReview JSON-LD file, and one problem line per review that was skipped.

    Raises KnowledgeBaseInvalid when the file cannot be read as JSON at all."""
    path = Path(path)
    originals, translations = _split_translations(_parse(path), path.name)
    claims: list[Claim] = []
    problems: list[str] = []
    used: set[str] = set()
    for position, review in originals:
        label = f"{path.name}: review {position}"
        if not isinstance(review, dict) or "ClaimReview" not in _types(review):
            problems.append(f"{label}: not a ClaimReview; skipped")
            continue
        claimed = _text(review.get("claimReviewed"))
        if claimed:
            label += f" ({claimed[:60]!r})"
        entry, why = review_to_entry(review)
        if entry is None:
            problems.append(f"{label}: {why}; skipped")
            continue
        given = _text(review.get("identifier"))
        if given is not None and ID_RE.match(given):
            if given in used:
                problems.append(f"{label}: duplicate identifier {given!r}; skipped")
                continue
            claim_id = given
        else:
            claim_id = free_id(claim_id_from_text(entry["claim"]), used)
        entry = {"id": claim_id, **entry}
        if found := _translations_for(review, entry, translations, problems):
            entry["translations"] = found
        claim, errors = validate_entry(entry, name=path.name, position=position)
        if claim is None:
            problems.extend(f"{e}; skipped" for e in errors)
            continue
        # What we produce must survive our own export format unchanged.
        again, errors = validate_entry(claim_to_dict(claim), name=path.name, position=position)
        if again != claim:
            problems.append(f"{label}: does not round-trip ({'; '.join(errors)}); skipped")
            continue
        used.add(claim_id)
        claims.append(claim)
    problems += [
        f"{label}: translates {key!r}, which is not in the file; skipped"
        for key, items in translations.items()
        for label, _ in items
    ]
    return claims, problems
