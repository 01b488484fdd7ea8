"""The runner client against real HTTP: small aiohttp servers on loopback stand in for a runner
and for snekbox, record what they were sent, and answer what each case needs. The local runner
is started for real: once with a tiny fake runner script (process handling, environment,
restarts), and once as the real `python -m bot.runner serve` when the server is there.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.runner.client import (
    SNEKBOX_STDIN_BOOTSTRAP,
    HttpRunner,
    LocalRunner,
    RunFile,
    RunnerBackend,
    RunnerError,
    RunnerUnreachable,
    RunResult,
    SnekboxRunner,
    backend_from_url,
)
from tests.ci import skip_unless

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00fake image body\xff"
B64 = base64.b64encode(PNG).decode()

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    """One request as the fake server received it."""

    method: str
    path: str
    content_type: str
    body: Any
    peer: Any


class FakeServer:
    """An aiohttp app on loopback (or a Unix socket) that records requests and answers `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        self._runner: web.AppRunner | None = None

    async def start(self, unix_path: Path | None = None) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        if unix_path is not None:
            await web.UnixSite(self._runner, str(unix_path)).start()
            return f"http+unix://{unix_path}"
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.seen.append(
            Seen(
                method=request.method,
                path=request.path,
                content_type=request.content_type,
                body=json.loads(raw) if raw else None,
                peer=request.transport.get_extra_info("peername") if request.transport else None,
            )
        )
        return await self.answer(request)


Serve = Callable[..., Awaitable[tuple[FakeServer, str]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start fake servers; every one is stopped after the test."""
    servers: list[FakeServer] = []

    async def start(answer: Answer, unix_path: Path | None = None) -> tuple[FakeServer, str]:
        server = FakeServer(answer)
        servers.append(server)
        return server, await server.start(unix_path)

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def closing() -> AsyncIterator[Callable[[RunnerBackend], RunnerBackend]]:
    """Backends handed to this are closed after the test, even when it fails."""
    backends: list[RunnerBackend] = []

    def keep(backend: RunnerBackend) -> RunnerBackend:
        backends.append(backend)
        return backend

    yield keep
    for backend in backends:
        await backend.close()


def answer_json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=status, headers=headers)

    return answer


def runner_body(**changes: Any) -> dict[str, Any]:
    """A valid `/v1/run` answer in issue 3's shape."""
    body: dict[str, Any] = {
        "status": "ok",
        "exit_code": 0,
        "stdout": "42\n",
        "stderr": "",
        "truncated": False,
        "wall_ms": 12.5,
        "cpu_ms": 9,
        "files": [],
    }
    return body | changes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_one_line(error: BaseException) -> None:
    text = str(error)
    assert text and "\n" not in text and len(text) <= 200, text


def test_client_loads_nothing_of_the_runner_or_its_libraries() -> None:
    """It lives in the bot's process: no numpy stack, no jail, no fork server there; only the
    protocol models the server itself uses."""
    probe = (
        "import json, sys, bot.runner.client\n"
        "heavy = {'numpy', 'pandas', 'sklearn', 'scipy', 'matplotlib'}\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in heavy or m.startswith('bot'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(loaded) == ["bot", "bot.runner", "bot.runner.client", "bot.runner.protocol"]


# --- HttpRunner ------------------------------------------------------------------------------


async def test_http_runner_sends_the_contract_and_maps_the_answer(serve: Serve, closing) -> None:
    figure = {"name": "figure-1.png", "mime": "image/png", "size": len(PNG), "content_b64": B64}
    server, url = await serve(
        answer_json(runner_body(files=[figure], warning="UNSAFE: no isolation", cpu_ms=9.25))
    )
    runner = closing(HttpRunner(url))

    result = await runner.run("print(6*7)", stdin="in\n", timeout_s=2.5)

    [seen] = server.seen
    assert (seen.method, seen.path, seen.content_type) == ("POST", "/v1/run", "application/json")
    assert seen.body == {"code": "print(6*7)", "stdin": "in\n", "timeout_s": 2.5}
    assert result == RunResult(
        status="ok",
        exit_code=0,
        stdout="42\n",
        stderr="",
        truncated=False,
        wall_ms=12.5,
        cpu_ms=9.25,
        files=[RunFile("figure-1.png", "image/png", PNG)],
        warning="UNSAFE: no isolation",
    )


async def test_http_runner_leaves_unset_fields_to_the_runner(serve: Serve, closing) -> None:
    server, url = await serve(
        answer_json(runner_body(status="timeout", exit_code=None, stdout="", truncated=True))
    )
    result = await closing(HttpRunner(url)).run("while True: pass")

    assert server.seen[0].body == {"code": "while True: pass"}
    assert (result.status, result.exit_code, result.truncated, result.warning) == (
        "timeout",
        None,
        True,
        None,
    )


async def test_http_runner_reuses_one_connection(serve: Serve, closing) -> None:
    server, url = await serve(answer_json(runner_body()))
    runner = closing(HttpRunner(url))

    await runner.run("print(1)")
    await runner.run("print(2)")
    await runner.health()

    assert len({seen.peer for seen in server.seen}) == 1  # one client port: kept alive


async def test_http_runner_health(serve: Serve, closing) -> None:
    health = {"status": "ok", "slots": 4, "preloaded": ["numpy", "pandas"]}
    server, url = await serve(answer_json(health))

    assert await closing(HttpRunner(url)).health() == health
    assert (server.seen[0].method, server.seen[0].path) == ("GET", "/v1/health")


async def test_http_runner_over_a_unix_socket(serve: Serve, closing, tmp_path: Path) -> None:
    server, url = await serve(answer_json(runner_body()), unix_path=tmp_path / "runner.sock")
    assert url == f"http+unix://{tmp_path / 'runner.sock'}"

    result = await closing(HttpRunner(url)).run("print(6*7)")

    assert result.stdout == "42\n"
    assert server.seen[0].body == {"code": "print(6*7)"}


@pytest.mark.parametrize(
    ("status", "body", "headers", "message", "retry_after"),
    [
        (
            400,
            {"error": "code must be a string"},
            None,
            "runner refused the request as malformed: code must be a string",
            None,
        ),
        (
            413,
            {"error": "code is 25000 characters;\nthe limit is 20000"},
            None,
            "runner refused the snippet as too long: code is 25000 characters; the limit is 20000",
            None,
        ),
        (
            503,
            {"error": "queue full"},
            {"Retry-After": "7"},
            "runner is busy (queue full); retry after 7 s",
            7.0,
        ),
        (503, {"error": "queue full"}, None, "runner is busy (queue full)", None),
        (500, {"error": "boom"}, None, "runner answered HTTP 500: boom", None),
    ],
    ids=["400", "413", "503-retry-after", "503-bare", "500"],
)
async def test_http_runner_refusals_are_one_line_errors(
    serve: Serve,
    closing,
    status: int,
    body: dict[str, str],
    headers: dict[str, str] | None,
    message: str,
    retry_after: float | None,
) -> None:
    _, url = await serve(answer_json(body, status=status, headers=headers))

    with pytest.raises(RunnerError) as caught:
        await closing(HttpRunner(url)).run("print(1)")

    assert str(caught.value) == message
    assert caught.value.retry_after == retry_after
    assert not isinstance(caught.value, RunnerUnreachable)
    assert_one_line(caught.value)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (web.Response(text="<html>proxy error</html>"), "bad response from runner: not JSON"),
        (web.json_response(["ok"]), "bad response from runner: not a JSON object"),
        (
            web.json_response(runner_body(status="fine")),
            "bad response from runner: unknown status 'fine'",
        ),
        (
            web.json_response(runner_body(stdout=None)),
            "bad response from runner: stdout is not a str",
        ),
        (
            web.json_response(runner_body(exit_code=True)),
            "bad response from runner: exit_code is not an integer or null",
        ),
        (
            web.json_response(
                runner_body(files=[{"name": "a.png", "size": 3, "content_b64": "%%%"}])
            ),
            "bad response from runner: file content is not base64",
        ),
    ],
    ids=["html", "list", "status", "stdout", "exit-code-bool", "base64"],
)
async def test_http_runner_rejects_a_bad_answer(
    serve: Serve, closing, answer: web.Response, message: str
) -> None:
    async def respond(request: web.Request) -> web.StreamResponse:
        return answer

    _, url = await serve(respond)

    with pytest.raises(RunnerError) as caught:
        await closing(HttpRunner(url)).run("print(1)")
    assert str(caught.value) == message


async def test_http_runner_checks_the_request_with_the_protocol(serve: Serve, closing) -> None:
    """A lone surrogate is not valid Unicode: the protocol model refuses it before any HTTP."""
    server, url = await serve(answer_json(runner_body()))

    with pytest.raises(RunnerError) as caught:
        await closing(HttpRunner(url)).run("print(input())", stdin="a\ud800")

    assert str(caught.value) == (
        "the runner would refuse this snippet: 'stdin' holds a lone surrogate "
        "(U+D800 at character 1); send valid Unicode text"
    )
    assert server.seen == []


async def test_http_runner_connection_refused_is_one_line(closing) -> None:
    port = free_port()
    with pytest.raises(RunnerUnreachable) as caught:
        await closing(HttpRunner(f"http://127.0.0.1:{port}")).run("print(1)")

    assert str(caught.value) == f"runner unreachable at http://127.0.0.1:{port}: Connection refused"


async def test_http_runner_missing_unix_socket_is_unreachable(closing, tmp_path: Path) -> None:
    with pytest.raises(RunnerUnreachable) as caught:
        await closing(HttpRunner(f"http+unix://{tmp_path}/none.sock")).health()

    assert str(caught.value).startswith(f"runner unreachable at {tmp_path}/none.sock: ")
    assert_one_line(caught.value)


async def test_http_runner_waits_the_snippet_limit_plus_a_margin(serve: Serve, closing) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3)
        return web.json_response(runner_body())

    _, url = await serve(slow)
    runner = closing(HttpRunner(url, margin_s=0.2))

    with pytest.raises(RunnerError) as caught:
        await runner.run("import time; time.sleep(9)", timeout_s=0.1)
    assert str(caught.value) == f"runner at {url} did not answer within 0.3 s"


async def test_http_runner_can_be_closed_twice(serve: Serve) -> None:
    _, url = await serve(answer_json(runner_body()))
    runner = HttpRunner(url)
    await runner.run("print(1)")
    await runner.close()
    await runner.close()


# --- SnekboxRunner ---------------------------------------------------------------------------


async def test_snekbox_gets_its_own_request_shape_and_maps_back(serve: Serve, closing) -> None:
    plot = {"path": "output/plot.png", "size": len(PNG), "content": B64}
    server, url = await serve(
        answer_json({"stdout": "42\nTraceback…\n", "returncode": 0, "files": [plot]})
    )

    result = await closing(SnekboxRunner(url)).run("print(6*7)", timeout_s=3)

    [seen] = server.seen
    assert (seen.method, seen.path, seen.content_type) == ("POST", "/eval", "application/json")
    assert seen.body == {"input": "print(6*7)"}
    assert result.status == "ok"
    assert result.exit_code == 0
    assert result.stdout == "42\nTraceback…\n"  # snekbox merges stderr into stdout
    assert result.stderr == ""
    assert result.truncated is False
    assert result.cpu_ms is None  # not measured by snekbox
    assert result.wall_ms > 0  # our round trip
    assert result.files == [RunFile("output/plot.png", "image/png", PNG)]
    assert result.warning is None


@pytest.mark.parametrize(
    ("returncode", "status", "truncated", "warning"),
    [
        (1, "error", False, None),
        (139, "error", False, None),  # a crash (SIGSEGV) is an error, as in the runner contract
        (
            137,
            "killed",
            False,
            "killed by snekbox's time or memory limit (snekbox does not say which)",
        ),
        (143, "output_limit", True, None),
        (255, "error", False, "snekbox's NsJail failed (exit 255)"),
        (None, "error", False, "snekbox could not run the snippet or read its output"),
    ],
)
async def test_snekbox_return_codes(
    serve: Serve,
    closing,
    returncode: int | None,
    status: str,
    truncated: bool,
    warning: str | None,
) -> None:
    _, url = await serve(answer_json({"stdout": "out", "returncode": returncode}))

    result = await closing(SnekboxRunner(url)).run("x")

    assert (result.status, result.exit_code, result.truncated, result.warning) == (
        status,
        returncode,
        truncated,
        warning,
    )
    assert result.files == []  # an older snekbox sends no "files" at all


async def test_snekbox_stdin_goes_through_a_bootstrap_that_really_works(
    serve: Serve, closing
) -> None:
    server, url = await serve(answer_json({"stdout": "", "returncode": 0, "files": []}))
    code = "name = input()\nprint(name[::-1])\nimport sys\nprint(sys.argv, __name__)\n"

    await closing(SnekboxRunner(url)).run(code, stdin="abc\n")

    sent = server.seen[0].body
    assert sent == {"args": ["-c", SNEKBOX_STDIN_BOOTSTRAP, "abc\n"], "input": code}
    # What snekbox does with it: `python <args...> <input>`; run that here.
    process = await asyncio.create_subprocess_exec(
        sys.executable, *sent["args"], sent["input"], stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    assert stdout.decode() == "cba\n['-c'] __main__\n"


async def test_snekbox_refusal_and_nonsense(serve: Serve, closing) -> None:
    falcon_400 = {"title": "Request data failed validation", "description": "'input' is required"}
    _, bad_request = await serve(answer_json(falcon_400, status=400))
    _, nonsense = await serve(answer_json({"output": "hi"}))

    with pytest.raises(RunnerError) as refused:
        await closing(SnekboxRunner(bad_request)).run("x")
    with pytest.raises(RunnerError) as confused:
        await closing(SnekboxRunner(nonsense)).run("x")

    assert str(refused.value) == "snekbox refused the request (HTTP 400): 'input' is required"
    assert str(confused.value) == "bad response from snekbox: no stdout"


async def test_snekbox_unreachable_and_health(serve: Serve, closing) -> None:
    port = free_port()
    with pytest.raises(RunnerUnreachable) as caught:
        await closing(SnekboxRunner(f"http://127.0.0.1:{port}")).health()
    assert_one_line(caught.value)

    server, url = await serve(answer_json({"stdout": "", "returncode": 0}))
    assert await closing(SnekboxRunner(url)).health() == {
        "status": "ok",
        "backend": "snekbox",
        "url": url,
    }
    assert server.seen[0].body == {"input": "pass"}


# --- backend_from_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "target"),
    [
        ("", LocalRunner, None),
        ("   ", LocalRunner, None),
        ("http://runner:8060", HttpRunner, "http://runner:8060"),
        ("https://runner.example:8060/", HttpRunner, "https://runner.example:8060/"),
        ("http+unix:///run/studybot/runner.sock", HttpRunner, None),
        ("snekbox+http://snekbox:8060", SnekboxRunner, "http://snekbox:8060"),
        ("SNEKBOX+HTTP://snekbox:8060/", SnekboxRunner, "http://snekbox:8060"),
    ],
)
def test_backend_from_url_picks_the_backend(url: str, kind: type, target: str | None) -> None:
    backend = backend_from_url(url)  # builds only: nothing started, nothing connected

    assert type(backend) is kind
    if target is not None:
        assert backend.url == target  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    ["runner:8060", "ftp://runner", "snekbox+ftp://x", "http://", "http+unix://host/x.sock"],
)
def test_backend_from_url_refuses_the_rest_in_one_line(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        backend_from_url(url)
    assert_one_line(caught.value)
    assert repr(url) in str(caught.value)


# --- LocalRunner with a fake runner script ---------------------------------------------------

FAKE_RUNNER = """
import argparse, json, os, sys
from aiohttp import web

parser = argparse.ArgumentParser()
parser.add_argument("--unix", required=True)
parser.add_argument("--slots", type=int, default=1)
args = parser.parse_args()


async def health(request):
    return web.json_response({"status": "ok", "slots": args.slots, "preloaded": []})


async def run(request):
    seen = {"pid": os.getpid(), "env": dict(os.environ), "argv": sys.argv[1:], "cwd": os.getcwd()}
    return web.json_response({
        "status": "ok", "exit_code": 0, "stdout": json.dumps(seen), "stderr": "",
        "truncated": False, "wall_ms": 1, "cpu_ms": 1, "files": [],
    })


app = web.Application()
app.router.add_get("/v1/health", health)
app.router.add_post("/v1/run", run)
print("fake runner up", flush=True)
web.run_app(app, path=args.unix, print=None)
"""


@pytest.fixture
def fake_runner(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_runner.py"
    script.write_text(FAKE_RUNNER)
    return [sys.executable, str(script)]


def exists(path: str | Path) -> bool:
    return Path(path).exists()


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777


def proc_environ(pid: int) -> dict[str, str]:
    """The environment a process was started with, as the host sees it."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if item)


async def test_local_runner_child_gets_only_path(
    fake_runner: list[str], closing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDYBOT_DISCORD_TOKEN", "secret")
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", "postgresql://u:hunter2@db/studybot")
    runner = closing(LocalRunner(command=fake_runner, slots=2))

    seen = json.loads((await runner.run("print(1)")).stdout)

    assert proc_environ(seen["pid"]) == {"PATH": os.environ["PATH"]}
    assert not {name for name in seen["env"] if name.startswith("STUDYBOT_")}
    folder = Path(seen["cwd"])
    assert seen["argv"] == ["--unix", str(folder / "runner.sock"), "--slots", "2"]
    assert mode_of(folder) == 0o700  # nobody else on the host reaches the socket


async def test_local_runner_restarts_a_dead_child(fake_runner: list[str], closing) -> None:
    runner = closing(LocalRunner(command=fake_runner))
    first = json.loads((await runner.run("print(1)")).stdout)["pid"]
    assert runner.pid == first

    os.kill(first, signal.SIGKILL)
    second = json.loads((await runner.run("print(1)")).stdout)["pid"]

    assert second != first
    assert runner.pid == second
    assert runner.starts == 2


async def test_local_runner_watchdog_restarts_without_a_call(
    fake_runner: list[str], closing
) -> None:
    runner = closing(LocalRunner(command=fake_runner))
    await runner.health()
    first = runner.pid
    assert first is not None

    os.kill(first, signal.SIGKILL)
    for _ in range(200):  # bounded: 10 s
        if runner.pid not in (None, first):
            break
        await asyncio.sleep(0.05)

    assert runner.pid not in (None, first)
    assert runner.starts == 2


async def test_local_runner_close_stops_the_child_and_removes_its_folder(
    fake_runner: list[str],
) -> None:
    runner = LocalRunner(command=fake_runner)
    seen = json.loads((await runner.run("print(1)")).stdout)

    await runner.close()

    assert not exists(f"/proc/{seen['pid']}")  # stopped and reaped
    assert not exists(seen["cwd"])
    with pytest.raises(RunnerError, match="closed"):
        await runner.run("print(1)")


async def test_local_runner_that_cannot_start_says_why(closing) -> None:
    refuses = [
        sys.executable,
        "-c",
        "import sys; print('the runner needs Linux namespaces', flush=True); sys.exit(3)",
    ]
    runner = closing(LocalRunner(command=refuses))

    with pytest.raises(RunnerError) as caught:
        await runner.run("print(1)")

    assert str(caught.value) == (
        "local runner exited with 3 at start: the runner needs Linux namespaces"
    )


async def test_local_runner_start_is_bounded(closing, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    hangs = [
        sys.executable,
        "-c",
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)",
        str(pid_file),
    ]
    runner = closing(LocalRunner(command=hangs, start_timeout_s=0.5))

    with pytest.raises(RunnerError) as caught:
        await runner.health()

    assert str(caught.value) == "local runner did not answer /v1/health within 0.5 s"
    pid = int(pid_file.read_text())
    assert not exists(f"/proc/{pid}")  # killed and reaped


# --- LocalRunner with the real runner --------------------------------------------------------


def _server_missing() -> str | None:
    try:
        importlib.import_module("bot.runner.server")
    except Exception as error:  # any reason it cannot be imported is a reason to skip
        return f"bot.runner.server cannot be imported yet ({type(error).__name__}: {error})"
    return None


SERVER_MISSING = _server_missing()
needs_server = skip_unless(SERVER_MISSING is None, SERVER_MISSING or "")
real = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def real_runner() -> AsyncIterator[LocalRunner]:
    """One real runner for the module, (re)started while a bot secret is in os.environ."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDYBOT_DISCORD_TOKEN", "secret")
        runner = LocalRunner(slots=2)
        try:
            await runner.health()
            yield runner
        finally:
            await runner.close()


def assert_clean_start(pid: int | None) -> None:
    """What the host sees: the runner process was started without the bot's secret."""
    assert pid is not None
    started_with = proc_environ(pid)
    assert "STUDYBOT_DISCORD_TOKEN" not in started_with
    assert "secret" not in started_with.values()


@needs_server
@real
async def test_real_local_runner_runs_a_snippet(real_runner: LocalRunner) -> None:
    result = await real_runner.run("print(6*7)")

    assert (result.status, result.exit_code, result.stdout) == ("ok", 0, "42\n")


@needs_server
@real
async def test_real_local_runner_never_sees_the_bots_environment(
    real_runner: LocalRunner,
) -> None:
    assert os.environ["STUDYBOT_DISCORD_TOKEN"] == "secret"  # the bot's process has it
    result = await real_runner.run("import os; print(sorted(os.environ))")

    assert result.status == "ok"
    assert "STUDYBOT_DISCORD_TOKEN" not in result.stdout  # the snippet does not
    assert_clean_start(real_runner.pid)  # nor did the runner's parent


@needs_server
@real
async def test_real_local_runner_comes_back_after_a_kill(real_runner: LocalRunner) -> None:
    first = real_runner.pid
    assert first is not None

    os.kill(first, signal.SIGKILL)
    result = await real_runner.run("print(6*7)")

    assert (result.status, result.stdout) == ("ok", "42\n")
    assert real_runner.pid not in (None, first)
    assert_clean_start(real_runner.pid)  # the restart is as clean as the first start


_BOT_THAT_DIES = """
import asyncio
from bot.runner.client import LocalRunner

async def main():
    runner = LocalRunner()
    await runner.run("print(1)")
    print(runner.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_local_runner_does_not_outlive_a_killed_bot() -> None:
    """A SIGKILLed bot cannot clean up; the runner child must go by itself (PDEATHSIG)."""
    bot = subprocess.Popen(
        [sys.executable, "-c", _BOT_THAT_DIES], stdout=subprocess.PIPE, text=True
    )
    try:
        runner_pid = int(bot.stdout.readline())  # type: ignore[union-attr]
        assert Path(f"/proc/{runner_pid}").exists()
    finally:
        bot.kill()
        bot.wait()
    for _ in range(100):
        if not Path(f"/proc/{runner_pid}").exists():
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert not Path(f"/proc/{runner_pid}").exists(), "the runner outlived the bot"


@needs_server
async def test_a_deep_temporary_folder_does_not_stop_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Unix socket path holds at most 107 bytes on Linux; a deep TMPDIR (a CI workspace, a
    test worker's folder) must not leave members without a runner."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    runner = LocalRunner(slots=1)
    try:
        result = await runner.run("print(6 * 7)")
    finally:
        await runner.close()
    assert result.status == "ok" and result.stdout == "42\n"
    assert list(deep.iterdir()) == []  # the short folder was used, and nothing was left here
