"""The slots, from the HTTP server's side: armed children, one run each, verdicts from the kernel.

This runs in the server process, which reads requests and never forks a process that runs user
code. At start it execs the fork server (`forkserver.py`) and asks it to arm every slot; from
then on a run (`Pool.run`) is:
  1. take a slot whose child is armed: the fork server cloned it into its namespaces, it locked
     itself down and said READY, and the fork server handed us its pidfd and our ends of its
     job, results, stdout and stderr pipes;
  2. write the job (code, stdin) straight to the child; read stdout and stderr (capped) and the
     results pipe (`framing.ResultReader`: untrusted, linear, bounded); a timer kills the whole
     tree at the wall limit, through the pidfd;
  3. wait for the fork server's report of the child's death: the wait status and rusage are the
     kernel's, and with the wall timer, the memory cgroup's OOM count, the CPU limit and the
     output caps they make the status and the exit code (`_status`). Figures are checked
     (`png.check_png`) off the event loop and named by us;
  4. ask the fork server to arm the slot again.
A child that has not died `kill_grace_s` after SIGKILL (Linux AIO can hold a killed process in
its exit) does not hold the answer: it goes out with a warning, and the slot is quarantined
until the fork server reports the death, then armed again. Nothing here waits on a child
outside the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bot.runner import framing
from bot.runner.cgroup import (
    CgroupTree,
    CgroupUnavailable,
    SlotCgroup,
    remove_stale,
    tree_name,
)
from bot.runner.limits import Limits, RunLimits
from bot.runner.png import BadPng, check_png
from bot.runner.protocol import RunFile, RunResponse, RunStatus

log = logging.getLogger("studybot.runner")

UID_BASE: Final = 61000
UID_BLOCK: Final = 64
UID_LOCKS: Final = Path("/run/lock/studybot-runner")
FLOOD_FACTOR: Final = 16
KILL_GRACE_S: Final = 2.0
START_TIMEOUT_S: Final = 180.0
UNSAFE_WARNING: Final = (
    "UNSAFE: the runner was started with --unsafe-no-isolation; this snippet ran without "
    "namespaces and could read this machine's files and reach its network"
)
CRASH_SIGNALS: Final = {
    signal.SIGSEGV,
    signal.SIGBUS,
    signal.SIGILL,
    signal.SIGFPE,
    signal.SIGABRT,
}
NEEDS: Final = (
    "The runner needs Linux namespaces (mount, pid, network, ipc, uts, and user when not root) "
    "and libseccomp: run it as root, or as a user where unprivileged user namespaces are "
    "enabled (user.max_user_namespaces > 0), or in a container allowed to create namespaces "
    "(CAP_SYS_ADMIN, unconfined seccomp/AppArmor). For development only, "
    "--unsafe-no-isolation runs snippets without any of this."
)


class Busy(RuntimeError):
    """Every slot is taken and the waiting line is full: the caller should retry later."""


class IsolationUnavailable(RuntimeError):
    """The jail cannot be built here; the message says what the runner needs."""


class ForkServerGone(RuntimeError):
    """The fork server died; the runner cannot run anything more and must be restarted."""


@dataclass
class _Armed:
    """An armed child: its pidfd and our ends of its pipes."""

    pid: int
    pidfd: int
    job_w: int
    result_r: int
    out_r: int
    err_r: int

    def fds(self) -> tuple[int, ...]:
        return (self.pidfd, self.job_w, self.result_r, self.out_r, self.err_r)

    def close(self) -> None:
        for fd in self.fds():
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass(frozen=True)
class _Death:
    """The fork server's report of a child's end: the kernel's wait status and rusage."""

    status: int
    cpu_s: float


@dataclass
class _Slot:
    index: int
    uid: int | None
    cgroup: SlotCgroup | None
    gen: int = 0
    child: _Armed | None = None
    death: asyncio.Future[_Death] | None = None
    quarantined: bool = False
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


