"""An index on disk: immutable generations, an atomic ``CURRENT`` pointer, and a writer lock.

::

    indexes/<name>/
        CURRENT              "gen-000004"  (replaced atomically with os.replace)
        .lock                flock()ed by the one ingest that may write
        gen-000004/
            manifest.json    format, embedding model and dimension, chunker, counts
            chunks.sqlite    documents, chunks, offsets, metadata
            vectors.faiss    dense vectors keyed by chunk vector_id
            bm25/            lexical index

A writer copies the current generation into ``gen-<n+1>.tmp-<pid>``, changes the copy, and only
then renames it and swaps ``CURRENT``. Readers only ever open a complete generation, so a killed
or failed ingest leaves the previous index exactly as it was; the next writer deletes the
leftover temporary folder and pointer (``recover``), or finishes a first build that was killed
between renaming its generation and writing ``CURRENT``.

The manifest records the size of every file of its generation; opening a generation checks
them, so a truncated ``vectors.faiss`` or a missing ``bm25/`` file is "corrupt" (exit 5), not a
wrong answer. A missing or garbage ``CURRENT`` beside existing generations is corrupt too.
I/O failures while writing (cannot create, read-only, disk full) become ``StorageError`` /
``DiskFullError`` through ``writing()``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from diplorag import __version__
from diplorag.errors import (
    DiploragError,
    DiskFullError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    StorageError,
)
from diplorag.index.bm25_backend import Bm25Index
from diplorag.index.faiss_backend import FaissIndex
from diplorag.index.store import FILE_NAME as STORE_FILE
from diplorag.index.store import ChunkStore
from diplorag.types import ChunkerSettings, Manifest

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"
REBUILD_HINT = "rebuild it: diplorag ingest --rebuild PATH"
_GENERATION = re.compile(r"gen-[0-9]{6,}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(gen_dir: Path) -> Manifest:
    path = gen_dir / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read {path}: {exc}", hint=REBUILD_HINT) from None
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{path} is not a manifest", hint=REBUILD_HINT)
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index {gen_dir.parent.name!r} has format version {version}, "
            f"this version reads format {FORMAT_VERSION}",
            hint=REBUILD_HINT,
        )
    try:
        return Manifest.model_validate(data)
    except ValueError as exc:
        raise IndexCorruptError(f"{path} is malformed: {exc}") from None


def _generations(root: Path) -> list[Path]:
    """Complete generation folders (not temporary ones), oldest first."""
    try:
        return sorted(p for p in root.iterdir() if _GENERATION.fullmatch(p.name) and p.is_dir())
    except OSError:
        return []


def _pointed(pointer: Path) -> str | None:
    """The generation name a pointer file holds, or ``None`` if it holds no such name."""
    try:
        name = pointer.read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if _GENERATION.fullmatch(name) else None


def _interrupted_first_build(root: Path) -> bool:
    """A first ingest was killed after renaming its generation, before writing ``CURRENT``."""
    return any(
        (name := _pointed(p)) is not None and (root / name / MANIFEST).is_file()
        for p in root.glob(f"{CURRENT}.tmp-*")
    )


def current_generation(root: Path) -> Path | None:
    """The folder of the live generation, or None when the index was never built.

    Raises:
        IndexCorruptError: ``CURRENT`` is unreadable, holds no generation name, names a
            missing generation, or is missing although generations exist.
    """
    pointer = root / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        if _generations(root) and not _interrupted_first_build(root):
            raise IndexCorruptError(
                f"{pointer} is missing but {root} holds index generations", hint=REBUILD_HINT
            ) from None
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {_strerror(exc)}") from None
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        name = None
    if name is None or not _GENERATION.fullmatch(name):
        raise IndexCorruptError(
            f"{pointer} does not hold a generation name ({raw[:20]!r})", hint=REBUILD_HINT
        )
    gen = root / name
    if not gen.is_dir():
        raise IndexCorruptError(
            f"{pointer} points at {name!r}, which is missing", hint=REBUILD_HINT
        )
    return gen


def recover(root: Path) -> None:
    """Clear what a killed writer left behind; call only while holding ``IndexLock``.

    Temporary generation folders are deleted. A temporary pointer is deleted too, unless
    ``CURRENT`` is missing and it names a complete generation: then it was the last step of a
    first build, and it is completed.
    """
    if not root.is_dir():
        return
    for p in root.glob("gen-*.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
    for pointer in sorted(root.glob(f"{CURRENT}.tmp-*")):
        name = _pointed(pointer)
        complete = name is not None and (root / name / MANIFEST).is_file()
        if complete and not (root / CURRENT).exists():
            os.replace(pointer, root / CURRENT)
            _fsync_dir(root)
        else:
            pointer.unlink(missing_ok=True)


def _strerror(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def storage_error(exc: BaseException, root: Path) -> DiploragError | None:
    """The one-line error for an I/O failure met while writing the index at ``root``.

    Args:
        exc: What the OS, SQLite or FAISS raised.
        root: The index folder being written.

    Returns:
        ``DiskFullError`` or ``StorageError``; ``None`` when ``exc`` is not an I/O failure.
    """
    kept = "the index is unchanged"
    where = f"--index-dir on a writable disk, or fix the permissions of {root.parent}/"
    text = str(exc).lower()
    code = exc.errno if isinstance(exc, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "no space" in text:
        return DiskFullError(
            f"no space left on the device while writing {root}",
            hint=f"free some space and run the ingest again; {kept}",
        )
    if code == errno.EROFS or "readonly database" in text or "read-only file system" in text:
        return StorageError(f"{root} is on a read-only file system", hint=f"use {where}")
    if code in (errno.EACCES, errno.EPERM):
        return StorageError(f"permission denied writing {root}", hint=f"use {where}")
    if isinstance(exc, OSError):
        path = exc.filename or root
        return StorageError(f"cannot create or write {path}: {_strerror(exc)}", hint=f"use {where}")
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        return StorageError(f"cannot create {root}: {exc}", hint=f"use {where}")
    if isinstance(exc, RuntimeError) and any(w in text for w in ("write", "errno", "fopen")):
        return StorageError(f"cannot write {root}: {str(exc).splitlines()[-1][:200]}")
    return None


@contextlib.contextmanager
def writing(root: Path) -> Iterator[None]:
    """Turn I/O failures inside the block into ``StorageError`` / ``DiskFullError``."""
    try:
        yield
    except (OSError, sqlite3.OperationalError, RuntimeError) as exc:
        mapped = storage_error(exc, root)
        if mapped is None:
            raise
        raise mapped from exc


def _generation_number(gen: Path | None) -> int:
    return int(gen.name.removeprefix("gen-")) if gen else 0


class IndexHandle:
    """One opened, read-only generation: manifest, chunk store, vectors, BM25."""

    def __init__(self, root: Path, gen: Path) -> None:
        self.root = root
        self.gen = gen
        self.manifest = read_manifest(gen)
        check_files(gen, self.manifest)
        self.store = ChunkStore(gen / STORE_FILE, readonly=True)
        self._vectors: FaissIndex | None = None
        self._bm25: Bm25Index | None = None

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def vectors(self) -> FaissIndex:
        if self._vectors is None:
            self._vectors = FaissIndex.load(self.gen)
        return self._vectors

    @property
    def bm25(self) -> Bm25Index:
        if self._bm25 is None:
            self._bm25 = Bm25Index.load(self.gen)
        return self._bm25

    def close(self) -> None:
        self.store.close()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.gen.rglob("*") if p.is_file())


def _file_sizes(gen: Path) -> dict[str, int]:
    """Size of every file of a generation but its manifest, by path relative to it."""
    return {
        p.relative_to(gen).as_posix(): p.stat().st_size
        for p in sorted(gen.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_hashes(gen: Path) -> dict[str, str]:
    return {name: _sha256(gen / name) for name in _file_sizes(gen)}


def check_files(gen: Path, manifest: Manifest, *, contents: bool = False) -> None:
    """Check that every file the manifest names exists with its recorded size (and hash).

    Args:
        gen: The generation folder.
        manifest: Its manifest.
        contents: Also compare each file's sha256 (reads every byte: ``status`` does, a
            search does not).

    Raises:
        IndexCorruptError: a file is missing, has another size, or other contents.
    """
    for name, size in manifest.files.items():
        path = gen / name
        try:
            actual = path.stat().st_size
        except OSError:
            raise IndexCorruptError(f"{path} is missing", hint=REBUILD_HINT) from None
        if actual != size:
            raise IndexCorruptError(
                f"{path} is {actual} bytes, the manifest says {size} (truncated or changed)",
                hint=REBUILD_HINT,
            )
        expected = manifest.sha256.get(name) if contents else None
        if expected is not None and _sha256(path) != expected:
            raise IndexCorruptError(
                f"{path} does not hold what was written (sha256 differs)", hint=REBUILD_HINT
            )


def open_index(root: Path) -> IndexHandle:
    """Open the live generation of the index at ``root`` for reading.

    Raises:
        IndexNotFoundError: nothing was ever built there.
        IndexCorruptError: files are missing or unreadable.
        IndexMismatchError: the index was written by an incompatible diplorag.
    """
    gen = current_generation(root) if root.is_dir() else None
    if gen is None:
        interrupted = root.is_dir() and _interrupted_first_build(root)
        raise IndexNotFoundError(
            f"no index {root.name!r} in {root.parent}/"
            + (" (its first ingest was interrupted)" if interrupted else ""),
            hint="build it with: diplorag ingest corpus/"
            + ("" if root.name == "default" else f" --index {root.name}"),
        )
    return IndexHandle(root, gen)


def list_indexes(index_dir: Path) -> list[Path]:
    if not index_dir.is_dir():
        return []
    return sorted(
        p for p in index_dir.iterdir() if p.is_dir() and ((p / CURRENT).exists() or _generations(p))
    )


class IndexLock:
    """An exclusive ``flock`` on ``<root>/.lock``; the kernel drops it if the process dies."""

    def __init__(self, root: Path, *, wait_seconds: float = 0.0) -> None:
        self.root = root
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def __enter__(self) -> IndexLock:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise IndexBusyError(
                        f"index {self.root.name!r} is being written by another ingest "
                        f"(pid {holder})",
                        hint="wait for it to finish, or pass --wait SECONDS",
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class IndexWriter:
    """A new generation being written; ``commit()`` makes it the live one.

    Use only while holding ``IndexLock``. Leaving the ``with`` block without ``commit()``
    (an exception, Ctrl-C) deletes the temporary folder and keeps the previous generation live.
    """

    def __init__(self, root: Path, *, dim: int, rebuild: bool = False) -> None:
        self.root = root
        recover(root)
        self.base = None if rebuild else current_generation(root)
        number = max(_generation_number(self.base), self._highest_generation()) + 1
        self.final = root / f"gen-{number:06d}"
        self.tmp = root / f"{self.final.name}.tmp-{os.getpid()}"
        self.tmp.mkdir(parents=True)
        if self.base is not None:
            shutil.copy2(self.base / STORE_FILE, self.tmp / STORE_FILE)
            self.vectors = FaissIndex.load(self.base)
            self.created_at = read_manifest(self.base).created_at
        else:
            self.vectors = FaissIndex.empty(dim)
            self.created_at = dt.datetime.now(dt.UTC)
        self.store = ChunkStore(self.tmp / STORE_FILE)
        self.generation = number

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.store.close()
        if self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _highest_generation(self) -> int:
        numbers = [0]
        for p in self.root.glob("gen-*"):
            head = p.name.removeprefix("gen-").split(".", 1)[0]
            if head.isdigit():
                numbers.append(int(head))
        return max(numbers)

    def commit(
        self,
        *,
        embedding_model: str,
        chunker: ChunkerSettings,
        embedding_runtime: str | None = None,
        statements_version: int | None = None,
    ) -> Manifest:
        """Write the vectors, BM25 and manifest, then atomically make this generation live."""
        self.store.commit()
        documents, chunks = self.store.counts()
        Bm25Index.build(*_unzip(self.store.iter_chunk_texts())).save(self.tmp)
        self.vectors.save(self.tmp)
        self.store.close()
        files = _file_sizes(self.tmp)
        hashes = _file_hashes(self.tmp)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            diplorag_version=__version__,
            embedding_model=embedding_model,
            embedding_dim=self.vectors.dim,
            embedding_runtime=embedding_runtime,
            chunker=chunker,
            documents=documents,
            chunks=chunks,
            statements_version=statements_version,
            generation=self.generation,
            created_at=self.created_at,
            updated_at=dt.datetime.now(dt.UTC),
            files=files,
            sha256=hashes,
        )
        (self.tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2))
        for p in self.tmp.rglob("*"):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        # The pointer is written before the rename: a kill between the rename and the swap
        # leaves it naming a complete generation, and ``recover`` finishes the swap.
        pointer = self.root / f"{CURRENT}.tmp-{os.getpid()}"
        with open(pointer, "w", encoding="ascii") as f:
            f.write(self.final.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.rename(self.tmp, self.final)
        _fsync_dir(self.root)
        os.replace(pointer, self.root / CURRENT)
        _fsync_dir(self.root)
        self._remove_old_generations()
        return manifest

    def _remove_old_generations(self) -> None:
        # Keep the one before: a reader that opened it a moment ago can finish its query.
        keep = {self.final.name, self.base.name if self.base else ""}
        for p in self.root.glob("gen-*"):
            if p.name not in keep and ".tmp-" not in p.name:
                shutil.rmtree(p, ignore_errors=True)


def _unzip(pairs: Iterator[tuple[int, str]]) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    texts: list[str] = []
    for i, t in pairs:
        ids.append(i)
        texts.append(t)
    return ids, texts
