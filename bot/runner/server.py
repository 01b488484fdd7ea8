"""The runner's HTTP face: `GET /v1/health` and `POST /v1/run`, in the shapes of `protocol`.

This process reads requests and never forks a process that runs user code: the fork server
(`forkserver.py`) clones the children and `pool.Pool` hands each job straight to one. Every
client (the bot's local and remote backends, `studybot runner exec`, the tests and the bench)
sees the same JSON, so `protocol` is the contract; extra fields are optional.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from pathlib import Path

from aiohttp import web

from bot.runner.pool import Busy, Pool
from bot.runner.protocol import JSON_BYTES_PER_CHAR, Health, RequestError, parse_request

POOL = web.AppKey("pool", Pool)


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


async def health(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    body = Health(
        slots=pool.slots,
        preloaded=pool.preloaded,
        cgroups=pool.cgroups,
        uids=[pool.uid_base + index for index in range(pool.slots)]
        if pool.uid_base is not None
        else None,
        forkserver_pid=pool.forkserver_pid,
        quarantined=pool.quarantined(),
        warning="; ".join(pool.warnings) if pool.warnings else None,
    )
    return web.json_response(body.body())


async def run(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    limits = pool.limits
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "the request body is too large")
    try:
        job = parse_request(raw)
        job.check_limits(limits.code_chars, limits.stdin_bytes)
    except RequestError as error:
        return _error(error.status, error.message)
    try:
        answer = await pool.run(job.code, job.stdin, job.timeout_s)
    except Busy:
        return _error(503, "every slot is busy; retry shortly", **{"Retry-After": "1"})
    return web.json_response(answer.body())


def build_app(pool: Pool) -> web.Application:
    limits = pool.limits
    max_body = JSON_BYTES_PER_CHAR * (limits.code_chars + limits.stdin_bytes) + 65536
    app = web.Application(client_max_size=max_body)
    app[POOL] = pool
    app.router.add_get("/v1/health", health)
    app.router.add_post("/v1/run", run)
    return app


def listening_socket(host: str, port: int, unix: Path | None) -> socket.socket:
    """Bound before the event loop starts, so the address is known (and taken) at once."""
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


async def serve(pool: Pool, sock: socket.socket) -> int:
    """Starts the fork server and the slots, serves on the bound socket, and runs until SIGTERM
    or SIGINT (0) or until the fork server dies (1: whoever started us restarts us)."""
    await pool.start()
    runner = web.AppRunner(build_app(pool), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    for warning in pool.warnings:
        print(f"studybot runner: WARNING: {warning}", file=sys.stderr)
    print(
        f"studybot runner: listening on {_where(sock)} with {pool.slots} slots",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    assert pool.gone is not None
    stopped = asyncio.ensure_future(stop.wait())
    gone = asyncio.ensure_future(pool.gone.wait())
    try:
        await asyncio.wait((stopped, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        gone.cancel()
        await runner.cleanup()
        await pool.close()
    if pool.gone.is_set():
        print("studybot runner: the fork server died; stopping", file=sys.stderr, flush=True)
        return 1
    return 0
