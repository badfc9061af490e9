"""``diplorag serve`` as a real process on a free loopback port, talked to with httpx.

The servers answer over small indexes built with the ``hash-64`` embedder; their language
model is a scripted fake chosen by setting (``fake``, ``fake-fail``, ``fake-gate:PATH``). No
test asserts on time: waits are bounded only so that a broken server fails instead of hanging.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from diplorag import api
from diplorag.config import DEFAULT_SERVER_URL, Settings, load_settings, settings_from_sources
from diplorag.errors import (
    ConfigError,
    DiploragError,
    GenerationError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelNotFoundError,
)
from diplorag.serve import client
from diplorag.types import Answer, Hit, IndexStatus, SaidResult, SearchResult

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
KANG = "What did Kang say about New START?"
BOUND_S = 120  # how long a broken server may take to show it is broken


def _env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a server or a command: no DIPLORAG_* of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLORAG_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        DIPLORAG_CONFIG=str(home / "no-such.toml"),
        DIPLORAG_MODELS_DIR=str(REPO / "models"),
        DIPLORAG_SERVER_URL="none",
        HF_HUB_OFFLINE="1",
    )
    env.update(extra)
    return env


def _diplorag(*args: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "diplorag", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )


def _ingest(corpus: Path, index_dir: Path, home: Path) -> None:
    done = _diplorag(
        "ingest",
        str(corpus),
        "--index-dir",
        str(index_dir),
        "--embedding-model",
        "hash-64",
        "-q",
        env=_env(home),
        cwd=home,
    )
    assert done.returncode == 0, done.stderr


@dataclass
class Server:
    url: str
    index_dir: Path
    home: Path
    proc: subprocess.Popen[bytes]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=BOUND_S)

    def cli(self, *args: str, stdin: str | None = None) -> Any:
        """A command line, as a user types it, in a folder of its own with the server's indexes."""
        env = _env(self.home, DIPLORAG_INDEX_DIR=str(self.index_dir))
        return _diplorag(*args, env=env, cwd=self.home, stdin=stdin)


def _start(index_dir: Path, home: Path, model: str) -> Server:
    log = open(home / "server.log", "wb")  # noqa: SIM115 - the server has its own copy
    args = ["serve", "--port", "0", "--index-dir", str(index_dir), "--model", model]
    proc = subprocess.Popen(
        [sys.executable, "-m", "diplorag", *args],
        env=_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,  # a Ctrl-C at the terminal is for pytest, not for the server
    )
    log.close()
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], BOUND_S)
    first = proc.stdout.readline().decode() if ready else ""
    found = re.search(r"http://\S+", first)
    if found is None:
        _stop(proc)
        raise AssertionError(f"no URL from serve: {first!r}\n{(home / 'server.log').read_text()}")
    server = Server(found.group(0), index_dir, home, proc)
    try:
        with server.http() as http:
            assert http.get("/healthz").status_code == 200
    except BaseException:
        _stop(proc)
        raise
    return server


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("indexes")
    _ingest(CORPUS, index_dir, tmp_path_factory.mktemp("home"))
    return index_dir


@pytest.fixture(scope="module")
def start(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Path, str], Server]]:
    """Starts servers; every one is stopped (terminate, then kill) when the module is done."""
    running: list[Server] = []

    def start_one(index_dir: Path, model: str) -> Server:
        server = _start(index_dir, tmp_path_factory.mktemp("home"), model)
        running.append(server)
        return server

    yield start_one
    for server in running:
        _stop(server.proc)


@pytest.fixture(scope="module")
def server(start: Callable[[Path, str], Server], seed_index: Path) -> Server:
    return start(seed_index, "fake")


def _settings(server: Server, **overrides: Any) -> Settings:
    return load_settings(index_dir=server.index_dir, **overrides)


def _events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    """Server-sent events as ``(event, parsed data)``."""
    event, data = "message", list[str]()
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            if name == "event":
                event = value.strip()
            elif name == "data":
                data.append(value.removeprefix(" "))


