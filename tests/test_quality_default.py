"""The dev questions with the default model (Qwen2.5-Coder-1.5B): the quality report.

Slow (3 minutes on an idle machine) and needs the 1.1 GB model: ``make test-default`` runs
it. It prints the report and the targets, and guards the figures measured so far.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diplorag import api
from diplorag.config import DEFAULT_LLM, load_settings

pytestmark = pytest.mark.default_model

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "eval" / "dev_seed_qa.jsonl"


def test_dev_questions_with_the_default_model(tmp_path: Path) -> None:
    if not DEV.exists():
        pytest.skip("shared/eval/dev_seed_qa.jsonl is not beside the repo")
    installed = {m.name for m in api.list_models(load_settings()) if m.installed}
    if DEFAULT_LLM not in installed:
        pytest.skip(f"{DEFAULT_LLM} is not installed: diplorag models install {DEFAULT_LLM}")
    settings = load_settings(index_dir=tmp_path / "indexes", llm=DEFAULT_LLM)
    api.ingest([REPO / "corpus"], settings)
    report = api.evaluate(DEV, settings)
    s = report.summary
    for row in report.rows:
        print(
            f"{row.id} abstained={row.abstained} facts={row.fact_recall} "
            f"citations={row.correct_citations}/{row.citations} :: {row.answer}"
        )
    print(s.model_dump_json(indent=2))
    for t in s.targets:
        print(f"target {t.name}: {t.value} {'met' if t.passed else 'MISSED'}")
    assert s.errors == 0
    assert s.hit_at_3 == 1.0
    assert s.abstention_accuracy is not None and s.abstention_accuracy >= 0.9
    assert s.wrong_abstentions is not None and s.wrong_abstentions <= 0.25
    # Citation precision is reported against its 95 % target above, not asserted: measured
    # 88 % (7/8) on 2026-11-23 (benchmarks/RESULTS.md). Guard against a collapse instead.
    assert s.citation_precision is not None and s.citation_precision >= 0.75
    assert s.fact_recall is not None and s.fact_recall >= 0.4
