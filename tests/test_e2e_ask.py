"""ask and chat through the real CLI with the real SmolLM2 model, MiniLM and FAISS."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diplorag import api
from diplorag.config import load_settings
from diplorag.types import Answer

pytestmark = pytest.mark.model

DIPLORAG = [sys.executable, "-m", "diplorag.cli"]
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    index_dir = tmp_path_factory.mktemp("ask") / "indexes"
    api.ingest([CORPUS], load_settings(index_dir=index_dir))
    return {
        **os.environ,
        "DIPLORAG_INDEX_DIR": str(index_dir),
        "DIPLORAG_LLM": "smollm2-135m",
        "COLUMNS": "120",
    }


def test_ask_streams_evidence_then_answer_then_checks(env: dict[str, str]) -> None:
    reads: list[tuple[float, bytes]] = []
    with subprocess.Popen(
        [*DIPLORAG, "ask", "What did Kang say about New START?"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            reads.append((time.monotonic(), chunk))
        errors = proc.stderr.read().decode()
        assert proc.wait(timeout=600) == 0, errors
    text = b"".join(c for _, c in reads).decode()
    assert text.index("Evidence:") < text.index("Answer:")
    assert "001_116f389413386f53.txt" in text.split("Answer:")[0]
    first = next(i for i, (_, c) in enumerate(reads) if b"Answer:" in c)
    after_answer = [c for _, c in reads[first:]]
    assert len(after_answer) > 2, "the answer arrived in one piece: not streamed"
    # An answerable question: checked sentences or quoted evidence, never an abstention, with
    # exact sources from the article that answers it.
    assert "Sources:" in text and "do not say" not in text
    assert "001_116f389413386f53.txt:" in text.split("Sources:")[1]
    assert "smollm2" in text.lower() or "SmolLM2" in text


def test_ask_json_schema_and_offsets(env: dict[str, str]) -> None:
    done = subprocess.run(
        [
            *DIPLORAG,
            "ask",
            # One SmolLM2 answers with a checkable quote (greedy decoding: reproducible); on
            # "Who moderated the first plenary panel?" it gives nothing verifiable.
            "What did Kang say about New START?",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    answer = Answer.model_validate_json(done.stdout)
    assert answer.evidence and answer.timings["first_token_s"] > 0
    assert answer.model is not None
    # The corpus answers it: the answer is given, checked and quoted exactly.
    assert not answer.abstained, answer.abstain_reason
    cited = [c for s in answer.sentences for c in s.citations]
    assert cited and any(s.status in ("verified", "corrected") for s in answer.sentences)
    for c in cited:
        with open(c.path, encoding="utf-8", newline="") as f:
            assert f.read()[c.quote_start : c.quote_end] == c.quote


def test_unanswerable_question_abstains_fast_with_closest_passages(env: dict[str, str]) -> None:
    done = subprocess.run(
        [*DIPLORAG, "ask", "What is the capital of Australia?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    data = json.loads(done.stdout)
    assert data["abstained"] is True and data["answer"] == "The indexed documents do not say."
    assert "relevance" in data["abstain_reason"]
    assert "first_token_s" not in data["timings"]  # the model was never asked


def test_chat_with_piped_input(env: dict[str, str]) -> None:
    script = "\n".join(
        [
            "/help",
            "What did Kim Young-suk ask the Dutch side regarding weapons?",
            "/sources",
            "/k 2",
            "and what about Singapore?",
            "/reset",
            "What is the capital of Australia?",
            "/nonsense",
            "/quit",
        ]
    )
    done = subprocess.run(
        [*DIPLORAG, "chat"], input=script, capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "/sources" in out and "/reset" in out  # the help text
    # Evidence is chosen before the model runs, so these counts do not depend on the model:
    # the two answerable questions and /sources show evidence; Australia is not in the corpus.
    assert out.count("Evidence:") == 3
    australia = out.split("› What is the capital of Australia?")[1].split("› /nonsense")[0]
    assert "The indexed documents do not say." in australia and "Evidence:" not in australia
    assert "the model now reads 2 sentences" in out
    assert "conversation forgotten" in out
    assert "unknown command /nonsense" in out
    singapore = out.split("› and what about Singapore?")[1].split("› /reset")[0]
    assert "Singapore" in singapore  # the follow-up retrieved the Singapore passage


def test_chat_in_a_terminal_survives_ctrl_c_and_leaves_on_ctrl_d(env: dict[str, str]) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: chat on a real terminal
        os.execvpe(DIPLORAG[0], [*DIPLORAG, "chat"], env)
    output = b""
    cursor = 0  # markers are looked for after the previous match

    def read_until(marker: bytes, timeout: float = 300) -> bytes:
        """Read until ``marker`` appears after the previous match; move past it."""
        nonlocal output, cursor
        deadline = time.monotonic() + timeout
        while marker not in output[cursor:]:
            assert time.monotonic() < deadline, output.decode(errors="replace")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    break
        cursor = output.index(marker, cursor) + len(marker)
        return output

    read_until(b"\xe2\x80\xba ")  # the "› " prompt
    os.write(fd, b"\x03")  # Ctrl-C at the prompt does not leave
    read_until(b"/quit to leave")
    os.write(fd, b"Who moderated the panel?\r")
    read_until(b"Answer:", timeout=600)
    os.write(fd, b"\x03")  # stops the answer (or, if it is already done, lands at the prompt)
    read_until(b"\xe2\x80\xba ", timeout=600)
    assert b"(stopped)" in output or b"/quit to leave" in output.split(b"Answer:")[-1]
    os.write(fd, b"What did Kang say about New START?\r")  # the chat still answers
    read_until(b"Evidence:", timeout=600)
    read_until(b"\xe2\x80\xba ", timeout=600)
    os.write(fd, b"\x04")  # Ctrl-D leaves
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")


DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_seed_qa.jsonl"


@pytest.mark.skipif(not DEV.exists(), reason="shared/eval/dev_seed_qa.jsonl is not beside the repo")
def test_eval_end_to_end_with_the_fast_model(env: dict[str, str]) -> None:
    from diplorag.evaluation import EvalReport

    done = subprocess.run(
        [*DIPLORAG, "eval", str(DEV), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    report = EvalReport.model_validate_json(done.stdout)
    s = report.summary
    assert s.questions == 11 and s.answerable == 8 and s.unanswerable == 3 and s.errors == 0
    assert s.generated and s.hit_at_3 == 1.0  # retrieval does not depend on the model
    assert s.abstention_accuracy is not None and s.wrong_abstentions is not None
    assert {t.name.split()[0] for t in s.targets} >= {"hit@3", "abstention", "citation"}
    for row in report.rows:
        assert row.abstained is not None
        if not row.answerable:
            assert row.abstained  # the three unanswerable questions never reach the model


# One fixed outcome per question: fails if the system always abstains, or never does.
OUTCOMES = [
    ("What did Kang say about New START?", False),
    ("Who moderated the first plenary panel of the Seoul Defense Dialogue?", False),
    ("What did Kim Young-suk ask Singapore regarding South Korean weapons?", False),
    ("What is the capital of Australia?", True),
    ("What did Boris Johnson say about the Seoul Defense Dialogue?", True),
]


def test_ask_outcomes_with_smollm2(env: dict[str, str]) -> None:
    settings = load_settings(index_dir=Path(env["DIPLORAG_INDEX_DIR"]), llm="smollm2-135m")
    with api.Session(settings) as session:
        for question, abstains in OUTCOMES:
            answer = session.ask(question)
            assert answer.abstained is abstains, (question, answer.answer, answer.abstain_reason)
            if not abstains:
                cited = [c for s in answer.sentences if s.status != "dropped" for c in s.citations]
                assert cited, question
                for c in cited:
                    source = Path(c.path).read_text(encoding="utf-8")
                    assert source[c.quote_start : c.quote_end] == c.quote