def _ask_events(http: httpx.Client, question: str) -> list[tuple[str, Any]]:
    with http.stream("POST", "/v1/ask", json={"question": question}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(_events(response))


# -- the API ------------------------------------------------------------------------------------


def test_healthz_and_the_openapi_document(server: Server) -> None:
    with server.http() as http:
        health = http.get("/healthz")
        doc = http.get("/openapi.json").json()
    assert health.json()["status"] == "ok"
    assert health.headers[client.VERSION_HEADER] == health.json()["version"]
    assert {"/v1/search", "/v1/ask", "/v1/said", "/v1/speakers", "/v1/status", "/healthz"} <= set(
        doc["paths"]
    )
    assert "SearchResult" in doc["components"]["schemas"]
    assert "Answer" in doc["components"]["schemas"]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_search_is_what_api_search_returns(server: Server, mode: str) -> None:
    body = {
        "query": "New START suspension",
        "k": 3,
        "mode": mode,
        "index_dir": str(server.index_dir),
    }
    with server.http() as http:
        response = http.post("/v1/search", json=body)
    assert response.status_code == 200
    expected = api.search("New START suspension", _settings(server), k=3, mode=mode)  # type: ignore[arg-type]
    assert SearchResult.model_validate(response.json()) == expected
    assert expected.hits


def test_said_speakers_and_status_are_what_the_api_returns(server: Server) -> None:
    where = {"index_dir": str(server.index_dir)}
    with server.http() as http:
        said = http.get("/v1/said", params={"person": "Kang", "about": "New START", **where})
        speakers = http.get("/v1/speakers", params=where)
        status = http.get("/v1/status", params={"index": "default", **where})
    settings = _settings(server)
    expected_said = api.said("Kang", settings, about="New START")
    assert SaidResult.model_validate(said.json()) == expected_said
    assert expected_said.statements
    assert speakers.json() == api.speakers(settings).model_dump(mode="json")
    [row] = status.json()
    assert IndexStatus.model_validate(row) == api.status(settings, all_indexes=False)[0]


def test_ask_streams_evidence_then_tokens_then_the_verified_answer(server: Server) -> None:
    with server.http() as http:
        events = _ask_events(http, KANG)
    names = [name for name, _ in events]
    assert names[0] == "evidence"
    assert names[-1] == "answer"
    assert set(names[1:-1]) == {"token"} and len(names) > 5
    answer = Answer.model_validate(events[-1][1])
    assert answer.outcome == "answered" and answer.model == "fake"
    assert [s.status for s in answer.sentences] == ["verified"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert "New Strategic Arms Reduction Treaty" in streamed
    evidence = [Hit.model_validate(h) for h in events[0][1]["evidence"]]
    assert evidence == answer.evidence
    assert events[0][1]["reason"] is None


def test_ask_without_streaming_is_the_answer_as_json(server: Server) -> None:
    with server.http() as http:
        response = http.post("/v1/ask", json={"question": KANG, "stream": False})
    assert response.status_code == 200
    answer = Answer.model_validate(response.json())
    assert answer.outcome == "answered"
    assert "New START" in answer.answer


def test_a_chat_keeps_its_conversation_on_the_server(server: Server) -> None:
    with server.http() as http:
        first = http.post(
            "/v1/ask", json={"question": KANG, "conversation": "c1", "stream": False}
        ).json()
        follow = http.post(
            "/v1/ask",
            json={"question": "And what about the DPRK?", "conversation": "c1", "stream": False},
        ).json()
        fresh = http.post(
            "/v1/ask",
            json={"question": "And what about the DPRK?", "conversation": "c2", "stream": False},
        ).json()
    assert first["speaker"] == "Kang Insun"
    assert follow["speaker"] == "Kang Insun"  # inherited from the previous turn of c1
    assert fresh["speaker"] is None  # c2 has no previous turn


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"query": ""}, 400, 2, "the query is empty"),
        (
            {"query": "x", "since": "2024-09-02", "until": "2024-09-01"},
            400,
            2,
            "--since 2024-09-02 is after --until 2024-09-01",
        ),
        ({"query": "x", "source": "[abc"}, 400, 2, "invalid --source pattern '[abc'"),
        ({"query": "x", "since": "yesterday"}, 400, 2, "'yesterday' is not a date"),
        ({"query": "x", "k": 0}, 422, 2, "invalid request k"),
        ({"query": "x", "mode": "fuzzy"}, 422, 2, "invalid request mode"),
        ({"query": "x", "index": "../etc"}, 400, 2, "must be a plain name"),
        ({"query": "x", "index": "nope"}, 404, 3, "no index 'nope'"),
        ({"k": 3}, 422, 2, "invalid request query"),
    ],
)
def test_bad_requests_are_json_errors_with_the_cli_message(
    server: Server, body: dict[str, Any], status: int, code: int, message: str
) -> None:
    with server.http() as http:
        response = http.post("/v1/search", json={"index_dir": str(server.index_dir), **body})
    assert response.status_code == status
    error = response.json()
    assert error["code"] == code
    assert message in error["error"]
    assert set(error) == {"error", "hint", "code"}


