"""Ingest throughput and search latency, on corpus/ and on a synthetic corpus of >= 10,000 chunks.

Prints a Markdown table with the machine it ran on. Numbers are medians; this machine is shared
and noisy, so compare ratios between rows of one run rather than absolute figures across runs.

    python benchmarks/retrieval.py                      # corpus/ + 10,000-chunk synthetic corpus
    python benchmarks/retrieval.py --synthetic-chunks 0 # corpus/ only
    python benchmarks/retrieval.py --embedding-model hash-384   # pipeline cost without the model
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine, markdown_table

from diplorag import api
from diplorag.config import load_settings
from diplorag.sentences import split_sentences

REPO = Path(__file__).resolve().parent.parent
QUERIES = [
    "What did Kang say about New START?",
    "Who moderated the first plenary panel?",
    "responsible use of AI in the military domain",
    "North Korea nuclear and missile threats",
    "Singapore defense cooperation",
    "Conference on Disarmament revitalization",
    "NATO Military Committee chairman",
    "weapon systems export interest",
]


def synthetic_corpus(folder: Path, n_chunks: int, seed: int = 7) -> int:
    """Write documents of shuffled seed sentences: about one 200-word chunk per 200 words."""
    rng = random.Random(seed)
    sentences = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        text = path.read_text()
        sentences += [text[s:e] for s, e in split_sentences(text)]
    folder.mkdir(parents=True)
    words_per_doc = 600  # ~3 chunks per document with overlap
    n_docs = max(1, n_chunks // 3)
    for i in range(n_docs):
        out, words = [], 0
        while words < words_per_doc:
            s = rng.choice(sentences)
            out.append(s)
            words += len(s.split())
        (folder / f"doc_{i:05d}.txt").write_text(f"Synthetic document {i}\n" + " ".join(out) + "\n")
    return n_docs


def measure(corpus: Path, label: str, model: str, index_dir: Path, runs: int) -> dict[str, str]:
    s = load_settings(index_dir=index_dir, index=label, embedding_model=model)
    t0 = time.perf_counter()
    report = api.ingest([corpus], s)
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = api.ingest([corpus], s)
    reingest_s = time.perf_counter() - t0
    assert again.chunks_embedded == 0

    row = {
        "corpus": label,
        "docs": str(report.total_documents),
        "chunks": str(report.total_chunks),
        "ingest s": f"{ingest_s:.1f}",
        "chunks/s": f"{report.total_chunks / ingest_s:.1f}",
        "re-ingest s (unchanged)": f"{reingest_s:.2f}",
    }
    with api.Session(s) as session:
        session.search("warm up")  # loads the model, FAISS and BM25 once
        for mode in ("dense", "bm25", "hybrid"):
            times = []
            for _ in range(runs):
                for q in QUERIES:
                    t0 = time.perf_counter()
                    session.search(q, k=5, mode=mode)  # type: ignore[arg-type]
                    times.append((time.perf_counter() - t0) * 1000)
            row[f"warm p50 {mode} ms"] = f"{statistics.median(times):.1f}"
    cold = []
    for q in QUERIES[:3]:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "diplorag.cli", "search", q, "--json"],
            check=True,
            capture_output=True,
            env={**os.environ, "DIPLORAG_INDEX_DIR": str(index_dir), "DIPLORAG_INDEX": label},
        )
        cold.append(time.perf_counter() - t0)
    row["cold search s (process)"] = f"{statistics.median(cold):.2f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--synthetic-chunks", type=int, default=10_000)
    parser.add_argument("--embedding-model", default="all-MiniLM-L6-v2")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the query set")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "indexes"
        rows.append(measure(REPO / "corpus", "corpus", args.embedding_model, index_dir, args.runs))
        if args.synthetic_chunks:
            synth = Path(tmp) / "synthetic"
            synthetic_corpus(synth, args.synthetic_chunks)
            rows.append(measure(synth, "synthetic", args.embedding_model, index_dir, args.runs))

    print(describe_machine())
    print(
        f"embedding model: {args.embedding_model}; k=5; {len(QUERIES)} queries x {args.runs} runs\n"
    )
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
