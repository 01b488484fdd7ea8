"""Member stories against the real bot on the fake, recorded as the channel a member sees.

`record()` starts the fake and the bot the way the Discord end-to-end tests do
(`tests.discord.conftest.running_harness`: the app on a temp SQLite, the bot connected and
synced), runs each story as a member would, and returns one recording per screen: the
messages of #general that the story made, ephemeral ones only for the member who saw them,
with the bytes of their images and the names their mentions resolve to.

Stories find what to press the way a member does, by what it says: a button whose label
contains "Next", the first answer-looking button ("1", "A", "B · ...", "Answer"), else the first
option of a select menu; a modal gets every text field filled. So the same stories run against
older versions of the bot whose custom ids differ (`--checkout`). A command that is missing or
fails is written down in the recording's notes, and the other screens go on.

`--checkout PATH` runs the stories in a child process started in that folder, with a Python
whose `bot` (and `tests.discord`) are that checkout's and whose `tests.fakediscord` is this
one's: a throwaway venv shares this venv's packages through a .pth file, so the snippet runner
the bot starts (`python -m bot.runner`) is the checkout's too. The parent renders and shoots.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakediscord import FakeDiscord
from tests.fakediscord.models import (
    EPHEMERAL,
    FakeClock,
    FakeMember,
    FakeMessage,
    walk_components,
)
from tests.fakediscord.screens.render import render_page

HERE = Path(__file__).resolve().parent
FAKE_ROOT = HERE.parent  # tests/fakediscord
REPO = FAKE_ROOT.parent.parent

SCREENS = (
    "lesson",
    "quiz",
    "review",
    "daily",
    "run-error",
    "run-long",
    "leaderboard",
    "roadmap",
)
WIDTHS = {"desktop": 1280, "phone": 420}
#: Extra screens `<screen>-<frame>`: the channel earlier in a story, before a message that
#: changes in place (a lesson's next page, a quiz's next question) changed.
FRAMES = ("page1", "question1")
MAX_STEPS = 12  # answers in one quiz or review before the story gives up
STORY_TIMEOUT = 180.0
BOT_COLOUR = "#5865f2"
SHOOTERS = 2  # Chromiums at once

ERROR_SNIPPET = """scores = [3, 4, 5]
total = sum(scores)
print("total:", total)
empty = []
print(total / len(empty))
"""
LONG_SNIPPET = """for number in range(1, 401):
    print(f"line {number}: {number * number}")
"""

_CHOICE_LABEL = re.compile(r"^\s*(?:[A-Ha-h]|\d{1,2})\s*(?:[.):·\-]|$)")
_NOT_AN_ANSWER = re.compile(r"another|next|prev|back|quiz me|mark|rank|retry|again|skip", re.I)

log = logging.getLogger("screens")


# -- recordings ---------------------------------------------------------------------------------


@dataclass
class Recording:
    """One screen: what the story did and the channel it left, as JSON-ready data."""

    screen: str
    title: str
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: Attachment bytes (images only), base64, by attachment id.
    files: dict[str, str] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    bot: dict[str, str] = field(default_factory=dict)
    viewer: dict[str, str] = field(default_factory=dict)
    server: str = "Study Server"
    channel: str = "general"
    channels: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "screen": self.screen,
            "title": self.title,
            "steps": self.steps,
            "notes": self.notes,
            "source": self.source,
            "seconds": round(self.seconds, 2),
            "server": self.server,
            "channel": self.channel,
            "channels": self.channels,
            "bot": self.bot,
            "viewer": self.viewer,
            "names": self.names,
            "messages": self.messages,
            "files": self.files,
        }


def page_for(data: Mapping[str, Any], theme: str = "dark") -> str:
    """The HTML page of a recording (as written to `<screen>.json`)."""
    files = {k: base64.b64decode(v) for k, v in (data.get("files") or {}).items()}
    bot = data.get("bot") or {}
    source = data.get("source") or {}
    label = source.get("label")
    title = f"{data.get('screen')} · {label}" if label else str(data.get("screen"))
    return render_page(
        data.get("messages") or [],
        bot_name=bot.get("name") or "Studybot",
        avatar_colour=bot.get("avatar_colour") or BOT_COLOUR,
        bot_id=bot.get("id"),
        theme=theme,
        names=data.get("names"),
        files=files,
        viewer_id=(data.get("viewer") or {}).get("id"),
        server=data.get("server") or "Study Server",
        channel=data.get("channel") or "general",
        channels=data.get("channels") or (),
        topic=data.get("title"),
        notes=data.get("notes") or (),
        title=title,
    )


def source_of(folder: Path) -> dict[str, Any]:
    """Which code a recording ran: the checkout, its commit, and whether it had changes."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "bot"))
    label = f"{commit}{' + changes' if dirty else ''}" if commit else str(folder)
    return {"checkout": str(folder), "commit": commit, "dirty": dirty, "label": label}


