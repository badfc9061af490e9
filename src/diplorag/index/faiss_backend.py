"""Dense vectors in FAISS: an exact inner-product index with our own 64-bit ids.

``IndexIDMap2(IndexFlatIP)`` is exact (no training, no recall loss) and supports removing ids,
which incremental ingest needs. At 10,000–100,000 chunks of 384 dimensions a flat scan costs a
few milliseconds on one core, so an approximate index would buy nothing here yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplorag.errors import IndexCorruptError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

FILE_NAME = "vectors.faiss"


class FaissIndex:
    """The ``VectorIndex`` backend over faiss."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def empty(cls, dim: int) -> FaissIndex:
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def load(cls, folder: Path) -> FaissIndex:
        import faiss

        path = folder / FILE_NAME
        try:
            return cls(faiss.read_index(str(path)))
        except Exception as exc:
            raise IndexCorruptError(
                f"cannot read {path}: {exc}", hint="rebuild it: diplorag ingest --rebuild PATH"
            ) from None

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        import numpy as np

        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids: NDArray[np.int64]) -> None:
        import faiss
        import numpy as np

        if len(ids):
            self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))

    def search(self, query: NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest ids to one query vector, best first, as ``(id, score)``."""
        import numpy as np

        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(folder / FILE_NAME))
