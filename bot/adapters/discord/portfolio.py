"""/portfolio: submit and edit projects in a form, review other members' work, mark the reviews
that helped.

`/portfolio submit` and "✏️ Edit" open one five-field modal (title, the problem, data, the code's
link, the evaluation and its failure modes). `/portfolio review` privately hands the member
someone else's project with a "📝 Rate it" button: its modal asks the four criteria as radio
groups of 1–4 (discord.py 2.7; each option says what its score means) and a comment, which fills
a modal's five rows exactly, so a review is one form instead of a select per criterion and a
second form for the comment. A saved review is posted in the channel with a "👍 Helpful" button
that only the project's author may press. `/portfolio show [member]` is public, like /profile.
Every button is an `IntentButton` that owns its custom_id and refuses anyone but its owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import BROKEN, FormButton, IntentButton, register_forms
from bot.adapters.discord.interact import (
    INPUT_LABEL_MAX,
    MODAL_TITLE_MAX,
    member_of,
    member_ref,
    send_cards,
    send_text,
    services_of,
)
from bot.adapters.discord.render import render
from bot.cards import Card
from bot.intents import Intent
from bot.services.portfolio import (
    EditProject,
    MarkHelpful,
    ProjectForm,
    RateProject,
    ReviewForm,
    ReviewProject,
)

CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
DESCRIPTION_MAX = 100  # a label's description, a placeholder, a radio option's label


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def project_modal(custom_id: str, form: ProjectForm) -> discord.ui.Modal:
    """The project form: one labelled text input per field, limits as the service's."""
    modal = discord.ui.Modal(title=_cut(form.title, MODAL_TITLE_MAX), custom_id=custom_id)
    for field in form.fields:
        modal.add_item(
            discord.ui.Label(
                text=_cut(field.label, INPUT_LABEL_MAX),
                component=discord.ui.TextInput(
                    custom_id=field.key,
                    style=discord.TextStyle.paragraph
                    if field.multiline
                    else discord.TextStyle.short,
                    placeholder=_cut(field.hint, DESCRIPTION_MAX),
                    max_length=field.limit,
                    default=field.value or None,
                ),
            )
        )
    modal.stop()  # routed by custom_id (bot.on_interaction), never kept in memory
    return modal


def review_modal(custom_id: str, form: ReviewForm) -> discord.ui.Modal:
    """Four radio groups (one per criterion, 1–4 with what each means) and the comment."""
    modal = discord.ui.Modal(
        title=_cut(f"Review: {form.project_title}", MODAL_TITLE_MAX), custom_id=custom_id
    )
    for criterion in form.criteria:
        modal.add_item(
            discord.ui.Label(
                text=_cut(criterion.name, INPUT_LABEL_MAX),
                description=_cut(criterion.question, DESCRIPTION_MAX),
                component=discord.ui.RadioGroup(
                    custom_id=criterion.key,
                    options=[
                        discord.RadioGroupOption(
                            label=_cut(f"{score} — {meaning}", DESCRIPTION_MAX), value=str(score)
                        )
                        for score, meaning in enumerate(criterion.levels, 1)
                    ],
                ),
            )
        )
    modal.add_item(
        discord.ui.Label(
            text="Comment",
            description="What works, and what would make it better",
            component=discord.ui.TextInput(
                custom_id="comment",
                style=discord.TextStyle.paragraph,
                max_length=form.comment_limit,
            ),
        )
    )
    modal.stop()
    return modal


async def post_public(interaction: discord.Interaction[Any], card: Card) -> None:
    """A card in the channel as the bot's own message (the interaction's follow-up without
    Send Messages); mentions never ping."""
    kwargs = render(card).send_kwargs()
    channel = interaction.channel
    if isinstance(channel, discord.TextChannel | discord.Thread):
        try:
            await channel.send(**kwargs)
            return
        except discord.Forbidden:
            pass
    await interaction.followup.send(**kwargs, ephemeral=False)


class _Owned:
    """A button that answers anyone but its owner with its own sentence (`{owner}` is the
    owner's mention), instead of the quiz's."""

    refusal: ClassVar[str]
    intent: Intent | None

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        intent = self.intent
        if intent is None:
            await send_text(interaction, BROKEN)
            return False
        if intent.owner is not None and interaction.user.id != intent.owner:
            await send_text(interaction, self.refusal.format(owner=f"<@{intent.owner}>"))
            return False
        return True