# -- acting as a member -------------------------------------------------------------------------


class StoryFailed(Exception):
    """A story cannot go on (the bot has no such command, or did not answer)."""


@dataclass
class Story:
    """One member's session in #general, with helpers that find controls by what they say."""

    harness: Any
    screen: str
    member: FakeMember
    title: str
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen_before: set[int] = field(default_factory=set)
    extra: list[Recording] = field(default_factory=list)
    #: Command that opened each modal a member submitted, by the submit's interaction id.
    triggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _modal_openers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def fake(self) -> Any:
        return self.harness.fake

    @property
    def channel(self) -> Any:
        return self.harness.study.general

    async def begin(self) -> None:
        """From here on, what the story does is what the screen shows (once the bot has
        finished what came before)."""
        await quiet(self.fake)
        self.seen_before = {m.id for m in self.fake.messages.get(self.channel.id, [])}

    def say(self, step: str) -> None:
        self.steps.append(step)
        log.info("%s: %s", self.screen, step)

    async def slash(self, command: str, options: Mapping[str, Any] | None = None) -> Any:
        shown = " ".join([f"/{command}", *(f"{k}:{v}" for k, v in (options or {}).items())])
        try:
            reply = await self.fake.slash(command, dict(options or {}), user=self.member)
        except ValueError as error:
            raise StoryFailed(f"{shown}: {error}") from error
        self.say(f"{shown} → {_answer_kind(reply)}")
        if reply.modal is not None:
            self._modal_openers[reply.modal.get("custom_id", "")] = {
                "id": str(reply.interaction_id),
                "type": 2,
                "name": command.split()[0],
                "user": self.member.user.payload(),
            }
        return reply

    async def click(self, reply_or_message: Any, component: Mapping[str, Any]) -> Any:
        label = component.get("label") or component.get("custom_id")
        reply = await self.fake.click(reply_or_message, component["custom_id"], user=self.member)
        self.say(f"pressed “{label}” → {_answer_kind(reply)}")
        if reply.modal is not None:
            self._modal_openers[reply.modal.get("custom_id", "")] = {
                "id": str(reply.interaction_id),
                "type": 3,
                "user": self.member.user.payload(),
            }
        return reply

    async def select(self, reply_or_message: Any, component: Mapping[str, Any]) -> Any:
        options = component.get("options") or []
        if not options:
            raise StoryFailed(f"select {component.get('custom_id')} has no options")
        option = options[0]
        reply = await self.fake.select(
            reply_or_message, component["custom_id"], [option["value"]], user=self.member
        )
        self.say(f"picked “{option.get('label')}” → {_answer_kind(reply)}")
        return reply

    async def fill_modal(self, reply: Any, text: str) -> Any:
        """Submit the modal `reply` opened, every text field set to `text`."""
        modal = reply.modal
        values: dict[str, Any] = {}
        for component in walk_components(modal.get("components") or []):
            kind = component.get("type")
            if kind == 4:
                limit = int(component.get("max_length") or 4000)
                values[component["custom_id"]] = text[:limit]
            elif kind in (3, 5, 6, 7, 8) and component.get("options"):
                values[component["custom_id"]] = [component["options"][0]["value"]]
        submitted = await self.fake.submit_modal(modal["custom_id"], values, user=self.member)
        shown = text if len(text) < 40 else text.splitlines()[0] + " …"
        self.say(f"filled “{modal.get('title')}” with {shown!r} → {_answer_kind(submitted)}")
        opener = self._modal_openers.get(modal.get("custom_id", ""))
        if opener is not None:
            self.triggers[str(submitted.interaction_id)] = opener
        return submitted

    def messages_of(self, reply: Any) -> list[FakeMessage]:
        """The messages an answer touched, newest first (where its next controls are)."""
        found = [m for m in reply.messages if not m.deleted]
        return list(reversed(found))

    def control(
        self, reply: Any, wanted: Callable[[Mapping[str, Any]], bool]
    ) -> tuple[FakeMessage, Mapping[str, Any]] | None:
        for message in self.messages_of(reply):
            for component in walk_components(message.components):
                if component.get("disabled") or "custom_id" not in component:
                    continue
                if wanted(component):
                    return message, component
        return None

    def button_saying(self, reply: Any, word: str) -> tuple[FakeMessage, Mapping[str, Any]] | None:
        return self.control(
            reply,
            lambda c: c.get("type") == 2 and word.casefold() in str(c.get("label")).casefold(),
        )

    async def answer(self, reply: Any, *, pick: str = "first", text: str = "42") -> Any | None:
        """Answer the question on `reply` the way a member would; None if there is none."""
        buttons = [
            (message, component)
            for message in self.messages_of(reply)
            for component in walk_components(message.components)
            if _is_answer_button(component)
        ]
        if buttons:
            newest = buttons[0][0]
            mine = [component for message, component in buttons if message is newest]
            answered = await self.click(newest, mine[-1] if pick == "last" else mine[0])
            if answered.modal is not None:
                answered = await self.fill_modal(answered, text)
            return answered
        select = self.control(reply, _is_answer_select)
        if select is not None:
            message, component = select
            if pick == "last":
                options = list(component.get("options") or [])
                component = {**component, "options": options[::-1]}
            return await self.select(message, component)
        return None

    async def answer_all(self, reply: Any, *, pick: str = "first", text: str = "42") -> Any:
        """Answer question after question until none is left (the run's summary)."""
        current = reply
        for _ in range(MAX_STEPS):
            following = await self.answer(current, pick=pick, text=text)
            if following is None:
                return current
            current = following
        self.notes.append(f"still asking after {MAX_STEPS} answers; stopped there")
        return current

    def recording(self, screen: str | None = None) -> Recording:
        """The channel as the member sees it now: the story's messages, theirs ephemeral."""
        fake, viewer = self.fake, str(self.member.user.id)
        shown: list[FakeMessage] = []
        for message in fake.messages.get(self.channel.id, []):
            if message.id in self.seen_before or message.deleted:
                continue
            if message.flags & EPHEMERAL and _owner(message) not in (viewer, None):
                continue
            shown.append(message)
        payloads = []
        files: dict[str, str] = {}
        for message in shown:
            payload = json.loads(json.dumps(message.payload(fake.base_url)))  # as of now
            meta = payload.get("interaction_metadata")
            if isinstance(meta, dict) and str(meta.get("id")) in self.triggers:
                # Discord names the command a modal came from; the fake does not record it.
                meta = {**meta, "triggering_interaction_metadata": self.triggers[meta["id"]]}
                payload["interaction_metadata"] = meta
            payloads.append(payload)
            for attachment in message.attachments:
                if _is_image(attachment.data):
                    files[str(attachment.id)] = base64.b64encode(attachment.data).decode("ascii")
        guild = self.harness.study.guild
        return Recording(
            screen=screen or self.screen,
            title=self.title,
            steps=list(self.steps),
            notes=list(self.notes),
            messages=payloads,
            files=files,
            names=names_of(fake, guild),
            bot={"id": str(fake.bot.id), "name": fake.bot.username, "avatar_colour": BOT_COLOUR},
            viewer={"id": viewer, "name": self.member.user.username},
            server=guild.name,
            channel=self.channel.name,
            channels=[c.name for c in guild.text_channels],
        )

    def snapshot(self, suffix: str, what: str) -> None:
        """Keep the channel as it is now as an extra screen `<screen>-<suffix>`."""
        assert suffix in FRAMES, suffix
        frame = self.recording(f"{self.screen}-{suffix}")
        frame.title = f"{self.title} ({what})"
        self.extra.append(frame)


