"""Hostile snippets: each asserts what the answer says AND what the host saw.

The `still_serving` fixture (conftest) adds to every test: a benign run still answers exactly,
the server is the same live process, and no process of a slot's uid outlived its run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import site
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest

from tests.ci import skip_unless
from tests.runner.jailcheck import CANARY, Runner, command_line

# A checkout that itself lives under /tmp (a CI clone, say) has its .venv bound read-only inside
# the jail's /tmp at the same path; those mount points are the only names the jail's /tmp holds.
VENV_IN_TMP = sorted(
    {
        Path(prefix).resolve().relative_to("/tmp").parts[0]
        for prefix in (sys.prefix, sys.base_prefix)
        if Path(prefix).resolve().is_relative_to("/tmp")
    }
)

ROOT = Path(__file__).resolve().parents[2]
root_only = skip_unless(os.geteuid() == 0, "needs the runner to run as root")


@pytest.fixture
def host_secret(tmp_path: Path) -> Iterator[Path]:
    """A secret file in the host's real /tmp (not pytest's folder under it)."""
    path = Path("/tmp") / f"studybot-runner-secret-{uuid.uuid4().hex}"
    path.write_text(CANARY)
    path.chmod(0o644)
    yield path
    path.unlink()


# ---- reading what is not the snippet's ----------------------------------------------------


def test_environment_holds_no_secret(runner: Runner) -> None:
    answer = runner.run("import os\nprint(sorted(os.environ))\nprint(dict(os.environ))")
    assert answer["status"] == "ok"
    assert CANARY not in answer["stdout"]
    assert "STUDYBOT" not in answer["stdout"]


def test_proc_environ_of_every_visible_process(runner: Runner) -> None:
    code = (
        "import os\n"
        "for pid in [p for p in os.listdir('/proc') if p.isdigit()] + ['self']:\n"
        "    try:\n"
        "        print(pid, open(f'/proc/{pid}/environ', 'rb').read())\n"
        "    except OSError as e:\n"
        "        print(pid, type(e).__name__)\n"
    )
    answer = runner.run(code)
    assert answer["status"] == "ok"
    assert "self b''" in answer["stdout"]
    assert CANARY not in answer["stdout"]


def test_proc_shows_only_the_jail(runner: Runner) -> None:
    code = "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    answer = runner.run(code)
    pids = eval(answer["stdout"])
    assert pids == [1]
    assert runner.pid not in pids or runner.pid <= 3


def test_memory_of_the_process_holds_no_secret(runner: Runner) -> None:
    """A snippet can walk into the parent's globals and read its own stack and heap."""
    code = (
        "import re, sys\n"
        f"needle = b'{CANARY[:8]}' + b'{CANARY[8:]}'\n"
        "found = 0\n"
        "for line in open('/proc/self/maps'):\n"
        "    if not line.split()[-1].startswith('['):\n"
        "        continue\n"
        "    start, end = (int(x, 16) for x in line.split()[0].split('-'))\n"
        "    with open('/proc/self/mem', 'rb') as mem:\n"
        "        try:\n"
        "            mem.seek(start); found += mem.read(end - start).count(needle)\n"
        "        except (OSError, ValueError, OverflowError):\n"
        "            pass\n"
        "for module in list(sys.modules.values()):\n"
        "    for value in list(vars(module).values()):\n"
        "        if isinstance(value, str) and needle.decode() in value:\n"
        "            found += 1\n"
        "print('found', found)\n"
    )
    answer = runner.run(code, timeout_s=10)
    assert answer["stdout"] == "found 0\n", answer


def test_checkout_is_not_there(runner: Runner) -> None:
    targets = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / ".git" / "config"]
    targets += [ROOT / "bot" / "settings.py", ROOT / "bot" / "runner" / "pool.py"]
    code = (
        "import os\n"
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        print(path, open(path).read()[:20])\n"
        "    except OSError as e:\n"
        "        print(path, type(e).__name__)\n"
        f"print(sorted(os.listdir({str(ROOT)!r})))\n"
    )
    answer = runner.run(code)
    assert answer["stdout"].count("FileNotFoundError") == len(targets), answer
    assert answer["stdout"].splitlines()[-1] == "['.venv']"


