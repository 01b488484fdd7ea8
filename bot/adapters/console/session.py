"""`studybot console`: a study session in the terminal with the Discord bot's command names.

It reads lines from standard input. At a terminal it shows a prompt; from a pipe it prints
no decorations and ends at end of input, so sessions can be scripted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from bot.adapters.console.render import print_card
from bot.cards import Card, UserError
from bot.services import Services
from bot.storage.store import MemberRef

log = logging.getLogger(__name__)

HELP = """\
**Commands** (the same names as in Discord):

- `/roadmap` — the tracks, your progress and what comes next
- `/lesson [id or number]` — your next lesson, or a named one
- `/done [id]` — mark the lesson you are on (or a named one) done
- `/quiz [topic or lesson]` — one question; then type your answer (or a choice's number)
- `/topics` — the quiz topics
- `/streak` — your streak and XP
- `/leaderboard [week|month|all]` — this server's leaderboard
- `/timezone ZONE` — the IANA zone your days are counted in
- `/run CODE` — run a Python snippet (numpy, pandas, scikit-learn, matplotlib); `/run` alone
  reads lines until `/end`; plots are saved to files
- `/help`, `/quit`
"""


@dataclass
class Pending:
    item_id: str
    seed: int
    topic: str


Handler = Callable[[list[str], str], Awaitable[Card | None]]  # words, and the text as typed


class ConsoleSession:
    def __init__(self, services: Services, who: MemberRef, out: Console, interactive: bool) -> None:
        self.services = services
        self.who = who
        self.out = out
        self.interactive = interactive
        self.pending: Pending | None = None
        self.handlers: dict[str, Handler] = {
            "help": self._help,
            "roadmap": self._roadmap,
            "lesson": self._lesson,
            "done": self._done,
            "quiz": self._quiz,
            "topics": self._topics,
            "streak": self._streak,
            "leaderboard": self._leaderboard,
            "timezone": self._timezone,
            "run": self._run,
        }
        self.code_lines: list[str] | None = None  # collecting a multi-line /run

    async def _help(self, args: list[str], raw: str) -> Card:
        return Card(title="Studybot", body=HELP)

    async def _roadmap(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.roadmap(self.who)

    async def _lesson(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.show(self.who, args[0] if args else None)

    async def _done(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.mark_done(self.who, args[0] if args else None)

    async def _quiz(self, args: list[str], raw: str) -> Card:
        """`/quiz TOPIC` or `/quiz LESSON` (the lesson's own questions)."""
        target = args[0] if args else None
        if target and target in self.services.ctx.curriculum.lessons:
            asked = await self.services.quizzes.ask(self.who, lesson_id=target)
        else:
            asked = await self.services.quizzes.ask(self.who, topic=target)
        self.pending = Pending(asked.item_id, asked.seed, asked.question.topic)
        return asked.card

    async def _topics(self, args: list[str], raw: str) -> Card:
        topics = self.services.ctx.curriculum.topics
        lines = [f"- `{t.id}` — {t.title} ({len(t.item_ids)} questions)" for t in topics.values()]
        return Card(title="Quiz topics", body="\n".join(sorted(lines)), footer="/quiz TOPIC")

    async def _streak(self, args: list[str], raw: str) -> Card:
        return await self.services.progress.streak_card(self.who)

    async def _leaderboard(self, args: list[str], raw: str) -> Card:
        return await self.services.leaderboard.card(self.who.guild_id, args[0] if args else "week")

    async def _timezone(self, args: list[str], raw: str) -> Card:
        if not args:
            raise UserError("Give a zone, e.g. `/timezone Europe/Berlin`.")
        return await self.services.progress.set_timezone(self.who, args[0])

    async def _run(self, args: list[str], raw: str) -> Card | None:
        if not args:
            self.code_lines = []
            if self.interactive:
                self.out.print("Type your code; end it with a line /end.")
            return None
        return await self.services.runs.run(self.who, raw)

    def _save_images(self, card: Card) -> None:
        for image in card.images:
            handle, name = tempfile.mkstemp(prefix="studybot-", suffix=f"-{image.name}")
            with os.fdopen(handle, "wb") as file:
                file.write(image.data)
            self.out.print(f"saved {image.name}: {name}", highlight=False, soft_wrap=True)

    async def _answer(self, text: str) -> Card:
        pending = self.pending
        if pending is None:
            raise UserError("There is no open question. Type /quiz for one, or /help.")
        card = await self.services.quizzes.answer(self.who, pending.item_id, pending.seed, text)
        self.pending = None
        return card

    async def handle(self, line: str) -> bool:
        """Run one line; False means the session should end."""
        if self.code_lines is not None:
            if line.strip() != "/end":
                self.code_lines.append(line.rstrip("\n"))
                return True
            code, self.code_lines = "\n".join(self.code_lines), None
            return await self._show(self.services.runs.run(self.who, code), "/run")
        line = line.strip()
        if not line:
            return True
        if line.startswith("/"):
            return await self._command(line)
        return await self._show(self._answer(line), line)

    async def _command(self, line: str) -> bool:
        raw = line[1:].split(maxsplit=1)[1] if " " in line else ""
        try:
            words = shlex.split(line[1:])
        except ValueError:
            words = line[1:].split()
        name, args = (words[0].lower(), words[1:]) if words else ("", [])
        if name in ("quit", "exit"):
            return False
        handler = self.handlers.get(name)
        if handler is None:
            self._say(f"Unknown command `/{name}`. Type /help for the commands.")
            return True
        return await self._show(handler(args, raw), line)

    def _say(self, message: str) -> None:
        self.out.print(f"[yellow]{escape(message)}[/yellow]", highlight=False)

    async def _show(self, pending: Awaitable[Card | None], line: str) -> bool:
        """Await a reply and print it; a UserError is one line, anything else goes to the log."""
        try:
            card = await pending
        except UserError as error:
            self._say(str(error))
            return True
        except Exception:
            log.exception("console command failed: %s", line)
            self.out.print("[red]Something went wrong; the details are in the log.[/red]")
            return True
        if card is not None:
            print_card(self.out, card)
            self._save_images(card)
        return True

    async def run(self, stdin: TextIO) -> None:
        loop = asyncio.get_running_loop()
        if self.interactive:
            self.out.print(
                f"Studybot console — {self.who.display_name} in server {self.who.guild_id}. "
                "Type /help for commands, /quit to leave."
            )
        while True:
            if self.interactive:
                self.out.print("[bold cyan]studybot>[/bold cyan] ", end="")
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:  # end of input; a /run still collecting its code runs first
                if self.code_lines is not None:
                    await self.handle("/end")
                if self.interactive:
                    self.out.print()
                return
            if not await self.handle(line):
                return


def is_interactive(stream: TextIO = sys.stdin) -> bool:
    return stream.isatty()
