"""`/portfolio` in the console: forms asked line by line, the same service calls as Discord,
three members sharing one database (each a console session of their own)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from bot.adapters.console.render import command_for
from bot.adapters.console.session import ConsoleSession, PipeLines
from bot.domain.portfolio import XP_HELPFUL_REVIEW
from bot.domain.values import MemberRef
from bot.services import Services
from bot.services.portfolio import EditProject, MarkHelpful, RateProject, ReviewProject
from bot.storage.db import Database
from tests.support import make_services

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ADA = MemberRef(guild_id=1, user_id=7, display_name="ada")
BOB = MemberRef(guild_id=1, user_id=8, display_name="bob")
CY = MemberRef(guild_id=1, user_id=9, display_name="cy")


async def drive(services: Services, who: MemberRef, script: str) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, width=160, color_system=None, highlight=False)
    session = ConsoleSession(services, who, out, interactive=False)
    await session.run(PipeLines(io.StringIO(script)))
    return buffer.getvalue()


SUBMIT = "\n".join(
    [
        "/portfolio submit",
        "Bus delays in Leeds",
        "",  # empty: asked again
        "Commuters cannot tell which buses will be late, @everyone.",
        "Two years of GTFS-realtime feeds.",
        "ftp://ada.dev/bus",  # not http(s): asked again
        "https://github.com/ada/bus-delays",
        "MAE 2.1 min vs 3.4 for the timetable; fails on match days.",
        "/portfolio show",
        "",
    ]
)


async def test_submit_review_and_helpful_in_the_console(database: Database) -> None:
    services, _clock = make_services(database, NOW)
    ada = await drive(services, ADA, SUBMIT)
    assert "New portfolio project — answer each question on one line; /cancel stops." in ada
    assert "The problem is empty. Try again, or /cancel." in ada
    assert "The link must be an http:// or https:// address. Try again, or /cancel." in ada
    assert "✅ Bus delays in Leeds" in ada and "(1 of 4)" in ada
    assert "🗂️ ada's portfolio" in ada and "no reviews yet" in ada
    assert "@everyone" not in ada and "＠everyone" in ada
    [board] = await services.portfolio.store.boards_of(1, ADA.user_id)
    project = board.project.id
    assert f"✏️ Edit #{project}: /portfolio edit {project}" in ada

    bob = await drive(
        services,
        BOB,
        "/portfolio review\n3\n7\n4\n2\n3\nClear problem; add a baseline.\n"
        f"/portfolio review {project}\n",
    )
    assert bob.index("📝 Review: Bus delays in Leeds") < bob.index("Real problem: Does it")
    assert "  1 — A textbook dataset, no question of its own" in bob
    assert "Each criterion takes a score from 1 to 4. Try again, or /cancel." in bob
    assert "✅ Review saved: Bus delays in Leeds" in bob
    assert "📝 New review: Bus delays in Leeds" in bob and "Comment" in bob
    assert "You have already reviewed this project." in bob
    [review] = await services.portfolio.store.reviews_for(1, ADA.user_id)
    assert review.scores.values() == (3, 4, 2, 3)
    assert f"👍 Helpful: /portfolio helpful {review.id}" in bob

    ada = await drive(
        services,
        ADA,
        f"/portfolio review {project}\n/portfolio helpful {review.id}\n"
        f"/portfolio helpful {review.id}\n/portfolio show\n",
    )
    assert "You cannot review your own project." in ada
    assert "👍 Marked helpful" in ada and f"bob gets +{XP_HELPFUL_REVIEW} XP" in ada
    assert "You have already marked this review helpful." in ada
    assert "💬 Reviews of your projects" in ada and "👍 helpful" in ada
    assert (await services.ctx.store.member(BOB)).xp_total == XP_HELPFUL_REVIEW

    cy = await drive(
        services,
        CY,
        f"/portfolio helpful {review.id}\n/portfolio review {project} 4 4 3 five Good\n"
        f"/portfolio review {project} 4 4 3 3 Good work, clear README.\n/portfolio show ada\n",
    )
    assert "Only the project's author can mark its reviews helpful." in cy
    assert "Each criterion takes a score from 1 to 4." in cy
    assert "✅ Review saved: Bus delays in Leeds" in cy
    assert "2 reviews · real problem 3.5 · end to end 4.0" in cy
    assert f"📝 Review #{project}: /portfolio review {project}" in cy


async def test_edit_keeps_fields_on_enter_and_cancel_saves_nothing(database: Database) -> None:
    services, _clock = make_services(database, NOW)
    await drive(services, ADA, SUBMIT)
    [board] = await services.portfolio.store.boards_of(1, ADA.user_id)
    project = board.project.id
    text = await drive(
        services,
        ADA,
        f"/portfolio edit {project}\n\n\n\n\nNow with a holdout year; fails on strikes.\n"
        f"/portfolio edit {project}\nRenamed\n/cancel\n/portfolio edit nothing\n/portfolio\n"
        "/portfolio submit\nSecond\n/quit\n",
    )
    assert "Now: Bus delays in Leeds" in text and "(Enter keeps it)" in text
    assert "✅ Bus delays in Leeds" in text and "updated" in text
    assert "Form closed; nothing was saved." in text
    assert "That is not one of your projects; /portfolio show lists yours." in text
    assert "Use /portfolio submit, /portfolio edit ID" in text
    [board] = await services.portfolio.store.boards_of(1, ADA.user_id)  # /quit saved nothing
    assert board.project.title == "Bus delays in Leeds"
    assert board.project.evaluation == "Now with a holdout year; fails on strikes."
    assert board.project.link == "https://github.com/ada/bus-delays"


async def test_nothing_to_review_in_a_quiet_server(database: Database) -> None:
    services, _clock = make_services(database, NOW)
    text = await drive(services, ADA, "/portfolio review\n3\n")
    assert "Nothing to review right now" in text
    assert "There is no open question." in text  # no form was left open


def test_portfolio_intents_become_the_commands_to_type() -> None:
    assert command_for(EditProject(owner=1, project=0)) == "/portfolio submit"
    assert command_for(EditProject(owner=1, project=3)) == "/portfolio edit 3"
    assert command_for(RateProject(owner=1, project=3)) == "/portfolio review 3"
    assert command_for(ReviewProject(project=3)) == "/portfolio review 3"
    assert command_for(MarkHelpful(owner=1, review=9)) == "/portfolio helpful 9"
