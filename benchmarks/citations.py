"""Hand-judged citation precision: does each cited source sentence support the answer sentence?

``sample`` takes the answers ``diplorag eval --answers-out`` wrote and lists every sentence the
user is shown with a citation (the model's verified or corrected sentences, and quoted
evidence), in file order, up to ``--n``, as JSON Lines with an empty ``supported`` field for a
reader to fill in (true / false, and a ``note``). ``report`` counts the judged file.

    python benchmarks/citations.py sample news.jsonl --n 30 > benchmarks/citations_judged.jsonl
    # read each line, set "supported" and "note"
    python benchmarks/citations.py report benchmarks/citations_judged.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SHOWN = {"verified", "corrected"}


def sample(answers: Path, n: int) -> None:
    out = 0
    for line in answers.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("abstained"):
            continue
        for s in row.get("sentences", []):
            if s.get("status") not in SHOWN or not s.get("citations"):
                continue
            for c in s["citations"]:
                record = {
                    "id": row["id"],
                    "outcome": row.get("outcome"),
                    "question": row["question"],
                    "sentence": s["text"],
                    "cited": c["quote"],
                    "path": c["path"],
                    "span": [c["quote_start"], c["quote_end"]],
                    "speaker": c.get("speaker"),
                    "supported": None,
                    "note": "",
                }
                print(json.dumps(record, ensure_ascii=False))
                out += 1
                if out == n:
                    return


def report(judged: Path) -> None:
    rows = [json.loads(x) for x in judged.read_text(encoding="utf-8").splitlines() if x.strip()]
    unjudged = [r for r in rows if r.get("supported") is None]
    if unjudged:
        sys.exit(f"{len(unjudged)} of {len(rows)} citations are not judged yet")
    good = sum(bool(r["supported"]) for r in rows)
    by_outcome: dict[str, list[bool]] = {}
    for r in rows:
        by_outcome.setdefault(r.get("outcome") or "?", []).append(bool(r["supported"]))
    print("| cited sentences | supported | precision |")
    print("|---|---:|---:|")
    for outcome, flags in sorted(by_outcome.items()):
        print(f"| {outcome} | {sum(flags)}/{len(flags)} | {sum(flags) / len(flags):.0%} |")
    print(f"| all | {good}/{len(rows)} | {good / len(rows):.0%} |")
    for r in rows:
        if not r["supported"]:
            print(f"- {r['id']}: {r['sentence']!r} — {r['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="list cited sentences to judge")
    s.add_argument("answers", type=Path)
    s.add_argument("--n", type=int, default=30)
    r = sub.add_parser("report", help="count a judged file")
    r.add_argument("judged", type=Path)
    args = parser.parse_args()
    if args.command == "sample":
        sample(args.answers, args.n)
    else:
        report(args.judged)


if __name__ == "__main__":
    main()
