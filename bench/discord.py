"""The Discord bot under load: `studybot run` as its own process, driven through the fake Discord.

The fake (tests/fakediscord) runs here on 127.0.0.1; the bot is a subprocess started the way an
operator starts it, pointed at the fake by its settings, on a fresh SQLite file. Prints:
- start to ready: process spawn → commands synced, and → discord.py's `ready`;
- median and p95 from dispatching an interaction to the bot's callback request, for `/lesson`,
  a `/quiz` answer by button and `/leaderboard` (target p95 < 50 ms on SQLite), and a typed
  answer submitted in a modal;
- the bot process's RSS after ready and after 1,000 interactions.
Interactions go one at a time (latency, not throughput). Bounded: the whole run has a deadline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is called discord.py: its own folder must not shadow the discord package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT))

from bot.adapters.discord.ids import custom_id, intent_of  # noqa: E402
from bot.intents import AnswerChoice, OpenAnswer  # noqa: E402
from tests.discord.conftest import right_answer, running_harness  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeMember, Reply  # noqa: E402
from tests.fakediscord.fixtures import seed_study_server  # noqa: E402

INTERACTIONS = 1000
MEMBERS = 100
DEADLINE_S = 300
GUILD_READY_TIMEOUT_S = 0.5


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Driver:
    def __init__(self, fake: FakeDiscord, members: list[FakeMember]) -> None:
        self.fake = fake
        self.members = members
        self.count = 0
        self.latency: dict[str, list[float]] = {
            "/lesson": [],
            "quiz answer": [],
            "/leaderboard": [],
            "modal answer": [],
        }
        self.quiz: dict[int, Reply] = {}

    def _member(self) -> FakeMember:
        return self.members[self.count % len(self.members)]

    def _timed(self, name: str, reply: Reply) -> Reply:
        self.count += 1
        assert reply.latency is not None, reply.describe()
        if name:
            self.latency[name].append(reply.latency * 1000)
        return reply

    async def lesson(self) -> None:
        member = self._member()
        self._timed("/lesson", await self.fake.slash("lesson", user=member))

    async def leaderboard(self) -> None:
        member = self._member()
        reply = await self.fake.slash("leaderboard", {"period": "week"}, user=member)
        self._timed("/leaderboard", reply)

    async def quiz_answer(self) -> None:
        """Answer the member's current question: by button when it is a choice (timed), else
        through the modal; a finished run starts a new `/quiz`."""
        member = self._member()
        reply = self.quiz.get(member.id)
        answers = _answers(reply) if reply else []
        if reply is None or not answers:
            reply = self._timed("", await self.fake.slash("quiz", {"count": 10}, user=member))
            answers = _answers(reply)
        first = answers[0]
        if isinstance(first, AnswerChoice):
            pressed = await self.fake.click(reply, custom_id(first), user=member)
            answered = self._timed("quiz answer", pressed)
        else:
            opened = self._timed("", await self.fake.click(reply, custom_id(first), user=member))
            assert opened.modal is not None, opened.describe()
            modal = opened.modal["custom_id"]
            answered = self._timed(
                "modal answer", await self.fake.submit_modal(modal, {"answer": "1"}, user=member)
            )
        self.quiz[member.id] = answered


def _answers(reply: Reply) -> list[AnswerChoice | OpenAnswer]:
    intents = (intent_of(custom_id) for custom_id in reply.custom_ids)
    return [i for i in intents if isinstance(i, AnswerChoice | OpenAnswer)]


async def hops_per_answer(questions: int = 40) -> dict[str, list[int]]:
    """Thread hops (units of work handed to the database threads) per quiz answer, counted
    in-process on the same bot and fake: what one click costs the database, by design 1."""
    counts: dict[str, list[int]] = {"button": [], "form": []}
    with tempfile.TemporaryDirectory(prefix="studybot-bench-hops-") as folder:
        async with running_harness(Path(folder)) as harness:
            member = harness.new_member("counter")
            reply = None
            while sum(len(v) for v in counts.values()) < questions:
                if reply is None or not _answers(reply):
                    reply = await harness.fake.slash("quiz", {"count": 10}, user=member)
                question, first = await harness.question(reply, member)  # not part of a click
                given = right_answer(question)
                if isinstance(first, AnswerChoice):
                    pressed = custom_id(first.model_copy(update={"choice": int(given)}))
                    before = harness.app.db.hops
                    reply = await harness.fake.click(reply, pressed, user=member)
                    counts["button"].append(harness.app.db.hops - before)
                    continue
                opened = await harness.fake.click(reply, custom_id(first), user=member)
                assert opened.modal is not None, opened.describe()
                before = harness.app.db.hops  # the form's submission is the answer
                reply = await harness.fake.submit_modal(
                    opened.modal["custom_id"], {"answer": given}, user=member
                )
                counts["form"].append(harness.app.db.hops - before)
    return counts


async def read_lines(
    stream: asyncio.StreamReader, seen: dict[str, float], ready: asyncio.Event, began: float
) -> None:
    """The bot's log: note when it said it is ready; keep the pipe drained."""
    while line := await stream.readline():
        text = line.decode(errors="replace")
        if " ready as " in text and not ready.is_set():
            seen["ready"] = time.perf_counter() - began
            ready.set()
        if "ERROR" in text or "Traceback" in text:
            sys.stderr.write(text)


