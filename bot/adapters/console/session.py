"""`studybot console`: a study session in the terminal with the Discord bot's command names.

It reads lines from standard input. At a terminal it has line editing and history, a prompt,
Ctrl-C to clear the line (or stop a running snippet) and Ctrl-D to quit; from a pipe it prints
no decorations and ends at end of input, so sessions can be scripted. Every command is one
service call, the same one Discord makes; this module only reads lines and prints Cards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol, TextIO

from rich.console import Console
from rich.markup import escape

from bot.adapters.console.feed import catch_up
from bot.adapters.console.portfolio import PortfolioConsole
from bot.adapters.console.render import print_card
from bot.cards import Card, UserError
from bot.domain.exercises import exercise_header
from bot.domain.snippets import snippet_from_argument
from bot.domain.values import MemberRef
from bot.services import Services
from bot.services.admin import SetupChanges
from bot.services.quizzes import Pending, Step

log = logging.getLogger(__name__)

HELP = """\
**Commands** (the same names as in Discord):

- `/roadmap` — the tracks, your progress and what comes next
- `/lesson [id or number]` — your next lesson, or a named one
- `/done [id]` — mark the lesson you are on (or a named one) done
- `/notebook [id]` — the lesson as a Jupyter notebook file (its path is printed)
- `/quiz [topic, lesson or number] [count]` — a few questions; type each answer
  (or a choice's number)
- `/review` — the cards due today (spaced repetition), then new ones from finished lessons
- `/daily` — today's challenge for the server; type your answer
- `/topics` — the quiz topics
- `/streak`, `/profile` — your streak, XP, lessons and accuracy (`/profile` saves a picture:
  your study calendar and XP over time)
- `/streakmode daily|weekly [days]` — daily streaks, or N study days a week
- `/leaderboard [week|month|rolling|all] [chart]` — this server's leaderboard (`chart`: a
  picture of it, saved to a file)
- `/setup [timezone=ZONE] [retention=0.9] [newcards=10]` — the local server's settings
- `/feed` — what the server's schedule posted since you last looked
- `/stats` — the server's activity, lesson funnel and questions to fix (`/admin stats`);
  `studybot report` writes the full report
- `/timezone ZONE` — the IANA zone your days are counted in
- `/exercise [id, track or lesson]` — your next coding exercises, or one of them;
  `/submit ID` collects your code until `/end` (or `/submit ID CODE`) and checks it
- `/run CODE` — run a Python snippet (numpy, pandas, scikit-learn, matplotlib, seaborn);
  `/run` alone collects lines until `/end`; plots are saved to files; `/again` runs it again
- `/portfolio submit` / `edit ID` — a project, asked field by field; `/portfolio review [ID]`
  — someone else's project, four scores 1–4 and a comment; `/portfolio show [NAME]`;
  `/portfolio helpful REVIEW-ID`; `/cancel` leaves a form
- `/help`, `/quit`
"""
BARE_COMMANDS = {"quit", "exit", "help"}
RUN_END = "/end"


class LineSource(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line (without its newline), `""` after Ctrl-C, or None at end of input."""
        ...


