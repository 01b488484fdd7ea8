"""The console's local server posts too: its schedule's lessons and challenges land in the
member's feed, claimed through the same deliveries as Discord's posts, shown at start and on
`/feed`."""

from __future__ import annotations

from bot.cards import Card
from bot.domain.values import MemberRef
from bot.scheduling.dispatcher import Dispatcher, OneServer
from bot.services import Services
from bot.services.schedules import Notice, Post


class FeedPoster:
    """Posts go to the feed (no message to make); notices are kept for the next print."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    async def publish(self, post: Post) -> int | None:
        return None

    async def find(self, post: Post) -> int | None:
        return None

    async def notify(self, notice: Notice) -> None:
        self.notices.append(notice.text)

    async def dm(self, who: MemberRef, card: Card) -> bool:
        return False  # no direct messages in a terminal


async def catch_up(services: Services, guild_id: int) -> list[str]:
    """Make the local server's due posts (as the bot does at start); notices to show."""
    poster = FeedPoster()
    dispatcher = Dispatcher(services, poster, services.ctx.clock, OneServer(guild_id))
    await dispatcher.catch_up()
    await dispatcher.sweep()
    return poster.notices
