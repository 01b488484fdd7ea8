"""The composition root: settings in, a ready set of services out, the same for every adapter."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from bot.clock import Clock, SystemClock
from bot.curriculum.loader import load_curriculum
from bot.curriculum.model import Curriculum
from bot.runner.client import RunnerBackend, backend_from_url
from bot.services import Services
from bot.services.context import Context
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    runner: RunnerBackend | None

    @property
    def curriculum(self) -> Curriculum:
        return self.services.ctx.curriculum

    async def aclose(self) -> None:
        """Stop the runner child (if one was started) and the database threads."""
        if self.runner is not None:
            await self.runner.close()
        self.db.close()


def reload_curriculum(settings: Settings, ctx: Context) -> Curriculum:
    """Swap in freshly loaded content as a whole, or raise ContentError and swap nothing."""
    curriculum = load_curriculum(settings.content_dir, settings.quizzes_dir)
    ctx.curriculum = curriculum
    return curriculum


def prepare_database(db: Database) -> None:
    """Reach the database; bring an embedded SQLite file up to date, refuse a stale server."""
    db.ping()
    url = db.url.render_as_string(hide_password=False)
    if db.sqlite:
        if migrate.ensure_schema(url):
            log.info("database %s migrated to %s", db.display_url, migrate.current(url))
        return
    migrate.require_head(url)


def build_app(
    settings: Settings, clock: Clock | None = None, rng: random.Random | None = None
) -> App:
    """Raises ContentError, DatabaseUnavailable or MigrationError, each with a message
    meant for whoever started the program."""
    curriculum = load_curriculum(settings.content_dir, settings.quizzes_dir)
    db = Database(settings.database_url)
    try:
        prepare_database(db)
    except Exception:
        db.close()
        raise
    ctx = Context(
        store=Store(db),
        clock=clock or SystemClock(),
        curriculum=curriculum,
        rng=rng or random.SystemRandom(),
    )
    # Nothing starts until the first snippet: the local runner is spawned on first use.
    runner = backend_from_url(settings.runner_url)
    services = Services.build(
        ctx,
        runner,
        reload_content=partial(reload_curriculum, settings, ctx),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )
    return App(settings=settings, db=db, services=services, runner=runner)
