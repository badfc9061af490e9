"""The HTTP API of ``diplorag serve``: FastAPI routes over the warm sessions of ``serve.warm``.

Every response is the pydantic model ``--json`` prints (``SearchResult``, ``Answer``,
``SaidResult``, ``SpeakersResult``, ``IndexStatus``). An error is
``{"error": message, "hint": hint, "code": exit code}`` with the CLI's message, and a status:

    400 bad option or setting (ConfigError)      404 index not found
    409 index/model mismatch                     421 this server's settings cannot answer it
    422 malformed request                        500 index corrupt, generation failed, a bug
    503 model missing or damaged, dependency missing, index busy

``POST /v1/ask`` streams server-sent events: ``evidence`` (``{"evidence": [Hit…], "reason"}``),
then one ``token`` per piece (``{"text"}``), then ``answer`` (the ``Answer``); a failure after
the stream began is an ``error`` event with the error body. ``"stream": false`` returns the
``Answer`` as JSON instead.

A request names its index with ``index`` and ``index_dir``, or — what the command line sends —
with ``settings``: its flags, ``DIPLORAG_*`` environment, config file text and working
directory, resolved here exactly as that process would (``config.settings_from_sources``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from diplorag import __version__, api
from diplorag.config import Settings, load_settings, settings_from_sources
from diplorag.errors import (
    ConfigError,
    DependencyMissingError,
    DiploragError,
    GenerationError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelChecksumError,
    ModelNotFoundError,
)
from diplorag.serve.warm import ANSWER_SETTINGS, SAID_SETTINGS, Warm
from diplorag.types import (
    Answer,
    Filters,
    Hit,
    IndexStatus,
    SaidResult,
    SearchResult,
    SpeakersResult,
)

__all__ = ["Misdirected", "create_app", "listen_socket", "run"]

log = logging.getLogger("diplorag.serve")

VERSION_HEADER = "x-diplorag-version"
# Answers queue for the model; a bound keeps waiting answers from taking every worker thread.
MAX_ASKS_IN_FLIGHT = 16
Mode = Literal["dense", "bm25", "hybrid"]


class Misdirected(ConfigError):
    """This server holds sessions built with other settings than the request's (HTTP 421)."""


STATUS: dict[type[DiploragError], int] = {
    Misdirected: 421,
    ConfigError: 400,
    IndexNotFoundError: 404,
    IndexMismatchError: 409,
    IndexBusyError: 503,
    ModelNotFoundError: 503,
    ModelChecksumError: 503,
    DependencyMissingError: 503,
    IndexCorruptError: 500,
    GenerationError: 500,
}


def status_of(exc: DiploragError) -> int:
    """The HTTP status of an error: its class's, or its nearest base class's, else 500."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(exc: DiploragError) -> dict[str, Any]:
    return {"error": exc.message, "hint": exc.hint, "code": exc.exit_code}


# -- requests -----------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sources(_Request):
    """The unresolved settings of the command line sending a request."""

    flags: dict[str, Any] = Field(default_factory=dict, description="Options given to it.")
    env: dict[str, str] = Field(default_factory=dict, description="Its DIPLORAG_* variables.")
    config: str | None = Field(None, description="The text of its config file, if it has one.")
    config_name: str = Field("diplorag.toml", description="That file's name, for messages.")
    cwd: str = Field(description="Its working directory (relative paths are read from it).")


class _Selection(_Request):
    index: str | None = Field(None, description="Index name (default: the server's).")
    index_dir: str | None = Field(None, description="Folder of indexes (default: the server's).")
    settings: Sources | None = Field(
        None, description="A command line's settings, resolved as it would (instead of index)."
    )
    since: str | None = Field(None, description="Only documents published on or after (ISO).")
    until: str | None = Field(None, description="Only documents published on or before (ISO).")
    source: str | None = Field(None, description="Glob on a document's path or source.")


class SearchRequest(_Selection):
    query: str
    k: int | None = Field(None, ge=1, le=100, description="Passages (default: top_k).")
    mode: Mode | None = Field(None, description="Retrieval mode (default: mode).")


class AskRequest(_Selection):
    question: str
    k: int | None = Field(None, ge=1, le=20, description="Evidence sentences (ask_passages).")
    mode: Mode | None = None
    conversation: str | None = Field(
        None, description="A chat's key: follow-ups are read against its earlier turns."
    )
    stream: bool = Field(True, description="Server-sent events; false: the Answer as JSON.")


class Evidence(BaseModel):
    """The data of an ``evidence`` event."""

    evidence: list[Hit]
    reason: str | None = None


class ErrorBody(BaseModel):
    error: str
    hint: str | None = None
    code: int


def _day(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag}: {value!r} is not a date like 2024-09-30") from None


def _filters(request: _Selection) -> Filters:
    return Filters(
        since=_day(request.since, "--since"),
        until=_day(request.until, "--until"),
        source=request.source,
    )


# -- the app ------------------------------------------------------------------------------------


class _VersionHeader:
    """Pure ASGI middleware (streams untouched) marking every response as diplorag's."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        async def marked(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (VERSION_HEADER.encode(), __version__.encode())
                )
            await send(message)

        await self.app(scope, receive, marked)