class Pool:
    """Owns the fork server and the slots; `run` is safe to call from many requests at once."""

    def __init__(
        self,
        limits: Limits,
        slots: int,
        *,
        isolate: bool = True,
        cgroups: bool = True,
        queue: int | None = None,
        kill_grace_s: float = KILL_GRACE_S,
    ) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.limits = limits
        self.isolate = isolate
        self.want_cgroups = cgroups
        self.queue = queue if queue is not None else 8 * slots
        self.kill_grace_s = kill_grace_s
        self.preloaded: list[str] = []
        self.warnings: list[str] = []
        self.uid_base: int | None = None
        self.forkserver_pid: int | None = None
        self.gone: asyncio.Event | None = None
        self._slot_count = slots
        self._slots: list[_Slot] = []
        self._ready: asyncio.Queue[_Slot] = asyncio.Queue()
        self._waiting = 0
        self._closing = False
        self._cgroups: CgroupTree | None = None
        self._uid_lock: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._hello: asyncio.Future[dict[str, Any]] | None = None
        self._arming: dict[tuple[int, int], asyncio.Future[_Armed]] = {}
        self._deaths: dict[tuple[int, int], asyncio.Future[_Death]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def slots(self) -> int:
        return self._slot_count

    @property
    def cgroups(self) -> bool:
        return self._cgroups is not None

    def quarantined(self) -> list[int]:
        return [slot.index for slot in self._slots if slot.quarantined]

    # ---- start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        """Makes the uids and cgroups, starts the fork server and arms every slot."""
        self.gone = asyncio.Event()
        root = _real_root()
        if root:
            self.uid_base = self._claim_uids()
        if not self.isolate:
            self.warnings.append(UNSAFE_WARNING)
        if not self.want_cgroups:
            self.warnings.append(
                "cgroups are switched off: memory and processes are bounded by rlimits only"
            )
        elif not root:
            self.warnings.append("not root: no cgroups, memory and processes bounded by rlimits")
        else:
            assert self.uid_base is not None
            with contextlib.suppress(OSError):
                remove_stale(_uid_block_in_use)
            try:
                self._cgroups = CgroupTree(tree_name(self.uid_base))
            except CgroupUnavailable as error:
                self.warnings.append(f"{error}: memory and processes bounded by rlimits only")
        for index in range(self._slot_count):
            uid = self.uid_base + index if self.uid_base is not None else None
            cgroup = None
            if self._cgroups is not None:
                cgroup = self._cgroups.slot(index, self.limits.memory_bytes, self.limits.processes)
            self._slots.append(_Slot(index, uid, cgroup))
        try:
            hello = await self._start_forkserver(user_namespace=not root)
            self.preloaded = list(hello.get("preloaded", []))
            self.warnings += [str(w) for w in hello.get("warnings", [])]
            results = await asyncio.gather(
                *(self._arm(slot) for slot in self._slots), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        except BaseException as error:
            await self.close()
            if isinstance(error, IsolationUnavailable | asyncio.CancelledError):
                raise
            if self.isolate:
                raise IsolationUnavailable(f"cannot build the jail: {error}. {NEEDS}") from error
            raise RuntimeError(f"cannot start a child: {error}") from error
        for slot in self._slots:
            self._ready.put_nowait(slot)

    async def _start_forkserver(self, *, user_namespace: bool) -> dict[str, Any]:
        """Execs the fork server with an empty environment and one end of a socketpair."""
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-s", "-m", "bot.runner", "forkserver", "--fd", str(fd)),
                env={},
                pass_fds=(fd,),
                stdin=asyncio.subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            theirs.close()
        self.forkserver_pid = self._process.pid
        config = {
            "op": "config",
            "limits": asdict(self.limits),
            "isolate": self.isolate,
            "user_namespace": user_namespace,
            "slots": [
                {
                    "index": slot.index,
                    "uid": slot.uid,
                    "cgroup": [str(path) for path in slot.cgroup.dirs.values()]
                    if slot.cgroup is not None
                    else None,
                }
                for slot in self._slots
            ],
        }
        framing.send_control(ours, config)
        ours.setblocking(False)
        self._sock = ours
        self._hello = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_control)
        try:
            hello = await asyncio.wait_for(asyncio.shield(self._hello), START_TIMEOUT_S)
        except TimeoutError:
            raise RuntimeError(f"the fork server did not start in {START_TIMEOUT_S:g} s") from None
        if hello.get("op") == "fatal":
            message = str(hello.get("error"))
            if self.isolate:
                raise IsolationUnavailable(f"the fork server cannot start: {message}. {NEEDS}")
            raise RuntimeError(f"the fork server cannot start: {message}")
        return hello

    def _claim_uids(self) -> int:
        """A block of uids no other runner on this host uses: RLIMIT_NPROC counts per uid, so
        two runners sharing uids would let a fork bomb in one starve the other."""
        UID_LOCKS.mkdir(parents=True, exist_ok=True)
        busy = _uids_with_processes()
        for block in range(0, 4000 - UID_BLOCK, UID_BLOCK):
            base = UID_BASE + block
            if busy.intersection(range(base, base + UID_BLOCK)):
                continue
            fd = os.open(_uid_lock_path(base), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._uid_lock = fd  # held (by this open file) until the runner exits
            return base
        raise IsolationUnavailable("no free block of slot uids (another 60 runners run here?)")

    async def close(self) -> None:
        """Stops the fork server (it kills its children), waits for it, removes the cgroups."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for slot in self._slots:
            if slot.child is not None:
                _kill(slot.child, isolate=self.isolate)
        if self._sock is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        if self._process is not None:
            process, self._process = self._process, None
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        for slot in self._slots:
            if slot.child is not None:
                slot.child.close()
                slot.child = None
        for future in self._pending():
            if not future.done():
                future.cancel()
        if self._cgroups is not None:
            # The fork server reaped its children before it exited, but a child it could not
            # reap in time may still be dying: a cgroup with a process in it cannot be removed.
            for _ in range(150):  # 3 s at most
                if all(slot.cgroup is None or slot.cgroup.empty() for slot in self._slots):
                    break
                await asyncio.sleep(0.02)
            self._cgroups.remove()
            self._cgroups = None
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

    def _pending(self) -> list[asyncio.Future[Any]]:
        return [*self._arming.values(), *self._deaths.values()]

    # ---- messages from the fork server -------------------------------------------------------

    def _on_control(self) -> None:
        while self._sock is not None:
            try:
                received = framing.receive_control(self._sock)
            except BlockingIOError:
                return
            except (OSError, ValueError) as error:
                log.error("the fork server's socket failed: %s", error)
                received = None
            if received is None:
                self._forkserver_gone()
                return
            message, fds = received
            self._dispatch(message, fds)

    def _dispatch(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        key = (int(message.get("slot", -1)), int(message.get("gen", -1)))
        if op in ("ready", "fatal"):
            if self._hello is not None and not self._hello.done():
                self._hello.set_result(message)
        elif op == "armed" and len(fds) != 5:
            arming = self._arming.pop(key, None)
            if arming is not None and not arming.done():
                arming.set_exception(RuntimeError(f"an armed child came with {len(fds)} fds"))
        elif op == "armed":
            armed = _Armed(int(message["pid"]), *fds)
            for fd in fds[1:]:
                os.set_blocking(fd, False)
            arming = self._arming.pop(key, None)
            if arming is None or arming.done():
                _kill(armed, isolate=self.isolate)
                armed.close()
                return
            arming.set_result(armed)
            return
        elif op == "failed":
            arming = self._arming.pop(key, None)
            if arming is not None and not arming.done():
                arming.set_exception(RuntimeError(str(message.get("error"))))
        elif op == "exit":
            death = self._deaths.pop(key, None)
            if death is not None and not death.done():
                death.set_result(_Death(int(message["status"]), float(message["cpu_s"])))
        for fd in fds:
            os.close(fd)

    def _forkserver_gone(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
        if self._closing:
            return
        log.error("the fork server exited; the runner stops")
        error = ForkServerGone("the fork server exited")
        for future in self._pending():
            if not future.done():
                future.set_exception(error)
        if self._hello is not None and not self._hello.done():
            self._hello.set_result({"op": "fatal", "error": "the fork server exited at start"})
        if self.gone is not None:
            self.gone.set()

    # ---- arming ---------------------------------------------------------------------------

    async def _arm(self, slot: _Slot) -> None:
        """Asks the fork server for the slot's next child and waits until it is armed."""
        if self._sock is None:
            raise ForkServerGone("the fork server is not running")
        loop = asyncio.get_running_loop()
        slot.gen += 1
        key = (slot.index, slot.gen)
        arming: asyncio.Future[_Armed] = loop.create_future()
        self._arming[key] = arming
        death: asyncio.Future[_Death] = loop.create_future()
        self._deaths[key] = death
        framing.send_control(self._sock, {"op": "arm", "slot": slot.index, "gen": slot.gen})
        try:
            slot.child = await arming
        except BaseException:
            self._deaths.pop(key, None)
            raise
        slot.death = death

    async def _rearm(self, slot: _Slot) -> None:
        """Arms the slot again, retrying with a growing pause, and puts it back in line."""
        while not self._closing:
            try:
                await self._arm(slot)
            except ForkServerGone:
                return
            except Exception:
                slot.failures += 1
                log.exception("slot %d: could not arm a child", slot.index)
                await asyncio.sleep(min(5.0, 0.1 * 2**slot.failures))
                continue
            slot.failures = 0
            self._ready.put_nowait(slot)
            return

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_run(self, slot: _Slot, child: _Armed, death: asyncio.Future[_Death]) -> None:
        """Closes the run's descriptors once the child is dead, then arms the slot again."""
        try:
            await death
        except (asyncio.CancelledError, ForkServerGone):
            child.close()
            raise
        child.close()
        if slot.quarantined:
            log.warning("slot %d: the stuck child has died; the slot is back", slot.index)
            slot.quarantined = False
        await self._rearm(slot)

    # ---- a run ----------------------------------------------------------------------------

    async def run(self, code: str, stdin: str = "", timeout_s: float | None = None) -> RunResponse:
        """Runs one snippet and returns the answer of `POST /v1/run`."""
        if self._waiting >= self.queue and self._ready.empty():
            raise Busy("every slot is busy")
        self._waiting += 1
        try:
            while True:
                slot = await self._ready.get()
                death = slot.death
                child = slot.child
                if child is not None and death is not None and not death.done():
                    break
                # its child died while it waited (killed from outside): arm another
                if child is not None and death is not None:
                    self._spawn(self._after_run(slot, child, death))
        finally:
            self._waiting -= 1
        slot.child = None
        try:
            return await self._execute(slot, child, death, code, stdin, timeout_s)
        finally:
            if not death.done():  # a request cancelled mid-run (the pid is not reaped yet)
                _kill(child, isolate=self.isolate)
            self._spawn(self._after_run(slot, child, death))

    async def _execute(
        self,
        slot: _Slot,
        child: _Armed,
        death: asyncio.Future[_Death],
        code: str,
        stdin: str,
        timeout_s: float | None,
    ) -> RunResponse:
        loop = asyncio.get_running_loop()
        limits = self.limits
        run = limits.for_request(timeout_s)
        cgroup = slot.cgroup
        oom_before = cpu_before = 0
        if cgroup is not None:
            cgroup.reset()
            oom_before, cpu_before = cgroup.oom_kills(), cgroup.cpu_ns()
        output = _Output(limits.output_bytes)
        results = framing.ResultReader(limits.images, limits.image_bytes)
        results_flood = 2 * (limits.images * (limits.image_bytes + 16) + 4096)
        done: asyncio.Future[str] = loop.create_future()
        flood = FLOOD_FACTOR * limits.output_bytes

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

        def on_results() -> None:
            data = _read_some(child.result_r)
            if data is None:
                loop.remove_reader(child.result_r)
                return
            results.feed(data)
            if results.total > results_flood:
                finish("output")

        loop.add_reader(child.out_r, on_output, child.out_r, output.stdout)
        loop.add_reader(child.err_r, on_output, child.err_r, output.stderr)
        loop.add_reader(child.result_r, on_results)
        death.add_done_callback(lambda _: finish("exited"))
        job = framing.encode_job(framing.Job(code, stdin, run.cpu_rlimit))
        started = time.monotonic()
        timer = loop.call_later(run.wall_s, finish, "wall")
        try:
            await _write_all(loop, child.job_w, job)
            reason = await done
        finally:
            wall_ms = (time.monotonic() - started) * 1000
            timer.cancel()
            for fd in (child.out_r, child.err_r, child.result_r):
                loop.remove_reader(fd)
        notes: list[str] = []
        ended: _Death | None = None
        if not death.done():
            _kill(child, isolate=self.isolate)
            with contextlib.suppress(TimeoutError):
                ended = await asyncio.wait_for(asyncio.shield(death), self.kill_grace_s)
        elif not death.cancelled() and death.exception() is None:
            ended = death.result()
        if ended is None:
            slot.quarantined = True
            log.error(
                "slot %d: the child (pid %d) did not die %g s after SIGKILL; "
                "the slot is quarantined until it does",
                slot.index,
                child.pid,
                self.kill_grace_s,
            )
            notes.append(
                f"the run's processes did not end within {self.kill_grace_s:g} s of SIGKILL; "
                f"slot {slot.index} is out of use until they do"
            )
        else:
            # Every writer is dead: what is left in the pipes is all there will be.
            for fd, sink in ((child.out_r, output.stdout), (child.err_r, output.stderr)):
                for data in _drain(fd):
                    output.take(sink, data)
            for data in _drain(child.result_r):
                results.feed(data)
        files = await _checked_files(loop, results.figures) if results.figures else []
        cpu_ms = (ended.cpu_s if ended is not None else _cpu_seconds(child.pid)) * 1000
        oom = 0
        if cgroup is not None:
            cpu_ms = (cgroup.cpu_ns() - cpu_before) / 1e6
            oom = cgroup.oom_kills() - oom_before
        exit_code, signal_number = _exit_of(ended)
        truncated = output.dropped > 0
        status = _status(
            reason,
            oom,
            results.uncaught,
            signal_number,
            exit_code,
            truncated,
            cpu_ms,
            run,
        )
        warnings = [*self.warnings, *notes]
        return RunResponse(
            status=status,
            exit_code=exit_code,
            stdout=output.stdout.decode("utf-8", "replace"),
            stderr=output.stderr.decode("utf-8", "replace"),
            truncated=truncated,
            wall_ms=round(wall_ms, 3),
            cpu_ms=round(cpu_ms, 3),
            files=files,
            dropped_bytes=output.dropped if truncated else None,
            warning="; ".join(warnings) if warnings else None,
        )


# ---- helpers ------------------------------------------------------------------------------


def _kill(child: _Armed, *, isolate: bool) -> None:
    """SIGKILL through the pidfd: as PID 1 of its namespace it takes every process of the run
    with it. Without isolation there is no namespace: the child's process group goes too."""
    with contextlib.suppress(OSError):
        signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)
    if not isolate:
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)


