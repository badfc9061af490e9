"""Fusion of ranked lists: passage RRF, per-document RRF, score fusion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplorag.fusion import (
    best_per_group,
    document_aware_rrf,
    group_rrf,
    lookup,
    maxnorm,
    minmax,
    passages_by_group,
    rrf,
    score_fusion,
    zscore,
)
from diplorag.retrieve import rrf as product_rrf

# chunks 1-3 belong to article "a", 4-5 to "b", 6 to "c"
ARTICLE = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b", 6: "c"}
OF = lookup(ARTICLE)


def test_rrf_scores_and_order() -> None:
    fused = rrf([[(1, 0.9), (2, 0.5)], [(2, 7.0), (3, 1.0)]], k=60)
    assert [d for d, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][1] == pytest.approx(1 / 61)


def test_rrf_weights_and_their_validation() -> None:
    a, b = [(1, 1.0), (2, 0.5)], [(2, 1.0), (1, 0.5)]
    assert [d for d, _ in rrf([a, b], weights=[2.0, 1.0])] == [1, 2]
    assert [d for d, _ in rrf([a, b], weights=[1.0, 2.0])] == [2, 1]
    with pytest.raises(ValueError, match="1 weights for 2 rankings"):
        rrf([a, b], weights=[1.0])


rankings = st.lists(
    st.lists(
        st.tuples(st.integers(0, 30), st.floats(0.01, 100)), unique_by=lambda p: p[0], max_size=12
    ),
    max_size=3,
)


@given(rankings)
def test_unweighted_rrf_is_the_products(rs: list[list[tuple[int, float]]]) -> None:
    assert rrf(rs) == product_rrf(rs)


def test_best_per_group_keeps_first_occurrence() -> None:
    ranking = [(2, 0.9), (4, 0.8), (1, 0.7), (6, 0.6), (5, 0.5)]
    assert best_per_group(ranking, OF) == [("a", 0.9), ("b", 0.8), ("c", 0.6)]
    assert best_per_group([], OF) == []


def test_group_rrf_rewards_agreement_on_the_document_not_the_passage() -> None:
    # Both rankers put article "a" first, through different chunks; both put chunk 4 ("b") 2nd.
    dense = [(1, 0.9), (4, 0.8), (6, 0.1)]
    sparse = [(2, 9.0), (4, 8.0), (6, 1.0)]
    by_passage = best_per_group(rrf([dense, sparse]), OF)
    assert by_passage[0][0] == "b"  # passage RRF: chunk 4 (2nd + 2nd) beats chunks 1 and 2
    by_document = group_rrf([dense, sparse], OF)
    assert [g for g, _ in by_document] == ["a", "b", "c"]
    assert by_document[0][1] == pytest.approx(2 / 61)


def test_passages_by_group_follows_the_document_order() -> None:
    docs = [("b", 0.5), ("a", 0.4), ("z", 0.3)]  # "z" has no passage: skipped
    passages = [(1, 0.9), (4, 0.8), (2, 0.7), (5, 0.6)]
    assert passages_by_group(docs, passages, OF) == [(4, 0.5), (1, 0.4)]
    assert passages_by_group(docs, passages, OF, per_group=2) == [
        (4, 0.5),
        (5, 0.5),
        (1, 0.4),
        (2, 0.4),
    ]


def test_document_aware_rrf_adds_the_documents_score() -> None:
    dense = [(1, 0.9), (4, 0.8), (6, 0.1)]
    sparse = [(2, 9.0), (4, 8.0), (6, 1.0)]
    passage = dict(rrf([dense, sparse]))
    document = dict(group_rrf([dense, sparse], OF))
    aware = document_aware_rrf([dense, sparse], OF, document_weight=0.5)
    assert dict(aware) == pytest.approx(
        {c: s + 0.5 * document[ARTICLE[c]] for c, s in passage.items()}
    )
    assert [s for _, s in aware] == sorted((s for _, s in aware), reverse=True)
    # a large document weight orders passages by document first: "a" (2/61) > "b" (2/62)
    heavy = [d for d, _ in document_aware_rrf([dense, sparse], OF, document_weight=100.0)]
    assert heavy[:2] == [1, 2] and heavy[2] == 4
    plain = [d for d, _ in rrf([dense, sparse])]
    assert plain[0] == 4
    same = [d for d, _ in document_aware_rrf([dense, sparse], OF, document_weight=0.0)]
    assert same == plain


def test_minmax_and_zscore() -> None:
    assert minmax([(1, 3.0), (2, 2.0), (3, 1.0)]) == [(1, 1.0), (2, 0.5), (3, 0.0)]
    assert minmax([(1, 2.0), (2, 2.0)]) == [(1, 1.0), (2, 1.0)]
    assert minmax([]) == []
    z = zscore([(1, 3.0), (2, 2.0), (3, 1.0)])
    assert [s for _, s in z] == pytest.approx([1.2247, 0.0, -1.2247], abs=1e-4)
    assert zscore([(1, 5.0)]) == [(1, 0.0)]
    assert maxnorm([(1, 4.0), (2, 1.0)]) == [(1, 1.0), (2, 0.25)]
    assert maxnorm([(1, 0.0)]) == [(1, 0.0)] and maxnorm([]) == []


@given(rankings)
def test_maxnorm_does_not_depend_on_depth(rs: list[list[tuple[int, float]]]) -> None:
    for r in rs:
        ranked = sorted(r, key=lambda p: -p[1])
        assert maxnorm(ranked)[:3] == maxnorm(ranked[:3])


def test_score_fusion_keeps_score_gaps() -> None:
    # "1" is far ahead in dense, barely behind in sparse: RRF calls it a tie, CombSUM does not.
    dense = [(1, 0.95), (2, 0.50), (3, 0.40)]
    sparse = [(2, 10.0), (1, 9.9), (3, 1.0)]
    fused = score_fusion([dense, sparse])
    assert [d for d, _ in fused] == [1, 2, 3]
    assert fused[0][1] == pytest.approx(1.0 + (9.9 - 1.0) / 9.0)
    weighted = score_fusion([dense, sparse], weights=[0.01, 1.0])
    assert weighted[0][0] == 2
    assert score_fusion([dense, []]) == minmax(dense)