def _answer_kind(reply: Any) -> str:
    kinds = {4: "a message", 5: "thinking, then a message", 6: "an update", 7: "the message edited"}
    if reply.modal is not None:
        return f"a form “{reply.modal.get('title')}”"
    what = kinds.get(reply.type, f"callback {reply.type}")
    if reply.ephemeral and reply.type in (4, 5):
        what = "a private " + what.removeprefix("a ")
    extra = len([m for m in reply.followups if m is not reply.original])
    return what + (f" and {extra} follow-up{'s' if extra > 1 else ''}" if extra else "")


def _is_answer_button(component: Mapping[str, Any]) -> bool:
    if component.get("type") != 2 or component.get("disabled") or "custom_id" not in component:
        return False
    label = str(component.get("label") or "")
    if _NOT_AN_ANSWER.search(label):
        return False
    return bool(_CHOICE_LABEL.match(label)) or "answer" in label.casefold()


def _is_answer_select(component: Mapping[str, Any]) -> bool:
    """A menu of a question's choices: its placeholder says so, or its options are lettered."""
    options = [o for o in component.get("options") or [] if isinstance(o, Mapping)]
    if component.get("type") != 3 or not options:
        return False
    if "answer" in str(component.get("placeholder") or "").casefold():
        return True
    lettered = [o for o in options if _CHOICE_LABEL.match(str(o.get("label") or ""))]
    return len(lettered) == len(options)


