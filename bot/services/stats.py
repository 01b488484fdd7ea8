"""Moderators' statistics: `/admin stats` (a private card) and `studybot report` (one HTML file).

Both read the same facts (`bot/storage/analytics.py`), judge the questions with the same item
analysis (`bot/analysis/items.py`) and draw the same charts. The work that costs CPU — the
analysis, the charts, the HTML — runs off the event loop, in one thread hop per step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from bot.analysis.items import MIN_ATTEMPTS, ItemAnalysis, ItemStats, analyse
from bot.cards import Card, CardField, Image, Tone
from bot.curriculum.model import Curriculum
from bot.services.charts import activity_chart
from bot.services.context import Context
from bot.storage.analytics import Analytics, GuildFacts, WrongAnswer

ACTIVITY_DAYS = 30
TOP_FLAGGED = 5
GENERATOR = "generator:"  # a generator's unit key: generator:NAME
NO_DATA = (
    "Nothing to show yet: nobody here has studied, answered a question or finished a lesson. "
    "Statistics appear once members use `/lesson`, `/quiz` or `/daily`."
)


@dataclass(frozen=True)
class Unit:
    """What the item analysis judges: a static item, or a generator pooled over its seeds and
    the items that use it."""

    key: str
    label: str  # the item id, or "⚙ NAME" for a generator
    topic: str  # the topic's title
    kind: str  # choice, numeric, text, output; "generated"; "retired" when no longer in the bank
    item_ids: tuple[str, ...]
    generator: str | None = None


def unit_key(curriculum: Curriculum, item_id: str) -> str:
    item = curriculum.items.get(item_id)
    if item is not None and item.generator:
        return GENERATOR + item.generator
    return item_id


def units_of(curriculum: Curriculum, keys: set[str]) -> dict[str, Unit]:
    """Each unit key met in the answers, described from the curriculum (a key it no longer
    has is a retired item)."""
    by_generator: dict[str, list[str]] = {}
    for item in curriculum.items.values():
        if item.generator:
            by_generator.setdefault(item.generator, []).append(item.id)
    found: dict[str, Unit] = {}
    for key in keys:
        if key.startswith(GENERATOR):
            name = key.removeprefix(GENERATOR)
            ids = tuple(sorted(by_generator.get(name, ())))
            topic = curriculum.items[ids[0]].topic if ids else ""
            found[key] = Unit(key, f"⚙ {name}", _topic(curriculum, topic), "generated", ids, name)
        elif key in curriculum.items:
            item = curriculum.items[key]
            kind = str(item.kind) if item.kind else "generated"
            found[key] = Unit(key, key, _topic(curriculum, item.topic), kind, (key,))
        else:
            found[key] = Unit(key, key, "", "retired", (key,))
    return found


def _topic(curriculum: Curriculum, topic_id: str) -> str:
    topic = curriculum.topics.get(topic_id)
    return topic.title if topic else topic_id


@dataclass(frozen=True)
class FunnelTrack:
    title: str
    lessons: tuple[tuple[str, int], ...]  # lesson title, members who finished it


@dataclass(frozen=True)
class GuildStats:
    """One server's numbers, ready to show."""

    guild_id: int
    zone: str
    today: date
    members: int
    active_members: int  # in the activity window
    activity: tuple[tuple[date, int], ...]  # oldest first, today last, zero days included
    funnel: tuple[FunnelTrack, ...]
    analysis: ItemAnalysis
    units: Mapping[str, Unit]
    empty: bool

    @property
    def studied_recently(self) -> bool:
        return any(count for _day, count in self.activity)

    @property
    def lessons_finished(self) -> int:
        return sum(count for track in self.funnel for _title, count in track.lessons)


def guild_stats(
    guild_id: int, facts: GuildFacts, curriculum: Curriculum, rasch: bool = True
) -> GuildStats:
    """The facts turned into a server's statistics (CPU-bound: call it off the event loop)."""
    activity = tuple(
        (day, facts.active_days.get(day, 0))
        for day in (facts.today - timedelta(days=back) for back in range(ACTIVITY_DAYS - 1, -1, -1))
    )
    funnel = tuple(
        FunnelTrack(
            track.title,
            tuple(
                (curriculum.lessons[lesson].title, facts.lessons_finished.get(lesson, 0))
                for lesson in track.lesson_ids
                if lesson in curriculum.lessons
            ),
        )
        for track in curriculum.tracks
    )
    answers = facts.answers
    keys = {item: unit_key(curriculum, item) for item in set(answers.item_ids)}
    responses = pd.DataFrame(
        {
            "member": pd.Series(answers.user_ids, dtype="int64"),
            "unit": pd.Series(answers.item_ids, dtype=object).map(keys),
            "correct": pd.Series(answers.correct, dtype=bool),
        }
    )
    analysis = analyse(responses, rasch=rasch)
    return GuildStats(
        guild_id=guild_id,
        zone=facts.zone,
        today=facts.today,
        members=facts.members,
        active_members=facts.active_members,
        activity=activity,
        funnel=funnel,
        analysis=analysis,
        units=units_of(curriculum, set(keys.values())),
        empty=facts.empty,
    )


