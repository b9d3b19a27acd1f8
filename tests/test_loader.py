"""The KB schema, loader and exporter."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.loader import MAX_FILE_BYTES, bundled_dir, dump_claims, load
from knowledge.schema import VERDICTS

REQUIRED_IDS = {
    "kursk-avc-shkval-war-crimes",
    "kursk-mod-losses-67150",
    "kursk-340-killed-one-day",
    "kursk-sudzha-recaptured",
    "kursk-total-dominance",
    "kursk-ukraine-recruits-criminals",
    "kursk-liberation-nearly-complete",
    "kursk-ushakov-truce-pause",
    "kursk-no-foreign-help",
    "kursk-incursion-achieved-nothing",
}

GOOD_ENTRY = """
  - id: {id}
    claim: "A claim"
    verdict: {verdict}
    summary: "What is known"
    sources:
      - {{title: "A source"}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_kb_is_valid_and_complete() -> None:
    result = load([bundled_dir()])
    assert result.errors == []
    ids = {c.id for c in result.claims}
    assert REQUIRED_IDS <= ids
    for claim in result.claims:
        langs = [v.lang for v in claim.variants]
        assert langs.count("ru") >= 1 and langs.count("uk") >= 1, claim.id
        assert claim.sources, claim.id
        assert claim.verdict in VERDICTS
        # Never an invented URL: the seed article gives none, so no entry may carry one.
        assert all(s.url is None for s in claim.sources), claim.id


def test_unquoted_yaml_booleans_are_the_verdicts_false_and_true(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        "claims:" + GOOD_ENTRY.format(id="a", verdict="false") + GOOD_ENTRY.format(id="b", verdict="true"),
    )
    result = load([tmp_path])
    assert result.errors == []
    assert {c.id: c.verdict for c in result.claims} == {"a": "false", "b": "true"}


def test_broken_directory_reports_every_error_with_file_entry_and_field(tmp_path: Path) -> None:
    write(
        tmp_path,
        "one.yaml",
        """claims:
  - id: kursk-x
    claim: "x"
    verdict: maybe
    summary: "s"
    sources: [{title: "t"}]
  - id: no-sources
    claim: "x"
    verdict: "false"
    summary: "s"
  - id: dup
    claim: "x"
    verdict: "false"
    summary: "s"
    sources: [{title: "t", url: "ftp://example.org/x"}]
    sumary: "typo"
""",
    )
    write(tmp_path, "sub/two.yml", "claims:" + GOOD_ENTRY.format(id="dup", verdict="opinion"))
    write(tmp_path, "sub/bad.yaml", "claims:\n  - id: a\n    claim: [unclosed\n")
    result = load([tmp_path])
    text = "\n".join(result.errors)
    one = str(tmp_path / "one.yaml")
    assert (
        f"{one}: entry 1 (kursk-x): verdict 'maybe' is not one of false, misleading, unproven, disputed, true, opinion"
        in result.errors
    )
    assert f"{one}: entry 2 (no-sources): sources: at least one source is required" in result.errors
    assert "unknown key 'sumary'" in text
    assert "sources[1].url 'ftp://example.org/x' is not an http(s) URL" in text
    assert f"{tmp_path / 'sub' / 'bad.yaml'}: malformed YAML at line" in text
    # "dup" in one.yaml is invalid (bad URL), so the duplicate check needs two valid entries:
    write(tmp_path, "three.yaml", "claims:" + GOOD_ENTRY.format(id="dup", verdict="opinion"))
    again = load([tmp_path])
    assert any("id 'dup' is already used by" in e for e in again.errors)
    assert len(result.errors) >= 5


def test_alias_bomb_and_huge_files_are_refused(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    write(tmp_path, "bomb.yaml", "\n".join(bomb) + "\n")
    write(tmp_path, "huge.yaml", "claims: []\n" + "#" * (MAX_FILE_BYTES + 10))
    result = load([tmp_path])
    text = "\n".join(result.errors)
    assert "alias bomb" in text
    assert "the limit is" in text


def test_not_a_mapping_and_wrong_types(tmp_path: Path) -> None:
    write(tmp_path, "list.yaml", "- just\n- a list\n")
    write(
        tmp_path,
        "types.yaml",
        """claims:
  - id: Bad_ID
    claim: {a: b}
    verdict: unproven
    summary: "s"
    lang: english
    sources: [{title: "t", date: "2025-13-45"}]
    keywords: "not a list"
""",
    )
    errors = "\n".join(load([tmp_path]).errors)
    assert "must be a mapping with a 'claims' list" in errors
    assert "id 'Bad_ID' must be lowercase letters" in errors
    assert "claim must be text" in errors
    assert "lang 'english' is not an ISO 639-1 code" in errors
    assert "sources[1].date '2025-13-45' is not a date" in errors
    assert "keywords must be a list" in errors


def test_dump_then_load_is_lossless(tmp_path: Path) -> None:
    original = load([bundled_dir()]).claims
    write(tmp_path, "out.yaml", dump_claims(original))
    again = load([tmp_path])
    assert again.errors == []
    assert again.claims == original
    # verdicts that look like YAML booleans stay strings in the export
    data = yaml.safe_load((tmp_path / "out.yaml").read_text(encoding="utf-8"))
    assert all(isinstance(c["verdict"], str) for c in data["claims"])


TRANSLATED_ENTRY = """claims:
  - id: kursk-t
    claim: "Sudzha was recaptured"
    lang: en
    verdict: "true"
    summary: "Both sides confirmed it."
    translations:
      uk: {claim: "Суджу відбили", summary: "Обидві сторони це підтвердили."}
      ru: {claim: "Суджу отбили", summary: "Обе стороны это подтвердили."}
    sources: [{title: "t"}]
"""


def test_translations_load_index_and_round_trip(tmp_path: Path) -> None:
    write(tmp_path, "kb/a.yaml", TRANSLATED_ENTRY)
    result = load([tmp_path / "kb"])
    assert result.errors == []
    (claim,) = result.claims
    assert [lang for lang, _ in claim.translations] == ["ru", "uk"]
    uk = claim.translation("uk")
    assert uk is not None and uk.claim == "Суджу відбили" and uk.summary == "Обидві сторони це підтвердили."
    assert claim.translation("en") is not None and claim.translation("en").claim == claim.claim  # type: ignore[union-attr]
    assert claim.translation("de") is None
    assert ("Суджу отбили", "ru") in claim.texts() and ("Суджу відбили", "uk") in claim.texts()
    assert claim.texts()[0] == (claim.claim, "en")
    hash(claim)
    write(tmp_path, "out/b.yaml", dump_claims(result.claims))
    again = load([tmp_path / "out"])
    assert again.errors == [] and again.claims == result.claims


def test_bad_translations_are_listed_errors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """claims:
  - id: t
    claim: "c"
    lang: uk
    verdict: "false"
    summary: "s"
    sources: [{title: "t"}]
    translations:
      uk: {claim: "c", summary: "s"}
      english: {claim: "c", summary: "s"}
      ru: {claim: "c", sumary: "typo"}
      en: {claim: "", summary: "s"}
      de: "just text"
  - id: u
    claim: "c"
    verdict: "false"
    summary: "s"
    sources: [{title: "t"}]
    translations: [uk, ru]
""",
    )
    result = load([tmp_path])
    prefix = f"{tmp_path / 'a.yaml'}: entry 1 (t): "
    assert result.claims == []
    assert prefix + "translations.uk: the entry's own language (uk) is the original, not a translation" in result.errors
    assert prefix + "translations: key 'english' is not an ISO 639-1 code (two lowercase letters)" in result.errors
    assert prefix + "translations.ru: unknown key 'sumary' (allowed: claim, summary)" in result.errors
    assert prefix + "translations.ru.summary is required" in result.errors
    assert prefix + "translations.en.claim must not be empty" in result.errors
    assert prefix + "translations.de must be a mapping with claim and summary" in result.errors
    assert (
        f"{tmp_path / 'a.yaml'}: entry 2 (u): translations must be a mapping of language code to {{claim, summary}}"
        in result.errors
    )