def _owner(message: FakeMessage) -> str | None:
    meta = message.interaction_metadata or {}
    user = meta.get("user") or {}
    return str(user["id"]) if "id" in user else None


def _is_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) or data[8:12] == b"WEBP"


def names_of(fake: Any, guild: Any) -> dict[str, dict[str, str]]:
    users = {
        str(m.user.id): str(m.nick or m.user.global_name or m.user.username) for m in guild.members
    }
    users[str(fake.bot.id)] = fake.bot.username
    roles = {str(r.id): r.name for r in guild.roles}
    channels = {str(c.id): c.name for c in [*guild.channels, *guild.threads]}
    return {"users": users, "roles": roles, "channels": channels}


# -- the stories --------------------------------------------------------------------------------


async def lesson_story(story: Story) -> None:
    await story.begin()
    reply = await story.slash("lesson")
    found = story.button_saying(reply, "next")
    if found is None:
        story.say("no “Next” button: the lesson is one page")
        return
    story.snapshot("page1", "its first page, before “Next”")
    await story.click(*found)


async def quiz_story(story: Story) -> None:
    await story.begin()
    reply = await story.slash("quiz", {"topic": "numpy", "count": 3})
    story.snapshot("question1", "its first question")
    await story.answer_all(reply)


async def review_story(story: Story) -> None:
    # Before the screen: a quiz answered with the last choices (and nonsense where typed), so
    # that some questions are missed, then the next day, when missed questions fall due.
    reply = await story.slash("quiz", {"topic": "numpy", "count": 5})
    await story.answer_all(reply, pick="last", text="certainly not this")
    story.harness.clock.advance(timedelta(days=1))
    story.say("(the next day)")
    story.steps.clear()
    await story.begin()
    reply = await story.slash("review")
    story.snapshot("question1", "its first question")
    await story.answer_all(reply)


async def daily_story(story: Story) -> None:
    await story.begin()
    reply = await story.slash("daily")
    await story.answer(reply)


async def run_story(story: Story, code: str) -> None:
    await story.begin()
    try:
        reply = await story.fake.slash("run", {}, user=story.member)
    except ValueError:
        reply = None  # `code` is required in this version: pass it as an option
    if reply is not None and reply.modal is not None:
        story.say(f"/run → {_answer_kind(reply)}")
        story._modal_openers[reply.modal.get("custom_id", "")] = {
            "id": str(reply.interaction_id),
            "type": 2,
            "name": "run",
            "user": story.member.user.payload(),
        }
        await story.fill_modal(reply, code)
    elif reply is not None:
        story.say(f"/run → {_answer_kind(reply)}")
        await story.slash("run", {"code": code})
    else:
        await story.slash("run", {"code": code})


async def leaderboard_story(story: Story) -> None:
    await story.begin()
    reply = await story.slash("leaderboard")
    found = story.button_saying(reply, "rank")
    if found is not None:
        await story.click(*found)


async def roadmap_story(story: Story) -> None:
    # Before the screen: the member opened their first lesson and marked it done.
    reply = await story.slash("lesson")
    found = story.button_saying(reply, "done")
    if found is not None:
        await story.click(*found)
    story.steps.clear()
    await story.begin()
    await story.slash("roadmap")