def test_unknown_index_is_404_with_the_ingest_hint(server: Server) -> None:
    with server.http() as http:
        response = http.get(
            "/v1/speakers", params={"index": "news", "index_dir": str(server.index_dir)}
        )
    assert response.status_code == 404
    assert response.json()["hint"] == "build it with: diplorag ingest corpus/ --index news"


def test_errors_map_to_statuses() -> None:
    from diplorag.serve.app import Misdirected, status_of

    assert status_of(ConfigError("x")) == 400
    assert status_of(IndexNotFoundError("x")) == 404
    assert status_of(IndexMismatchError("x")) == 409
    assert status_of(Misdirected("x")) == 421
    assert status_of(IndexCorruptError("x")) == 500
    assert status_of(GenerationError("x")) == 500
    assert status_of(ModelNotFoundError("x")) == 503
    assert status_of(DiploragError("x")) == 500


def test_a_model_failure_is_a_5xx_or_an_error_event(
    start: Callable[[Path, str], Server], seed_index: Path
) -> None:
    failing = start(seed_index, "fake-fail")
    with failing.http() as http:
        response = http.post("/v1/ask", json={"question": KANG, "stream": False})
        events = _ask_events(http, KANG)
        searched = http.post("/v1/search", json={"query": "New START"})
    assert response.status_code == 500
    assert response.json()["code"] == GenerationError.exit_code
    assert "fake model failed" in response.json()["error"]
    assert [name for name, _ in events] == ["evidence", "error"]
    assert events[1][1]["code"] == GenerationError.exit_code
    assert searched.status_code == 200  # the server goes on


def test_settings_the_server_does_not_hold_are_421(server: Server) -> None:
    body = {
        "question": KANG,
        "stream": False,
        "settings": client.Command({"llm": "qwen2.5-coder-1.5b"}, Settings, None).sources(),
    }
    with server.http() as http:
        response = http.post("/v1/ask", json=body)
    assert response.status_code == 421
    assert "llm=fake (asked: qwen2.5-coder-1.5b)" in response.json()["error"]
    # Found at the default address, such a server is passed over; named, it is an error.
    host, port = server.url.removeprefix("http://").split(":")
    assert client.Server(server.url, host, int(port)).call("POST", "/v1/ask", body) is None
    with pytest.raises(ConfigError, match="other settings"):
        client.Server(server.url, host, int(port), named=True).call("POST", "/v1/ask", body)


def test_searches_and_evidence_go_on_while_an_answer_is_generated(
    start: Callable[[Path, str], Server], seed_index: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"  # the fake model holds its stream after one piece until this exists
    gated = start(seed_index, f"fake-gate:{gate}")
    order: list[str] = []
    first_token, second_evidence = threading.Event(), threading.Event()
    streams: dict[str, list[str]] = {}

    def ask(name: str, seen: threading.Event, when: str) -> None:
        names = []
        with gated.http() as http, http.stream("POST", "/v1/ask", json={"question": KANG}) as r:
            for event, _ in _events(r):  # as they come
                names.append(event)
                if event == when:
                    seen.set()
                if event == "answer":
                    order.append(f"{name} answered")
            streams[name] = names

    first = threading.Thread(target=ask, args=("first", first_token, "token"))
    first.start()
    assert first_token.wait(BOUND_S)
    # The first answer holds the model now: searches must still be answered, all of them.
    body = {"query": "New START", "k": 2, "index_dir": str(seed_index)}
    with gated.http() as http, ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda _: http.post("/v1/search", json=body), range(16)))
    assert [r.status_code for r in found] == [200] * 16
    assert len({r.text for r in found}) == 1
    # A second answer gets its evidence while waiting for the model.
    second = threading.Thread(target=ask, args=("second", second_evidence, "evidence"))
    second.start()
    assert second_evidence.wait(BOUND_S)
    order.append("gate opened")
    gate.touch()
    first.join(BOUND_S)
    second.join(BOUND_S)
    assert order[0] == "gate opened"
    assert sorted(order[1:]) == ["first answered", "second answered"]
    for names in streams.values():
        assert names[0] == "evidence" and names[-1] == "answer"


