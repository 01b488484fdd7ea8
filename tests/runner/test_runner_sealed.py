"""Issue 8, "The runner, sealed": one test per finding, each run with cgroups and without.

Run against the runner of commit 1d8bea1 (the zygote that forked each child from the process
serving requests), every finding's test fails there; what passes there is the scans' control,
the forgery in the new frame format (junk to that runner), and 100 forks as root with cgroups
(that runner had no `--no-cgroups`, nor RLIMIT_NPROC when not root). They pass on the split
runner: a server that never forks user code, a clean fork server, children that hand back only
untrusted, framed data.

The secrets a test plants are random and split in two halves wherever a snippet or this file
searches for them: the search never puts the whole secret in memory, so finding it means it
was there before the search began.
"""

from __future__ import annotations

import json
import os
import re
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci import skip_unless
from tests.runner.jailcheck import Runner

root_only = skip_unless(os.geteuid() == 0, "needs root (to read another process's memory)")


# ---- secrets, and looking for them ------------------------------------------------------------


class Secrets:
    """Three secrets of one run: in its code, in its stdin, and only in its output."""

    def __init__(self) -> None:
        self.code = f"code-secret-{uuid.uuid4().hex}"
        self.stdin = f"stdin-secret-{uuid.uuid4().hex}"
        # The output is the stdin reversed: neither the code nor the stdin holds it.
        self.output = self.stdin[::-1]

    def halves(self) -> list[tuple[bytes, bytes]]:
        return [(s[:14].encode(), s[14:].encode()) for s in (self.code, self.stdin, self.output)]


def count_in(data: bytes, halves: list[tuple[bytes, bytes]]) -> int:
    found = 0
    for first, second in halves:
        at = data.find(first)
        while at != -1:
            if data[at + len(first) : at + len(first) + len(second)] == second:
                found += 1
            at = data.find(first, at + 1)
    return found


# A snippet that counts the secrets in every readable, writable or anonymous mapping of its own
# process, through /proc/self/mem (the halves are spliced in as separate literals).
MEMORY_SCAN = """
halves = {halves!r}

def count_in(data):
    found = 0
    for first, second in halves:
        at = data.find(first)
        while at != -1:
            if data[at + len(first):at + len(first) + len(second)] == second:
                found += 1
            at = data.find(first, at + 1)
    return found

def scan_memory():
    found = 0
    with open('/proc/self/maps') as maps:
        regions = [line.split() for line in maps]
    with open('/proc/self/mem', 'rb', buffering=0) as mem:
        for fields in regions:
            start, end = (int(x, 16) for x in fields[0].split('-'))
            named = len(fields) > 5 and fields[5].startswith('/')
            if 'r' not in fields[1] or (named and 'w' not in fields[1]):
                continue
            if len(fields) > 5 and fields[5].startswith('[v'):
                continue
            at = start
            while at < end:
                size = min(1 << 20, end - at)
                try:
                    mem.seek(at)
                    found += count_in(mem.read(min(size + 256, end - at)))
                except (OSError, ValueError, OverflowError):
                    break
                at += size
    return found
"""

SCAN_MEMORY = MEMORY_SCAN + "print('memory', scan_memory())\n"

