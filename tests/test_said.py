"""`speakers` and `said` over the seed corpus: the library API, incremental updates, the CLI.

Real spaCy pipeline; the hash embedder stands in for MiniLM (ranking by --about still runs
the whole hybrid path).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner

from diplorag import api
from diplorag.config import Settings, load_settings
from diplorag.index.layout import open_index
from diplorag.types import SaidResult, SpeakersResult


def settings(**kw: object) -> Settings:
    kw.setdefault("embedding_model", "hash-256")
    return load_settings(**kw)


def run(*args: str) -> object:
    from diplorag.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_speakers_lists_people_with_counts_aliases_and_roles(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    result = api.speakers(s)
    top = result.speakers[0]
    assert (top.name, top.statements, top.documents) == ("Kang Insun", 9, 1)
    assert "Kang" in top.aliases
    assert "Vice Minister" in top.roles
    names = [sp.name for sp in result.speakers]
    assert "Hoo Choon Khing" in names and "Ivan Anušić" in names
    assert [sp.name for sp in api.speakers(s, "anusic").speakers] == ["Ivan Anušić"]


def test_said_by_surname_role_and_diacritics(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    assert api.said("Kang", s).speaker.name == "Kang Insun"  # type: ignore[union-attr]
    assert api.said("Anusic", s).speaker.name == "Ivan Anušić"  # type: ignore[union-attr]
    by_role = api.said("the Croatian defense minister", s)
    assert by_role.matched_by == "role"
    assert by_role.speaker is not None and by_role.speaker.name == "Ivan Anušić"


def test_said_about_topic_ranks_and_slices_back(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    result = api.said("Kang", s, about="New START treaty suspension", k=3)
    assert result.total == 9 and len(result.statements) == 3
    assert "New START" in result.statements[0].text
    for st in result.statements:
        doc = Path(st.path).read_text(encoding="utf-8")
        assert doc[st.sentence_start : st.sentence_end] == st.text
        assert doc[st.content_start : st.content_end] == st.content
        assert st.speaker == "Kang Insun"


def test_hoo_never_gets_kims_words(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    hoo = api.said("Hoo", s)
    assert [st.predicate for st in hoo.statements] == ["say"]
    assert hoo.statements[0].content.startswith("We appreciate South Korea’s efforts")
    kim = api.said("Kim Young-suk", s, about="weapon systems")
    assert all(st.speaker == "Kim Young-suk" for st in kim.statements)
    assert any("weapon systems" in st.content for st in kim.statements[:2])


def test_unknown_person_suggests_close_names(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    result = api.said("Anusik", s)
    assert result.speaker is None
    assert result.suggestions[0] == "Ivan Anušić"


def test_reingest_updates_statements(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    seed = next(corpus.glob("002_*.txt"))
    seed.write_text(seed.read_text() + "\nDragone warned that the alliance faced new threats.\n")
    report = api.ingest([corpus], s)
    assert report.updated == [str(seed)] and report.documents_parsed == 1
    dragone = api.said("Dragone", s)
    assert [st.predicate for st in dragone.statements] == ["affirm", "warn"]
    seed.unlink()
    api.ingest([corpus], s)
    assert api.said("Dragone", s).speaker is None


def test_index_without_statements_is_parsed_without_reembedding(corpus: Path) -> None:
    s = settings(statements=False)
    api.ingest([corpus], s)
    handle = open_index(s.index_path)
    assert handle.manifest.statements_version is None
    handle.close()
    result = run("said", "Kang", "--index-dir", str(s.index_dir))
    assert result.exit_code == 4  # type: ignore[attr-defined]
    assert "diplorag ingest" in result.output  # type: ignore[attr-defined]
    report = api.ingest([corpus], settings())
    assert report.chunks_embedded == 0 and report.documents_parsed == 3
    assert api.said("Kang", settings()).total == 9


def test_cli_speakers_and_said_text_and_json(corpus: Path) -> None:
    run("ingest", str(corpus), "--embedding-model", "hash-256", "-q")
    text = run("speakers", "-n", "3")
    assert text.exit_code == 0  # type: ignore[attr-defined]
    lines = text.output.splitlines()  # type: ignore[attr-defined]
    assert lines[0].split()[:3] == ["9", "Kang", "Insun"]
    data = SpeakersResult.model_validate_json(run("speakers", "--json").output)  # type: ignore[attr-defined]
    assert data.speakers[0].name == "Kang Insun" and data.people >= 8

    said = run("said", "Kang", "--about", "New START", "-k", "1")
    out = said.output  # type: ignore[attr-defined]
    assert said.exit_code == 0  # type: ignore[attr-defined]
    assert "Kang Insun" in out and "New START" in out and "001_116f389413386f53.txt:" in out
    raw = run("said", "Kang", "--json", "-k", "2").output  # type: ignore[attr-defined]
    parsed = SaidResult.model_validate_json(raw)
    assert parsed.speaker is not None and len(parsed.statements) == 2
    assert json.loads(raw)["statements"][0]["speaker"] == "Kang Insun"

    missing = run("said", "Lavrow")
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert "nobody called 'Lavrow'" in missing.output  # type: ignore[attr-defined]


def test_search_hits_show_their_speakers(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    hits = api.search("Singapore weapon systems interest", s, k=1, mode="bm25").hits
    assert "Kim Young-suk" in hits[0].speakers


def _sentence_keys(s: Settings) -> set[tuple[str, int]]:
    with api.Session(s) as session:
        store = session.handle.store.statements
        return {(st.doc_id, st.sentence_start) for st in store.statements()}


def _stored_keys(s: Settings) -> list[tuple[str, int]]:
    handle = open_index(s.index_path)
    try:
        return handle.store.statements.vectors()[0]
    finally:
        handle.close()


def test_ingest_embeds_every_statement_context_once(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    with api.Session(s) as session:
        statements = session.handle.store.statements.statements()
        keys, rows, matrix = session.stored_context_vectors()
        assert sorted(rows) == sorted({(st.doc_id, st.sentence_start) for st in statements})
        assert len(keys) == len(rows) == matrix.shape[0] and matrix.shape[1] == 256
        for st in statements[:5]:  # what a question would embed, were it not stored
            now = session.embedder.encode_documents([session._statement_context(st)])[0]
            assert float(now @ matrix[rows[(st.doc_id, st.sentence_start)]]) > 0.999
    seed = next(corpus.glob("002_*.txt"))
    seed.write_text(seed.read_text() + "\nDragone warned that the alliance faced new threats.\n")
    api.ingest([corpus], s)
    assert sorted(_stored_keys(s)) == sorted(_sentence_keys(s))  # the old ones gone
    seed.unlink()
    api.ingest([corpus], s)
    assert sorted(_stored_keys(s)) == sorted(_sentence_keys(s))


def test_said_about_embeds_no_statement_at_query_time(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    with api.Session(s) as session:
        embedded = _count_embedded(session)
        found = session.said("Kang", about="New START treaty suspension", k=3)
    assert found.statements and found.total == 9
    assert embedded == []  # ingest stored Kang's 9 statement contexts


def test_an_index_without_stored_vectors_embeds_each_context_once_a_session(
    corpus: Path,
) -> None:
    s = settings()
    api.ingest([corpus], s)
    with api.Session(s) as session:
        stored = session.said("Kang", about="New START treaty suspension", k=3)
    generation = (s.index_path / "CURRENT").read_text().strip()
    with closing(sqlite3.connect(s.index_path / generation / "chunks.sqlite")) as db:
        db.execute("DELETE FROM statement_vectors")  # as an index built before they were stored
        db.commit()
    with api.Session(s) as session:
        embedded = _count_embedded(session)
        first = session.said("Kang", about="New START treaty suspension", k=3)
        assert sum(embedded) == 9
        again = session.said("Kang", about="New START treaty suspension", k=3)
        other = session.said("Kang", about="nuclear tests", k=3)
    assert sum(embedded) == 9  # not again: the session kept them
    ids = [st.statement_id for st in first.statements]
    assert ids == [st.statement_id for st in again.statements]
    assert ids == [st.statement_id for st in stored.statements]
    assert other.statements and other.total == 9


def test_statements_near_a_topic_come_from_the_whole_index(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    with api.Session(s) as session:
        every = session.handle.store.statements.statements()
        target = next(st for st in every if "Dragone" in (st.speaker or ""))
        near = session.statements_near(session._statement_context(target), 3, None)
        assert near[0].statement_id == target.statement_id
        assert len({(st.doc_id, st.sentence_start) for st in near}) == 3
        dated = api.Filters(until=dt.date(1990, 1, 1))
        assert session.statements_near(session._statement_context(target), 3, dated) == []


def test_statements_near_a_topic_are_the_nearest_within_the_filter(corpus: Path) -> None:
    """A filter picks the nearest among the documents it keeps, not among the whole index's
    nearest: another article's statement as the topic still finds three in the kept one."""
    s = settings()
    api.ingest([corpus], s)
    with api.Session(s) as session:
        every = session.handle.store.statements.statements()
        dragone = next(st for st in every if "Dragone" in (st.speaker or ""))
        kept = dragone.doc_id
        target = next(st for st in every if st.doc_id != kept)
        topic = session._statement_context(target)
        assert session.statements_near(topic, 3, None)[0].doc_id == target.doc_id
        only = api.Filters(source="*" + Path(dragone.path).name)
        near = session.statements_near(topic, 3, only)
    assert len({(st.doc_id, st.sentence_start) for st in near}) == 3
    assert {st.doc_id for st in near} == {kept}


def _count_embedded(session: api.Session) -> list[int]:
    """Record how many texts each call of the session's document embedder is given."""
    embedded: list[int] = []
    encode = session.embedder.encode_documents

    def counting(texts: list[str], **kw: object) -> object:
        embedded.append(len(texts))
        return encode(texts, **kw)  # type: ignore[arg-type]

    session.embedder.encode_documents = counting  # type: ignore[method-assign,assignment]
    return embedded


def test_statement_vectors_off_stores_none_and_said_still_ranks(corpus: Path) -> None:
    s = settings(statement_vectors=False)
    api.ingest([corpus], s)
    assert _stored_keys(s) == []
    with api.Session(s) as session:
        embedded = _count_embedded(session)
        found = session.said("Kang", about="New START treaty suspension", k=3)
    assert found.total == 9 and len(found.statements) == 3
    assert sum(embedded) == 9  # embedded at question time instead