def _exit_of(ended: _Death | None) -> tuple[int | None, int | None]:
    """(exit code, signal) from the kernel's wait status; (None, None) when there is none."""
    if ended is None:
        return None, None
    code = os.waitstatus_to_exitcode(ended.status)
    return (code, None) if code >= 0 else (None, -code)


def _status(
    reason: str,
    oom_kills: int,
    uncaught: str | None,
    signal_number: int | None,
    exit_code: int | None,
    truncated: bool,
    cpu_ms: float,
    run: RunLimits,
) -> RunStatus:
    """The verdict, from what the kernel and our own timers and counters say.

    The one thing taken from the child is `uncaught`, the name of the exception the snippet's
    process says ended it, and only to tell `memory` from `error` when the kernel says the
    process exited with code 1 (Python's code for an uncaught exception): without a memory
    cgroup, a MemoryError under RLIMIT_AS is the only trace a memory limit leaves. It cannot
    make a failed run `ok`, change an exit code, or touch a run that ended any other way.
    """
    if reason == "wall":
        return RunStatus.TIMEOUT
    if oom_kills > 0:
        return RunStatus.MEMORY
    if reason == "output":
        return RunStatus.OUTPUT_LIMIT
    if signal_number is not None:
        if signal_number == signal.SIGXCPU or (
            signal_number == signal.SIGKILL and cpu_ms >= run.cpu_rlimit * 1000 * 0.9
        ):
            return RunStatus.TIMEOUT
        if truncated:
            return RunStatus.OUTPUT_LIMIT
        return RunStatus.ERROR if signal_number in CRASH_SIGNALS else RunStatus.KILLED
    if exit_code is None:
        return RunStatus.KILLED
    if exit_code == 1 and uncaught == "MemoryError":
        return RunStatus.MEMORY
    if truncated:
        return RunStatus.OUTPUT_LIMIT
    return RunStatus.OK if exit_code == 0 else RunStatus.ERROR