# The same, plus every live frame, every object the collector tracks (dicts, lists, tuples,
# frames, coroutines) and every asyncio task of every event loop this process can reach.
SCAN_OBJECTS = (
    MEMORY_SCAN
    + """
import asyncio, gc, sys, types

def holds(value):
    if isinstance(value, str):
        value = value.encode('utf-8', 'surrogatepass')
    elif isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    elif not isinstance(value, bytes):
        return 0
    return count_in(value)

def in_frame(frame):
    found = 0
    while frame is not None:
        found += sum(holds(v) for v in list(frame.f_locals.values()))
        frame = frame.f_back
    return found

objects = 0
frames = in_frame(sys._getframe())
for obj in gc.get_objects():
    if isinstance(obj, dict):
        objects += sum(holds(v) + holds(k) for k, v in list(obj.items()))
    elif isinstance(obj, (list, tuple)):
        objects += sum(holds(v) for v in obj)
    elif isinstance(obj, types.FrameType):
        frames += in_frame(obj)
    elif isinstance(obj, types.CoroutineType) and obj.cr_frame is not None:
        frames += in_frame(obj.cr_frame)
    elif isinstance(obj, asyncio.AbstractEventLoop):
        for task in asyncio.all_tasks(obj):
            coro = task.get_coro()
            frames += in_frame(getattr(coro, 'cr_frame', None))
print('frames', frames, 'objects', objects, 'memory', scan_memory())
"""
)


def scan(halves: list[tuple[bytes, bytes]], template: str = SCAN_MEMORY) -> str:
    return template.replace("{halves!r}", repr(halves))


def planting_run(secrets: Secrets, then: str = "") -> tuple[str, str]:
    """(code, stdin) of a run that holds its secrets in its code, stdin and output."""
    code = (
        "import sys\n"
        f"kept = {secrets.code!r}\n"
        "data = sys.stdin.read()\n"
        "print(data[::-1], flush=True)\n" + then
    )
    return code, secrets.stdin


def process_memory_count(pid: int, halves: list[tuple[bytes, bytes]]) -> int:
    """The secrets in another process's writable or anonymous memory, read as root."""
    found = 0
    regions = [line.split() for line in Path(f"/proc/{pid}/maps").read_text().splitlines()]
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for fields in regions:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            named = len(fields) > 5 and fields[5].startswith("/")
            if "r" not in fields[1] or (named and "w" not in fields[1]):
                continue
            if len(fields) > 5 and fields[5].startswith("[v"):
                continue
            at = start
            while at < end:
                size = min(1 << 22, end - at)
                try:
                    mem.seek(at)
                    found += count_in(mem.read(min(size + 256, end - at)), halves)
                except (OSError, ValueError, OverflowError):
                    break
                at += size
    return found


# ---- 1. inherited heap, and 2. live frames of a concurrent request ---------------------------


def test_the_scans_find_a_secret_that_is_there(runner: Runner) -> None:
    """The control for the tests below: a secret a run holds itself is found by each scan."""
    secrets = Secrets()
    halves = secrets.halves()
    code = scan(halves, SCAN_OBJECTS).replace(
        "import asyncio,", f"held = {halves[0][0]!r} + {halves[0][1]!r}\nimport asyncio,", 1
    )
    found = runner.run(code, timeout_s=20)["stdout"].split()
    assert found[0::2] == ["frames", "objects", "memory"]
    assert all(int(count) >= 1 for count in found[1::2]), found


def test_a_secret_is_not_in_the_memory_of_later_runs(runner: Runner) -> None:
    """Finding 1: a later child (either slot, up to four runs later) scans its own memory."""
    secrets = Secrets()
    code, stdin = planting_run(secrets)
    planted = runner.run(code, stdin=stdin)
    assert planted["stdout"] == secrets.output + "\n", planted
    later = [runner.run(scan(secrets.halves()), timeout_s=20) for _ in range(4)]
    assert [answer["stdout"] for answer in later] == ["memory 0\n"] * 4, later


@root_only
def test_a_secret_is_not_in_the_memory_of_the_process_that_clones_children(
    runner: Runner,
) -> None:
    """Finding 1, at its source: the process children are cloned from (the fork server; on
    the old runner the server itself) never holds a run's code, stdin or output."""
    secrets = Secrets()
    code, stdin = planting_run(secrets)
    for _ in range(3):  # both slots, and a re-arm in between
        assert runner.run(code, stdin=stdin)["stdout"] == secrets.output + "\n"
    cloner = runner.forkserver or runner.pid
    assert process_memory_count(cloner, secrets.halves()) == 0


