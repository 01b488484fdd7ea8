"""`studybot …` and `python -m bot …`: the one entry point of every adapter and tool."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from bot.runner.cli import runner_app
from bot.settings import ROOT, Settings, SettingsError, load_settings

app = typer.Typer(
    help="Studybot: a study assistant for learning Python for machine learning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic) commands.", no_args_is_help=True)
schedule_app = typer.Typer(
    help="A server's timed posts (lessons, daily challenge, leaderboard).", no_args_is_help=True
)
content_app = typer.Typer(help="Roadmap and quiz content.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(schedule_app, name="schedule")
app.add_typer(runner_app, name="runner")

log = logging.getLogger("bot")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        fail(f"studybot: {error}", 2)


def _data_folder(settings: Settings) -> Path:
    """Where the console keeps its log and history: beside an SQLite file, else ./data."""
    from bot.storage.urls import is_sqlite, normalise_url

    url = normalise_url(settings.database_url)
    if is_sqlite(url) and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent
    return ROOT / "data"


def _log_to_file(settings: Settings) -> Path:
    """Interactive tools keep tracebacks out of the terminal and in a file beside the data."""
    path = _data_folder(settings) / "studybot.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=path,
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return path


@contextmanager
def user_errors() -> Iterator[None]:
    """Expected start-up failures become the one-line messages they carry, exit code 2;
    anything else is a bug and keeps its traceback (in the log for interactive tools)."""
    from bot.curriculum.model import ContentError
    from bot.storage.db import DatabaseUnavailable
    from bot.storage.migrate import MigrationError

    try:
        yield
    except ContentError as error:
        fail(f"studybot: the content has problems:\n{error}", 2)
    except (DatabaseUnavailable, MigrationError) as error:
        fail(f"studybot: {error}", 2)


def _user_id(name: str) -> int:
    """A stable id for a console user name, in Discord's snowflake range."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big")


def _local_zone() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:
        return "UTC"


@app.command()
def console(
    guild: Annotated[int, typer.Option(help="The local server id.")] = 1,
    user: Annotated[str, typer.Option(help="Your name in this session.")] = "",
    timezone: Annotated[
        str, typer.Option(help="Your IANA time zone (default: this computer's).")
    ] = "",
) -> None:
    """A study session in the terminal, on the same services and data as the Discord bot."""
    from rich.console import Console

    from bot.adapters.console.session import (
        ConsoleSession,
        LineSource,
        PipeLines,
        TerminalLines,
        is_interactive,
    )
    from bot.app import build_app
    from bot.cards import UserError
    from bot.domain.values import MemberRef

    settings = _settings()
    log_file = _log_to_file(settings)
    name = user or os.environ.get("USER") or "student"
    who = MemberRef(guild_id=guild, user_id=_user_id(name), display_name=name)
    with user_errors():
        studybot = build_app(settings)
    interactive = is_interactive(sys.stdin)
    out = Console(highlight=False, width=None if interactive else 100)
    lines: LineSource = (
        TerminalLines(log_file.parent / "console-history") if interactive else PipeLines(sys.stdin)
    )

    async def session() -> int:
        try:
            # Only --timezone (or a member's first session) sets the zone: /timezone stays.
            await studybot.services.progress.settle_zone(who, timezone or None, _local_zone())
        except UserError as error:
            typer.echo(f"studybot: {error}", err=True)
            return 2
        try:
            console = ConsoleSession(
                studybot.services, who, out, interactive, files=log_file.parent / "files"
            )
            await console.run(lines)
        finally:
            await studybot.aclose()
        return 0

    code = asyncio.run(session())
    if code:
        raise typer.Exit(code)


def _log_to_stderr(settings: Settings) -> None:
    """A long-running service logs to stderr, where its supervisor (systemd, Docker) collects it."""
    logging.basicConfig(
        stream=sys.stderr,
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _discord_settings() -> Settings:
    settings = _settings()
    if not settings.discord_token:
        fail("studybot: set STUDYBOT_DISCORD_TOKEN (in the environment or .env) to run the bot", 2)
    return settings


@app.command()
def run() -> None:
    """The Discord bot (needs STUDYBOT_DISCORD_TOKEN); logs to stderr."""
    from bot.adapters.discord.bot import DiscordUnavailable, StudyBot, discord_failures
    from bot.app import build_app

    settings = _discord_settings()
    _log_to_stderr(settings)
    with user_errors():
        studybot = build_app(settings)

    async def serve() -> None:
        bot = StudyBot.from_settings(studybot.services, settings)
        # `docker stop` and systemd send SIGTERM: close the gateway and the runner cleanly.
        stopping: set[asyncio.Task[None]] = set()
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: stopping.add(asyncio.create_task(bot.close()))
        )
        try:
            async with bot:
                await bot.start(settings.discord_token)
        finally:
            await studybot.aclose()

    try:
        with discord_failures():
            asyncio.run(serve())
    except KeyboardInterrupt:
        log.info("stopped")
    except DiscordUnavailable as error:
        fail(f"studybot: {error}", 2)


