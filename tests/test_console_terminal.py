"""`studybot console` at a real terminal (a pseudo-terminal): prompt, line editing and history,
Ctrl-C that clears the line or stops a snippet, Ctrl-D that leaves."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CTRL_C, CTRL_D, UP = "\x03", "\x04", "\x1b[A"


class Terminal:
    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = pty.openpty()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
        env = {
            **clean,
            "STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
            "TERM": "xterm",
            "COLUMNS": "100",
            "LINES": "40",
            "PROMPT_TOOLKIT_NO_CPR": "1",  # the test answers no cursor-position queries
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--user", "ada", "--timezone", "UTC"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.seen = ""
        self.mark = 0  # expect() looks only at what came after its last match

    def expect(self, text: str, timeout: float = 30) -> str:
        """Wait until `text` appears after the previous match; returns what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark :]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"never saw {text!r}; the terminal shows:\n{self.seen[-3000:]}"
                )
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:
                    break
        found = self.seen.index(text, self.mark)
        before, self.mark = self.seen[self.mark : found], found + len(text)
        return before

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def interrupt(self) -> None:
        """Ctrl-C as the terminal sends it outside the prompt: SIGINT to the foreground."""
        os.killpg(self.process.pid, signal.SIGINT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    started = Terminal(tmp_path)
    try:
        yield started
    finally:
        started.close()


def test_the_prompt_edits_remembers_and_survives_ctrl_c(terminal: Terminal) -> None:
    terminal.expect("studybot>")
    terminal.type("/topi" + CTRL_C)  # clears the half-typed line; the session goes on
    terminal.type("/streak\r")
    assert "Quiz topics" not in terminal.expect("Days are counted in UTC")
    terminal.type(UP + "\r")  # history: the same command again
    terminal.expect("Days are counted in UTC")
    terminal.type("/run\r")
    terminal.expect("Collecting code")
    terminal.type("print(6 *\r7)\r/end\r")
    terminal.expect("42")
    terminal.expect("studybot>")  # typed ahead, a tty in line mode would eat the Ctrl-D
    terminal.type(CTRL_D)
    assert terminal.process.wait(20) == 0


def test_ctrl_c_stops_a_running_snippet_and_keeps_the_session(terminal: Terminal) -> None:
    terminal.expect("studybot>")
    terminal.type("/run import time; print('started', flush=True); time.sleep(60)\r")
    time.sleep(1.5)  # the runner starts on first use, then the snippet sleeps
    began = time.monotonic()
    terminal.interrupt()
    terminal.expect("Stopped. Type /again to run it again.")
    assert time.monotonic() - began < 10
    terminal.expect("studybot>")
    terminal.interrupt()  # Ctrl-C with nothing running does nothing (no traceback, no exit)
    terminal.type("/run print(6*7)\r")
    terminal.expect("42")
    terminal.type("/quit\r")
    assert terminal.process.wait(20) == 0
