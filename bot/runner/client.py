"""The bot's side of the snippet runner: one protocol, three ways to reach a runner.

This module runs inside the bot's process, which holds the Discord token and the database. It
therefore never runs user code and never imports the runner's server, jail or fork server, nor
the heavy libraries the runner preloads: only `bot.runner.protocol`, the request and response
models the server itself uses. It speaks HTTP to a runner in another process:

- `LocalRunner` starts `python -m bot.runner serve` as a child with an empty environment and
  talks to it over a Unix socket in a private temporary folder;
- `HttpRunner` talks to a runner elsewhere (`STUDYBOT_RUNNER_URL=http://host:8060`);
- `SnekboxRunner` adapts an existing snekbox deployment (`POST /eval`).

`backend_from_url` picks one from the `STUDYBOT_RUNNER_URL` setting.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import json
import logging
import math
import mimetypes
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol, get_args
from urllib.parse import urlsplit

import aiohttp
from pydantic import ValidationError

from bot.runner.protocol import RunRequest, RunResponse

log = logging.getLogger(__name__)

RunStatus = Literal["ok", "error", "timeout", "memory", "output_limit", "killed"]
STATUSES: Final[frozenset[str]] = frozenset(get_args(RunStatus))

# The runner's own default wall limit (issue 3): what a request without `timeout_s` may take.
DEFAULT_WALL_S: Final = 5.0
# Time a request may spend beyond the snippet's own limit: queueing, forking, reading figures.
DEFAULT_MARGIN_S: Final = 10.0
_MAX_MESSAGE: Final = 200


class RunnerError(Exception):
    """The runner could not be asked: unreachable, refusing, busy or answering nonsense.

    The message is one short line meant for a log and for a member; `retry_after` is set when
    the runner said how long to wait (503 with `Retry-After`).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(_one_line(message))
        self.retry_after = retry_after


class RunnerUnreachable(RunnerError):
    """The connection failed or broke, so no answer came: the runner is down or just died.

    A separate type from refusals and timeouts because it is the one case where the runner's
    process itself is suspect (a local runner restarts it and tries again).
    """


