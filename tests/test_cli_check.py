"""The `factbot check` contract, through the CLI entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import bundled_dir

FALSE_CLAIM_RU = "Россия освобождает Курскую область собственными силами, без какой-либо иностранной помощи"
UNRELATED = "Рецепт борща: свёкла, капуста, картофель, морковь и лук, варить два часа"
KB = str(bundled_dir())


def factbot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_text_argument_prints_the_plain_text_reply() -> None:
    result = factbot("check", "--kb", KB, FALSE_CLAIM_RU)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("❌ False\nClaim: ")
    assert "Sources:" in result.stdout and "<b>" not in result.stdout


def test_stdin_and_no_match() -> None:
    result = factbot("check", "--kb", KB, stdin=UNRELATED)
    assert result.returncode == 0
    assert result.stdout.startswith("Our knowledge base has nothing on this yet.")


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--kb", KB, "--json", FALSE_CLAIM_RU]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"matches", "elapsed_ms"}
    assert isinstance(payload["elapsed_ms"], float | int)
    matches = payload["matches"]
    assert 1 <= len(matches) <= 5
    for match in matches:
        assert set(match) == {"claim_id", "score", "strength", "verdict", "claim", "fragment", "reason"}
        assert match["strength"] in ("strong", "possible")
        assert 0 <= match["score"] <= 100
    assert matches[0]["claim_id"] == "kursk-no-foreign-help" and matches[0]["strength"] == "strong"
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    assert main(["check", "--kb", KB, "--json", UNRELATED]) == 0
    assert json.loads(capsys.readouterr().out)["matches"] == []


def test_batch_keeps_order_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"id": 1, "text": FALSE_CLAIM_RU}),
        "{not json",
        json.dumps({"id": "b", "text": UNRELATED}),
        json.dumps([1, 2]),
        json.dumps({"id": 3, "text": 42}),
        json.dumps({"id": 4, "text": FALSE_CLAIM_RU}),
    ]
    result = factbot("check", "--kb", KB, "--batch", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6
    assert out[0]["id"] == 1 and out[0]["matches"][0]["claim_id"] == "kursk-no-foreign-help"
    assert set(out[0]) == {"id", "matches", "elapsed_ms"}
    assert out[1]["id"] is None and out[1]["error"].startswith("malformed line")
    assert out[2] == {"id": "b", "matches": [], "elapsed_ms": out[2]["elapsed_ms"]}
    assert out[3]["id"] is None and "error" in out[3]
    assert out[4]["id"] == 3 and "error" in out[4]
    assert out[5]["id"] == 4


def test_without_kb_uses_the_database_and_seeds_it(use_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", FALSE_CLAIM_RU]) == 0
    assert json.loads(capsys.readouterr().out)["matches"][0]["claim_id"] == "kursk-no-foreign-help"


def test_empty_input_is_a_clear_error() -> None:
    result = factbot("check", "--kb", KB, stdin="  \n ")
    assert result.returncode == 2
    assert result.stderr.strip() == "factbot: nothing to check: pass TEXT or pipe it on stdin"


def test_broken_kb_dir_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("claims: [\n", encoding="utf-8")
    result = factbot("check", "--kb", str(tmp_path), "text")
    assert result.returncode == 1
    assert "malformed YAML" in result.stderr and "Traceback" not in result.stderr


def test_huge_and_hostile_inputs(tmp_path: Path) -> None:
    # A megabyte of one claim drowned in markup, emoji, bidi overrides, zero-width and control characters:
    # the claim is still found (its words and its figure), with the JSON contract intact.
    megabyte = ("Ukraine lost 67,150 troops in Kursk 🔥 <b>&amp;</b> \u202e\u200b\x00\x07 " * 20000)[: 1024 * 1024]
    result = factbot("check", "--kb", KB, "--json", stdin=megabyte)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"matches", "elapsed_ms"}
    assert payload["matches"][0]["claim_id"] == "kursk-mod-losses-67150"
    # Past the CLI's input cap: one clear line and the usage exit code, not a hang or a traceback.
    result = factbot("check", "--kb", KB, stdin="x" * (4 * 1024 * 1024 + 1))
    assert (result.returncode, result.stdout, result.stderr) == (2, "", "factbot: input is larger than 4 MB\n")


def test_ten_thousand_line_batch() -> None:
    texts = [FALSE_CLAIM_RU, UNRELATED, "hi", "😀" * 300, "", "<script>alert(1)</script>"]
    lines = [json.dumps({"id": i, "text": texts[i % len(texts)]}) for i in range(10_000)]
    result = factbot("check", "--kb", KB, "--batch", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout.splitlines()
    assert len(out) == 10_000
    assert [json.loads(line)["id"] for line in out[:12]] == list(range(12))


MOD_340 = "Минобороны: за сутки потери ВСУ на курском направлении составили более 340 военнослужащих"


@pytest.mark.parametrize(
    ("lang", "why"),
    [
        ("uk", "Збігається з твердженням: цифри 340; місце; хто діє"),
        ("ru", "Совпадает с утверждением: цифры 340; место; кто действует"),
        ("en", "Agrees with the claim on: figures 340; the place; who acts"),
    ],
)
def test_a_verdict_card_says_in_one_line_why_in_the_readers_language(
    lang: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--kb", KB, "--lang", lang, MOD_340]) == 0
    assert why in capsys.readouterr().out.splitlines()


def test_json_gives_the_reason_for_a_match_and_for_a_capped_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--kb", KB, "--json", MOD_340]) == 0
    (first, *_rest) = json.loads(capsys.readouterr().out)["matches"]
    assert first["claim_id"] == "kursk-340-killed-one-day" and first["strength"] == "strong"
    assert first["reason"].startswith("figures 340 match")
    assert main(["check", "--kb", KB, "--json", "Russian forces have recaptured the town of Avdiivka."]) == 0
    matches = json.loads(capsys.readouterr().out)["matches"]
    assert [m["strength"] for m in matches] == ["possible"]
    assert matches[0]["claim_id"] == "kursk-sudzha-recaptured" and matches[0]["reason"] == "place Avdiivka, not Sudzha"


DATED_KB = """claims:
- id: water-plant-summer
  claim: A shell hit the water treatment plant in the town and cut the water supply
  lang: en
  verdict: unproven
  summary: Reports of the strike could not be confirmed.
  published: 2024-08-20
  sources:
  - {title: First report, publisher: Example, url: "https://example.org/a"}
