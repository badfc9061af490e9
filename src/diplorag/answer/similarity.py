"""Dense similarity between short texts with the index's embedder, vectors cached by text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from diplorag.embed import Embedder

__all__ = ["Similarity"]


class Similarity:
    """Cosine similarity of a text to candidates (vectors are L2-normalised by the embedder).

    Args:
        embedder: The index's embedder (MiniLM, or ``hash-<dim>`` in tests).
    """

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: dict[str, NDArray[np.float32]] = {}

    def _vectors(self, texts: Sequence[str]) -> list[NDArray[np.float32]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            encoded = self._embedder.encode_documents(missing)
            for t, v in zip(missing, encoded, strict=True):
                self._cache[t] = v
        return [self._cache[t] for t in texts]

    def scores(self, text: str, candidates: Sequence[str]) -> list[float]:
        """``cos(text, c)`` for each candidate, in order (the text is embedded as a query)."""
        if not candidates:
            return []
        q = self._embedder.encode_query(text)[0]
        return [float(q @ v) for v in self._vectors(candidates)]

    def pairwise(self, a: str, b: str) -> float:
        """``cos(a, b)``, both embedded as documents (two statements compared as equals)."""
        va, vb = self._vectors([a, b])
        return float(va @ vb)
