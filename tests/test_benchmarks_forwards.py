"""benchmarks/forwards.py: the seed posts sent as forwards, with the date the bot passes, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import forwards, quality
from knowledge.loader import bundled_dir

POSTS = [
    {
        "id": "p1",
        "text": "Россия освобождает Курскую область собственными силами, без какой-либо иностранной помощи",
        "gold": ["kursk-no-foreign-help"],
        "kind": "paraphrase",
        "clear": True,
    },
    {
        "id": "h1",
        "text": "На Курской АЭС-2 первый энергоблок выведен на 100% мощности.",
        "gold": [],
        "kind": "hard_negative",
        "clear": False,
    },
    {
        "id": "o1",
        "text": "🎮 REVIEW: «Iron Contract» (PC/PS5). You run a company of mercenaries: hire, pay, bury, repeat. "
        "A 340-page lore codex nobody asked for. Verdict: 8/10.",
        "gold": [],
        "kind": "off_topic",
        "clear": False,
    },
]


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quality, "CACHE", tmp_path / "cache")


def test_each_negative_is_sent_on_every_claim_day_and_none_gets_a_verdict_or_a_list(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "dev.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS), "utf-8")
    out = tmp_path / "forwards.json"
    assert forwards.main(["--seed-dir", str(seed), "--seed-kb", str(bundled_dir()), "--write", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    days = len(set(forwards.claim_days(bundled_dir()).values()))
    assert days > 10
    typed, forwarded = result["dev/typed"], result["dev/forwarded"]
    assert typed["checks"] == 3 and forwarded["checks"] == 1 + 2 * days
    for r in (typed, forwarded):
        assert r["right_first_%"] == 100.0 and r["clear_strong_right_%"] == 100.0
        assert (r["hard_negative_strong"], r["hard_negatives"]) == (0, 1)
        assert r["off_topic_no_list_%"] == 100.0
