"""Nonces, permissions, deleted channels, threads, DMs, replies and history, through discord.py.

The probe client is a plain `discord.Client`; everything it does is a real REST call or a real
gateway event, so these tests show the fake answers what the bot will meet on Discord.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest
from discord.http import Route

from tests.fakediscord.fixtures import StudyServer, seed_study_server
from tests.fakediscord.models import (
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    HAS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    REPLY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_STARTER_MESSAGE,
    VIEW_CHANNEL,
    FakeMessage,
)
from tests.fakediscord.probe import ProbeClient, eventually
from tests.fakediscord.server import FakeDiscord


def _events(fake: FakeDiscord, event: str) -> list[dict]:
    """Every `event` the fake sent on any gateway session, oldest first."""
    return [p["d"] for s in fake.gateway.sessions.values() for p in s.history if p["t"] == event]


# -- nonces -------------------------------------------------------------------------------------


async def test_a_repeated_nonce_returns_the_first_message_until_the_window_ends(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = probe.text_channel(study_server.lessons.id)
    first = await lessons.send("Daily challenge #12", nonce="daily-12")
    again = await lessons.send("Daily challenge #12", nonce="daily-12")
    assert again.id == first.id and again.nonce == "daily-12"
    stored = fake_discord.channel_messages(study_server.lessons)
    assert [m.id for m in stored] == [first.id]
    assert stored[0].nonce == "daily-12"
    body = fake_discord.requests_to("POST", f"/channels/{lessons.id}/messages")[1].json
    assert body["nonce"] == "daily-12" and body["enforce_nonce"] is True  # discord.py's default
    created = [e for e in _events(fake_discord, "MESSAGE_CREATE") if e["id"] == str(first.id)]
    assert len(created) == 1 and created[0]["nonce"] == "daily-12"

    elsewhere = await probe.text_channel(study_server.general.id).send("x", nonce="daily-12")
    assert elsewhere.id != first.id, "a nonce counts per channel"
    fake_discord.clock.advance(fake_discord.nonce_window - 1)
    assert (await lessons.send("Daily challenge #12", nonce="daily-12")).id == first.id
    fake_discord.clock.advance(2)
    later = await lessons.send("Daily challenge #12", nonce="daily-12")
    assert later.id != first.id, "past the window the nonce is free again"
    assert later.created_at > first.created_at
    assert len(fake_discord.channel_messages(study_server.lessons)) == 2


async def test_the_clock_can_start_the_fake_at_a_tests_frozen_time() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    async with FakeDiscord(now=start) as fake:
        study = seed_study_server(fake)
        client = ProbeClient()
        with fake.patch_discord_py():
            async with fake.connected(client):
                sent = await client.text_channel(study.lessons.id).send("Monday's lesson")
                fake.clock.advance(timedelta(days=1))
                later = await client.text_channel(study.lessons.id).send("Tuesday's lesson")
    assert start <= sent.created_at < start + timedelta(seconds=5)
    assert discord.utils.snowflake_time(sent.id) == sent.created_at
    assert later.created_at - sent.created_at >= timedelta(days=1)
    assert study.guild.id < sent.id < later.id
    with pytest.raises(ValueError, match="cannot go back"):
        fake.clock.set(start)


async def test_nonce_longer_than_25_characters_is_a_form_error(
    probe: ProbeClient, study_server: StudyServer
) -> None:
    with pytest.raises(discord.HTTPException) as raised:
        await probe.text_channel(study_server.lessons.id).send("x", nonce="n" * 26)
    assert raised.value.status == 400 and raised.value.code == 50035
    assert "nonce" in raised.value.text


# -- permissions and deleted channels -------------------------------------------------------------


async def test_overwrites_reach_permissions_for_and_refuse_the_bot(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = probe.text_channel(study_server.lessons.id)
    earlier = await lessons.send("posted while allowed")
    me = lessons.guild.me
    assert lessons.permissions_for(me).send_messages

    await study_server.lessons.deny(fake_discord.bot, SEND_MESSAGES | CREATE_PUBLIC_THREADS)
    await eventually(lambda: not lessons.permissions_for(me).send_messages)
    assert lessons.permissions_for(me).view_channel
    assert not lessons.permissions_for(me).embed_links, "no sending implies no embeds"
    with pytest.raises(discord.Forbidden) as refused:
        await lessons.send("not allowed")
    assert refused.value.code == 50013 and refused.value.text == "Missing Permissions"
    with pytest.raises(discord.Forbidden) as edit:
        await earlier.edit(content="edited")
    assert edit.value.code == 50013
    with pytest.raises(discord.Forbidden) as thread:
        await earlier.create_thread(name="questions")
    assert thread.value.code == 50013
    overwrites = (await probe.fetch_channel(lessons.id))._overwrites  # type: ignore[union-attr]
    assert [(o.id, o.type, o.deny) for o in overwrites] == [
        (fake_discord.bot.id, 1, SEND_MESSAGES | CREATE_PUBLIC_THREADS)
    ]

    await study_server.lessons.deny(study_server.guild.everyone, VIEW_CHANNEL)
    await study_server.lessons.clear(fake_discord.bot)
    await eventually(lambda: not lessons.permissions_for(me).view_channel)
    with pytest.raises(discord.Forbidden) as hidden:
        await lessons.send("cannot even see it")
    assert hidden.value.code == 50001 and hidden.value.text == "Missing Access"

    await study_server.lessons.allow(study_server.guild.role("Studybot"), VIEW_CHANNEL)
    await eventually(lambda: lessons.permissions_for(me).send_messages)
    assert (await lessons.send("allowed again")).content == "allowed again"
    assert not study_server.member.permissions_in(study_server.lessons) & VIEW_CHANNEL
    assert len(_events(fake_discord, "CHANNEL_UPDATE")) == 4


async def test_interaction_permissions_are_the_channels(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    study_server.lessons.deny(study_server.guild.everyone, EMBED_LINKS)
    study_server.lessons.deny(fake_discord.bot, SEND_MESSAGES)
    client = ProbeClient()
    tree = discord.app_commands.CommandTree(client)
    seen: list[discord.Interaction] = []

    @tree.command(description="Who may do what here")
    async def perms(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message("noted", ephemeral=True)

    async with fake_discord.connected(client):
        tree.copy_global_to(guild=discord.Object(study_server.guild.id))
        await tree.sync(guild=discord.Object(study_server.guild.id))
        await fake_discord.slash("perms", channel=study_server.lessons)
        await fake_discord.slash("perms", channel=study_server.general)
    in_lessons, in_general = seen
    assert not in_lessons.app_permissions.send_messages and in_lessons.app_permissions.view_channel
    assert not in_lessons.permissions.embed_links and in_lessons.permissions.send_messages
    assert in_general.app_permissions.send_messages and in_general.permissions.embed_links


async def test_a_removed_channel_is_deleted_for_the_client_and_unknown_over_rest(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    general = probe.text_channel(study_server.general.id)
    posted = await general.send("last words")
    await study_server.guild.remove_channel(study_server.general)
    await eventually(lambda: probe.get_channel(study_server.general.id) is None)
    with pytest.raises(discord.NotFound) as raised:
        await general.send("anyone?")
    assert raised.value.code == 10003 and raised.value.text == "Unknown Channel"
    with pytest.raises(discord.NotFound):
        await posted.edit(content="changed")
    assert [m.content for m in fake_discord.channel_messages(study_server.general)] == [
        "last words"
    ]
    assert study_server.general.deleted and fake_discord.channel(study_server.general.id) is None
    assert _events(fake_discord, "CHANNEL_DELETE")[0]["id"] == str(study_server.general.id)


async def test_system_channel_is_in_the_guild_payload_and_updates(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    study_server.guild.system_channel_id = study_server.general.id
    client = ProbeClient()
    async with fake_discord.connected(client):
        guild = client.get_guild(study_server.guild.id)
        assert guild is not None and guild.system_channel is not None
        assert guild.system_channel.id == study_server.general.id
        await study_server.guild.set_system_channel(study_server.lessons)
        await eventually(lambda: guild.system_channel.id == study_server.lessons.id)  # type: ignore[union-attr]


# -- threads --------------------------------------------------------------------------------------


async def test_a_thread_started_from_a_lesson_takes_the_questions(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = probe.text_channel(study_server.lessons.id)
    lesson = await lessons.send("Lesson 4: pandas")
    thread = await lesson.create_thread(name="Lesson 4 questions", auto_archive_duration=1440)
    assert thread.id == lesson.id, "a thread from a message has the message's id"
    assert thread.type is discord.ChannelType.public_thread
    assert thread.parent_id == lessons.id and thread.owner_id == fake_discord.bot.id
    assert thread.auto_archive_duration == 1440 and not thread.archived
    first = await thread.send("Q1: what is a DataFrame?")
    await fake_discord.post_message(
        fake_discord.threads_of(lessons.id)[0], study_server.member, "a table"
    )

    [stored] = fake_discord.threads_of(study_server.lessons)
    assert (stored.id, stored.type, stored.name) == (lesson.id, PUBLIC_THREAD, "Lesson 4 questions")
    messages = fake_discord.channel_messages(stored)
    assert [m.type for m in messages] == [THREAD_STARTER_MESSAGE, 0, 0]
    assert messages[0].referenced_message is fake_discord.message(lesson.id)
    assert [m.position for m in messages] == [0, 1, 2]
    assert messages[1].id == first.id and stored.message_count == 2
    assert stored.member_ids == [fake_discord.bot.id, study_server.member.id]
    source = fake_discord.message(lesson.id)
    assert source is not None and source.thread is stored and source.flags & HAS_THREAD

    await eventually(lambda: bool(probe.threads) and len(probe.seen) >= 3)
    assert probe.threads[0].id == thread.id
    assert probe.get_channel(thread.id) is not None, "THREAD_CREATE put it in the cache"
    fetched = await lessons.fetch_message(lesson.id)
    assert fetched.thread is not None and fetched.thread.id == thread.id
    history = [m async for m in thread.history(limit=None)]
    assert [m.type for m in history][-1] is discord.MessageType.thread_starter_message
    with pytest.raises(discord.HTTPException) as twice:
        await lesson.create_thread(name="again")
    assert twice.value.code == 160004

    await study_server.guild.remove_channel(stored)
    await eventually(lambda: probe.get_channel(thread.id) is None)
    with pytest.raises(discord.NotFound):
        await thread.send("still there?")
    assert fake_discord.threads_of(study_server.lessons) == []


async def test_threads_without_a_message_and_their_permissions(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = probe.text_channel(study_server.lessons.id)
    weekly = await lessons.create_thread(
        name="Week 48 leaderboard", type=discord.ChannelType.public_thread
    )
    private = await lessons.create_thread(name="mods only")
    assert weekly.type is discord.ChannelType.public_thread
    assert private.type is discord.ChannelType.private_thread, "discord.py's default"
    assert [t.type for t in fake_discord.threads_of(study_server.lessons)] == [
        PUBLIC_THREAD,
        PRIVATE_THREAD,
    ]
    assert fake_discord.channel_messages(study_server.lessons) == [], "no system message"
    await weekly.send("1. ada 120 XP")
    assert [m.content for m in fake_discord.channel_messages(weekly.id)] == ["1. ada 120 XP"]

    await study_server.lessons.deny(fake_discord.bot, SEND_MESSAGES_IN_THREADS)
    with pytest.raises(discord.Forbidden) as refused:
        await weekly.send("2. grace 90 XP")
    assert refused.value.code == 50013
    await study_server.lessons.allow(fake_discord.bot, SEND_MESSAGES_IN_THREADS)
    await study_server.lessons.deny(fake_discord.bot, SEND_MESSAGES)
    assert (await weekly.send("2. grace 90 XP")).content, "Send Messages does not matter there"

    stored = fake_discord.threads_of(study_server.lessons)[0]
    stored.archived = True
    await weekly.send("3. linus 80 XP")
    assert not stored.archived, "posting unarchives an unlocked thread"
    with pytest.raises(discord.HTTPException) as bad:
        await lessons.create_thread(name="", type=discord.ChannelType.public_thread)
    assert bad.value.code == 50035 and "name" in bad.value.text


# -- DMs ------------------------------------------------------------------------------------------


async def test_dms_reach_members_unless_they_closed_them(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    linus = await probe.fetch_user(study_server.member.id)
    sent = await linus.send("Your streak is at risk!")
    await linus.send("Two lessons left today.")
    assert [m.content for m in fake_discord.dm_messages(study_server.member)] == [
        "Your streak is at risk!",
        "Two lessons left today.",
    ]
    dm = fake_discord.dm_channel(study_server.member.user)
    assert dm is not None and sent.channel.id == dm.id
    assert len(fake_discord.requests_to("POST", "/users/@me/channels")) == 1
    await eventually(lambda: any(m.id == sent.id for m in probe.seen))
    assert next(m for m in probe.seen if m.id == sent.id).guild is None

    study_server.moderator.user.dms_closed = True
    grace = await probe.fetch_user(study_server.moderator.id)
    with pytest.raises(discord.Forbidden) as closed:
        await grace.send("hello?")
    assert closed.value.code == 50007
    assert closed.value.text == "Cannot send messages to this user"
    assert fake_discord.dm_messages(study_server.moderator) == []
    stranger = fake_discord.new_user("stranger")
    with pytest.raises(discord.Forbidden) as no_mutual:
        await (await probe.fetch_user(stranger.id)).send("hi")
    assert no_mutual.value.code == 50278


# -- replies --------------------------------------------------------------------------------------


async def test_replies_keep_the_message_they_answer(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    question = await fake_discord.post_message(
        study_server.general, study_server.member, "How do I reshape an array?"
    )
    general = probe.text_channel(study_server.general.id)
    answer = await (await general.fetch_message(question.id)).reply("Use `a.reshape(2, 3)`.")
    assert answer.type is discord.MessageType.reply
    assert answer.reference is not None and answer.reference.message_id == question.id
    assert isinstance(answer.reference.resolved, discord.Message)
    assert answer.reference.resolved.content == "How do I reshape an array?"
    stored = fake_discord.channel_messages(study_server.general)[-1]
    assert stored.type == REPLY and stored.reply_to is question
    assert stored.message_reference == {
        "type": 0,
        "message_id": str(question.id),
        "channel_id": str(study_server.general.id),
        "guild_id": str(study_server.guild.id),
    }

    thanks = await fake_discord.post_message(
        study_server.general, study_server.member, "thanks!", reply_to=stored
    )
    await eventually(lambda: any(m.id == thanks.id for m in probe.seen))
    seen = next(m for m in probe.seen if m.id == thanks.id)
    assert seen.reference is not None and seen.reference.message_id == answer.id

    gone = discord.MessageReference(message_id=1, channel_id=general.id)
    with pytest.raises(discord.HTTPException) as unknown:
        await general.send("to nothing", reference=gone)
    assert unknown.value.code == 50035
    assert "message_reference" in unknown.value.text and "Unknown message" in unknown.value.text
    lenient = discord.MessageReference(
        message_id=1, channel_id=general.id, fail_if_not_exists=False
    )
    plain = await general.send("to nothing, leniently", reference=lenient)
    assert plain.type is discord.MessageType.default and plain.reference is None

    await study_server.general.deny(fake_discord.bot, READ_MESSAGE_HISTORY)
    with pytest.raises(discord.Forbidden) as blind:
        await general.send("reply blind", reference=question_ref(question))
    assert blind.value.code == 160002


def question_ref(message: FakeMessage) -> discord.MessageReference:
    return discord.MessageReference(
        message_id=message.id, channel_id=message.channel_id, guild_id=message.guild_id
    )


# -- history --------------------------------------------------------------------------------------


class LessonView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(discord.ui.Button(label="Start", custom_id="lesson:start"))


async def test_history_pages_like_discord_with_the_bots_own_rich_messages(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    for number in range(117):
        await fake_discord.post_message(study_server.lessons, study_server.member, f"m{number}")
    lessons = probe.text_channel(study_server.lessons.id)
    card = await lessons.send(
        embed=discord.Embed(title="Daily challenge", description="Sum a column"),
        view=LessonView(),
    )
    stored = fake_discord.channel_messages(study_server.lessons)
    ids = [m.id for m in stored]
    assert len(ids) == 118

    everything = [m async for m in lessons.history(limit=None)]
    assert [m.id for m in everything] == ids[::-1], "newest first, all pages"
    newest = everything[0]
    assert newest.id == card.id and newest.embeds[0].title == "Daily challenge"
    assert newest.components[0].children[0].custom_id == "lesson:start"  # type: ignore[union-attr]
    pages = fake_discord.requests_to("GET", f"/channels/{lessons.id}/messages")
    assert [r.query.get("limit") for r in pages] == ["100", "100"]

    before = [m.id async for m in lessons.history(limit=5, before=discord.Object(ids[50]))]
    assert before == ids[45:50][::-1]
    after = [m.id async for m in lessons.history(limit=5, after=discord.Object(ids[50]))]
    assert after == ids[51:56], "discord.py turns Discord's newest-first page around"
    raw = await probe.http.logs_from(lessons.id, 5, after=ids[50])
    assert [int(m["id"]) for m in raw] == ids[51:56][::-1], "Discord answers newest first"
    around = await probe.http.logs_from(lessons.id, 5, around=ids[50])
    assert [int(m["id"]) for m in around] == ids[48:53][::-1]
    default = await probe.http.request(
        Route("GET", "/channels/{channel_id}/messages", channel_id=lessons.id)
    )
    assert len(default) == 50

    for bad in (0, 101):
        with pytest.raises(discord.HTTPException) as raised:
            await probe.http.logs_from(lessons.id, bad)
        assert raised.value.code == 50035 and "limit" in raised.value.text
    await study_server.lessons.deny(fake_discord.bot, READ_MESSAGE_HISTORY)
    assert await probe.http.logs_from(lessons.id, 10) == [], "Discord hides history, no error"


async def test_role_changes_deletes_locked_threads_and_active_threads(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    guild = probe.get_guild(study_server.guild.id)
    assert guild is not None
    lessons = probe.text_channel(study_server.lessons.id)
    await study_server.guild.set_role_permissions("Studybot", VIEW_CHANNEL)
    await study_server.guild.set_role_permissions("@everyone", VIEW_CHANNEL)
    await eventually(lambda: not lessons.permissions_for(guild.me).send_messages)
    with pytest.raises(discord.Forbidden):
        await lessons.send("no role, no say")
    await study_server.guild.set_role_permissions("Studybot", fake_discord.bot_permissions)
    await study_server.guild.set_role_permissions(
        "@everyone", VIEW_CHANNEL | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
    )
    await eventually(lambda: lessons.permissions_for(guild.me).send_messages)

    posted = await lessons.send("to be deleted")
    await posted.delete()
    deleted = _events(fake_discord, "MESSAGE_DELETE")
    assert deleted == [
        {
            "id": str(posted.id),
            "channel_id": str(lessons.id),
            "guild_id": str(study_server.guild.id),
        }
    ]
    with pytest.raises(discord.Forbidden) as not_mine:
        await (
            await lessons.fetch_message(
                (await fake_discord.post_message(study_server.lessons, study_server.member, "x")).id
            )
        ).delete()
    assert not_mine.value.code == 50013, "others' messages need Manage Messages"

    thread = await lessons.create_thread(name="closed", type=discord.ChannelType.public_thread)
    active = await guild.active_threads()
    assert [t.id for t in active] == [thread.id]
    stored = fake_discord.threads_of(study_server.lessons)[0]
    stored.locked = True
    with pytest.raises(discord.Forbidden):
        await thread.send("locked")
    stored.archived = True
    with pytest.raises(discord.HTTPException) as archived:
        await thread.send("locked and archived")
    assert archived.value.code == 50083
