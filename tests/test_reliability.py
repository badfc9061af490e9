"""The fast part of ``benchmarks/reliability.py``: every case, through the real CLI, must survive.

The full probe (50 kills, SmolLM2 on the planted variants) is ``python benchmarks/reliability.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import reliability


@pytest.fixture
def probe(tmp_path: Path) -> reliability.Probe:
    p = reliability.Probe(tmp_path)
    p.reset()
    return p


@pytest.mark.parametrize("case", reliability.BAD_INPUTS, ids=lambda c: c.__name__)
def test_bad_input_is_handled(probe: reliability.Probe, case: reliability.Case) -> None:
    assert case(probe)


def test_every_corruption_is_exit_5_and_rebuild_recovers(probe: reliability.Probe) -> None:
    tried, survived, failed = reliability.corruptions(probe)
    assert tried >= 10 and failed == [] and survived == tried


def test_planted_variants_never_verified_with_a_repeating_model(probe: reliability.Probe) -> None:
    tried, survived, failed = reliability.planted_scripted(probe)
    assert tried >= 30 and failed == [] and survived == tried


def test_two_random_kills_leave_a_working_index(probe: reliability.Probe) -> None:
    assert reliability.kills(probe, 2) == (2, 2)