def test_home_folder_is_not_there(runner: Runner) -> None:
    secret = Path.home() / f".studybot-runner-secret-{uuid.uuid4().hex}"
    secret.write_text(CANARY)
    try:
        code = (
            "import os\n"
            f"try:\n    print(open({str(secret)!r}).read())\n"
            "except OSError as e:\n    print(type(e).__name__)\n"
            f"print(sorted(os.listdir({str(Path.home())!r})))\n"
        )
        answer = runner.run(code)
    finally:
        secret.unlink()
    assert answer["stdout"].startswith("FileNotFoundError\n"), answer
    assert CANARY not in answer["stdout"]
    assert secret.name not in answer["stdout"]


def test_host_tmp_is_not_there(runner: Runner, host_secret: Path) -> None:
    code = (
        "import os\n"
        f"try:\n    print(open({str(host_secret)!r}).read())\n"
        "except OSError as e:\n    print(type(e).__name__)\n"
        "print(os.listdir('/tmp'))\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == f"FileNotFoundError\n{VENV_IN_TMP}\n", answer


def test_parent_folders_through_proc_links(runner: Runner, host_secret: Path) -> None:
    code = (
        "import os\n"
        "for path in ['/proc/1/root', '/proc/1/cwd', '/proc/self/root']:\n"
        f"    print(os.path.exists(path + {str(host_secret)!r}))\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "False\nFalse\nFalse\n", answer


def test_no_inherited_descriptors(runner: Runner) -> None:
    """The parent's listening socket and other slots' pipes are closed in the child."""
    code = (
        "import os\n"
        "for fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):\n"
        "    try:\n        print(fd, os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError:\n        pass\n"
    )
    answer = runner.run(code)
    assert "socket:" not in answer["stdout"]
    assert len(answer["stdout"].splitlines()) <= 6, answer["stdout"]


def test_no_sys_and_few_devices(runner: Runner) -> None:
    code = "import os\nprint(os.path.exists('/sys'), sorted(os.listdir('/dev')))"
    answer = runner.run(code)
    assert answer["stdout"].startswith("False ")
    assert "vda" not in answer["stdout"] and "kmsg" not in answer["stdout"]


# ---- writing where it must not -----------------------------------------------------------


def _try_write(paths: list[str]) -> str:
    return (
        f"for path in {paths!r}:\n"
        "    try:\n"
        "        with open(path, 'a') as f:\n"
        "            f.write('pwned')\n"
        "        print('wrote', path)\n"
        "    except OSError as e:\n"
        "        print('refused', type(e).__name__)\n"
    )


def test_cannot_write_the_checkout(runner: Runner) -> None:
    name = f"pwned-{uuid.uuid4().hex}"
    paths = [str(ROOT / name), str(ROOT / "README.md"), str(ROOT / ".venv" / name)]
    before = (ROOT / "README.md").read_bytes()
    answer = runner.run(_try_write(paths))
    assert "wrote" not in answer["stdout"], answer
    assert not (ROOT / name).exists() and not (ROOT / ".venv" / name).exists()
    assert (ROOT / "README.md").read_bytes() == before


def test_cannot_write_the_home_folder(runner: Runner) -> None:
    name = f".pwned-{uuid.uuid4().hex}"
    answer = runner.run(_try_write([str(Path.home() / name), str(Path.home() / ".bashrc")]))
    assert "wrote" not in answer["stdout"], answer
    assert not (Path.home() / name).exists()


def test_writes_to_tmp_stay_in_the_jail(runner: Runner) -> None:
    name = f"studybot-pwned-{uuid.uuid4().hex}"
    answer = runner.run(_try_write([f"/tmp/{name}"]))
    assert answer["stdout"] == f"wrote /tmp/{name}\n"
    assert not (Path("/tmp") / name).exists()


def test_cannot_write_site_packages(runner: Runner) -> None:
    package = Path(numpy.__file__).parent
    init = package / "__init__.py"
    digest = hashlib.sha256(init.read_bytes()).hexdigest()
    name = f"pwned_{uuid.uuid4().hex}.py"
    stdlib = Path(os.__file__).parent / name
    answer = runner.run(_try_write([str(init), str(package / name), str(stdlib)]))
    assert answer["stdout"].count("refused") == 3, answer
    assert hashlib.sha256(init.read_bytes()).hexdigest() == digest
    assert not (package / name).exists() and not stdlib.exists()


def test_cannot_write_user_site_packages(runner: Runner) -> None:
    user_site = Path(site.getusersitepackages())
    name = f"pwned-{uuid.uuid4().hex}.pth"
    code = (
        "import os\n"
        f"try:\n    os.makedirs({str(user_site)!r}, exist_ok=True)\n"
        f"    open({str(user_site / name)!r}, 'w').write('import os')\n    print('wrote')\n"
        "except OSError as e:\n    print('refused', type(e).__name__)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"].startswith("refused"), answer
    assert not (user_site / name).exists()


def test_root_and_etc_are_read_only(runner: Runner) -> None:
    answer = runner.run(_try_write(["/etc/passwd", "/usr/bin/python3", "/new-file", "/etc/x"]))
    assert answer["stdout"].count("refused") == 4, answer


def test_poisoning_the_warm_parent_does_not_reach_the_next_run(runner: Runner) -> None:
    poison = (
        "import numpy, builtins, sys\n"
        "numpy.sum = lambda *a, **k: 666\n"
        "builtins.print = lambda *a, **k: sys.stdout.write('poisoned\\n')\n"
        "sys.modules['bot.runner.child'].WORKER_ENV['EVIL'] = '1'\n"
    )
    for _ in range(2):  # both slots
        assert runner.run(poison)["status"] == "ok"
    for _ in range(2):
        answer = runner.run("import numpy, os\nprint(numpy.sum([1, 2]), os.environ.get('EVIL'))")
        assert answer["stdout"] == "3 None\n"


# ---- the network --------------------------------------------------------------------------


@contextlib.contextmanager
def _listener(family: int, kind: int, address: object) -> Iterator[socket.socket]:
    server = socket.socket(family, kind)
    server.bind(address)
    if kind == socket.SOCK_STREAM:
        server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def _never_contacted(server: socket.socket) -> bool:
    try:
        if server.type == socket.SOCK_STREAM:
            server.accept()
        else:
            server.recvfrom(4096)
    except BlockingIOError:
        return True
    return False


def test_tcp_listener_on_the_host_is_unreachable(runner: Runner) -> None:
    with _listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1); print('connected')\n"
            "except OSError as e:\n    print('refused', e.errno)\n"
        )
        answer = runner.run(code)
        time.sleep(0.1)
        assert answer["stdout"] == "refused 97\n", answer  # EAFNOSUPPORT: seccomp
        assert _never_contacted(server)


