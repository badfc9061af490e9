"""BM25 over chunk texts, using the one analyser (``diplorag.text.analyze``).

bm25s builds the index (rebuilt from the chunk store on every ingest that changes anything:
it indexes ~14,000 chunks in about a second, far less than embedding even one new document
costs) and saves it as its score matrix: for each term, the BM25 score of every chunk that
holds it (compressed sparse columns). A query only sums the columns of its terms, so searching
reads those arrays with numpy and leaves bm25s, and the scipy it imports, off the query path
(importing them costs about 0.24 CPU-s on its own, ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from diplorag.errors import IndexCorruptError
from diplorag.text.analyze import terms

if TYPE_CHECKING:
    import numpy as np

FOLDER = "bm25"
IDS_FILE = "vector_ids.json"
_ARRAYS = ("data", "indices", "indptr")  # bm25s's file names: {name}.csc.index.npy


class Bm25Index:
    """The lexical backend: ``search`` returns ``(vector_id, score)`` pairs, best first."""

    def __init__(
        self,
        vocab: dict[str, int],
        data: np.ndarray | None,
        indices: np.ndarray | None,
        indptr: np.ndarray | None,
        ids: list[int],
        saver: object | None = None,
    ) -> None:
        self._vocab = vocab
        self._data, self._indices, self._indptr = data, indices, indptr
        self._ids = ids
        self._saver = saver  # the bm25s retriever an index built in this process saves with

    @classmethod
    def build(cls, ids: Sequence[int], texts: Sequence[str]) -> Bm25Index:
        import bm25s

        if not texts:
            return cls({}, None, None, None, list(ids))
        retriever = bm25s.BM25()
        retriever.index([terms(t) or ["\x00"] for t in texts], show_progress=False)
        s = retriever.scores
        return cls(
            dict(retriever.vocab_dict),
            s["data"],
            s["indices"],
            s["indptr"],
            list(ids),
            saver=retriever,
        )

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import numpy as np

        path = folder / FOLDER
        try:
            ids = json.loads((path / IDS_FILE).read_text())
            if not ids:
                return cls({}, None, None, None, [])
            vocab = json.loads((path / "vocab.index.json").read_text())
            data, indices, indptr = (
                np.load(path / f"{name}.csc.index.npy", mmap_mode="r") for name in _ARRAYS
            )
            params = json.loads((path / "params.index.json").read_text())
            if params.get("method") in ("bm25l", "bm25+"):  # they score absent terms too
                raise ValueError(f"BM25 method {params['method']} is not supported")
            if len(data) != len(indices) or int(indptr[-1]) != len(data):
                raise ValueError("the score matrix is truncated")
            columns = len(indptr) - 1  # bm25s's vocabulary has one more entry, ""
            vocab = {t: i for t, i in vocab.items() if i < columns}
        except Exception as exc:
            raise IndexCorruptError(
                f"cannot read the BM25 index in {path}: {exc}",
                hint="rebuild it: diplorag ingest --rebuild PATH",
            ) from None
        return cls(vocab, data, indices, indptr, ids)

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        import numpy as np

        k = min(k, len(self._ids))
        # As bm25s scores a query: its terms in the vocabulary, repeats counted again.
        wanted = [self._vocab[t] for t in terms(query) if t in self._vocab]
        if not wanted or k <= 0 or self._data is None:
            return []
        assert self._indices is not None and self._indptr is not None
        scores = np.zeros(len(self._ids), dtype=np.float32)
        for t in wanted:
            a, b = int(self._indptr[t]), int(self._indptr[t + 1])
            np.add.at(scores, self._indices[a:b], self._data[a:b])
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._ids[int(d)], float(scores[d])) for d in top if scores[d] > 0.0]

    def save(self, folder: Path) -> None:
        path = folder / FOLDER
        path.mkdir(exist_ok=True)
        if self._ids:
            if self._saver is None:
                raise RuntimeError("only an index built in this process can be saved")
            self._saver.save(str(path), show_progress=False)  # type: ignore[attr-defined]
        (path / IDS_FILE).write_text(json.dumps(self._ids))
