"""How ``search``, ``ask`` and ``chat`` reach a running ``diplorag serve``, or do without one.

With a server running, ``diplorag search`` must cost less than importing pydantic does
(0.2 s), so this module imports only the standard library (a few lines of HTTP over a socket:
``http.client`` alone costs 20 ms) and resolves no settings. A request carries the command's
flags, its ``DIPLORAG_*`` environment, the text of its config file and its working directory;
the server resolves them as ``load_settings`` would here (``config.settings_from_sources``).
Answers come back as ``Record``s, read by the renderer like the pydantic models they were
dumped from.

When nothing answers at the server's address (refused, or no connection within 50 ms), or a
server holds other settings than the command's, the work is done in-process with
``diplorag.api``, silently. A server that answers with an error is reported like the CLI's
own errors (the same message, hint and exit code).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diplorag.errors import ConfigError, DiploragError

if TYPE_CHECKING:
    from diplorag.answer.conversation import Conversation
    from diplorag.api import Session
    from diplorag.config import Settings
    from diplorag.types import Filters, Manifest

__all__ = ["Command", "Record", "RemoteSession", "Server", "find_server", "search", "session"]

DEFAULT_URL = "http://127.0.0.1:8765"  # config.DEFAULT_SERVER_URL (a test keeps them equal)
NO_SERVER = "none"
CONNECT_TIMEOUT_S = 0.05
READ_TIMEOUT_S = 600.0
VERSION_HEADER = "x-diplorag-version"
_DATES = frozenset({"published", "first_date", "last_date"})


class _Unreachable(Exception):
    """Nothing answered at the server's address."""


def _exception_for(body: Any) -> DiploragError:
    """The error a server's JSON error body stands for, of the class its exit code names."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return DiploragError(f"the server answered with an error it did not describe: {body!r}")
    code = body.get("code")
    classes: dict[int, type[DiploragError]] = {}
    todo: list[type[DiploragError]] = [DiploragError]
    while todo:
        cls = todo.pop(0)
        classes.setdefault(cls.exit_code, cls)
        todo += cls.__subclasses__()
    cls = classes.get(code, DiploragError) if isinstance(code, int) else DiploragError
    hint = body.get("hint")
    return cls(body["error"], hint=hint if isinstance(hint, str) else None)


# -- the server's address -----------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A ``diplorag serve`` address.

    Attributes:
        named: Given by ``--server``, ``DIPLORAG_SERVER_URL`` or the config file, not the
            default: a server there that cannot answer (other settings, not diplorag) is an
            error instead of a silent fallback. Nothing answering is a fallback either way.
    """

    url: str
    host: str
    port: int
    prefix: str = ""
    named: bool = False

    @classmethod
    def parse(cls, url: str, *, named: bool = False) -> Server:
        """``http://HOST[:PORT][/PREFIX]``.

        Raises:
            ConfigError: not such a URL.
        """
        rest = url.strip()
        if not rest.lower().startswith("http://"):
            raise ConfigError(
                f"invalid server URL {url!r}: only http:// is served",
                hint=f"like {DEFAULT_URL} (diplorag serve prints its URL)",
            )
        rest = rest[len("http://") :]
        address, slash, path = rest.partition("/")
        if address.startswith("["):  # [::1]:8765
            host, _, port = address[1:].partition("]")
            port = port.removeprefix(":")
        else:
            host, _, port = address.partition(":")
        if not host or (port and not port.isdigit()) or int(port or 80) > 65535:
            raise ConfigError(f"invalid server URL {url!r}", hint=f"like {DEFAULT_URL}")
        prefix = ("/" + path).rstrip("/") if slash else ""
        return cls(url=url, host=host, port=int(port or 80), prefix=prefix, named=named)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any | None:
        """The JSON the server answers with, or ``None`` when the work is to be done here.

        Raises:
            DiploragError: the server answered with an error (its class, message and hint).
        """
        try:
            response = _Response.send(self, method, path, body)
        except _Unreachable:
            return None
        with response:
            return self._accepted(response, response.json())

    def events(self, path: str, body: dict[str, Any]) -> Iterator[tuple[str, Any]] | None:
        """The server-sent events of a POST, or ``None`` when the work is to be done here.

        Raises:
            DiploragError: the server refused the request (before any event).
        """
        try:
            response = _Response.send(self, "POST", path, body)
        except _Unreachable:
            return None
        if response.status == 200 and response.is_event_stream:
            return response.events()
        with response:
            return self._accepted(response, response.json())

    def _accepted(self, response: _Response, data: Any) -> Any | None:
        if not response.from_diplorag:
            if self.named:
                raise ConfigError(
                    f"what answers at {self.url} is not diplorag (HTTP {response.status})",
                    hint="start one with: diplorag serve, or pass --no-server",
                )
            return None
        if response.status == 200:
            return data
        if response.status == 421 and not self.named:
            return None
        raise _exception_for(data)


