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


def show_output(output: str, max_lines: int = 40, max_chars: int = 3000) -> Shown:
    """Numbered output lines, cut to what a chat message can hold, saying what was cut."""
    if not output.strip():
        return Shown(text="[no output]", cut_lines=0, cut_chars=False)
    lines = output.rstrip("\n").split("\n")
    width = len(str(min(len(lines), max_lines)))
    kept: list[str] = []
    used = 0
    cut_chars = False
    for number, line in enumerate(lines[:max_lines], 1):
        rendered = f"{number:0{width}d} | {line}".replace("```", "`\u200b``")
        if used + len(rendered) + 1 > max_chars:
            room = max(0, max_chars - used - 1)
            if room > 10:
                kept.append(rendered[:room] + "…")
            cut_chars = True
            break
        kept.append(rendered)
        used += len(rendered) + 1
    cut_lines = len(lines) - len(kept)
    return Shown(text="\n".join(kept), cut_lines=cut_lines, cut_chars=cut_chars)