class _ClientGone(KeyboardInterrupt):
    """Raised into a generating answer whose client went away: it stops as if interrupted."""


def create_app(settings: Settings, flags: dict[str, Any] | None = None) -> FastAPI:
    """The API over the indexes of ``settings``.

    Args:
        settings: The server's own settings (its default index, model and answer policy).
        flags: The options ``settings`` were built from, applied again when a request names
            another index (``load_settings(**flags, index=…)``).
    """
    flags = dict(flags or {})
    warm = Warm(settings)
    asks = anyio.CapacityLimiter(MAX_ASKS_IN_FLIGHT)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm_up, args=(warm, settings), daemon=True).start()
        yield
        warm.close()

    app = FastAPI(
        title="diplorag",
        version=__version__,
        summary="Offline semantic search and cited answers over news articles.",
        lifespan=lifespan,
        responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    )
    app.add_middleware(_VersionHeader)
    app.state.warm = warm

    @app.exception_handler(DiploragError)
    async def diplorag_error(request: Request, exc: DiploragError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        body = _internal(exc)
        return JSONResponse(body, status_code=body.pop("status"))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        body = {
            "error": f"invalid request {where}: {first.get('msg', 'malformed')}",
            "hint": "the request schemas are in /openapi.json",
            "code": ConfigError.exit_code,
        }
        return JSONResponse(body, status_code=422)

    def resolve(request: _Selection) -> Settings:
        """The settings the request's sender would use."""
        given = {"index": request.index, "index_dir": request.index_dir}
        named = {k: v for k, v in given.items() if v is not None}
        if request.settings is not None:
            s = request.settings
            return settings_from_sources(
                {**s.flags, **named},
                s.env,
                s.config,
                config_name=s.config_name,
                cwd=Path(s.cwd),
            )
        return load_settings(**{**flags, **named})

    def refuse_other(asked: Settings, names: tuple[str, ...]) -> None:
        differ = warm.differences(asked, names)
        if differ:
            raise Misdirected(
                "this server answers with other settings: " + ", ".join(differ),
                hint="use the server's settings, restart it with yours, or pass --no-server",
            )

    @app.get("/healthz", summary="Liveness: the server answers")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "pid": os.getpid()}

    @app.post("/v1/search", summary="Rank passages (diplorag search --json)")
    async def search(request: SearchRequest) -> SearchResult:
        def work() -> SearchResult:
            asked = resolve(request)
            filters = _filters(request)
            with warm.session(asked) as session, warm.compute:
                api.check_embedding_model(asked, session.manifest)
                hits = session.search(
                    request.query, k=request.k, mode=request.mode, filters=filters
                )
            return SearchResult(
                query=request.query,
                index=asked.index,
                mode=request.mode or asked.mode,
                k=request.k or asked.top_k,
                hits=hits,
            )

        return await anyio.to_thread.run_sync(work)

    @app.get("/v1/said", summary="A person's statements (diplorag said --json)")
    async def said(
        person: str,
        about: str | None = None,
        k: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        index: str | None = None,
        index_dir: str | None = None,
    ) -> SaidResult:
        request = _Selection(
            index=index, index_dir=index_dir, since=since, until=until, source=source
        )

        def work() -> SaidResult:
            asked = resolve(request)
            refuse_other(asked, SAID_SETTINGS)
            filters = _filters(request)
            with warm.session(asked) as session, warm.compute:
                return session.said(person, about=about, k=k, filters=filters)

        return await anyio.to_thread.run_sync(work)

    @app.get("/v1/speakers", summary="Who the documents quote (diplorag speakers --json)")
    async def speakers(
        query: str | None = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        index: str | None = None,
        index_dir: str | None = None,
    ) -> SpeakersResult:
        request = _Selection(
            index=index, index_dir=index_dir, since=since, until=until, source=source
        )

        def work() -> SpeakersResult:
            asked = resolve(request)
            filters = _filters(request)
            with warm.session(asked) as session, warm.compute:
                result = session.speakers(query, filters=filters)
            if limit is not None:
                result.speakers = result.speakers[:limit]
            return result

        return await anyio.to_thread.run_sync(work)

    @app.get("/v1/status", summary="The built indexes, their files checked (diplorag status)")
    async def status(index: str | None = None, index_dir: str | None = None) -> list[IndexStatus]:
        request = _Selection(index=index, index_dir=index_dir)

        def work() -> list[IndexStatus]:
            return api.status(resolve(request), all_indexes=index is None)

        return await anyio.to_thread.run_sync(work)

    @app.post(
        "/v1/ask",
        summary="Answer a question with verified citations (diplorag ask)",
        response_model=Answer,
        responses={
            200: {
                "description": "Server-sent events evidence, token…, answer (or error); with "
                '"stream": false the Answer as JSON.',
                "content": {"text/event-stream": {}},
            },
            421: {"model": ErrorBody},
            500: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
    )
    async def ask(request: Annotated[AskRequest, Body()]) -> Any:
        def prepare() -> tuple[Settings, Filters]:
            asked = resolve(request)
            refuse_other(asked, ANSWER_SETTINGS)
            return asked, _filters(request)

        asked, filters = await anyio.to_thread.run_sync(prepare)
        if not request.stream:
            answer = await anyio.to_thread.run_sync(
                lambda: _answer(warm, asked, request, filters, None, None), limiter=asks
            )
            return answer
        return await _stream_answer(warm, asked, request, filters, asks)

    return app


def _warm_up(warm: Warm, settings: Settings) -> None:
    """Open the server's own index before the first request needs it (when it exists)."""
    try:
        with warm.session(settings):
            pass
    except DiploragError as exc:
        log.warning("index %s not loaded: %s", settings.index_path, exc)


def _answer(
    warm: Warm,
    asked: Settings,
    request: AskRequest,
    filters: Filters,
    on_evidence: Callable[[list[Hit], str | None], None] | None,
    on_token: Callable[[str], None] | None,
) -> Answer:
    with warm.session(asked) as session, warm.compute:
        api.check_embedding_model(asked, session.manifest)
        conversation = warm.conversation(request.conversation) if request.conversation else None
        return session.ask(
            request.question,
            k=request.k or asked.ask_passages,
            mode=request.mode or asked.mode,
            filters=filters,
            conversation=conversation,
            on_evidence=on_evidence,
            on_token=on_token,
        )


Event = tuple[str, str] | None
_running: set[asyncio.Future[None]] = set()


async def _stream_answer(
    warm: Warm,
    asked: Settings,
    request: AskRequest,
    filters: Filters,
    limiter: anyio.CapacityLimiter,
) -> EventSourceResponse | JSONResponse:
    """Run the answer in a worker thread and relay what it reports as server-sent events.

    A failure before the first event (the index cannot be opened) is a plain JSON error with
    its status; once the stream has begun it is an ``error`` event.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event] = asyncio.Queue()
    gone = threading.Event()

    def emit(item: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def on_evidence(hits: list[Hit], reason: str | None) -> None:
        emit(("evidence", Evidence(evidence=hits, reason=reason).model_dump_json()))

    def on_token(piece: str) -> None:
        if gone.is_set():
            raise _ClientGone
        emit(("token", json.dumps({"text": piece}, ensure_ascii=False)))

    def work() -> None:
        try:
            answer = _answer(warm, asked, request, filters, on_evidence, on_token)
            emit(("answer", answer.model_dump_json()))
        except _ClientGone:
            pass
        except DiploragError as exc:
            emit(("error", json.dumps({**error_body(exc), "status": status_of(exc)})))
        except Exception as exc:
            log.exception("answering %r failed", request.question)
            emit(("error", json.dumps(_internal(exc))))
        finally:
            emit(None)

    worker = asyncio.ensure_future(anyio.to_thread.run_sync(work, limiter=limiter))
    _running.add(worker)  # a task nothing refers to may be collected mid-answer
    worker.add_done_callback(_running.discard)
    first = await queue.get()
    if first is not None and first[0] == "error":
        body = json.loads(first[1])
        await worker
        return JSONResponse(
            {k: body[k] for k in ("error", "hint", "code")}, status_code=body["status"]
        )

    async def events() -> AsyncIterator[ServerSentEvent]:
        item = first
        try:
            while item is not None:
                event, data = item
                if event == "error":
                    data = json.dumps({k: v for k, v in json.loads(data).items() if k != "status"})
                yield ServerSentEvent(data=data, event=event)
                # Let the loop run between events: a client gone is noticed (and what is left
                # dropped) instead of a burst of tokens written into a closed socket.
                await asyncio.sleep(0)
                item = await queue.get()
        finally:
            gone.set()

    return EventSourceResponse(events(), ping=15)


def _internal(exc: Exception) -> dict[str, Any]:
    return {
        "error": f"internal error: {type(exc).__name__}: {exc}",
        "hint": "a bug: the server's log has the traceback",
        "code": DiploragError.exit_code,
        "status": 500,
    }


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: any free one), for ``run``.

    Raises:
        ConfigError: the address cannot be listened on (in use, not this machine's).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        # Listening from now: a client that connects before uvicorn has started waits in the
        # backlog instead of being refused (and falling back in-process).
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {(exc.strerror or str(exc)).lower()}",
            hint="choose another --port (0: any free one), or stop what holds it",
        ) from None
    return sock


def run(settings: Settings, flags: dict[str, Any], sock: socket.socket) -> None:
    """Serve ``create_app(settings, flags)`` on ``sock`` until SIGINT or SIGTERM."""
    import uvicorn

    config = uvicorn.Config(
        create_app(settings, flags),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])