def test_a_new_generation_is_served_after_an_ingest(
    start: Callable[[Path, str], Server], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("001_116f389413386f53.txt", "002_e9ee3bbb4f07c6b5.txt"):
        shutil.copy(CORPUS / name, corpus)
    index_dir = tmp_path / "indexes"
    _ingest(corpus, index_dir, tmp_path / "home")
    served = start(index_dir, "fake")
    body = {"query": "Brekelmans", "k": 3, "mode": "bm25", "index_dir": str(index_dir)}
    with served.http() as http:
        before = SearchResult.model_validate(http.post("/v1/search", json=body).json())
        shutil.copy(CORPUS / "000_6b018a2f3c46da3d.txt", corpus)
        _ingest(corpus, index_dir, tmp_path / "home")
        after = SearchResult.model_validate(http.post("/v1/search", json=body).json())
        [status] = http.get(
            "/v1/status", params={"index": "default", "index_dir": str(index_dir)}
        ).json()
    assert not any("Brekelmans" in h.text for h in before.hits)
    assert "Brekelmans" in after.hits[0].text
    settings = load_settings(index_dir=index_dir)
    assert after == api.search("Brekelmans", settings, k=3, mode="bm25")
    assert status["manifest"]["generation"] == 2


# -- the command line through the server ----------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_cli_search_through_the_server_prints_what_in_process_prints(
    server: Server, json_flag: list[str]
) -> None:
    args = ["search", "New START", "-k", "3", *json_flag]
    remote = server.cli(*args, "--server", server.url)
    local = server.cli(*args, "--no-server")
    assert remote.returncode == 0 == local.returncode, remote.stderr
    assert remote.stdout == local.stdout
    assert "New START" in remote.stdout


def test_cli_search_with_a_server_imports_nothing_heavy(server: Server) -> None:
    probe = (
        "import sys\n"
        "from diplorag.cli import main\n"
        "sys.argv = ['diplorag', 'search', 'New START', '--server', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('torch', 'sentence_transformers', 'faiss', 'llama_cpp', 'bm25s', 'spacy',"
        " 'numpy', 'pydantic', 'fastapi', 'uvicorn', 'starlette', 'httpx', 'http.client',"
        " 'diplorag.api', 'diplorag.config')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    env = _env(server.home, DIPLORAG_INDEX_DIR=str(server.index_dir))
    done = subprocess.run(
        [sys.executable, "-c", probe, server.url],
        env=env,
        cwd=server.home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert "New START" in done.stdout  # and it did answer


def test_cli_falls_back_in_process_when_no_server_answers(server: Server) -> None:
    remote = server.cli(
        "search", "New START", "-k", "2", "--server", f"http://127.0.0.1:{_closed_port()}"
    )
    local = server.cli("search", "New START", "-k", "2", "--no-server")
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert remote.stderr == ""


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", ""], 2, "error: the query is empty"),
        (["search", "x", "--source", "[abc"], 2, "invalid --source pattern"),
        (["search", "x", "--embedding-model", "hash-32"], 4, "was built with hash-64"),
    ],
)
def test_cli_reports_a_server_error_like_its_own(
    server: Server, args: list[str], code: int, message: str
) -> None:
    remote = server.cli(*args, "--server", server.url)
    local = server.cli(*args, "--no-server")
    assert remote.returncode == code == local.returncode
    assert message in remote.stderr
    assert remote.stderr == local.stderr


def test_cli_reports_an_unknown_index_with_exit_3(server: Server) -> None:
    remote = server.cli("search", "x", "--index", "nope", "--server", server.url)
    assert remote.returncode == 3
    assert "no index 'nope'" in remote.stderr
    assert "diplorag ingest corpus/ --index nope" in remote.stderr


def _without_footer(text: str) -> list[str]:
    """Output lines but the footer's (its timings differ from run to run)."""
    return [line for line in text.splitlines() if not line.startswith("fake ·")]