def test_a_concurrent_run_is_not_in_the_frames_tasks_or_memory_of_another(
    runner: Runner,
) -> None:
    """Finding 2: while run A waits with its secrets (code, stdin, partial output) live, runs
    on the other slot, armed during A, walk their frames, every tracked object, every asyncio
    task of any loop they can reach, and their memory."""
    secrets = Secrets()
    code, stdin = planting_run(secrets, then="import time\ntime.sleep(3)\n")
    answers: dict[str, dict] = {}

    def plant() -> None:
        answers["a"] = runner.run(code, stdin=stdin, timeout_s=10)

    planting = threading.Thread(target=plant)
    planting.start()
    time.sleep(0.5)
    looked = [runner.run(scan(secrets.halves(), SCAN_OBJECTS), timeout_s=20) for _ in range(3)]
    planting.join()
    assert answers["a"]["stdout"] == secrets.output + "\n", answers["a"]
    for answer in looked:
        assert answer["status"] == "ok", answer
        assert answer["stdout"] == "frames 0 objects 0 memory 0\n", answer


# ---- 3. the results channel cannot stall the server --------------------------------------------

# Writes `payload` to the child's results pipe: every write-only pipe it holds but stdout/stderr.
TO_RESULTS = """
import fcntl, os
def to_results(payload):
    sent = 0
    for fd in range(3, 64):
        try:
            if not os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):
                continue
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_WRONLY:
                continue
        except OSError:
            continue
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        sent += 1
    return sent
"""


def test_megabytes_of_junk_on_the_results_channel_are_answered_at_once(runner: Runner) -> None:
    """Finding 3: 8 MB of header-like lines (the old parser copied the buffer per line, per
    chunk) are answered within 2 s, and health checks answer meanwhile."""
    code = (
        TO_RESULTS + 'line = b\'{"name": "a.png", "size": 0}\\n\'\n'
        "junk = (line * ((8 << 20) // len(line) + 1))[: 8 << 20]\n"
        "print('sent to', to_results(junk))\n"
    )
    slowest: list[float] = []
    stop = threading.Event()

    def check_health() -> None:
        while not stop.is_set():
            started = time.monotonic()
            runner.request("GET", "/v1/health", timeout=30)
            slowest.append(time.monotonic() - started)
            time.sleep(0.1)

    checker = threading.Thread(target=check_health)
    checker.start()
    started = time.monotonic()
    try:
        status, _, body = runner.request(
            "POST", "/v1/run", json.dumps({"code": code}).encode(), timeout=10
        )
    finally:
        elapsed = time.monotonic() - started
        stop.set()
        checker.join()
    answer = json.loads(body)
    assert status == 200, answer
    assert answer["stdout"] == "sent to 1\n", answer
    assert answer["files"] == []
    assert elapsed < 2, elapsed
    assert slowest and max(slowest) < 1, slowest


# ---- 4. Linux AIO ----------------------------------------------------------------------------

AIO_CASE = """
import ctypes, mmap, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
context = ctypes.c_ulong(0)
if libc.syscall(206, 4096, ctypes.byref(context)) != 0:  # io_setup
    print('io_setup refused', ctypes.get_errno())
    print('io_submit refused', libc.syscall(209, 0, 0, 0), ctypes.get_errno())
    sys.exit(0)
big = max((os.path.join(d, f) for d, _, fs in os.walk(sys.prefix) for f in fs
           if f.endswith('.so') and not os.path.islink(os.path.join(d, f))),
          key=os.path.getsize)
fd = os.open(big, os.O_RDONLY | os.O_DIRECT)
blocks = os.fstat(fd).st_size >> 20
buffer = mmap.mmap(-1, 1 << 20)
address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
iocbs = [ctypes.create_string_buffer(struct.pack('<QIIHhIQQqQII', n, 0, 0, 0, 0, fd, address,
         1 << 20, (n * 7919 % blocks) << 20, 0, 0, 0), 64) for n in range(4096)]
pointers = (ctypes.c_void_p * len(iocbs))(*[ctypes.addressof(b) for b in iocbs])
print('io_submit', libc.syscall(209, context, len(iocbs), pointers), flush=True)
time.sleep(60)
"""