@dataclass(frozen=True)
class Report:
    html: str
    stats: GuildStats

    def summary(self) -> str:
        """One line for whoever asked for the report."""
        stats = self.stats
        if stats.empty:
            return f"no data for server {stats.guild_id} yet (the report says so)"
        flagged = len(stats.analysis.flagged())
        return (
            f"{stats.members} members, {len(stats.analysis.items)} questions analysed, "
            f"{flagged} flagged"
        )


class StatsService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.analytics = Analytics(ctx.store.db)

    async def card(self, guild_id: int) -> Card:
        """A moderator's private summary: active members per day (a chart), the lesson funnel
        by track and the questions most in need of a look. Without Rasch: the flags come from
        the classical statistics, and the card should come back quickly."""
        facts = await self.analytics.guild_facts(guild_id, self.ctx.clock.now(), ACTIVITY_DAYS)
        curriculum = self.ctx.curriculum
        return await asyncio.to_thread(_card_of, guild_id, facts, curriculum)

    async def report(self, guild_id: int) -> Report:
        """The whole picture as one self-contained HTML page (see `bot/services/report.py`)."""
        from bot.services.report import render_report  # only the report needs it

        now = self.ctx.clock.now()
        curriculum = self.ctx.curriculum
        facts = await self.analytics.guild_facts(guild_id, now, ACTIVITY_DAYS)
        stats = await asyncio.to_thread(guild_stats, guild_id, facts, curriculum)
        wanted = [i for item in stats.analysis.flagged() for i in stats.units[item.unit].item_ids]
        wrong: dict[str, list[WrongAnswer]] = {}
        if wanted:
            wrong = await self.analytics.wrong_answers(guild_id, wanted)
        html = await asyncio.to_thread(render_report, stats, wrong, curriculum, now)
        return Report(html=html, stats=stats)


def _card_of(guild_id: int, facts: GuildFacts, curriculum: Curriculum) -> Card:
    if facts.empty:
        return Card(title="📊 Server stats", body=NO_DATA, ephemeral=True, tone=Tone.INFO)
    stats = guild_stats(guild_id, facts, curriculum, rasch=False)
    images: tuple[Image, ...] = ()
    lines = [
        f"**{stats.members}** members have studied here; **{stats.active_members}** in the last "
        f"{ACTIVITY_DAYS} days, **{stats.activity[-1][1]}** today."
    ]
    if stats.studied_recently:
        images = (activity_chart(stats.activity),)
    else:
        lines.append(f"Nobody has studied in the last {ACTIVITY_DAYS} days.")
    analysis = stats.analysis
    judged = sum(1 for item in analysis.items if item.attempts >= analysis.min_attempts)
    if analysis.empty:
        lines.append("No quiz answers yet, so no questions to judge.")
    else:
        lines.append(
            f"**{analysis.responses}** first answers to **{len(analysis.items)}** questions; "
            f"{judged} have the {analysis.min_attempts} answers needed to judge them."
        )
    fields = [_flagged_field(stats, curriculum)] if not analysis.empty else []
    fields += _funnel_fields(stats)
    return Card(
        title="📊 Server stats",
        body="\n".join(lines),
        fields=tuple(fields),
        images=images,
        footer=f"Days in {stats.zone} · the full item table: studybot report --guild {guild_id}",
        ephemeral=True,
        tone=Tone.INFO,
    )


def _flagged_field(stats: GuildStats, curriculum: Curriculum) -> CardField:
    flagged = stats.analysis.flagged()[:TOP_FLAGGED]
    if not flagged:
        return CardField(
            "Questions to look at",
            f"None flagged among the questions with {MIN_ATTEMPTS} or more answers.",
        )
    return CardField(
        f"Questions to look at ({len(flagged)} of {len(stats.analysis.flagged())} flagged)",
        "\n".join(_flagged_line(item, stats.units[item.unit], curriculum) for item in flagged),
    )


def _flagged_line(item: ItemStats, unit: Unit, curriculum: Curriculum) -> str:
    why = "; ".join(item.reasons(short=True))
    preview = _preview(unit, curriculum)
    about = f" — {preview}" if preview else ""
    return f"**{_plain(unit.label)}**{about}\n-# {item.attempts} answers · {why}"


def _preview(unit: Unit, curriculum: Curriculum) -> str:
    """The first line of a static item's prompt, plain and short; a generator's item count."""
    if unit.generator is not None:
        return f"generated, {len(unit.item_ids)} item(s) in {unit.topic}"
    item = curriculum.items.get(unit.key)
    if item is None or item.question is None:
        return "no longer in the bank"
    first = item.question.prompt.strip().splitlines()[0] if item.question.prompt.strip() else ""
    first = _plain(first)
    return first if len(first) <= 60 else first[:59] + "…"


def _plain(text: str) -> str:
    """Authored text inside card Markdown: no emphasis or code marks to leave open when cut."""
    return text.replace("**", "").replace("`", "").replace("_", "\\_")


def _funnel_fields(stats: GuildStats) -> list[CardField]:
    if not stats.lessons_finished:
        return [CardField("Lesson funnel", "No lessons marked done yet.")]
    fields = []
    for track in stats.funnel:
        if not track.lessons:
            continue
        lines = [
            f"{n}. {_cut(_plain(title), 30)} — **{count}**"
            for n, (title, count) in enumerate(track.lessons, 1)
        ]
        fields.append(CardField(f"Finished · {track.title}", "\n".join(lines), inline=True))
    return fields


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