def test_udp_listener_on_the_host_gets_nothing(runner: Runner) -> None:
    with _listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"    s.sendto(b'hello', ('127.0.0.1', {port})); print('sent')\n"
            "except OSError as e:\n    print('refused', e.errno)\n"
        )
        answer = runner.run(code)
        time.sleep(0.1)
        assert answer["stdout"].startswith("refused"), answer
        assert _never_contacted(server)


def test_unix_path_listener_on_the_host_is_unreachable(runner: Runner) -> None:
    path = f"/tmp/studybot-runner-{uuid.uuid4().hex}.sock"
    with _listener(socket.AF_UNIX, socket.SOCK_STREAM, path) as server:
        os.chmod(path, 0o777)
        code = (
            "import socket\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"try:\n    s.connect({path!r}); print('connected')\n"
            "except OSError as e:\n    print('refused', type(e).__name__)\n"
        )
        answer = runner.run(code)
        time.sleep(0.1)
        assert answer["stdout"] == "refused FileNotFoundError\n", answer
        assert _never_contacted(server)
    os.unlink(path)


def test_abstract_unix_listener_on_the_host_is_unreachable(runner: Runner) -> None:
    name = f"\0studybot-runner-{uuid.uuid4().hex}"
    with _listener(socket.AF_UNIX, socket.SOCK_STREAM, name) as server:
        code = (
            "import socket\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"try:\n    s.connect({name!r}); print('connected')\n"
            "except OSError as e:\n    print('refused', type(e).__name__)\n"
        )
        answer = runner.run(code)
        time.sleep(0.1)
        assert answer["stdout"] == "refused ConnectionRefusedError\n", answer
        assert _never_contacted(server)


def test_dns_fails(runner: Runner) -> None:
    code = (
        "import socket\n"
        "for host in ['example.com', 'localhost']:\n"
        "    try:\n        print(socket.getaddrinfo(host, 80, socket.AF_INET)[0][4])\n"
        "    except OSError as e:\n        print('failed', type(e).__name__)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"].startswith("failed gaierror\n"), answer