def test_linux_aio_is_refused_and_a_killed_run_never_holds_the_server(runner: Runner) -> None:
    """Finding 4: io_setup/io_submit are refused; the AIO case, killed at its wall limit, is
    answered within the kill grace, and print(6*7) on the other slot answers within 1 s."""
    started = time.monotonic()
    aio = runner.run(AIO_CASE, timeout_s=1)
    aio_s = time.monotonic() - started
    started = time.monotonic()
    other = runner.run("print(6*7)")
    other_s = time.monotonic() - started
    assert (other["status"], other["stdout"]) == ("ok", "42\n")
    assert other_s < 1, other_s
    assert aio_s < 1 + 2 + 1, aio_s
    assert aio["stdout"] == "io_setup refused 1\nio_submit refused -1 1\n", aio


# ---- 5. forged verdicts and files --------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes, crc_delta: int = 0) -> bytes:
    crc = (zlib.crc32(kind + body) + crc_delta) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png(crc_delta: int = 0) -> bytes:
    """A 1x1 grey PNG; with `crc_delta` its IDAT's CRC is wrong."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"), crc_delta)
        + _png_chunk(b"IEND", b"")
    )


def _frame(kind: bytes, payload: bytes) -> bytes:
    """A results frame as the runner's children write them (bot/runner/framing.py)."""
    return kind + struct.pack(">I", len(payload)) + payload


FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"not an image at all"
FORGERIES = [
    # the old runner's format: a "PNG" named "..", then an end record claiming success
    b'{"name": "..", "size": %d}\n' % len(FAKE_PNG) + FAKE_PNG,
    b'{"end": true, "exit": 0, "uncaught": null, "status": "ok"}\n',
    # the new format: a fake PNG, a PNG with a bad CRC, and a claim of a status
    _frame(b"F", FAKE_PNG) + _frame(b"F", _png(crc_delta=1)) + _frame(b"S", b"status=ok"),
]


@pytest.mark.parametrize("forgery", FORGERIES, ids=["old-file", "old-end-record", "frames"])
def test_forged_records_and_files_are_ignored(runner: Runner, forgery: bytes) -> None:
    """Finding 5: the exit code and status are the kernel's; files are checked and named by
    the runner."""
    code = TO_RESULTS + f"print('forged', to_results({forgery!r}))\nimport sys\nsys.exit(3)\n"
    answer = runner.run(code)
    assert (answer["status"], answer["exit_code"], answer["stdout"]) == (
        "error",
        3,
        "forged 1\n",
    ), answer
    assert answer["files"] == []


def test_a_genuine_png_through_the_channel_is_kept_under_the_runners_name(
    runner: Runner,
) -> None:
    """The other side of finding 5: a valid PNG in a well-formed frame passes the checks, but
    under the name the runner gives it."""
    code = TO_RESULTS + f"print('sent', to_results({_frame(b'F', _png())!r}))\n"
    answer = runner.run(code)
    assert (answer["status"], answer["exit_code"]) == ("ok", 0), answer
    assert [(f["name"], f["size"]) for f in answer["files"]] == [("figure-1.png", len(_png()))]


# ---- 6. the smaller findings ----------------------------------------------------------------


def test_a_deeply_nested_json_line_on_the_results_channel(runner: Runner) -> None:
    """A line the old parser handed to json.loads (RecursionError: HTTP 500)."""
    code = TO_RESULTS + "print('sent', to_results(b'[' * 2040 + b']' * 2040 + b'\\n'))\n"
    answer = runner.run(code)
    assert (answer["status"], answer["exit_code"], answer["stdout"]) == ("ok", 0, "sent 1\n")


