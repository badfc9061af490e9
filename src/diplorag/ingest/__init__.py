"""Find source files and load them into ``Document``s, one backend per file type.

``discover`` walks the paths a user gave; ``load_document`` reads one file and never raises for
bad input: a file it cannot use comes back as a ``SkippedFile`` with a one-line reason.

Offsets: for ``.txt`` and ``.md`` files ``Document.text`` is the file decoded exactly (``\\r\\n``
kept, no newline translation), so chunk offsets slice the file read with
``open(path, encoding=doc.encoding, newline="")``. Offsets count decoded characters, not bytes, and
a byte-order mark is not part of the text. For HTML, ``Document.text`` is the extracted main text
and offsets point into it.

Encodings: a byte-order mark decides (UTF-8, UTF-16, UTF-32); without one, UTF-8 is tried first
and anything else goes to ``charset-normalizer``, which recognises cp1252/latin-1 and other
single- and multi-byte encodings. Western single-byte guesses are read as cp1252 (latin-1 when a
byte is undefined in cp1252), the encoding of most saved pages and older press releases.

Symbolic links: a link is followed only when its target is inside the folder being walked, so
``ln -s /etc/passwd corpus/p.txt`` indexes nothing; such links are reported with
``REASON_OUTSIDE``. Paths are kept as given (made absolute, never resolved), so a link that is
removed is removed from the index too.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol

from diplorag.ingest.html import HtmlLoader
from diplorag.ingest.markdown import MarkdownLoader
from diplorag.ingest.metadata import ParsedText
from diplorag.ingest.text import TextLoader
from diplorag.types import Document, SkippedFile

__all__ = [
    "BYTES_PER_MB",
    "SUPPORTED_SUFFIXES",
    "Loader",
    "ParsedText",
    "discover",
    "load_document",
    "max_file_bytes",
]

DocumentKind = Literal["txt", "md", "html"]

# "MB" in --max-file-mb and in skip reasons is 1024 * 1024 bytes (as api.ingest computes it).
BYTES_PER_MB = 1024 * 1024
# A NUL byte in this much of the head marks a binary file (as git and grep decide).
BINARY_SNIFF_BYTES = 8192

REASON_MISSING = "no such file or directory"
REASON_PERMISSION = "cannot read: permission denied"
REASON_BINARY = "binary file"
REASON_NOT_TEXT = "not text in a known encoding"
REASON_OUTSIDE = "symbolic link to outside the folder (not followed)"
# Guesses of charset-normalizer that are really "a Western single-byte page": read as cp1252.
_WESTERN = frozenset(
    "cp1252 latin_1 iso8859_15 iso8859_2 cp1250 mac_roman mac_latin2 cp850 cp437 iso8859_9 "
    "cp1254 iso8859_3 iso8859_4 iso8859_10 iso8859_13 iso8859_14 iso8859_16 cp1257".split()
)
REASON_EMPTY = "empty"
REASON_NOT_REGULAR = "not a regular file"


class Loader(Protocol):
    """A backend that turns the decoded text of one file type into text and metadata."""

    @property
    def kind(self) -> DocumentKind:
        """``Document.kind`` of the files this backend reads."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Lower-case file suffixes this backend reads, with the dot."""
        ...

    def parse(self, text: str, *, fallback_title: str) -> ParsedText:
        """Turn the decoded file into the text offsets point into, a title and metadata."""
        ...


LOADERS: tuple[Loader, ...] = (TextLoader(), MarkdownLoader(), HtmlLoader())
_BY_SUFFIX: dict[str, Loader] = {suffix: ldr for ldr in LOADERS for suffix in ldr.suffixes}
SUPPORTED_SUFFIXES = frozenset(_BY_SUFFIX)


def max_file_bytes(max_file_mb: float) -> int:
    """The byte limit ``load_document`` takes for a ``--max-file-mb`` value."""
    return int(max_file_mb * BYTES_PER_MB)


def _unsupported(path: Path) -> str | None:
    """Why ``path``'s file type cannot be loaded, or ``None`` if it can."""
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return None
    return f"unsupported file type {suffix}" if suffix else "unsupported file type (no suffix)"


def _os_reason(exc: OSError) -> str:
    """A one-line skip reason for an error met while reading a file."""
    if isinstance(exc, FileNotFoundError):
        return REASON_MISSING
    if isinstance(exc, PermissionError):
        return REASON_PERMISSION
    return f"cannot read: {(exc.strerror or type(exc).__name__).lower()}"


