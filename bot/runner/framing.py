"""Every byte format between the runner's processes, and the one parser that faces a snippet.

- The job (server → child, over the job pipe): a fixed header and the code and stdin as UTF-8.
  The child reads it before any user code runs, so it trusts it.
- The results (child → server, over the results pipe): length-prefixed frames, a figure's PNG or
  the name of the snippet's uncaught exception. The snippet shares a process with the code that
  writes them and can write anything there, so `ResultReader` treats them as hostile: it is fed
  chunk by chunk, does constant work per byte (each byte is looked at once and copied at most
  once), buffers at most one frame of at most the image limit, and on anything malformed stops
  parsing and only counts what follows. Nothing in a frame can set a status or an exit code.
- The control messages (server ↔ fork server, over a SOCK_SEQPACKET socketpair): one small JSON
  object a message, with file descriptors passed alongside (SCM_RIGHTS). Both ends are runner
  code that never runs a snippet, so they trust each other.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from dataclasses import dataclass, field
from typing import Any, Final

# ---- the job ----------------------------------------------------------------------------------

JOB_MAGIC: Final = b"JOB1"
_JOB_HEADER: Final = struct.Struct("<4sIII")  # magic, cpu seconds, code bytes, stdin bytes


@dataclass(frozen=True)
class Job:
    code: str
    stdin: str
    cpu_s: int


def encode_job(job: Job) -> bytes:
    code, stdin = job.code.encode("utf-8"), job.stdin.encode("utf-8")
    return _JOB_HEADER.pack(JOB_MAGIC, job.cpu_s, len(code), len(stdin)) + code + stdin


def job_header_size() -> int:
    return _JOB_HEADER.size


def decode_job(header: bytes, read_exactly: Any) -> Job | None:
    """The job after `header`; `read_exactly(n)` returns n bytes or None at end of file."""
    magic, cpu_s, code_size, stdin_size = _JOB_HEADER.unpack(header)
    if magic != JOB_MAGIC:
        return None
    code, stdin = read_exactly(code_size), read_exactly(stdin_size)
    if code is None or stdin is None:
        return None
    return Job(code.decode("utf-8"), stdin.decode("utf-8"), int(cpu_s))


# ---- the results --------------------------------------------------------------------------------

FIGURE: Final = ord("F")
SUMMARY: Final = ord("S")
_FRAME_HEADER: Final = struct.Struct(">BI")  # kind, payload length
SUMMARY_BYTES: Final = 128
_EXCEPTION_NAME: Final = re.compile(rb"[A-Za-z_][A-Za-z0-9_.]{0,127}")


def figure_frame(png: bytes) -> bytes:
    return _FRAME_HEADER.pack(FIGURE, len(png)) + png


def summary_frame(exception_name: str) -> bytes:
    data = exception_name.encode("ascii", "replace")[:SUMMARY_BYTES]
    return _FRAME_HEADER.pack(SUMMARY, len(data)) + data


@dataclass
class ResultReader:
    """Parses the results pipe as it arrives, in linear time and bounded memory.

    `figures` holds at most `images` payloads of at most `image_bytes` each; `uncaught` the
    exception name the snippet's process reported (untrusted: see `pool._status`). Once the
    stream is malformed (`malformed` says why) the rest is only counted in `total`.
    """

    images: int
    image_bytes: int
    figures: list[bytes] = field(default_factory=list)
    uncaught: str | None = None
    malformed: str | None = None
    total: int = 0
    _header: bytearray = field(default_factory=bytearray)
    _kind: int = -1
    _need: int = 0
    _payload: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        view = memoryview(data)
        while view and self.malformed is None:
            if self._kind < 0:
                take = _FRAME_HEADER.size - len(self._header)
                self._header += view[:take]
                view = view[take:]
                if len(self._header) == _FRAME_HEADER.size:
                    self._start_frame()
            else:
                take = self._need - len(self._payload)
                self._payload += view[:take]
                view = view[take:]
                if len(self._payload) == self._need:
                    self._end_frame()

    def _start_frame(self) -> None:
        kind, size = _FRAME_HEADER.unpack(self._header)
        self._header.clear()
        if kind == FIGURE and size > self.image_bytes:
            self.malformed = f"a figure frame of {size} bytes, over {self.image_bytes}"
        elif kind == FIGURE and len(self.figures) >= self.images:
            self.malformed = f"more than {self.images} figure frames"
        elif kind == SUMMARY and (size > SUMMARY_BYTES or self.uncaught is not None):
            self.malformed = "a second or oversized summary frame"
        elif kind not in (FIGURE, SUMMARY):
            self.malformed = f"an unknown frame kind {kind}"
        else:
            self._kind, self._need = kind, size
            if size == 0:
                self._end_frame()

    def _end_frame(self) -> None:
        payload = bytes(self._payload)
        self._payload.clear()
        if self._kind == FIGURE:
            self.figures.append(payload)
        elif _EXCEPTION_NAME.fullmatch(payload):
            self.uncaught = payload.decode("ascii")
        self._kind, self._need = -1, 0


# ---- control messages (server ↔ fork server) --------------------------------------------------

CONTROL_BYTES: Final = 1 << 16
MAX_FDS: Final = 8


def send_control(sock: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    """One message; raises BlockingIOError when the socket is full (the caller queues it)."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > CONTROL_BYTES:
        raise ValueError(f"control message of {len(data)} bytes")
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def receive_control(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """One message and the descriptors that came with it; None when the peer has gone.

    Raises BlockingIOError when nothing is there (a non-blocking socket)."""
    data, fds, flags, _ = socket.recv_fds(sock, CONTROL_BYTES, MAX_FDS)
    if not data and not fds:
        return None
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        for fd in fds:
            _close_quietly(fd)
        raise ValueError("a control message was truncated")
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("a control message is not a JSON object")
    return message, fds


def _close_quietly(fd: int) -> None:
    import os

    try:
        os.close(fd)
    except OSError:
        pass
