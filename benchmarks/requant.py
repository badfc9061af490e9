"""Would another quantisation of the default model prefill faster on this machine?

Requantises the installed GGUF (Q4_K_M) with llama.cpp's own ``llama_model_quantize`` into each
asked type, then reads the same prompt (the first words of two news articles) into each file
``--runs`` times and decodes 40 tokens. Prints a Markdown table with the machine line.

    python benchmarks/requant.py --news NEWS                    # q8_0 and q4_0, 3 runs
    python benchmarks/requant.py --news NEWS --types q4_0 --runs 5 --keep /tmp/q

The requantised files are written to a temporary folder (or ``--keep``); answer quality is
not measured here: a type that prefills faster must still pass ``diplorag eval``.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine

from diplorag.config import load_settings
from diplorag.generate.llama import LlamaGenerator
from diplorag.generate.models import resolve_model

_DECODED = 40


def requantise(source: Path, target: Path, kind: str) -> float:
    """Write ``source`` requantised to ``kind``; returns the seconds it took."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}")
    params.allow_requantize = True
    params.nthread = 2
    began = time.perf_counter()
    if llama_cpp.llama_model_quantize(
        str(source).encode(), str(target).encode(), ctypes.byref(params)
    ):
        raise SystemExit(f"llama_model_quantize failed for {kind}")
    return time.perf_counter() - began


def measure(path: Path, prompt: str, runs: int) -> tuple[int, list[float], float]:
    """``(prompt tokens, prefill tok/s of each run, decode tok/s)`` for one GGUF."""
    llm = LlamaGenerator(str(path), n_ctx=2048, n_threads=2)._llm
    tokens = llm.tokenize(prompt.encode())
    rates = []
    for _ in range(runs):
        llm.reset()
        began = time.perf_counter()
        llm.eval(tokens)
        rates.append(len(tokens) / (time.perf_counter() - began))
    llm.reset()
    began = time.perf_counter()
    for n, _ in enumerate(llm.generate(tokens[:50], temp=0.0), start=1):
        if n == _DECODED:
            break
    return len(tokens), rates, _DECODED / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, required=True, help="folder of the news corpus")
    parser.add_argument("--types", default="q8_0,q4_0", help="comma-separated GGUF types")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to keep the requantised files in")
    args = parser.parse_args()
    source = resolve_model(load_settings().llm, load_settings().models_dir)
    words = ((args.news / "3232.md").read_text() + (args.news / "3086.md").read_text()).split()
    prompt = " ".join(words[:290])
    folder = args.keep or Path(tempfile.mkdtemp(prefix="diplorag-requant-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = [("Q4_K_M (pinned)", Path(source))]
    for kind in args.types.split(","):
        target = folder / f"{Path(source).stem}-{kind}.gguf"
        seconds = requantise(Path(source), target, kind)
        print(f"requantised to {kind} in {seconds:.1f} s", file=sys.stderr)
        files.append((kind.upper(), target))
    print(describe_machine())
    print()
    print("| GGUF | prompt tokens | prefill tok/s (median, runs) | decode tok/s |")
    print("|---|---|---|---|")
    for name, path in files:
        n, rates, decode = measure(path, prompt, args.runs)
        shown = ", ".join(f"{r:.1f}" for r in rates)
        print(f"| {name} | {n} | {statistics.median(rates):.1f} ({shown}) | {decode:.1f} |")


if __name__ == "__main__":
    main()