def test_http_out_even_to_the_runner_itself_fails(runner: Runner) -> None:
    code = (
        "import urllib.request\n"
        f"for url in [{runner.url + '/v1/health'!r}, 'http://example.com/']:\n"
        "    try:\n        urllib.request.urlopen(url, timeout=1); print('reached', url)\n"
        "    except Exception as e:\n        print('failed', type(e).__name__)\n"
    )
    answer = runner.run(code)
    assert "reached" not in answer["stdout"], answer
    assert answer["stdout"].count("failed") == 2


def test_no_network_interfaces_and_no_raw_sockets(runner: Runner) -> None:
    code = (
        "import socket\n"
        "print(open('/proc/net/dev').read().count(':'))\n"
        "for family, kind in [(socket.AF_PACKET, socket.SOCK_RAW), "
        "(socket.AF_NETLINK, socket.SOCK_RAW), (socket.AF_INET6, socket.SOCK_STREAM)]:\n"
        "    try:\n        socket.socket(family, kind); print('opened')\n"
        "    except OSError as e:\n        print('refused', e.errno)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "1\nrefused 97\nrefused 97\nrefused 97\n", answer


# ---- processes, privileges, the kernel ----------------------------------------------------


@root_only
def test_kill_minus_one_reaches_nothing_outside(runner: Runner, slot_uids: tuple[int, ...]) -> None:
    """Canaries run as the slots' own uids on the host: even those are out of reach."""
    canaries = [subprocess.Popen(["sleep", "30"], user=uid, group=uid, env={}) for uid in slot_uids]
    try:
        code = (
            "import os, signal\n"
            "try:\n    os.kill(-1, signal.SIGKILL)\n"
            "except OSError as e:\n    print(type(e).__name__)\n"
            "print('survived')\n"
        )
        answer = runner.run(code)
        assert answer["stdout"] == "ProcessLookupError\nsurvived\n", answer
        assert all(canary.poll() is None for canary in canaries)
        assert runner.health()["status"] == "ok"
    finally:
        for canary in canaries:
            canary.kill()
            canary.wait()


def test_killing_init_the_group_and_everyone_visible_fails(runner: Runner) -> None:
    """The snippet is PID 1 of its namespace; the runner (its real parent) is not visible."""
    code = (
        "import os, signal\n"
        "print(os.getpid(), os.getppid())\n"
        "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV, signal.SIGSTOP):\n"
        "    for pid in (0, 1, -1):\n"
        "        try:\n            os.kill(pid, sig)\n"
        "        except OSError as e:\n            pass\n"
        "import time; time.sleep(0.1); print('alive')\n"
    )
    answer = runner.run(code)
    assert (answer["status"], answer["stdout"]) == ("ok", "1 0\nalive\n"), answer
    assert os.path.exists(f"/proc/{runner.pid}")


def test_the_snippet_leads_its_own_session_and_process_group(runner: Runner) -> None:
    """kill(0, …) reaches a process group across pid namespaces: the group must be the jail's."""
    answer = runner.run("import os\nprint(os.getsid(0), os.getpgrp())")
    assert answer["stdout"] == "1 1\n", answer


def test_ptrace_is_denied(runner: Runner) -> None:
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.ptrace(0, 0, 0, 0), ctypes.get_errno())\n"  # PTRACE_TRACEME
        "print(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"  # PTRACE_ATTACH to init
    )
    answer = runner.run(code)
    assert answer["stdout"] == "-1 1\n-1 1\n", answer


def test_mount_unshare_chroot_are_denied(runner: Runner) -> None:
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
        "print(libc.umount2(b'/proc', 2), ctypes.get_errno())\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())\n"  # CLONE_NEWUSER
        "print(libc.unshare(0x00020000), ctypes.get_errno())\n"  # CLONE_NEWNS
        "try:\n    os.chroot('/tmp')\nexcept OSError as e:\n    print(type(e).__name__)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "-1 1\n-1 1\n-1 1\n-1 1\nPermissionError\n", answer


def test_namespace_flags_in_clone_are_denied(runner: Runner) -> None:
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "for flags in (0x10000000 | 17, 0x20000000 | 17, 0x40000000 | 17):\n"
        "    print(libc.syscall(56, ctypes.c_ulong(flags), 0, 0, 0, 0), ctypes.get_errno())\n"
        "print(libc.syscall(435, 0, 0), ctypes.get_errno())\n"  # clone3
    )
    answer = runner.run(code)
    assert answer["stdout"] == "-1 1\n-1 1\n-1 1\n-1 38\n", answer


