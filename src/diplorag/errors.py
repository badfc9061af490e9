"""The diplorag exception tree.

Every error a user can cause or meet is a ``DiploragError``; the CLI prints its message as one
line and exits with its ``exit_code``. Anything else is a bug and shows a traceback.

    DiploragError                      exit 1
    ├── ConfigError                    exit 2   bad setting, option, argument or path to ingest
    ├── IndexNotFoundError             exit 3   no index of that name yet
    ├── IndexMismatchError             exit 4   index built with another embedding model / format
    ├── IndexCorruptError              exit 5   index files missing, damaged or unreadable
    ├── IndexBusyError                 exit 6   another ingest holds the index lock
    ├── ModelNotFoundError             exit 7   an embedding model or GGUF is not installed
    ├── ModelChecksumError             exit 8   an assembled GGUF does not match its pinned sha256
    ├── DependencyMissingError         exit 9   an optional package (llama-cpp-python) is missing
    ├── GenerationError                exit 10  the language model failed while answering
    ├── RemovalRefusedError            exit 11  an ingest would remove most of a folder's documents
    └── StorageError                   exit 12  the index folder cannot be created or written
        └── DiskFullError              exit 13  no space left on the device while writing

Whatever the failure, a write never damages the live index: the previous generation stays
searchable (see ``diplorag.index.layout``).

A ``SkipReason`` is not an exception: skipped files are reported in the ingest summary.
"""

from __future__ import annotations


class DiploragError(Exception):
    """Base of every error diplorag reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(DiploragError):
    exit_code = 2


class IndexNotFoundError(DiploragError):
    exit_code = 3


class IndexMismatchError(DiploragError):
    exit_code = 4


class IndexCorruptError(DiploragError):
    exit_code = 5


class IndexBusyError(DiploragError):
    exit_code = 6


class ModelNotFoundError(DiploragError):
    exit_code = 7


class ModelChecksumError(DiploragError):
    exit_code = 8


class DependencyMissingError(DiploragError):
    exit_code = 9


class GenerationError(DiploragError):
    exit_code = 10


class RemovalRefusedError(DiploragError):
    exit_code = 11


class StorageError(DiploragError):
    exit_code = 12


class DiskFullError(StorageError):
    exit_code = 13