def test_cli_ask_through_the_server_prints_what_in_process_prints(server: Server) -> None:
    remote = server.cli("ask", KANG, "--model", "fake", "--server", server.url)
    local = server.cli("ask", KANG, "--model", "fake", "--no-server")
    assert remote.returncode == 0 == local.returncode, remote.stderr
    assert _without_footer(remote.stdout) == _without_footer(local.stdout)
    assert "Answer:" in remote.stdout and "Sources:" in remote.stdout
    as_json = server.cli("ask", KANG, "--model", "fake", "--json", "--server", server.url)
    answer = json.loads(as_json.stdout)
    expected = json.loads(
        server.cli("ask", KANG, "--model", "fake", "--json", "--no-server").stdout
    )
    assert answer.pop("timings").keys() == expected.pop("timings").keys()
    assert answer == expected


def test_cli_ask_with_settings_the_named_server_lacks_is_an_error(server: Server) -> None:
    done = server.cli("ask", KANG, "--model", "smollm2-135m", "--server", server.url)
    assert done.returncode == 2
    assert "this server answers with other settings: llm=fake" in done.stderr


def test_cli_chat_through_the_server_follows_up_like_in_process(server: Server) -> None:
    questions = f"{KANG}\nAnd what about the DPRK?\n/reset\n/quit\n"
    remote = server.cli("chat", "--model", "fake", "--server", server.url, stdin=questions)
    local = server.cli("chat", "--model", "fake", "--no-server", stdin=questions)
    assert remote.returncode == 0 == local.returncode, remote.stderr
    assert _without_footer(remote.stdout) == _without_footer(local.stdout)
    assert remote.stdout.count("Sources:") == 2


# -- settings -----------------------------------------------------------------------------------


def test_the_client_knows_the_default_server_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIPLORAG_SERVER_URL")
    assert client.DEFAULT_URL == DEFAULT_SERVER_URL == Settings().server_url
    assert client.NO_SERVER == "none"


def test_a_server_resolves_a_command_line_settings_as_it_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "diplorag.toml").write_text('top_k = 8\nllm = "smollm2-135m"\nmode = "bm25"\n')
    monkeypatch.setenv("DIPLORAG_CONFIG", "diplorag.toml")
    monkeypatch.setenv("DIPLORAG_TOP_K", "7")
    monkeypatch.setenv("DIPLORAG_INDEX_DIR", "relative/indexes")
    flags = {"index": "news", "embedding_model": "hash-64", "llm": None}
    command = client.Command(flags, Settings, None)
    sources = command.sources()
    elsewhere = settings_from_sources(
        sources["flags"],
        sources["env"],
        sources["config"],
        config_name=sources["config_name"],
        cwd=Path(sources["cwd"]),
    )
    here = load_settings(**flags)
    assert elsewhere.model_dump() == {
        **here.model_dump(),
        "index_dir": tmp_path / "relative/indexes",
    }
    assert (elsewhere.top_k, elsewhere.llm, elsewhere.mode) == (7, "smollm2-135m", "bm25")
    assert "embedding_model" in elsewhere.model_fields_set
    with pytest.raises(ConfigError, match="invalid setting top_k"):
        settings_from_sources({}, {"DIPLORAG_TOP_K": "many"}, None, cwd=tmp_path)


def test_server_urls_are_checked() -> None:
    assert client.Server.parse("http://[::1]:9000/x/").port == 9000
    assert client.Server.parse("http://[::1]:9000/x/").prefix == "/x"
    assert client.find_server("none") is None
    assert client.find_server(None, no_server=True) is None
    for bad in ("https://127.0.0.1:8765", "127.0.0.1:8765", "http://:80", "http://h:port"):
        with pytest.raises(ConfigError, match="invalid server URL"):
            client.Server.parse(bad)


def test_records_read_like_the_models_they_were_dumped_from(server: Server) -> None:
    result = api.search("Brekelmans Singapore", _settings(server), k=2, mode="bm25")
    record = client.Record(json.loads(result.model_dump_json()))
    assert isinstance(result.hits[0].published, dt.date)
    assert record.hits[0].published == result.hits[0].published
    assert record.hits[1].title == result.hits[1].title
    assert record.hits[0].withheld == []
    assert record.model_dump() == result.model_dump(mode="json")
    with pytest.raises(AttributeError):
        record.no_such_field  # noqa: B018
