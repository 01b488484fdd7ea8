"""The daily challenge: one question a day for the whole server, one answer each.

The question is picked from the guild id and the guild's local date, so every process picks
the same one; it is stored once per (guild, day) by a unique constraint, so two members asking
at the same instant agree, and content edits later in the day do not change it.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.cards import Action, Card, Style, Tone, UserError
from bot.domain.progress import local_day, member_zone, start_of_day
from bot.domain.quiz import AnswerFormatError, Kind, Question, grade, shuffled
from bot.domain.values import Challenge, Judged, MemberRef
from bot.domain.xp import DAILY_MAX_BONUS, DAILY_XP, daily_xp
from bot.intents import DailyChoice, DailyOpen
from bot.services.context import Context
from bot.services.present import answer_and_key, choice_controls, question_text
from bot.services.quizzes import KIND_LABELS, SEED_LIMIT, AnswerForm, QuizService


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

    async def guild_zone(self, guild_id: int) -> ZoneInfo:
        """The challenge day follows the server's zone, not each member's."""
        settings = await self.ctx.store.guild_settings(guild_id)
        return member_zone(None, settings.timezone if settings else None)

    async def guild_today(self, guild_id: int) -> date:
        return local_day(self.ctx.clock.now(), await self.guild_zone(guild_id))

    def pick(self, guild_id: int, day: date) -> tuple[str, int]:
        return pick_daily(guild_id, day, list(self.ctx.curriculum.items))

    def shown(self, challenge: Challenge) -> Question:
        """Everyone sees the server's challenge with the same choice order."""
        question = self.quizzes.question(challenge.item_id, challenge.seed)
        key = f"daily:{challenge.guild_id}:{challenge.item_id}:{challenge.seed}"
        return shuffled(question, key)

    async def today(self, guild_id: int) -> tuple[Challenge, int]:
        """Today's challenge (created on first use) and how many have answered it."""
        day = await self.guild_today(guild_id)
        return await self.ctx.store.daily_challenge(
            guild_id, day, self.pick(guild_id, day), self.ctx.clock.now()
        )

    async def card(self, who: MemberRef) -> Card:
        challenge, answered = await self.today(who.guild_id)
        return self.challenge_card(challenge, answered)

    async def of_day(self, guild_id: int, day: date) -> tuple[Challenge, int]:
        """The guild's challenge of a given local date (created on first use)."""
        return await self.ctx.store.daily_challenge(
            guild_id, day, self.pick(guild_id, day), self.ctx.clock.now()
        )

    def challenge_card(self, challenge: Challenge, answered: int = 0) -> Card:
        """The question for everyone: answer controls that act for whoever presses them.

        No count of answers on it: a posted message would be wrong a minute later; the reveal
        under it says how many answered."""
        question = self.shown(challenge)
        menu = None
        if question.kind is Kind.CHOICE:
            actions, menu = choice_controls(
                question, lambda n: DailyChoice(day=challenge.day, choice=n)
            )
        else:
            actions = (Action(DailyOpen(day=challenge.day), "✏️ Type your answer", Style.PRIMARY),)
        return Card(
            title=f"📅 Daily challenge · {challenge.day.isoformat()}",
            body=question_text(question, "one answer each"),
            footer=(
                f"+{DAILY_XP} XP if right, up to +{DAILY_MAX_BONUS} more the earlier you answer"
                " · the answer is revealed tomorrow"
            ),
            actions=actions,
            menu=menu,
            tone=Tone.CHALLENGE,
        )

    async def form(self, who: MemberRef, day: date) -> AnswerForm:
        challenge, _answered = await self.today(who.guild_id)
        if day != challenge.day:
            raise UserError(f"That was the challenge of {day.isoformat()}; today's is on `/daily`.")
        question = self.shown(challenge)
        return AnswerForm(
            title=f"Daily challenge · {day.isoformat()}",
            label=KIND_LABELS[question.kind],
            multiline=question.kind is Kind.OUTPUT,
        )

    async def answer(self, who: MemberRef, day: date, given: str) -> Card:
        """Grade and record the member's one answer; the feedback is private (no spoilers)."""
        today = await self.guild_today(who.guild_id)
        if day != today:
            raise UserError(f"That was the challenge of {day.isoformat()}; today's is on `/daily`.")
        zone = await self.guild_zone(who.guild_id)
        opens, closes = start_of_day(day, zone), start_of_day(day + timedelta(days=1), zone)
        now = self.ctx.clock.now()

        def judge(challenge: Challenge) -> Judged:
            question = self.shown(challenge)
            try:
                result = grade(question, given)
            except AnswerFormatError as error:
                raise UserError(f"{error}.") from None
            return Judged(
                item_id=challenge.item_id,
                topic=question.topic,
                seed=challenge.seed,
                answer=result.given,
                correct=result.correct,
                xp=daily_xp(result.correct, now, opens, closes),
            )

        judged, recorded = await self.ctx.store.answer_challenge(
            who, day, self.pick(who.guild_id, day), now, judge
        )
        if not recorded.new:
            raise UserError("You already answered today's challenge; come back tomorrow.")
        question = self.quizzes.question(judged.item_id, judged.seed)
        if judged.correct:
            title, tone = "✅ Challenge solved", Tone.SUCCESS
            body = f"+{recorded.xp_awarded} XP. {question.explanation}"
        else:
            title, tone = "❌ Not this time", Tone.WARNING
            shown = self.shown(Challenge(0, who.guild_id, day, judged.item_id, judged.seed))
            body = f"{answer_and_key(shown, judged.answer)}\n\n{question.explanation}"
        return Card(
            title=title,
            body=body,
            footer=f"{recorded.xp_total} XP in all · a new challenge tomorrow",
            tone=tone,
            ephemeral=True,
        )

    async def reveal_card(self, challenge: Challenge) -> Card:
        """The answer under yesterday's post once it closes: in a spoiler, with how it went."""
        answered, right = await self.ctx.store.challenge_results(challenge.id)
        question = self.quizzes.question(challenge.item_id, challenge.seed)
        if answered:
            share = f"{right} of {answered} got it right ({100 * right / answered:.0f}%)."
        else:
            share = "Nobody answered this one."
        return Card(
            title=f"🔓 The answer to the challenge of {challenge.day.isoformat()}",
            body=f"The answer: ||{question.expected_text}||\n\n{share}\n\n{question.explanation}",
            tone=Tone.INFO,
        )
