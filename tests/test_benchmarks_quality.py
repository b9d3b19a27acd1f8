"""benchmarks/quality.py: scoring of what `factbot check --batch` reports, on tiny generated data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks import quality
from knowledge.loader import load

CLAIMS = {
    "mayor-bicycles": "The mayor of Springfield banned bicycles on every Sunday of the summer",
    "giant-squid": "A giant squid was found alive on a beach in Oregon by two surfers",
    "lemon-flu": "Drinking hot water with lemon cures influenza within two days, doctors admit",
}


def write_kb(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    entries = [
        {"id": cid, "claim": text, "verdict": "false", "summary": "Not so.", "sources": [{"title": "A check"}]}
        for cid, text in CLAIMS.items()
    ]
    (directory / "claims.yaml").write_text(json.dumps({"claims": entries}), encoding="utf-8")
    return directory


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quality, "CACHE", tmp_path / "cache")


def test_ap_at_known_rankings() -> None:
    assert quality.ap_at(["a", "b"], {"a"}) == 1.0
    assert quality.ap_at(["x", "a"], {"a"}) == 0.5
    assert quality.ap_at(["a", "x", "b"], {"a", "b"}) == pytest.approx((1 + 2 / 3) / 2)
    assert quality.ap_at(["x", "y", "z", "w", "v", "a"], {"a"}) == 0.0  # rank 6 is beyond @5
    assert quality.ap_at([], {"a"}) == 0.0


def test_reported_metrics_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A threshold in the environment must not leak into a benchmark of the defaults.
    monkeypatch.setenv("FACTBOT_MATCH_POSSIBLE", "99.9")
    kb = write_kb(tmp_path / "kb")
    queries = [
        ("q1", CLAIMS["mayor-bicycles"], {"mayor-bicycles"}),  # found first: AP 1
        ("q2", CLAIMS["giant-squid"], {"lemon-flu"}),  # another claim found: AP 0, a wrong strong match
        ("q3", "zzq xyzzy plugh frobnicate", {"mayor-bicycles"}),  # nothing found: AP 0, unanswered
        ("q4", CLAIMS["lemon-flu"], {"lemon-flu", "mayor-bicycles"}),  # one of two gold at rank 1: AP 1/2
    ]
    got = quality.check_batch([kb], [(q, t) for q, t, _g in queries])
    assert [m.claim_id for m in got["q1"]] == ["mayor-bicycles"]
    assert got["q3"] == []
    r = quality.reported_metrics([(got[q], g) for q, _t, g in queries])
    assert r["queries"] == 4
    assert r["MAP@5"] == pytest.approx((1 + 0 + 0 + 0.5) / 4)
    assert r["P@1"] == pytest.approx(50.0)
    assert r["answered_%"] == pytest.approx(75.0)
    assert r["strong_%"] == pytest.approx(75.0)
    assert r["strong_matches"] == 3
    assert r["strong_precision_%"] == pytest.approx(200 / 3)


def write_2a(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "kb.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["vclaim_id", "vclaim", "title", "subtitle", "date", "page_url"])
        w.writerow(["vclaim-sno-mayor", CLAIMS["mayor-bicycles"], "Did a Mayor Ban Bicycles?", "", "26 May 2015", ""])
        w.writerow(
            [
                "vclaim-sno-squid",
                CLAIMS["giant-squid"],
                "Giant Squid in Oregon",
                CLAIMS["giant-squid"],
                "6 March 2021",
                "https://www.snopes.com/fact-check/squid/",
            ]
        )
        w.writerow(
            [
                "vclaim-sno-lemon",
                CLAIMS["lemon-flu"],
                "Lemon Water Flu Cure",
                "Rumor: lemon cures flu.",
                "not a date",
                "not-a-url",
            ]
        )
    tweets = [("t1", CLAIMS["giant-squid"] + " https://t.co/x"), ("t2", "qqzx wvut plugh xyzzy")]
    with open(directory / "queries_dev.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["query_id", "text"])
        w.writerows(tweets)
    with open(directory / "qrels_dev.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["t1", "0", "vclaim-sno-squid", "1"])
        w.writerow(["t2", "0", "vclaim-sno-mayor", "1"])
    return directory


def test_2a_conversion_is_a_valid_kb_with_variants_dates_and_sources(tmp_path: Path) -> None:
    target = quality.cached_kb_2a(write_2a(tmp_path / "2a"))
    result = load([target])
    assert result.errors == []
    by_id = {c.id: c for c in result.claims}
    assert set(by_id) == {"vclaim-sno-mayor", "vclaim-sno-squid", "vclaim-sno-lemon"}
    squid = by_id["vclaim-sno-squid"]
    assert [v.text for v in squid.variants] == ["Giant Squid in Oregon"]  # the subtitle repeats the claim
    assert str(squid.published) == "2021-03-06"
    assert squid.sources[0].url == "https://www.snopes.com/fact-check/squid/"
    assert squid.sources[0].title == "Giant Squid in Oregon"
    lemon = by_id["vclaim-sno-lemon"]
    assert [v.text for v in lemon.variants] == ["Lemon Water Flu Cure", "Rumor: lemon cures flu."]
    assert lemon.published is None and lemon.sources[0].url is None
    without = quality.cached_kb_2a(tmp_path / "2a", {"vclaim-sno-squid"}, tag="without-dev")
    assert {c.id for c in load([without]).claims} == {"vclaim-sno-mayor", "vclaim-sno-lemon"}


def test_kb_files_are_split_under_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quality, "MAX_KB_FILE_BYTES", 2_000)
    entries = [
        {
            "id": f"c-{i}",
            "claim": f"claim number {i} " + "word " * 40,
            "verdict": "unproven",
            "summary": "-",
            "sources": [{"title": "t"}],
        }
        for i in range(30)
    ]
    target = quality.write_kb_dir(entries, tmp_path / "kb", exclude={"c-3"})
    files = sorted(target.glob("*.yaml"))
    assert len(files) > 3
    assert all(f.stat().st_size <= 2_000 for f in files)
    assert sorted(c.id for c in load([target]).claims) == sorted(f"c-{i}" for i in range(30) if i != 3)


def test_main_2a_writes_json_only_with_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_2a(tmp_path / "2a")
    out = tmp_path / "quality.json"
    assert quality.main(["--sets", "2a", "--data", str(data), "--out", str(out)]) == 0
    assert not out.exists()
    printed = capsys.readouterr().out
    assert "| dev | 2 |" in printed and "NOT MET" in printed  # t2 is unanswered: 50% answered
    assert quality.main(["--sets", "2a", "--data", str(data), "--out", str(out), "--write", "--no-candidates"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    dev = doc["2a"]["dev"]
    assert dev["MAP@5"] == pytest.approx(0.5)
    assert dev["answered_%"] == pytest.approx(50.0)
    assert dev["strong_gold_removed_%"] == pytest.approx(0.0)  # the squid claim removed: nothing strong left
    assert {t["label"] for t in doc["targets"]} >= {"MAP@5 of reported", "answered"}


def test_seed_scoring_per_kind_and_language(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb")
    posts = [
        {
            "id": "p1",
            "text": CLAIMS["mayor-bicycles"],
            "lang": "en",
            "gold": ["mayor-bicycles"],
            "kind": "verbatim",
            "clear": True,
            "near": [],
            "note": "",
        },
        {
            "id": "p2",
            "text": CLAIMS["giant-squid"],
            "lang": "en",
            "gold": [],
            "kind": "hard_negative",
            "clear": False,
            "near": ["giant-squid"],
            "note": "pretend another place",
        },
        {
            "id": "p3",
            "text": "qqzx wvut plugh xyzzy",
            "lang": "ru",
            "gold": [],
            "kind": "off_topic",
            "clear": False,
            "near": [],
            "note": "",
        },
    ]
    got = quality.check_batch([kb], [(str(p["id"]), str(p["text"])) for p in posts])
    scored = quality.score_seed(posts, got)
    g = scored["groups"]["all"]
    assert g["right_first_%"] == pytest.approx(100.0)
    assert g["clear_strong_right_%"] == pytest.approx(100.0)
    assert g["hard_negatives"] == 1 and g["hard_negative_strong"] == 1
    assert g["off_topic_no_list_%"] == pytest.approx(100.0)
    assert scored["groups"]["lang:ru"]["posts"] == 1
    assert scored["groups"]["kind:hard_negative"]["hard_negative_strong_%"] == pytest.approx(100.0)
    assert [h["id"] for h in scored["hard_negative_strong"]] == ["p2"]
    lines = {t.label: t.met for t in quality.targets({"seed": {"dev": scored}})}
    assert lines["strong on hard negatives"] is False
    assert lines["no list on other topics"] is True