def test_kernel_attack_surface_is_filtered(runner: Runner) -> None:
    calls = {
        "bpf": 321,
        "io_uring_setup": 425,
        "keyctl": 250,
        "add_key": 248,
        "perf_event_open": 298,
        "process_vm_readv": 310,
        "userfaultfd": 323,
        "kexec_load": 246,
        "reboot": 169,
        "init_module": 175,
        "setns": 308,
        "pivot_root": 155,
    }
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        f"for name, number in {calls!r}.items():\n"
        "    print(name, libc.syscall(number, 0, 0, 0, 0, 0), ctypes.get_errno())\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "".join(f"{name} -1 1\n" for name in calls), answer


def test_writing_proc_sys_and_the_hostname(runner: Runner) -> None:
    host_hostname = socket.gethostname()
    code = (
        "import socket\n"
        "for path in ['/proc/sys/kernel/hostname', '/proc/sys/vm/drop_caches', "
        "'/proc/sysrq-trigger']:\n"
        "    try:\n        open(path, 'w').write('1'); print('wrote')\n"
        "    except OSError as e:\n        print('refused', type(e).__name__)\n"
        "try:\n    socket.sethostname('pwned')\nexcept OSError as e:\n    print(type(e).__name__)\n"
        "print(socket.gethostname())\n"
    )
    answer = runner.run(code)
    assert "wrote" not in answer["stdout"], answer
    assert answer["stdout"].endswith("PermissionError\nrunner\n")
    assert socket.gethostname() == host_hostname
    assert Path("/proc/sys/kernel/hostname").read_text().strip() == host_hostname


@root_only
def test_runs_as_the_slots_unprivileged_uid(runner: Runner, slot_uids: tuple[int, ...]) -> None:
    code = (
        "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
        "try:\n    os.setuid(0)\nexcept OSError as e:\n    print(type(e).__name__)\n"
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
        "print(open('/proc/self/status').read().split('NoNewPrivs:')[1].split()[0])\n"
        "print(open('/proc/self/status').read().split('Seccomp:')[1].split()[0])\n"
    )
    uid, error, caps, no_new_privs, seccomp_mode = runner.run(code)["stdout"].splitlines()
    assert int(uid.split()[0]) in slot_uids and uid.endswith("[]")
    assert (error, caps, no_new_privs, seccomp_mode) == (
        "PermissionError",
        "0000000000000000",
        "1",
        "2",
    )


@root_only
def test_an_orphan_daemon_dies_with_its_run(runner: Runner) -> None:
    marker = "1234.5"
    code = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print('daemon started')\n"
    )
    answer = runner.run(code)
    assert (answer["status"], answer["stdout"]) == ("ok", "daemon started\n")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        sleepers = [p for p in os.listdir("/proc") if p.isdigit() and marker in command_line(p)]
        if not sleepers:
            break
        time.sleep(0.05)
    assert not sleepers


def test_fork_bomb(runner: Runner) -> None:
    code = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    answer = runner.run(code, timeout_s=1)
    assert (answer["status"], answer["exit_code"]) == ("timeout", None), answer


def test_fork_count_is_capped(runner: Runner) -> None:
    code = (
        "import os, time\n"
        "count = 0\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        if os.fork() == 0:\n            time.sleep(5); os._exit(0)\n"
        "        count += 1\n"
        "except OSError as e:\n    print(type(e).__name__)\n"
        "print(count)\n"
        "os._exit(0)\n"
    )
    answer = runner.run(code)
    error, count = answer["stdout"].split()
    assert error == "BlockingIOError" and 20 <= int(count) < 40, answer


def test_thread_bomb(runner: Runner) -> None:
    code = (
        "import threading, time\n"
        "count = 0\n"
        "try:\n"
        "    while True:\n"
        "        threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
        "        count += 1\n"
        "except RuntimeError as e:\n    print(e)\n"
        "print(count)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"].startswith("can't start new thread\n"), answer
    assert int(answer["stdout"].split()[-1]) < 40


@pytest.mark.parametrize(
    "code",
    [
        "x = b'x' * (4 << 30)",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))",
        "import numpy as np\na = np.ones((1 << 30,), dtype=np.float64)",
        "import numpy as np\na = np.zeros((300, 1 << 20), dtype=np.uint8); a[:] = 1",
    ],
    ids=["bytes", "creep", "numpy", "numpy-touched"],
)
def test_memory_bombs(runner: Runner, code: str) -> None:
    answer = runner.run(code, timeout_s=5)
    assert answer["status"] == "memory", answer
    assert answer["exit_code"] in (1, None)


