"""Load, validate and export the YAML knowledge base.

Validation collects every error at once, each naming the file, the entry, the field and the problem,
so a moderator can fix a whole file in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

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
MAX_ALIASES = 100
YAML_SUFFIXES = (".yaml", ".yml")


def bundled_dir() -> Path:
    """The curated knowledge base that ships inside the package."""
    return Path(str(resources.files("knowledge") / "data"))


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs: a KB file has no reason for many aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} YAML aliases; refusing (possible alias bomb)")
        return super().compose_node(parent, index)


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


def parse_yaml_text(text: str, *, name: str) -> tuple[Any, str | None]:
    """Parse one YAML document safely; returns (data, error message naming the file and line)."""
    try:
        loader = _GuardedLoader(text)
        try:
            return loader.get_single_data(), None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        return None, f"{name}: malformed YAML at {where}: {problem}"
    except yaml.YAMLError as exc:
        return None, f"{name}: malformed YAML: {exc}"
    except RecursionError:
        return None, f"{name}: malformed YAML: nesting too deep"


def load_claims(paths: Sequence[Path]) -> tuple[list[Claim], list[str]]:
    """Load and validate every KB file under `paths`; returns (claims, errors)."""
    result = load(paths)
    return result.claims, result.errors


def load(paths: Sequence[Path]) -> LoadResult:
    """Load and validate every KB file under `paths`, reporting all errors at once."""
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            result.errors.append(f"{path}: no such file or directory")
    for file in iter_yaml_files(paths):
        result.files += 1
        name = str(file)
        try:
            size = file.stat().st_size
            if size > MAX_FILE_BYTES:
                result.errors.append(f"{name}: file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
                continue
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            result.errors.append(f"{name}: not UTF-8 text")
            continue
        except OSError as exc:
            result.errors.append(f"{name}: cannot read: {exc.strerror or exc}")
            continue
        data, error = parse_yaml_text(text, name=name)
        if error:
            result.errors.append(error)
            continue
        claims, errors = validate_document(data, name=name)
        result.errors.extend(errors)
        for claim in claims:
            if claim.id in seen:
                result.errors.append(f"{claim.location}: id {claim.id!r} is already used by {seen[claim.id]}")
                continue
            seen[claim.id] = claim.location or name
            result.claims.append(claim)
    return result


def validate_document(data: Any, *, name: str) -> tuple[list[Claim], list[str]]:
    """Validate one parsed YAML document (a mapping with a `claims` list)."""
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [f"{name}: the file must be a mapping with a 'claims' list"]
    errors = [f"{name}: unknown top-level key {key!r} (expected 'claims')" for key in data if key != "claims"]
    entries = data.get("claims")
    if entries is None:
        return [], errors
    if not isinstance(entries, list):
        return [], [*errors, f"{name}: 'claims' must be a list"]
    claims: list[Claim] = []
    for position, entry in enumerate(entries, start=1):
        claim, entry_errors = validate_entry(entry, name=name, position=position)
        errors.extend(entry_errors)
        if claim is not None:
            claims.append(claim)
    return claims, errors


class _Entry:
    """Collects errors for one entry with a uniform prefix."""

    def __init__(self, name: str, position: int, claim_id: str | None) -> None:
        label = f"entry {position}" + (f" ({claim_id})" if claim_id else "")
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
    e.error(f"{where} {value!r} is not a date (YYYY-MM-DD)")
    return None


def _url(e: _Entry, value: Any, where: str) -> str | None:
    text = _text(e, value, where, required=False)
    if text is None:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        e.error(f"{where} {text!r} is not an http(s) URL")
        return None
    return text


def _lang(e: _Entry, value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not LANG_RE.match(value):
        e.error(f"{where} {value!r} is not an ISO 639-1 code (two lowercase letters)")
        return None
    return value


def _unknown_keys(e: _Entry, mapping: dict[Any, Any], allowed: Sequence[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            e.error(f"{where}unknown key {key!r} (allowed: {', '.join(allowed)})")


def _string_list(e: _Entry, value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        e.error(f"{where} must be a list")
        return ()
    out: list[str] = []
    for i, item in enumerate(value, start=1):
        text = _text(e, item, f"{where}[{i}]")
        if text:
            out.append(text)
    return tuple(out)


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
            e.error(f"translations: key {str(code)[:20]!r} is not an ISO 639-1 code (two lowercase letters)")
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


def validate_entry(entry: Any, *, name: str, position: int) -> tuple[Claim | None, list[str]]:
    """Validate one claim mapping; returns the Claim (None if invalid) and its errors."""
    if not isinstance(entry, dict):
        e = _Entry(name, position, None)
        e.error("must be a mapping of fields")
        return None, e.errors
    raw_id = entry.get("id")
    e = _Entry(name, position, raw_id if isinstance(raw_id, str) else None)
    _unknown_keys(e, entry, CLAIM_KEYS, "")

    claim_id = _text(e, raw_id, "id")
    if claim_id is not None and not ID_RE.match(claim_id):
        e.error(f"id {claim_id!r} must be lowercase letters, digits and '-'")
    claim_text = _text(e, entry.get("claim"), "claim")
    summary = _text(e, entry.get("summary"), "summary")
    lang = _lang(e, entry.get("lang", "en"), "lang") or "en"
    translations = _translations(e, entry.get("translations"), lang)

    verdict_raw = entry.get("verdict")
    verdict: str | None = None
    if isinstance(verdict_raw, bool):  # unquoted YAML false/true mean the verdicts
        verdict = "true" if verdict_raw else "false"
    elif verdict_raw is None:
        e.error("verdict is required")
    elif not isinstance(verdict_raw, str) or verdict_raw not in VERDICTS:
        e.error(f"verdict {verdict_raw!r} is not one of {', '.join(VERDICTS)}")
    else:
        verdict = verdict_raw

    variants: list[Variant] = []
    raw_variants = entry.get("variants")
    if raw_variants is not None and not isinstance(raw_variants, list):
        e.error("variants must be a list")
    for i, item in enumerate(raw_variants if isinstance(raw_variants, list) else [], start=1):
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

    origins: list[Origin] = []
    raw_origins = entry.get("origins")
    if raw_origins is not None and not isinstance(raw_origins, list):
        e.error("origins must be a list")
    for i, item in enumerate(raw_origins if isinstance(raw_origins, list) else [], start=1):
        where = f"origins[{i}]"
        if not isinstance(item, dict):
            e.error(f"{where} must be a mapping with name, kind, url, date")
            continue
        _unknown_keys(e, item, ORIGIN_KEYS, f"{where}: ")
        o_name = _text(e, item.get("name"), f"{where}.name")
        kind = item.get("kind", "other")
        if kind not in ORIGIN_KINDS:
            e.error(f"{where}.kind {kind!r} is not one of {', '.join(ORIGIN_KINDS)}")
            kind = "other"
        url = _url(e, item.get("url"), f"{where}.url")
        o_date = _date(e, item.get("date"), f"{where}.date")
        if o_name:
            origins.append(Origin(name=o_name, kind=kind, url=url, date=o_date))

    sources: list[Source] = []
    raw_sources = entry.get("sources")
    if raw_sources is None or raw_sources == []:
        e.error("sources: at least one source is required")
    elif not isinstance(raw_sources, list):
        e.error("sources must be a list")
    for i, item in enumerate(raw_sources if isinstance(raw_sources, list) else [], start=1):
        where = f"sources[{i}]"
        if not isinstance(item, dict):
            e.error(f"{where} must be a mapping with title, publisher, url, date")
            continue
        _unknown_keys(e, item, SOURCE_KEYS, f"{where}: ")
        title = _text(e, item.get("title"), f"{where}.title")
        publisher = _text(e, item.get("publisher"), f"{where}.publisher", required=False)
        url = _url(e, item.get("url"), f"{where}.url")
        s_date = _date(e, item.get("date"), f"{where}.date")
        if title:
            sources.append(Source(title=title, publisher=publisher, url=url, date=s_date))

    keywords = _string_list(e, entry.get("keywords"), "keywords")
    tags = _string_list(e, entry.get("tags"), "tags")
    published = _date(e, entry.get("published"), "published")
    updated = _date(e, entry.get("updated"), "updated")

    if e.errors or claim_id is None or claim_text is None or summary is None or verdict is None:
        return None, e.errors
    return (
        Claim(
            id=claim_id,
            claim=claim_text,
            lang=lang,
            verdict=verdict,
            summary=summary,
            variants=tuple(variants),
            keywords=keywords,
            origins=tuple(origins),
            sources=tuple(sources),
            tags=tags,
            published=published,
            updated=updated,
            translations=translations,
            location=e.prefix,
        ),
        [],
    )


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
