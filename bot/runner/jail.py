"""The jail: namespaces, a read-only root of just what Python needs, and a child with no privileges.

Python 3.11 has no `os.unshare` or `os.setns`, so the few system calls are made through ctypes.
The fork server does one `clone` straight into new namespaces (see `clone_into`), which saves
the second fork a pid namespace otherwise needs: the child is PID 1 there. It joins its slot's
cgroups and only then enters a cgroup namespace of its own (so `/proc/self/cgroup` says "/"),
builds its root (`build_root`, with `/proc/cmdline` and PID 1's mount tables masked), then drops
to the slot's uid, sets rlimits and loads the seccomp filter (`lock_down`) before it waits for a
snippet.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.runner.seccomp import (
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    SeccompFilter,
)

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24

_SYSCALLS = {
    "x86_64": {"clone": 56, "pivot_root": 155},
    "aarch64": {"clone": 220, "pivot_root": 41},
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.sethostname.argtypes = (ctypes.c_char_p, ctypes.c_size_t)
_libc.unshare.argtypes = (ctypes.c_int,)
_libc.prctl.argtypes = (
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
)
_libc.capset.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
_libc.syscall.restype = ctypes.c_long
# The clone call must keep the GIL: nothing else may run in this process between the hooks.
_pylibc = ctypes.PyDLL(None, use_errno=True)
_raw_syscall = _pylibc.syscall
_raw_syscall.restype = ctypes.c_long
_raw_syscall.argtypes = (
    ctypes.c_long,
    ctypes.c_ulong,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_ulong,
)
_before_fork = ctypes.pythonapi.PyOS_BeforeFork
_after_fork_parent = ctypes.pythonapi.PyOS_AfterFork_Parent
_after_fork_child = ctypes.pythonapi.PyOS_AfterFork_Child

NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS


class JailError(RuntimeError):
    """A step of building the jail failed; the message names the step."""


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise JailError(f"{what}: {os.strerror(error)}")


def _syscall_number(name: str) -> int:
    try:
        return _SYSCALLS[platform.machine()][name]
    except KeyError:
        raise JailError(f"{name} is not known on {platform.machine()}") from None


def clone_into(flags: int) -> int:
    """`os.fork`, but the child starts in new namespaces (and as PID 1 of a new pid namespace).

    It runs the same interpreter hooks as `os.fork` (locks, at-fork callbacks), so the child is a
    normal Python process. The parent must have no other threads, as for any fork.
    """
    number = _syscall_number("clone")
    _before_fork()
    pid = _raw_syscall(number, flags | signal.SIGCHLD, None, None, None, 0)
    error = ctypes.get_errno()
    if pid == 0:
        _after_fork_child()
        return 0
    _after_fork_parent()
    if pid < 0:
        raise OSError(error, f"clone: {os.strerror(error)}")
    return int(pid)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    _check(result, f"mount {source or fstype} on {target}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl({option})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


@dataclass(frozen=True)
class JailSpec:
    """Everything a child needs to build its root; computed once in the parent."""

    root_dir: str
    read_only: tuple[str, ...]
    symlinks: tuple[tuple[str, str], ...]
    tmpfs_bytes: int
    shm_bytes: int = 1024 * 1024
    hostname: str = "runner"
    devices: tuple[str, ...] = ("null", "zero", "full", "random", "urandom")
    etc_files: tuple[str, ...] = ("ld.so.cache",)
    user_namespace: bool = False
    outer_uid: int = 0
    outer_gid: int = 0


@dataclass(frozen=True)
class SlotIdentity:
    """Who a slot's child runs as: a uid of its own, so RLIMIT_NPROC is per slot."""

    uid: int
    gid: int
    etc_passwd: str = field(default="")