@app.command()
def sync(
    guild: Annotated[
        int | None, typer.Option(help="Register in this server only (instant); else globally.")
    ] = None,
) -> None:
    """Register the slash commands with Discord, print what was registered, and exit."""
    from bot.adapters.discord.bot import (
        DiscordUnavailable,
        StudyBot,
        describe_commands,
        discord_failures,
        sync_commands,
    )
    from bot.app import build_app

    settings = _discord_settings()
    with user_errors():
        studybot = build_app(settings)
    target = f"guild:{guild}" if guild else "global"

    async def register() -> tuple[int, list[str]]:
        bot = StudyBot.from_settings(studybot.services, settings, sync_on_start="off")
        try:
            async with bot:
                await bot.login(settings.discord_token)  # runs setup_hook: the tree is built
                synced = await sync_commands(bot, target)
                return len(synced), describe_commands(synced)
        finally:
            await studybot.aclose()

    try:
        with discord_failures():
            count, lines = asyncio.run(register())
    except DiscordUnavailable as error:
        fail(f"studybot: {error}", 2)
    where = f"in server {guild}" if guild else "globally (Discord may take a while to show them)"
    typer.echo(f"synced {count} commands {where}:")
    for line in lines:
        typer.echo(f"  {line}")


def _database_command(action: Callable[[str], None]) -> None:
    from bot.storage.db import DatabaseUnavailable
    from bot.storage.migrate import MigrationError
    from bot.storage.urls import normalise_url

    settings = _settings()
    url = normalise_url(settings.database_url).render_as_string(hide_password=False)
    try:
        action(url)
    except (DatabaseUnavailable, MigrationError) as error:
        fail(f"studybot: {error}", 2)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database up to a revision (default: the latest)."""
    from bot.storage import migrate

    def action(url: str) -> None:
        migrate.upgrade(url, revision)
        typer.echo(f"at revision {migrate.current(url)}")

    _database_command(action)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="e.g. base or 0001")]) -> None:
    """Migrate the database down to a revision."""
    from bot.storage import migrate

    def action(url: str) -> None:
        migrate.downgrade(url, revision)
        typer.echo(f"at revision {migrate.current(url) or 'base'}")

    _database_command(action)


@db_app.command("rebuild-stats")
def db_rebuild_stats(
    guild: Annotated[int | None, typer.Option(help="Only this server.")] = None,
) -> None:
    """Recompute the caches from the stored facts: streaks, freezes and streak events from
    the counted study days; XP totals and every leaderboard period from the XP events."""
    from bot.clock import SystemClock
    from bot.storage.db import Database
    from bot.storage.store import Store

    def action(url: str) -> None:
        from bot.app import prepare_database

        database = Database(url)
        try:
            prepare_database(database)
            count = asyncio.run(Store(database).rebuild_stats(SystemClock().now(), guild))
        finally:
            database.close()
        typer.echo(f"rebuilt the streaks, XP totals and leaderboards of {count} members")

    _database_command(action)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    from bot.storage import migrate

    _database_command(lambda url: typer.echo(migrate.current(url) or "base (empty)"))


@content_app.command("check")
def content_check(
    content: Annotated[Path | None, typer.Option(help="Lessons folder.")] = None,
    quizzes: Annotated[Path | None, typer.Option(help="Quiz banks folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate lessons and quiz banks; print every problem as path:line: message."""
    from bot.curriculum.check import run_check

    settings = _settings()
    code, text = run_check(
        content or settings.content_dir, quizzes or settings.quizzes_dir, as_json=as_json
    )
    typer.echo(text)
    raise typer.Exit(code)


@content_app.command("notebook")
def content_notebook(
    lesson: Annotated[str, typer.Argument(help="Lesson id, e.g. numpy-arrays.")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: LESSON.ipynb).")] = None,
    content: Annotated[Path | None, typer.Option(help="Lessons folder.")] = None,
    quizzes: Annotated[Path | None, typer.Option(help="Quiz banks folder.")] = None,
) -> None:
    """Write a lesson as a Jupyter notebook (nbformat 4) and print where it went."""
    from bot.cards import UserError
    from bot.curriculum.loader import load_curriculum
    from bot.curriculum.notebook import file_name, notebook_bytes
    from bot.services.lessons import find_lesson

    settings = _settings()
    with user_errors():
        curriculum = load_curriculum(
            content or settings.content_dir, quizzes or settings.quizzes_dir
        )
    try:
        found = find_lesson(curriculum, lesson)
    except UserError as error:
        fail(f"studybot: {error}", 2)
    target = out or Path(file_name(found))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(notebook_bytes(found, curriculum))
    except OSError as error:
        fail(f"studybot: cannot write {target}: {error.strerror or error}", 2)
    typer.echo(f"Wrote {target}")


