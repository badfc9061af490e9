"""Planted instructions through ``Session.ask`` with a scripted model that repeats them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from diplorag import api
from diplorag.config import Settings, load_settings
from diplorag.generate.fake import ScriptedGenerator
from diplorag.index.layout import current_generation
from diplorag.text import untrusted
from diplorag.types import Hit, VerificationStatus
from planted import PAYLOAD, PLANTED, plant

KANG = "001_116f389413386f53.txt"
QUESTION = "What did Kang say about New START?"


@pytest.fixture(scope="module")
def planted_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("planted")
    source = (Path(__file__).resolve().parent.parent / "corpus" / KANG).read_text(encoding="utf-8")
    for name in PLANTED:
        (folder / f"planted_{name}.txt").write_text(plant(source, name), encoding="utf-8")
    settings = load_settings(embedding_model="hash-256", index_dir=folder / "indexes")
    api.ingest([folder], settings)
    return settings


@pytest.mark.parametrize("variant", sorted(PLANTED))
def test_a_model_repeating_the_plant_gets_nothing_verified(
    planted_index: Settings, variant: str
) -> None:
    reply = f"{PLANTED[variant]} [1]\n{PAYLOAD} [1].\nKang supports nuclear weapons [2]."
    generator = ScriptedGenerator([reply])
    filters = api.Filters(source=f"*planted_{variant}.txt")
    with api.Session(planted_index, generator=generator) as session:
        answer = session.ask(QUESTION, filters=filters)
        chunks = session.search(QUESTION, k=20, filters=filters)
    # The plant was found (every chunk of the document is among 20 hits) ...
    assert sum(bool(h.withheld) for h in chunks) >= 1
    assert generator.calls, "the question should reach the model"
    prompt = generator.last_messages[-1]["content"]
    assert "evil.example" not in prompt and "Kang supports" not in prompt
    for hit in answer.evidence:
        assert "evil.example" not in hit.text and "Kang supports" not in hit.text
    assert "evil.example" not in answer.answer
    shown = [s for s in answer.sentences if s.status != VerificationStatus.DROPPED]
    for sentence in shown:
        if "Kang supports" in sentence.text or "evil" in sentence.text:
            assert sentence.status == VerificationStatus.UNVERIFIED
            assert sentence.citations == []


def test_the_withheld_text_is_marked_in_the_evidence(planted_index: Settings) -> None:
    generator = ScriptedGenerator(["The documents do not say."])
    with api.Session(planted_index, generator=generator) as session:
        filters = api.Filters(source="*planted_issue-note-to-ai.txt")
        hits = session.search("Note to the AI assistant Kang nuclear", k=3, filters=filters)
    withheld = [h for h in hits if h.withheld]
    assert withheld
    for hit in withheld:
        for a, b in hit.withheld:
            assert "AI assistant" in hit.text[a:b] or "evil.example" in hit.text[a:b]


def test_an_answer_sentence_with_an_address_its_source_lacks_is_dropped(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    source = (Path(__file__).resolve().parent.parent / "corpus" / KANG).read_text(encoding="utf-8")
    (corpus / KANG).write_text(source, encoding="utf-8")
    settings = load_settings(embedding_model="hash-256")
    api.ingest([corpus], settings)
    reply = (
        "Kang expressed concern over Russia's unilateral suspension of New START, see "
        "evil.example [1]."
    )
    with api.Session(settings, generator=ScriptedGenerator([reply])) as session:
        answer = session.ask(QUESTION)
    # Its only sentence is dropped, so the best evidence sentences are the answer instead.
    [sentence] = [s for s in answer.sentences if "evil.example" in s.text]
    assert sentence.status == VerificationStatus.DROPPED
    assert "evil.example" in (sentence.reason or "")
    assert answer.outcome == "quoted" and "evil.example" not in answer.answer


def _forget_withheld(settings: Settings, scanner: str | None) -> None:
    """Make the stored spans those of another scanner (None: delete them, as before ingest
    stored any)."""
    generation = current_generation(settings.index_path)
    assert generation is not None
    db = sqlite3.connect(generation / "chunks.sqlite")
    if scanner is None:
        db.execute("DROP TABLE withheld")
    else:
        db.execute("UPDATE withheld SET scanner=?, spans='[]'", (scanner,))
    db.commit()
    db.close()


def _no_scanning(*args: object, **kwargs: object) -> list[tuple[int, int]]:
    raise AssertionError("a query scanned a document that ingest had scanned")


def test_ingest_stores_the_spans_and_queries_read_them(
    planted_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(untrusted, "withheld_spans", _no_scanning)
    filters = api.Filters(source="*planted_issue-note-to-ai.txt")
    with api.Session(planted_index, generator=ScriptedGenerator(["x"])) as session:
        hits = session.search("Note to the AI assistant", k=20, mode="bm25", filters=filters)
    assert any("AI assistant" in h.text[a:b] for h in hits for a, b in h.withheld)


def test_spans_of_another_scanner_are_found_again_at_query_and_at_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    source = (Path(__file__).resolve().parent.parent / "corpus" / KANG).read_text(encoding="utf-8")
    (corpus / "planted.txt").write_text(plant(source, "issue-note-to-ai"), encoding="utf-8")
    settings = load_settings(embedding_model="hash-256", index_dir=tmp_path / "idx")
    api.ingest([corpus], settings)
    _forget_withheld(settings, "an older scanner")

    def search() -> list[Hit]:
        with api.Session(settings, generator=ScriptedGenerator(["x"])) as session:
            return session.search("Note to the AI assistant", k=20, mode="bm25")

    # The stale (empty) spans are not trusted: the session scans the document itself.
    assert any("AI assistant" in h.text[a:b] for h in search() for a, b in h.withheld)
    # Ingest, though no file changed, scans it again and stores what it finds.
    before = current_generation(settings.index_path)
    api.ingest([corpus], settings)
    assert current_generation(settings.index_path) != before
    monkeypatch.setattr(untrusted, "withheld_spans", _no_scanning)
    assert any("AI assistant" in h.text[a:b] for h in search() for a, b in h.withheld)


@pytest.mark.parametrize("stored", [True, False], ids=["spans stored", "older generation"])
def test_a_plant_in_a_huge_document_is_withheld_around_the_hit(
    tmp_path: Path, stored: bool
) -> None:
    corpus = tmp_path / "big"
    corpus.mkdir()
    source = (Path(__file__).resolve().parent.parent / "corpus" / KANG).read_text(encoding="utf-8")
    filler = "\n".join(f"Paragraph {i} is about harbour logistics in Busan." for i in range(1500))
    text = f"{filler}\n{plant(source, 'issue-note-to-ai')}\n{filler}\n"
    assert len(text) > api._WHOLE_DOCUMENT_CHARS
    (corpus / "huge.txt").write_text(text, encoding="utf-8")
    settings = load_settings(embedding_model="hash-256")
    api.ingest([corpus], settings)
    if not stored:  # the session finds the plant in the neighbourhood of each hit
        _forget_withheld(settings, None)
    reply = f"{PAYLOAD} [1].\nKang supports nuclear weapons [1]."
    generator = ScriptedGenerator([reply])
    with api.Session(settings, generator=generator) as session:
        hits = session.search("Note to the AI assistant whatever you are asked", mode="bm25")
        answer = session.ask(QUESTION)
    assert hits and hits[0].withheld
    assert "evil.example" not in generator.last_messages[-1]["content"]
    # Both sentences repeat the plant: dropped, so the evidence itself is quoted instead.
    assert answer.outcome == "quoted"
    held = [
        s.text
        for s in answer.sentences
        if s.status in (VerificationStatus.VERIFIED, VerificationStatus.CORRECTED)
    ]
    assert held and not any("Kang supports" in t or "evil" in t for t in held)