- id: water-plant-spring
  claim: A shell hit the water treatment plant in the town and cut the water supply again
  lang: en
  verdict: unproven
  summary: Reports of the strike could not be confirmed.
  published: 2025-03-15
  sources:
  - {title: Second report, publisher: Example, url: "https://example.org/b"}
"""
WATER_POST = "A shell hit the water treatment plant in the town and cut the water supply"


def test_the_posts_date_ranks_the_claim_of_its_time_first(tmp_path: Path) -> None:
    (tmp_path / "claims.yaml").write_text(DATED_KB, encoding="utf-8")
    firsts = []
    for day in ("2024-08-19", "2025-03-14"):
        result = factbot("check", "--kb", str(tmp_path), "--json", "--date", day, WATER_POST)
        assert result.returncode == 0, result.stderr
        firsts.append(json.loads(result.stdout)["matches"][0]["claim_id"])
    assert firsts == ["water-plant-summer", "water-plant-spring"]
    lines = [json.dumps({"id": day, "text": WATER_POST, "date": day}) for day in ("2024-08-19", "2025-03-14")]
    lines += [
        json.dumps({"id": "bad", "text": WATER_POST, "date": "yesterday"}),
        json.dumps({"id": 5, "text": "x", "date": 7}),
    ]
    result = factbot("check", "--kb", str(tmp_path), "--batch", stdin="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["matches"][0]["claim_id"] for o in out[:2]] == firsts
    assert out[2] == {"id": "bad", "error": "'date' must be a day written YYYY-MM-DD, got 'yesterday'"}
    assert out[3]["id"] == 5 and "YYYY-MM-DD" in out[3]["error"]


@pytest.mark.parametrize("day", ["2025-13-01", "20250314", "tomorrow"])
def test_a_bad_date_is_a_usage_error(day: str) -> None:
    result = factbot("check", "--kb", KB, "--date", day, FALSE_CLAIM_RU)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"factbot: --date must be a day written YYYY-MM-DD, got {day!r}\n"
    result = factbot("check", "--kb", KB, "--batch", "--date", "2025-03-14", stdin="{}\n")
    assert result.returncode == 2 and "do not also pass --date" in result.stderr