def _configured_url() -> str | None:
    """``server_url`` of the config file, if it sets one (as ``load_settings`` reads it)."""
    path = os.environ.get("DIPLORAG_CONFIG", "diplorag.toml")
    if not os.path.isfile(path):
        return None
    import tomllib

    try:
        with open(path, "rb") as f:
            value = tomllib.load(f).get("server_url")
    except (OSError, ValueError):
        return None  # the in-process path reports a malformed file
    return value if isinstance(value, str) else None


def find_server(flag: str | None, *, no_server: bool = False) -> Server | None:
    """Where to look for a server: ``--server``, ``DIPLORAG_SERVER_URL``, the config file's
    ``server_url``, the default; ``None`` with ``--no-server`` or a URL of ``none``.

    Raises:
        ConfigError: the URL is malformed.
    """
    if no_server:
        return None
    url = flag or os.environ.get("DIPLORAG_SERVER_URL") or _configured_url() or DEFAULT_URL
    if url.strip().lower() == NO_SERVER:
        return None
    return Server.parse(url, named=flag is not None or url != DEFAULT_URL)


# -- HTTP/1.1 over a socket ---------------------------------------------------------------------


class _Response:
    """A response being read: status, headers, then a JSON body or server-sent events."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._file = sock.makefile("rb")
        status = self._file.readline()
        if not status:
            raise _Unreachable  # accepted, then closed without a word: a server shutting down
        parts = status.split(None, 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.headers: dict[str, str] = {}
        while (line := self._file.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            self.headers[name.strip().lower()] = value.strip()

    @classmethod
    def send(cls, server: Server, method: str, path: str, body: dict[str, Any] | None) -> _Response:
        try:
            sock = socket.create_connection((server.host, server.port), CONNECT_TIMEOUT_S)
        except OSError:
            raise _Unreachable from None
        try:
            sock.settimeout(READ_TIMEOUT_S)
            payload = json.dumps(body).encode() if body is not None else b""
            head = (
                f"{method} {server.prefix}{path} HTTP/1.1\r\n"
                f"Host: {server.host}:{server.port}\r\n"
                "Connection: close\r\n"
                "Accept: application/json, text/event-stream\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n"
            )
            sock.sendall(head.encode("latin-1") + payload)
            return cls(sock)
        except (ConnectionError, _Unreachable):
            sock.close()
            raise _Unreachable from None
        except OSError as exc:
            sock.close()
            raise DiploragError(
                f"the server at {server.url} did not answer: {exc}", hint="pass --no-server"
            ) from None

    @property
    def from_diplorag(self) -> bool:
        return VERSION_HEADER in self.headers

    @property
    def is_event_stream(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/event-stream")

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def _chunks(self) -> Iterator[bytes]:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._file.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return
                yield self._file.read(size)
                self._file.readline()
        elif "content-length" in self.headers:
            yield self._file.read(int(self.headers["content-length"]))
        else:
            while block := self._file.read1(65536):
                yield block

    def json(self) -> Any:
        raw = b"".join(self._chunks())
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def events(self) -> Iterator[tuple[str, Any]]:
        """``(event, data)`` pairs, data parsed as JSON; the connection closes at the end."""
        try:
            pending = b""
            event, data = "message", []  # type: tuple[str, list[str]]
            for chunk in self._chunks():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.rstrip(b"\r").decode("utf-8")
                    if not line:
                        if data:
                            yield event, json.loads("\n".join(data))
                        event, data = "message", []
                    elif line.startswith(":"):
                        continue  # a keep-alive comment
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            event = value
                        elif name == "data":
                            data.append(value)
        finally:
            self.close()


# -- results ------------------------------------------------------------------------------------


def _read(name: str, value: Any) -> Any:
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_read(name, v) for v in value]
    if name in _DATES and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class Record:
    """A JSON object from the server, read like the pydantic model it was dumped from.

    ``record.hits[0].published`` is a ``date`` as on a ``Hit``; ``model_dump()`` gives back
    the JSON, which is what ``model_dump(mode="json")`` of that model is.
    """

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _read(name, self._data[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return _read(key, self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return _read(key, self._data[key]) if key in self._data else default

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        return self._data


# -- commands -----------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


@dataclass
class Command:
    """One command's way to its answer: a server, or its own settings in-process.

    Args:
        flags: The options given on the command line (``None``: not given).
        load: Builds the command's settings (``load_settings``), for in-process work only.
        server: Where to ask first (``find_server``); ``None``: in-process only.
    """

    flags: dict[str, Any]
    load: Callable[[], Settings]
    server: Server | None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self.load()
        return self._settings

    def sources(self) -> dict[str, Any]:
        """The command's settings unresolved: what a server needs to resolve them as we would."""
        name = os.environ.get("DIPLORAG_CONFIG", "diplorag.toml")
        config = None
        if os.path.isfile(name):
            try:
                with open(name, encoding="utf-8") as f:
                    config = f.read()
            except (OSError, UnicodeDecodeError):
                config = None  # the server then reads no file; in-process reports it
        return {
            "flags": {k: _jsonable(v) for k, v in self.flags.items() if v is not None},
            "env": {k: v for k, v in os.environ.items() if k.upper().startswith("DIPLORAG_")},
            "config": config,
            "config_name": name,
            "cwd": os.getcwd(),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def search(
    query: str,
    command: Command,
    *,
    k: int | None = None,
    mode: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: str | None = None,
) -> Any:
    """``api.search`` through the server, else in-process: a ``Record`` or a ``SearchResult``.

    Raises:
        DiploragError: as ``api.search``, or the server's error.
    """
    if command.server is not None:
        body = {
            "query": query,
            "k": k,
            "mode": mode,
            "since": _iso(since),
            "until": _iso(until),
            "source": source,
            "settings": command.sources(),
        }
        found = command.server.call("POST", "/v1/search", body)
        if found is not None:
            return Record(found)
    from diplorag import api
    from diplorag.types import Filters

    settings = command.settings()
    filters = Filters(since=since, until=until, source=source)
    return api.search(query, settings, k=k, mode=mode, filters=filters)  # type: ignore[arg-type]


class RemoteSession:
    """``api.Session.ask`` (and ``manifest``) through a server; in-process once none answers.

    A chat's ``Conversation`` stays on the server, named by its ``key``.
    """

    def __init__(self, command: Command) -> None:
        self._command = command
        self._local: Session | None = None

    def _fallback(self) -> Session:
        if self._local is None:
            from diplorag.api import Session

            self._local = Session(self._command.settings())
        return self._local

    @property
    def manifest(self) -> Manifest:
        """The manifest of the index's live generation (read here: a small JSON file)."""
        if self._local is not None:
            return self._local.manifest
        from diplorag.index.layout import open_index

        handle = open_index(self._command.settings().index_path)
        try:
            return handle.manifest
        finally:
            handle.close()

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str | None = None,
        filters: Filters | None = None,
        conversation: Conversation | None = None,
        on_evidence: Callable[[list[Any], str | None], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Any:
        """Like ``api.Session.ask``; the answer and its evidence are ``Record``s."""
        server = self._command.server
        if self._local is None and server is not None:
            body = {
                "question": question,
                "k": k,
                "mode": mode,
                "since": _iso(filters.since) if filters else None,
                "until": _iso(filters.until) if filters else None,
                "source": filters.source if filters else None,
                "conversation": conversation.key if conversation is not None else None,
                "settings": self._command.sources(),
            }
            events = server.events("/v1/ask", body)
            if events is not None:
                return _relay(events, on_evidence, on_token)
        return self._fallback().ask(
            question,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            filters=filters,
            conversation=conversation,
            on_evidence=on_evidence,
            on_token=on_token,
        )

    def close(self) -> None:
        if self._local is not None:
            self._local.close()


def _relay(
    events: Iterator[tuple[str, Any]],
    on_evidence: Callable[[list[Any], str | None], None] | None,
    on_token: Callable[[str], None] | None,
) -> Record:
    answer = None
    try:
        for event, data in events:
            if event == "evidence" and on_evidence is not None:
                on_evidence([Record(h) for h in data["evidence"]], data["reason"])
            elif event == "token" and on_token is not None:
                on_token(data["text"])
            elif event == "answer":
                answer = Record(data)
            elif event == "error":
                raise _exception_for(data)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # on Ctrl-C too: the server sees the client go and stops generating
    if answer is None:
        raise DiploragError("the server stopped before it answered", hint="pass --no-server")
    return answer


@contextlib.contextmanager
def session(command: Command) -> Iterator[Any]:
    """An ``api.Session``, or a ``RemoteSession`` when there is a server to try."""
    if command.server is None:
        from diplorag.api import Session

        with Session(command.settings()) as local:
            yield local
        return
    remote = RemoteSession(command)
    try:
        yield remote
    finally:
        remote.close()