def read_only_paths(
    prefixes: Iterable[str], hidden: Iterable[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The binds for a root with Python in it: /usr, the interpreter and the venv, nothing else.

    Returns (binds, symlinks). Merged-/usr hosts have /lib, /bin… as symlinks, which the jail
    copies; any prefix that would expose a hidden folder (the checkout, home, /tmp) as a whole
    is refused rather than bound.
    """
    binds: list[str] = ["/usr"]
    symlinks: list[tuple[str, str]] = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            symlinks.append((top, os.readlink(top)))
        elif os.path.isdir(top):
            binds.append(top)
    hidden_real = [os.path.realpath(h) for h in hidden]
    for prefix in prefixes:
        real = os.path.realpath(prefix)
        if not os.path.isdir(real) or any(_under(real, b) for b in binds):
            continue
        if any(real == h or _under(h, real) for h in hidden_real):
            raise JailError(f"{real} would expose a hidden folder; install Python elsewhere")
        binds = [b for b in binds if not _under(b, real)]
        binds.append(real)
    return tuple(binds), tuple(symlinks)


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def write_id_maps(spec: JailSpec) -> None:
    """In a user namespace (not root), map root inside to the runner's own uid outside."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {spec.outer_uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {spec.outer_gid} 1")


def _bind_flags(source: str) -> int:
    """Flags of the source mount to keep when remounting read-only (a user namespace insists)."""
    f_flag = os.statvfs(source).f_flag
    keep = 0
    for st, ms in (
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ):
        if f_flag & st:
            keep |= ms
    return keep


def _bind(source: str, target: str, *, read_only: bool, recursive: bool) -> None:
    mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if read_only:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | _bind_flags(source)
        mount(None, target, None, flags)


def build_root(spec: JailSpec, identity: SlotIdentity) -> None:
    """Run by the child, root of fresh mount and pid namespaces: build the root, pivot into it."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = spec.root_dir
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    # /tmp first: a checkout (and so its .venv) may itself live under the host's /tmp, and its
    # read-only bind then has to sit inside the jail's own /tmp rather than be hidden by it.
    os.makedirs(root + "/tmp")
    mount(
        "tmpfs",
        root + "/tmp",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={spec.tmpfs_bytes},nr_inodes=4096,mode=1777",
    )
    for path in spec.read_only:
        target = root + path
        os.makedirs(target, exist_ok=True)
        _bind(path, target, read_only=True, recursive=spec.user_namespace)
    for link, destination in spec.symlinks:
        os.symlink(destination, root + link)

    os.makedirs(root + "/etc")
    for name in spec.etc_files:
        if os.path.isfile("/etc/" + name):
            Path(root + "/etc/" + name).touch()
            _bind("/etc/" + name, root + "/etc/" + name, read_only=True, recursive=False)
    if os.path.islink("/etc/localtime"):
        os.symlink(os.readlink("/etc/localtime"), root + "/etc/localtime")
    Path(root + "/etc/passwd").write_text(identity.etc_passwd)
    Path(root + "/etc/group").write_text(f"runner:x:{identity.gid}:\n")
    Path(root + "/etc/hostname").write_text(spec.hostname + "\n")
    Path(root + "/etc/hosts").write_text(f"127.0.0.1 localhost {spec.hostname}\n")

    os.makedirs(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _bind(root + "/proc/sys", root + "/proc/sys", read_only=True, recursive=True)

    os.makedirs(root + "/dev")
    mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for device in spec.devices:
        Path(root + "/dev/" + device).touch()
        mount("/dev/" + device, root + "/dev/" + device, None, MS_BIND)
    for name, destination in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(destination, f"{root}/dev/{name}")
    os.makedirs(root + "/dev/shm")
    mount(
        "tmpfs",
        root + "/dev/shm",
        "tmpfs",
        MS_NOSUID | MS_NODEV | MS_NOEXEC,
        f"size={spec.shm_bytes},mode=1777",
    )

    os.chdir(root)
    _check(_libc.syscall(_syscall_number("pivot_root"), b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the host's root")
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    hostname = spec.hostname.encode()
    _check(_libc.sethostname(hostname, len(hostname)), "sethostname")
    mask_proc()


MOUNT_VIEWS = ("mountinfo", "mounts", "mountstats")
# What is bound over PID 1's tables: the thread's views and the process's (/proc/self is 1).
_MOUNT_VIEW_DIRS = ("/proc/1", "/proc/1/task/1")


def mask_proc() -> None:
    """Run by the child as PID 1, after pivot_root: hide the boot line and the host's mounts.

    `/proc/cmdline` (the VM's boot line) gets /dev/null bound over it. PID 1's mount tables
    (`mountinfo`, `mounts`, `mountstats`, and the same files of its thread) would show each
    bind's host device, its path inside the host file system and the host's mount options
    (an overlay's lowerdir is a list of host paths): they get a sanitised copy of the same
    table bound over them, with no source, root or super options. As container runtimes do,
    this masks files, not the kernel: a process or thread the snippet starts later has a /proc
    entry of its own, which shows the real table (README, "What a snippet can still read").
    """
    entries = _mount_entries(Path("/proc/self/mountinfo").read_text())
    for name, text in (
        ("mountinfo", "".join(e.mountinfo() for e in entries)),
        ("mounts", "".join(e.mounts() for e in entries)),
        ("mountstats", "".join(e.mountstats() for e in entries)),
    ):
        scratch = f"/dev/.{name}"
        Path(scratch).write_text(text)
        for folder in _MOUNT_VIEW_DIRS:
            if os.path.exists(f"{folder}/{name}"):  # a task has no mountstats
                _bind(scratch, f"{folder}/{name}", read_only=True, recursive=False)
        os.unlink(scratch)  # the binds keep the file; /dev shows nothing of it
    _bind("/dev/null", "/proc/cmdline", read_only=True, recursive=False)


@dataclass(frozen=True)
class _MountEntry:
    """One mount as the jail may see it: where, how, and a generic type; nothing of the host."""

    mount_id: str
    parent_id: str
    mount_point: str
    options: str
    fstype: str

    @property
    def source(self) -> str:
        return self.fstype if self.fstype != "bind" else "none"

    @property
    def read_only(self) -> str:
        return "ro" if "ro" in self.options.split(",") else "rw"

    def mountinfo(self) -> str:
        return (
            f"{self.mount_id} {self.parent_id} 0:0 / {self.mount_point} {self.options} - "
            f"{self.fstype} {self.source} {self.read_only}\n"
        )

    def mounts(self) -> str:
        return f"{self.source} {self.mount_point} {self.fstype} {self.options} 0 0\n"

    def mountstats(self) -> str:
        return f"device {self.source} mounted on {self.mount_point} with fstype {self.fstype}\n"


def _mount_entries(mountinfo: str) -> list[_MountEntry]:
    entries = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) < 6 or not after:
            continue
        fstype = after[0] if after[0] in ("tmpfs", "proc") else "bind"
        entries.append(_MountEntry(fields[0], fields[1], fields[4], fields[5], fstype))
    return entries


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def drop_capabilities() -> None:
    """Empties the bounding, permitted and effective sets (for a uid that stays 0)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def _in_use() -> dict[str, int]:
    """VmSize and VmData, bytes: RLIMIT_AS and RLIMIT_DATA count what the child inherited from
    the fork server too (≈ 600 MB of address space), so each limit starts above it."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmSize", "VmData"):
            found[key] = int(value.split()[0]) * 1024
    return found


def lock_down(
    identity: SlotIdentity | None,
    seccomp: SeccompFilter | None,
    *,
    cpu_s: int,
    memory_bytes: int,
    processes: int,
    file_bytes: int,
    open_files: int,
) -> None:
    """The child's last steps before it may run user code: rlimits, uid, no privileges, seccomp.

    The rlimits bound a run on their own, without any cgroup: RLIMIT_AS caps every mapping a
    process adds (shared and file mappings included, which RLIMIT_DATA does not count) at the
    memory limit, and RLIMIT_NPROC caps processes and threads. The kernel counts RLIMIT_NPROC per
    (user namespace, uid): as root each slot has a uid of its own, and otherwise each child has
    a user namespace of its own, so either way the count is this slot's processes alone.
    """
    Path("/proc/self/oom_score_adj").write_text("1000")
    used = _in_use()
    limits = {
        resource.RLIMIT_CPU: (cpu_s, cpu_s + 1),
        resource.RLIMIT_AS: (used.get("VmSize", 0) + memory_bytes,) * 2,
        resource.RLIMIT_DATA: (used.get("VmData", 0) + memory_bytes,) * 2,
        resource.RLIMIT_FSIZE: (file_bytes, file_bytes),
        resource.RLIMIT_NOFILE: (open_files, open_files),
        resource.RLIMIT_NPROC: (processes, processes),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MEMLOCK: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)
    if identity is not None:
        os.setgroups([])
        os.setresgid(identity.gid, identity.gid, identity.gid)
        os.setresuid(identity.uid, identity.uid, identity.uid)
    elif os.getuid() == 0:
        drop_capabilities()
    prctl(PR_SET_DUMPABLE, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if seccomp is not None:
        seccomp.load()


def namespace_flags(*, user_namespace: bool, cgroup_namespace: bool) -> int:
    """The clone flags of a child. Without a slot cgroup to join first, the cgroup namespace is
    made at clone time (rooted at the fork server's cgroups, which it then shows as "/")."""
    flags = NAMESPACES
    if user_namespace:
        flags |= CLONE_NEWUSER
    if cgroup_namespace:
        flags |= CLONE_NEWCGROUP
    return flags
