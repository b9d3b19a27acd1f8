"""Load, validate and export the YAML knowledge base.

Validation collects every error at once, each naming the file, the entry, the field and the problem,
so a moderator can fix a whole file in one pass.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from knowledge.safe_yaml import DuplicateKey, parse_yaml_document, show
from knowledge.schema import (
    CLAIM_KEYS,
    ID_RE,
    LANG_RE,
    ORIGIN_KEYS,
    ORIGIN_KINDS,
    SOURCE_KEYS,
    TRANSLATION_KEYS,
    VARIANT_KEYS,
    VERDICTS,
    Claim,
    Origin,
    Source,
    Translation,
    Variant,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
ID_RULE = "lowercase letters and digits in groups joined by single hyphens, e.g. kursk-sudzha-2025"


def bundled_dir() -> Path:
    """The curated knowledge base that ships inside the package."""
    return Path(str(resources.files("knowledge") / "data"))


@dataclass
class LoadResult:
    """Claims that validated, and every error found (an empty list means the KB is valid)."""

    claims: list[Claim] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def iter_yaml_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every *.yaml / *.yml file under the given directories (recursively) or the files themselves."""
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def load_claims(paths: Sequence[Path]) -> tuple[list[Claim], list[str]]:
    """Load and validate every KB file under `paths`; returns (claims, errors)."""
    result = load(paths)
    return result.claims, result.errors


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while loading."""
    # A large KB allocates millions of objects that all survive, and the collections their allocation
    # triggers rescan them again and again (two thirds of a 100k-entry load). Loading creates no
    # reference cycles, so nothing is left for the collector afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(file: Path) -> tuple[str | None, str | None]:
    """The file's text, or an error naming it."""
    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, (
                f"{name}: file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}: split its entries into"
                " several .yaml files in the same folder (every file in the folder is read)"
            )
        return file.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return None, f"{name}: not UTF-8 text"
    except OSError as exc:
        return None, f"{name}: cannot read: {exc.strerror or exc}"


def load(paths: Sequence[Path]) -> LoadResult:
    """Load and validate every KB file under `paths`, reporting all errors at once."""
    result = LoadResult()
    seen: dict[str, str] = {}
    result.errors.extend(f"{path}: no such file or directory" for path in paths if not path.exists())
    with _no_cycle_collection():
        for file in iter_yaml_files(paths):
            result.files += 1
            name = str(file)
            text, error = _read(file)
            if text is None:
                result.errors.append(error or f"{name}: cannot read")
                continue
            parsed = parse_yaml_document(text, name=name)
            if parsed.error:
                result.errors.append(parsed.error)
                continue
            claims, errors = validate_document(parsed.data, name=name, duplicates=parsed.duplicates)
            result.errors.extend(errors)
            for claim in claims:
                if claim.id in seen:
                    result.errors.append(f"{claim.location}: id {claim.id!r} is already used by {seen[claim.id]}")
                    continue
                seen[claim.id] = claim.location or name
                result.claims.append(claim)
    return result


def _field_path(steps: Sequence[str | int]) -> str:
    """`("sources", 1, "url")` as the errors name fields: `sources[2].url` (list items count from 1)."""
    out = ""
    for step in steps:
        out += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _duplicate_message(dup: DuplicateKey, where: str) -> str:
    return (
        f"{where + ': ' if where else ''}duplicate key {show(dup.key)} at line {dup.line} (first at line"
        f" {dup.first_line}); YAML would keep only the last value: remove one"
    )