async def bench() -> None:
    fake = FakeDiscord(timeout=30)
    study = seed_study_server(fake)
    members = [study.guild.add_member(f"member{n}") for n in range(MEMBERS)]
    await fake.start()
    folder = Path(tempfile.mkdtemp(prefix="studybot-bench-discord-"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env = {
        **clean,
        "STUDYBOT_DATABASE_URL": f"sqlite:///{folder / 'studybot.db'}",
        "STUDYBOT_DISCORD_TOKEN": fake.token,
        "STUDYBOT_DISCORD_API_BASE": fake.api_base,
        "STUDYBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        "STUDYBOT_SYNC_ON_START": f"guild:{study.guild.id}",
        "STUDYBOT_DISCORD_GUILD_READY_TIMEOUT": str(GUILD_READY_TIMEOUT_S),
        "STUDYBOT_LOG_LEVEL": "INFO",
    }
    seen: dict[str, float] = {}
    ready = asyncio.Event()
    began = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    logs = asyncio.create_task(read_lines(proc.stderr, seen, ready, began))
    try:
        await fake.wait_for_request("PUT", "/applications/", within=60)
        seen["synced"] = time.perf_counter() - began
        await asyncio.wait_for(ready.wait(), 60)
        rss_ready = rss_mib(proc.pid)
        driver = Driver(fake, members)
        for _ in range(30):  # warm-up: first queries, first pages of the curriculum
            await driver.lesson()
        driver.latency = {name: [] for name in driver.latency}
        while driver.count < INTERACTIONS:  # about 1 : 3 : 1 (a quiz answer is 1-3 interactions)
            await driver.lesson()
            for _ in range(3):
                await driver.quiz_answer()
            await driver.leaderboard()
        rss_after = rss_mib(proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
        await logs
        await fake.stop()

    print(f"bot process: python -m bot run, SQLite, guild_ready_timeout {GUILD_READY_TIMEOUT_S} s")
    print(f"start to commands synced: {seen['synced'] * 1000:7.0f} ms")
    print(f"start to ready:           {seen['ready'] * 1000:7.0f} ms")
    print(f"dispatch to callback over {driver.count} interactions (ms):")
    for name, values in driver.latency.items():
        print(
            f"  {name:<13} n={len(values):4d}  median {statistics.median(values):6.1f}"
            f"  p95 {p95(values):6.1f}  max {max(values):6.1f}"
        )
    print(f"bot RSS: {rss_ready:.0f} MiB at ready, {rss_after:.0f} MiB after {driver.count}")
    print(f"exit code after SIGTERM: {proc.returncode}")


async def everything() -> None:
    await bench()
    counts = await hops_per_answer()
    for how, values in counts.items():
        if values:
            print(
                f"thread hops per quiz answer by {how}: {statistics.mean(values):.2f}"
                f" (min {min(values)}, max {max(values)}, n={len(values)}; target 1)"
            )


def main() -> None:
    asyncio.run(asyncio.wait_for(everything(), DEADLINE_S))


if __name__ == "__main__":
    main()
