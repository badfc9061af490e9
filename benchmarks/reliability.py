"""Reliability probe: random kill -9 during ingest, bad input, index corruption, planted text.

Everything goes through the real command line in subprocesses (``python -m diplorag.cli``),
as a user would type it, on a private copy of ``corpus/``. A case *survives* when

* kill -9: the killed ingest left an index that still answers ``search`` (the previous or the
  new contents, nothing in between) and the next ingest completes;
* bad input: the command exits 0 listing the skip, or fails with one line and its documented
  exit code, no traceback, and the documents indexed before are all still there;
* corruption: ``search`` and ``status`` give exit 5 with the ``--rebuild`` hint and
  ``ingest --rebuild`` recovers;
* planted instruction: the withheld text is in no prompt and no evidence, and no answer
  sentence carrying it (or its address) is verified — with a scripted model that repeats the
  plant, and with ``--smollm2`` also with the real SmolLM2-135M.

    python benchmarks/reliability.py                 # 50 kills, all cases, scripted model
    python benchmarks/reliability.py --kills 5       # quicker
    python benchmarks/reliability.py --smollm2 35    # and 35 planted variants with SmolLM2

The embedding model is the deterministic ``hash-256`` (``--embedding-model`` to change it):
crash safety does not depend on which vectors are written, and it keeps a run short.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests"))
from machine import describe_machine, markdown_table

from planted import PAYLOAD, PLANTED, plant

KANG = "001_116f389413386f53.txt"
QUESTION = "What did Kang say about New START?"


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def one_line_error(self) -> bool:
        lines = [x for x in self.err.splitlines() if x.strip()]
        return "Traceback" not in self.err + self.out and 1 <= len(lines) <= 2


@dataclass
class Probe:
    """A scratch folder with a corpus copy and an index directory, and the CLI to run there."""

    root: Path
    model: str = "hash-256"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def index_dir(self) -> Path:
        return self.root / "indexes"

    def reset(self) -> None:
        for p in (self.corpus, self.index_dir):
            if p.exists():
                for q in p.rglob("*"):
                    if not q.is_symlink():
                        q.chmod(0o755 if q.is_dir() else 0o644)
                shutil.rmtree(p)
        shutil.copytree(REPO / "corpus", self.corpus)

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 300) -> Done:
        env = {
            **os.environ,
            **self.env,
            "DIPLORAG_INDEX_DIR": str(self.index_dir),
            "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        env.pop("DIPLORAG_DEBUG", None)
        done = subprocess.run(
            [sys.executable, "-m", "diplorag.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.root,
            timeout=timeout,
        )
        return Done(done.returncode, done.stdout, done.stderr)

    def ingest(self, *args: str) -> Done:
        return self.cli("ingest", str(self.corpus), "--embedding-model", self.model, "-q", *args)

    def documents(self) -> int | None:
        """Documents the index holds, from ``status --json``; None if it cannot be read."""
        done = self.cli("status", "--json")
        if done.code != 0:
            return None
        rows = json.loads(done.out)
        return int(rows[0]["manifest"]["documents"]) if rows else 0

    def gen(self) -> Path:
        name = (self.index_dir / "default" / "CURRENT").read_text().strip()
        return self.index_dir / "default" / name


# -- kill -9 -------------------------------------------------------------------------------------


def kills(probe: Probe, n: int, seed: int = 7) -> tuple[int, int]:
    """``n`` ingests killed at random moments; how many left a working index."""
    rng = random.Random(seed)
    probe.reset()
    assert probe.ingest().code == 0
    began = time.monotonic()
    extra = probe.corpus / "extra_0.txt"
    extra.write_text("Seoul, October 1, 2024 — An extra article about drones.\n", encoding="utf-8")
    assert probe.ingest().code == 0
    span = max(time.monotonic() - began, 0.5)
    survived = 0
    for i in range(1, n + 1):
        before = probe.documents()
        new = probe.corpus / f"extra_{i}.txt"
        new.write_text(
            f"Seoul, October {i % 28 + 1}, 2024 — Extra article {i} on zeppelin tariffs.\n"
            + "More text about the talks. " * rng.randint(5, 400),
            encoding="utf-8",
        )
        env = {**os.environ, "DIPLORAG_INDEX_DIR": str(probe.index_dir)}
        env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
        command = [sys.executable, "-m", "diplorag.cli", "ingest", str(probe.corpus), "-q"]
        proc = subprocess.Popen(
            [*command, "--embedding-model", probe.model],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=probe.root,
        )
        time.sleep(rng.uniform(0, span * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after_kill = probe.documents()
        searchable = probe.cli("search", "Seoul", "--mode", "bm25", "--json").code == 0
        again = probe.ingest()
        total = probe.documents()
        ok = (
            searchable
            and after_kill in (before, (before or 0) + 1)
            and again.code == 0
            and total == (before or 0) + 1
        )
        survived += ok
        if not ok:
            print(
                f"  kill {i}: before={before} after_kill={after_kill} searchable={searchable} "
                f"next={again.code} total={total} {again.err.strip()[:200]}"
            )
    return n, survived


# -- bad input -----------------------------------------------------------------------------------


Case = Callable[[Probe], bool]


def _indexed(probe: Probe) -> bool:
    return probe.ingest().code == 0


def _skip_listed(done: Done, reason: str) -> bool:
    return done.code == 0 and reason in done.err and "Traceback" not in done.err


def _error(done: Done, code: int, words: str = "") -> bool:
    return done.code == code and done.one_line_error and words in done.err


def case_symlink_file_out(p: Probe) -> bool:
    secret = p.root / "secret.txt"
    secret.write_text("root:x:0:0:root nologin\n", encoding="utf-8")
    (p.corpus / "p.txt").symlink_to(secret)
    done = p.ingest()
    found = json.loads(p.cli("search", "root nologin", "--mode", "bm25", "--json").out)
    return _skip_listed(done, "outside the folder") and all(
        "nologin" not in h["text"] for h in found["hits"]
    )


def case_symlink_folder_out(p: Probe) -> bool:
    other = p.root / "elsewhere"
    other.mkdir(exist_ok=True)
    (other / "o.txt").write_text("Zanzibar accords text.\n", encoding="utf-8")
    (p.corpus / "linked").symlink_to(other)
    done = p.ingest()
    found = json.loads(p.cli("search", "Zanzibar", "--mode", "bm25", "--json").out)
    return _skip_listed(done, "outside the folder") and all(
        "Zanzibar" not in h["text"] for h in found["hits"]
    )


def case_link_removed(p: Probe) -> bool:
    (p.corpus / "sub").mkdir()
    (p.corpus / KANG).rename(p.corpus / "sub" / "k.txt")
    (p.corpus / "link.txt").symlink_to(p.corpus / "sub" / "k.txt")
    p.ingest()
    (p.corpus / "link.txt").unlink()
    done = p.ingest()
    return done.code == 0 and p.documents() == 3


def case_missing_root(p: Probe) -> bool:
    _indexed(p)
    p.corpus.rename(p.root / "corpus.away")
    try:
        done = p.ingest()
        return _error(done, 2, "does not exist") and p.documents() == 3
    finally:
        (p.root / "corpus.away").rename(p.corpus)


def case_mass_removal(p: Probe) -> bool:
    _indexed(p)
    for f in sorted(p.corpus.glob("*.txt"))[:2]:
        f.unlink()
    done = p.ingest()
    kept = p.documents() == 3
    pruned = p.ingest("--prune")
    return _error(done, 11, "--prune") and kept and pruned.code == 0 and p.documents() == 1


def _hostile_title(p: Probe, title: str) -> bool:
    (p.corpus / "hostile.md").write_text(
        f"# {title}\n\nKang spoke about the zeppelin accord in Seoul.\n", encoding="utf-8"
    )
    _indexed(p)
    done = p.cli("search", "zeppelin accord", "--mode", "bm25")
    return done.code == 0 and "\x1b" not in done.out and "Traceback" not in done.err


def case_title_markup_close(p: Probe) -> bool:
    return _hostile_title(p, "Talks [/] ended [bold]")


def case_title_link_markup(p: Probe) -> bool:
    ok = _hostile_title(p, "[link=https://evil.example]Read more[/link]")
    out = p.cli("search", "zeppelin accord", "--mode", "bm25").out
    return ok and "[link=https://evil.example]" in out


def case_escape_sequences(p: Probe) -> bool:
    return _hostile_title(
        p, "Clear \x1b[2J screen \x1b]8;;https://evil.example\x07link\x1b]8;;\x07"
    )


def _skipped_file(name: str, data: bytes, reason: str) -> Case:
    def case(p: Probe) -> bool:
        (p.corpus / name).write_bytes(data)
        return _skip_listed(p.ingest("--max-file-mb", "1"), reason)

    case.__name__ = f"case_{name}"
    return case


def _read_file(name: str, data: bytes, encoding: str) -> Case:
    def case(p: Probe) -> bool:
        (p.corpus / name).write_bytes(data)
        done = p.ingest()
        found = json.loads(p.cli("search", "Zanzibar", "--mode", "bm25", "--json").out)["hits"]
        hits = [h for h in found if h["path"].endswith(name)]
        if done.code != 0 or not hits:
            return False
        for h in hits:
            with open(h["path"], encoding=h["encoding"], newline="") as f:
                if f.read()[h["start"] : h["end"]] != h["text"] or h["encoding"] != encoding:
                    return False
        return True

    case.__name__ = f"case_{name}"
    return case


TEXT = "Séoul — Zanzibar accord signed, the minister said « très bien ».\r\nSecond line."


def case_index_dir_uncreatable(p: Probe) -> bool:
    done = p.cli("ingest", str(p.corpus), "--embedding-model", p.model, "--index-dir", "/proc/x")
    return _error(done, 12)


def case_index_dir_read_only(p: Probe) -> bool:
    target = p.root / "ro"
    target.mkdir(exist_ok=True)
    target.chmod(0o555)
    try:
        done = p.cli(
            "ingest", str(p.corpus), "--embedding-model", p.model, "--index-dir", str(target)
        )
        # root may write anyway: then it must simply work
        return _error(done, 12) or (os.geteuid() == 0 and done.code == 0)
    finally:
        target.chmod(0o755)


def case_garbage_pointer(p: Probe) -> bool:
    _indexed(p)
    (p.index_dir / "default" / "CURRENT").write_bytes(b"\xff\xfe\x00\x01")
    return _error(p.cli("search", "Kang"), 5, "--rebuild")


def case_missing_pointer(p: Probe) -> bool:
    _indexed(p)
    (p.index_dir / "default" / "CURRENT").unlink()
    return _error(p.cli("search", "Kang"), 5, "--rebuild")


def case_leftover_pointer(p: Probe) -> bool:
    _indexed(p)
    (p.index_dir / "default" / "CURRENT.tmp-4242").write_text("gen-000009\n")
    p.ingest()
    return not list((p.index_dir / "default").glob("CURRENT.tmp-*"))


def case_index_path_specials(p: Probe) -> bool:
    special = p.root / "we#ird?100%"
    done = p.cli("ingest", str(p.corpus), "--embedding-model", p.model, "--index-dir", str(special))
    found = p.cli("search", "Kang", "--index-dir", str(special))
    return done.code == 0 and found.code == 0 and sorted(os.listdir(special)) == ["default"]


def case_empty_query(p: Probe) -> bool:
    _indexed(p)
    return _error(p.cli("search", ""), 2, "empty")


def case_negative_size(p: Probe) -> bool:
    return _error(p.ingest("--max-file-mb", "-1"), 2, "max_file_mb")


def case_bad_glob(p: Probe) -> bool:
    _indexed(p)
    return _error(p.cli("search", "Kang", "--source", "["), 2, "never closed")


def case_stdin_question(p: Probe) -> bool:
    _indexed(p)
    done = p.cli("search", "-", "--json", "--mode", "bm25", stdin="Brekelmans " * 50_000)
    return done.code == 0 and '"hits"' in done.out


def case_fifo(p: Probe) -> bool:
    os.mkfifo(p.corpus / "pipe.txt")
    return _skip_listed(p.ingest(), "not a regular file")


BAD_INPUTS: list[Case] = [
    case_symlink_file_out,
    case_symlink_folder_out,
    case_link_removed,
    case_missing_root,
    case_mass_removal,
    case_title_markup_close,
    case_title_link_markup,
    case_escape_sequences,
    _skipped_file("binary.txt", b"\x00\x01\x02garbage", "binary"),
    _skipped_file("empty.txt", b"  \n", "empty"),
    _skipped_file("nul.md", b"text\x00more", "binary"),
    _skipped_file("huge.txt", b"x" * (2 * 1024 * 1024), "too large"),
    _skipped_file("slides.pdf", b"%PDF-1.4", "unsupported"),
    _skipped_file("noise.txt", bytes(range(1, 256)) * 8, "not text"),
    _read_file("utf8.txt", TEXT.encode("utf-8"), "utf-8"),
    _read_file("bom.txt", b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    _read_file("utf16.txt", TEXT.encode("utf-16"), "utf-16"),
    _read_file("cp1252.txt", TEXT.encode("cp1252"), "cp1252"),
    _read_file("latin1.txt", TEXT.replace("—", "-").encode("latin-1"), "cp1252"),
    case_index_dir_uncreatable,
    case_index_dir_read_only,
    case_garbage_pointer,
    case_missing_pointer,
    case_leftover_pointer,
    case_index_path_specials,
    case_empty_query,
    case_negative_size,
    case_bad_glob,
    case_stdin_question,
    case_fifo,
]


def bad_inputs(probe: Probe) -> tuple[int, int, list[str]]:
    failed = []
    for case in BAD_INPUTS:
        probe.reset()
        try:
            ok = case(probe)
        except Exception as exc:  # a probe that crashes is a case that did not survive
            ok = False
            print(f"  {case.__name__}: {type(exc).__name__}: {exc}")
        if not ok:
            failed.append(case.__name__)
    return len(BAD_INPUTS), len(BAD_INPUTS) - len(failed), failed


# -- corruption ----------------------------------------------------------------------------------


def _first_file(folder: Path) -> Path:
    return next(p for p in sorted(folder.rglob("*")) if p.is_file())


CORRUPTIONS: dict[str, Callable[[Path], object]] = {
    "truncated vectors.faiss": lambda g: (g / "vectors.faiss").write_bytes(
        (g / "vectors.faiss").read_bytes()[:64]
    ),
    "deleted vectors.faiss": lambda g: (g / "vectors.faiss").unlink(),
    "garbage vectors.faiss": lambda g: (g / "vectors.faiss").write_bytes(
        os.urandom((g / "vectors.faiss").stat().st_size)
    ),
    "deleted chunks.sqlite": lambda g: (g / "chunks.sqlite").unlink(),
    "garbage chunks.sqlite": lambda g: (g / "chunks.sqlite").write_bytes(
        os.urandom((g / "chunks.sqlite").stat().st_size)
    ),
    "truncated chunks.sqlite": lambda g: (g / "chunks.sqlite").write_bytes(
        (g / "chunks.sqlite").read_bytes()[:1000]
    ),
    "deleted bm25 file": lambda g: _first_file(g / "bm25").unlink(),
    "garbage manifest": lambda g: (g / "manifest.json").write_text("{not json"),
    "deleted manifest": lambda g: (g / "manifest.json").unlink(),
    "generation folder gone": lambda g: shutil.rmtree(g),
    "garbage CURRENT": lambda g: (g.parent / "CURRENT").write_bytes(b"\x00\xff"),
    "deleted CURRENT": lambda g: (g.parent / "CURRENT").unlink(),
}


def corruptions(probe: Probe) -> tuple[int, int, list[str]]:
    failed = []
    for name, damage in CORRUPTIONS.items():
        probe.reset()
        _indexed(probe)
        damage(probe.gen())
        search = probe.cli("search", "Kang")
        status = probe.cli("status")
        rebuilt = probe.ingest("--rebuild")
        ok = (
            _error(search, 5, "--rebuild")
            and status.code == 5
            and rebuilt.code == 0
            and probe.cli("search", "Kang").code == 0
        )
        if not ok:
            failed.append(name)
    return len(CORRUPTIONS), len(CORRUPTIONS) - len(failed), failed


# -- planted instructions ------------------------------------------------------------------------


def _planted_corpus(root: Path) -> Path:
    folder = root / "planted"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    source = (REPO / "corpus" / KANG).read_text(encoding="utf-8")
    for name in PLANTED:
        (folder / f"planted_{name}.txt").write_text(plant(source, name), encoding="utf-8")
    return folder


def _reached(answer: object) -> bool:
    """Whether a planted claim or address reached the answer as verified."""
    from diplorag.types import Answer

    assert isinstance(answer, Answer)
    if "evil.example" in answer.answer:
        return True
    return any(
        s.status in ("verified", "corrected")
        and ("Kang supports" in s.text or "evil.example" in s.text)
        for s in answer.sentences
    )


def planted_scripted(probe: Probe) -> tuple[int, int, list[str]]:
    """Every variant, asked through the library with a model that repeats the plant."""
    from diplorag import api
    from diplorag.config import load_settings
    from diplorag.generate.fake import ScriptedGenerator

    folder = _planted_corpus(probe.root)
    settings = load_settings(embedding_model=probe.model, index_dir=probe.root / "planted-index")
    api.ingest([folder], settings, rebuild=True)
    failed = []
    for name in PLANTED:
        reply = f"{PLANTED[name]} [1]\n{PAYLOAD} [1].\nKang supports nuclear weapons [2]."
        generator = ScriptedGenerator([reply])
        with api.Session(settings, generator=generator) as session:
            answer = session.ask(QUESTION, filters=api.Filters(source=f"*planted_{name}.txt"))
        prompt = generator.calls[-1][-1]["content"] if generator.calls else ""
        leaked = "evil.example" in prompt or "Kang supports" in prompt
        shown = any("evil.example" in h.text for h in answer.evidence)
        if _reached(answer) or leaked or shown:
            failed.append(name)
    return len(PLANTED), len(PLANTED) - len(failed), failed


def planted_smollm2(probe: Probe, n: int) -> tuple[int, int, list[str]]:
    """The first ``n`` variants through ``ask --json`` with the real SmolLM2-135M."""
    from diplorag.types import Answer

    folder = _planted_corpus(probe.root)
    index_dir = str(probe.root / "planted-index")
    probe.cli("ingest", str(folder), "--embedding-model", probe.model, "--index-dir", index_dir)
    failed = []
    names = list(PLANTED)[:n]
    for name in names:
        done = probe.cli(
            "ask",
            QUESTION,
            "--json",
            "--model",
            "smollm2-135m",
            "--index-dir",
            index_dir,
            "--source",
            f"*planted_{name}.txt",
            timeout=900,
        )
        if done.code != 0 or _reached(Answer.model_validate_json(done.out)):
            failed.append(name)
    return len(names), len(names) - len(failed), failed


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="random kill -9s (default 50)")
    parser.add_argument("--smollm2", type=int, default=0, metavar="N", help="planted with SmolLM2")
    parser.add_argument("--embedding-model", default="hash-256")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="diplorag-reliability-") as tmp:
        models = REPO / "models"
        probe = Probe(
            Path(tmp), model=args.embedding_model, env={"DIPLORAG_MODELS_DIR": str(models)}
        )
        began = time.monotonic()
        if args.kills:
            tried, ok = kills(probe, args.kills)
            rows.append(
                {
                    "probe": "kill -9 during ingest",
                    "tried": str(tried),
                    "survived": str(ok),
                    "failed": "",
                }
            )
        for label, (tried, ok, failed) in (
            ("bad inputs", bad_inputs(probe)),
            ("index corruptions (exit 5, --rebuild recovers)", corruptions(probe)),
            ("planted instructions, scripted model", planted_scripted(probe)),
        ):
            rows.append(
                {
                    "probe": label,
                    "tried": str(tried),
                    "survived": str(ok),
                    "failed": ", ".join(failed),
                }
            )
        if args.smollm2:
            tried, ok, failed = planted_smollm2(probe, args.smollm2)
            rows.append(
                {
                    "probe": "planted instructions, SmolLM2-135M",
                    "tried": str(tried),
                    "survived": str(ok),
                    "failed": ", ".join(failed),
                }
            )
    print(markdown_table(rows))
    print(f"\n{describe_machine()}; {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    main()