@dataclass(frozen=True)
class StoryPlan:
    member: str
    title: str
    run: Callable[[Story], Awaitable[None]]


PLANS: dict[str, StoryPlan] = {
    "lesson": StoryPlan("maya", "/lesson, then its next page", lesson_story),
    "quiz": StoryPlan(
        "noor", "/quiz topic:numpy count:3, answered with the first choice", quiz_story
    ),
    "review": StoryPlan("kofi", "/review the day after a quiz with misses", review_story),
    "daily": StoryPlan("lena", "/daily, answered with the first choice", daily_story),
    "run-error": StoryPlan(
        "sam",
        "/run a snippet that divides by zero on line 5",
        lambda story: run_story(story, ERROR_SNIPPET),
    ),
    "run-long": StoryPlan(
        "ines", "/run a snippet that prints 400 lines", lambda story: run_story(story, LONG_SNIPPET)
    ),
    "leaderboard": StoryPlan(
        "tariq", "/leaderboard (then “My rank” where it has one)", leaderboard_story
    ),
    "roadmap": StoryPlan("ravi", "/roadmap after marking the first lesson done", roadmap_story),
}


class SteadyClock(FakeClock):
    """The fake's wall clock for recordings: `start`, plus a millisecond each time it is read.

    Ids (snowflakes) and so message times then come out the same on every run of the same
    stories, and so does everything the bot derives from ids (a server's daily challenge is
    picked from its guild id). It starts at the bot's own frozen start, so the times on the
    screens agree with the dates in the bot's messages.
    """

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._base = start.timestamp()
        self._ticks = 0

    def time(self) -> float:
        self._ticks += 1
        return self._base + self._ticks / 1000 + self.offset


