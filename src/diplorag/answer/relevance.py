"""Do the documents cover the question? Decided by meaning, not by every word appearing.

Three signals per candidate sentence (``evidence.Candidate``): dense similarity of the question
to the sentence, coverage of the question's content words in the sentence and the one before
it (names count double), and the share of the question's names (entities, aliases and
inflections allowed: "Beijing" = "China", "F-15s" = "F-15") that its document mentions.
The question is covered when the best candidate's combined score reaches ``min_score``.
Weights and threshold come from the sweep in ``benchmarks/relevance.py`` over both dev sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diplorag.answer.evidence import Candidate

__all__ = ["Relevance", "RelevancePolicy", "judge"]


@dataclass(frozen=True)
class RelevancePolicy:
    """Weights of the three signals and the threshold (see the module docstring)."""

    dense: float = 0.5
    lexical: float = 0.3
    entities: float = 0.2
    min_score: float = 0.475
    # When the model's answer does not hold up, its evidence is quoted instead only above this.
    min_quote_score: float = 0.475
    # "What did X say about Y?": X's own statements answer from this score (X is already
    # matched, so the bar is lower), when they share a topic word or mean the topic (dense
    # similarity of the best) while the documents cover it; unless a statement by someone
    # else scores this much higher (then the answer names who said it).
    min_own_score: float = 0.41
    min_own_dense: float = 0.35
    others_margin: float = 0.15
    # Naming who said it instead: every other speaker (up to ``others_named``) whose best
    # statement scores within this of the best is named too (a claim and the reply to it:
    # the claim repeats the question's words, the reply — "utterly ridiculous" — does not).
    others_near: float = 0.15
    others_named: int = 3
    # Documents of the question's own retrieval whose every statement is weighed for "who
    # else said it" (beside the statements' own search).
    others_documents: int = 3

    def combine(self, c: Candidate) -> float:
        return self.dense * c.dense + self.lexical * c.lexical + self.entities * c.entities


@dataclass(frozen=True)
class Relevance:
    """The verdict and the best candidate's signals."""

    covered: bool
    score: float
    dense: float
    lexical: float
    entities: float
    reason: str | None = None


def judge(
    candidates: Sequence[Candidate], policy: RelevancePolicy = RelevancePolicy()
) -> Relevance:
    """Whether the best of ``candidates`` (scored by ``evidence.score_candidates``) answers.

    Returns:
        ``covered`` and, when not, a reason a reader understands.
    """
    if not candidates:
        return Relevance(False, 0.0, 0.0, 0.0, 0.0, "nothing in the index matches the question")
    best = max(candidates, key=policy.combine)
    score = policy.combine(best)
    covered = score >= policy.min_score
    reason = None
    if not covered:
        if best.entities < 1.0:
            reason = "no document found mentions what the question names"
        else:
            reason = "no passage found is about the question"
        reason += f" (relevance {score:.2f} < {policy.min_score:.2f})"
    return Relevance(covered, score, best.dense, best.lexical, best.entities, reason)
