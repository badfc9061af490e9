"""BM25: bm25s builds and saves the index; ``search`` reads its score matrix with numpy."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import pytest

from diplorag.errors import IndexCorruptError
from diplorag.index.bm25_backend import FOLDER, Bm25Index
from diplorag.text.analyze import terms

TEXTS = [
    "Kang urged the nuclear-weapon states to re-engage in dialogue on New START.",
    "Sweden tops up military spending by 2.6 billion crowns.",
    "The F-15 fighter jets landed at Kunsan; F-15s refuel at Osan.",
    "North Korea fired missiles into the sea off Japan's coast, Japan said.",
    "Japan staged its first evacuation drill in Oga; the drill drill drill went on.",
]
IDS = [10, 11, 12, 13, 14]
QUERIES = [
    "New START dialogue",
    "Japan drill",
    "F-15 jets",
    "military spending Sweden crowns",
    "drill drill",
    "nothing matches zebra",
]


def test_search_scores_as_bm25s_does_after_a_save_and_load(tmp_path: Path) -> None:
    Bm25Index.build(IDS, TEXTS).save(tmp_path)
    loaded = Bm25Index.load(tmp_path)
    reference = bm25s.BM25()
    reference.index([terms(t) for t in TEXTS], show_progress=False)
    for q in QUERIES:
        docs, scores = reference.retrieve([terms(q) or ["zebra"]], k=5, show_progress=False)
        want = {
            IDS[int(d)]: round(float(s), 5)
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        }
        got = loaded.search(q, 5)
        assert {i: round(s, 5) for i, s in got} == want, q
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    assert loaded.search("nothing matches zebra", 5) == []
    assert [i for i, _ in loaded.search("Japan drill", 1)] == [14]


def test_a_truncated_score_matrix_is_reported_with_the_fix(tmp_path: Path) -> None:
    Bm25Index.build(IDS, TEXTS).save(tmp_path)
    data = tmp_path / FOLDER / "data.csc.index.npy"
    import numpy as np

    np.save(data, np.load(data)[:-3])
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        Bm25Index.load(tmp_path)


def test_an_empty_index_searches_to_nothing(tmp_path: Path) -> None:
    Bm25Index.build([], []).save(tmp_path)
    assert json.loads((tmp_path / FOLDER / "vector_ids.json").read_text()) == []
    assert Bm25Index.load(tmp_path).search("Japan", 3) == []