class EditProjectButton(
    _Owned, FormButton, intent=EditProject, prefix="pf:edit", fields=("owner", "project")
):
    """ "✏️ Edit" on the author's board, and /portfolio submit|edit: the project form."""

    form_prefix = "pf:form"
    refusal = "This is {owner}'s project; only they can edit it."

    @classmethod
    async def open(cls, interaction: discord.Interaction[Any], intent: EditProject) -> None:
        form = await services_of(interaction).portfolio.project_form(
            member_ref(interaction), intent.project
        )
        await interaction.response.send_modal(project_modal(cls.form_id(intent), form))

    async def handle(self, interaction: discord.Interaction[Any], intent: EditProject) -> None:
        await self.open(interaction, intent)

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: EditProject, values: Mapping[str, str]
    ) -> None:
        card = await services_of(interaction).portfolio.save(
            member_ref(interaction), intent.project, values
        )
        await send_cards(interaction, card)


class RateProjectButton(
    _Owned, FormButton, intent=RateProject, prefix="pf:rate", fields=("owner", "project")
):
    """ "📝 Rate it" on the project /portfolio review gave its owner: the review form. A
    refusal (their own project, reviewed before) comes before the form opens."""

    form_prefix = "pf:rated"
    refusal = "This project was given to {owner} to review; get your own with /portfolio review."

    @classmethod
    async def open(cls, interaction: discord.Interaction[Any], intent: RateProject) -> None:
        form = await services_of(interaction).portfolio.review_form(
            member_ref(interaction), intent.project
        )
        await interaction.response.send_modal(review_modal(cls.form_id(intent), form))

    async def handle(self, interaction: discord.Interaction[Any], intent: RateProject) -> None:
        await self.open(interaction, intent)

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: RateProject, values: Mapping[str, str]
    ) -> None:
        reviewed = await services_of(interaction).portfolio.review(
            member_ref(interaction), intent.project, values, values.get("comment", "")
        )
        await send_cards(interaction, reviewed.card)
        await post_public(interaction, reviewed.notice)


class ReviewProjectButton(
    IntentButton, intent=ReviewProject, prefix="pf:review", fields=("project",)
):
    """ "📝 Review" on a board or the showcase: the review form, for whoever presses."""

    async def handle(self, interaction: discord.Interaction[Any], intent: ReviewProject) -> None:
        mine = RateProject(owner=interaction.user.id, project=intent.project)
        await RateProjectButton.open(interaction, mine)


class MarkHelpfulButton(
    _Owned, IntentButton, intent=MarkHelpful, prefix="pf:helpful", fields=("owner", "review")
):
    """ "👍 Helpful" under a review: the author's, once; its reviewer is paid XP."""

    refusal = "Only {owner}, the project's author, can mark this review helpful."

    async def handle(self, interaction: discord.Interaction[Any], intent: MarkHelpful) -> None:
        card = await services_of(interaction).portfolio.helpful(
            member_ref(interaction), intent.review
        )
        await send_cards(interaction, card)


class Portfolio(
    commands.GroupCog, group_name="portfolio", group_description="Your ML projects, peer-reviewed"
):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="submit", description="Add a project to your portfolio (a form)")
    async def submit(self, interaction: discord.Interaction[StudyBot]) -> None:
        await EditProjectButton.open(interaction, EditProject(owner=interaction.user.id, project=0))

    @app_commands.command(name="edit", description="Change one of your projects (a form)")
    @app_commands.describe(project="One of your projects")
    async def edit(self, interaction: discord.Interaction[StudyBot], project: str) -> None:
        found = await self.bot.services.portfolio.own_project(member_ref(interaction), project)
        await EditProjectButton.open(
            interaction, EditProject(owner=interaction.user.id, project=found)
        )

    @edit.autocomplete("project")
    async def project_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().removeprefix("#").casefold()
        titles = await self.bot.services.portfolio.own_titles(member_ref(interaction))
        return [
            app_commands.Choice(name=_cut(f"#{pid} · {title}", CHOICE_NAME_MAX), value=str(pid))
            for pid, title in titles
            if wanted in title.casefold() or wanted == str(pid)
        ][:CHOICES_MAX]

    @app_commands.command(name="review", description="Review another member's project")
    async def review(self, interaction: discord.Interaction[StudyBot]) -> None:
        card = await self.bot.services.portfolio.assign(member_ref(interaction))
        await send_cards(interaction, card)

    @app_commands.command(name="show", description="A member's projects and their reviews")
    @app_commands.describe(member="Whose portfolio; leave empty for yours")
    async def show(
        self, interaction: discord.Interaction[StudyBot], member: discord.Member | None = None
    ) -> None:
        viewer = member_ref(interaction)
        whose = member_of(interaction, member) if member else viewer
        cards = await self.bot.services.portfolio.show(viewer, whose)
        await send_cards(interaction, *cards)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Portfolio(bot))
    bot.add_dynamic_items(
        EditProjectButton, RateProjectButton, ReviewProjectButton, MarkHelpfulButton
    )
    register_forms(bot, EditProjectButton, RateProjectButton)
