"""The on-disk index: vector and lexical backends, the chunk store, generations and locking.

Backends satisfy these protocols, so ``diplorag.retrieve`` never imports faiss or bm25s and
tests can pass plain in-memory doubles.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class VectorIndex(Protocol):
    """Dense vectors under integer ids; inner product on normalised vectors."""

    @property
    def dim(self) -> int: ...

    def __len__(self) -> int: ...

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None: ...

    def remove(self, ids: NDArray[np.int64]) -> None: ...

    def search(self, query: NDArray[np.float32], k: int) -> list[tuple[int, float]]: ...

    def save(self, folder: Path) -> None: ...


class LexicalIndex(Protocol):
    """Keyword search over chunk texts."""

    def __len__(self) -> int: ...

    def search(self, query: str, k: int) -> list[tuple[int, float]]: ...
