"""Quizzes: draw a question, grade an answer, record it once with its XP and activity day.

A question is fully named by (item id, seed), so an adapter can put it in a button id or a
console variable and grade it later, even after a restart, without any session state.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from bot.cards import Action, Card, CardField, Style, Tone, UserError
from bot.domain.progress import xp_for_answer
from bot.domain.quiz import AnswerFormatError, Kind, Question, grade
from bot.services.context import Context
from bot.storage.store import AnswerRecord, MemberRef

SEED_LIMIT = 2**31


@dataclass(frozen=True)
class Asked:
    question: Question
    card: Card

    @property
    def item_id(self) -> str:
        return self.question.item_id

    @property
    def seed(self) -> int:
        return self.question.seed if self.question.seed is not None else 0


@dataclass(frozen=True)
class Answered:
    """The feedback card, and what an adapter running a multi-question quiz needs to score it."""

    card: Card
    correct: bool
    new: bool


def attempt_ref(item_id: str, seed: int) -> str:
    """The identity of one asked question: answering it twice records it once."""
    return f"{item_id}:{seed}"


class QuizService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def topic_ids(self) -> list[str]:
        return sorted(self.ctx.curriculum.topics)

    def _pool(self, topic: str | None, lesson_id: str | None) -> list[str]:
        curriculum = self.ctx.curriculum
        if lesson_id:
            lesson = curriculum.lessons.get(lesson_id)
            if lesson is None:
                raise UserError(f"There is no lesson `{lesson_id}`. See /roadmap for lesson ids.")
            return list(lesson.quiz)
        if topic:
            wanted = topic.strip().lower()
            if wanted not in curriculum.topics:
                close = difflib.get_close_matches(wanted, list(curriculum.topics), n=1)
                hint = f"Did you mean `{close[0]}`? " if close else ""
                raise UserError(
                    f"There is no topic `{wanted}`. {hint}Topics: {', '.join(self.topic_ids())}."
                )
            return list(curriculum.topics[wanted].item_ids)
        return sorted(curriculum.items)

    async def ask(
        self, who: MemberRef, topic: str | None = None, lesson_id: str | None = None
    ) -> Asked:
        """Draw an item the member has not mastered yet (new first, then missed, then any)."""
        pool = self._pool(topic, lesson_id)
        if not topic and not lesson_id:
            pool = await self._studied_items(who) or pool
        if not pool:
            raise UserError("There are no questions here yet; try another topic.")
        history = await self.ctx.store.item_stats(who, pool)
        unseen = [i for i in pool if i not in history]
        missed = [i for i in pool if i in history and not history[i]]
        choices = unseen or missed or pool
        item_id = self.ctx.rng.choice(choices)
        seed = self.ctx.rng.randrange(SEED_LIMIT)
        question = self.question(item_id, seed)
        return Asked(question=question, card=self.question_card(question))

    async def _studied_items(self, who: MemberRef) -> list[str]:
        """Without a topic, quiz what the member has learned so far and is learning now."""
        curriculum = self.ctx.curriculum
        done = await self.ctx.store.completed_lessons(who)
        current = next((x for x in curriculum.lessons_in_order() if x.id not in done), None)
        lessons = [x for x in curriculum.lessons_in_order() if x.id in done or x is current]
        return sorted(
            {item for lesson in lessons for item in lesson.quiz if item in curriculum.items}
        )

    def question(self, item_id: str, seed: int) -> Question:
        if item_id not in self.ctx.curriculum.items:
            raise UserError("That question is no longer in the quiz bank; start a new `/quiz`.")
        question = self.ctx.curriculum.question(item_id, seed)
        return question if question.seed is not None else replace(question, seed=seed)

    def question_card(self, question: Question) -> Card:
        seed = question.seed or 0
        body = question.prompt
        if question.code:
            body += f"\n```python\n{question.code.rstrip()}\n```"
        actions: tuple[Action, ...] = ()
        if question.kind is Kind.CHOICE:
            body += "\n\n" + "\n".join(f"{n}. {c}" for n, c in enumerate(question.choices, 1))
            actions = tuple(
                Action(f"quiz:answer:{question.item_id}:{seed}:{n}", str(n), Style.SECONDARY)
                for n in range(1, len(question.choices) + 1)
            )
            how = "Answer with the number of a choice."
        elif question.kind is Kind.NUMERIC:
            how = "Answer with a number (3, -0.25 and 3/4 all work)."
            actions = (Action(f"quiz:open:{question.item_id}:{seed}", "Answer", Style.PRIMARY),)
        elif question.kind is Kind.OUTPUT:
            how = "Answer with exactly what it prints."
            actions = (Action(f"quiz:open:{question.item_id}:{seed}", "Answer", Style.PRIMARY),)
        else:
            how = "Answer in a word or a short phrase."
            actions = (Action(f"quiz:open:{question.item_id}:{seed}", "Answer", Style.PRIMARY),)
        topic = self.ctx.curriculum.topics.get(question.topic)
        return Card(
            title=f"Quiz · {topic.title if topic else question.topic}",
            body=body,
            fields=(CardField("Difficulty", "★" * question.difficulty, inline=True),),
            footer=f"{how} · `{question.item_id}`",
            actions=actions,
        )

    async def answer(self, who: MemberRef, item_id: str, seed: int, given: str) -> Card:
        """Grade and record. An unreadable answer is a UserError and records nothing."""
        return (await self.grade_and_record(who, item_id, seed, given)).card

    async def grade_and_record(
        self, who: MemberRef, item_id: str, seed: int, given: str
    ) -> Answered:
        """`answer`, also saying whether it was right and whether it was recorded just now."""
        question = self.question(item_id, seed)
        try:
            result = grade(question, given)
        except AnswerFormatError as error:
            raise UserError(f"{error}.") from None
        _view, _zone, today = await self.ctx.member_day(who)
        xp = xp_for_answer(result.correct, question.difficulty)
        recorded = await self.ctx.store.record_answer(
            who,
            AnswerRecord(
                attempt_ref=attempt_ref(item_id, seed),
                item_id=item_id,
                topic=question.topic,
                seed=seed,
                answer=result.given,
                correct=result.correct,
                xp=xp,
                at=self.ctx.clock.now(),
                day=today,
            ),
        )
        if result.correct:
            title, tone = "✅ Correct", Tone.SUCCESS
            body = question.explanation
        else:
            title, tone = "❌ Not quite", Tone.WARNING
            body = f"You answered **{result.given}**; the answer is **{result.expected}**.\n\n"
            body += question.explanation
        gained = f"+{recorded.xp_awarded} XP" if recorded.new else "already answered: no new XP"
        card = Card(
            title=title,
            body=body,
            footer=f"{gained} · {recorded.xp_total} XP in all",
            tone=tone,
            actions=(Action(f"quiz:next:{question.topic}", "Next question", Style.PRIMARY),),
        )
        return Answered(card=card, correct=result.correct, new=recorded.new)

    def summary_card(self, score: int, count: int, what: str = "quiz") -> Card:
        """The end of a run of questions: how many were right, and where to go next."""
        share = score / count if count else 0.0
        if share == 1:
            verdict = "All right. 🎉"
        elif share >= 0.5:
            verdict = "Well done; the missed ones come back in `/review` tomorrow."
        else:
            verdict = "Keep at it: missed questions come back in `/review` tomorrow."
        return Card(
            title=f"{what.capitalize()} done: {score} of {count} right",
            body=verdict,
            tone=Tone.SUCCESS if share >= 0.5 else Tone.INFO,
            actions=(Action("quiz:next:", "Another question", Style.SECONDARY),),
        )
