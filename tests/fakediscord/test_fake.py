"""The fake proves itself against the real discord.py client and a tiny bot defined here.

Every test runs the real handshake, the real command tree and the real HTTP calls; assertions
are on what crossed the wire (recorded requests, stored messages) and on what the client saw.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Callable
from typing import Literal

import discord
import pytest
from discord import app_commands
from discord.http import Route
from discord.webhook.async_ import async_context, interaction_response_params

from tests.fakediscord import limits
from tests.fakediscord.fixtures import GUILD_READY_TIMEOUT, StudyServer, seed_study_server
from tests.fakediscord.models import EPHEMERAL, MANAGE_GUILD, FakeFile
from tests.fakediscord.server import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
TOPICS = ["numpy", "pandas", "python basics", "plotting"]


class DoneView(discord.ui.View):
    """Persistent (no timeout, fixed custom_id): clicks work on messages from earlier runs."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Mark done", custom_id="lesson:done", style=discord.ButtonStyle.green)
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content=f"Done by {interaction.user.name}", view=None
        )


class FeedbackModal(discord.ui.Modal, title="Your feedback"):
    answer = discord.ui.TextInput(label="Answer", custom_id="answer", max_length=200)

    def __init__(self) -> None:
        super().__init__(custom_id="feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"You said {self.answer.value}")


class TopicPicker(discord.ui.View):
    """Not persistent: discord.py finds it by the message id the callback response reported."""

    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="pick:topic",
        options=[discord.SelectOption(label=t, value=t) for t in TOPICS],
        max_values=2,
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"picked {', '.join(select.values)}")


class TinyBot(discord.Client):
    """Not our bot: just enough commands to exercise every path of the fake."""

    def __init__(self, *, intents: discord.Intents | None = None) -> None:
        super().__init__(
            intents=intents or discord.Intents.default(), guild_ready_timeout=GUILD_READY_TIMEOUT
        )
        self.tree = app_commands.CommandTree(self)
        self.errors: list[discord.HTTPException] = []
        self.seen: list[discord.Message] = []
        _install_commands(self)

    async def setup_hook(self) -> None:
        self.add_view(DoneView())

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)

    async def sync_to(self, guild_id: int) -> list[app_commands.AppCommand]:
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)


