"""Review: the items a member got wrong come back, oldest first, until answered right.

The spacing rules (boxes, growing intervals) belong to a later issue; for now an item is due
from the day after a wrong answer until the member's latest answer to it is right. A review
question uses the quiz's own buttons, so answering it is an ordinary `QuizService.answer`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from bot.cards import Card, Tone
from bot.services.context import Context
from bot.services.quizzes import SEED_LIMIT, QuizService
from bot.storage.store import DueReview, MemberRef


def review_seed(who: MemberRef, due: DueReview) -> int:
    """A seed of its own for each review round of an item.

    Showing the same round twice gives the same question (one recorded answer); the next
    round (after another answer bumped `reps`) is a new question, so it is recorded anew.
    """
    key = f"review:{who.guild_id}:{who.user_id}:{due.item_id}:{due.reps}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % SEED_LIMIT


class ReviewService:
    def __init__(self, ctx: Context, quizzes: QuizService) -> None:
        self.ctx = ctx
        self.quizzes = quizzes

    async def due(self, who: MemberRef) -> list[DueReview]:
        """Due items still in the quiz bank (a reload may have removed some)."""
        _view, _zone, today = await self.ctx.member_day(who)
        items = self.ctx.curriculum.items
        return [d for d in await self.ctx.store.due_reviews(who, today) if d.item_id in items]

    async def card(self, who: MemberRef) -> Card:
        """The first due item as a question, or a card saying nothing is due."""
        due = await self.due(who)
        if not due:
            return Card(
                title="Nothing to review",
                body=(
                    "No missed questions are due today. Questions you answer wrong come back "
                    "here the next day — try `/quiz`."
                ),
                tone=Tone.SUCCESS,
                ephemeral=True,
            )
        first = due[0]
        question = self.quizzes.question(first.item_id, review_seed(who, first))
        card = self.quizzes.question_card(question)
        topic = card.title.removeprefix("Quiz · ")
        missed = f"missed {first.lapses} time{'s' * (first.lapses != 1)}"
        return replace(
            card,
            title=f"Review 1 of {len(due)} · {topic}",
            footer=f"{card.footer} · {missed}",
        )
