"""What one snippet may use: the issue's defaults, and the bounds an operator may set them within.

The bounds exist so that a typo in a deployment (a memory limit of 256 GiB, a timeout of an hour)
fails at start-up instead of quietly turning the runner into a free compute service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """Per-snippet limits; `timeout_s` in a request may pick any wall time up to `max_wall_s`."""

    wall_s: float = 5.0
    cpu_s: float = 5.0
    max_wall_s: float = 30.0
    memory_bytes: int = 256 * MIB
    processes: int = 32
    output_bytes: int = 64 * KIB
    tmpfs_bytes: int = 16 * MIB
    images: int = 4
    image_bytes: int = 2 * MIB
    code_chars: int = 20_000
    stdin_bytes: int = 1 * MIB
    open_files: int = 256

    def __post_init__(self) -> None:
        for field in fields(self):
            low, high = BOUNDS[field.name]
            value = getattr(self, field.name)
            if not (isinstance(value, int | float) and low <= value <= high):
                raise ValueError(f"{field.name}={value!r} is outside [{low}, {high}]")
        if self.wall_s > self.max_wall_s:
            raise ValueError(f"wall_s={self.wall_s} is above max_wall_s={self.max_wall_s}")

    def for_request(self, timeout_s: float | None) -> RunLimits:
        """A request's `timeout_s` bounds both clocks; without it the defaults apply."""
        if timeout_s is None:
            wall = self.wall_s
            cpu = min(self.cpu_s, wall)
        else:
            wall = min(max(timeout_s, 0.05), self.max_wall_s)
            cpu = wall
        return RunLimits(wall_s=wall, cpu_s=cpu)


@dataclass(frozen=True)
class RunLimits:
    """The two clocks of one run, after the request had its say."""

    wall_s: float
    cpu_s: float

    @property
    def cpu_rlimit(self) -> int:
        """RLIMIT_CPU counts whole seconds; the wall clock catches what the rounding lets by."""
        return max(1, math.ceil(self.cpu_s))


BOUNDS: dict[str, tuple[float, float]] = {
    "wall_s": (0.05, 600.0),
    "cpu_s": (0.05, 600.0),
    "max_wall_s": (0.05, 600.0),
    "memory_bytes": (32 * MIB, 16 * 1024 * MIB),
    "processes": (1, 4096),
    "output_bytes": (1 * KIB, 64 * MIB),
    "tmpfs_bytes": (64 * KIB, 4096 * MIB),
    "images": (0, 64),
    "image_bytes": (1 * KIB, 64 * MIB),
    "code_chars": (1, 10_000_000),
    "stdin_bytes": (0, 256 * MIB),
    "open_files": (16, 65_536),
}
