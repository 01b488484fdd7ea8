"""The child: one run of one snippet, from the fork server's clone to its exit.

Cloned by the fork server (`forkserver.py`), which has never seen a request: what the child
inherits is the preloaded libraries and nothing of any member's run. Before any user code:
  1. it moves its pipe ends to fixed numbers and closes everything else it inherited;
  2. it joins its slot's cgroups and then enters a cgroup namespace of its own;
  3. it builds its root (`jail.build_root`) and locks itself down (`jail.lock_down`): the slot's
     uid, rlimits, no_new_privs, the seccomp filter;
  4. it says READY on the results pipe (read by the fork server) and waits on the job pipe.
The server (which was handed the pipes) then writes the job straight to it. The child runs the
snippet as `python -c` would, renders the figures left open, writes them and the name of an
uncaught exception as frames on the results pipe (`framing`), and exits with the snippet's exit
code. The server takes the status and the exit code from the kernel, never from these frames.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import signal
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from bot.runner import framing, jail
from bot.runner.cgroup import join_dirs
from bot.runner.limits import Limits
from bot.runner.seccomp import CLONE_NEWCGROUP, SeccompFilter

# The child's file descriptors, at fixed numbers.
JOB_FD, RESULT_FD, OUT_FD, ERR_FD = 3, 4, 5, 6
READY = b"READY\n"

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
WORKER_ENV = {
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/.matplotlib",
    **dict.fromkeys(THREAD_VARIABLES, "1"),
}


@dataclass(frozen=True)
class ChildSetup:
    """What a child needs to lock itself down; built once per slot in the fork server."""

    limits: Limits
    isolate: bool
    spec: jail.JailSpec | None
    identity: jail.SlotIdentity | None
    cgroup_dirs: tuple[str, ...]
    seccomp: SeccompFilter | None


def arrange_fds(mapping: dict[int, int]) -> None:
    """Moves the child's pipe ends to fixed numbers and closes everything else it inherited
    (the control socket, other slots' pipes, the fork server's epoll)."""
    import fcntl

    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 64) for target, source in mapping.items()}
    for target, source in high.items():
        os.dup2(source, target)
    os.closerange(max(mapping) + 1, 1 << 20)


def _reset_signals() -> None:
    """The fork server's dispositions mean nothing here; keep what a fresh interpreter has."""
    signal.set_wakeup_fd(-1)
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def main(setup: ChildSetup) -> NoReturn:
    """Builds the jail, locks itself down, says READY, waits for its job and runs it."""
    _reset_signals()
    limits = setup.limits
    try:
        # A process group of its own: kill(0, …) reaches a whole process group even across pid
        # namespaces, and without a user of its own (not root) the runner shares our real uid.
        os.setsid()
        if setup.cgroup_dirs:
            # Joined here, not by the server: a cgroup v1 move takes milliseconds. The cgroup
            # namespace comes after, rooted at the slot: /proc/self/cgroup then says "/".
            join_dirs(setup.cgroup_dirs, 0)
            jail.unshare(CLONE_NEWCGROUP)
        if setup.isolate:
            spec = setup.spec
            assert spec is not None
            if spec.user_namespace:
                jail.write_id_maps(spec)
            identity = setup.identity or jail.SlotIdentity(0, 0, "runner:x:0:0::/tmp:/bin/false\n")
            jail.build_root(spec, identity)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        jail.lock_down(
            setup.identity,
            setup.seccomp,
            cpu_s=max(1, int(limits.max_wall_s) + 1),
            memory_bytes=limits.memory_bytes,
            processes=limits.processes,
            file_bytes=limits.tmpfs_bytes,
            open_files=limits.open_files,
        )
        run = _prepare(limits)
        os.write(RESULT_FD, READY)
    except BaseException as error:
        with contextlib.suppress(OSError):
            message = f"E{type(error).__name__}: {error} (at {_where(error)})"
            os.write(RESULT_FD, message.replace("\n", " ").encode()[:4000] + b"\n")
        os._exit(1)
    job = _read_job()
    if job is None:
        os._exit(0)
    os._exit(_run_job(job, run))


def _read_job() -> framing.Job | None:
    header = _read_exactly(JOB_FD, framing.job_header_size())
    if header is None:
        return None
    job = framing.decode_job(header, lambda size: _read_exactly(JOB_FD, size))
    os.close(JOB_FD)
    return job


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        data = os.read(fd, min(size - len(chunks), 1 << 20))
        if not data:
            return None
        chunks += data
    return bytes(chunks)


@dataclass
class _Run:
    """What `_prepare` set up for the run: its __main__, and the figures `plt.show()` kept."""

    limits: Limits
    main: types.ModuleType
    shown: list[bytes]