def _install_commands(bot: TinyBot) -> None:
    tree = bot.tree

    @tree.command(description="Open a lesson")
    async def lesson(interaction: discord.Interaction, topic: str) -> None:
        embed = discord.Embed(title=topic, description=f"Let us learn {topic}.")
        await interaction.response.send_message(embed=embed, view=DoneView())

    @lesson.autocomplete("topic")
    async def lesson_topics(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if current in t]

    @tree.command(description="Tell us something")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(description="A private word")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("psst", ephemeral=True)

    @tree.command(description="Draw a plot")
    async def plot(interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(PNG), filename="plot.png")
        await interaction.response.send_message("Here is your plot", file=file)

    @tree.command(description="Takes a while")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("finally done")
        await interaction.followup.send("and one more thing", ephemeral=True)

    @tree.command(description="Post to the lessons channel")
    async def post(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        target = interaction.client.get_channel(channel.id)
        assert isinstance(target, discord.TextChannel)
        sent = await target.send("New lesson!", file=discord.File(io.BytesIO(PNG), "lesson.png"))
        await interaction.response.send_message(f"posted {sent.id}", ephemeral=True)

    @tree.command(description="Pick topics")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Pick up to two", view=TopicPicker())

    @tree.command(description="Read an attachment")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes {data[:4]!r}")

    @tree.command(description="Draft, fetch, edit, follow up, delete")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("draft")
        original = await interaction.original_response()
        await interaction.edit_original_response(content=f"final {original.id}")
        temporary = await interaction.followup.send("temporary", wait=True)
        await temporary.delete()

    @tree.context_menu(name="Who is")
    async def who_is(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.name} has {len(member.roles)} roles")

    @tree.command(description="Answers twice, as two racing handlers would")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        # discord.py guards its own object, so answer again the way a second process would.
        try:
            await async_context.get().create_interaction_response(
                interaction.id,
                interaction.token,
                session=interaction._session,
                params=interaction_response_params(4, {"content": "two"}),
            )
        except discord.HTTPException as error:
            bot.errors.append(error)

    @tree.command(description="Too much to say")
    async def chatty(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as error:
            bot.errors.append(error)
            await interaction.response.send_message("shorter")

    @tree.command(description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @tree.command(description="Answers after Discord gave up")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as error:
            bot.errors.append(error)

    admin = app_commands.Group(
        name="admin",
        description="Moderator tools",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @admin.command(description="Post the leaderboard")
    async def leaderboard(
        interaction: discord.Interaction,
        period: Literal["week", "month", "all"],
        channel: discord.TextChannel,
        member: discord.Member | None = None,
        top: app_commands.Range[int, 1, 25] = 10,
    ) -> None:
        who = member.display_name if member else "-"
        allowed = interaction.permissions.manage_guild
        await interaction.response.send_message(f"{period}|{channel.name}|{who}|{top}|{allowed}")

    tree.add_command(admin)

    @tree.context_menu(name="Echo code")
    async def echo_code(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"{message.author.name} wrote: {message.content}")


@pytest.fixture
async def bot(fake_discord: FakeDiscord, study_server: StudyServer):
    """TinyBot connected to the fake, with its commands synced to the study server."""
    client = TinyBot()
    async with fake_discord.connected(client):
        await client.sync_to(study_server.guild.id)
        yield client


# -- connection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False], ids=["zlib-stream", "plain"])
async def test_client_logs_in_and_caches_the_guild_quickly(
    fake_discord: FakeDiscord, study_server: StudyServer, compress: bool
) -> None:
    fake_discord.compress = compress
    client = TinyBot()
    started = time.perf_counter()
    async with fake_discord.connected(client):
        elapsed = time.perf_counter() - started
        guild = client.get_guild(study_server.guild.id)
        assert guild is not None
        assert guild.name == "Study Server"
        assert [c.name for c in guild.text_channels] == ["general", "lessons"]
        assert {r.name for r in guild.roles} >= {"@everyone", "Moderator", "Studybot"}
        assert guild.member_count == 4  # ada, grace, linus and the bot
        assert guild.owner_id == study_server.owner.id
        assert guild.me is not None and guild.me.id == fake_discord.bot.id
        assert client.user is not None and client.user.id == fake_discord.bot.id
        assert client.application_id == fake_discord.application_id
    assert elapsed < 1.0, f"ready took {elapsed:.2f}s"
    paths = [(r.method, r.path) for r in fake_discord.requests]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert all(r.authorized for r in fake_discord.requests)
    identify = next(p for p in fake_discord.gateway.received if p["op"] == 2)
    assert identify["d"]["token"] == fake_discord.token
    assert identify["d"]["intents"] == discord.Intents.default().value
    assert any(p["op"] == 1 for p in fake_discord.gateway.received), "no heartbeat was sent"


async def test_members_intent_gets_every_member_with_role_permissions(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    client = TinyBot(intents=discord.Intents.default() | discord.Intents(members=True))
    async with fake_discord.connected(client):
        guild = client.get_guild(study_server.guild.id)
        assert guild is not None and guild.chunked
        moderator = guild.get_member(study_server.moderator.id)
        member = guild.get_member(study_server.member.id)
        assert moderator is not None and moderator.guild_permissions.manage_guild
        assert member is not None and not member.guild_permissions.manage_guild
        assert guild.owner is not None and guild.owner.guild_permissions.administrator


async def test_wrong_token_is_refused_like_discord(fake_discord: FakeDiscord) -> None:
    client = TinyBot()
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    assert fake_discord.requests[-1].status == 401


async def test_resume_after_reconnect_keeps_the_session(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    resumed = asyncio.create_task(bot.wait_for("resumed", timeout=5))
    await fake_discord.reconnect_clients()
    await resumed
    assert [p["op"] for p in fake_discord.gateway.received].count(6) == 1
    reply = await fake_discord.slash("secret")
    assert reply.content == "psst"


async def test_autosharded_client_gets_guild_events_on_the_right_shard(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    class Sharded(discord.AutoShardedClient):
        async def before_identify_hook(
            self, shard_id: int | None, *, initial: bool = False
        ) -> None:
            return None  # discord.py waits 5 s between shards by default

    fake_discord.shard_count = 2
    client = Sharded(intents=discord.Intents.default(), guild_ready_timeout=GUILD_READY_TIMEOUT)
    tree = app_commands.CommandTree(client)

    @tree.command(description="Which shard?")
    async def shard(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"shard {interaction.guild.shard_id}")  # type: ignore[union-attr]

    async with fake_discord.connected(client):
        assert client.shard_count == 2
        assert client.get_guild(study_server.guild.id) is not None
        tree.copy_global_to(guild=discord.Object(study_server.guild.id))
        await tree.sync(guild=discord.Object(study_server.guild.id))
        reply = await fake_discord.slash("shard")
    expected = (study_server.guild.id >> 22) % 2
    assert reply.content == f"shard {expected}"
    assert fake_discord.requests_to("GET", "/gateway/bot")


# -- commands -----------------------------------------------------------------------------------


async def test_sync_records_the_payload_and_returns_ids(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    guild_id = study_server.guild.id
    path = f"/applications/{fake_discord.application_id}/guilds/{guild_id}/commands"
    put = fake_discord.requests_to("PUT", path)
    assert len(put) == 1 and put[0].status == 200
    sent = {c["name"]: c for c in put[0].json}
    assert set(sent) >= {"lesson", "feedback", "admin", "Echo code"}
    assert sent["lesson"]["options"][0] == {
        **sent["lesson"]["options"][0],
        "name": "topic",
        "type": 3,
        "required": True,
        "autocomplete": True,
    }
    assert int(sent["admin"]["default_member_permissions"]) == MANAGE_GUILD
    assert sent["admin"]["options"][0]["type"] == 1  # sub-command
    assert sent["Echo code"]["type"] == 3
    assert limits.command_problems(put[0].json) == []
    stored = fake_discord.commands[guild_id]
    assert [c["name"] for c in stored] == [c["name"] for c in put[0].json]
    admin = next(c for c in stored if c["name"] == "admin")
    assert admin["default_member_permissions"] == str(MANAGE_GUILD), "Discord answers a string"
    synced_again = await bot.tree.sync(guild=discord.Object(guild_id))
    assert {c.id for c in synced_again} == {int(c["id"]) for c in stored}, (
        "ids must survive a resync"
    )
    assert not fake_discord.command_visible_to("admin", study_server.member)
    assert fake_discord.command_visible_to("admin", study_server.moderator)


async def test_invalid_commands_get_discords_form_error(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    bad = [
        {"name": "Lesson", "description": "upper case", "type": 1},
        {"name": "quiz", "description": "d" * 101, "type": 1},
        {
            "name": "pick",
            "description": "too many choices",
            "type": 1,
            "options": [
                {
                    "name": "n",
                    "description": "n",
                    "type": 4,
                    "choices": [{"name": str(i), "value": i} for i in range(26)],
                }
            ],
        },
    ]
    with pytest.raises(discord.HTTPException) as raised:
        await bot.http.bulk_upsert_guild_commands(
            fake_discord.application_id, study_server.guild.id, payload=bad
        )
    assert raised.value.status == 400 and raised.value.code == 50035
    assert "0.name" in raised.value.text
    assert "1.description" in raised.value.text
    assert "2.options.0.choices" in raised.value.text
    assert fake_discord.requests[-1].status == 400


async def test_slash_with_string_option_answers_with_embed_and_button(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.slash("lesson", {"topic": "numpy"}, user=study_server.member)
    assert reply.type == 4
    assert reply.embeds[0]["title"] == "numpy"
    assert reply.embeds[0]["description"] == "Let us learn numpy."
    assert reply.custom_ids == ["lesson:done"]
    assert reply.components[0]["components"][0]["label"] == "Mark done"
    assert not reply.ephemeral
    assert reply.latency is not None and reply.latency < 3
    assert reply.message is not None and reply.message.channel_id == study_server.general.id
    assert reply.message in fake_discord.channel_messages(study_server.general)
    option = reply.payload["data"]["options"][0]
    assert option == {"name": "topic", "type": 3, "value": "numpy"}
    callback = reply.requests[0]
    assert callback.path == f"/interactions/{reply.interaction_id}/{reply.token}/callback"
    assert callback.query == {"with_response": "1"}


async def test_clicking_the_button_reaches_the_persistent_view(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lesson = await fake_discord.slash("lesson", {"topic": "pandas"}, user=study_server.member)
    clicked = await fake_discord.click(lesson, "lesson:done")
    assert clicked.type == 7
    assert clicked.user is study_server.member, "the default clicker is who ran the command"
    assert lesson.message is not None
    assert lesson.message.content == "Done by linus"
    assert lesson.message.components == []
    assert lesson.message.embeds[0]["title"] == "pandas", "edit_message keeps the embed"
    assert lesson.message.edits == 1
    assert clicked.payload["message"]["id"] == str(lesson.message.id)
    with pytest.raises(ValueError, match="no component"):
        await fake_discord.click(lesson, "lesson:done")


async def test_button_still_works_after_the_bot_restarts(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    first = TinyBot()
    async with fake_discord.connected(first):
        await first.sync_to(study_server.guild.id)
        lesson = await fake_discord.slash("lesson", {"topic": "numpy"})
    second = TinyBot()
    async with fake_discord.connected(second):
        clicked = await fake_discord.click(lesson, "lesson:done", user=study_server.moderator)
    assert clicked.type == 7
    assert lesson.content == "Done by grace"
    assert len(fake_discord.gateway.sessions) == 2


async def test_modal_submit_reaches_the_bot_and_its_follow_up_is_captured(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    opened = await fake_discord.slash("feedback", user=study_server.member)
    assert opened.type == 9
    assert opened.modal is not None
    assert opened.modal["custom_id"] == "feedback" and opened.modal["title"] == "Your feedback"
    with pytest.raises(ValueError, match="no fields"):
        await fake_discord.submit_modal("feedback", {"nope": "x"})
    with pytest.raises(ValueError, match="required"):
        await fake_discord.submit_modal("feedback", {})
    submitted = await fake_discord.submit_modal("feedback", {"answer": "more numpy please"})
    assert submitted.user is study_server.member
    assert submitted.type == 5
    assert submitted.content == "You said more numpy please"
    assert submitted.followups[0] is submitted.message, "the first follow-up fills the defer"
    assert submitted.message is not None and not submitted.message.loading


async def test_autocomplete_returns_the_bots_choices(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    choices = await fake_discord.autocomplete("lesson", "topic", "pa")
    assert choices == [{"name": "pandas", "value": "pandas"}]
    everything = await fake_discord.autocomplete("lesson", "topic", "")
    assert [c["value"] for c in everything] == TOPICS
    interaction = next(r for r in fake_discord.interactions.values() if r.type == 8)
    assert interaction.payload["data"]["options"][0]["focused"] is True


async def test_ephemeral_reply_has_flag_64_and_is_not_public(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.slash("secret")
    assert reply.ephemeral
    assert reply.flags & EPHEMERAL == 64
    assert reply.data["flags"] == 64
    assert reply.message not in fake_discord.channel_messages(study_server.general)
    assert reply.message in fake_discord.channel_messages(study_server.general, ephemeral=True)


async def test_reply_with_a_file_is_captured_with_its_bytes(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.slash("plot")
    assert reply.content == "Here is your plot"
    assert [(f.filename, f.data) for f in reply.files] == [("plot.png", PNG)]
    callback = reply.requests[0]
    assert callback.json["type"] == 4
    assert callback.json["data"]["attachments"] == [{"id": 0, "filename": "plot.png"}]
    assert callback.files[0].data == PNG
    assert reply.message is not None
    attachment = reply.message.payload(fake_discord.base_url)["attachments"][0]
    assert attachment["content_type"] == "image/png" and attachment["size"] == len(PNG)


async def test_deferred_reply_and_follow_ups(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.slash("slow")
    assert reply.type == 5 and reply.deferred
    assert reply.content == "finally done"
    extra = await reply.followup(1)
    assert extra.content == "and one more thing" and extra.ephemeral
    assert reply.message is not None and not reply.message.ephemeral
    assert "finally done" in reply.text and "and one more thing" in reply.text
    posts = [r for r in reply.requests if r.method == "POST" and r.path.startswith("/webhooks/")]
    assert all(r.query.get("wait") == "1" for r in posts)


async def test_channel_send_with_file_is_stored_and_echoed(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.slash("post", {"channel": study_server.lessons})
    posted = fake_discord.channel_messages(study_server.lessons)
    assert len(posted) == 1
    assert posted[0].content == "New lesson!"
    assert [(f.filename, f.data) for f in posted[0].files] == [("lesson.png", PNG)]
    assert reply.content == f"posted {posted[0].id}"
    request = fake_discord.requests_to("POST", f"/channels/{study_server.lessons.id}/messages")[0]
    assert request.json["content"] == "New lesson!" and request.files[0].filename == "lesson.png"
    await asyncio.wait_for(_until(lambda: bool(bot.seen)), 5)
    assert bot.seen[0].id == posted[0].id and bot.seen[0].author == bot.user


async def test_subcommand_with_user_and_channel_options_and_permissions(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    options = {"period": "week", "channel": study_server.lessons, "member": study_server.member}
    as_moderator = await fake_discord.slash(
        "admin leaderboard", options, user=study_server.moderator
    )
    assert as_moderator.content == "week|lessons|linus|10|True"
    as_member = await fake_discord.slash(["admin", "leaderboard"], {**options, "top": 3})
    assert as_member.user is study_server.member
    assert as_member.content == "week|lessons|linus|3|False"
    overridden = await fake_discord.slash(
        "admin leaderboard", options, user=study_server.member, permissions=MANAGE_GUILD
    )
    assert overridden.content.endswith("|True")
    data = as_moderator.payload["data"]
    assert data["options"][0]["name"] == "leaderboard" and data["options"][0]["type"] == 1
    assert str(study_server.member.id) in data["resolved"]["members"]
    assert str(study_server.lessons.id) in data["resolved"]["channels"]
    with pytest.raises(ValueError, match="not a choice"):
        await fake_discord.slash("admin leaderboard", {**options, "period": "year"})
    with pytest.raises(ValueError, match="required options missing"):
        await fake_discord.slash("admin leaderboard", {"period": "week"})
    with pytest.raises(ValueError, match="needs a sub-command"):
        await fake_discord.slash("admin")
    with pytest.raises(ValueError, match="not registered"):
        await fake_discord.slash("nonexistent")


async def test_message_context_menu_on_a_members_message(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    code = "```py\nprint(6 * 7)\n```"
    posted = await fake_discord.post_message(study_server.general, study_server.member, code)
    reply = await fake_discord.context_menu_message("Echo code", posted)
    assert reply.content == f"linus wrote: {code}"
    assert reply.message is not None and reply.message.type == 23


async def test_select_menu_with_deferred_update_edits_the_message(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    menu = await fake_discord.slash("pick")
    with pytest.raises(ValueError, match="not options"):
        await fake_discord.select(menu, "pick:topic", ["rust"])
    picked = await fake_discord.select(menu, "pick:topic", ["numpy", "plotting"])
    assert picked.type == 6
    assert picked.message is menu.message
    assert (await picked.edit())["content"] == "picked numpy, plotting"
    assert menu.content == "picked numpy, plotting"
    assert picked.requests[-1].path.endswith("/messages/@original")


async def test_attachment_option_is_downloadable_by_the_bot(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    reply = await fake_discord.slash("upload", {"file": FakeFile("notes.png", PNG)})
    assert reply.content == f"notes.png: {len(PNG)} bytes {PNG[:4]!r}"
    resolved = reply.payload["data"]["resolved"]["attachments"]
    assert [a["filename"] for a in resolved.values()] == ["notes.png"]


async def test_original_response_edit_and_follow_up_delete(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    reply = await fake_discord.slash("edit")
    await reply.wait_for(lambda r: bool(r.followups) and r.followups[0].deleted)
    assert reply.message is not None
    assert reply.content == f"final {reply.message.id}"
    assert [e["content"] for e in reply.edits] == [f"final {reply.message.id}"]
    assert reply.followups[0].content == "temporary"
    assert reply.messages == [reply.message]
    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in reply.requests]
    assert methods[:3] == [("POST", "callback"), ("GET", "@original"), ("PATCH", "@original")]
    assert methods[-1] == ("DELETE", str(reply.followups[0].id))


async def test_user_context_menu(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    reply = await fake_discord.context_menu_user("Who is", study_server.moderator)
    assert reply.content == "grace has 2 roles"  # @everyone and Moderator


# -- Discord's rules --------------------------------------------------------------------------


async def test_second_acknowledgement_is_refused(bot: TinyBot, fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.slash("twice")
    assert reply.content == "one"
    await asyncio.wait_for(_until(lambda: bool(bot.errors)), 5)
    assert bot.errors[0].code == 40060


async def test_messages_past_discords_limits_are_rejected(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    reply = await fake_discord.slash("chatty")
    assert reply.content == "shorter"
    assert bot.errors[0].status == 400 and bot.errors[0].code == 50035
    assert "content" in bot.errors[0].text
    assert [r.status for r in reply.requests] == [400, 200]


async def test_answer_after_the_window_is_unknown_interaction(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    fake_discord.response_window = 0.1
    with pytest.raises(AssertionError, match="window") as failure:
        await fake_discord.slash("late")
    assert "/callback?with_response=1 -> 404" in str(failure.value)
    await asyncio.wait_for(_until(lambda: bool(bot.errors)), 5)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062


async def test_timeout_names_the_interaction_and_lists_requests(
    bot: TinyBot, fake_discord: FakeDiscord
) -> None:
    fake_discord.timeout = 0.2
    with pytest.raises(AssertionError) as failure:
        await fake_discord.slash("silent")
    message = str(failure.value)
    assert "/silent by linus" in message
    assert "PUT /applications/" in message


async def test_unknown_route_is_recorded_with_a_discord_error(
    bot: TinyBot, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    route = Route("GET", "/guilds/{guild_id}/bans", guild_id=study_server.guild.id)
    with pytest.raises(discord.NotFound) as raised:
        await bot.http.request(route)
    assert raised.value.code == 0
    last = fake_discord.requests[-1]
    assert (last.method, last.path, last.status) == (
        "GET",
        f"/guilds/{study_server.guild.id}/bans",
        404,
    )


async def test_fake_can_be_used_without_the_fixture() -> None:
    """The standalone API: a context manager, own guild, non-strict commands."""
    async with FakeDiscord(strict_commands=False) as fake:
        study = seed_study_server(fake)
        client = TinyBot()
        with fake.patch_discord_py():
            assert Route.BASE == fake.api_base
            async with fake.connected(client):
                # Never synced: only non-strict mode dispatches it (as a global command).
                reply = await fake.slash("secret", user=study.owner)
                upload = await fake.slash("lesson", {"topic": "x"})
        assert Route.BASE != fake.api_base
    assert reply.content == "psst" and reply.user is study.owner
    assert upload.embeds[0]["title"] == "x"
    assert FakeFile("a.txt", b"abc").size == 3


async def _until(predicate: Callable[[], bool]) -> None:
    """For state inside the bot (not the fake), which has no change signal to wait on."""
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def test_env_fixture_exports_the_fakes_addresses(fake_discord_env: FakeDiscord) -> None:
    assert os.environ["STUDYBOT_DISCORD_API_BASE"] == fake_discord_env.api_base
    assert os.environ["STUDYBOT_DISCORD_GATEWAY_URL"].startswith("ws://127.0.0.1:")
    assert os.environ["STUDYBOT_DISCORD_TOKEN"] == fake_discord_env.token


def test_limits_flag_what_discord_rejects() -> None:
    too_big = {"content": "x" * 2001, "embeds": [{"title": "t" * 257}], "components": []}
    problems = {".".join(map(str, p.path)) for p in limits.message_problems(too_big)}
    assert problems == {"content", "embeds.0.title"}
    rows = [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a"}]}] * 6
    codes = {p.code for p in limits.message_problems({"components": rows})}
    assert codes == {"BASE_TYPE_MAX_LENGTH", "COMPONENT_CUSTOM_ID_DUPLICATED"}
    assert limits.message_problems({})[0].code == "EMPTY_MESSAGE"