@dataclass(frozen=True)
class RunFile:
    """A file the snippet produced (a figure, for now), already decoded."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class RunResult:
    """What one snippet did, in the shape of the runner's `POST /v1/run` answer.

    `cpu_ms` is None when the backend does not measure it (snekbox); `warning` carries what the
    runner or the adapter wants a reader to know about this result (e.g. a runner started with
    `--unsafe-no-isolation`, or a snekbox exit code that cannot be told apart).
    """

    status: RunStatus
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool = False
    wall_ms: float = 0.0
    cpu_ms: float | None = 0.0
    files: list[RunFile] = field(default_factory=list)
    warning: str | None = None

    @classmethod
    def from_json(cls, body: object) -> RunResult:
        """Check a `/v1/run` answer against the protocol, so a wrong runner fails here, in one
        line."""
        if not isinstance(body, dict):
            raise RunnerError("bad response from runner: not a JSON object")
        try:
            answer = RunResponse.model_validate(body)
        except ValidationError as error:
            raise RunnerError(f"bad response from runner: {_why(error)}") from None
        return cls(
            status=answer.status.value,
            exit_code=answer.exit_code,
            stdout=answer.stdout,
            stderr=answer.stderr,
            truncated=answer.truncated,
            wall_ms=answer.wall_ms,
            cpu_ms=answer.cpu_ms,
            files=[
                RunFile(
                    name=item.name,
                    mime=item.mime or _guess_mime(item.name),
                    data=_decode(item.content_b64, "runner"),
                )
                for item in answer.files
            ],
            warning=answer.warning or None,
        )


class RunnerBackend(Protocol):
    """What the bot needs from a runner, wherever it lives."""

    async def run(self, code: str, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """Run one snippet; raise `RunnerError` when the runner cannot be asked."""
        ...

    async def health(self) -> dict[str, Any]:
        """Ask the runner whether it is up; raise `RunnerError` when it is not."""
        ...

    async def close(self) -> None:
        """Release connections (and a local runner's process); safe to call twice."""
        ...


class HttpRunner:
    """A runner that speaks issue 3's JSON over HTTP, on TCP or a Unix socket.

    `http+unix:///run/studybot/runner.sock` names a Unix socket (the local child uses one, so
    no port is open on the host); `http://host:port` and `https://host:port` a TCP runner. One
    `ClientSession` is reused for every call, so connections are kept alive.
    """

    def __init__(
        self, base_url: str, *, margin_s: float = DEFAULT_MARGIN_S, keepalive: bool = True
    ) -> None:
        parts = urlsplit(base_url.strip())
        scheme = parts.scheme.lower()
        self._socket_path: str | None = None
        if scheme == "http+unix":
            if not parts.path or parts.netloc:
                raise ValueError(
                    f"runner URL {base_url!r}: write a Unix socket as http+unix:///path/to.sock"
                )
            self._socket_path = parts.path
            self._base = "http://runner"
        elif scheme in ("http", "https"):
            if not parts.hostname:
                raise ValueError(f"runner URL {base_url!r} has no host")
            self._base = base_url.strip().rstrip("/")
        else:
            raise ValueError(f"runner URL {base_url!r}: expected http://, https:// or http+unix://")
        self.url = base_url.strip()
        self._margin_s = margin_s
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"HttpRunner({self.url!r})"

    async def run(self, code: str, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """POST /v1/run with a `protocol.RunRequest` (checked here first: the same model the
        runner reads it with); optional fields are sent only when set, so its defaults hold."""
        try:
            request = RunRequest(code=code, stdin=stdin, timeout_s=timeout_s)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            reason = first["msg"].removeprefix("Value error, ")
            raise RunnerError(f"the runner would refuse this snippet: '{field}' {reason}") from None
        payload = request.model_dump(exclude_defaults=True)
        wait_s = (timeout_s if timeout_s is not None else DEFAULT_WALL_S) + self._margin_s
        status, headers, body = await self._request("POST", "/v1/run", payload, wait_s)
        if status == 200:
            return RunResult.from_json(_json_or_fail(body))
        raise _refusal(status, headers, body)

    async def health(self) -> dict[str, Any]:
        """GET /v1/health; a runner that is up answers 200 with a JSON object."""
        status, headers, body = await self._request("GET", "/v1/health", None, self._margin_s)
        if status != 200:
            raise _refusal(status, headers, body)
        answer = _json_or_fail(body)
        if not isinstance(answer, dict):
            raise RunnerError("bad response from runner: health is not a JSON object")
        return answer

    async def close(self) -> None:
        """Close the session; the next call opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _session_now(self) -> aiohttp.ClientSession:
        """Created on first use: a session must be made inside the running event loop."""
        if self._session is None or self._session.closed:
            connector: aiohttp.BaseConnector = (
                aiohttp.UnixConnector(path=self._socket_path, force_close=not self._keepalive)
                if self._socket_path
                else aiohttp.TCPConnector(force_close=not self._keepalive)
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _request(
        self, method: str, path: str, payload: object, wait_s: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        where = self._socket_path or self._base
        timeout = aiohttp.ClientTimeout(total=wait_s, connect=min(wait_s, 10.0))
        try:
            async with self._session_now().request(
                method, self._base + path, json=payload, timeout=timeout
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ClientConnectorError as error:
            raise RunnerUnreachable(f"runner unreachable at {where}: {_reason(error)}") from None
        except TimeoutError:
            raise RunnerError(f"runner at {where} did not answer within {wait_s:g} s") from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            raise RunnerUnreachable(
                f"runner at {where} dropped the connection: {_reason(error)}"
            ) from None
        except aiohttp.ClientError as error:
            raise RunnerError(f"runner at {where} failed: {_reason(error)}") from None


class SnekboxRunner:
    """An existing snekbox deployment behind the same protocol (snekbox's `POST /eval`).

    What snekbox's API can and cannot say, and how it is mapped (snekbox/api/resources/eval.py
    and snekbox/nsjail.py in python-discord/snekbox):
    - it merges stderr into stdout, so `stderr` is always "";
    - `returncode` 0 is `ok`; 137 (SIGKILL) is NsJail's kill for the time *or* the memory
      limit, which snekbox does not tell apart, so it becomes `killed` with a warning saying so;
      143 (SIGTERM) is snekbox stopping a run whose output passed its limit: `output_limit`,
      truncated; null means the snippet never ran (NsJail failed to start, or the output was
      not valid UTF-8): `error` with snekbox's message in stdout; anything else is `error`;
    - it has no stdin and no per-request time limit: stdin is fed through a short bootstrap
      passed as `args`, and `timeout_s` only bounds how long we wait (its limit is its config);
    - `wall_ms` is our round trip, and `cpu_ms` is None: snekbox reports neither.
    """

    def __init__(self, base_url: str, *, margin_s: float = DEFAULT_MARGIN_S) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"snekbox URL {base_url!r}: expected http://host:port")
        self.url = base_url.strip().rstrip("/")
        self._margin_s = margin_s
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"SnekboxRunner({self.url!r})"

    async def run(self, code: str, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """POST /eval and translate the answer; see the class docstring for the mapping."""
        wait_s = (timeout_s if timeout_s is not None else DEFAULT_WALL_S) + self._margin_s
        started = time.perf_counter()
        answer = await self._eval(snekbox_request(code, stdin), wait_s)
        wall_ms = (time.perf_counter() - started) * 1000
        return snekbox_result(answer, wall_ms)

    async def health(self) -> dict[str, Any]:
        """snekbox has no health route on every version, so run `pass`: up means it can run."""
        answer = await self._eval({"input": "pass"}, self._margin_s)
        code = answer.get("returncode")
        if code != 0:
            raise RunnerError(f"snekbox at {self.url} is up but could not run `pass` ({code})")
        return {"status": "ok", "backend": "snekbox", "url": self.url}

    async def close(self) -> None:
        """Close the session; the next call opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _eval(self, payload: dict[str, Any], wait_s: float) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=wait_s, connect=min(wait_s, 10.0))
        try:
            async with self._session.post(
                self.url + "/eval", json=payload, timeout=timeout
            ) as response:
                status, body = response.status, await response.read()
        except aiohttp.ClientConnectorError as error:
            raise RunnerUnreachable(
                f"snekbox unreachable at {self.url}: {_reason(error)}"
            ) from None
        except TimeoutError:
            raise RunnerError(f"snekbox at {self.url} did not answer within {wait_s:g} s") from None
        except aiohttp.ClientError as error:
            raise RunnerError(f"snekbox at {self.url} failed: {_reason(error)}") from None
        if status != 200:
            # snekbox's errors are Falcon's: {"title": ..., "description": ...}
            detail = _error_detail(body, keys=("description", "title"))
            raise RunnerError(f"snekbox refused the request (HTTP {status}){detail}")
        answer = _json_or_fail(body)
        if not isinstance(answer, dict) or not isinstance(answer.get("stdout"), str):
            raise RunnerError("bad response from snekbox: no stdout")
        return answer


# Runs in snekbox's Python as `python -c BOOTSTRAP STDIN CODE`: stdin becomes sys.stdin, and the
# snippet runs as __main__ in fresh globals with argv as if it had been passed alone.
SNEKBOX_STDIN_BOOTSTRAP: Final = (
    "import io, sys\n"
    "_stdin, _code = sys.argv[1], sys.argv[2]\n"
    "del sys.argv[1:]\n"
    "sys.stdin = io.StringIO(_stdin)\n"
    "_globals = {'__name__': '__main__', '__builtins__': __builtins__}\n"
    "exec(compile(_code, '<string>', 'exec'), _globals)\n"
)


def snekbox_request(code: str, stdin: str = "") -> dict[str, Any]:
    """The `/eval` body: plain `input` when there is no stdin, else the bootstrap in `args`.

    snekbox appends `input` to `args`, so the bootstrap sees (stdin, code) as argv[1:].
    """
    if not stdin:
        return {"input": code}
    return {"args": ["-c", SNEKBOX_STDIN_BOOTSTRAP, stdin], "input": code}


def snekbox_result(answer: Mapping[str, Any], wall_ms: float) -> RunResult:
    """Translate snekbox's `{"stdout", "returncode", "files"}` into a RunResult."""
    code = answer.get("returncode")
    if code is not None and not _is_int(code):
        raise RunnerError("bad response from snekbox: returncode is not an integer or null")
    status: RunStatus = "error"
    warning: str | None = None
    truncated = False
    if code == 0:
        status = "ok"
    elif code is None:
        warning = "snekbox could not run the snippet or read its output"
    elif code == 137:
        status = "killed"
        warning = "killed by snekbox's time or memory limit (snekbox does not say which)"
    elif code == 143:
        status, truncated = "output_limit", True
    elif code == 255:
        warning = "snekbox's NsJail failed (exit 255)"
    return RunResult(
        status=status,
        exit_code=code,
        stdout=answer["stdout"],
        stderr="",
        truncated=truncated,
        wall_ms=wall_ms,
        cpu_ms=None,
        files=_snekbox_files(answer.get("files", [])),
        warning=warning,
    )


SUN_PATH_MAX = 107  # bytes a Unix socket path may hold on Linux (sun_path less its NUL)


def _socket_folder() -> Path:
    """A private folder (mode 0700) for the runner's socket. A deep TMPDIR can make the socket's
    path longer than Linux allows; then the system's /tmp is used instead."""
    folder = Path(tempfile.mkdtemp(prefix="studybot-local-runner-"))
    if len(os.fsencode(folder / "runner.sock")) <= SUN_PATH_MAX:
        return folder
    folder.rmdir()
    return Path(tempfile.mkdtemp(prefix="studybot-runner-", dir="/tmp"))


class LocalRunner:
    """The runner as a child process of the bot, restarted when it dies.

    The child gets an environment holding only PATH: user code can walk frames into its
    parent's globals, so the runner's parent must never have seen the token or the database
    URL. It listens on a Unix socket in a private temporary folder (mode 0700), so nothing else
    on the host can reach it and no port is opened. It is started on first use; after that a
    watchdog restarts it when it exits, and a call that finds it dead restarts it first.
    """

    def __init__(
        self,
        *,
        slots: int | None = None,
        command: Sequence[str] | None = None,
        start_timeout_s: float = 60.0,
        margin_s: float = DEFAULT_MARGIN_S,
    ) -> None:
        self._command = list(command or (sys.executable, "-m", "bot.runner", "serve"))
        self._slots = slots
        self._start_timeout_s = start_timeout_s
        self._margin_s = margin_s
        self._lock = asyncio.Lock()
        self._proc: asyncio.subprocess.Process | None = None
        self._http: HttpRunner | None = None
        self._folder: Path | None = None
        self._reader: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closing = False
        self._last_lines: collections.deque[str] = collections.deque(maxlen=20)
        self.starts = 0

    def __repr__(self) -> str:
        return f"LocalRunner(pid={self.pid})"

    @property
    def pid(self) -> int | None:
        """The runner process's pid while it runs (for logs, and for tests that kill it)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def run(self, code: str, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """Run on the child; if the connection failed because the child is dead, restart it and
        try once more.

        The child can die between our check and our request (killed, crashed): the request then
        meets a refused or reset connection. A run leaves nothing behind, so sending it again
        is harmless; and it is sent again once only, so a snippet that could kill the runner
        would fail the second time rather than loop.
        """
        http = await self._ensure_started()
        try:
            return await http.run(code, stdin, timeout_s)
        except RunnerUnreachable:
            if not await self._has_exited():
                raise
            log.warning("local runner had died; restarting it and sending the snippet again")
            http = await self._ensure_started()
            return await http.run(code, stdin, timeout_s)

    async def health(self) -> dict[str, Any]:
        """Starts the child if needed, then asks it."""
        return await (await self._ensure_started()).health()

    async def close(self) -> None:
        """Stop the watchdog, then the child (SIGTERM, then SIGKILL), then remove its folder."""
        self._closing = True
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        async with self._lock:
            await self._stop()

    async def _ensure_started(self) -> HttpRunner:
        async with self._lock:
            if self._closing:
                raise RunnerError("local runner is closed")
            if self._proc is not None and self._proc.returncode is None and self._http:
                return self._http
            await self._stop()
            http = await self._start()
            if self._watchdog is None:
                self._watchdog = asyncio.create_task(self._watch(), name="runner-watchdog")
            return http

    async def _start(self) -> HttpRunner:
        folder = _socket_folder()
        sock = folder / "runner.sock"
        argv = [*self._command, "--unix", str(sock)]
        if self._slots is not None:
            argv += ["--slots", str(self._slots)]
        self._folder = folder
        self._last_lines.clear()
        self._proc = await asyncio.create_subprocess_exec(
            *argv,
            env=child_environment(),
            cwd=folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a Ctrl-C on the bot is ours to pass on
            preexec_fn=_die_with_parent,
        )
        self.starts += 1
        self._reader = asyncio.create_task(self._read_output(self._proc), name="runner-output")
        # No keep-alive: a connection kept from a runner that has since died fails only once a
        # request is on it, while a fresh connect to a dead socket is refused at once. A Unix
        # socket connect costs microseconds.
        self._http = HttpRunner(f"http+unix://{sock}", margin_s=self._margin_s, keepalive=False)
        try:
            await self._wait_healthy(self._proc, self._http)
        except BaseException:
            await self._stop()
            raise
        log.info("local runner started (pid %d, %s)", self._proc.pid, sock)
        return self._http

    async def _wait_healthy(self, proc: asyncio.subprocess.Process, http: HttpRunner) -> None:
        """Bounded: a runner that cannot start says why on its output, which we quote."""
        deadline = time.monotonic() + self._start_timeout_s
        while True:
            if proc.returncode is not None:
                if self._reader is not None:  # let the last lines arrive
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(self._reader), 1.0)
                said = self._last_lines[-1] if self._last_lines else "no output"
                raise RunnerError(f"local runner exited with {proc.returncode} at start: {said}")
            with contextlib.suppress(RunnerError):  # no socket yet: refused at once
                await http.health()
                return
            if time.monotonic() > deadline:
                raise RunnerError(
                    f"local runner did not answer /v1/health within {self._start_timeout_s:g} s"
                )
            await asyncio.sleep(0.05)

    async def _read_output(self, proc: asyncio.subprocess.Process) -> None:
        """The runner's log goes to ours. Read in chunks, not lines: a line longer than the
        stream's limit would end a line reader, and a pipe nobody drains would stall the runner.
        """
        assert proc.stdout is not None
        pending = b""
        while chunk := await proc.stdout.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            if len(pending) > 65536:
                lines, pending = [*lines, pending], b""
            for raw in lines:
                self._log_line(raw)
        self._log_line(pending)

    def _log_line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            self._last_lines.append(line[:1000])
            log.info("runner: %s", line)

    async def _has_exited(self) -> bool:
        """True when the child is gone; waits a moment so a fresh death is noticed."""
        proc = self._proc
        if proc is None:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 1.0)
        return proc.returncode is not None

    async def _watch(self) -> None:
        """Restart the child whenever it exits, with a growing pause while starts fail."""
        pause = 1.0
        while not self._closing:
            proc = self._proc
            if proc is not None and proc.returncode is None:
                await proc.wait()
                if self._closing:
                    return
                log.warning("local runner (pid %d) exited with %s", proc.pid, proc.returncode)
            try:
                await self._ensure_started()
                pause = 1.0
            except RunnerError as error:
                log.error("local runner restart failed: %s", error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)

    async def _stop(self) -> None:
        """Whole process group: the runner's forked slots go with it."""
        proc, self._proc = self._proc, None
        http, self._http = self._http, None
        reader, self._reader = self._reader, None
        folder, self._folder = self._folder, None
        if http is not None:
            await http.close()
        if proc is not None and proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 5.0)
            except TimeoutError:
                _signal_group(proc.pid, signal.SIGKILL)
                await proc.wait()
        if proc is not None and proc.returncode is not None:
            _signal_group(proc.pid, signal.SIGKILL)  # stragglers of a dead runner, if any
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _die_with_parent() -> None:
    """Runs in the forked child: the runner gets SIGTERM when the bot dies, even by SIGKILL."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def child_environment() -> dict[str, str]:
    """Only PATH, whatever the bot's own environment holds (tokens, database URLs)."""
    return {"PATH": os.environ.get("PATH") or os.defpath}


