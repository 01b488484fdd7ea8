"""Reading a member's snippet out of a message, and showing what it printed.

Output is shown the way people read it: numbered lines, a clear note where it was cut, and the
way the run ended said in words rather than as a bare exit code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"```(?:py|python|python3)?[ \t]*\n(?P<code>.*?)```", re.DOTALL | re.IGNORECASE)
_INLINE = re.compile(r"^`(?P<code>[^`\n]+)`$")


def extract_code(text: str) -> str | None:
    """The first fenced Python block of a message, an inline `code` message, or None."""
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group("code").strip("\n") or None
    inline = _INLINE.match(text.strip())
    return inline.group("code") if inline else None


def snippet_from_argument(text: str) -> str:
    """What `/run` was given: a fenced block if there is one, else the text as it is."""
    return extract_code(text) or text.strip()


ENDINGS = {
    "ok": "finished",
    "timeout": "was stopped: it ran past the time limit",
    "memory": "was stopped: it used more memory than allowed",
    "output_limit": "printed more than the output limit, so it was stopped",
    "killed": "was killed",
}


def describe_ending(status: str, exit_code: int | None) -> str:
    """How a run ended, in words (137 and friends mean nothing to most people)."""
    if status == "error":
        if exit_code is None:
            return "crashed"
        if exit_code == 1:
            return "raised an error (exit code 1)"
        return f"exited with code {exit_code}"
    return ENDINGS.get(status, f"ended ({status})")


@dataclass(frozen=True)
class Shown:
    text: str  # numbered lines, ready for a code block
    cut_lines: int
    cut_chars: bool


LINE_MAX = 300
CUT_MARK = "… {count} line{s} cut …"


def _prepared(lines: list[str], numbered: bool) -> tuple[list[str], bool]:
    width = len(str(len(lines)))
    shown, cut = [], False
    for number, line in enumerate(lines, 1):
        if len(line) > LINE_MAX:
            line, cut = line[: LINE_MAX - 1] + "…", True
        text = f"{number:0{width}d} | {line}" if numbered else line
        shown.append(text.replace("```", "`\u200b``"))
    return shown, cut


def show_output(
    output: str, max_lines: int = 40, max_chars: int = 3000, numbered: bool = False
) -> Shown:
    """Output lines that fit a chat message (numbered if asked: line numbers beside a
    traceback's own "line 5" only confuse). Long output keeps its head and its tail (where a
    traceback ends) and says how many lines were cut between them."""
    if not output.strip():
        return Shown(text="[no output]", cut_lines=0, cut_chars=False)
    lines, cut_chars = _prepared(output.rstrip("\n").split("\n"), numbered)
    if len(lines) <= max_lines and sum(len(line) + 1 for line in lines) <= max_chars:
        return Shown(text="\n".join(lines), cut_lines=0, cut_chars=cut_chars)
    room = max_chars - len(CUT_MARK) - 8
    head: list[str] = []
    used = 0
    for line in lines[: max(1, max_lines // 4)]:
        if used + len(line) + 1 > room // 4:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    for line in reversed(lines[len(head) :]):
        if len(head) + len(tail) + 1 >= max_lines or used + len(line) + 1 > room:
            break
        tail.insert(0, line)
        used += len(line) + 1
    cut = len(lines) - len(head) - len(tail)
    mark = CUT_MARK.format(count=cut, s="s" * (cut != 1))
    return Shown(text="\n".join([*head, mark, *tail]), cut_lines=cut, cut_chars=cut_chars)


IMPORTS = {
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "plt": "import matplotlib.pyplot as plt",
    "sns": "import seaborn as sns",
}
_NAME_ERROR = re.compile(r"NameError: name '(?P<name>\w+)' is not defined")


def missing_import_hint(stderr: str) -> str | None:
    """A one-line hint when a snippet used a usual alias without importing it."""
    match = _NAME_ERROR.search(stderr)
    if match is None or match["name"] not in IMPORTS:
        return None
    return (
        f"`{match['name']}` is not defined: add `{IMPORTS[match['name']]}` at the top. The runner "
        "has the libraries loaded already, so the import is instant."
    )


_SNIPPET_LINE = re.compile(r'File "<snippet>", line (?P<line>\d+)')
_EXCEPTION = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b")


@dataclass(frozen=True)
class Failure:
    exception: str
    line: int | None


def failure_of(stderr: str) -> Failure | None:
    """The uncaught exception a traceback ends with, and the snippet's line it came from."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines or not any("Traceback (most recent call last)" in line for line in lines):
        return None
    match = _EXCEPTION.match(lines[-1].strip())
    if match is None:
        return None
    numbers = _SNIPPET_LINE.findall(stderr)
    return Failure(match["name"].rsplit(".", 1)[-1], int(numbers[-1]) if numbers else None)


def code_preview(code: str, max_lines: int = 15) -> tuple[str, int]:
    """The first lines of a snippet for its card, and how many more there are."""
    lines = code.rstrip("\n").split("\n")
    shown = "\n".join(lines[:max_lines]).replace("```", "`\u200b``")
    return shown, max(0, len(lines) - max_lines)
