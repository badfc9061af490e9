"""``diplorag serve`` under load: concurrent searches, concurrent answers, the CLI through it.

Starts a real server on a free loopback port over an existing index, then measures

1. C clients × N searches each, all at once (httpx, one client per thread): p50, p99, max,
   throughput, errors;
2. A concurrent ``ask`` streams: whether each completed, its time to evidence and to first
   token (answers are generated one at a time, so the later ones wait for the earlier);
3. ``diplorag search`` end to end with the server running (a new process each time, output
   to /dev/null): median wall time of R runs; and, for the ratio, a cold in-process search.

Warm-up (the embedder's and the model's loading) is timed and reported on its own. Prints a
Markdown table with the machine's ``lscpu`` model name and load averages.

    python benchmarks/serve.py --index-dir /tmp/serve-idx
    python benchmarks/serve.py --index-dir ~/indexes --index news --clients 8 --searches 50
    DIPLORAG_MODELS_DIR=/path/to/models python benchmarks/serve.py --index-dir /tmp/serve-idx

Only loopback addresses are used; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine, markdown_table

QUERIES = [
    "New START suspension",
    "North Korea nuclear and missile programs",
    "Seoul Defense Dialogue plenary session",
    "defence cooperation with the Netherlands",
    "artificial intelligence in the military domain",
    "Conference on Disarmament in Geneva",
    "Singapore defence minister meeting",
    "Ukraine invasion",
    "arms control and nonproliferation",
    "weapon systems exports",
]
QUESTIONS = [
    "What did Kang say about New START?",
    "Who moderated the first plenary panel of the Seoul Defense Dialogue?",
    "What did Kim Young-suk ask Singapore?",
    "What did Kim Young-suk discuss with Brekelmans?",
]
BOUND_S = 900.0


def lscpu_model() -> str:
    try:
        done = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "Model name: ?"
    for line in done.stdout.splitlines():
        if line.strip().startswith("Model name"):
            return " ".join(line.split())
    return "Model name: ?"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "diplorag", "serve", "--port", "0"]
    command += ["--index-dir", str(args.index_dir), "--index", args.index]
    if args.model:
        command += ["--model", args.model]
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    first = proc.stdout.readline().decode() if ready else ""
    found = re.search(r"http://\S+", first)
    if found is None:
        proc.kill()
        raise SystemExit(f"serve printed no URL: {first!r}")
    return proc, found.group(0)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def search_load(url: str, index: str, clients: int, searches: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            for i in range(searches):
                body = {"query": QUERIES[(n + i) % len(QUERIES)], "k": 5, "index": index}
                began = time.perf_counter()
                try:
                    response = http.post("/v1/search", json=body)
                    ok = response.status_code == 200 and "hits" in response.json()
                    why = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    ok, why = False, type(exc).__name__
                spent = time.perf_counter() - began
                with lock:
                    latencies.append(spent)
                    if not ok:
                        errors.append(why)

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - began
    return {"latencies": latencies, "errors": errors, "wall": wall}


def one_ask(url: str, index: str, question: str, t0: float) -> dict[str, Any]:
    out: dict[str, Any] = {"question": question, "completed": False, "error": None}
    event, data = "message", list[str]()
    with (
        httpx.Client(base_url=url, timeout=BOUND_S) as http,
        http.stream("POST", "/v1/ask", json={"question": question, "index": index}) as r,
    ):
        if r.status_code != 200:
            out["error"] = f"HTTP {r.status_code}: {r.read().decode()[:200]}"
            return out
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data.append(line.partition(":")[2].removeprefix(" "))
            elif not line and data:
                now = time.perf_counter() - t0
                if event == "evidence":
                    out.setdefault("evidence_s", now)
                elif event == "token":
                    out.setdefault("first_token_s", now)
                elif event == "answer":
                    answer = json.loads("\n".join(data))
                    out.update(completed=True, total_s=now, outcome=answer["outcome"])
                elif event == "error":
                    out["error"] = json.loads("\n".join(data))["error"]
                event, data = "message", []
    return out


def concurrent_asks(url: str, index: str, n: int) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        futures = [
            pool.submit(one_ask, url, index, QUESTIONS[i % len(QUESTIONS)], t0) for i in range(n)
        ]
        return [f.result(timeout=BOUND_S) for f in futures]


def cli_search(url: str | None, args: argparse.Namespace) -> float:
    command = [sys.executable, "-m", "diplorag", "search", "New START", "-k", "5"]
    command += ["--index-dir", str(args.index_dir), "--index", args.index]
    command += ["--server", url] if url else ["--no-server"]
    began = time.perf_counter()
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    spent = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"diplorag search failed: {done.stderr.decode()[:300]}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--index", default="default")
    parser.add_argument("--model", help="the server's language model (default: the setting)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=50, help="per client")
    parser.add_argument("--asks", type=int, default=4)
    parser.add_argument("--cli-runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=1, help="in-process searches, for ratio")
    args = parser.parse_args()

    print(describe_machine())
    print(lscpu_model())
    print(f"load average before: {load()}")
    proc, url = start_server(args)
    rows: list[dict[str, str]] = []
    try:
        with httpx.Client(base_url=url, timeout=BOUND_S) as http:
            began = time.perf_counter()
            for _ in range(1200):  # bounded: a minute at most
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            http.post("/v1/search", json={"query": "warm up", "index": args.index})
            warm_search = time.perf_counter() - began
            began = time.perf_counter()
            warm = http.post(
                "/v1/ask", json={"question": QUESTIONS[0], "index": args.index, "stream": False}
            )
            warm_ask = time.perf_counter() - began
        rows.append(row("warm-up: start to first search answered", f"{warm_search:.2f} s"))
        rows.append(
            row("warm-up: first ask (model load included)", f"{warm_ask:.2f} s, {warm.status_code}")
        )

        loaded = search_load(url, args.index, args.clients, args.searches)
        lat = loaded["latencies"]
        total = args.clients * args.searches
        rows.append(
            row(
                f"{args.clients} clients × {args.searches} searches: p50 / p99 / max",
                f"{1000 * percentile(lat, 0.5):.0f} / {1000 * percentile(lat, 0.99):.0f} / "
                f"{1000 * max(lat):.0f} ms",
            )
        )
        rows.append(
            row(
                "  throughput, errors",
                f"{total / loaded['wall']:.1f} searches/s, {len(loaded['errors'])} errors "
                f"of {total}",
            )
        )

        asks = concurrent_asks(url, args.index, args.asks)
        done = sum(a["completed"] for a in asks)
        rows.append(row(f"{args.asks} concurrent ask streams completed", f"{done} of {args.asks}"))
        for i, a in enumerate(asks, 1):
            rows.append(
                row(
                    f"  ask {i}: evidence / first token / answer",
                    f"{a.get('evidence_s', float('nan')):.1f} / "
                    f"{a.get('first_token_s', float('nan')):.1f} / "
                    f"{a.get('total_s', float('nan')):.1f} s "
                    f"({a.get('outcome') or a.get('error')})",
                )
            )

        walls = [cli_search(url, args) for _ in range(args.cli_runs)]
        rows.append(
            row(
                f"`diplorag search` with the server, median of {len(walls)}",
                f"{statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f})",
            )
        )
    finally:
        stop_server(proc)
    if args.cold_runs:
        cold = [cli_search(None, args) for _ in range(args.cold_runs)]
        rows.append(
            row(
                f"`diplorag search --no-server` (cold, in-process), median of {len(cold)}",
                f"{statistics.median(cold):.2f} s",
            )
        )
    print(f"load average after: {load()}")
    print()
    print(markdown_table(rows))


def row(metric: str, value: str) -> dict[str, str]:
    return {"metric": metric, "value": value}


if __name__ == "__main__":
    main()
