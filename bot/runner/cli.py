"""`studybot runner serve|exec` and `python -m bot.runner`: cheap to import, heavy to run.

The bot mounts `runner_app` into its own CLI, so importing this module must not import numpy
or anything of the bot. Both commands first make sure the process has an empty environment: a
forked child's `/proc/self/environ` shows the environment its parent was started with, so a
runner started with the bot's environment re-executes itself without it before loading anything.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.runner.limits import Limits

runner_app = typer.Typer(
    help="The restricted snippet runner (its own process, empty environment).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Set by Python itself (PEP 538 locale coercion) or by the runner before its imports.
_OWN_VARIABLES = {"LC_CTYPE"}


def scrubbed(arguments: list[str]) -> None:
    """Re-executes `python -m bot.runner ARGUMENTS` with an empty environment unless it has one."""
    foreign = set(os.environ) - _OWN_VARIABLES
    if not foreign:
        return
    logging.getLogger(__name__).debug(
        "restarting without the %d inherited environment variables (the runner must not see them)",
        len(foreign),
    )
    os.execve(sys.executable, [sys.executable, "-s", "-m", "bot.runner", *arguments], {})


def _limits(timeout: float | None, memory_mib: int | None, processes: int | None) -> Limits:
    from bot.runner.limits import MIB, Limits

    overrides: dict[str, Any] = {}
    if timeout is not None:
        overrides.update(wall_s=timeout, cpu_s=timeout, max_wall_s=max(timeout, 30.0))
    if memory_mib is not None:
        overrides["memory_bytes"] = memory_mib * MIB
    if processes is not None:
        overrides["processes"] = processes
    try:
        return Limits(**overrides)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def _flags(**options: object) -> list[str]:
    """The options again, as arguments for the re-executed process."""
    arguments: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif value is not None and value is not False:
            arguments += [flag, str(value)]
    return arguments


@runner_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 8060,
    slots: Annotated[
        int | None, typer.Option(help="Snippets run at once (default: one per core).")
    ] = None,
    unix: Annotated[Path | None, typer.Option(help="Listen on this Unix socket instead.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Default wall and CPU limit, s.")] = None,
    memory_mib: Annotated[int | None, typer.Option(help="Memory per snippet, MiB.")] = None,
    processes: Annotated[int | None, typer.Option(help="Processes per snippet.")] = None,
    queue: Annotated[
        int | None, typer.Option(help="Requests that may wait for a slot before 503.")
    ] = None,
    cgroups: Annotated[
        bool,
        typer.Option(
            help="Per-slot memory, pids and cpu cgroups where the host allows them; "
            "--no-cgroups bounds runs by rlimits alone (as on a host without them)."
        ),
    ] = True,
    kill_grace: Annotated[
        float | None,
        typer.Option(help="Seconds a killed run may take to die before its slot is quarantined."),
    ] = None,
    unsafe_no_isolation: Annotated[
        bool, typer.Option(help="DEVELOPMENT ONLY: run snippets without the jail.")
    ] = False,
) -> None:
    """Serve `POST /v1/run` and `GET /v1/health` over HTTP."""
    scrubbed(
        [
            "serve",
            *_flags(
                host=host,
                port=port,
                slots=slots,
                unix=unix,
                timeout=timeout,
                memory_mib=memory_mib,
                processes=processes,
                queue=queue,
                kill_grace=kill_grace,
                unsafe_no_isolation=unsafe_no_isolation,
            )
            + ([] if cgroups else ["--no-cgroups"]),
        ]
    )
    import asyncio

    from bot.runner.pool import KILL_GRACE_S, IsolationUnavailable, Pool
    from bot.runner.server import listening_socket
    from bot.runner.server import serve as serve_http

    limits = _limits(timeout, memory_mib, processes)
    if kill_grace is not None and not 0 < kill_grace <= 60:
        raise typer.BadParameter(f"--kill-grace {kill_grace} is outside (0, 60]")
    pool = Pool(
        limits,
        slots or os.cpu_count() or 1,
        isolate=not unsafe_no_isolation,
        cgroups=cgroups,
        queue=queue,
        kill_grace_s=kill_grace if kill_grace is not None else KILL_GRACE_S,
    )
    sock = listening_socket(host, port, unix)
    try:
        code = asyncio.run(serve_http(pool, sock))
    except IsolationUnavailable as error:
        typer.echo(f"studybot runner: refusing to start: {error}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@runner_app.command("exec")
def exec_snippet(
    file: Annotated[str, typer.Argument(help="A Python file, or - for standard input.")] = "-",
    timeout: Annotated[float | None, typer.Option(help="Wall and CPU limit, s.")] = None,
    stdin: Annotated[str | None, typer.Option(help="Text given to the snippet's stdin.")] = None,
    unsafe_no_isolation: Annotated[
        bool, typer.Option(help="DEVELOPMENT ONLY: run the snippet without the jail.")
    ] = False,
) -> None:
    """Run one snippet in the jail and print the same JSON as `POST /v1/run`."""
    if file != "-":
        _readable(Path(file))
    scrubbed(
        [
            "exec",
            file,
            *_flags(timeout=timeout, stdin=stdin, unsafe_no_isolation=unsafe_no_isolation),
        ]
    )
    import asyncio
    import json

    from bot.runner.limits import Limits
    from bot.runner.pool import IsolationUnavailable, Pool
    from bot.runner.protocol import RequestError, RunRequest

    code = sys.stdin.read() if file == "-" else _readable(Path(file))
    limits = Limits()
    try:
        request = RunRequest(code=code, stdin=stdin or "", timeout_s=timeout)
        request.check_limits(limits.code_chars, limits.stdin_bytes)
    except (RequestError, ValueError) as error:
        message = error.message if isinstance(error, RequestError) else _first_error(error)
        typer.echo(json.dumps({"error": message}))
        raise typer.Exit(2) from None

    async def once() -> dict[str, Any]:
        pool = Pool(limits, 1, isolate=not unsafe_no_isolation)
        await pool.start()
        try:
            answer = await pool.run(request.code, request.stdin, request.timeout_s)
        finally:
            await pool.close()
        return answer.body()

    try:
        body = asyncio.run(once())
    except IsolationUnavailable as error:
        typer.echo(f"studybot runner: refusing to run: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(body))


def _first_error(error: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(error)


@runner_app.command(hidden=True)
def forkserver(
    fd: Annotated[int, typer.Option(help="This end of the server's socketpair.")],
) -> None:
    """The fork server (started by `serve` with an empty environment; never by hand)."""
    from bot.runner.forkserver import main as forkserver_main

    forkserver_main(fd)


def _readable(path: Path) -> str:
    """The snippet in `path`, or one line saying why it cannot be read (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        typer.echo(f"studybot runner: cannot read {path}: {reason}", err=True)
        raise typer.Exit(2) from None


def main() -> None:
    """`python -m bot.runner` with no arguments serves with the defaults."""
    if len(sys.argv) == 1:
        sys.argv.append("serve")
    runner_app(prog_name="python -m bot.runner")