@pytest.mark.parametrize("field", ["stdin", "code"])
def test_a_lone_surrogate_is_a_clear_400(runner: Runner, field: str) -> None:
    payload = {"code": "print(input())", "stdin": "fine"} | {field: "a\ud800b"}
    status, _, answer = runner.post(payload)
    assert status == 400, answer
    assert answer["error"] == (
        f"'{field}' holds a lone surrogate (U+D800 at character 1); send valid Unicode text"
    )


def test_file_watches_are_refused(runner: Runner) -> None:
    """inotify on the shared read-only binds would see another run's opens; fanotify and
    dnotify (fcntl F_NOTIFY) likewise."""
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "folder = os.open('/usr/lib', os.O_RDONLY)\n"
        "for name, call in [('inotify_init', (253,)), ('inotify_init1', (294, 0)),\n"
        "                   ('inotify_add_watch', (254, 0, b'/usr/lib', 0xfff)),\n"
        "                   ('fanotify_init', (300, 0, 0)),\n"
        "                   ('fanotify_mark', (301, 0, 1, 0x20, -100, b'/usr')),\n"
        "                   ('F_NOTIFY', (72, folder, 1026, 0x80000001))]:\n"
        "    print(name, libc.syscall(*call), ctypes.get_errno())\n"
    )
    answer = runner.run(code)
    names = ["inotify_init", "inotify_init1", "inotify_add_watch"]
    names += ["fanotify_init", "fanotify_mark", "F_NOTIFY"]
    assert answer["stdout"] == "".join(f"{name} -1 1\n" for name in names), answer


def test_tiocsti_with_high_bits_set_is_refused(runner: Runner) -> None:
    """The kernel reads ioctl's request as 32 bits: 0x1_00005412 is TIOCSTI."""
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "char = ctypes.c_char(b'x')\n"
        "for request in (0x5412, 0x1_00005412, 0xFFFF_FFFF_0000_5412):\n"
        "    print(libc.syscall(16, 0, ctypes.c_ulong(request), ctypes.byref(char)),"
        " ctypes.get_errno())\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "-1 1\n" * 3, answer


def _host_sources() -> set[str]:
    """The sources of the host's own mounts that name something of the host (a device, a
    path, an overlay's layers)."""
    sources = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        after = line.partition(" - ")[2].split()
        if len(after) >= 3:
            if after[1].startswith("/"):
                sources.add(after[1])
            sources.update(o for o in after[2].split(",") if "=/" in o)
    return sources


def test_proc_hides_host_pids_the_boot_line_and_host_mounts(runner: Runner) -> None:
    code = (
        "import json\n"
        "views = {}\n"
        "for path in ['/proc/self/cgroup', '/proc/cmdline', '/proc/1/mountinfo',\n"
        "             '/proc/self/mountinfo', '/proc/thread-self/mountinfo', '/proc/mounts',\n"
        "             '/proc/self/mountstats']:\n"
        "    views[path] = open(path).read()\n"
        "print(json.dumps(views))\n"
    )
    answer = runner.run(code)
    views = json.loads(answer["stdout"])
    cgroup = views["/proc/self/cgroup"]
    assert cgroup and all(line.endswith(":/") for line in cgroup.splitlines()), cgroup
    for pid in {runner.pid, runner.forkserver} - {None}:
        assert not re.search(rf"\b{pid}\b", cgroup), cgroup
    assert views["/proc/cmdline"] == ""
    boot_line = Path("/proc/cmdline").read_text().strip()
    tables = [text for path, text in views.items() if "mount" in path]
    for text in tables:
        assert text.strip()
        assert boot_line not in text
        for source in _host_sources():
            assert source not in text, (source, text)
    for line in views["/proc/1/mountinfo"].splitlines():
        assert line.split()[3] == "/", line  # no path inside a host file system


