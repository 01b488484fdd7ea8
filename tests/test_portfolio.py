"""The portfolio board through its service, on SQLite and on a real PostgreSQL: submitting and
editing within the cap, reviews given least-reviewed first and never one's own, helpful marks
that pay once, the board, and the weekly showcase through the real dispatcher."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.cards import Card, UserError
from bot.domain.portfolio import PROJECTS_MAX, XP_HELPFUL_REVIEW, XP_REASON
from bot.domain.values import MemberRef
from bot.scheduling.dispatcher import Dispatcher
from bot.services import Services
from bot.services.portfolio import EditProject, MarkHelpful, RateProject, ReviewProject
from bot.services.schedules import Notice, Post
from bot.storage.db import Database
from bot.storage.models import XpEvent
from bot.storage.portfolio import PortfolioProject, PortfolioReview
from tests.support import make_services

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
GUILD = 10**17
ADA = MemberRef(GUILD, 2**62 + 5, "ada")
BOB = MemberRef(GUILD, 42, "bob")
CY = MemberRef(GUILD, 43, "cy")
ELSEWHERE = MemberRef(99, 44, "dee")
GOOD = {"problem": "3", "end_to_end": "4", "evaluation": "2", "code": "3"}


def project(title: str, **changes: str) -> dict[str, str]:
    return {
        "title": title,
        "problem": f"The problem {title} solves for real people.",
        "data": "Open data from the city, cleaned of duplicates.",
        "link": f"https://github.com/ada/{title.lower().replace(' ', '-')}",
        "evaluation": "MAE against a naive baseline; fails on holidays.",
        **changes,
    }


async def rows(database: Database, model: type) -> list:  # type: ignore[type-arg]
    return list(await database.read(lambda s: s.execute(select(model)).scalars().all()))


async def xp_of(services: Services, who: MemberRef) -> int:
    return (await services.ctx.store.member(who)).xp_total


async def submit(services: Services, who: MemberRef, title: str, **changes: str) -> int:
    card = await services.portfolio.save(who, 0, project(title, **changes))
    return int(card.body.split()[1].removeprefix("#"))


async def test_submit_edit_and_the_cap(database: Database) -> None:
    services, _clock = make_services(database, START)
    portfolio = services.portfolio
    card = await portfolio.save(ADA, 0, project("Bus delays"))
    assert card.title == "✅ Bus delays" and card.ephemeral
    assert f"(1 of {PROJECTS_MAX})" in card.body
    assert [f.name for f in card.fields] == [
        "Problem",
        "Data",
        "Code",
        "Evaluation and failure modes",
    ]
    assert card.fields[2].value == "<https://github.com/ada/bus-delays>"  # shown, not fetched

    bad = [
        ({"link": "ftp://example.com/x"}, "The link must be an http:// or https:// address."),
        ({"problem": "  "}, "The problem is empty."),
        ({"data": "d" * 1001}, "The data is longer than 1,000 characters."),
        ({"title": "BUS DELAYS"}, "You already have a project called “BUS DELAYS”"),
    ]
    for changes, sentence in bad:
        with pytest.raises(UserError) as refused:
            await portfolio.save(ADA, 0, {**project("Other"), **changes})
        assert str(refused.value).startswith(sentence)
    assert len(await rows(database, PortfolioProject)) == 1  # nothing saved

    for n in range(2, PROJECTS_MAX + 1):
        await submit(services, ADA, f"Project {n}")
    with pytest.raises(UserError, match="the most a portfolio holds"):
        await portfolio.project_form(ADA)  # refused before anything is typed
    with pytest.raises(UserError, match="the most a portfolio holds"):
        await portfolio.save(ADA, 0, project("One too many"))

    first = await portfolio.own_project(ADA, "bus delays")
    form = await portfolio.project_form(ADA, first)
    assert (form.fields[0].key, form.fields[0].value) == ("title", "Bus delays")
    assert [f.multiline for f in form.fields] == [False, True, True, False, True]
    changed = await portfolio.save(ADA, first, project("Bus delays", problem="Late *buses*, <@1>"))
    assert changed.title == "✅ Bus delays" and "updated" in changed.body
    assert changed.fields[0].value == "Late \\*buses\\*, @member"  # no mention; Markdown as typed
    with pytest.raises(UserError, match="not one of your projects"):
        await portfolio.save(BOB, first, project("Mine now"))
    with pytest.raises(UserError, match="not one of your projects"):
        await portfolio.project_form(BOB, first)
    assert await portfolio.own_project(ADA, f"#{first}") == first
    assert len(await rows(database, PortfolioProject)) == PROJECTS_MAX


async def test_reviews_least_reviewed_first_never_ones_own_and_once(database: Database) -> None:
    services, clock = make_services(database, START)
    portfolio = services.portfolio
    first = await submit(services, ADA, "Bus delays")
    clock.advance(timedelta(minutes=1))
    second = await submit(services, ADA, "Crop yields")
    clock.advance(timedelta(minutes=1))
    third = await submit(services, CY, "Heat pumps")

    fresh = await portfolio.assign(MemberRef(GUILD, 1000, "new"))
    assert fresh.title == "📝 Review: Bus delays"  # the oldest of the unreviewed
    given = await portfolio.assign(BOB)
    assert given.ephemeral and RateProject(owner=BOB.user_id, project=first) in [
        a.intent for a in given.actions
    ]
    assert "<@" in given.body and dict(given.names)[ADA.user_id] == "ada"

    reviewed = await portfolio.review(BOB, first, GOOD, "Clear problem. Add a baseline.")
    assert reviewed.card.ephemeral and reviewed.card.title == "✅ Review saved: Bus delays"
    notice = reviewed.notice
    assert not notice.ephemeral and notice.title == "📝 New review: Bus delays"
    assert [(f.name, f.value) for f in notice.fields[:4]] == [
        ("Real problem", "3/4"),
        ("End to end", "4/4"),
        ("Honest evaluation", "2/4"),
        ("Clean code", "3/4"),
    ]
    [helpful] = notice.actions
    assert isinstance(helpful.intent, MarkHelpful) and helpful.intent.owner == ADA.user_id

    # Bad input: one sentence each, nothing saved.
    cases = [
        (BOB, first, GOOD, "fine", "You have already reviewed this project."),
        (ADA, second, GOOD, "fine", "You cannot review your own project."),
        (CY, first, {**GOOD, "code": "5"}, "fine", "Each criterion takes a score from 1 to 4."),
        (CY, first, GOOD, "   ", "The comment is empty."),
        (CY, 10_000, GOOD, "fine", "That project no longer exists."),
    ]
    for who, pid, marks, comment, sentence in cases:
        with pytest.raises(UserError) as refused:
            await portfolio.review(who, pid, marks, comment)
        assert str(refused.value) == sentence
    with pytest.raises(UserError, match=r"^You cannot review your own project\.$"):
        await portfolio.review_form(ADA, first)
    with pytest.raises(UserError, match=r"^You have already reviewed this project\.$"):
        await portfolio.review_form(BOB, first)
    assert (await portfolio.review_form(CY, first)).project_title == "Bus delays"
    assert len(await rows(database, PortfolioReview)) == 1

    # Least-reviewed first: Bob gets the next one nobody has reviewed; Ada never her own.
    assert (await portfolio.assign(BOB)).title == "📝 Review: Crop yields"
    assert (await portfolio.assign(ADA)).title == "📝 Review: Heat pumps"
    assert (await portfolio.assign(CY)).title == "📝 Review: Crop yields"  # 0 reviews < 1
    await portfolio.review(CY, second, GOOD, "Nice.")
    await portfolio.review(CY, first, GOOD, "Nice too.")
    await portfolio.review(ADA, third, GOOD, "Good data.")
    done = await portfolio.assign(CY)
    assert done.title == "Nothing to review right now"
    assert (await portfolio.assign(ELSEWHERE)).title == "Nothing to review right now"  # guilds


async def test_a_helpful_mark_pays_the_reviewer_once(database: Database) -> None:
    services, _clock = make_services(database, START)
    portfolio = services.portfolio
    first = await submit(services, ADA, "Bus delays")
    notice = (await portfolio.review(BOB, first, GOOD, "Add a baseline.")).notice
    intent = notice.actions[0].intent
    assert isinstance(intent, MarkHelpful)
    with pytest.raises(UserError, match=r"^Only the project's author can mark its reviews"):
        await portfolio.helpful(BOB, intent.review)
    with pytest.raises(UserError, match="no longer exists"):
        await portfolio.helpful(ADA, intent.review + 100)

    presses = await asyncio.gather(
        *(portfolio.helpful(ADA, intent.review) for _ in range(3)), return_exceptions=True
    )
    paid = [p for p in presses if isinstance(p, Card)]
    refused = [p for p in presses if isinstance(p, UserError)]
    assert len(paid) == 1 and len(refused) == 2
    assert paid[0].body.startswith(f"<@{BOB.user_id}> gets +{XP_HELPFUL_REVIEW} XP")
    assert all(str(r) == "You have already marked this review helpful." for r in refused)
    assert await xp_of(services, BOB) == XP_HELPFUL_REVIEW
    events = [e for e in await rows(database, XpEvent) if e.reason == XP_REASON]
    assert [(e.user_id, e.ref, e.amount) for e in events] == [
        (BOB.user_id, str(intent.review), XP_HELPFUL_REVIEW)
    ]
    assert (
        await services.ctx.store.rebuild_stats(services.ctx.clock.now(), GUILD) >= 1
    )  # the total is made of facts
    assert await xp_of(services, BOB) == XP_HELPFUL_REVIEW
    board = await services.leaderboard.card(GUILD, "week")
    assert f"<@{BOB.user_id}> — {XP_HELPFUL_REVIEW} XP" in board.body


async def test_two_reviews_at_once_save_one(database: Database) -> None:
    services, _clock = make_services(database, START)
    first = await submit(services, ADA, "Bus delays")
    both = await asyncio.gather(
        services.portfolio.review(BOB, first, GOOD, "one"),
        services.portfolio.review(BOB, first, GOOD, "two"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in both) == ["Reviewed", "UserError"]
    assert len(await rows(database, PortfolioReview)) == 1


async def test_the_board_shows_summaries_and_buttons_for_each_reader(database: Database) -> None:
    services, _clock = make_services(database, START)
    portfolio = services.portfolio
    empty = await portfolio.show(ADA, ADA)
    assert empty[0].body == "No projects yet. Add one with /portfolio submit."
    first = await submit(services, ADA, "Bus delays")
    second = await submit(services, ADA, "Crop yields")
    await portfolio.review(BOB, first, {**GOOD, "problem": "4"}, "Strong *problem*.")
    await portfolio.review(CY, first, {**GOOD, "problem": "2"}, "Weak data.")

    board, reviews = await portfolio.show(ADA, ADA)
    assert board.title == "🗂️ ada's portfolio" and not board.ephemeral
    assert [f.name for f in board.fields] == [f"#{first} · Bus delays", f"#{second} · Crop yields"]
    assert board.fields[0].value.endswith(
        "*2 reviews · real problem 3.0 · end to end 4.0 · honest evaluation 2.0 · clean code 3.0*"
    )
    assert board.fields[1].value.endswith("*no reviews yet*")
    assert [a.intent for a in board.actions] == [
        EditProject(owner=ADA.user_id, project=first),
        EditProject(owner=ADA.user_id, project=second),
    ]
    assert reviews.title == "💬 Reviews of your projects"
    assert "Strong \\*problem\\*." in reviews.body  # member Markdown shown as typed
    assert all(isinstance(a.intent, MarkHelpful) for a in reviews.actions)
    assert len(reviews.actions) == 2

    [seen] = await portfolio.show(BOB, ADA)
    assert [a.intent for a in seen.actions] == [
        ReviewProject(project=first),
        ReviewProject(project=second),
    ]
    assert (await portfolio.member_named(GUILD, "ADA")).user_id == ADA.user_id
    with pytest.raises(UserError, match="no member called zed"):
        await portfolio.member_named(GUILD, "zed")


# -- the weekly showcase through the dispatcher --------------------------------------------------


@dataclass
class Channel:
    """A Poster that keeps what it was given, as a channel would."""

    posts: list[Post] = field(default_factory=list)

    async def publish(self, post: Post) -> int | None:
        self.posts.append(post)
        return 1000 + len(self.posts)

    async def find(self, post: Post) -> int | None:
        return None

    async def notify(self, notice: Notice) -> None:
        raise AssertionError(notice)

    async def dm(self, who: MemberRef, card: Card) -> bool:
        return False


async def test_the_weekly_showcase_posts_the_best_reviewed_new_projects(
    database: Database,
) -> None:
    services, clock = make_services(database, START)
    channel = Channel()
    dispatcher = Dispatcher(services, channel, clock)
    await services.ctx.store.update_guild_settings(GUILD, {"timezone": "Europe/Berlin"}, START)
    saved = await services.schedules.set_showcase(GUILD, 77, "sun", "18:00", by=1)
    assert "the portfolio showcase in <#77>, sun at 18:00 (Europe/Berlin)" in saved.fields[0].value
    preview = await services.schedules.preview(GUILD, 7)
    assert "Sun 29 Nov 18:00 Europe/Berlin · #77 · portfolio showcase (showcase:2026-W48)" in (
        preview.body
    )

    clock.set(START - timedelta(days=20))
    old = await submit(services, CY, "Old but gold")  # outside the two-week window
    await services.portfolio.review(BOB, old, {k: "4" for k in GOOD}, "Superb.")
    clock.set(START)
    best = await submit(services, ADA, "Bus delays")
    good = await submit(services, BOB, "Crop yields")
    await submit(services, CY, "Heat pumps")  # no review: not featured
    await services.portfolio.review(BOB, best, {k: "4" for k in GOOD}, "Excellent.")
    await services.portfolio.review(CY, best, {**GOOD, "code": "4"}, "Solid.")
    await services.portfolio.review(ADA, good, GOOD, "Good.")

    week = START + timedelta(days=7)
    await dispatcher.tick(START, week)
    await dispatcher.tick(START, week)  # again: posted once
    [post] = channel.posts
    assert (post.kind, post.key, post.channel_id) == ("showcase", "showcase:2026-W48", 77)
    [card] = post.cards
    assert card.title == "🏆 Portfolio showcase · 2026-W48"
    assert [f.name for f in card.fields] == ["🥇 Bus delays", "🥈 Crop yields"]
    assert card.fields[0].value.startswith(f"by <@{ADA.user_id}>")
    assert [a.intent for a in card.actions] == [
        ReviewProject(project=best),
        ReviewProject(project=good),
    ]
    delivery = await services.ctx.store.timed.delivery(GUILD, "showcase", "showcase:2026-W48")
    assert delivery is not None and delivery.state == "posted"

    # The next week: featured projects are not featured again; nothing new is reviewed.
    await dispatcher.tick(week, week + timedelta(days=7))
    assert len(channel.posts) == 1
    skipped = await services.ctx.store.timed.delivery(GUILD, "showcase", "showcase:2026-W49")
    assert skipped is not None and skipped.state == "skipped"
    featured = await database.read(
        lambda s: (
            s.execute(
                select(PortfolioProject.title).where(
                    col(PortfolioProject.showcased_in).is_not(None)
                )
            )
            .scalars()
            .all()
        )
    )
    assert sorted(featured) == ["Bus delays", "Crop yields"]
    assert (await services.schedules.off(GUILD, "showcase")).title == "Schedule off: showcase"
