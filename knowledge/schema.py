"""The knowledge-base schema: typed, immutable claim entries.

These names are a contract shared with the YAML files, the database and other tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

VERDICTS: tuple[str, ...] = ("false", "misleading", "unproven", "disputed", "true", "opinion")
ORIGIN_KINDS: tuple[str, ...] = ("telegram_channel", "website", "official", "media", "person", "other")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG_RE = re.compile(r"^[a-z]{2}$")

CLAIM_KEYS: tuple[str, ...] = (
    "id",
    "claim",
    "lang",
    "verdict",
    "summary",
    "translations",
    "variants",
    "keywords",
    "origins",
    "sources",
    "tags",
    "published",
    "updated",
)
VARIANT_KEYS: tuple[str, ...] = ("lang", "text")
ORIGIN_KEYS: tuple[str, ...] = ("name", "kind", "url", "date")
SOURCE_KEYS: tuple[str, ...] = ("title", "publisher", "url", "date")
TRANSLATION_KEYS: tuple[str, ...] = ("claim", "summary")


@dataclass(frozen=True, slots=True)
class Variant:
    """Another wording of a claim; `lang` is None when the file gave a plain string."""

    text: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Translation:
    """The claim and summary of an entry in another language; both are required."""

    claim: str
    summary: str


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a claim circulated."""

    name: str
    kind: str = "other"
    url: str | None = None
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Evidence a reader can check; only the title is required."""

    title: str
    publisher: str | None = None
    url: str | None = None
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One knowledge-base entry."""

    id: str
    claim: str
    verdict: str
    summary: str
    sources: tuple[Source, ...]
    lang: str = "en"
    variants: tuple[Variant, ...] = ()
    keywords: tuple[str, ...] = ()
    origins: tuple[Origin, ...] = ()
    tags: tuple[str, ...] = ()
    published: date | None = None
    updated: date | None = None
    # (lang, Translation) pairs sorted by lang: a tuple keeps Claim frozen and hashable.
    translations: tuple[tuple[str, Translation], ...] = ()
    # Not part of the YAML schema: where the entry was loaded from (for messages).
    location: str | None = field(default=None, compare=False, repr=False)

    def texts(self) -> list[tuple[str, str | None]]:
        """The claim, every variant and every translated claim as (text, lang) pairs, the claim first."""
        return (
            [(self.claim, self.lang)]
            + [(v.text, v.lang) for v in self.variants]
            + [(t.claim, lang) for lang, t in self.translations]
        )

    def translation(self, lang: str) -> Translation | None:
        """The entry's claim and summary in `lang`: the original for its own language, else a translation."""
        if lang == self.lang:
            return Translation(claim=self.claim, summary=self.summary)
        return dict(self.translations).get(lang)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language the entry's claim and summary can be read in, the original's first."""
        return (self.lang, *(lang for lang, _ in self.translations))

    @property
    def date(self) -> date | None:
        """The entry's date as shown to users: last update, else publication."""
        return self.updated or self.published