@content_app.command("exercises")
def content_exercises(
    only: Annotated[list[str] | None, typer.Argument(help="Exercise ids (default: all).")] = None,
) -> None:
    """Run each exercise's solution and starter in the runner: the solution must pass every
    case and the starter fail one. Prints each problem as path:line: id: what."""
    from bot.cards import Card

    async def work(services: Any) -> Card:
        chosen = [services.exercises.find(name) for name in only or []]
        problems = await services.exercises.verify(chosen or None)
        if problems:
            fail("\n".join(problems))
        count = len(chosen or services.exercises.ordered())
        return Card("Exercises checked", f"{count} exercises: solutions pass, starters fail.")

    _with_services(work)


def _service_call(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Build the app (as every adapter does), run one service call, return what it gave."""
    from bot.app import build_app
    from bot.cards import UserError

    settings = _settings()
    with user_errors():
        studybot = build_app(settings)

    async def call() -> Any:
        try:
            return await work(studybot.services)
        finally:
            await studybot.aclose()

    try:
        return asyncio.run(call())
    except UserError as error:
        fail(f"studybot: {error}", 2)


def _with_services(work: Callable[[Any], Awaitable[Any]]) -> None:
    """One service call whose card is printed."""
    from rich.console import Console

    from bot.adapters.console.render import print_card

    print_card(Console(highlight=False), _service_call(work))


GuildOption = Annotated[int, typer.Option("--guild", help="The server's id (the console's: 1).")]


@schedule_app.command("set")
def schedule_set(
    guild: GuildOption,
    kind: Annotated[str, typer.Argument(help="lessons, challenge, leaderboard or showcase")],
    time: Annotated[str, typer.Option(help="HH:MM in the server's zone.")],
    channel: Annotated[int | None, typer.Option(help="The channel id (none: the console).")] = None,
    days: Annotated[
        str, typer.Option(help="daily, weekdays or mon,wed,fri (leaderboard, showcase: its day).")
    ] = "daily",
    track: Annotated[str | None, typer.Option(help="lessons: the track to start at.")] = None,
    period: Annotated[str, typer.Option(help="leaderboard: week, month or all.")] = "week",
) -> None:
    """Set one of a server's schedules (replacing the one of that kind)."""
    wanted = kind.strip().lower()

    async def work(services: Any) -> Any:
        schedules = services.schedules
        if wanted == "lessons":
            return await schedules.set_lessons(guild, channel, time, days, track)
        if wanted == "challenge":
            return await schedules.set_challenge(guild, channel, time)
        if wanted == "leaderboard":
            return await schedules.set_leaderboard(guild, channel, days, time, period)
        if wanted == "showcase":
            return await schedules.set_showcase(guild, channel, days, time)
        return await schedules.off(guild, wanted)  # refuses with the list of kinds

    _with_services(work)


@schedule_app.command("show")
def schedule_show(guild: GuildOption) -> None:
    """A server's schedules, their next posts and any problem."""
    _with_services(lambda services: services.schedules.show(guild))


@schedule_app.command("off")
def schedule_off(
    guild: GuildOption,
    kind: Annotated[str, typer.Argument(help="lessons, challenge, leaderboard or showcase")],
) -> None:
    """Stop one of a server's schedules."""
    _with_services(lambda services: services.schedules.off(guild, kind))


@schedule_app.command("preview")
def schedule_preview(
    guild: GuildOption,
    days: Annotated[int, typer.Option(help="How many days ahead.")] = 7,
) -> None:
    """What the server's schedules will post, and when, in the server's zone."""
    _with_services(lambda services: services.schedules.preview(guild, days))


@app.command()
def report(
    guild: GuildOption,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
) -> None:
    """Write a moderator's report on one server: activity, lesson funnel and the item analysis
    (every question, flagged ones with their key and common wrong answers), as one
    self-contained HTML file."""
    made = _service_call(lambda services: services.stats.report(guild))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(made.html, encoding="utf-8")
    except OSError as error:
        fail(f"studybot: cannot write {out}: {error.strerror or error}", 2)
    typer.echo(f"Wrote {out}: {made.summary()}")


def main() -> None:
    app()
