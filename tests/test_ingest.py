"""Loaders: discovery, skip reasons, exact text and offsets, titles, dates, HTML main text."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplorag.chunking import chunk_document
from diplorag.ingest import (
    SUPPORTED_SUFFIXES,
    discover,
    load_document,
    max_file_bytes,
)
from diplorag.ingest.html import HtmlLoader
from diplorag.ingest.metadata import (
    date_from_dateline,
    markdown_title,
    parse_date,
    parse_front_matter,
    plain_text_title,
)
from diplorag.types import ChunkerSettings, Document, SkippedFile

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LIMIT = max_file_bytes(20)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def load(path: Path, max_bytes: int = LIMIT) -> Document:
    doc = load_document(path, max_bytes=max_bytes)
    assert isinstance(doc, Document), doc
    return doc


def skip_reason(path: Path, max_bytes: int = LIMIT) -> str:
    result = load_document(path, max_bytes=max_bytes)
    assert isinstance(result, SkippedFile), result
    assert result.path == str(path.resolve())
    return result.reason


def read_back(path: Path, encoding: str = "utf-8") -> str:
    """The file read as the README's offset recipe reads it."""
    with open(path, encoding=encoding, newline="") as f:
        return f.read()


# --- discover ----------------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm"} == SUPPORTED_SUFFIXES


def test_discover_walks_folders_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in [
        "b.txt",
        "a.md",
        "sub/c.html",
        "sub/deeper/d.HTM",
        "sub/e.markdown",
        "report.pdf",
        "Makefile",
        ".hidden.txt",
        ".git/config.txt",
        "sub/.cache/x.txt",
    ]:
        write(tmp_path / name, "text")
    found = [(p.relative_to(tmp_path).as_posix(), why) for p, why in discover([tmp_path])]
    assert found == [
        ("Makefile", "unsupported file type (no suffix)"),
        ("a.md", None),
        ("b.txt", None),
        ("report.pdf", "unsupported file type .pdf"),
        ("sub/c.html", None),
        ("sub/deeper/d.HTM", None),
        ("sub/e.markdown", None),
    ]


def test_discover_reports_missing_and_keeps_explicit_files(tmp_path: Path) -> None:
    hidden = write(tmp_path / ".notes.txt", "x")
    missing = tmp_path / "nope"
    result = list(discover([missing, hidden, tmp_path, hidden]))
    assert result == [(missing, "no such file or directory"), (hidden, None)]