def backend_from_url(runner_url: str) -> RunnerBackend:
    """`STUDYBOT_RUNNER_URL` to a backend; nothing is started or connected here."""
    url = runner_url.strip()
    if not url:
        return LocalRunner()
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("http", "https", "http+unix"):
        return HttpRunner(url)
    if scheme in ("snekbox+http", "snekbox+https"):
        return SnekboxRunner(scheme.removeprefix("snekbox+") + url[url.index("://") :])
    raise ValueError(
        f"runner URL {url!r}: expected empty (local runner), http://host:port, "
        "http+unix:///path.sock or snekbox+http://host:port"
    )


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def _reason(error: BaseException) -> str:
    """The innermost OS reason ("Connection refused"), not aiohttp's wrapper text."""
    os_error = getattr(error, "os_error", error)
    if isinstance(os_error, OSError) and os_error.errno:
        return os.strerror(os_error.errno)
    return str(error) or type(error).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decode(content: object, what: str) -> bytes:
    if not isinstance(content, str):
        raise RunnerError(f"bad response from {what}: file content is not base64 text")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise RunnerError(f"bad response from {what}: file content is not base64") from None


def _snekbox_files(items: object) -> list[RunFile]:
    """snekbox files are `{"path", "size", "content"}`; older versions send none at all."""
    if not isinstance(items, list):
        raise RunnerError("bad response from snekbox: files is not a list")
    files = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise RunnerError("bad response from snekbox: a file has no path")
        path = item["path"]
        files.append(RunFile(path, _guess_mime(path), _decode(item.get("content"), "snekbox")))
    return files


