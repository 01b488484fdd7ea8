"""One memory, pids and cpu cgroup per slot (cgroup v1), nested under the runner's own cgroups.

Rlimits count per process (or per uid); a cgroup counts the whole tree of one run, forks and
tmpfs pages included, and tells afterwards whether the kernel's OOM killer had to step in. The
cpu controller gives each slot an equal share, so a fork bomb in one slot cannot starve a run in
the other. Where the host has no writable v1 hierarchy (no root, cgroup v2 only, a container)
or the operator switched them off, the runner says so in every response and the rlimits alone
bound a run (see `jail.lock_down`).

The runner's cgroup is named after its block of slot uids (`studybot-slots-u61000`), not its
pid: a child enters a cgroup namespace rooted at its slot, so it sees "/" anyway, and nothing in
a name should tell a snippet which host pid serves it. (Not `studybot-runner-…`: runners of
earlier versions remove every `studybot-runner-*` not named after a live pid.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")


class CgroupUnavailable(RuntimeError):
    """The host offers no writable cgroup v1 hierarchy for a controller."""


def _hierarchies() -> dict[str, Path]:
    """Where each v1 controller is mounted, joined with this process's own cgroup path in it."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(","):
            if name:
                own[name] = path
    found: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields = left.split()
        fstype, _source, options = right.split()[:3]
        if fstype != "cgroup":
            continue
        mount_root, mount_point = fields[3], fields[4]
        for name in options.split(","):
            if name in CONTROLLERS and name in own:
                inside = own[name]
                if mount_root != "/" and inside.startswith(mount_root):
                    inside = inside[len(mount_root) :]
                found[name] = Path(mount_point) / inside.lstrip("/")
    return found


def join_dirs(dirs: Iterable[Path | str], pid: int) -> None:
    for path in dirs:
        Path(path, "cgroup.procs").write_text(str(pid))


@dataclass
class SlotCgroup:
    """The cgroups of one slot; reused run after run, since a run leaves them empty."""

    dirs: dict[str, Path]

    def join(self, pid: int) -> None:
        """Moves a process into every controller; 0 means the writer (the child, at its start)."""
        join_dirs(self.dirs.values(), pid)

    def empty(self) -> bool:
        """True when no process is left in the slot (a cgroup with one cannot be removed)."""
        try:
            return not (self.dirs["pids"] / "cgroup.procs").read_text().strip()
        except OSError:
            return True

    def reset(self) -> None:
        with contextlib.suppress(OSError):
            (self.dirs["memory"] / "memory.max_usage_in_bytes").write_text("0")
        with contextlib.suppress(OSError):
            (self.dirs["memory"] / "memory.failcnt").write_text("0")

    def oom_kills(self) -> int:
        for line in (self.dirs["memory"] / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def cpu_ns(self) -> int:
        return int((self.dirs["cpuacct"] / "cpuacct.usage").read_text())


class CgroupTree:
    """`<name>/slot-<n>` under each controller; removed when the runner stops."""

    def __init__(self, name: str) -> None:
        hierarchies = _hierarchies()
        missing = [c for c in CONTROLLERS if c not in hierarchies]
        if missing:
            raise CgroupUnavailable(f"no cgroup v1 hierarchy for {', '.join(missing)}")
        self.roots = {c: hierarchies[c] / name for c in CONTROLLERS}
        try:
            for root in self.roots.values():
                root.mkdir(exist_ok=True)
        except OSError as error:
            raise CgroupUnavailable(f"cannot create cgroups: {error}") from error

    def slot(self, index: int, memory_bytes: int, processes: int) -> SlotCgroup:
        dirs = {c: root / f"slot-{index}" for c, root in self.roots.items()}
        for path in dirs.values():
            path.mkdir(exist_ok=True)
        memory = dirs["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        memsw = memory / "memory.memsw.limit_in_bytes"
        if memsw.exists():
            with contextlib.suppress(OSError):
                memsw.write_text(str(memory_bytes))
        with contextlib.suppress(OSError):
            (memory / "memory.swappiness").write_text("0")
        # the child and every process and thread it starts
        (dirs["pids"] / "pids.max").write_text(str(processes))
        return SlotCgroup(dirs)

    def remove(self) -> None:
        for root in self.roots.values():
            for child in sorted(root.glob("slot-*")):
                with contextlib.suppress(OSError):
                    child.rmdir()
            with contextlib.suppress(OSError):
                root.rmdir()


PREFIX = "studybot-slots-u"
LEGACY_PREFIX = "studybot-runner-"


def tree_name(uid_base: int) -> str:
    return f"{PREFIX}{uid_base}"


def remove_stale(in_use: Callable[[int], bool]) -> None:
    """Removes empty cgroups left by runners that were killed before they could clean up.

    `in_use(uid_base)` says whether a live runner holds that block of uids (and so that
    tree); names of older runners (`studybot-runner-<pid>`) are stale once the pid is gone.
    """
    for hierarchy in _hierarchies().values():
        if not hierarchy.is_dir():
            continue
        for stale in [*hierarchy.glob(f"{PREFIX}*"), *hierarchy.glob(f"{LEGACY_PREFIX}*")]:
            if stale.name.startswith(PREFIX):
                base = stale.name.removeprefix(PREFIX)
                if not base.isdigit() or in_use(int(base)):
                    continue
            else:
                pid = stale.name.removeprefix(LEGACY_PREFIX)
                if not pid.isdigit() or Path(f"/proc/{pid}").exists():
                    continue
            for child in stale.glob("slot-*"):
                with contextlib.suppress(OSError):
                    child.rmdir()
            with contextlib.suppress(OSError):
                stale.rmdir()
