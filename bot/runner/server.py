"""The runner's HTTP face: `GET /v1/health` and `POST /v1/run`, exactly as issue #3 shapes them.

Every client (the bot's local and remote backends, `studybot runner exec`, the tests and the
bench) sees the same JSON, so the shapes here are the contract; extra fields are optional.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import socket
import sys
from pathlib import Path

from aiohttp import web

from bot.runner.zygote import Busy, Zygote

ZYGOTE = web.AppKey("zygote", Zygote)


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


async def health(request: web.Request) -> web.Response:
    zygote = request.app[ZYGOTE]
    body: dict[str, object] = {
        "status": "ok",
        "slots": zygote.slots,
        "preloaded": zygote.preloaded,
    }
    if zygote.uid_base is not None:
        body["uids"] = [zygote.uid_base + index for index in range(zygote.slots)]
    if zygote.warnings:
        body["warning"] = "; ".join(zygote.warnings)
    return web.json_response(body)


async def run(request: web.Request) -> web.Response:
    zygote = request.app[ZYGOTE]
    limits = zygote.limits
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "the request body is too large")
    try:
        payload = json.loads(raw)
    except ValueError:
        return _error(400, "the body must be a JSON object")
    if not isinstance(payload, dict):
        return _error(400, "the body must be a JSON object")
    code = payload.get("code")
    if not isinstance(code, str):
        return _error(400, "'code' must be a string")
    stdin = payload.get("stdin", "")
    if stdin is None:
        stdin = ""
    if not isinstance(stdin, str):
        return _error(400, "'stdin' must be a string")
    timeout = payload.get("timeout_s")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        return _error(400, "'timeout_s' must be a positive number")
    if len(code) > limits.code_chars:
        return _error(413, f"the code is longer than {limits.code_chars} characters")
    if len(stdin.encode("utf-8", "surrogatepass")) > limits.stdin_bytes:
        return _error(413, f"stdin is longer than {limits.stdin_bytes} bytes")
    try:
        body = await zygote.run(code, stdin, float(timeout) if timeout is not None else None)
    except Busy:
        return _error(503, "every slot is busy; retry shortly", **{"Retry-After": "1"})
    return web.json_response(body)


def build_app(zygote: Zygote) -> web.Application:
    limits = zygote.limits
    # JSON may spell a character in up to 12 bytes (a surrogate pair of \uXXXX escapes).
    max_body = 12 * (limits.code_chars + limits.stdin_bytes) + 65536
    app = web.Application(client_max_size=max_body)
    app[ZYGOTE] = zygote
    app.router.add_get("/v1/health", health)
    app.router.add_post("/v1/run", run)
    return app


def listening_socket(host: str, port: int, unix: Path | None) -> socket.socket:
    """Bound before the event loop starts: asyncio would resolve a name in a thread, and the
    parent must stay single-threaded to fork safely."""
    if unix is not None:
        with contextlib.suppress(FileNotFoundError):
            unix.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(unix))
        sock.listen(128)
        return sock
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return socket.create_server(address[:2], family=family, backlog=128)


def _where(sock: socket.socket) -> str:
    if sock.family == socket.AF_UNIX:
        return f"unix:{sock.getsockname()}"
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(zygote: Zygote, sock: socket.socket) -> None:
    """Starts the slots, serves on the bound socket, and runs until SIGTERM or SIGINT."""
    await zygote.start()
    runner = web.AppRunner(build_app(zygote), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    for warning in zygote.warnings:
        print(f"studybot runner: WARNING: {warning}", file=sys.stderr)
    print(
        f"studybot runner: listening on {_where(sock)} with {zygote.slots} slots",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await zygote.close()