def _prepare(limits: Limits) -> _Run:
    """Everything of a run that does not depend on its job, done before READY so that a run
    does not wait for it: streams, environment, seeds, the figure hook, a fresh __main__."""
    os.dup2(OUT_FD, 1)
    os.dup2(ERR_FD, 2)
    os.close(OUT_FD)
    os.close(ERR_FD)
    with contextlib.suppress(OSError):
        os.chdir("/tmp")
    os.environ.clear()
    os.environ.update(WORKER_ENV)
    # fd 0 is /dev/null until the job's stdin is put there; the wrapper has read nothing yet.
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    # The originals too: code that restores sys.stdout from __stdout__ must land on the pipes.
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]
    sys.argv = ["-c"]
    sys.path[0] = ""
    import faulthandler

    faulthandler.enable(sys.stderr)
    _reseed()
    shown: list[bytes] = []
    _install_show(shown, limits)
    import atexit

    atexit._clear()
    main_module = types.ModuleType("__main__")
    main_module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main_module
    return _Run(limits, main_module, shown)


def _run_job(job: framing.Job, run: _Run) -> int:
    """Everything between the job and the exit: stdin, the CPU limit, the snippet, the figures."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (job.cpu_s, job.cpu_s + 1))
    stdin = os.memfd_create("stdin")
    os.write(stdin, job.stdin.encode("utf-8"))
    os.lseek(stdin, 0, os.SEEK_SET)
    os.dup2(stdin, 0)
    os.close(stdin)
    code, uncaught = _run_snippet(job.code, run.main.__dict__)
    code = _shutdown(code)
    _send_results(run.shown, run.limits, uncaught)
    return code


def _reseed() -> None:
    """Children inherit the fork server's random state; without this every run draws the same."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _install_show(shown: list[bytes], limits: Limits) -> None:
    """`plt.show()` has no screen here: it renders the open figures into the response instead."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    plt.close("all")

    def show(*args: object, **kwargs: object) -> None:
        shown.extend(_render_open_figures(limits, len(shown)))

    plt.show = show  # type: ignore[attr-defined]


def _render_open_figures(limits: Limits, already: int) -> list[bytes]:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    images: list[bytes] = []
    for number in plt.get_fignums():
        buffer = io.BytesIO()
        try:
            plt.figure(number).savefig(buffer, format="png")
        except Exception as error:
            print(f"[runner] figure {number} could not be drawn: {error}", file=sys.stderr)
            continue
        finally:
            plt.close(number)
        data = buffer.getvalue()
        if len(data) > limits.image_bytes:
            print(
                f"[runner] figure {number} left out: its PNG is {len(data)} bytes, "
                f"over {limits.image_bytes}",
                file=sys.stderr,
            )
        elif already + len(images) >= limits.images:
            print(
                f"[runner] figure {number} left out: at most {limits.images} images",
                file=sys.stderr,
            )
        else:
            images.append(data)
    return images


def _run_snippet(code: str, namespace: dict[str, Any]) -> tuple[int, str | None]:
    """Runs the code as `python -c` would; returns (exit code, uncaught exception's name)."""
    try:
        exec(compile(code, "<snippet>", "exec"), namespace)
    except SystemExit as exit:
        return _exit_status(exit.code), None
    except BaseException as error:
        traceback = error.__traceback__
        if traceback is not None:  # the snippet's frames only, not this one
            traceback = traceback.tb_next
            error.__traceback__ = traceback
        try:
            sys.excepthook(type(error), error, traceback)
        except BaseException:
            pass
        return 1, type(error).__name__
    return 0, None


def _exit_status(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    with contextlib.suppress(Exception):
        print(value, file=sys.stderr)
    return 1


def _shutdown(code: int) -> int:
    """What the interpreter does at exit: join threads, run atexit, flush (120 if it fails)."""
    import atexit
    import threading

    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if code == 0 and stream is sys.stdout:
                code = 120
    return code


def _send_results(shown: list[bytes], limits: Limits, uncaught: str | None) -> None:
    """The figures, then the uncaught exception's name, as frames; then the child exits."""
    images = shown + _render_open_figures(limits, len(shown))
    frames = bytearray()
    for data in images[: limits.images]:
        frames += framing.figure_frame(data)
    if uncaught is not None:
        frames += framing.summary_frame(uncaught)
    view = memoryview(frames)
    with contextlib.suppress(OSError):
        while view:
            view = view[os.write(RESULT_FD, view) :]


def _where(error: BaseException) -> str:
    """The runner's innermost frame of a setup failure, so a refusal names the failing step."""
    where = "?"
    traceback = error.__traceback__
    while traceback is not None:
        path = Path(traceback.tb_frame.f_code.co_filename)
        if path.parent.name == "runner":
            where = f"{path.name}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return where
