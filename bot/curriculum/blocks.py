"""A lesson body as prose and fenced code blocks, for the places that treat them differently.

Lessons are Markdown. The tests run every Python block through the runner, and a notebook turns
each one into a code cell, so both need the same answer to "which parts are code, and which of
them can run here". A block whose first line is `# needs PyTorch` (or TensorFlow, a terminal,
Jupyter) is code a member runs elsewhere: it is shown and exported, never run by us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_NEEDS = re.compile(r"^#\s*needs\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A run of prose (`language` empty, `fenced` false) or one fenced code block."""

    text: str
    language: str = ""
    fenced: bool = False
    line: int = 1  # where it starts in the body (1-based), for messages that point at it

    @property
    def python(self) -> bool:
        return self.fenced and self.language in ("python", "py")

    @property
    def needs(self) -> str | None:
        """What a Python block needs that the runner lacks ("PyTorch"), or None if it runs here."""
        if not self.python:
            return None
        first = self.text.lstrip("\n").split("\n", 1)[0]
        match = _NEEDS.match(first)
        return match.group(1) if match else None

    @property
    def runnable(self) -> bool:
        return self.python and self.needs is None


def blocks(body: str) -> list[Block]:
    """The body in order: prose between fences (kept only when not blank) and each fence."""
    found: list[Block] = []
    at = 0
    for match in _FENCE.finditer(body):
        prose = body[at : match.start()]
        if prose.strip():
            found.append(Block(prose.strip("\n"), line=_line(body, at)))
        found.append(
            Block(
                match.group(2).rstrip("\n"),
                language=match.group(1).lower(),
                fenced=True,
                line=_line(body, match.start()),
            )
        )
        at = match.end()
    rest = body[at:]
    if rest.strip():
        found.append(Block(rest.strip("\n"), line=_line(body, at)))
    return found


def runnable_code(body: str) -> list[Block]:
    """The Python blocks the runner can run, in order (each runs on its own)."""
    return [block for block in blocks(body) if block.runnable]


def _line(body: str, offset: int) -> int:
    return body.count("\n", 0, offset) + 1