_KINDS: Final = {
    "string_type": "a str",
    "bool_type": "a bool",
    "int_type": "an integer",
    "float_type": "a number",
    "finite_number": "a finite number",
    "list_type": "a list",
}


def _why(error: ValidationError) -> str:
    """The first problem of an answer, in the words a log line needs."""
    first = error.errors()[0]
    where = [str(part) for part in first["loc"]]
    field = where[0] if where else "the answer"
    if field == "status":
        return f"unknown status {first.get('input')!r}"
    if field == "exit_code":
        return "exit_code is not an integer or null"
    if field == "files" and len(where) > 2:
        field = f"a file's {where[2]}"
    if first["type"] == "missing":
        return f"{field} is missing"
    return f"{field} is not {_KINDS.get(first['type'], 'valid')}"


def _guess_mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _json_or_fail(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise RunnerError("bad response from runner: not JSON") from None


def _error_detail(body: bytes, keys: Sequence[str] = ("error",)) -> str:
    """`: <message>` from a JSON error body, or "" when there is none worth quoting."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        for key in keys:
            if isinstance(answer.get(key), str) and answer[key]:
                return f": {answer[key]}"
    return ""


def _refusal(status: int, headers: Mapping[str, str], body: bytes) -> RunnerError:
    """The contract's refusals (400, 413, 503 + Retry-After) as readable one-liners."""
    detail = _error_detail(body)
    if status == 400:
        return RunnerError(f"runner refused the request as malformed{detail}")
    if status == 413:
        return RunnerError(f"runner refused the snippet as too long{detail}")
    if status == 503:
        retry_after = _retry_after(headers.get("Retry-After"))
        when = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RunnerError(f"runner is busy (queue full){when}", retry_after=retry_after)
    return RunnerError(f"runner answered HTTP {status}{detail}")


def _retry_after(value: str | None) -> float | None:
    """Seconds only: the runner sends a number (an HTTP date would be a misconfigured proxy)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
