"""The seccomp filter: compiled once in the fork server with libseccomp, loaded by each child.

Compiling with libseccomp costs milliseconds per call; loading a finished BPF program is one
prctl. So the fork server builds the program at start-up and keeps it as bytes plus a ready
`sock_fprog`, and a child only calls `load()` after `no_new_privs`.

Denied calls fail with EPERM (a few with a more telling errno) instead of killing the process,
so a snippet that probes them gets a Python exception it can print. Calls made through another
architecture's ABI (int 0x80, x32) kill the process: libseccomp's default for a foreign arch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_NE = 1
SCMP_CMP_MASKED_EQ = 7

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

AF_UNIX = 1
# ioctl's request is an `unsigned int` to the kernel, but seccomp sees the whole 64-bit register:
# 0x1_00005412 reaches the kernel as TIOCSTI. So requests are compared on their low 32 bits.
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
LOW_32_BITS = 0xFFFFFFFF
F_NOTIFY = 1026

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWUTS,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
)

DENIED: tuple[str, ...] = (
    # other processes and the kernel's view of them
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "perf_event_open",
    # file systems and namespaces
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    "quotactl_fd",
    "swapon",
    "swapoff",
    # kernel attack surface a snippet never needs
    "bpf",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "lookup_dcookie",
    "personality",
    "uselib",
    "acct",
    "syslog",
    "vhangup",
    "iopl",
    "ioperm",
    # Linux AIO: a queue of O_DIRECT reads keeps a SIGKILLed process alive for seconds
    "io_setup",
    "io_submit",
    "io_getevents",
    "io_pgetevents",
    "io_cancel",
    "io_destroy",
    # watching files: the read-only binds are shared, so a watch would see another run's opens
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "fanotify_init",
    "fanotify_mark",
    # the machine itself
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "init_module",
    "finit_module",
    "delete_module",
    "sethostname",
    "setdomainname",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
)


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


class SeccompError(RuntimeError):
    """libseccomp is missing or refused the rules."""


class SeccompFilter:
    """A compiled BPF program, ready for prctl in a child."""

    def __init__(self, program: bytes, denied: tuple[str, ...]) -> None:
        if len(program) % 8 or not program:
            raise SeccompError("the exported BPF program is malformed")
        self.program = program
        self.denied = denied
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._fprog = _SockFprog(len(program) // 8, ctypes.cast(self._buffer, ctypes.c_void_p))
        libc = ctypes.CDLL(None, use_errno=True)
        self._prctl = libc.prctl
        self._prctl.argtypes = (
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
        )
        self._prctl.restype = ctypes.c_int

    def load(self) -> None:
        """Sets no_new_privs (a filter needs it without CAP_SYS_ADMIN) and installs the filter."""
        if self._prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if self._prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._fprog), 0, 0):
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def build_filter() -> SeccompFilter:
    """Compiles the deny list with libseccomp and exports the BPF program."""
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as error:
        raise SeccompError(f"libseccomp is not installed ({error})") from error
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_export_bpf.restype = ctypes.c_int

    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise SeccompError("seccomp_init failed")

    def rule(syscall: str, action: int, *conditions: tuple[int, int, int, int]) -> bool:
        number = lib.seccomp_syscall_resolve_name(syscall.encode())
        if number < 0:
            return False
        array = (_ArgCmp * max(1, len(conditions)))(*(_ArgCmp(*c) for c in conditions))
        result = lib.seccomp_rule_add_array(ctx, action, number, len(conditions), array)
        if result < 0:
            raise SeccompError(f"seccomp_rule_add({syscall}) failed: {os.strerror(-result)}")
        return True

    try:
        eperm = _errno_action(errno.EPERM)
        denied = tuple(call for call in DENIED if rule(call, eperm))
        rule("clone3", _errno_action(errno.ENOSYS))  # glibc then falls back to clone
        for flag in NAMESPACE_FLAGS:
            rule("clone", eperm, (0, SCMP_CMP_MASKED_EQ, flag, flag))
        rule("socket", _errno_action(errno.EAFNOSUPPORT), (0, SCMP_CMP_NE, AF_UNIX, 0))
        for request in (TIOCSTI, TIOCLINUX):
            rule("ioctl", eperm, (1, SCMP_CMP_MASKED_EQ, LOW_32_BITS, request))
        # dnotify, the old way to watch a directory (fcntl's cmd is an int: 32 bits too)
        rule("fcntl", eperm, (1, SCMP_CMP_MASKED_EQ, LOW_32_BITS, F_NOTIFY))
        memfd = os.memfd_create("seccomp-bpf")
        try:
            result = lib.seccomp_export_bpf(ctx, memfd)
            if result < 0:
                raise SeccompError(f"seccomp_export_bpf failed: {os.strerror(-result)}")
            size = os.lseek(memfd, 0, os.SEEK_END)
            program = os.pread(memfd, size, 0)
        finally:
            os.close(memfd)
    finally:
        lib.seccomp_release(ctx)
    return SeccompFilter(
        program,
        (*denied, "clone3", "clone(namespaces)", "socket", "ioctl(TIOCSTI)", "fcntl(F_NOTIFY)"),
    )
