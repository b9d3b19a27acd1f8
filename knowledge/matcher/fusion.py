"""The semantic channel fused with the lexical score: which claims a post may be about, in what order.

A logistic model over, per claim: the lexical score's logit (claims the lexical path scored below
``lex_floor``, or did not retrieve, read as absent), the post's cosine with the claim's vector (the mean of
its texts'), that cosine's margin over the next claim's, and whether the lexical path found the claim at
all. It reorders the lexical candidates and adds the claims only the encoder finds, as "possible": whether
a match is *strong* stays the lexical engine's decision (with its consistency checks), except where both
channels agree beyond doubt (``strong``: a fused score of 90 for a claim the words found too, with nothing
in the post against it). Fitted with its
threshold by ``python -m benchmarks.semantic`` (it prints the DEFAULT_FUSION line) on CheckThat! 2A and 2B
train (the rule of benchmarks/tune.py: ``possible`` where 42 % of the gold-removed train posts still get a
list). When the fused score also decided strength, 2B train strong precision fell from 95.7 to 92.5 %.

``possible`` decides *whether* a post gets a list; once it does, the list goes on down to ``related``: the
model gives those alternatives at least a 1 % chance, and on the train splits 6.4 % of them (35 of 545 in
lists whose best was below strong) were the gold claim. A user picks from them; a post of another topic
still gets no list at all.

For a post the English word vectors read (:mod:`knowledge.words`), two more features: the claim's word
cosine and its margin over the best other claim's, with their own fit (``DEFAULT_FUSION_WORDS``).

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.words import WordCosines

__all__ = ["DEFAULT_FUSION", "DEFAULT_FUSION_WORDS", "FusionParams", "features", "fuse"]

_ABSENT_LOGIT = math.log(1e-4 / (1 - 1e-4))


@dataclass(frozen=True, slots=True)
class FusionParams:
    """p = sigmoid(bias + w_lex * logit(lexical / 100) + w_cos * cos + w_margin * margin + w_in_lex * found
    [+ w_words * word cosine + w_words_margin * word margin, for a post the word vectors read])."""

    bias: float
    w_lex: float
    w_cos: float
    w_margin: float
    w_in_lex: float
    possible: float  # a post whose best fused score is below this gets no list ("nothing yet")
    lex_floor: float = 1.0  # lexical scores below this are read as absent (the pruned path skips them)
    top: int = 20  # claims the encoder proposes per post
    related: float = 1.0  # once the best reaches `possible`, the next ones down to this fill its list
    w_words: float = 0.0
    w_words_margin: float = 0.0
    # The best claim is a verdict (strong) from this fused score up, when the words found it too, the post
    # contradicts nothing, negates nothing the claim does not (the encoder cannot read a "never") and is long
    # enough for a verdict: both channels then agree. Chosen on 2A train, 2B train and seed dev (python -m
    # benchmarks.fused_strong): from 90, 5 + 2 + 1 verdicts more, all right, and none with 2A's gold claims
    # removed; from 80 two of 2B's and two seed hard negatives (a Kursk nuclear plant post without an attack,
    # 82) were wrong, so 85 would leave too thin a margin. Above 100: never.
    strong: float = 101.0


# Fitted by `python -m benchmarks.semantic` (2A + 2B train, USE multilingual v3): the line it prints.
DEFAULT_FUSION = FusionParams(
    bias=2.7, w_lex=0.92, w_cos=1.33, w_margin=9.07, w_in_lex=-3.25, possible=7.27, lex_floor=1.0, top=20, related=1.0,
    strong=90.0,
)
# For posts the English word vectors read (knowledge.words), fitted by the same command on the same posts.
DEFAULT_FUSION_WORDS = FusionParams(
    bias=2.98, w_lex=0.86, w_cos=-0.49, w_margin=6.28, w_in_lex=-3.13, possible=6.23, lex_floor=1.0, top=20,
    related=1.0, w_words=1.62, w_words_margin=4.17, strong=90.0,
)


def _logit(score: float) -> float:
    p = min(max(score / 100.0, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(
    lexical: dict[str, float],
    cosines: list[tuple[str, float]],
    lex_floor: float,
    words: WordCosines | None = None,
) -> dict[str, tuple[float, ...]]:
    """Per claim either channel proposes: (lexical logit, cosine, margin, found lexically[, word cosine,
    word margin]).

    `lexical`: claim id -> lexical score (before the consistency checks); `cosines`: the encoder's top
    claims, best first. A claim the encoder did not rank is given the lowest cosine it ranked (it is at
    most that close); the margin is a claim's cosine minus the best other claim's (0 for two equally
    close texts: PolitiFact checks one statement several times). `words`: the word vectors' cosines of
    these claims (a claim with no English text gets the lowest of them) and the KB's best two.
    """
    lex = {cid: s for cid, s in lexical.items() if s >= lex_floor}
    cos = dict(cosines)
    ranked = sorted(cos.values(), reverse=True)
    floor = ranked[-1] if ranked else 0.0
    first, second = (ranked + [floor, floor])[:2]
    word_floor = min(words.cosines.values(), default=0.0) if words is not None else 0.0
    out: dict[str, tuple[float, ...]] = {}
    for cid in lex.keys() | cos.keys():
        c = cos.get(cid, floor)
        found = cid in lex
        margin = c - (second if cid in cos and c >= first else first)
        row: tuple[float, ...] = (_logit(lex[cid]) if found else _ABSENT_LOGIT, c, margin, float(found))
        if words is not None:
            w = words.cosines.get(cid, word_floor)
            row += (w, w - (words.second if w >= words.best else words.best))
        out[cid] = row
    return out


def fuse(
    lexical: dict[str, float],
    cosines: list[tuple[str, float]],
    params: FusionParams,
    words: WordCosines | None = None,
) -> dict[str, float]:
    """The fused 0-100 score of every claim either channel proposes (see :func:`features`); with `words`,
    `params` must be a fit that has word weights (``DEFAULT_FUSION_WORDS``)."""
    w: tuple[float, ...] = (params.w_lex, params.w_cos, params.w_margin, params.w_in_lex)
    if words is not None:
        w += (params.w_words, params.w_words_margin)
    out: dict[str, float] = {}
    for cid, f in features(lexical, cosines, params.lex_floor, words).items():
        z = params.bias + sum(a * b for a, b in zip(w, f, strict=True))
        out[cid] = 100.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out
