"""The daily challenge: one question a day for the whole server, one answer each.

The question is picked from the guild id and the guild's local date, so every process picks
the same one; it is stored once per (guild, day) by a unique constraint, so two members asking
at the same instant agree, and content edits later in the day do not change it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from bot.cards import Action, Card, Tone, UserError
from bot.domain.progress import XP_DAILY_CHALLENGE, local_day, member_zone
from bot.domain.quiz import AnswerFormatError, grade
from bot.services.context import Context
from bot.services.quizzes import SEED_LIMIT, QuizService
from bot.storage.store import Challenge, MemberRef


def pick_daily(guild_id: int, day: date, item_ids: list[str]) -> tuple[str, int]:
    """The (item, seed) of a guild's challenge on a day: the same on every process and run."""
    if not item_ids:
        raise UserError("There are no quiz questions loaded, so there is no daily challenge.")
    digest = hashlib.sha256(f"daily:{guild_id}:{day.isoformat()}".encode()).digest()
    ordered = sorted(item_ids)
    item_id = ordered[int.from_bytes(digest[:8], "big") % len(ordered)]
    return item_id, int.from_bytes(digest[8:16], "big") % SEED_LIMIT


class ChallengeService:
    def __init__(self, ctx: Context, quizzes: QuizService) -> None:
        self.ctx = ctx
        self.quizzes = quizzes

    async def guild_today(self, guild_id: int) -> date:
        """The challenge day follows the server's zone, not each member's."""
        settings = await self.ctx.store.guild_settings(guild_id)
        zone = member_zone(None, settings.timezone if settings else None)
        return local_day(self.ctx.clock.now(), zone)

    async def today(self, guild_id: int) -> Challenge:
        """Today's challenge, created on first use."""
        day = await self.guild_today(guild_id)
        item_id, seed = pick_daily(guild_id, day, list(self.ctx.curriculum.items))
        return await self.ctx.store.daily_challenge(
            guild_id, day, item_id, seed, self.ctx.clock.now()
        )

    async def card(self, who: MemberRef) -> Card:
        challenge = await self.today(who.guild_id)
        question = self.quizzes.question(challenge.item_id, challenge.seed)
        card = self.quizzes.question_card(question)
        day = challenge.day.isoformat()
        actions = tuple(
            Action(_daily_id(action.id, day), action.label, action.style) for action in card.actions
        )
        answered = await self.ctx.store.challenge_answer_count(challenge.id)
        so_far = f"{answered} answer{'s' * (answered != 1)} so far"
        return replace(
            card,
            title=f"📅 Daily challenge · {day}",
            footer=f"+{XP_DAILY_CHALLENGE} XP if right · one answer each · {so_far}",
            actions=actions,
        )

    async def answer(self, who: MemberRef, day: date, given: str) -> Card:
        """Grade and record the member's one answer; the feedback is private (no spoilers)."""
        challenge = await self.today(who.guild_id)
        if day != challenge.day:
            raise UserError(f"That was the challenge of {day.isoformat()}; today's is on `/daily`.")
        question = self.quizzes.question(challenge.item_id, challenge.seed)
        try:
            result = grade(question, given)
        except AnswerFormatError as error:
            raise UserError(f"{error}.") from None
        _view, _zone, member_today = await self.ctx.member_day(who)
        recorded = await self.ctx.store.answer_challenge(
            who,
            challenge,
            answer=result.given,
            correct=result.correct,
            xp=XP_DAILY_CHALLENGE if result.correct else 0,
            at=self.ctx.clock.now(),
            day=member_today,
        )
        if not recorded.new:
            raise UserError("You already answered today's challenge; come back tomorrow.")
        if result.correct:
            title, tone = "✅ Challenge solved", Tone.SUCCESS
            body = f"+{recorded.xp_awarded} XP. {question.explanation}"
        else:
            title, tone = "❌ Not this time", Tone.WARNING
            body = f"You answered **{result.given}**; the answer is **{result.expected}**.\n\n"
            body += question.explanation
        return Card(
            title=title,
            body=body,
            footer=f"{recorded.xp_total} XP in all · a new challenge tomorrow",
            tone=tone,
            ephemeral=True,
        )


def _daily_id(quiz_action_id: str, day: str) -> str:
    """A quiz button id as a challenge one: `daily:answer:<day>:<n>` or `daily:open:<day>`.

    The day names the challenge, so the item and seed stay in the database, not in the button.
    """
    parts = quiz_action_id.split(":")
    if parts[1] == "answer":
        return f"daily:answer:{day}:{parts[-1]}"
    return f"daily:open:{day}"
