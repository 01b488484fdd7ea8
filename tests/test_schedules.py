"""Timed posts with an injected clock, on SQLite and PostgreSQL: timetables across DST, the
roadmap walk, exactly once across two dispatchers, outages, lapsed claims, broken channels.

The transport here is a `Poster` that keeps what it was given (the Discord one is exercised
against the fake Discord in tests/discord); everything else is the real dispatcher, services
and database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cards import Card, UserError
from bot.domain.schedules import (
    ScheduleError,
    Timetable,
    fires_between,
    last_fire,
    next_fire,
    parse_days,
    parse_time,
)
from bot.domain.values import MemberRef
from bot.scheduling.dispatcher import ChannelGone, Dispatcher, PostFailed
from bot.services import Services
from bot.services.schedules import Notice, Post
from bot.storage.db import Database
from tests.support import make_services

GUILD = 10**17
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")


# -- timetables ---------------------------------------------------------------------------------


def test_times_and_days_are_read_or_refused_in_one_sentence() -> None:
    assert parse_time("8:30") == (8, 30) and parse_time("19.05") == (19, 5)
    assert parse_days("Weekdays") == frozenset(range(5))
    assert parse_days("mon, WED,friday") == frozenset({0, 2, 4})
    for bad, says in [("25:00", "not a time"), ("8", "not a time"), ("7:60", "not a time")]:
        with pytest.raises(ScheduleError, match=says):
            parse_time(bad)
    with pytest.raises(ScheduleError, match="`funday` is not a day"):
        parse_days("mon,funday")


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        (BERLIN, date(2026, 3, 29), date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_a_time_the_clock_skips_or_repeats_fires_once(
    zone: ZoneInfo, spring: date, autumn: date
) -> None:
    timetable = Timetable(2, 30)
    for day in (spring, autumn):
        start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=zone)
        fires = list(fires_between(timetable, zone, start, start + timedelta(days=3)))
        assert [f.astimezone(zone).date() for f in fires] == [
            day - timedelta(days=1),
            day,
            day + timedelta(days=1),
        ]
    gap = next_fire(timetable, zone, datetime.combine(spring, datetime.min.time(), tzinfo=zone))
    assert gap.astimezone(zone).hour == 3  # 02:30 does not exist: the first instant after
    repeat = next_fire(timetable, zone, datetime.combine(autumn, datetime.min.time(), tzinfo=zone))
    assert (
        repeat.astimezone(zone).strftime("%H:%M") == "02:30" and repeat.astimezone(zone).fold == 0
    )


def test_the_far_east_and_weekly_days() -> None:
    timetable = Timetable(0, 15, parse_days("mon"))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # already Monday 02:00 at UTC+14
    fire = last_fire(timetable, KIRITIMATI, now)
    assert fire.astimezone(KIRITIMATI) == datetime(2026, 11, 30, 0, 15, tzinfo=KIRITIMATI)
    assert fire == datetime(2026, 11, 29, 10, 15, tzinfo=UTC)
    assert next_fire(timetable, KIRITIMATI, now) - fire == timedelta(days=7)


# -- the service and the dispatcher -------------------------------------------------------------


@dataclass
class Recorder:
    """A Poster that keeps messages in memory, as Discord would, and can be told to fail."""

    messages: dict[int, tuple[Post, tuple[Card, ...]]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    dms: list[tuple[MemberRef, Card]] = field(default_factory=list)
    gone: set[int] = field(default_factory=set)  # channel ids that refuse posts
    failing: bool = False
    closed_dms: set[int] = field(default_factory=set)
    next_id: int = 1000

    async def publish(self, post: Post) -> int | None:
        if post.channel_id in self.gone:
            raise ChannelGone("Missing Permissions")
        if self.failing:
            raise PostFailed("Discord is down")
        if post.edit_message_id is not None:
            self.messages[post.edit_message_id] = (post, post.cards)
            return post.edit_message_id
        self.next_id += 1
        self.messages[self.next_id] = (post, post.cards)
        return self.next_id

    async def find(self, post: Post) -> int | None:
        return next((mid for mid, (p, _c) in self.messages.items() if p.title == post.title), None)

    async def notify(self, notice: Notice) -> None:
        self.notices.append(notice)

    async def dm(self, who: MemberRef, card: Card) -> bool:
        if who.user_id in self.closed_dms:
            return False
        self.dms.append((who, card))
        return True

    def kinds(self) -> list[tuple[str, str]]:
        return [(p.kind, p.key) for p, _cards in self.messages.values()]


START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin


def setup(database: Database, seed: int = 7) -> tuple[Services, Recorder, Dispatcher]:
    from tests.support import small_curriculum

    services, clock = make_services(database, START, small_curriculum(), seed=seed)
    recorder = Recorder()
    return services, recorder, Dispatcher(services, recorder, clock)


async def berlin(services: Services) -> None:
    await services.ctx.store.update_guild_settings(GUILD, {"timezone": "Europe/Berlin"}, START)


async def test_a_week_of_lessons_walks_the_roadmap_once_each(database: Database) -> None:
    services, recorder, dispatcher = setup(database)
    await berlin(services)
    saved = await services.schedules.set_lessons(GUILD, 11, "08:00", "weekdays", by=42)
    assert saved.title == "🗓️ Schedule saved" and "<t:" in saved.fields[0].value
    clock = services.ctx.clock
    end = START + timedelta(days=7)
    await dispatcher.tick(START, end)
    await dispatcher.tick(START, end)  # the same week again: every post is claimed already
    posted = [p for p, _c in recorder.messages.values()]
    assert [p.key for p in posted] == [
        "lessons:2026-11-23",
        "lessons:2026-11-24",
        "lessons:2026-11-25",
    ]  # three lessons in the small roadmap, then it is done
    assert [p.title for p in posted] == ["📖 First", "📖 Second", "📖 Third"]
    assert all(p.thread_name and p.thread_name.startswith("📖 ") for p in posted)
    assert clock is not None
    shown = await services.schedules.show(GUILD)
    assert "every lesson has been posted" in shown.fields[0].value


async def test_two_processes_post_each_thing_once(database: Database) -> None:
    first, recorder, one = setup(database, seed=1)
    second, _unused, two = setup(database, seed=2)
    two.poster = recorder  # both processes post to the same "Discord"
    await berlin(first)
    await first.schedules.set_challenge(GUILD, 12, "09:00")
    await first.schedules.set_lessons(GUILD, 11, "09:00", "daily")
    import asyncio

    for clock in (first.ctx.clock, second.ctx.clock):
        clock.set(START + timedelta(hours=2, minutes=1))  # 09:01 in Berlin
    await asyncio.gather(*(d.catch_up() for d in (one, two, one, two)))
    assert sorted(recorder.kinds()) == [
        ("challenge", "challenge:2026-11-23"),
        ("lessons", "lessons:2026-11-23"),
    ]


async def test_a_long_outage_posts_the_challenge_and_skips_the_stale_lesson(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    services, recorder, dispatcher = setup(database)
    await berlin(services)
    await services.schedules.set_lessons(GUILD, 11, "08:00", "daily")
    await services.schedules.set_challenge(GUILD, 12, "08:00")
    services.ctx.clock.set(START + timedelta(hours=13))  # 20:00: down since before 08:00
    with caplog.at_level(logging.WARNING):
        await dispatcher.catch_up()
        await dispatcher.catch_up()  # a second start logs and posts nothing more
    assert recorder.kinds() == [("challenge", "challenge:2026-11-23")]
    skipped = [r for r in caplog.records if "not posted" in r.getMessage()]
    assert len(skipped) == 1 and "lessons:2026-11-23" in skipped[0].getMessage()
    services.ctx.clock.set(START + timedelta(days=1, hours=3))  # next day 10:00: within grace
    await dispatcher.catch_up()
    assert ("lessons", "lessons:2026-11-24") in recorder.kinds()
    lesson = next(p for p, _c in recorder.messages.values() if p.kind == "lessons")
    assert lesson.title == "📖 First"  # the skipped day did not use up a lesson


async def test_a_lapsed_claim_is_found_or_posted_once(database: Database) -> None:
    services, recorder, dispatcher = setup(database)
    await berlin(services)
    await services.schedules.set_challenge(GUILD, 12, "08:00")
    services.ctx.clock.set(START + timedelta(hours=1, minutes=5))
    recorder.failing = True  # the post fails after the claim: the claim stays, unposted
    await dispatcher.catch_up()
    assert recorder.messages == {}
    await dispatcher.catch_up()  # the claim is still live: nobody else posts it
    recorder.failing = False
    await dispatcher.sweep()  # the lease has not run out yet
    assert recorder.messages == {}
    services.ctx.clock.advance(timedelta(minutes=3))
    await dispatcher.sweep()
    await dispatcher.sweep()
    assert recorder.kinds() == [("challenge", "challenge:2026-11-23")]


async def test_a_broken_channel_stops_its_schedule_and_tells_once(database: Database) -> None:
    services, recorder, dispatcher = setup(database)
    await services.schedules.set_lessons(GUILD, 11, "08:00", "daily", by=42)
    recorder.gone.add(11)
    services.ctx.clock.set(START + timedelta(hours=2, minutes=5))
    await dispatcher.catch_up()
    await dispatcher.catch_up()
    [notice] = recorder.notices
    assert notice.user_id == 42 and "cannot post in <#11>: Missing Permissions" in notice.text
    shown = await services.schedules.show(GUILD)
    assert "⚠️ off: cannot post in <#11>" in shown.fields[0].value
    assert "no time zone set, so times are UTC" in shown.body
    assert await services.schedules.planned() == []


async def test_schedule_changes_reach_other_processes(database: Database) -> None:
    _services, _recorder, dispatcher = setup(database)
    other, _recorder, _dispatcher = setup(database, seed=3)
    await dispatcher.sync()
    assert dispatcher._jobs == set()
    await other.schedules.set_challenge(GUILD, 12, "08:00")  # through another process
    await other.schedules.set_lessons(GUILD, 11, "07:00", "mon,wed")
    await dispatcher.poll()
    assert len(dispatcher._jobs) == 2
    await other.schedules.off(GUILD, "lessons")
    await dispatcher.poll()
    assert len(dispatcher._jobs) == 1


async def test_bad_schedule_input_is_one_sentence_and_saves_nothing(database: Database) -> None:
    services, _recorder, _dispatcher = setup(database)
    with pytest.raises(UserError, match=r"`25:00` is not a time"):
        await services.schedules.set_challenge(GUILD, 12, "25:00")
    with pytest.raises(UserError, match=r"`funday` is not a day"):
        await services.schedules.set_lessons(GUILD, 11, "08:00", "funday")
    with pytest.raises(UserError, match=r"no track `nowhere`"):
        await services.schedules.set_lessons(GUILD, 11, "08:00", "daily", track="nowhere")
    with pytest.raises(UserError, match=r"`year` is not a period"):
        await services.schedules.set_leaderboard(GUILD, 13, "mon", "09:00", "year")
    with pytest.raises(UserError, match="no lessons schedule switched on"):
        await services.schedules.off(GUILD, "lessons")
    assert await services.ctx.store.timed.schedules(GUILD) == []


async def test_preview_lists_what_comes_when(database: Database) -> None:
    services, _recorder, _dispatcher = setup(database)
    await berlin(services)
    await services.schedules.set_lessons(GUILD, 11, "08:00", "mon,wed,fri")
    await services.schedules.set_leaderboard(GUILD, 13, "sun", "18:00", "week")
    preview = await services.schedules.preview(GUILD, 7)
    lines = preview.body.splitlines()
    assert lines == [
        "Mon 23 Nov 08:00 Europe/Berlin · #11 · lesson: First",
        "Wed 25 Nov 08:00 Europe/Berlin · #11 · lesson: Second",
        "Fri 27 Nov 08:00 Europe/Berlin · #11 · lesson: Third",
        "Sun 29 Nov 18:00 Europe/Berlin · #13 · leaderboard (this week, week:2026-W48)",
    ]


async def test_the_leaderboard_is_one_message_a_period_edited_each_run(
    database: Database,
) -> None:
    services, recorder, dispatcher = setup(database)
    await berlin(services)
    await services.schedules.set_leaderboard(GUILD, 13, "daily", "18:00", "week")
    await dispatcher.tick(START, START + timedelta(days=8))  # Mon..Mon: two ISO weeks
    keys = [p.key for p, _c in recorder.messages.values()]
    assert keys == ["week:2026-W48", "week:2026-W49"]  # one message per week, edited daily
    card = next(iter(recorder.messages.values()))[1][0]
    assert card.title == "🏆 Leaderboard — this week"
    assert [a.label for a in card.actions] == ["📍 My rank"]


async def test_reminders_once_a_day_and_off_when_undeliverable(database: Database) -> None:
    services, recorder, dispatcher = setup(database)
    ada, bob = MemberRef(GUILD, 1, "ada"), MemberRef(GUILD, 2, "bob")
    await services.reminders.set(ada, True)
    await services.reminders.set(bob, True)
    recorder.closed_dms.add(bob.user_id)
    services.ctx.clock.set(datetime(2026, 11, 23, 20, 5, tzinfo=UTC))  # 20:05 UTC
    await dispatcher.remind()
    await dispatcher.remind()
    assert [who.user_id for who, _card in recorder.dms] == [ada.user_id]
    now = services.ctx.clock.now()
    targets = {t.user_id: t for t in await services.ctx.store.timed.reminder_targets(now)}
    assert set(targets) == {ada.user_id}  # bob could not be reached: switched off quietly


async def test_a_day_that_has_not_counted_yet_still_gets_its_reminder(database: Database) -> None:
    from tests.support import answer_item

    services, recorder, dispatcher = setup(database)
    ada, cy = MemberRef(GUILD, 1, "ada"), MemberRef(GUILD, 3, "cy")
    for who in (ada, cy):
        await services.reminders.set(who, True)
    services.ctx.clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=UTC))
    await answer_item(services, ada, "alg-choice", 1)  # one answer: the day does not count yet
    for seed in (1, 2, 3):  # three answers: it counts
        await answer_item(services, cy, "alg-choice", seed)
    services.ctx.clock.set(datetime(2026, 11, 23, 20, 5, tzinfo=UTC))
    await dispatcher.remind()
    assert [who.user_id for who, _card in recorder.dms] == [ada.user_id]


async def test_a_posted_leaderboard_carries_a_chart_with_alt_text(database: Database) -> None:
    services, _recorder, _dispatcher = setup(database)
    from tests.support import answer_item

    await answer_item(services, MemberRef(GUILD, 1, "ada"), "alg-number", 1)
    await answer_item(services, MemberRef(GUILD, 2, "bob"), "alg-choice", 1)
    card = await services.leaderboard.card(GUILD, "week", chart=True)
    [image] = card.images
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n") and len(image.data) > 5000
    assert image.alt == (
        "Bar chart of the leaderboard for this week, 2 members, most XP on top: "
        "1. ada, 30 XP; 2. bob, 10 XP."
    )
    mine = await services.leaderboard.my_rank(MemberRef(GUILD, 2, "bob"), "week")
    assert "**#2** of 2 with **10 XP** this week" in mine.body and mine.ephemeral


async def test_schedules_set_while_the_bot_was_down_apply_at_its_start(database: Database) -> None:
    """The real AsyncIOScheduler: jobs made from the database at start, and the catch-up of
    what is due, in the server's grace window (set with /admin setup)."""
    from bot.services.admin import SetupChanges

    services, recorder, dispatcher = setup(database)
    await berlin(services)
    await services.admin.setup(GUILD, SetupChanges(grace_hours=1))
    await services.schedules.set_lessons(GUILD, 11, "07:30", "daily")  # 06:30 UTC
    await services.schedules.set_challenge(GUILD, 12, "07:50")
    services.ctx.clock.set(START + timedelta(hours=1, minutes=40))  # 08:40: lesson 70 min late
    await dispatcher.start()
    try:
        assert dispatcher.scheduler is not None
        jobs = {job.id: job for job in dispatcher.scheduler.get_jobs()}
        assert {"schedule-1", "schedule-2", "poll", "sweep", "remind"} <= set(jobs)
        assert str(jobs["schedule-1"].trigger) == "timetable[daily 07:30 Europe/Berlin]"
    finally:
        await dispatcher.stop()
    assert recorder.kinds() == [("challenge", "challenge:2026-11-23")]  # the lesson: too late
    with pytest.raises(UserError, match="0 to 48 hours"):
        await services.admin.setup(GUILD, SetupChanges(grace_hours=72))
