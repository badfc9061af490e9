"""What ``diplorag serve`` keeps warm: a session per index, one model, and who may use them.

Threads. Requests run in worker threads. Whatever touches an index or the embedder (search,
said, speakers, and an answer's retrieval, evidence and verification) holds the
``ComputeLock``, one thread at a time: a session's SQLite connection, its caches and the
embedder's tokenizer are not meant for two threads at once, and on two cores nothing is lost.
Generation holds the model's own lock instead and steps out of the compute lock while it
streams, so searches go on while an answer is written, and one answer is generated at a time
(llama.cpp is not thread-safe); other answers wait with their evidence already sent.

Generations. Before each request the index's ``CURRENT`` pointer is read (one small file).
When ``ingest`` has made a new generation live, a session is opened on it (the embedder and
the model carry over) and the old one is closed once the requests that use it are done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from diplorag.answer.conversation import Conversation
from diplorag.api import Session, load_generator, query_runtime
from diplorag.config import Settings
from diplorag.generate import ChatMessage, GenerationStats, Generator
from diplorag.index.layout import current_generation, read_manifest

if TYPE_CHECKING:
    from diplorag.embed import Embedder
    from diplorag.types import Manifest

__all__ = ["ComputeLock", "SharedModel", "Warm"]

log = logging.getLogger("diplorag.serve")

# Settings a session (not a request) is built with, that change what an answer says. A request
# whose own settings differ is answered by no warm session (``Warm.differences``).
ANSWER_SETTINGS = (
    "llm",
    "llm_context",
    "llm_max_tokens",
    "answer_min_relevance",
    "said_rerank_depth",
    "models_dir",
)
SAID_SETTINGS = ("said_rerank_depth",)
MAX_CONVERSATIONS = 256


class ComputeLock:
    """One thread at a time on the indexes and the embedder; a generating thread steps out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def __enter__(self) -> None:
        self._lock.acquire()
        self._owner = threading.get_ident()

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._lock.release()

    @contextlib.contextmanager
    def stepped_out(self) -> Iterator[None]:
        """Release the lock for the block if this thread holds it, and take it back after."""
        mine = self._owner == threading.get_ident()
        if mine:
            self.__exit__()
        try:
            yield
        finally:
            if mine:
                self.__enter__()


class SharedModel:
    """The server's one language model, as the ``Generator`` every session is given.

    Loaded on first use (a failure is raised to that answer, and the next one tries again);
    one stream at a time; ``last_stats`` is the calling thread's latest stream.
    """

    def __init__(self, load: Callable[[], Generator], compute: ComputeLock) -> None:
        self._load = load
        self._compute = compute
        self._lock = threading.Lock()
        self._model: Generator | None = None
        self._local = threading.local()

    @property
    def name(self) -> str:
        return self._model.name if self._model is not None else ""

    @name.setter
    def name(self, value: str) -> None:
        raise AttributeError("the shared model's name is its model's")

    @property
    def last_stats(self) -> GenerationStats | None:
        stats: GenerationStats | None = getattr(self._local, "stats", None)
        return stats

    @last_stats.setter
    def last_stats(self, value: GenerationStats | None) -> None:
        self._local.stats = value

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        grammar: str | None = None,
    ) -> Iterator[str]:
        """The model's stream, once it is this thread's turn (see ``Generator.stream``)."""
        with self._compute.stepped_out(), self._lock:
            if self._model is None:
                self._model = self._load()
            model = self._model
            self.last_stats = None
            pieces = model.stream(messages, max_tokens=max_tokens, stop=stop, grammar=grammar)
            try:
                yield from pieces
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
                self.last_stats = model.last_stats

    def shutdown(self) -> None:
        """Free the model (not ``close``: a session closes its generator, this outlives it)."""
        with self._lock:
            close = getattr(self._model, "close", None)
            if close is not None:
                close()
            self._model = None


@dataclass(eq=False)
class _Held:
    session: Session
    generation: Path
    users: int = 0
    retired: bool = False