def validate_document(
    data: Any, *, name: str, duplicates: Sequence[DuplicateKey] = ()
) -> tuple[list[Claim], list[str]]:
    """Validate one parsed YAML document (a mapping with a `claims` list); a repeated key is an error."""
    # A repeated key inside an entry is reported by (and invalidates) that entry; any other, here.
    in_entry: dict[int, list[DuplicateKey]] = {}
    errors: list[str] = []
    for dup in duplicates:
        if len(dup.path) >= 2 and dup.path[0] == "claims" and isinstance(dup.path[1], int):
            in_entry.setdefault(dup.path[1] + 1, []).append(dup)
        elif dup.path:
            errors.append(f"{name}: {_duplicate_message(dup, _field_path(dup.path))}")
        else:
            errors.append(f"{name}: top-level {_duplicate_message(dup, '')}")
    if data is None:
        return [], errors
    if not isinstance(data, dict):
        return [], [*errors, f"{name}: the file must be a mapping with a 'claims' list"]
    errors += [f"{name}: unknown top-level key {key!r} (expected 'claims')" for key in data if key != "claims"]
    entries = data.get("claims")
    if entries is None:
        return [], errors
    if not isinstance(entries, list):
        return [], [*errors, f"{name}: 'claims' must be a list"]
    claims: list[Claim] = []
    for position, entry in enumerate(entries, start=1):
        claim, entry_errors = validate_entry(entry, name=name, position=position, duplicates=in_entry.get(position, ()))
        errors.extend(entry_errors)
        if claim is not None:
            claims.append(claim)
    return claims, errors


class _Entry:
    """Collects errors for one entry with a uniform prefix."""

    def __init__(self, name: str, position: int, claim_id: str | None) -> None:
        label = f"entry {position}" + (f" ({show(claim_id)[1:-1]})" if claim_id else "")
        self.prefix = f"{name}: {label}"
        self.errors: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(f"{self.prefix}: {message}")


