"""Issue 12, under load: a whole server answering the daily challenge at once, with double
clicks among them, is scored exactly once per member, and every total equals its events.

Through the real services on SQLite and PostgreSQL: the writer batches the concurrent units
into shared transactions, so a wrong savepoint or a lost `x = x + n` would show here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.cards import Card, UserError
from bot.domain.values import MemberRef
from bot.services import Services
from bot.storage.db import Database, Sql, Tx
from tests.engine_checks import assert_totals_consistent
from tests.support import RIGHT_TEXT, WRONG_TEXT, make_services

GUILD = 10**17 + 12
# 23:30 in New York on a Sunday: the server's date (and week) is not UTC's.
START = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
MEMBERS = 200
DUPLICATES = 50

_PER_MEMBER = Sql(
    "SELECT m.user_id, m.xp_total,"
    " (SELECT count(*) FROM challenge_answers a WHERE a.guild_id = m.guild_id"
    "  AND a.user_id = m.user_id),"
    " (SELECT count(*) FROM xp_events e WHERE e.guild_id = m.guild_id"
    "  AND e.user_id = m.user_id AND e.reason = 'challenge'),"
    " (SELECT COALESCE(SUM(e.amount), 0) FROM xp_events e WHERE e.guild_id = m.guild_id"
    "  AND e.user_id = m.user_id),"
    " (SELECT count(*) FROM review_logs r WHERE r.guild_id = m.guild_id"
    "  AND r.user_id = m.user_id)"
    " FROM members m WHERE m.guild_id = :g ORDER BY m.user_id"
)


def member(n: int) -> MemberRef:
    return MemberRef(guild_id=GUILD, user_id=5000 + n, display_name=f"member {n}")


async def server(database: Database) -> tuple[Services, str]:
    """Services on a New York server, and the right answer to today's challenge."""
    services, _clock = make_services(database, START)
    await services.ctx.store.update_guild_settings(
        GUILD, {"timezone": "America/New_York"}, START - timedelta(days=1)
    )
    challenge, _answered = await services.challenges.today(GUILD)
    return services, RIGHT_TEXT[challenge.item_id]


async def test_a_whole_server_answers_the_daily_at_once_and_is_scored_once_each(
    database: Database,
) -> None:
    services, right = await server(database)
    day = await services.challenges.guild_today(GUILD)
    assert day.isoformat() == "2026-11-29"  # the server's Sunday, UTC's Monday
    everyone = [member(n) for n in range(MEMBERS)]
    doubled = everyone[::4][:DUPLICATES]  # a double click from every fourth member
    submissions = [*everyone, *doubled]
    batches_before = database.writer.batches

    outcomes = await asyncio.gather(
        *(services.challenges.answer(who, day, right) for who in submissions),
        return_exceptions=True,
    )

    cards = [o for o in outcomes if isinstance(o, Card)]
    refused = [o for o in outcomes if isinstance(o, UserError)]
    assert len(cards) == MEMBERS and len(refused) == DUPLICATES, [
        o for o in outcomes if not isinstance(o, Card | UserError)
    ]
    assert all("already answered" in str(error) for error in refused)
    assert all(card.title == "✅ Challenge solved" for card in cards)
    # Shared transactions did happen: far fewer commits than units.
    assert database.writer.batches - batches_before < len(submissions) // 2

    rows = database.read_sync(lambda tx: tx.all(_PER_MEMBER, {"g": GUILD}))
    assert [int(r[0]) for r in rows] == [who.user_id for who in everyone]
    for user, xp_total, answers, challenge_events, event_sum, reviews in rows:
        assert (int(answers), int(challenge_events), int(reviews)) == (1, 1, 1), user
        assert int(xp_total) == int(event_sum) > 0, user
    assert_totals_consistent(database)

    def boards(tx: Tx) -> list[tuple[str, int]]:
        return [
            (str(p), int(n))
            for p, n in tx.all(
                Sql(
                    "SELECT period, count(*) FROM xp_totals WHERE guild_id = :g"
                    " GROUP BY period ORDER BY period"
                ),
                {"g": GUILD},
            )
        ]

    # The server's Sunday: its week began on Monday the 23rd, its month is November.
    assert database.read_sync(boards) == [
        ("all", MEMBERS),
        ("d:2026-11-29", MEMBERS),
        ("m:2026-11", MEMBERS),
        ("r", MEMBERS),
        ("w:2026-11-23", MEMBERS),
    ]
    board = await services.ctx.store.leaderboard(GUILD, "week", START, 5)
    assert len(board) == 5 and len({s.xp for s in board}) == 1  # all equal: same instant
    assert [s.user_id for s in board] == [who.user_id for who in everyone[:5]]  # ties by id
    rank = await services.ctx.store.rank_of(GUILD, everyone[-1].user_id, "rolling", START)
    assert rank is not None and rank[0] == MEMBERS and rank[2] == MEMBERS