def test_discover_yields_a_file_once_and_survives_symlink_loops(tmp_path: Path) -> None:
    write(tmp_path / "d/a.txt", "x")
    (tmp_path / "d/loop").symlink_to(tmp_path / "d")
    (tmp_path / "d/alias.txt").symlink_to(tmp_path / "d/a.txt")
    (tmp_path / "d/broken.txt").symlink_to(tmp_path / "d/gone.txt")
    result = [(p.name, why) for p, why in discover([tmp_path / "d", tmp_path / "d/a.txt"])]
    assert result == [("a.txt", None), ("broken.txt", "no such file or directory")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert list(discover([tmp_path])) == [(fifo, "not a regular file")]
    assert skip_reason(fifo) == "not a regular file"  # and reading it does not block


# --- load_document: plain text -----------------------------------------------------------------


def test_txt_document_fields_and_exact_text(tmp_path: Path) -> None:
    content = "Headline here\r\n\r\nFirst sentence. Second one…\r\nThird: 军工, Anušić.\r\n"
    path = write(tmp_path / "news.txt", content)
    doc = load(path)
    resolved = str(path.resolve())
    assert doc.path == resolved
    assert doc.doc_id == hashlib.sha1(resolved.encode()).hexdigest()[:16]
    assert doc.content_hash == hashlib.sha256(content.encode()).hexdigest()
    assert doc.kind == "txt"
    assert doc.text == content == read_back(path)  # \r\n kept
    assert doc.title == "Headline here"
    assert doc.published is None and doc.source is None and doc.body_start == 0


def test_chunk_offsets_slice_the_file(tmp_path: Path) -> None:
    sentences = [f"Sentence {i} talks about Seoul and the U.S. at length here." for i in range(80)]
    path = write(tmp_path / "long.txt", "\ufeffTitle\r\n" + "\r\n".join(sentences))
    doc = load(path)
    assert doc.encoding == "utf-8-sig"
    source = read_back(path, doc.encoding)
    chunks = chunk_document(doc, ChunkerSettings(target_words=40, max_words=60))
    assert len(chunks) > 5
    for chunk in chunks:
        assert source[chunk.start : chunk.end] == chunk.text


def test_utf8_bom_is_stripped_and_hash_is_of_raw_bytes(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF8 + b"Title\nBody."
    path = write(tmp_path / "bom.txt", raw)
    doc = load(path)
    assert doc.text == "Title\nBody."
    assert doc.content_hash == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_read(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    path = write(tmp_path / "wide.txt", bom + "Title line\nBody text.".encode(encoding))
    assert load(path).text == "Title line\nBody text."


def test_uppercase_suffix_is_supported(tmp_path: Path) -> None:
    assert load(write(tmp_path / "NOTE.TXT", "Hello there")).kind == "txt"


# --- skip reasons ------------------------------------------------------------------------------


def test_unsupported_and_missing(tmp_path: Path) -> None:
    assert skip_reason(write(tmp_path / "a.pdf", "%PDF")) == "unsupported file type .pdf"
    assert skip_reason(tmp_path / "gone.txt") == "no such file or directory"
    (tmp_path / "folder.txt").mkdir()
    assert skip_reason(tmp_path / "folder.txt") == "not a regular file"


def test_binary_file(tmp_path: Path) -> None:
    assert skip_reason(write(tmp_path / "x.txt", b"abc\x00def")) == "binary file"
    # A NUL after the first 8 KiB is not looked for; the file is still UTF-8 text.
    late = write(tmp_path / "y.txt", b"a" * 9000 + b"\x00")
    assert load(late).text.endswith("\x00")


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "word " * 4000)
    with path.open("r+b") as f:
        f.truncate(int(23.1 * 1024 * 1024))  # sparse: cheap to make, text in the first 8 KiB
    assert max_file_bytes(20) == 20 * 1024 * 1024
    assert skip_reason(path, max_bytes=max_file_bytes(20)) == (
        "too large (23.1 MB > 20 MB limit; raise --max-file-mb)"
    )
    assert skip_reason(path, max_bytes=max_file_bytes(0.5)).endswith(
        "> 0.5 MB limit; raise --max-file-mb)"
    )
    small = write(tmp_path / "small.txt", "12345")
    assert load(small, max_bytes=5).text == "12345"
    assert skip_reason(small, max_bytes=4).startswith("too large (")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("café", "latin-1"),
        ("Le ministre a déclaré « coopération » — très bien, ‘dit-il’. Coût : 5 €.", "cp1252"),
        ("Müller sagte: Grüße aus Köln.\r\nZweite Zeile.", "latin-1"),
    ],
)
def test_western_single_byte_text_is_read_as_cp1252(
    tmp_path: Path, text: str, encoding: str
) -> None:
    path = write(tmp_path / "western.txt", text.encode(encoding))
    doc = load(path)
    assert doc.text == text and doc.encoding == "cp1252"
    with open(path, encoding=doc.encoding, newline="") as f:
        assert f.read() == doc.text


def test_not_text_in_a_known_encoding(tmp_path: Path) -> None:
    bad16 = write(tmp_path / "bad16.txt", codecs.BOM_UTF16_LE + b"a\x00b")  # odd length
    assert skip_reason(bad16) == "not text in a known encoding"
    noise = write(tmp_path / "noise.txt", bytes(range(1, 256)) * 4)
    assert skip_reason(noise) == "not text in a known encoding"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("e.txt", ""),
        ("w.txt", " \r\n\t\n  "),
        ("fm.md", "---\ntitle: Only metadata\ndate: 2024-09-09\n---\n\n  \n"),
        ("nav.html", "<html><body><nav>Home | World</nav><script>x()</script></body></html>"),
        ("blank.html", "<p>  &nbsp; </p>"),
    ],
)
def test_empty(tmp_path: Path, name: str, content: str) -> None:
    assert skip_reason(write(tmp_path / name, content)) == "empty"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.txt", "text")

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    assert skip_reason(path) == "cannot read: permission denied"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "text")
    path.chmod(0)
    try:
        assert skip_reason(path) == "cannot read: permission denied"
    finally:
        path.chmod(0o644)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    suffix=st.sampled_from([".txt", ".md", ".html"]),
)
def test_load_document_never_raises(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / f"f{suffix}", raw)
        result = load_document(path, max_bytes=LIMIT)
        if isinstance(result, Document):
            assert result.title.strip()
            assert result.text[result.body_start :].strip()
            if suffix != ".html":
                assert result.text == read_back(path, result.encoding)


# --- titles ------------------------------------------------------------------------------------


def test_plain_title_cut_at_a_word_boundary() -> None:
    line = " ".join(["diplomacy"] * 60)
    title = plain_text_title(f"\n\n  {line}  \nsecond line")
    assert title is not None and title.endswith("diplomacy…")
    assert len(title) <= 201


