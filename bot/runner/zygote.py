"""The warm parent: libraries imported once, a pool of locked children forked ahead of requests.

A run, from the parent's side (`Zygote.run`):
  1. take a slot whose child is ready: cloned straight into new namespaces, where it is PID 1,
     it has built its root, dropped to the slot's uid, set its rlimits, loaded the seccomp
     filter, and now waits on its job pipe;
  2. send the job; read stdout/stderr (capped) and the child's files and trailer; a timer
     kills the whole tree at the wall limit;
  3. kill the child: as PID 1 of its pid namespace it takes every process of the run with it,
     daemons included; answer; reap, and clone the slot's next child.

The child is PID 1 without a separate init (a second fork of a 200 MiB parent per run): PID 1
ignores signals it has no handler for, so the soft CPU limit (SIGXCPU) does nothing and the
hard limit's SIGKILL and the wall clock end a spinner, which the kernel still delivers.

The parent holds no secret: it is started with an empty environment (see `cli.scrubbed`), and a
snippet can walk frames up into the parent's module globals, so there must be nothing to find.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import contextlib
import gc
import io
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from bot.runner import jail
from bot.runner.cgroup import CgroupTree, CgroupUnavailable, SlotCgroup, own_pid_name, remove_stale
from bot.runner.limits import Limits, RunLimits
from bot.runner.seccomp import SeccompError, SeccompFilter, build_filter

log = logging.getLogger("studybot.runner")

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
PRELOADED = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")
SKLEARN_MODULES = (
    "cluster",
    "compose",
    "datasets",
    "decomposition",
    "ensemble",
    "impute",
    "linear_model",
    "metrics",
    "model_selection",
    "naive_bayes",
    "neighbors",
    "pipeline",
    "preprocessing",
    "svm",
    "tree",
)
UID_BASE = 61000
UID_BLOCK = 64
UID_LOCKS = Path("/run/lock/studybot-runner")
FLOOD_FACTOR = 16
READY = b"READY\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UNSAFE_WARNING = (
    "UNSAFE: the runner was started with --unsafe-no-isolation; this snippet ran without "
    "namespaces and could read this machine's files and reach its network"
)
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}

# The child's file descriptors, at fixed numbers.
JOB_FD, RESULT_FD, OUT_FD, ERR_FD = 3, 4, 5, 6

WORKER_ENV = {
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/.matplotlib",
    **dict.fromkeys(THREAD_VARIABLES, "1"),
}


class Busy(RuntimeError):
    """Every slot is taken and the waiting line is full: the caller should retry later."""


class IsolationUnavailable(RuntimeError):
    """The jail cannot be built here; the message says what the runner needs."""


NEEDS = (
    "The runner needs Linux namespaces (mount, pid, network, ipc, uts, and user when not root) "
    "and libseccomp: run it as root, or as a user where unprivileged user namespaces are "
    "enabled (user.max_user_namespaces > 0), or in a container allowed to create namespaces "
    "(CAP_SYS_ADMIN, unconfined seccomp/AppArmor). For development only, "
    "--unsafe-no-isolation runs snippets without any of this."
)


def preload() -> list[str]:
    """Imports and warms the libraries once, so a child starts with them in memory.

    The thread-pool variables must be 1 before numpy is first imported: an OpenMP or OpenBLAS
    pool started in the parent hangs forked children.
    """
    if "numpy" in sys.modules and os.environ.get("OMP_NUM_THREADS") != "1":
        raise RuntimeError("numpy was imported before the thread variables were set")
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    for name in SKLEARN_MODULES:
        importlib.import_module(f"sklearn.{name}")
    from sklearn.linear_model import LinearRegression

    # Lazily imported paths (printing a frame, fitting, rendering a PNG) run once here, so
    # children do not each pay for them.
    frame = pd.DataFrame({"group": ["a", "b", "a"], "value": [1.0, 2.0, 3.0]})
    repr(frame.groupby("group")["value"].agg(["mean", "sum"]))
    repr(frame.describe())
    LinearRegression().fit(np.eye(3), np.arange(3.0)).predict(np.eye(3))
    np.random.default_rng(0).normal(size=3)
    figure, axes = plt.subplots()
    axes.plot([0, 1], [0, 1], label="warm-up")
    axes.set_title("warm-up")
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")
    loaded = [name for name in PRELOADED if name in sys.modules]
    gc.collect()
    gc.freeze()
    return loaded


@dataclass
class _Child:
    """A slot's child and the parent's ends of its pipes."""

    pid: int
    pidfd: int
    job_w: int
    result_r: int
    out_r: int
    err_r: int
    wait_status: int | None = None
    cpu_s: float = 0.0

    def fds(self) -> tuple[int, ...]:
        return (self.pidfd, self.job_w, self.result_r, self.out_r, self.err_r)


@dataclass
class _Slot:
    index: int
    identity: jail.SlotIdentity | None
    cgroup: SlotCgroup | None
    child: _Child | None = None
    failures: int = 0


@dataclass
class _Output:
    """stdout and stderr sharing one cap; what does not fit is counted, not kept."""

    cap: int
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def take(self, buffer: bytearray, data: bytes) -> None:
        room = max(0, self.cap - len(self.stdout) - len(self.stderr))
        buffer += data[:room]
        self.dropped += max(0, len(data) - room)


@dataclass
class _Capped:
    """A buffer that keeps its first `cap` bytes."""

    cap: int
    data: bytes = b""

    def add(self, chunk: bytes) -> None:
        if len(self.data) < self.cap:
            self.data += chunk[: self.cap - len(self.data)]


class Zygote:
    """Owns the slots; `run` is safe to call from many requests at once."""

    def __init__(
        self,
        limits: Limits,
        slots: int,
        *,
        isolate: bool = True,
        queue: int | None = None,
    ) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.limits = limits
        self.isolate = isolate
        self.queue = queue if queue is not None else 8 * slots
        self.preloaded: list[str] = []
        self.warnings: list[str] = []
        self._slot_count = slots
        self._slots: list[_Slot] = []
        self._ready: asyncio.Queue[_Slot] = asyncio.Queue()
        self._waiting = 0
        self._closing = False
        self._seccomp: SeccompFilter | None = None
        self._cgroups: CgroupTree | None = None
        self._spec: jail.JailSpec | None = None
        self._flags = 0
        self._root_dir: str | None = None
        self._refills: set[asyncio.Task[None]] = set()
        self._uid_lock: int | None = None
        self.uid_base: int | None = None

    @property
    def slots(self) -> int:
        return self._slot_count

    # ---- start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        """Preloads, compiles the filter, makes the cgroups and forks every slot's first child."""
        self.preloaded = preload()
        root = _real_root()
        try:
            self._seccomp = build_filter()
        except SeccompError as error:
            if self.isolate:
                raise IsolationUnavailable(f"no seccomp filter: {error}. {NEEDS}") from error
            self.warnings.append(f"no seccomp filter: {error}")
        if root:
            with contextlib.suppress(OSError):
                remove_stale()
            try:
                self._cgroups = CgroupTree(own_pid_name())
            except CgroupUnavailable as error:
                self.warnings.append(f"{error}: memory is limited by RLIMIT_DATA only")
        else:
            self.warnings.append("not root: no cgroups, memory limited by RLIMIT_DATA only")
        if self.isolate:
            self._root_dir = tempfile.mkdtemp(prefix="studybot-runner-root-")
            os.chmod(self._root_dir, 0o755)
            binds, symlinks = jail.read_only_paths(
                (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix),
                hidden=_hidden_folders(),
            )
            self._spec = jail.JailSpec(
                root_dir=self._root_dir,
                read_only=binds,
                symlinks=symlinks,
                tmpfs_bytes=self.limits.tmpfs_bytes,
                user_namespace=not root,
                outer_uid=os.geteuid(),
                outer_gid=os.getegid(),
            )
            self._flags = jail.namespace_flags(user_namespace=not root)
        else:
            self.warnings.insert(0, UNSAFE_WARNING)
        uid_base = self._claim_uids() if root else None
        self.uid_base = uid_base
        for index in range(self._slot_count):
            identity = None
            if uid_base is not None:
                uid = uid_base + index
                identity = jail.SlotIdentity(
                    uid, uid, f"runner:x:{uid}:{uid}:runner:/tmp:/usr/sbin/nologin\n"
                )
            cgroup = None
            if self._cgroups is not None:
                cgroup = self._cgroups.slot(index, self.limits.memory_bytes, self.limits.processes)
            self._slots.append(_Slot(index, identity, cgroup))
        results = await asyncio.gather(
            *(self._prepare(slot) for slot in self._slots), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                await self.close()
                if self.isolate:
                    raise IsolationUnavailable(f"cannot build the jail: {result}. {NEEDS}")
                raise RuntimeError(f"cannot start a child: {result}") from result

    def _claim_uids(self) -> int:
        """A block of uids no other runner on this host uses: RLIMIT_NPROC counts per uid, so
        two runners sharing uids would let a fork bomb in one starve the other."""
        import fcntl

        UID_LOCKS.mkdir(parents=True, exist_ok=True)
        busy = _uids_with_processes()
        for block in range(0, 4000 - UID_BLOCK, UID_BLOCK):
            base = UID_BASE + block
            if busy.intersection(range(base, base + UID_BLOCK)):
                continue
            fd = os.open(UID_LOCKS / f"uids-{base}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._uid_lock = fd  # held (by this open file) until the runner exits
            return base
        raise IsolationUnavailable("no free block of slot uids (another 60 runners run here?)")

    async def close(self) -> None:
        self._closing = True
        for task in list(self._refills):
            task.cancel()
        for slot in self._slots:
            if slot.child is not None:
                self._kill(slot.child)
                self._reap(slot.child)
                slot.child = None
        if self._cgroups is not None:
            self._cgroups.remove()
        if self._root_dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._root_dir)
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

    # ---- a run ----------------------------------------------------------------------------

    async def run(
        self, code: str, stdin: str = "", timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Runs one snippet and returns the response body of `POST /v1/run`."""
        if self._waiting >= self.queue and self._ready.empty():
            raise Busy("every slot is busy")
        self._waiting += 1
        try:
            slot = await self._ready.get()
        finally:
            self._waiting -= 1
        child = slot.child
        assert child is not None
        try:
            return await self._execute(slot, child, code, stdin, self.limits.for_request(timeout_s))
        finally:
            # The tree is already killed; reaping it (a 400 MB address space per process to
            # tear down) happens after the answer, before the slot takes its next job.
            self._kill(child)
            self._recycle(slot, child)

    async def _execute(
        self, slot: _Slot, child: _Child, code: str, stdin: str, run: RunLimits
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        cgroup = slot.cgroup
        oom_before = cpu_before = 0
        if cgroup is not None:
            cgroup.reset()
            oom_before, cpu_before = cgroup.oom_kills(), cgroup.cpu_ns()
        output = _Output(self.limits.output_bytes)
        result = _Capped(self.limits.images * (self.limits.image_bytes + 1024) + 65536)
        done: asyncio.Future[str] = loop.create_future()
        flood = FLOOD_FACTOR * self.limits.output_bytes

        def finish(reason: str) -> None:
            if not done.done():
                done.set_result(reason)

        def on_output(fd: int, buffer: bytearray) -> None:
            data = _read_some(fd)
            if data is None:
                loop.remove_reader(fd)
                return
            output.take(buffer, data)
            if output.dropped > flood:
                finish("output")

        def on_result() -> None:
            data = _read_some(child.result_r)
            if data is None:
                loop.remove_reader(child.result_r)
                return
            result.add(data)
            if data.endswith(b"}\n") and _parse_result(result.data, self.limits)[1] is not None:
                finish("trailer")

        loop.add_reader(child.out_r, on_output, child.out_r, output.stdout)
        loop.add_reader(child.err_r, on_output, child.err_r, output.stderr)
        loop.add_reader(child.result_r, on_result)
        loop.add_reader(child.pidfd, finish, "exited")
        job = json.dumps({"code": code, "stdin": stdin, "cpu_s": run.cpu_rlimit}).encode()
        started = time.monotonic()
        timer = loop.call_later(run.wall_s, finish, "wall")
        try:
            await _write_all(loop, child.job_w, len(job).to_bytes(8, "little") + job)
            reason = await done
        finally:
            wall_ms = (time.monotonic() - started) * 1000
            timer.cancel()
            for fd in child.fds():
                loop.remove_reader(fd)
            if cgroup is None:
                child.cpu_s = _cpu_seconds(child.pid)
            self._kill(child)
        if reason == "exited":  # no trailer: the exit status says how it ended
            self._reap(child)
        # Whatever the child wrote before it ended is in the pipes now; what its leftover
        # processes might still write is not wanted.
        for fd, sink in ((child.out_r, output.stdout), (child.err_r, output.stderr)):
            for data in _drain(fd):
                output.take(sink, data)
        for data in _drain(child.result_r):
            result.add(data)

        files, trailer = _parse_result(result.data, self.limits)
        cpu_ms = child.cpu_s * 1000
        oom = 0
        if cgroup is not None:
            cpu_ms = (cgroup.cpu_ns() - cpu_before) / 1e6
            oom = cgroup.oom_kills() - oom_before
        exit_code, signal_number = _exit_of(child.wait_status, trailer)
        uncaught = trailer.get("uncaught") if trailer else None
        truncated = output.dropped > 0
        body: dict[str, Any] = {
            "status": _status(
                reason, oom, uncaught, signal_number, exit_code, truncated, cpu_ms, run
            ),
            "exit_code": exit_code,
            "stdout": output.stdout.decode("utf-8", "replace"),
            "stderr": output.stderr.decode("utf-8", "replace"),
            "truncated": truncated,
            "wall_ms": round(wall_ms, 3),
            "cpu_ms": round(cpu_ms, 3),
            "files": files,
        }
        if truncated:
            body["dropped_bytes"] = output.dropped
        if self.warnings:
            body["warning"] = "; ".join(self.warnings)
        return body

    # ---- children -------------------------------------------------------------------------

    def _recycle(self, slot: _Slot, child: _Child) -> None:
        """Reaps the killed tree, then forks the slot's next child."""
        task = asyncio.get_running_loop().create_task(self._reap_and_prepare(slot, child))
        self._refills.add(task)
        task.add_done_callback(self._refills.discard)

    async def _reap_and_prepare(self, slot: _Slot, child: _Child) -> None:
        """The next child is cloned while the killed tree is still being torn down, but the
        slot takes a job only once the old tree is gone (its uid's process count included)."""
        slot.child = None
        next_child = asyncio.ensure_future(self._prepare_with_retry(slot, enqueue=False))
        try:
            if child.wait_status is None:
                await _exited(asyncio.get_running_loop(), child.pidfd)
                self._reap(child)
        finally:
            _close(child)
        if await next_child:
            self._ready.put_nowait(slot)

    async def _prepare_with_retry(self, slot: _Slot, *, enqueue: bool = True) -> bool:
        while not self._closing:
            try:
                await self._prepare(slot, enqueue=enqueue)
                slot.failures = 0
                return True
            except Exception:
                slot.failures += 1
                log.exception("slot %d: could not prepare a child", slot.index)
                await asyncio.sleep(min(5.0, 0.1 * 2**slot.failures))
        return False

    async def _prepare(self, slot: _Slot, *, enqueue: bool = True) -> None:
        """Clones the slot's next child and waits until it is locked down and listening."""
        loop = asyncio.get_running_loop()
        child = self._spawn(slot)
        slot.child = child
        ready: asyncio.Future[str] = loop.create_future()
        seen = bytearray()

        def on_result() -> None:
            data = _read_some(child.result_r)
            if data is None:
                loop.remove_reader(child.result_r)
                if not ready.done():
                    ready.set_result("the child closed its pipe")
                return
            seen.extend(data)
            if seen.startswith(READY) and not ready.done():
                ready.set_result("")
            elif b"\n" in seen and not ready.done():
                ready.set_result(seen.decode(errors="replace").strip().removeprefix("E"))

        loop.add_reader(child.result_r, on_result)

        def on_exit() -> None:
            if not ready.done():
                ready.set_result("it exited")

        loop.add_reader(child.pidfd, on_exit)
        try:
            error = await asyncio.wait_for(ready, timeout=30)
        except TimeoutError:
            error = "the child did not get ready in 30 s"
        finally:
            for fd in (child.result_r, child.pidfd):
                loop.remove_reader(fd)
        if error or len(seen) > len(READY):
            if not error:
                error = "the child wrote before it was given a job"
            self._kill(child)
            await _exited(loop, child.pidfd)
            self._reap(child)
            for data in _drain(child.result_r):
                seen.extend(data)
            _close(child)
            slot.child = None
            said = seen.decode(errors="replace").strip().removeprefix("E")
            raise RuntimeError(said or error)
        if enqueue:
            self._ready.put_nowait(slot)

    def _spawn(self, slot: _Slot) -> _Child:
        """Clones the child into the slot's namespaces (or plainly forks it when unsafe)."""
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_ends = {
            JOB_FD: job_r,
            RESULT_FD: result_w,
            OUT_FD: out_w,
            ERR_FD: err_w,
        }
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        pid = jail.clone_into(self._flags) if self.isolate else os.fork()
        if pid == 0:
            try:
                _arrange_fds(child_ends)
                _child_main(self, slot)
            finally:
                os._exit(70)
        for fd in child_ends.values():
            os.close(fd)
        for fd in (result_r, out_r, err_r, job_w):
            os.set_blocking(fd, False)
        return _Child(pid, os.pidfd_open(pid), job_w, result_r, out_r, err_r)

    def _kill(self, child: _Child) -> None:
        """Kills the child, which as PID 1 takes every process of its namespace with it."""
        with contextlib.suppress(ProcessLookupError, OSError):
            if self.isolate:
                signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)
            else:
                os.killpg(child.pid, signal.SIGKILL)

    @staticmethod
    def _reap(child: _Child) -> None:
        if child.wait_status is not None:
            return
        with contextlib.suppress(ChildProcessError):
            _, child.wait_status, usage = os.wait4(child.pid, 0)
            child.cpu_s = usage.ru_utime + usage.ru_stime


# ---- the parent's helpers -----------------------------------------------------------------


def _read_some(fd: int) -> bytes | None:
    """One non-blocking read; None at end of file, b"" when nothing is there yet."""
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return b""
    except OSError:
        return None
    return data or None


def _drain(fd: int) -> list[bytes]:
    """What is left in a pipe whose writers are all dead (or, unsafe mode, went quiet)."""
    chunks: list[bytes] = []
    for _ in range(64):
        data = _read_some(fd)
        if not data:
            break
        chunks.append(data)
    return chunks


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its waited-for children, without cgroups to ask."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _real_root() -> bool:
    """Root of the host's user namespace, able to use other uids and cgroups. uid 0 inside a
    user namespace (a rootless container) is not: the runner then nests a user namespace."""
    if os.geteuid() != 0:
        return False
    try:
        first = Path("/proc/self/uid_map").read_text().split()
    except OSError:
        return False
    return first[:3] == ["0", "0", "4294967295"]


def _uids_with_processes() -> set[int]:
    """Real uids of the host's processes (a runner without the lock may still hold a block)."""
    uids: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("Uid:"):
                    uids.add(int(line.split()[1]))
                    break
    return uids


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _hidden_folders() -> tuple[str, ...]:
    """What a read-only bind must never expose: the checkout and its data, home, host /tmp."""
    return (str(Path(__file__).resolve().parents[2]), str(Path.home()), "/tmp")


async def _write_all(loop: asyncio.AbstractEventLoop, fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            writable: asyncio.Future[None] = loop.create_future()
            loop.add_writer(fd, _resolve, writable)
            try:
                await writable
            finally:
                loop.remove_writer(fd)
        except BrokenPipeError:
            return


async def _exited(loop: asyncio.AbstractEventLoop, pidfd: int) -> None:
    gone: asyncio.Future[None] = loop.create_future()
    loop.add_reader(pidfd, _resolve, gone)
    try:
        await asyncio.wait_for(gone, timeout=10)
    except TimeoutError:
        log.error("a child did not exit 10 s after SIGKILL")
    finally:
        loop.remove_reader(pidfd)


def _close(child: _Child) -> None:
    for fd in child.fds():
        with contextlib.suppress(OSError):
            os.close(fd)


def _exit_of(
    wait_status: int | None, trailer: dict[str, Any] | None
) -> tuple[int | None, int | None]:
    """(exit code, signal): the parent's own wait when the child ended without a trailer."""
    if wait_status is not None:
        code = os.waitstatus_to_exitcode(wait_status)
        return (code, None) if code >= 0 else (None, -code)
    if trailer is not None and isinstance(trailer.get("exit"), int):
        return trailer["exit"] & 0xFF, None
    return None, None


_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _parse_result(
    data: bytes, limits: Limits
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The child's files and its trailer. It shares a process with user code: trust nothing."""
    files: list[dict[str, Any]] = []
    rest = data
    while rest:
        line, newline, rest = rest.partition(b"\n")
        if not newline or len(line) > 4096:
            break
        try:
            header = json.loads(line)
        except ValueError:
            break
        if not isinstance(header, dict):
            break
        if header.get("end") is True:
            return files, header
        size, name = header.get("size"), header.get("name")
        if not isinstance(size, int) or not isinstance(name, str) or size < 0:
            break
        content, rest = rest[:size], rest[size:]
        if (
            len(content) == size <= limits.image_bytes
            and len(files) < limits.images
            and _FILE_NAME.match(name)
            and content.startswith(PNG_MAGIC)
        ):
            files.append(
                {
                    "name": name,
                    "mime": "image/png",
                    "size": size,
                    "content_b64": base64.b64encode(content).decode(),
                }
            )
    return files, None


def _status(
    reason: str,
    oom_kills: int,
    uncaught: str | None,
    signal_number: int | None,
    exit_code: int | None,
    truncated: bool,
    cpu_ms: float,
    run: RunLimits,
) -> str:
    if reason == "wall":
        return "timeout"
    if oom_kills > 0 or uncaught == "MemoryError":
        return "memory"
    if reason == "output":
        return "output_limit"
    if signal_number is not None:
        if signal_number == signal.SIGXCPU or (
            signal_number == signal.SIGKILL and cpu_ms >= run.cpu_rlimit * 1000 * 0.9
        ):
            return "timeout"
        if truncated:
            return "output_limit"
        return "error" if signal_number in CRASH_SIGNALS else "killed"
    if exit_code is None:
        return "killed"
    if truncated:
        return "output_limit"
    return "ok" if exit_code == 0 else "error"


# ---- the child ----------------------------------------------------------------------------


def _arrange_fds(mapping: dict[int, int]) -> None:
    """Moves the child's pipe ends to fixed numbers and closes everything else it inherited
    (the listening socket, other slots' pipes, the event loop's epoll)."""
    import fcntl

    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 64) for target, source in mapping.items()}
    for target, source in high.items():
        os.dup2(source, target)
    os.closerange(max(mapping) + 1, 1 << 20)


def _reset_signals() -> None:
    """The parent's handlers (the server's SIGTERM, its wakeup fd) mean nothing here; keep
    what a fresh interpreter has."""
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


def _child_main(zygote: Zygote, slot: _Slot) -> NoReturn:
    """Builds the jail, locks itself down, says READY, waits for its job and runs it."""
    _reset_signals()
    try:
        # A process group of its own: kill(0, …) reaches a whole process group even across pid
        # namespaces, and without a user of its own (not root) the runner shares our real uid.
        os.setsid()
        if slot.cgroup is not None:
            # Joined here, not by the parent: a cgroup v1 move takes milliseconds, which the
            # parent's event loop should not spend.
            slot.cgroup.join(0)
        if zygote.isolate:
            spec = zygote._spec
            assert spec is not None
            if spec.user_namespace:
                jail.write_id_maps(spec)
            identity = slot.identity or jail.SlotIdentity(0, 0, "runner:x:0:0::/tmp:/bin/false\n")
            jail.build_root(spec, identity)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        limits = zygote.limits
        jail.lock_down(
            slot.identity,
            zygote._seccomp,
            cpu_s=max(1, int(limits.max_wall_s) + 1),
            memory_bytes=limits.memory_bytes,
            processes=limits.processes if slot.identity is not None else None,
            file_bytes=limits.tmpfs_bytes,
            open_files=limits.open_files,
        )
        os.write(RESULT_FD, READY)
    except BaseException as error:
        with contextlib.suppress(OSError):
            message = f"E{type(error).__name__}: {error} (at {_where(error)})"
            os.write(RESULT_FD, message.replace("\n", " ").encode() + b"\n")
        os._exit(1)
    job = _read_job()
    if job is None:
        os._exit(0)
    os._exit(_run_job(job, limits))


def _read_job() -> dict[str, Any] | None:
    header = _read_exactly(JOB_FD, 8)
    if header is None:
        return None
    body = _read_exactly(JOB_FD, int.from_bytes(header, "little"))
    os.close(JOB_FD)
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        data = os.read(fd, min(size - len(chunks), 1 << 20))
        if not data:
            return None
        chunks += data
    return bytes(chunks)


def _run_job(job: dict[str, Any], limits: Limits) -> int:
    """Everything between the job and the exit: streams, seeds, the snippet, the figures."""
    import resource

    cpu = int(job["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    os.dup2(OUT_FD, 1)
    os.dup2(ERR_FD, 2)
    os.close(OUT_FD)
    os.close(ERR_FD)
    stdin = os.memfd_create("stdin")
    os.write(stdin, job["stdin"].encode())
    os.lseek(stdin, 0, os.SEEK_SET)
    os.dup2(stdin, 0)
    os.close(stdin)
    with contextlib.suppress(OSError):
        os.chdir("/tmp")
    os.environ.clear()
    os.environ.update(WORKER_ENV)
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
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    code, uncaught = _run_snippet(job["code"], main.__dict__)
    code = _shutdown(code)
    _send_figures(shown, limits, {"end": True, "exit": code, "uncaught": uncaught})
    return code


def _reseed() -> None:
    """Children inherit the parent's random state; without this every run draws the same."""
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


def _send_figures(shown: list[bytes], limits: Limits, trailer: dict[str, Any]) -> None:
    """Figures, then the trailer that lets the parent answer without waiting for the exit."""
    images = shown + _render_open_figures(limits, len(shown))
    frames = bytearray()
    for number, data in enumerate(images[: limits.images], start=1):
        header = {"name": f"figure-{number}.png", "size": len(data)}
        frames += json.dumps(header).encode() + b"\n" + data
    frames += json.dumps(trailer).encode() + b"\n"
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