@root_only
def test_memory_across_processes(runner: Runner) -> None:
    """Each process stays under its own limit; together they pass the slot's memory cgroup.
    Without cgroups the bound is per process (the README says so): the three succeed, and a
    fourth process asking for more than the limit alone is refused."""
    code = (
        "import os, numpy as np\n"
        "pids = []\n"
        "for _ in range(3):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        a = np.ones(200 << 20, dtype=np.uint8); import time; time.sleep(3); os._exit(0)\n"
        "    pids.append(pid)\n"
        "for pid in pids:\n    print(os.waitpid(pid, 0)[1])\n"
    )
    answer = runner.run(code, timeout_s=5)
    if runner.cgroups:
        assert answer["status"] == "memory", answer
        return
    assert (answer["status"], answer["stdout"]) == ("ok", "0\n0\n0\n"), answer
    alone = runner.run(
        "import os, numpy as np\npid = os.fork()\n"
        "if pid == 0:\n    a = np.ones(400 << 20, dtype=np.uint8); os._exit(0)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
        timeout_s=5,
    )
    assert alone["status"] == "ok" and alone["stdout"] == "1\n", alone  # MemoryError: exit 1


def test_cpu_spin(runner: Runner) -> None:
    answer = runner.run("while True:\n    pass", timeout_s=1)
    assert (answer["status"], answer["exit_code"]) == ("timeout", None), answer
    assert answer["wall_ms"] >= 1000  # the wall limit, not sooner
    assert answer["cpu_ms"] >= 500


def test_sleep(runner: Runner) -> None:
    answer = runner.run("import time\nprint('going', flush=True)\ntime.sleep(60)", timeout_s=0.5)
    assert (answer["status"], answer["stdout"]) == ("timeout", "going\n"), answer
    assert answer["cpu_ms"] < 400


def test_ignored_signals_and_spin(runner: Runner) -> None:
    code = (
        "import signal\n"
        "for sig in signal.valid_signals():\n"
        "    try:\n        signal.signal(sig, signal.SIG_IGN)\n"
        "    except (OSError, ValueError):\n        pass\n"
        "while True:\n    pass\n"
    )
    answer = runner.run(code, timeout_s=1)
    assert answer["status"] == "timeout", answer


def test_rlimit_cpu_ends_a_spinner_that_ignores_sigxcpu(runner: Runner) -> None:
    """The hard CPU limit (SIGKILL) ends it before the wall clock; the runner cannot tell that
    kill from any other once the snippet has lowered its own limit, so it says `killed`."""
    code = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (1, 2))\n"
        "while True:\n    pass\n"
    )
    answer = runner.run(code, timeout_s=20)
    assert (answer["status"], answer["exit_code"]) == ("killed", None), answer  # not the wall
    assert answer["cpu_ms"] >= 1800


def test_closed_stdout(runner: Runner) -> None:
    answer = runner.run("import os\nos.close(1)\nprint('lost')")
    assert (answer["status"], answer["exit_code"], answer["stdout"]) == ("error", 1, "")
    assert "Bad file descriptor" in answer["stderr"]


def test_closed_stdout_and_stderr_then_exit(runner: Runner) -> None:
    answer = runner.run("import os\nos.close(1)\nos.close(2)\nraise SystemExit(4)")
    assert (answer["status"], answer["exit_code"]) == ("error", 4), answer


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood(runner: Runner, stream: str) -> None:
    code = f"import sys\nwhile True:\n    sys.{stream}.write('x' * 65536)"
    answer = runner.run(code, timeout_s=20)
    assert answer["status"] == "output_limit", answer["status"]  # cut, not run to the wall
    assert answer["truncated"] is True
    assert len(answer[stream]) == 64 * 1024
    assert answer["dropped_bytes"] > 0


def test_output_over_the_cap_then_a_normal_exit(runner: Runner) -> None:
    answer = runner.run("print('y' * 100_000)")
    assert (answer["status"], answer["exit_code"], answer["truncated"]) == (
        "output_limit",
        0,
        True,
    )
    assert len(answer["stdout"]) == 64 * 1024
    assert answer["dropped_bytes"] == 100_001 - 64 * 1024


