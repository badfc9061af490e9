"""Cold-start search cost and ingest throughput, torch against ONNX Runtime, in one run.

    python benchmarks/speed.py cold --index-dir IDX [--index news] [--runs 7]
    python benchmarks/speed.py ingest --news NEWS_DIR [--articles 300] [--runs 1]

``cold`` runs ``diplorag search`` in a new process ``--runs`` times and reports the median wall
time, CPU-seconds (user + system of the child) and peak RSS, with and without ``--server``
when a server URL is given. ``ingest`` indexes the same articles from scratch once per
runtime (torch, onnx, onnx-int8, openvino) in child processes, interleaved so that all see the same
load, and reports chunks/s, CPU-seconds per chunk and peak RSS; ``--no-statements`` leaves the
parser out, to time the embedding path alone. Every table starts with the machine line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from machine import describe_machine

DIPLORAG = [sys.executable, "-m", "diplorag.cli"]
RUNTIMES = ("torch", "onnx", "onnx-int8", "openvino")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``cmd``; its wall seconds, CPU seconds (user + system), peak RSS (KiB) and stdout."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # GNU time reports the peak RSS of this one child (getrusage: the largest child yet).
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", tf.name, *cmd], env=env, capture_output=True
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, int(tf.read().strip().splitlines()[-1]), done.stdout.decode()


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def cold(args: argparse.Namespace) -> None:
    env = {**os.environ, "DIPLORAG_INDEX_DIR": str(args.index_dir), "DIPLORAG_INDEX": args.index}
    variants: list[tuple[str, list[str]]] = [("no server", ["--no-server"] if args.server else [])]
    if args.server:
        variants.append((f"server {args.server}", ["--server", args.server]))
    rows = []
    for name, extra in variants:
        runs = [
            run([*DIPLORAG, "search", args.query, "-k", "5", *extra], env) for _ in range(args.runs)
        ]
        rows.append(
            [
                name,
                f"{statistics.median(r[0] for r in runs):.2f}",
                f"{statistics.median(r[1] for r in runs):.2f}",
                f"{statistics.median(r[2] for r in runs) / 1024:.0f}",
                str(args.runs),
            ]
        )
    print(describe_machine())
    print(
        f"\n`diplorag search {args.query!r} -k 5`, index {args.index}, new process each run; "
        f"load average {os.getloadavg()[0]:.2f} at the end.\n"
    )
    print(table(rows, ["search", "median wall s", "median CPU-s", "median peak MiB", "runs"]))


def ingest(args: argparse.Namespace) -> None:
    articles = sorted(Path(args.news).glob("*.md"))[: args.articles]
    if not articles:
        raise SystemExit(f"no .md articles in {args.news}")
    work = Path(tempfile.mkdtemp(prefix="diplorag-speed-"))
    try:
        docs = work / "docs"
        docs.mkdir()
        for path in articles:
            shutil.copyfile(path, docs / path.name)
        results: dict[str, list[dict[str, float]]] = {r: [] for r in args.runtimes}
        for i in range(args.runs):
            for runtime in args.runtimes:
                index_dir = work / f"idx-{runtime}-{i}"
                env = {**os.environ, "DIPLORAG_STATEMENTS": str(not args.no_statements).lower()}
                wall, cpu, peak, out = run(
                    [
                        *DIPLORAG,
                        "ingest",
                        str(docs),
                        "--index-dir",
                        str(index_dir),
                        "--embedding-runtime",
                        runtime,
                        "--json",
                    ],
                    env,
                )
                report = json.loads(out)
                n = report["chunks_embedded"]
                results[runtime].append(
                    {
                        "wall": wall,
                        "cpu": cpu,
                        "peak": peak,
                        "chunks": n,
                        "seconds": report["seconds"],
                    }
                )
                print(f"  {runtime}: {n} chunks, {wall:.1f} s wall, {cpu:.1f} CPU-s", flush=True)
                shutil.rmtree(index_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(r["chunks"] / r["wall"] for r in results["torch"])
    rows = []
    for runtime, runs in results.items():
        rate = statistics.median(r["chunks"] / r["wall"] for r in runs)
        rows.append(
            [
                runtime,
                str(int(runs[0]["chunks"])),
                f"{rate:.1f}",
                f"{rate / base:.2f}×",
                f"{statistics.median(r['cpu'] / r['chunks'] for r in runs):.4f}",
                f"{statistics.median(r['peak'] for r in runs) / 1024:.0f}",
            ]
        )
    print(describe_machine())
    parser = "without" if args.no_statements else "with"
    print(
        f"\n`diplorag ingest` of {len(articles)} news articles from scratch, {parser} the "
        f"statement parser, {args.runs} run(s) per runtime interleaved; process wall time "
        f"(start-up and model load included); load average {os.getloadavg()[0]:.2f} at the "
        "end.\n"
    )
    print(table(rows, ["runtime", "chunks", "chunks/s", "vs torch", "CPU-s/chunk", "peak MiB"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cold", help="cold diplorag search in a new process")
    c.add_argument("--index-dir", type=Path, required=True)
    c.add_argument("--index", default="default")
    c.add_argument("--query", default="What did Kang say about New START?")
    c.add_argument("--runs", type=int, default=7)
    c.add_argument("--server", help="also time searches through this running server")
    c.set_defaults(func=cold)
    i = sub.add_parser("ingest", help="ingest throughput per embedding runtime")
    i.add_argument("--news", type=Path, required=True, help="folder of news .md articles")
    i.add_argument("--articles", type=int, default=300)
    i.add_argument("--runs", type=int, default=1)
    i.add_argument("--no-statements", action="store_true")
    i.add_argument(
        "--runtimes",
        nargs="+",
        choices=RUNTIMES,
        default=list(RUNTIMES),
        help="embedding runtimes to time (torch is the baseline and always runs)",
    )
    i.set_defaults(func=ingest)
    args = parser.parse_args()
    if args.command == "ingest" and "torch" not in args.runtimes:
        args.runtimes.insert(0, "torch")
    args.func(args)


if __name__ == "__main__":
    main()