def _sorted_entries(directory: Path) -> Iterator[Path]:
    """Entries of ``directory`` by name, hidden ones (``.git``, ``.DS_Store``) left out."""
    names = sorted(name for name in os.listdir(directory) if not name.startswith("."))
    return (directory / name for name in names)


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def discover(paths: Sequence[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield the files under ``paths``, each with the reason it cannot be loaded, if any.

    Folders are walked recursively in name order; hidden files and folders (names starting with
    ".") inside them are left out. A symbolic link inside a folder is followed only if it
    resolves to somewhere inside that folder (a link out, to ``/etc/passwd`` or another
    folder, is yielded with ``REASON_OUTSIDE``); a file reached twice (through a link, or a
    link loop) is yielded once. A path given explicitly is used even if hidden or a link.

    Args:
        paths: Files and folders, as the user gave them.

    Yields:
        ``(path, None)`` for a file with a supported suffix; ``(path, reason)`` otherwise, e.g.
        ``"unsupported file type .pdf"``, ``"no such file or directory"``,
        ``"cannot read: permission denied"`` (a folder that cannot be listed),
        ``"not a regular file"`` or ``REASON_OUTSIDE``. Paths are absolute, not resolved.
    """
    seen: set[tuple[int, int]] = set()
    for given in paths:
        top = Path(os.path.abspath(Path(given).expanduser()))
        try:
            boundary = top.resolve()
        except (OSError, RuntimeError):
            boundary = top
        pending: list[Iterator[Path]] = [iter([top])]
        while pending:
            path = next(pending[-1], None)
            if path is None:
                pending.pop()
                continue
            if path != top and path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError) as exc:  # broken link, or a loop
                    yield path, _os_reason(exc) if isinstance(exc, OSError) else REASON_MISSING
                    continue
                if not _inside(target, boundary):
                    yield path, REASON_OUTSIDE
                    continue
            try:
                info = path.stat()
            except OSError as exc:
                yield path, _os_reason(exc)
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            if stat.S_ISDIR(info.st_mode):
                try:
                    pending.append(_sorted_entries(path))
                except OSError as exc:
                    yield path, _os_reason(exc)
            elif not stat.S_ISREG(info.st_mode):
                yield path, REASON_NOT_REGULAR
            else:
                yield path, _unsupported(path)


def _mb(n_bytes: float) -> str:
    """A byte count in MB for a message: ``23.1``, ``20``, ``0.5``."""
    return f"{n_bytes / BYTES_PER_MB:.1f}".removesuffix(".0")


def _too_large(size: int, limit: int) -> str:
    shown = f"{size / BYTES_PER_MB:.1f}"
    return f"too large ({shown} MB > {_mb(limit)} MB limit; raise --max-file-mb)"


def _has_utf16_or_32_bom(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def _read(path: Path, limit: int) -> bytes | str:
    """The bytes of a regular file no bigger than ``limit``, or why it cannot be used."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # Opening a FIFO would block until someone writes to it.
            return REASON_NOT_REGULAR
        with path.open("rb") as f:
            head = f.read(BINARY_SNIFF_BYTES)
            if b"\x00" in head and not _has_utf16_or_32_bom(head):
                return REASON_BINARY
            size = max(os.fstat(f.fileno()).st_size, len(head))
            if size > limit:
                return _too_large(size, limit)
            raw = head + f.read(limit + 1 - len(head))
    except OSError as exc:
        return _os_reason(exc)
    if len(raw) > limit:  # it grew while we read it
        return _too_large(len(raw), limit)
    return raw


def _decode(raw: bytes) -> tuple[str, str] | None:
    """The text of ``raw`` and the codec that reads it back, or ``None`` if it is not text.

    The codec is what ``open(path, encoding=…, newline="")`` needs to give the same text:
    ``utf-8-sig`` and ``utf-16``/``utf-32`` drop their byte-order mark.
    """
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        candidates = ["utf-32"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", *_guess_encodings(raw)]
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _guess_encodings(raw: bytes) -> list[str]:
    """Codecs to try for text that is not UTF-8, best first (empty: it is not text)."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        return []
    guess = codecs.lookup(best.encoding).name.replace("-", "_")
    # Without a byte-order mark (and without NUL bytes, or it would be "binary"), a UTF-16/32
    # guess is a short Western text the detector could not place.
    if guess in _WESTERN or guess.startswith(("utf_16", "utf_32", "iso8859", "ascii")):
        return ["cp1252", "latin_1"]
    return [guess]


def load_document(path: Path, *, max_bytes: int) -> Document | SkippedFile:
    """Read one file into a ``Document``, or say why it was skipped.

    Never raises for bad input. The file is read as bytes and decoded without newline
    translation; ``doc_id`` is the first 16 hex digits of the SHA-1 of the absolute path as
    given (symbolic links not resolved), ``content_hash`` the SHA-256 of the bytes.

    Args:
        path: The file; its suffix picks the backend (case-insensitive).
        max_bytes: Files bigger than this are skipped (``max_file_bytes(settings.max_file_mb)``).

    Returns:
        The document, or a ``SkippedFile`` whose reason is one of
        ``"unsupported file type .pdf"``, ``"no such file or directory"``,
        ``"cannot read: permission denied"``, ``"not a regular file"``, ``"binary file"``,
        ``"too large (23.1 MB > 20 MB limit; raise --max-file-mb)"``,
        ``"not text in a known encoding"`` or ``"empty"`` (nothing but white space in the
        body, or no main text in a page).
    """
    path = Path(path)
    resolved = os.path.abspath(path.expanduser())  # as given: a link stays the link

    def skipped(reason: str) -> SkippedFile:
        return SkippedFile(path=resolved, reason=reason)

    loader = _BY_SUFFIX.get(path.suffix.lower())
    if loader is None:
        return skipped(_unsupported(path) or "unsupported file type")
    raw = _read(path, max_bytes)
    if isinstance(raw, str):
        return skipped(raw)
    decoded = _decode(raw)
    if decoded is None:
        return skipped(REASON_NOT_TEXT)
    text, encoding = decoded
    if not text.strip():
        return skipped(REASON_EMPTY)
    fallback_title = path.stem.strip() or path.name
    parsed = loader.parse(text, fallback_title=fallback_title)
    if not parsed.text[parsed.body_start :].strip():
        return skipped(REASON_EMPTY)
    return Document(
        doc_id=hashlib.sha1(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        path=resolved,
        content_hash=hashlib.sha256(raw).hexdigest(),
        title=parsed.title.strip() or fallback_title,
        published=parsed.published,
        source=parsed.source,
        kind=loader.kind,
        text=parsed.text,
        body_start=parsed.body_start,
        encoding=encoding,
    )
