"""Review: the items a member got wrong come back, oldest first, until answered right.

The spacing rules (growing intervals, a memory model) belong to a later issue; for now an item
is due from the day after a wrong answer until the member's latest answer to it is right. A
review session is a quiz run of the due items, answered through `QuizService.answer`.
"""

from __future__ import annotations

import hashlib

from bot.cards import Card, Tone
from bot.domain.values import DueReview, MemberRef
from bot.services.context import Context
from bot.services.quizzes import SEED_LIMIT, QuizService, Step

SESSION_MAX = 25


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
        items = self.ctx.curriculum.items
        due = await self.ctx.store.due_reviews(who, self.ctx.clock.now())
        return [d for d in due if d.item_id in items]

    async def start(self, who: MemberRef) -> Step:
        """A session of the due items (at most `SESSION_MAX`), or a card saying none is due."""
        due = await self.due(who)
        if not due:
            return Step(
                cards=(
                    Card(
                        title="Nothing to review",
                        body=(
                            "No missed questions are due today. Questions you answer wrong "
                            "come back here the next day — try `/quiz`."
                        ),
                        tone=Tone.SUCCESS,
                        ephemeral=True,
                    ),
                )
            )
        plan = [(d.item_id, review_seed(who, d)) for d in due[:SESSION_MAX]]
        run = await self.ctx.store.start_run(who, "review", "", plan, self.ctx.clock.now())
        pending = self.quizzes.pending(who, run)
        return Step(cards=(self.quizzes.question_card(who, run),), pending=pending)