def _text(e: _Entry, value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            e.error(f"{where} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        e.error(f"{where} must be text, got {type(value).__name__}")
        return None
    text = str(value).strip()
    if not text and required:
        e.error(f"{where} must not be empty")
        return None
    return text or None


def _date(e: _Entry, value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    e.error(f"{where} {show(value)} is not a date (YYYY-MM-DD)")
    return None


def _url(e: _Entry, value: Any, where: str) -> str | None:
    text = _text(e, value, where, required=False)
    if text is None:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        e.error(f"{where} {show(text)} is not an http(s) URL")
        return None
    return text


def _lang(e: _Entry, value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not LANG_RE.match(value):
        e.error(f"{where} {show(value)} is not an ISO 639-1 code (two lowercase letters)")
        return None
    return value


def _unknown_keys(e: _Entry, mapping: dict[Any, Any], allowed: Sequence[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            e.error(f"{where}unknown key {show(key)} (allowed: {', '.join(allowed)})")


def _list(e: _Entry, value: Any, where: str) -> list[Any]:
    """The items of an optional list field (an error and no items when it is not a list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        e.error(f"{where} must be a list")
        return []
    return value


def _string_list(e: _Entry, value: Any, where: str) -> tuple[str, ...]:
    texts = (_text(e, item, f"{where}[{i}]") for i, item in enumerate(_list(e, value, where), start=1))
    return tuple(text for text in texts if text)


def _id(e: _Entry, value: Any) -> str | None:
    claim_id = _text(e, value, "id")
    if claim_id is not None and not ID_RE.match(claim_id):
        e.error(f"id {show(claim_id)} must be {ID_RULE}")
        return None
    return claim_id


def _verdict(e: _Entry, value: Any) -> str | None:
    if isinstance(value, bool):  # unquoted YAML false/true mean the verdicts
        return "true" if value else "false"
    if value is None:
        e.error("verdict is required")
    elif not isinstance(value, str) or value not in VERDICTS:
        e.error(f"verdict {show(value)} is not one of {', '.join(VERDICTS)}")
    else:
        return value
    return None


def _variants(e: _Entry, value: Any) -> tuple[Variant, ...]:
    variants: list[Variant] = []
    for i, item in enumerate(_list(e, value, "variants"), start=1):
        where = f"variants[{i}]"
        if isinstance(item, dict):
            _unknown_keys(e, item, VARIANT_KEYS, f"{where}: ")
            text = _text(e, item.get("text"), f"{where}.text")
            v_lang = _lang(e, item.get("lang"), f"{where}.lang")
            if text:
                variants.append(Variant(text=text, lang=v_lang))
        else:
            text = _text(e, item, where)
            if text:
                variants.append(Variant(text=text))
    return tuple(variants)


def _origins(e: _Entry, value: Any) -> tuple[Origin, ...]:
    origins: list[Origin] = []
    for i, item in enumerate(_list(e, value, "origins"), start=1):
        where = f"origins[{i}]"
        if not isinstance(item, dict):
            e.error(f"{where} must be a mapping with name, kind, url, date")
            continue
        _unknown_keys(e, item, ORIGIN_KEYS, f"{where}: ")
        name = _text(e, item.get("name"), f"{where}.name")
        kind = item.get("kind", "other")
        if not isinstance(kind, str) or kind not in ORIGIN_KINDS:
            e.error(f"{where}.kind {show(kind)} is not one of {', '.join(ORIGIN_KINDS)}")
            kind = "other"
        url = _url(e, item.get("url"), f"{where}.url")
        day = _date(e, item.get("date"), f"{where}.date")
        if name:
            origins.append(Origin(name=name, kind=kind, url=url, date=day))
    return tuple(origins)


def _sources(e: _Entry, value: Any) -> tuple[Source, ...]:
    if value is None or value == []:
        e.error("sources: at least one source is required")
        return ()
    sources: list[Source] = []
    for i, item in enumerate(_list(e, value, "sources"), start=1):
        where = f"sources[{i}]"
        if not isinstance(item, dict):
            e.error(f"{where} must be a mapping with title, publisher, url, date")
            continue
        _unknown_keys(e, item, SOURCE_KEYS, f"{where}: ")
        title = _text(e, item.get("title"), f"{where}.title")
        publisher = _text(e, item.get("publisher"), f"{where}.publisher", required=False)
        url = _url(e, item.get("url"), f"{where}.url")
        day = _date(e, item.get("date"), f"{where}.date")
        if title:
            sources.append(Source(title=title, publisher=publisher, url=url, date=day))
    return tuple(sources)


def _translations(e: _Entry, value: Any, entry_lang: str) -> tuple[tuple[str, Translation], ...]:
    """`translations: {uk: {claim, summary}, ...}`: codes like `lang`, not the entry's own, both fields."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        e.error("translations must be a mapping of language code to {claim, summary}")
        return ()
    out: list[tuple[str, Translation]] = []
    for code, item in value.items():
        where = f"translations.{code}"
        if not isinstance(code, str) or not LANG_RE.match(code):
            e.error(f"translations: key {show(code)} is not an ISO 639-1 code (two lowercase letters)")
            continue
        if code == entry_lang:
            e.error(f"{where}: the entry's own language ({entry_lang}) is the original, not a translation")
            continue
        if not isinstance(item, dict):
            e.error(f"{where} must be a mapping with claim and summary")
            continue
        _unknown_keys(e, item, TRANSLATION_KEYS, f"{where}: ")
        claim = _text(e, item.get("claim"), f"{where}.claim")
        summary = _text(e, item.get("summary"), f"{where}.summary")
        if claim and summary:
            out.append((code, Translation(claim=claim, summary=summary)))
    return tuple(sorted(out, key=lambda pair: pair[0]))


def validate_entry(
    entry: Any, *, name: str, position: int, duplicates: Sequence[DuplicateKey] = ()
) -> tuple[Claim | None, list[str]]:
    """Validate one claim mapping; returns the Claim (None if invalid) and its errors.

    `duplicates` are the keys the entry repeats (paths from the document root): each one is an error,
    because YAML silently kept only the last of the values.
    """
    if not isinstance(entry, dict):
        e = _Entry(name, position, None)
        e.error("must be a mapping of fields")
        return None, e.errors
    raw_id = entry.get("id")
    e = _Entry(name, position, raw_id if isinstance(raw_id, str) else None)
    for dup in duplicates:
        e.error(_duplicate_message(dup, _field_path(dup.path[2:])))
    _unknown_keys(e, entry, CLAIM_KEYS, "")
    claim_id = _id(e, raw_id)
    claim_text = _text(e, entry.get("claim"), "claim")
    summary = _text(e, entry.get("summary"), "summary")
    lang = _lang(e, entry.get("lang", "en"), "lang") or "en"
    verdict = _verdict(e, entry.get("verdict"))
    translations = _translations(e, entry.get("translations"), lang)
    variants = _variants(e, entry.get("variants"))
    origins = _origins(e, entry.get("origins"))
    sources = _sources(e, entry.get("sources"))
    keywords = _string_list(e, entry.get("keywords"), "keywords")
    tags = _string_list(e, entry.get("tags"), "tags")
    published = _date(e, entry.get("published"), "published")
    updated = _date(e, entry.get("updated"), "updated")
    if e.errors or claim_id is None or claim_text is None or summary is None or verdict is None:
        return None, e.errors
    claim = Claim(
        id=claim_id,
        claim=claim_text,
        lang=lang,
        verdict=verdict,
        summary=summary,
        translations=translations,
        variants=variants,
        keywords=keywords,
        origins=origins,
        sources=sources,
        tags=tags,
        published=published,
        updated=updated,
        location=e.prefix,
    )
    return claim, []


# --- strict: what a curated KB must have to be published -------------------------------------

STRICT_LANGUAGES: tuple[str, ...] = ("en", "uk", "ru")


def strict_errors(claims: Iterable[Claim], languages: Sequence[str] = STRICT_LANGUAGES) -> list[str]:
    """Errors a curated KB must not have: a source a reader can open, dates, and every reader's language."""
    errors: list[str] = []
    for claim in claims:
        where = claim.location or f"entry ({claim.id})"
        if not any(source.url for source in claim.sources):
            errors.append(f"{where}: strict: no source has a url (a reader must be able to open one)")
        if claim.published is None and claim.updated is None:
            errors.append(f"{where}: strict: no published or updated date")
        for lang in languages:
            if claim.translation(lang) is None:
                errors.append(f"{where}: strict: no {lang} text (add translations.{lang}: {{claim, summary}})")
    return errors


# --- export -------------------------------------------------------------------------------------


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    """The YAML mapping for one claim, in schema order, without empty optional fields."""
    out: dict[str, Any] = {"id": claim.id, "claim": claim.claim, "lang": claim.lang, "verdict": claim.verdict}
    out["summary"] = claim.summary
    if claim.translations:
        out["translations"] = {lang: {"claim": t.claim, "summary": t.summary} for lang, t in claim.translations}
    if claim.variants:
        out["variants"] = [{"lang": v.lang, "text": v.text} if v.lang else v.text for v in claim.variants]
    if claim.keywords:
        out["keywords"] = list(claim.keywords)
    if claim.origins:
        out["origins"] = [
            _compact({"name": o.name, "kind": o.kind, "url": o.url, "date": o.date}) for o in claim.origins
        ]
    out["sources"] = [
        _compact({"title": s.title, "publisher": s.publisher, "url": s.url, "date": s.date}) for s in claim.sources
    ]
    if claim.tags:
        out["tags"] = list(claim.tags)
    if claim.published:
        out["published"] = claim.published
    if claim.updated:
        out["updated"] = claim.updated
    return out


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


class _Dumper(yaml.SafeDumper):
    """Readable YAML: block style, unicode as is, long strings folded by width only."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_claims(claims: Iterable[Claim]) -> str:
    """Serialise claims as a KB YAML document that `load` reads back to equal claims."""
    document = {"claims": [claim_to_dict(c) for c in claims]}
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def export_dir(claims: Sequence[Claim], directory: Path, *, filename: str = "claims.yaml") -> Path:
    """Write the claims into `directory` as one YAML file; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / filename
    target.write_text("# factbot knowledge base, exported from the database.\n" + dump_claims(claims), encoding="utf-8")
    return target