def steady(fake_class: type[FakeDiscord], start: datetime) -> type[FakeDiscord]:
    """`fake_class` whose clock and ids are a SteadyClock's from the first id on."""

    class SteadyFake(fake_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            with _steady_clock(start):
                super().__init__(*args, **kwargs)

    return SteadyFake


@contextlib.contextmanager
def _steady_clock(start: datetime) -> Iterator[None]:
    """FakeDiscord builds its clock (and its ids from it) in __init__: hand it a steady one."""
    from tests.fakediscord import server

    saved = server.FakeClock
    server.FakeClock = lambda: SteadyClock(start)  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        server.FakeClock = saved  # type: ignore[misc]


async def record(
    screens: Iterable[str] = SCREENS, *, source: Mapping[str, Any] | None = None
) -> list[Recording]:
    """Start the fake and the bot, run each screen's story, return the recordings."""
    from tests.discord import conftest

    wanted = list(screens)
    unknown = [s for s in wanted if s not in PLANS]
    if unknown:
        raise ValueError(f"unknown screens {unknown}; known: {list(PLANS)}")
    start: datetime = conftest.START
    results: list[Recording] = []
    saved = getattr(conftest, "FakeDiscord", None)
    if saved is not None:  # running_harness builds its fake by this name
        conftest.FakeDiscord = steady(saved, start)
    try:
        with tempfile.TemporaryDirectory(prefix="screens-bot-") as folder:
            async with conftest.running_harness(Path(folder)) as harness:
                for screen in wanted:
                    harness.clock.set(start)
                    results += await _story(harness, screen, source)
    finally:
        if saved is not None:
            conftest.FakeDiscord = saved
    return results


async def _story(harness: Any, screen: str, source: Mapping[str, Any] | None) -> list[Recording]:
    """One screen's story by a new member; what went wrong goes to its notes."""
    plan = PLANS[screen]
    member = harness.study.guild.add_member(plan.member)
    story = Story(harness, screen, member, plan.title)
    started = time.monotonic()
    try:
        await asyncio.wait_for(plan.run(story), STORY_TIMEOUT)
    except StoryFailed as error:
        story.notes.append(f"{screen}: {error}")
    except Exception as error:  # the bot misbehaved: keep what it showed
        story.notes.append(f"{screen}: {_failure(error)}")
        log.debug("story %s failed", screen, exc_info=True)
    with contextlib.suppress(Exception):
        await quiet(harness.fake)
    recordings = [*story.extra, story.recording()]
    for recording in recordings:
        recording.source = dict(source or {})
        recording.seconds = time.monotonic() - started
    for note in story.notes:
        log.warning("%s", note)
    return recordings


async def quiet(fake: Any, *, still: float = 0.3, within: float = 10.0) -> None:
    """Wait until the bot has made no request for `still` seconds (a follow-up it sends after
    answering belongs to this story's screen, not the next one's)."""
    await fake.settle()
    deadline = time.monotonic() + within
    seen = len(fake.requests)
    while time.monotonic() < deadline:
        await asyncio.sleep(still)
        if len(fake.requests) == seen:
            return
        seen = len(fake.requests)


def _failure(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {Path(frame[0].filename).name}:{frame[0].lineno})" if frame else ""
    return f"{type(error).__name__}: {first[:300]}{where}"


def write_recordings(recordings: Iterable[Recording], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for recording in recordings:
        path = out / f"{recording.screen}.json"
        path.write_text(json.dumps(recording.as_dict(), indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def shoot_recordings(
    paths: Iterable[Path], out: Path, *, theme: str = "dark", keep_html: bool = False
) -> list[Path]:
    """`<screen>-desktop.png` and `<screen>-phone.png` for each recording (two Chromiums at
    a time: the machine has two cores)."""
    from tests.fakediscord.screens.shoot import ensure_chromium, shoot

    chromium = ensure_chromium()
    jobs: list[tuple[str, Path, int]] = []
    for path in paths:
        data = json.loads(path.read_text())
        html = page_for(data, theme)
        screen = data["screen"]
        if keep_html:
            (out / f"{screen}.html").write_text(html)
        for name, width in WIDTHS.items():
            jobs.append((html, out / f"{screen}-{name}.png", width))

    def one(job: tuple[str, Path, int]) -> Path:
        html, target, width = job
        shot = shoot(html, target, width, chromium=chromium)
        cut = " (cut: the page is taller)" if shot.cut else ""
        log.info("%s %dx%d%s", target.name, shot.width, shot.height, cut)
        return shot.path

    with ThreadPoolExecutor(max_workers=SHOOTERS) as pool:
        return list(pool.map(one, jobs))


# -- another checkout ---------------------------------------------------------------------------

_CHILD = """
import importlib.util, sys
fake = {fake!r}
import tests
spec = importlib.util.spec_from_file_location(
    "tests.fakediscord", fake + "/__init__.py", submodule_search_locations=[fake]
)
module = importlib.util.module_from_spec(spec)
sys.modules["tests.fakediscord"] = module
spec.loader.exec_module(module)
tests.fakediscord = module
from tests.fakediscord.screens.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def checkout_python(checkout: Path, folder: Path) -> Path:
    """A throwaway venv in `folder` whose `bot` is the checkout's and whose packages are this
    venv's (a .pth file each): `python -m bot.runner`, started by the bot, finds both."""
    base = getattr(sys, "_base_executable", sys.executable)
    venv = folder / "venv"
    subprocess.run(
        [base, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    target = venv / "lib" / version / "site-packages"
    packages = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = sysconfig.get_paths()["purelib"]
    if purelib not in packages:
        packages.append(purelib)
    (target / "00-screens-checkout.pth").write_text(f"{checkout}\n")
    (target / "01-screens-packages.pth").write_text("\n".join(packages) + "\n")
    return venv / "bin" / "python"


def record_checkout(
    checkout: Path, out: Path, screens: Iterable[str], *, quiet: bool = False
) -> None:
    """Run the stories with another checkout's bot; its recordings land in `out`."""
    checkout = checkout.resolve()
    if not (checkout / "bot").is_dir() or not (checkout / "tests/discord/conftest.py").is_file():
        raise SystemExit(f"{checkout} is not a Studybot checkout (no bot/ or tests/discord/)")
    with tempfile.TemporaryDirectory(prefix="screens-checkout-") as folder:
        python = checkout_python(checkout, Path(folder))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        command = [
            str(python),
            "-c",
            _CHILD.format(fake=str(FAKE_ROOT)),
            "--out",
            str(out.resolve()),
            "--record-only",
            "--screens",
            ",".join(screens),
            *(["--quiet"] if quiet else []),
        ]
        log.info("running the stories in %s", checkout)
        done = subprocess.run(command, cwd=checkout, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the stories failed in {checkout} (exit {done.returncode})")
