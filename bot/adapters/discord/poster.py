"""Timed posts as Discord messages: the `Poster` the dispatcher hands its posts to.

A post is sent with a nonce made from its key (Discord answers a repeat within minutes with
the message it already made); a lapsed claim is first looked for among the channel's recent
messages by the bot. A channel that is gone or closed to the bot raises `ChannelGone`, which
switches its schedule off; anything passing raises `PostFailed`, and the claim is retried.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord

from bot.adapters.discord.render import render
from bot.cards import Card
from bot.domain.values import MemberRef
from bot.scheduling.dispatcher import ChannelGone, PostFailed
from bot.services.schedules import Notice, Post

if TYPE_CHECKING:
    from bot.adapters.discord.bot import StudyBot

log = logging.getLogger(__name__)

HISTORY = 50
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day, then the thread tidies itself away


class DiscordPoster:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def _channel(self, channel_id: int | None) -> Any:
        if channel_id is None:
            raise ChannelGone("no channel is set")
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound:
                raise ChannelGone("the channel was deleted") from None
            except discord.Forbidden:
                raise ChannelGone("the bot cannot see the channel") from None
            except discord.HTTPException as error:
                raise PostFailed(str(error)) from None
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelGone("the channel cannot take messages")
        guild = getattr(channel, "guild", None)
        if guild is not None and guild.me is not None:
            allowed = channel.permissions_for(guild.me)
            for name, label in (
                ("view_channel", "View Channel"),
                ("send_messages", "Send Messages"),
                ("embed_links", "Embed Links"),
            ):
                if not getattr(allowed, name):
                    raise ChannelGone(f"the bot lacks the {label} permission")
        return channel

    async def publish(self, post: Post) -> int | None:
        channel = await self._channel(post.channel_id)
        rendered = render(*post.cards)
        try:
            if post.edit_message_id is not None:
                try:
                    message = await channel.get_partial_message(post.edit_message_id).edit(
                        **_edit_kwargs(rendered.send_kwargs())
                    )
                    return int(message.id)
                except discord.NotFound:
                    log.info(
                        "guild %d: the %s message was deleted; posting anew",
                        post.guild_id,
                        post.key,
                    )
            reference = None
            if post.reply_to is not None:
                reference = discord.MessageReference(
                    message_id=post.reply_to, channel_id=channel.id, fail_if_not_exists=False
                )
            message = await channel.send(
                **rendered.send_kwargs(), nonce=int(post.nonce), reference=reference
            )
        except discord.NotFound:
            raise ChannelGone("the channel was deleted") from None
        except discord.Forbidden as error:
            raise ChannelGone(f"Discord refused the post ({error.text or 'forbidden'})") from None
        except (discord.HTTPException, OSError) as error:
            raise PostFailed(str(error)) from None
        if post.thread_name:
            await self._thread(message, post)
        return int(message.id)

    async def _thread(self, message: discord.Message, post: Post) -> None:
        """The discussion thread, with the rest of the lesson; the post stands without it."""
        try:
            thread = await message.create_thread(
                name=post.thread_name or "Discussion", auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            for card in post.thread_cards:
                await thread.send(**render(card).send_kwargs())
        except discord.HTTPException as error:
            log.warning("guild %d: no thread on %s: %s", post.guild_id, post.key, error)

    async def find(self, post: Post) -> int | None:
        """The bot's own message with the post's title, sent since the claim was made."""
        channel = await self._channel(post.channel_id)
        since = (post.claimed_at or discord.utils.utcnow()) - timedelta(minutes=1)
        try:
            async for message in channel.history(limit=HISTORY, after=since):
                mine = self.bot.user is not None and message.author.id == self.bot.user.id
                if mine and message.embeds and message.embeds[0].title == post.title:
                    return int(message.id)
        except discord.Forbidden:
            raise ChannelGone("the bot cannot read the channel's history") from None
        except discord.HTTPException as error:
            raise PostFailed(str(error)) from None
        return None

    async def notify(self, notice: Notice) -> None:
        """The moderator who set the schedule by DM; else the server's system channel."""
        if notice.user_id is not None:
            try:
                user = self.bot.get_user(notice.user_id) or await self.bot.fetch_user(
                    notice.user_id
                )
                await user.send(notice.text, allowed_mentions=discord.AllowedMentions.none())
                return
            except discord.HTTPException:
                log.info("could not DM moderator %s; trying the system channel", notice.user_id)
        guild = self.bot.get_guild(notice.guild_id)
        channel = guild.system_channel if guild is not None else None
        if channel is None:
            log.warning("guild %d: nobody to tell: %s", notice.guild_id, notice.text)
            return
        try:
            await channel.send(notice.text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning(
                "guild %d: could not tell the system channel: %s", notice.guild_id, notice.text
            )

    async def dm(self, who: MemberRef, card: Card) -> bool:
        try:
            user = self.bot.get_user(who.user_id) or await self.bot.fetch_user(who.user_id)
            await user.send(**render(card).send_kwargs())
        except (discord.Forbidden, discord.NotFound):
            return False
        return True


def _edit_kwargs(kwargs: Any) -> dict[str, Any]:
    """`send` keywords as `edit` takes them: files become attachments, which replace the old."""
    edit = dict(kwargs)
    files = edit.pop("files", None)
    edit["attachments"] = files or []
    edit.setdefault("view", None)
    return edit