class Warm:
    """The server's sessions, one per index folder, each on its index's live generation.

    Args:
        settings: The server's own settings: a session is opened with them, its index
            folder and name replaced by the ones a request asks for.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.compute = ComputeLock()
        self.model = SharedModel(lambda: load_generator(settings), self.compute)
        self._table = threading.Lock()  # guards the dictionaries below
        self._opening = threading.Lock()  # one session opened at a time
        self._held: dict[Path, _Held] = {}
        self._embedders: dict[str, Embedder] = {}
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()

    def differences(self, asked: Settings, names: Sequence[str]) -> list[str]:
        """``name=value`` of each setting in ``names`` where ``asked`` differs from the server."""
        out = []
        for name in names:
            mine, theirs = getattr(self.settings, name), getattr(asked, name)
            if isinstance(mine, Path):
                mine, theirs = os.path.abspath(mine), os.path.abspath(theirs)
            if mine != theirs:
                out.append(f"{name}={mine} (asked: {theirs})")
        return out

    @contextlib.contextmanager
    def session(self, settings: Settings) -> Iterator[Session]:
        """The warm session of the index ``settings`` name, on its live generation.

        Raises:
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: as ``api.Session``.
        """
        held = self._acquire(Path(os.path.abspath(settings.index_path)))
        try:
            yield held.session
        finally:
            self._release(held)

    def conversation(self, key: str) -> Conversation:
        """The chat that ``key`` names (a new one the first time); the oldest are forgotten."""
        with self._table:
            found = self._conversations.pop(key, None) or Conversation()
            self._conversations[key] = found
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
            return found

    def close(self) -> None:
        with self._table:
            held, self._held = list(self._held.values()), {}
        for h in held:
            h.session.close()
        self.model.shutdown()

    # -- sessions by generation -----------------------------------------------------------------

    def _live(self, root: Path) -> _Held | None:
        """The held session of ``root`` if it is on the live generation (a user counted)."""
        generation = current_generation(root) if root.is_dir() else None
        with self._table:
            held = self._held.get(root)
            if held is None or generation is None or held.generation != generation:
                return None
            held.users += 1
            return held

    def _acquire(self, root: Path) -> _Held:
        found = self._live(root)
        if found is not None:
            return found
        with self._opening:
            found = self._live(root)  # another request may have opened it meanwhile
            if found is not None:
                return found
            session = self._open(root)
            fresh = _Held(session, session.handle.gen, users=1)
            close_now = False
            with self._table:
                old = self._held.get(root)
                self._held[root] = fresh
                if old is not None:
                    old.retired = True
                    close_now = old.users == 0
            if old is not None:
                log.info("index %s: now on %s", root, fresh.generation.name)
                if close_now:
                    old.session.close()
            return fresh

    def _open(self, root: Path) -> Session:
        """A session on the live generation of ``root``, its files and embedder loaded."""
        settings = self.settings.model_copy(update={"index_dir": root.parent, "index": root.name})
        generation = current_generation(root) if root.is_dir() else None
        key = _embedder_key(read_manifest(generation)) if generation is not None else None
        with self._table:
            embedder = self._embedders.get(key) if key is not None else None
        session = Session(settings, embedder=embedder, generator=self.model)
        if _embedder_key(session.manifest) != key:  # rebuilt with another model meanwhile
            session.close()
            session = Session(settings, generator=self.model)
        try:
            with self.compute:
                # Loaded now, not by the first query: a later ingest may delete these files.
                session.handle.vectors  # noqa: B018
                session.handle.bm25  # noqa: B018
                embedder = session.embedder
        except BaseException:
            session.close()
            raise
        with self._table:
            self._embedders.setdefault(_embedder_key(session.manifest), embedder)
        return session

    def _release(self, held: _Held) -> None:
        with self._table:
            held.users -= 1
            close_now = held.retired and held.users == 0
        if close_now:
            held.session.close()


def _embedder_key(manifest: Manifest) -> str:
    """Indexes share an embedder when their queries are embedded alike (model and runtime)."""
    return f"{manifest.embedding_model} {query_runtime(manifest)}"