async def _checked_files(loop: asyncio.AbstractEventLoop, figures: list[bytes]) -> list[RunFile]:
    """The figures that are valid PNGs, checked in a worker thread and named by the runner."""
    valid = await loop.run_in_executor(None, _valid_pngs, figures)
    return [
        RunFile(
            name=f"figure-{number}.png",
            mime="image/png",
            size=len(data),
            content_b64=base64.b64encode(data).decode(),
        )
        for number, data in enumerate(valid, start=1)
    ]


def _valid_pngs(figures: list[bytes]) -> list[bytes]:
    valid = []
    for data in figures:
        try:
            check_png(data)
        except BadPng as error:
            log.warning("a figure was dropped: %s", error)
            continue
        valid.append(data)
    return valid


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
    """What is left in a pipe whose writers are dead (bounded: a pipe holds at most 1 MiB
    unprivileged, and without isolation a leftover writer cannot keep us here)."""
    chunks: list[bytes] = []
    for _ in range(64):
        data = _read_some(fd)
        if not data:
            break
        chunks.append(data)
    return chunks


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process that has not been reaped (a stuck child)."""
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


def _uid_lock_path(base: int) -> Path:
    return UID_LOCKS / f"uids-{base}.lock"


def _uid_block_in_use(base: int) -> bool:
    """True while a live runner holds the lock of that block of uids."""
    try:
        fd = os.open(_uid_lock_path(base), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


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