def test_filling_the_tmpfs(runner: Runner) -> None:
    code = (
        "written = 0\n"
        "try:\n"
        "    with open('/tmp/fill', 'wb') as f:\n"
        "        while True:\n            f.write(b'x' * 65536); f.flush(); written += 65536\n"
        "except OSError as e:\n    print(type(e).__name__, e.errno)\n"
        "print(written // (1 << 20))\n"
    )
    answer = runner.run(code)
    error, size = answer["stdout"].splitlines()
    assert error in ("OSError 28", "OSError 27")  # ENOSPC, or EFBIG at RLIMIT_FSIZE
    assert int(size) <= 16


def test_filling_dev_shm(runner: Runner) -> None:
    code = (
        "try:\n    open('/dev/shm/fill', 'wb').write(b'x' * (64 << 20))\n"
        "except OSError as e:\n    print(e.errno)\n"
    )
    answer = runner.run(code)
    assert answer["stdout"] in ("28\n", "27\n"), answer


def test_file_descriptor_exhaustion(runner: Runner) -> None:
    code = (
        "files = []\n"
        "try:\n    while True:\n        files.append(open('/dev/null'))\n"
        "except OSError as e:\n    print(e.errno, len(files))\n"
    )
    errno_value, count = runner.run(code)["stdout"].split()
    assert errno_value == "24" and 200 < int(count) <= 256


def test_deep_recursion_to_a_segfault(runner: Runner) -> None:
    code = (
        "import sys\nsys.setrecursionlimit(10**8)\n"
        "def deep(n):\n    return eval('deep(n + 1)')\n"
        "deep(0)\n"
    )
    answer = runner.run(code, timeout_s=10)
    assert answer["status"] == "error", answer
    assert answer["exit_code"] is None
    assert "Segmentation fault" in answer["stderr"] or "Fatal Python error" in answer["stderr"]


def test_a_second_run_sees_nothing_of_the_first(runner: Runner) -> None:
    leave = "open('/tmp/left', 'w').write('x'); open('/dev/shm/left', 'w').write('x')"
    look = "import os\nprint(os.listdir('/tmp'), os.listdir('/dev/shm'))"
    for _ in range(2):  # both slots
        assert runner.run(leave)["status"] == "ok"
    for _ in range(2):
        assert runner.run(look)["stdout"] == f"{VENV_IN_TMP} []\n"


def test_a_bomb_does_not_stop_the_other_slot(runner: Runner) -> None:
    """A fork bomb fills its slot until its 2 s wall limit; a run in the other slot answers
    correctly, and before the bomb's answer (so it did not wait for the bomb to end)."""
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    benign = "import numpy as np\nprint(int(np.arange(1001).sum()))"
    answers: dict[str, dict] = {}
    finished: list[str] = []

    def run(name: str, code: str, timeout: float) -> None:
        answers[name] = runner.run(code, timeout_s=timeout)
        finished.append(name)

    bomber = threading.Thread(target=run, args=("bomb", bomb, 2))
    bomber.start()
    time.sleep(0.3)  # the bomb is running and forking
    run("benign", benign, 5)
    bomber.join()
    assert answers["bomb"]["status"] == "timeout"
    assert (answers["benign"]["status"], answers["benign"]["stdout"]) == ("ok", "500500\n")
    assert finished == ["benign", "bomb"]


def test_subprocess_inside_the_jail_is_jailed_too(runner: Runner) -> None:
    code = (
        "import subprocess, sys\n"
        "print(subprocess.run(['id', '-u'], capture_output=True, text=True).stdout.strip())\n"
        "print(subprocess.run([sys.executable, '-c', 'import os; print(len(os.environ))'],"
        " capture_output=True, text=True).stdout.strip())\n"
        "print(subprocess.run(['cat', '/work/main/README.md'], capture_output=True).returncode)\n"
    )
    answer = runner.run(code)
    uid, env_count, cat_code = answer["stdout"].split()
    assert uid != "0" or os.geteuid() != 0
    assert int(env_count) < 15 and cat_code == "1"


def test_the_server_process_is_unharmed(runner: Runner) -> None:
    """After everything above, the same pid serves and its memory did not balloon."""
    rss_kib = int(
        next(
            line.split()[1]
            for line in Path(f"/proc/{runner.pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
    )
    assert rss_kib < 600 * 1024
    assert sys.executable in command_line(runner.pid) or "python" in command_line(runner.pid)
