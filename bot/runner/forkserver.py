"""The fork server: a clean, warm interpreter that only clones children. It never sees a request.

The HTTP server starts it before it reads any request, as a freshly exec'd interpreter
(`python -s -m bot.runner forkserver --fd N`, empty environment) holding one end of a
SOCK_SEQPACKET socketpair. Here it
  1. reads its configuration (limits, slots, their uids and cgroups) from the socket;
  2. sets the thread variables, imports and warms numpy, pandas, scipy, scikit-learn,
     matplotlib (Agg) and seaborn (fonts, an Agg canvas, a seaborn PNG, a groupby, a fit),
     compiles the seccomp filter once, then `gc.collect()`, `gc.freeze()`, and collapses its
     heap into huge pages (`_huge_pages`: cheaper clones and exits);
  3. serves small control messages until the socket closes:
       server → here: {"op": "arm", "slot": N, "gen": G}
       here → server: {"op": "armed", ...} + the child's pidfd and the server's ends of its
                      job, results, stdout and stderr pipes (SCM_RIGHTS);
                      {"op": "failed", ...} with the child's own words when it could not lock
                      itself down; {"op": "exit", ...} with the wait status and rusage of every
                      armed child once it has died.
It never receives a job's code, stdin or output: the server writes the job straight to the
armed child, and reads its pipes. So every child starts from the same clean memory, whatever
ran before it, and the memory here does not grow with the requests served.

Nothing here blocks: one epoll loop over the socket, the arming children's results pipes
(for READY) and every child's pidfd; a dead child is reaped with a WNOHANG wait on the pid its
pidfd says is dead. A child stuck in its exit (Linux AIO can hold a SIGKILLed process) only
delays its own report.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import os
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from bot.runner import child, framing, jail
from bot.runner.limits import Limits
from bot.runner.seccomp import SeccompError, SeccompFilter, build_filter

PRELOADED = ("numpy", "pandas", "scipy", "sklearn", "matplotlib", "seaborn")
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
ARM_TIMEOUT_S = 30.0
_SAID_BYTES = 4096
_M_ARENA_MAX = -8


def preload() -> list[str]:
    """Imports and warms the libraries once, so a child starts with them in memory.

    The thread-pool variables must be 1 before numpy is first imported: an OpenMP or OpenBLAS
    pool started here would hang forked children. Lazily imported paths (printing a frame,
    fitting, rendering a PNG, seaborn's statistics) run once here, so children do not each pay.
    """
    if "numpy" in sys.modules and os.environ.get("OMP_NUM_THREADS") != "1":
        raise RuntimeError("numpy was imported before the thread variables were set")
    for name in child.THREAD_VARIABLES:
        os.environ[name] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import scipy.stats
    import seaborn as sns

    for name in SKLEARN_MODULES:
        importlib.import_module(f"sklearn.{name}")
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"group": ["a", "b", "a"], "value": [1.0, 2.0, 3.0]})
    repr(frame.groupby("group")["value"].agg(["mean", "sum"]))
    repr(frame.describe())
    LinearRegression().fit(np.eye(3), np.arange(3.0)).predict(np.eye(3))
    features, labels = load_iris(return_X_y=True)
    RandomForestClassifier(n_estimators=2, random_state=0).fit(features, labels).score(
        features, labels
    )
    scipy.stats.norm.cdf(0.5)
    np.random.default_rng(0).normal(size=3)
    figure, axes = plt.subplots()
    axes.plot([0, 1], [0, 1], label="warm-up")
    axes.set_title("warm-up")
    axes.set_xlabel("x")
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")
    sns.histplot(x=np.random.default_rng(0).normal(size=50), kde=True)
    plt.gcf().savefig(io.BytesIO(), format="png")
    plt.close("all")
    return [name for name in PRELOADED if name in sys.modules]


_MADV_COLLAPSE = 25
_HUGE_PAGE = 2 << 20


def _huge_pages() -> int:
    """Collapses this process's anonymous memory into transparent huge pages where it can
    (MADV_COLLAPSE, Linux 6.1+; elsewhere a no-op) and returns the bytes collapsed.

    A clone copies, and its exit tears down, one page-table entry per mapped page: ≈ 150 MiB
    of preloaded heap is ≈ 37,000 of them, which made most of a run's fixed cost. A huge page
    is one entry for 2 MiB; a child that writes to one gets a private 4 KiB copy as before.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    collapsed = 0
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        path = fields[5] if len(fields) > 5 else ""
        if not fields[1].startswith("rw") or fields[1][3] != "p" or path not in ("", "[heap]"):
            continue
        start, end = (int(value, 16) for value in fields[0].split("-"))
        start = -(-start // _HUGE_PAGE) * _HUGE_PAGE
        end = end // _HUGE_PAGE * _HUGE_PAGE
        if end > start and libc.madvise(start, end - start, _MADV_COLLAPSE) == 0:
            collapsed += end - start
    return collapsed


def _one_arena() -> None:
    """glibc gives each new thread a malloc arena of its own, 64 MiB of address space each:
    under RLIMIT_AS four threads would use up a snippet's memory before it allocated a byte."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)


def _hidden_folders() -> tuple[str, ...]:
    """What a read-only bind must never expose: the checkout and its data, home, host /tmp."""
    return (str(Path(__file__).resolve().parents[2]), str(Path.home()), "/tmp")


@dataclass
class _Child:
    """A child this server cloned: arming until READY, then armed until it dies."""

    slot: int
    gen: int
    pid: int
    pidfd: int
    pipes: dict[str, int]  # the server's ends, until handed over
    deadline: float
    said: bytearray = field(default_factory=bytearray)
    armed: bool = False
    error: str = ""


class ForkServer:
    def __init__(self, config: dict[str, Any]) -> None:
        self.limits = Limits(**config["limits"])
        self.isolate = bool(config["isolate"])
        self.warnings: list[str] = []
        self.preloaded = preload()
        _one_arena()
        seccomp: SeccompFilter | None = None
        try:
            seccomp = build_filter()
        except SeccompError as error:
            if self.isolate:
                raise
            self.warnings.append(f"no seccomp filter: {error}")
        user_namespace = bool(config["user_namespace"])
        spec = None
        self.root_dir: str | None = None
        if self.isolate:
            self.root_dir = tempfile.mkdtemp(prefix="studybot-runner-root-")
            os.chmod(self.root_dir, 0o755)
            binds, symlinks = jail.read_only_paths(
                (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix),
                hidden=_hidden_folders(),
            )
            spec = jail.JailSpec(
                root_dir=self.root_dir,
                read_only=binds,
                symlinks=symlinks,
                tmpfs_bytes=self.limits.tmpfs_bytes,
                user_namespace=user_namespace,
                outer_uid=os.geteuid(),
                outer_gid=os.getegid(),
            )
        self.setups: dict[int, child.ChildSetup] = {}
        self.flags: dict[int, int] = {}
        for slot in config["slots"]:
            uid = slot.get("uid")
            identity = None
            if uid is not None:
                identity = jail.SlotIdentity(
                    uid, uid, f"runner:x:{uid}:{uid}:runner:/tmp:/usr/sbin/nologin\n"
                )
            dirs = tuple(slot.get("cgroup") or ())
            self.setups[slot["index"]] = child.ChildSetup(
                limits=self.limits,
                isolate=self.isolate,
                spec=spec,
                identity=identity,
                cgroup_dirs=dirs,
                seccomp=seccomp,
            )
            self.flags[slot["index"]] = jail.namespace_flags(
                user_namespace=user_namespace, cgroup_namespace=not dirs
            )
        self.children: dict[int, _Child] = {}  # by pidfd
        self.outbox: deque[tuple[dict[str, Any], tuple[int, ...], tuple[int, ...]]] = deque()
        if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
            raise RuntimeError("a preloaded library started a thread: children cannot be cloned")
        gc.collect()
        gc.freeze()
        self.huge_bytes = _huge_pages()

    # ---- the loop ---------------------------------------------------------------------------

    def serve(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ, None)
        while True:
            now = time.monotonic()
            deadlines = [c.deadline for c in self.children.values() if not c.armed]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            for key, events in self.selector.select(timeout):
                if key.data is None:
                    if events & selectors.EVENT_READ and not self._on_control():
                        return
                    if events & selectors.EVENT_WRITE:
                        self._flush()
                else:
                    kind, pidfd = key.data
                    state = self.children.get(pidfd)
                    if state is None:
                        continue  # gone earlier in this batch
                    if kind == "ready" and not state.armed and state.pipes:
                        self._on_ready(state)
                    elif kind == "exit":
                        self._on_exit(state)
            now = time.monotonic()
            for late in [c for c in self.children.values() if not c.armed and c.deadline < now]:
                late.error = late.error or f"the child did not get ready in {ARM_TIMEOUT_S:g} s"
                late.deadline = float("inf")
                self._kill(late)

    def _on_control(self) -> bool:
        """Reads every waiting message; False when the server has gone."""
        while True:
            try:
                received = framing.receive_control(self.sock)
            except BlockingIOError:
                return True
            except ConnectionResetError:
                return False
            if received is None:
                return False
            message, fds = received
            for fd in fds:
                os.close(fd)
            if message.get("op") == "arm":
                self._arm(int(message["slot"]), int(message["gen"]))

    def _send(
        self, message: dict[str, Any], fds: tuple[int, ...] = (), then_close: tuple[int, ...] = ()
    ) -> None:
        """Queues a message for the server, with descriptors to pass and to close once passed."""
        self.outbox.append((message, fds, then_close))
        self._flush()

    def _flush(self) -> None:
        while self.outbox:
            message, fds, then_close = self.outbox[0]
            try:
                framing.send_control(self.sock, message, fds)
            except BlockingIOError:
                self.selector.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
                return
            except OSError:
                pass  # the server is gone; the loop notices on its next read
            self.outbox.popleft()
            for fd in then_close:
                os.close(fd)
        self.selector.modify(self.sock, selectors.EVENT_READ)

    # ---- children ---------------------------------------------------------------------------

    def _arm(self, slot: int, gen: int) -> None:
        setup = self.setups.get(slot)
        if setup is None or any(c.slot == slot for c in self.children.values()):
            self._send({"op": "failed", "slot": slot, "gen": gen, "error": "slot is in use"})
            return
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_ends = {
            child.JOB_FD: job_r,
            child.RESULT_FD: result_w,
            child.OUT_FD: out_w,
            child.ERR_FD: err_w,
        }
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        try:
            pid = jail.clone_into(self.flags[slot]) if self.isolate else os.fork()
        except OSError as error:
            for fd in (*child_ends.values(), job_w, result_r, out_r, err_r):
                os.close(fd)
            self._send({"op": "failed", "slot": slot, "gen": gen, "error": str(error)})
            return
        if pid == 0:
            try:
                child.arrange_fds(child_ends)
                child.main(setup)
            finally:
                os._exit(70)
        for fd in child_ends.values():
            os.close(fd)
        os.set_blocking(result_r, False)
        pidfd = os.pidfd_open(pid)
        state = _Child(
            slot,
            gen,
            pid,
            pidfd,
            {"job_w": job_w, "result_r": result_r, "out_r": out_r, "err_r": err_r},
            deadline=time.monotonic() + ARM_TIMEOUT_S,
        )
        self.children[pidfd] = state
        self.selector.register(result_r, selectors.EVENT_READ, ("ready", pidfd))
        self.selector.register(pidfd, selectors.EVENT_READ, ("exit", pidfd))

    def _on_ready(self, state: _Child) -> None:
        """The child's first words: READY, or why it could not lock itself down."""
        result_r = state.pipes["result_r"]
        try:
            data = os.read(result_r, _SAID_BYTES)
        except BlockingIOError:
            return
        if data and len(state.said) < _SAID_BYTES:
            state.said += data[: _SAID_BYTES - len(state.said)]
        if bytes(state.said) == child.READY:
            self.selector.unregister(result_r)
            state.armed = True
            pipes = state.pipes
            state.pipes = {}
            fds = (state.pidfd, pipes["job_w"], result_r, pipes["out_r"], pipes["err_r"])
            message = {"op": "armed", "slot": state.slot, "gen": state.gen, "pid": state.pid}
            # The server's ends leave this process once sent; the pidfd stays here too (the
            # send duplicates it): the exit is ours to reap and report.
            self._send(message, fds, then_close=fds[1:])
        elif not data or b"\n" in state.said or len(state.said) >= _SAID_BYTES:
            self.selector.unregister(result_r)
            said = state.said.decode(errors="replace").strip().removeprefix("E")
            state.error = said or "the child closed its results pipe before READY"
            self._kill(state)

    def _on_exit(self, state: _Child) -> None:
        try:
            pid, status, usage = os.wait4(state.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, usage = state.pid, 0, None
        if pid == 0:
            return  # not dead yet after all
        self.selector.unregister(state.pidfd)
        del self.children[state.pidfd]
        for name, fd in state.pipes.items():
            if name == "result_r" and not state.armed:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(fd)
            os.close(fd)
        os.close(state.pidfd)
        if state.armed:
            cpu_s = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
            self._send(
                {
                    "op": "exit",
                    "slot": state.slot,
                    "gen": state.gen,
                    "pid": state.pid,
                    "status": status,
                    "cpu_s": cpu_s,
                    "maxrss_kib": usage.ru_maxrss if usage is not None else 0,
                }
            )
        else:
            error = state.error or f"the child exited before READY (wait status {status})"
            self._send({"op": "failed", "slot": state.slot, "gen": state.gen, "error": error})

    def _kill(self, state: _Child) -> None:
        with contextlib.suppress(OSError):
            signal.pidfd_send_signal(state.pidfd, signal.SIGKILL)

    def shutdown(self) -> None:
        """The server has gone: kill every child, reap them (bounded), remove the root folder."""
        for state in self.children.values():
            self._kill(state)
        deadline = time.monotonic() + 5
        while self.children and time.monotonic() < deadline:
            for state in list(self.children.values()):
                with contextlib.suppress(ChildProcessError):
                    if os.wait4(state.pid, os.WNOHANG)[0] == 0:
                        continue
                del self.children[state.pidfd]
            time.sleep(0.01)
        if self.root_dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self.root_dir)


def main(fd: int) -> NoReturn:
    """`python -m bot.runner forkserver --fd N`: configure, preload, then serve until EOF.

    The server's death closes its end of the socket, whatever killed it: the loop sees EOF and
    stops as on a normal shutdown (no parent-death signal, which would leave the children
    unreaped and the root folder behind). Children die with us (their parent-death signal).
    """
    # A Ctrl-C in a terminal, or a SIGTERM to the process group (the bot's LocalRunner stops
    # its runner so), reaches us too: the server decides when we stop, by closing the socket,
    # so that we kill and reap our children and remove the jail's root folder first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)
    received = framing.receive_control(sock)
    if received is None:
        os._exit(0)
    config, _ = received
    try:
        server = ForkServer(config)
    except Exception as error:
        with contextlib.suppress(OSError):
            framing.send_control(sock, {"op": "fatal", "error": f"{error}"})
        os._exit(2)
    framing.send_control(
        sock,
        {
            "op": "ready",
            "pid": os.getpid(),
            "preloaded": server.preloaded,
            "warnings": server.warnings,
        },
    )
    try:
        server.serve(sock)
    finally:
        server.shutdown()
    os._exit(0)
