"""schema.org ClaimReview interchange: our KB round-trips; foreign files map what they can and report the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.services.claimreview import RATING_VALUES, rating_to_verdict, read_claimreview, write_claimreview
from knowledge.loader import bundled_dir, load
from knowledge.schema import Claim, Origin, Source, Variant


def bundled() -> list[Claim]:
    result = load([bundled_dir()])
    assert result.errors == []
    return result.claims


def test_bundled_kb_round_trips_losslessly(tmp_path: Path) -> None:
    claims = bundled()
    target = tmp_path / "out" / "claimreview.json"
    write_claimreview(claims, target)
    back, problems = read_claimreview(target)
    assert problems == []
    assert [c.id for c in back] == [c.id for c in claims]
    for original, copy in zip(claims, back, strict=True):
        assert (copy.claim, copy.verdict, copy.summary, copy.lang) == (
            original.claim,
            original.verdict,
            original.summary,
            original.lang,
        )
        assert [(s.title, s.publisher, s.url, s.date) for s in copy.sources] == [
            (s.title, s.publisher, s.url, s.date) for s in original.sources
        ]
        assert [(o.name, o.kind, o.url, o.date) for o in copy.origins] == [
            (o.name, o.kind, o.url, o.date) for o in original.origins
        ]
        assert copy == original  # also variants, keywords, tags, dates


def test_written_file_is_claimreview_json_ld(tmp_path: Path) -> None:
    claim = Claim(
        id="sample-claim",
        claim="The moon is made of cheese.",
        verdict="false",
        summary="It is rock.",
        lang="en",
        sources=(
            Source(title="No link"),
            Source(title="NASA", publisher="NASA", url="https://nasa.example/moon", date=_d("2024-01-02")),
        ),
        origins=(
            Origin(name="Cheese Daily", kind="telegram_channel", url="https://t.me/cheese/5", date=_d("2024-01-01")),
            Origin(name="John Doe", kind="person"),
        ),
        variants=(Variant(text="Луна из сыра", lang="ru"), Variant(text="moon = cheese")),
        tags=("space",),
        published=_d("2024-01-03"),
        updated=_d("2024-02-01"),
    )
    no_url = Claim(id="no-url", claim="X happened.", verdict="opinion", summary="A view.", sources=(Source("S"),))
    path = tmp_path / "cr.json"
    write_claimreview([claim, no_url], path)
    first, second = json.loads(path.read_text(encoding="utf-8"))
    assert first["@context"] == "https://schema.org" and first["@type"] == "ClaimReview"
    assert first["claimReviewed"] == "The moon is made of cheese."
    assert first["identifier"] == "sample-claim" and first["reviewBody"] == "It is rock."
    assert first["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert first["url"] == "https://nasa.example/moon"  # the first source that has a url
    assert first["author"] == {"@type": "Organization", "name": "factbot"}
    assert (first["datePublished"], first["dateModified"]) == ("2024-01-03", "2024-02-01")
    item = first["itemReviewed"]
    assert item["@type"] == "Claim" and item["datePublished"] == "2024-01-01"
    assert item["author"]["@type"] == "Organization" and item["author"]["name"] == "Cheese Daily"
    assert item["appearance"][0]["url"] == "https://t.me/cheese/5"
    assert item["appearance"][1]["author"]["@type"] == "Person"
    assert "url" not in second  # never invented
    assert second["reviewRating"] == {"@type": "Rating", "alternateName": "Opinion"}
    assert read_claimreview(path) == ([claim, no_url], [])


def test_verdict_numbers_are_on_one_scale() -> None:
    assert RATING_VALUES["false"] < RATING_VALUES["misleading"] < RATING_VALUES["unproven"] < RATING_VALUES["true"]  # type: ignore[operator]
    assert RATING_VALUES["opinion"] is None


@pytest.mark.parametrize(
    ("rating", "verdict"),
    [
        ("False", "false"),
        ("Pants on Fire!", "false"),
        ("FAKE", "false"),
        ("Mostly False", "misleading"),
        ("Half-True", "misleading"),
        ("Mixture", "misleading"),
        ("Missing context", "misleading"),
        ("Exaggerated", "misleading"),
        ("Unproven", "unproven"),
        ("Unverified", "unproven"),
        ("No evidence", "unproven"),
        ("Disputed", "disputed"),
        ("Contested", "disputed"),
        ("True", "true"),
        ("Correct", "true"),
        ("Mostly True", "true"),
        ("Opinion", "opinion"),
        ("Неправда", "false"),
        ("Маніпуляція", "misleading"),
        ("Satire", None),
        ("Four Pinocchios", None),
        ("Research in progress", None),
    ],
)
def test_textual_ratings_map_to_verdicts(rating: str, verdict: str | None) -> None:
    assert rating_to_verdict(rating) == verdict


def foreign_document() -> dict[str, Any]:
    def review(claim: str, rating: str | None, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "claimReviewed": claim,
            "author": {"@type": "Organization", "name": "Checkers Inc", "url": "https://checkers.example"},
            "url": f"https://checkers.example/{len(claim)}",
            "datePublished": "2024-05-06T10:00:00+02:00",
        }
        if rating is not None:
            out["reviewRating"] = {"@type": "Rating", "alternateName": rating, "ratingValue": "2"}
        out.update(extra)
        return out

    return {
        "@context": "https://schema.org",
        "@graph": [
            review(
                "Vaccines contain microchips",
                "Pants on Fire!",
                itemReviewed={
                    "@type": "Claim",
                    "author": {"@type": "Person", "name": "A. Blogger"},
                    "datePublished": "2024-05-01",
                    "appearance": [
                        {"@type": "CreativeWork", "url": "https://blog.example/post"},
                        {"@type": "CreativeWork", "url": "https://mirror.example/copy"},
                    ],
                },
            ),
            review("The bridge was closed for a year", "Mostly False", inLanguage="en-GB"),
            review("Этот мост закрыли на год", "Неправда"),
            review("A funny headline", "Satire"),
            review("A politician's promise", "Four Pinocchios"),
            review("No rating at all", None),
            {"@type": "Organization", "name": "not a review"},
            review("Shared id", "True", identifier="shared-id"),
            review("Shared id again", "False", identifier="shared-id"),
        ],
    }


def test_foreign_file_maps_what_it_can_and_reports_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(foreign_document(), ensure_ascii=False), encoding="utf-8")
    claims, problems = read_claimreview(path)
    by_text = {c.claim: c for c in claims}
    assert set(by_text) == {
        "Vaccines contain microchips",
        "The bridge was closed for a year",
        "Этот мост закрыли на год",
        "Shared id",
    }
    chips = by_text["Vaccines contain microchips"]
    assert chips.id == "vaccines-contain-microchips" and chips.verdict == "false"
    assert chips.sources == (
        Source(
            title="Fact check by Checkers Inc",
            publisher="Checkers Inc",
            url="https://checkers.example/27",
            date=_d("2024-05-06"),
        ),
    )
    assert chips.origins == (
        Origin(name="A. Blogger", kind="person", url="https://blog.example/post", date=_d("2024-05-01")),
        Origin(name="mirror.example", kind="website", url="https://mirror.example/copy"),
    )
    assert chips.published == _d("2024-05-06")
    assert by_text["The bridge was closed for a year"].verdict == "misleading"
    assert by_text["The bridge was closed for a year"].lang == "en"
    russian = by_text["Этот мост закрыли на год"]
    assert russian.verdict == "false" and russian.lang == "ru" and russian.id == "etot-most-zakrili-na-god"
    assert by_text["Shared id"].id == "shared-id"

    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "review 4 ('A funny headline'): rating 'Satire' has no verdict mapping; skipped" in text
    assert "review 5 (\"A politician's promise\"): rating 'Four Pinocchios' has no verdict mapping" in text
    assert "review 6 ('No rating at all'): no textual rating" in text
    assert "review 7: not a ClaimReview; skipped" in text
    assert "review 9 ('Shared id again'): duplicate identifier 'shared-id'; skipped" in text
    assert all(p.startswith("foreign.json: review ") for p in problems)


def test_single_object_and_data_feed_are_read(tmp_path: Path) -> None:
    one = {
        "@type": "ClaimReview",
        "claimReviewed": "Water is wet",
        "reviewRating": {"alternateName": "Correct"},
        "url": "https://checkers.example/water",
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps(one), encoding="utf-8")
    claims, problems = read_claimreview(path)
    assert problems == [] and [(c.id, c.verdict) for c in claims] == [("water-is-wet", "true")]
    assert claims[0].sources[0].url == "https://checkers.example/water"

    feed = {"@type": "DataFeed", "dataFeedElement": [{"@type": "DataFeedItem", "item": [one]}]}
    path.write_text(json.dumps(feed), encoding="utf-8")
    assert read_claimreview(path)[0] == claims


def test_cli_round_trip_through_the_database(use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "import"]) == 0
    capsys.readouterr()
    target = tmp_path / "export.json"
    assert main(["kb", "export", "--format", "claimreview", str(target)]) == 0
    assert "wrote 10 claims" in capsys.readouterr().out
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert len(exported) == 10 and all(r["@type"] == "ClaimReview" for r in exported)

    assert main(["kb", "import", "--format", "claimreview", str(target)]) == 0
    assert capsys.readouterr().out.startswith("created 0, updated 0, unchanged 10")

    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(foreign_document(), ensure_ascii=False), encoding="utf-8")
    assert main(["kb", "import", "--format", "claimreview", str(foreign)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("created 4, updated 0, unchanged 0")
    assert err.count("warning: ") == 5 and "'Satire' has no verdict mapping" in err

    again = tmp_path / "again.json"
    assert main(["kb", "export", "--format", "claimreview", str(again)]) == 0
    claims, problems = read_claimreview(again)
    assert problems == [] and len(claims) == 14


def test_cli_rejects_a_file_that_is_not_json(use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["kb", "import", "--format", "claimreview", str(bad)]) == 1
    assert "not a readable JSON-LD file" in capsys.readouterr().err


def _d(text: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text)