async def test_a_second_answer_to_the_daily_is_refused_kindly_and_scores_nothing(
    database: Database,
) -> None:
    services, right = await server(database)
    day = await services.challenges.guild_today(GUILD)
    ada = member(1)
    first = await services.challenges.answer(ada, day, right)
    assert first.title == "✅ Challenge solved"
    xp = (await services.ctx.store.member(ada)).xp_total
    challenge, _ = await services.challenges.today(GUILD)
    with pytest.raises(UserError, match=r"^You already answered today's challenge; come back"):
        await services.challenges.answer(ada, day, WRONG_TEXT[challenge.item_id])
    with pytest.raises(UserError, match="already answered"):
        await services.challenges.answer(ada, day, right)
    assert (await services.ctx.store.member(ada)).xp_total == xp
    assert (await services.challenges.today(GUILD))[1] == 1
    assert_totals_consistent(database)


async def test_awards_stamped_either_side_of_midnight_and_committed_out_of_order(
    database: Database,
) -> None:
    """Two clicks read the clock at 23:59:59 and 00:00:01 and reach the writer in the other
    order (a thread hop each can reorder them): the rolling board must keep both."""
    services, _clock = make_services(database, START)
    store = services.ctx.store
    ada, bob = member(1), member(2)
    midnight = datetime(2026, 11, 24, tzinfo=UTC)  # the server's zone is UTC here
    await store.complete_lesson(ada, "first", 20, midnight + timedelta(seconds=1))
    await store.complete_lesson(bob, "first", 20, midnight - timedelta(seconds=1))  # late
    assert_totals_consistent(database)
    await store.complete_lesson(bob, "second", 20, midnight + timedelta(seconds=2))
    assert_totals_consistent(database)
    # A board read with a clock a little behind does not move the window back either.
    await store.leaderboard(GUILD, "rolling", midnight - timedelta(seconds=3), 10)
    await store.complete_lesson(ada, "second", 20, midnight + timedelta(seconds=4))
    assert_totals_consistent(database)
    board = await store.leaderboard(GUILD, "rolling", midnight + timedelta(seconds=5), 10)
    assert [(s.user_id, s.xp) for s in board] == [(bob.user_id, 40), (ada.user_id, 40)]
    # An award stamped after the window's start is in it; one from before the window is not.
    await store.complete_lesson(ada, "third", 20, midnight - timedelta(days=29, seconds=1))
    assert_totals_consistent(database)
    board = await store.leaderboard(GUILD, "rolling", midnight + timedelta(seconds=5), 10)
    assert [(s.user_id, s.xp) for s in board] == [(bob.user_id, 40), (ada.user_id, 40)]
    # rebuild-stats on a clock behind the latest award keeps that award's day in the window.
    await store.rebuild_stats(midnight - timedelta(seconds=10))
    assert_totals_consistent(database)
    await store.complete_lesson(bob, "third", 20, midnight + timedelta(days=1))
    assert_totals_consistent(database)
    board = await store.leaderboard(GUILD, "rolling", midnight + timedelta(days=1), 10)
    assert [(s.user_id, s.xp) for s in board] == [(bob.user_id, 60), (ada.user_id, 40)]


async def test_own_rank_is_the_place_on_the_full_board_ties_included(database: Database) -> None:
    """rank_of counts who is ahead (more XP; same XP reached earlier; same instant, lower id)
    and how many are ranked: it must agree with the board's order for every member."""
    services, _clock = make_services(database, START)
    store = services.ctx.store
    members = [member(n) for n in range(12)]
    for n, who in enumerate(members):
        at = START + timedelta(minutes=n % 3)  # a few reach their XP at the same instant
        for lesson in ("first", "second", "third")[: 1 + n % 3]:
            await store.complete_lesson(who, lesson, 20, at)
    for period in ("week", "month", "rolling", "all"):
        board = await store.leaderboard(GUILD, period, START, 100)
        assert len(board) == len(members)
        for place, standing in enumerate(board, start=1):
            found = await store.rank_of(GUILD, standing.user_id, period, START)
            assert found == (place, standing.xp, len(members)), (period, standing)
    assert await store.rank_of(GUILD, 99, "all", START) is None