def test_plain_title_of_a_dateline_sentence_is_short() -> None:
    sentence = "The vice minister urged the nuclear-weapon states to re-engage in talks."
    assert plain_text_title(f"GENEVA, Feb. 26, 2024 - {sentence}\nMore.") == sentence
    long = "Seoul, September 9, 2024 — " + " ".join(f"w{i}" for i in range(30)) + "."
    assert plain_text_title(long) == " ".join(f"w{i}" for i in range(12)) + "…"
    # A dateline alone on its line: the title is the next line.
    assert plain_text_title("September 9, 2024\nTalks in Seoul\nBody.") == "Talks in Seoul"


def test_title_falls_back_to_file_stem(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "briefing-notes.html", "<p>Just a paragraph.</p>"))
    assert doc.title == "briefing-notes"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Intro line\n\n# The *Real* Title #\n\n## Sub\n", "The Real Title"),
        ("## Only a sub heading\ntext\n", "Only a sub heading"),
        ("Setext Title\n============\n\nBody.\n", "Setext Title"),
        ("```\n# not a heading\n```\n# [Linked](http://x) title\n", "Linked title"),
        ("No headings at **all**\nbody\n", "No headings at all"),
    ],
)
def test_markdown_title(text: str, title: str) -> None:
    assert markdown_title(text) == title


# --- dates -------------------------------------------------------------------------------------