# ---- seaborn (issue, "What to build" 6) --------------------------------------------------------


def test_seaborn_histplot_returns_a_png(runner: Runner) -> None:
    assert {"seaborn", "scipy"} <= set(runner.health()["preloaded"])
    answer = runner.run("import seaborn as sns\nsns.histplot([1, 2, 2, 3, 3, 3], kde=True)\n")
    assert (answer["status"], answer["stderr"]) == ("ok", ""), answer
    (image,) = answer["files"]
    assert image["name"] == "figure-1.png" and image["mime"] == "image/png"
    assert image["size"] > 1000


# ---- 7. bounded without cgroups --------------------------------------------------------------


def test_a_one_gib_shared_mapping_is_refused(runner: Runner) -> None:
    """RLIMIT_DATA does not count shared memory; RLIMIT_AS does, in every mode."""
    code = (
        "import mmap\n"
        "try:\n"
        "    m = mmap.mmap(-1, 1 << 30, flags=mmap.MAP_SHARED)\n"
        "    for at in range(0, 1 << 30, 4096):\n"
        "        m[at] = 1\n"
        "    print('mapped and touched')\n"
        "except (OSError, MemoryError) as e:\n"
        "    print('refused', type(e).__name__)\n"
    )
    answer = runner.run(code, timeout_s=10)
    assert (answer["status"], answer["stdout"]) == ("ok", "refused OSError\n"), answer


def test_a_hundred_forks_are_refused(runner: Runner) -> None:
    """RLIMIT_NPROC in every mode: a slot's own uid as root, its own user namespace else."""
    code = (
        "import os, time\n"
        "count = 0\n"
        "try:\n"
        "    for _ in range(100):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(3)\n"
        "            os._exit(0)\n"
        "        count += 1\n"
        "except OSError as e:\n"
        "    print('refused', type(e).__name__)\n"
        "print(count)\n"
        "os._exit(0)\n"
    )
    answer = runner.run(code)
    refused, count = answer["stdout"].splitlines()
    assert refused == "refused BlockingIOError" and int(count) < 40, answer


def test_the_mode_is_what_the_suite_asked_for(runner: Runner) -> None:
    """The no-cgroups runs above really ran without cgroups (and said so)."""
    health = runner.health()
    if runner.cgroups:
        assert health["cgroups"] is True
    else:
        assert health["cgroups"] is False
        assert "cgroups are switched off" in health["warning"]
        assert "cgroups are switched off" in runner.run("print(1)")["warning"]


# ---- 3 (cont.). a child that will not die does not hold its slot's neighbours ------------------


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A runner whose kill grace (1 ms) is shorter than any child takes to die."""
    from tests.runner.conftest import start_runner

    yield from start_runner(tmp_path_factory, "impatient", ["--kill-grace", "0.001"])


def test_a_child_that_outlives_the_kill_grace_is_quarantined(impatient: Runner) -> None:
    """Finding 4's general case: the answer does not wait for a dying child; its slot is
    quarantined until the fork server reports the death, then armed again, and the other slot
    serves meanwhile."""
    hog = (
        "import numpy as np, time\n"
        "a = np.ones(160 << 20, dtype=np.uint8)\n"  # pages the kernel must free at exit
        "print('holding', flush=True)\n"
        "time.sleep(30)\n"
    )
    answer = impatient.run(hog, timeout_s=0.5)
    assert (answer["status"], answer["stdout"]) == ("timeout", "holding\n"), answer
    assert "did not end within 0.001 s of SIGKILL" in answer["warning"], answer
    assert impatient.run("print(6*7)")["stdout"] == "42\n"
    deadline = time.monotonic() + 10
    while impatient.health()["quarantined"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert impatient.health()["quarantined"] == []
    outputs = {impatient.run("print(6*7)")["stdout"] for _ in range(4)}
    assert outputs == {"42\n"}
