"""Review: spaced repetition with FSRS-6 (bot/domain/memory.py, docs/rules.md).

Every graded answer moves the member's card for that item; /review serves the cards due by the
end of the member's today, most overdue first, then new cards from the lessons they finished
(the server's daily allowance). A review session is a quiz run answered through
`QuizService.answer`; generated items get a new seed every round.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cards import Card, Tone
from bot.domain.values import MemberRef, ReviewQueue
from bot.services.context import Context
from bot.services.quizzes import SEED_LIMIT, QuizService, Step

SESSION_MAX = 25


def review_seed(who: MemberRef, item_id: str, reps: int) -> int:
    """A seed of its own for each review round of an item.

    Showing the same round twice gives the same question (one recorded answer); the next
    round (after another answer bumped `reps`) is a new question, so it is recorded anew.
    """
    key = f"review:{who.guild_id}:{who.user_id}:{item_id}:{reps}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % SEED_LIMIT


def _when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def summary(queue: ReviewQueue) -> str:
    """How many are due today and when the next comes: what /review always says."""
    zone = ZoneInfo(queue.zone)
    parts = [f"{queue.due_today} due today"]
    if queue.new:
        parts.append(f"{len(queue.new)} new")
    if queue.next_due is not None:
        parts.append(f"next after today: {_when(queue.next_due, zone)}")
    return " · ".join(parts)


class ReviewService:
    def __init__(self, ctx: Context, quizzes: QuizService) -> None:
        self.ctx = ctx
        self.quizzes = quizzes

    def _candidates(self, finished: set[str]) -> list[str]:
        """Items of the finished lessons, in roadmap order: where new cards come from."""
        curriculum = self.ctx.curriculum
        lessons = sorted(
            (lesson for lesson_id, lesson in curriculum.lessons.items() if lesson_id in finished),
            key=lambda lesson: (lesson.track, lesson.order, lesson.id),
        )
        return [item for lesson in lessons for item in lesson.quiz if item in curriculum.items]

    async def queue(self, who: MemberRef) -> ReviewQueue:
        return await self.ctx.store.review_queue(
            who, self.ctx.clock.now(), SESSION_MAX, self._candidates
        )

    async def start(self, who: MemberRef) -> Step:
        """A session of the due cards and today's new ones (at most `SESSION_MAX`), or a card
        saying when the next is due."""
        queue = await self.queue(who)
        items = self.ctx.curriculum.items
        plan = [
            (card.item_id, review_seed(who, card.item_id, card.reps))
            for card in queue.due
            if card.item_id in items  # a reload may have removed some
        ]
        plan += [(item, review_seed(who, item, 0)) for item in queue.new]
        if not plan:
            return Step(cards=(self._nothing(queue),))
        run = await self.ctx.store.start_run(who, "review", "", plan, self.ctx.clock.now())
        pending = self.quizzes.pending(who, run)
        card = self.quizzes.question_card(who, run)
        card = replace(card, footer=f"{summary(queue)} · {card.footer}")
        return Step(cards=(card,), pending=pending)

    def _nothing(self, queue: ReviewQueue) -> Card:
        zone = ZoneInfo(queue.zone)
        lines = ["Nothing is due today."]
        if queue.next_due is not None:
            lines.append(f"Your next review is due **{_when(queue.next_due, zone)}** ({zone.key}).")
        if queue.new_left == 0:
            lines.append("You have had today's new cards; more come tomorrow.")
        else:
            lines.append(
                "New cards come from the lessons you finish (`/lesson`); questions you answer "
                "in `/quiz` are scheduled here too."
            )
        if queue.exercises:
            names = ", ".join(f"`{x}`" for x in queue.exercises)
            lines.append(f"Exercises due to solve again: {names} (`/exercise ID`).")
        return Card(
            title="Nothing to review", body="\n".join(lines), tone=Tone.SUCCESS, ephemeral=True
        )