SEP_9 = dt.date(2024, 9, 9)
JSON_LD = '{"@graph": [{"@type": "NewsArticle", "datePublished": "2024-09-09"}]}'


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Seoul, September 9, 2024 — South Korean Defense Minister met.", SEP_9),
        ("GENEVA, Feb. 26, 2024 - The vice minister spoke.", dt.date(2024, 2, 26)),
        ("September 9, 2024 — Talks began.", SEP_9),
        ("9 September 2024 – Talks began.", SEP_9),
        ("NEW YORK, Sept. 9, 2024 /PRNewswire/ -- The company said.", SEP_9),
        ("WASHINGTON, D.C., Sept 9th, 2024 — Officials said.", SEP_9),
        ("SEOUL (Yonhap), 9 Sep. 2024 -- Officials said.", SEP_9),
        ("Monday, September 9, 2024: talks began.", SEP_9),
        ("2024-09-09 — Talks began.", SEP_9),
        ("Headline of the day\n\nSeoul, September 9, 2024 — Body.", SEP_9),
        ("Headline\nSeptember 9, 2024\nBody text.", SEP_9),
        ("Headline\nPublished: 2024-09-09\nBody text.", SEP_9),
        ("**SEOUL, Sept. 9, 2024** — Body.", SEP_9),
        # never guessed:
        ("Vice Minister Kang attended the CD in Geneva on February 26 and spoke.", None),
        ("SEOUL, Sept. 9 (Yonhap) -- No year in this dateline.", None),
        ("The talks of September 9, 2024 — a turning point.", None),
        ("Seoul, February 30, 2024 — Not a real day.", None),
        ("One\nTwo\nThree\nSeoul, September 9, 2024 — too far down.", None),
        ("Talks ended.\nThe next round is on September 9, 2024.", None),
        ("Seoul, 09/10/2024 — ambiguous.", None),
    ],
)
def test_date_from_dateline(text: str, date: dt.date | None) -> None:
    assert date_from_dateline(text) == date


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2024-09-09", SEP_9),
        ("2024-09-09T23:30:00-05:00", SEP_9),  # the date as written, not moved to UTC
        ('"2024-09-09 10:00"', SEP_9),
        ("2024/9/9", SEP_9),
        ("20240909", SEP_9),
        ("Mon, 09 Sep 2024 08:00:00 GMT", SEP_9),
        ("September 9, 2024", SEP_9),
        ("9 Sept. 2024", SEP_9),
        ("09/10/2024", None),
        ("2024-09", None),
        ("September 2024", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(value: str, date: dt.date | None) -> None:
    assert parse_date(value) == date


def test_txt_dateline_gives_published(tmp_path: Path) -> None:
    path = write(tmp_path / "d.txt", "GENEVA, Feb. 26, 2024 - The vice minister spoke.")
    assert load(path).published == dt.date(2024, 2, 26)


# --- Markdown front matter ---------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path) -> None:
    content = (
        "---\r\n"
        'title: "Seoul Defense Dialogue opens"\r\n'
        "date: 2024-09-10  # local time\r\n"
        "source: Korea Herald\r\n"
        "tags:\r\n"
        "  - defense\r\n"
        "---\r\n"
        "# A different heading\r\n"
        "\r\n"
        "Military officials convened in Seoul. They called for solidarity.\r\n"
    )
    path = write(tmp_path / "sdd.md", content)
    doc = load(path)
    assert doc.kind == "md"
    assert doc.text == read_back(path) == content
    assert doc.title == "Seoul Defense Dialogue opens"
    assert doc.published == dt.date(2024, 9, 10)
    assert doc.source == "Korea Herald"
    assert doc.body_start == content.index("# A different")
    chunks = chunk_document(doc, ChunkerSettings())
    assert chunks[0].start == doc.body_start
    assert all("title:" not in c.text for c in chunks)


def test_markdown_without_front_matter_uses_heading_and_dateline(tmp_path: Path) -> None:
    content = "# Talks in Seoul\n\nSeoul, September 9, 2024 — The ministers met.\n"
    doc = load(write(tmp_path / "t.markdown", content))
    assert (doc.title, doc.published, doc.body_start) == ("Talks in Seoul", SEP_9, 0)


def test_a_leading_rule_is_not_front_matter() -> None:
    text = "---\nThis is a paragraph, not YAML.\n---\nMore."
    assert parse_front_matter(text) == ({}, 0)
    assert parse_front_matter("---\ntitle: x\nno closing line\n") == ({}, 0)
    fields, start = parse_front_matter("---\nTitle: x\npublished: '2024-09-09'\n...\nBody")
    assert fields == {"title": "x", "published": "2024-09-09"}
    assert start == len("---\nTitle: x\npublished: '2024-09-09'\n...\n")


# --- HTML --------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head>
<title>Ministers meet in Seoul | Defense Daily</title>
<meta property="og:site_name" content="Defense Daily">
<meta property="article:published_time" content="2024-09-09T08:00:00+09:00">
<style>p { color: red }</style>
<script>var s = "<p>script text</p>";</script>
</head>
<body class="page has-sidebar">
<header class="site-header"><nav><ul><li><a href="/">Home</a><li>World</ul></nav></header>
<div id="cookie-banner">We use cookies. <button>Accept</button></div>
<main>
<article>
  <header><h1>Ministers   meet in Seoul</h1></header>
  <p>South Korea&#8217;s minister met his <b>Dutch</b>
     counterpart.   They agreed to cooperate.
  <p>Second paragraph&nbsp;with an &amp; sign.<br>After a break.
  <div class="share-buttons">Share on X</div>
  <ul><li>Item one<li>Item two</ul>
  <table><tr><td>A</td><td>B</td></tr><tr><td>C<td>D</table>
  <aside>Related: other news</aside>
  <section class="related-articles"><p>Other story</p></section>
  <div class="comments"><p>Nice article!</p></div>
  <div class="ad-slot">Buy now</div>
</article>
<div class="sidebar">Popular stories</div>
</main>
<noscript>Enable JavaScript</noscript>
<footer>© 2024 Defense Daily</footer>
</body></html>
"""


def test_html_main_text_without_boilerplate(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "page.html", PAGE))
    assert doc.kind == "html"
    assert doc.text.split("\n") == [
        "South Korea’s minister met his Dutch counterpart. They agreed to cooperate.",
        "Second paragraph with an & sign.",
        "After a break.",
        "Item one",
        "Item two",
        "A B",
        "C D",
    ]
    assert doc.title == "Ministers meet in Seoul"
    assert doc.source == "Defense Daily"
    assert doc.published == SEP_9
    assert doc.content_hash == hashlib.sha256(PAGE.encode()).hexdigest()
    for chunk in chunk_document(doc, ChunkerSettings(target_words=5, max_words=10)):
        assert doc.text[chunk.start : chunk.end] == chunk.text


def parse_html(html: str) -> tuple[str, str, dt.date | None, str | None]:
    parsed = HtmlLoader().parse(html, fallback_title="stem")
    return parsed.text, parsed.title, parsed.published, parsed.source


def test_html_without_article_keeps_body_minus_boilerplate() -> None:
    text, title, published, source = parse_html(
        "<body><div class='navbar'>Menu</div><h1>Big &quot;news&quot;</h1>"
        "<div>First para</div><div>Second<br/>para</div><div id='footer'>(c)</div></body>"
    )
    assert text == 'Big "news"\nFirst para\nSecond\npara'
    assert (title, published, source) == ('Big "news"', None, None)


def test_html_picks_the_largest_article() -> None:
    html = (
        "<article><p>Teaser card</p></article>"
        "<article><h1>Real headline</h1><p>The long real story text goes here.</p></article>"
    )
    text, title, _, _ = parse_html(html)
    assert text == "Real headline\nThe long real story text goes here."
    assert title == "Real headline"


def test_html_ignores_a_teaser_article_beside_the_story() -> None:
    story = " ".join(["The ministers agreed on closer defence cooperation."] * 10)
    text, *_ = parse_html(f"<div><p>{story}</p></div><article><p>Read also: x</p></article>")
    assert text == f"{story}\nRead also: x"  # the whole page, not just the teaser


def test_html_commentary_is_not_a_comment_section() -> None:
    text, *_ = parse_html("<p>Intro.</p><div class='commentary'><p>Opinion text.</p></div>")
    assert text == "Intro.\nOpinion text."


def test_html_title_preference() -> None:
    og = "<meta property='og:title' content='OG title'><title>Tag title</title><h1>H1</h1><p>x</p>"
    assert parse_html(og)[1] == "OG title"
    assert parse_html("<title>Tag title - Site</title><h1>H1</h1><p>x</p>")[1] == "Tag title - Site"
    assert parse_html("<svg><title>icon</title></svg><h1>H1 title</h1><p>x</p>")[1] == "H1 title"


@pytest.mark.parametrize(
    ("head", "date"),
    [
        ("<meta name='date' content='2024-09-09'>", SEP_9),
        ("<meta name='DC.date' content='2024-09-09'>", SEP_9),
        ("<meta name='pubdate' content='20240909'>", SEP_9),
        ("<meta itemprop='datePublished' content='2024-09-09T10:00:00Z'>", SEP_9),
        (f"<script type='application/ld+json'>{JSON_LD}</script>", SEP_9),
        ('<script type="application/ld+json">{not json</script>', None),
        ("<meta name='date' content='sometime'>", None),
        ("", None),
    ],
)
def test_html_meta_dates(head: str, date: dt.date | None) -> None:
    assert (
        parse_html(f"<html><head>{head}</head><body><p>Text on February 26.</p></body></html>")[2]
        == date
    )


def test_html_time_in_article_header_and_dateline() -> None:
    header_time = (
        "<article><header><time datetime='2024-09-09'>Sept 9</time></header><p>Text.</p></article>"
    )
    assert parse_html(header_time)[2] == SEP_9
    # A <time> in the body is an event, not the publication date.
    body_time = "<article><p>The summit on <time datetime='2024-09-09'>Sept 9</time>.</p></article>"
    assert parse_html(body_time)[2] is None
    assert parse_html("<p><time pubdate datetime='2024-09-09'>x</time></p><p>Text</p>")[2] == SEP_9
    assert parse_html("<h1>Head</h1><p>Seoul, September 9, 2024 — Text.</p>")[2] == SEP_9


def test_html_boilerplate_guess_never_empties_a_page() -> None:
    text, *_ = parse_html("<div class='menu-wrapper'><p>All the text is here.</p></div>")
    assert text == "All the text is here."


@given(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("<>/=\"' abpdivscrt!-&#;x\n[]?")), max_size=200),
        st.text(max_size=200),
    )
)
def test_html_parser_never_raises(html: str) -> None:
    text, title, _, _ = parse_html(html)
    assert title
    assert all(line == line.strip() and line for line in text.split("\n")) or text == ""


# --- the seed corpus ---------------------------------------------------------------------------


def test_corpus_000_dateline() -> None:
    doc = load(next(CORPUS.glob("000_*.txt")))
    assert doc.published == SEP_9
    assert doc.title == (
        "South Korean Defense Minister Kim Young-suk held separate meetings with his Dutch…"
    )
    assert doc.text.startswith("Seoul, September 9, 2024 —")


def test_corpus_001_has_no_dateline() -> None:
    doc = load(next(CORPUS.glob("001_*.txt")))
    assert doc.published is None  # "on February 26" has no year and is not a dateline
    assert doc.title.startswith("Vice Minister of Foreign Affairs Kang Insun attended")
    assert doc.title.endswith("…") and len(doc.title) <= 201


def test_corpus_002_starts_with_a_blank_line() -> None:
    doc = load(next(CORPUS.glob("002_*.txt")))
    assert doc.published is None
    assert doc.text.startswith("\n")
    assert doc.title.startswith("Military officials from around the world convened in Seoul")


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_corpus_text_is_the_file(path: Path) -> None:
    doc = load(path)
    assert doc.text == read_back(path)
    for chunk in chunk_document(doc, ChunkerSettings()):
        assert read_back(path)[chunk.start : chunk.end] == chunk.text