class PipeLines:
    """Lines from a pipe or file: no prompt, no editing."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    async def read(self, prompt: str) -> str | None:
        line = await asyncio.get_running_loop().run_in_executor(None, self.stream.readline)
        return line.rstrip("\n") if line else None


class TerminalLines:
    """A terminal: prompt_toolkit gives line editing, history across sessions, Ctrl-C to clear
    the line and Ctrl-D to leave."""

    def __init__(self, history: Path) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            stored: FileHistory | InMemoryHistory = FileHistory(str(history))
        except OSError:
            stored = InMemoryHistory()
        self.session: PromptSession[str] = PromptSession(history=stored)

    async def read(self, prompt: str) -> str | None:
        try:
            # Ctrl-C at the prompt is a key here (raw mode); leave SIGINT to the session.
            return await self.session.prompt_async(prompt, handle_sigint=False)
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None


Reply = Card | Step | tuple[Card, ...] | None
Handler = Callable[[list[str], str], Awaitable[Reply]]


@dataclass
class Collecting:
    """A multi-line `/run` (or `/submit` to `exercise`) being typed."""

    lines: list[str]
    exercise: str | None = None


class ConsoleSession:
    def __init__(
        self,
        services: Services,
        who: MemberRef,
        out: Console,
        interactive: bool,
        files: Path | None = None,
    ) -> None:
        self.services = services
        # Where attachments (a notebook, a run's whole output) are written, under their own
        # names so a member finds them again; pictures (plots, /profile) under unique names.
        self.files = files or self.default_files()
        self.who = who
        self.out = out
        self.interactive = interactive
        self.pending: Pending | None = None  # a quiz or review question waiting for its answer
        self.daily: date | None = None  # the daily challenge waiting for its answer
        self.collecting: Collecting | None = None
        self.last_code: str | None = None
        self.running: asyncio.Task[Card] | None = None
        self.portfolio = PortfolioConsole(
            services, who, self._line, lambda card: print_card(self.out, card)
        )
        self.handlers: dict[str, Handler] = {
            "help": self._help,
            "roadmap": self._roadmap,
            "lesson": self._lesson,
            "done": self._done,
            "quiz": self._quiz,
            "review": self._review,
            "daily": self._daily,
            "topics": self._topics,
            "streak": self._streak,
            "streakmode": self._streakmode,
            "setup": self._setup,
            "profile": self._profile,
            "leaderboard": self._leaderboard,
            "timezone": self._timezone,
            "run": self._run,
            "exercise": self._exercise,
            "submit": self._submit,
            "again": self._again,
            "feed": self._feed,
            "stats": self._stats,
            "notebook": self._notebook,
            "portfolio": self.portfolio.command,
        }

    # -- commands ------------------------------------------------------------------------

    async def _help(self, args: list[str], raw: str) -> Card:
        return Card(title="Studybot", body=HELP)

    async def _roadmap(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.roadmap(self.who)

    async def _lesson(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.show(self.who, args[0] if args else None)

    async def _notebook(self, args: list[str], raw: str) -> Card:
        """`/notebook [LESSON]`: the lesson (default: your next one) as an .ipynb file."""
        if args:
            lesson_id = args[0]
        else:
            upcoming = await self.services.lessons.next_lesson_for(self.who)
            if upcoming is None:
                raise UserError("Name a lesson: /notebook ID (see /roadmap).")
            lesson_id = upcoming.id
        return await self.services.lessons.notebook(self.who, lesson_id)

    async def _done(self, args: list[str], raw: str) -> Card:
        return await self.services.lessons.mark_done(self.who, args[0] if args else None)

    async def _quiz(self, args: list[str], raw: str) -> Step:
        """`/quiz [TOPIC | LESSON | LESSON-NUMBER] [COUNT]`."""
        target = args[0] if args else None
        count = 5
        if len(args) > 1:
            if not args[1].isdigit():
                raise UserError("The count is a number of questions, e.g. `/quiz numpy 3`.")
            count = int(args[1])
        if not target:
            return await self.services.quizzes.start(self.who, count=count)
        lessons = self.services.ctx.curriculum.lessons
        if target in lessons or target.isdigit():
            lesson = self.services.lessons.find(target)
            return await self.services.quizzes.start(self.who, lesson_id=lesson.id, count=count)
        return await self.services.quizzes.start(self.who, topic=target, count=count)

    async def _review(self, args: list[str], raw: str) -> Step:
        return await self.services.reviews.start(self.who)

    async def _daily(self, args: list[str], raw: str) -> Card:
        card = await self.services.challenges.card(self.who)
        self.daily = await self.services.challenges.guild_today(self.who.guild_id)
        return card

    async def _feed(self, args: list[str], raw: str) -> Card | None:
        """What the server's schedule posted since you last looked."""
        notices = await catch_up(self.services, self.who.guild_id)
        for notice in notices:
            self._say(notice)
        cards = await self.services.schedules.feed(self.who)
        if not cards:
            return Card(
                title="📬 Nothing new", body="The server's schedule has posted nothing new."
            )
        self.out.print(f"📬 From the server's schedule ({len(cards)} new):", highlight=False)
        for card in cards:
            print_card(self.out, card)
        return None

    async def _stats(self, args: list[str], raw: str) -> Card:
        """`/admin stats` in Discord: whoever runs the console runs its local server."""
        return await self.services.stats.card(self.who.guild_id)

    async def _topics(self, args: list[str], raw: str) -> Card:
        topics = self.services.ctx.curriculum.topics
        lines = [f"- `{t.id}` — {t.title} ({len(t.item_ids)} questions)" for t in topics.values()]
        return Card(title="Quiz topics", body="\n".join(sorted(lines)), footer="/quiz TOPIC")

    async def _streak(self, args: list[str], raw: str) -> Card:
        return await self.services.progress.streak_card(self.who)

    async def _streakmode(self, args: list[str], raw: str) -> Card:
        if not args:
            raise UserError("Give a mode: `/streakmode daily` or `/streakmode weekly 3`.")
        days = None
        if len(args) > 1:
            if not args[1].isdigit():
                raise UserError(
                    "The weekly target is a number of days, e.g. `/streakmode weekly 3`."
                )
            days = int(args[1])
        return await self.services.progress.set_mode(self.who, args[0], days)

    async def _setup(self, args: list[str], raw: str) -> Card:
        """`/admin setup` in Discord: whoever runs the console runs its local server."""
        values: dict[str, str] = {}
        for arg in args:
            key, sep, value = arg.partition("=")
            if not sep or key not in ("timezone", "retention", "newcards"):
                raise UserError(
                    "Give settings as `name=value`: timezone, retention or newcards, "
                    "e.g. `/setup retention=0.85 newcards=5`."
                )
            values[key] = value
        try:
            changes = SetupChanges(
                timezone=values.get("timezone"),
                retention=float(values["retention"]) if "retention" in values else None,
                new_per_day=int(values["newcards"]) if "newcards" in values else None,
            )
        except ValueError:
            raise UserError("retention is a number like 0.9, newcards a whole number.") from None
        return await self.services.admin.setup(self.who.guild_id, changes)

    async def _profile(self, args: list[str], raw: str) -> Card:
        return await self.services.progress.profile_card(self.who)

    async def _leaderboard(self, args: list[str], raw: str) -> Card:
        chart = "chart" in args
        periods = [arg for arg in args if arg != "chart"]
        return await self.services.leaderboard.card(
            self.who.guild_id, periods[0] if periods else "week", viewer=self.who, chart=chart
        )

    async def _timezone(self, args: list[str], raw: str) -> Card:
        if not args:
            raise UserError("Give a zone, e.g. `/timezone Europe/Berlin`.")
        return await self.services.progress.set_timezone(self.who, args[0])

    async def _run(self, args: list[str], raw: str) -> Card | None:
        if not args:
            self.collecting = Collecting([])
            if self.interactive:
                self.out.print(
                    f"[dim]Collecting code: type it line by line, then {RUN_END} on its own "
                    "line (Ctrl-D works too).[/dim]"
                )
            return None
        return await self._run_code(raw)

    async def _exercise(self, args: list[str], raw: str) -> Card:
        return await self.services.exercises.list_card(self.who, args[0] if args else None)

    async def _submit(self, args: list[str], raw: str) -> Card | None:
        """`/submit ID` collects code like `/run`; `/submit ID CODE` checks one line."""
        if not args:
            raise UserError(
                "Name the exercise, e.g. `/submit ex-np-one-hot`; /exercise lists them."
            )
        exercise = self.services.exercises.find(args[0]).id
        code = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else ""
        if code.strip():
            return await self._submit_code(exercise, code)
        self.collecting = Collecting([], exercise)
        if self.interactive:
            self.out.print(
                f"[dim]Type your code for {exercise} line by line, then {RUN_END} on its own "
                "line (Ctrl-D works too).[/dim]"
            )
        return None

    async def _submit_code(self, exercise: str, code: str) -> Card:
        submitted = await self.services.exercises.submit(self.who, exercise, code)
        return submitted.card

    async def _again(self, args: list[str], raw: str) -> Card:
        if self.last_code is None:
            raise UserError("There is no snippet to run again yet; use /run first.")
        return await self._run_code(self.last_code)

    async def _run_code(self, code: str) -> Card:
        """Run a snippet; it is kept, so a refused or stopped one can be sent again."""
        exercise = exercise_header(snippet_from_argument(code))
        if exercise is not None:  # `# exercise: ex-id` first: a submission, as in Discord
            return await self._submit_code(exercise, code)
        self.last_code = code
        self.running = asyncio.create_task(self.services.runs.run(self.who, code))
        try:
            return await self.running
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the session itself is being stopped
            raise UserError("Stopped. Type /again to run it again.") from None
        except UserError as error:
            if not code.strip():
                raise
            raise UserError(f"{error} Your snippet is kept: type /again to send it.") from None
        finally:
            self.running = None

    # -- answers -------------------------------------------------------------------------

    async def _answer(self, text: str) -> Card | Step:
        if self.pending is not None:
            pending = self.pending
            return await self.services.quizzes.answer(self.who, pending.run, pending.step, text)
        if self.daily is not None:
            day = self.daily
            card = await self.services.challenges.answer(self.who, day, text)
            self.daily = None
            return card
        raise UserError("There is no open question. Type /quiz for one, or /help.")

    # -- the loop ------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Run one line; False means the session should end."""
        if self.collecting is not None:
            if line.strip() != RUN_END:
                self.collecting.lines.append(line.rstrip("\n"))
                return True
            collected, self.collecting = self.collecting, None
            code = "\n".join(collected.lines)
            if collected.exercise is not None:
                return await self._show(self._submit_code(collected.exercise, code), "/submit")
            return await self._show(self._run_code(code), "/run")
        if self.portfolio.form is not None:  # a portfolio form asks line by line
            if line.strip() == "/cancel":
                self.portfolio.cancel()
                return True
            if line.strip() not in ("/quit", "/exit"):
                return await self._show(self.portfolio.answer(line), "/portfolio form")
        line = line.strip()
        if not line:
            return True
        if line.startswith("/") or line.lower() in BARE_COMMANDS:
            return await self._command(line.removeprefix("/"))
        return await self._show(self._answer(line), line)

    async def _command(self, line: str) -> bool:
        raw = line.split(maxsplit=1)[1] if " " in line else ""
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        name, args = (words[0].lower(), words[1:]) if words else ("", [])
        if name in ("quit", "exit"):
            return False
        handler = self.handlers.get(name)
        if handler is None:
            self._say(f"Unknown command `/{name}`. Type /help for the commands.")
            return True
        return await self._show(handler(args, raw), f"/{line}")

    def _say(self, message: str) -> None:
        self.out.print(f"[yellow]{escape(message)}[/yellow]", highlight=False)

    def _line(self, message: str) -> None:
        self.out.print(escape(message), highlight=False, soft_wrap=True)

    async def _show(self, pending: Awaitable[Reply], line: str) -> bool:
        """Await a reply and print it; a UserError is one line, anything else goes to the log."""
        try:
            reply = await pending
        except UserError as error:
            self._say(str(error))
            return True
        except Exception:
            log.exception("console command failed: %s", line)
            self.out.print("[red]Something went wrong; the details are in the log.[/red]")
            return True
        if isinstance(reply, Step):
            self.pending = reply.pending
            if reply.pending is not None:
                self.daily = None
            cards: tuple[Card, ...] = reply.cards
        elif isinstance(reply, tuple):
            cards = reply
        else:
            cards = (reply,) if reply is not None else ()
        try:
            for card in cards:
                print_card(self.out, card)
                self._save_images(card)
                self._save_files(card)
        except Exception:
            log.exception("console could not show the reply to %s", line)
            self.out.print("[red]Something went wrong; the details are in the log.[/red]")
        return True

    @staticmethod
    def default_files() -> Path:
        return Path(tempfile.gettempdir()) / "studybot-files"

    def _save_images(self, card: Card) -> None:
        for image in card.images:
            self.files.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix="studybot-", suffix=f"-{Path(image.name).name}", dir=self.files
            )
            with os.fdopen(handle, "wb") as file:
                file.write(image.data)
            self.out.print(f"saved {image.name}: {name}", highlight=False, soft_wrap=True)

    def _save_files(self, card: Card) -> None:
        for attached in card.files:
            self.files.mkdir(parents=True, exist_ok=True)
            path = self.files / Path(attached.name).name  # a name, never a path from elsewhere
            path.write_bytes(attached.data)
            self.out.print(f"wrote {attached.name}: {path}", highlight=False, soft_wrap=True)

    def _prompt(self) -> str:
        if not self.interactive:
            return ""
        return "...  " if self.collecting is not None else "studybot> "

    @contextlib.contextmanager
    def _ctrl_c_stops_runs(self) -> Iterator[None]:
        """At a terminal, Ctrl-C stops a running snippet and never the session: outside the
        prompt it arrives as SIGINT (handled here); at the prompt, in raw mode, it is a key
        that clears the line."""
        if not self.interactive or sys.platform == "win32":
            yield
            return
        loop = asyncio.get_running_loop()

        def interrupt() -> None:
            if self.running is not None:
                self.running.cancel()

        loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    async def run(self, lines: LineSource) -> None:
        if self.interactive:
            self.out.print(
                f"Studybot console — {self.who.display_name} in server {self.who.guild_id}. "
                "Type /help for commands, /quit (or Ctrl-D) to leave."
            )
        if await self.services.ctx.store.timed.schedules(self.who.guild_id):
            await self._show(self._feed([], ""), "/feed")
        with self._ctrl_c_stops_runs():
            while True:
                line = await lines.read(self._prompt())
                if line is None:  # end of input; a /run still collecting its code runs first
                    if self.collecting is not None:
                        await self.handle(RUN_END)
                    if self.interactive:
                        self.out.print()
                    return
                if not await self.handle(line):
                    return


def is_interactive(stream: TextIO = sys.stdin) -> bool:
    return stream.isatty()
