"""Quiz runs: a few questions drawn at the start, answered one at a time, then a summary.

A run is stored (its plan of (item, seed) questions, the step it is at, right or wrong per
step), so a button only names the run and the step. Answering is one call and one transaction:
grade, record the answer with its XP and study day, move the run on, and return the feedback
with the next question or the summary. A review session is a run of the member's due items.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from bot.cards import Action, Card, Style, Tone, UserError, escape_markdown, not_yours
from bot.domain.quiz import AnswerFormatError, Kind, Question, grade, shuffled
from bot.domain.streaks import StreakEvent
from bot.domain.values import Judged, MemberRef, Recorded, RunState, StepOutcome
from bot.domain.xp import quiz_xp, review_xp
from bot.intents import MAX_COUNT, AnswerChoice, OpenAnswer, StartQuiz
from bot.services.context import Context
from bot.services.present import (
    HOW_TO_ANSWER,
    answer_and_key,
    choice_controls,
    question_text,
)

SEED_LIMIT = 2**31
DEFAULT_COUNT = 5
LESSON_QUIZ_MAX = 5
PROMPT_PREVIEW = 90

KIND_LABELS = {
    Kind.NUMERIC: "Your answer (a number)",
    Kind.OUTPUT: "What does it print?",
    Kind.TEXT: "Your answer (a word or short phrase)",
    Kind.CHOICE: "Your answer (a letter, or the option's text)",
}


@dataclass(frozen=True)
class Pending:
    """The question a run has open: what a typed answer answers (the console keeps this)."""

    run: int
    step: int
    kind: Kind


@dataclass(frozen=True)
class Step:
    """What one call produced: the cards to show in order, and the question left open."""

    cards: tuple[Card, ...]
    pending: Pending | None = None
    announce: str | None = None  # a finished run's one public line (unless the server opts out)


@dataclass(frozen=True)
class AnswerForm:
    """A form to type an answer in (a Discord modal): its title and the field's label."""

    title: str
    label: str
    multiline: bool = False


def question_key(who: MemberRef, item_id: str, seed: int) -> str:
    """Whose view of a question this is: choices are shuffled per member, item and seed."""
    return f"{who.guild_id}:{who.user_id}:{item_id}:{seed}"


class QuizService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def topic_ids(self) -> list[str]:
        return sorted(self.ctx.curriculum.topics)

    # -- drawing questions ---------------------------------------------------------------

    def _pool(self, topic: str | None, lesson_id: str | None) -> list[str]:
        curriculum = self.ctx.curriculum
        if lesson_id:
            lesson = curriculum.lessons.get(lesson_id)
            if lesson is None:
                raise UserError(f"There is no lesson `{lesson_id}`. See /roadmap for lesson ids.")
            return [item for item in lesson.quiz if item in curriculum.items]
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

    async def _studied_items(self, who: MemberRef) -> list[str]:
        """Without a topic, quiz what the member has learned so far and is learning now."""
        curriculum = self.ctx.curriculum
        done = await self.ctx.store.completed_lessons(who)
        ordered = curriculum.lessons_in_order()
        current = next((x for x in ordered if x.id not in done), None)
        lessons = [x for x in ordered if x.id in done or x is current]
        return sorted(
            {item for lesson in lessons for item in lesson.quiz if item in curriculum.items}
        )

    async def _plan(self, who: MemberRef, pool: list[str], count: int) -> list[tuple[str, int]]:
        """`count` different items (new ones first, then missed, then the rest), each with a
        fresh seed, so a generated item is a new question every time."""
        history = await self.ctx.store.item_stats(who, pool)
        groups = (
            [i for i in pool if i not in history],
            [i for i in pool if i in history and not history[i]],
            [i for i in pool if history.get(i)],
        )
        ordered: list[str] = []
        for group in groups:
            shuffled_group = list(group)
            self.ctx.rng.shuffle(shuffled_group)
            ordered.extend(shuffled_group)
        return [(item, self.ctx.rng.randrange(SEED_LIMIT)) for item in ordered[:count]]

    def question(self, item_id: str, seed: int) -> Question:
        if item_id not in self.ctx.curriculum.items:
            raise UserError("That question is no longer in the quiz bank; start a new `/quiz`.")
        question = self.ctx.curriculum.question(item_id, seed)
        return question if question.seed is not None else replace(question, seed=seed)

    def shown(self, who: MemberRef, item_id: str, seed: int) -> Question:
        """The question as this member sees it: choices in their own fixed order."""
        return shuffled(self.question(item_id, seed), question_key(who, item_id, seed))

    # -- a run ---------------------------------------------------------------------------

    async def start(
        self,
        who: MemberRef,
        topic: str | None = None,
        lesson_id: str | None = None,
        count: int = DEFAULT_COUNT,
    ) -> Step:
        """A run of `count` questions from a lesson, a topic, or what the member studied."""
        count = max(1, min(MAX_COUNT, count))
        pool = self._pool(topic, lesson_id)
        kind, ref = ("lesson", lesson_id) if lesson_id else ("topic", topic) if topic else ("", "")
        if not kind:
            pool = await self._studied_items(who) or pool
            kind = "studied"
        if not pool:
            raise UserError("There are no questions here yet; try another topic.")
        plan = await self._plan(who, pool, count)
        run = await self.ctx.store.start_run(
            who, kind, (ref or "").strip().lower(), plan, self.ctx.clock.now()
        )
        return Step(cards=(self.question_card(who, run),), pending=self.pending(who, run))

    def pending(self, who: MemberRef, run: RunState) -> Pending | None:
        if run.finished:
            return None
        item_id, seed = run.current()
        return Pending(run.id, run.step, self.question(item_id, seed).kind)

    def question_card(self, who: MemberRef, run: RunState) -> Card:
        """The run's open question, with answer controls that belong to the run's member."""
        item_id, seed = run.current()
        question = self.shown(who, item_id, seed)
        owner = run.user_id
        topic = self.ctx.curriculum.topics.get(question.topic)
        topic_title = topic.title if topic else question.topic
        noun = "review" if run.kind == "review" else "question"
        body = question_text(question, f"{noun} {run.step + 1} of {len(run.plan)}")
        menu = None
        actions: tuple[Action, ...]
        if question.kind is Kind.CHOICE:
            actions, menu = choice_controls(
                question,
                lambda n: AnswerChoice(owner=owner, run=run.id, step=run.step, choice=n),
            )
        else:
            intent = OpenAnswer(owner=owner, run=run.id, step=run.step)
            actions = (Action(intent, "✏️ Type your answer", Style.PRIMARY),)
        title = f"🔁 Review · {topic_title}" if run.kind == "review" else f"❓ {topic_title}"
        return Card(
            title=title,
            body=body,
            footer=HOW_TO_ANSWER[question.kind],
            actions=actions,
            menu=menu,
            tone=Tone.QUIZ,
        )

    def _judge(self, who: MemberRef, given: str) -> Judge:
        return Judge(self, who, given)

    async def answer(self, who: MemberRef, run_id: int, step: int, given: str) -> Step:
        """Grade and record the answer to one step of a run; the feedback, then the next
        question or the run's summary. An unreadable answer records nothing."""
        outcome = await self.ctx.store.answer_step(
            who, run_id, step, self.ctx.clock.now(), self._judge(who, given)
        )
        run = self._checked(outcome)
        assert outcome.judged is not None and outcome.recorded is not None
        feedback = self._feedback(who, outcome)
        following = self.summary_card(run) if run.finished else self.question_card(who, run)
        announce = None
        if run.finished:
            settings = await self.ctx.store.guild_settings(who.guild_id)
            if settings is None or settings.announce_quizzes:
                announce = self.announcement(who, run)
        return Step(cards=(feedback, following), pending=self.pending(who, run), announce=announce)

    @staticmethod
    def _checked(outcome: StepOutcome) -> RunState:
        if outcome.status == "missing" or outcome.run is None:
            raise UserError("That quiz no longer exists; start a new one with `/quiz`.")
        if outcome.status == "not_yours":
            raise UserError(not_yours(outcome.run.owner_name or "another member"))
        if outcome.status == "closed":
            raise UserError("This question is closed: it was already answered.")
        return outcome.run

    async def form(self, who: MemberRef, run_id: int, step: int) -> AnswerForm:
        """The form for typing the answer to a run's open question."""
        run = await self.ctx.store.run(run_id)
        if run is not None and (run.guild_id, run.user_id) != (who.guild_id, who.user_id):
            raise UserError(not_yours(run.owner_name or "another member"))
        if run is None:
            raise UserError("That quiz no longer exists; start a new one with `/quiz`.")
        if run.step != step or run.finished:
            raise UserError("This question is closed: it was already answered.")
        question = self.shown(who, *run.current())
        topic = self.ctx.curriculum.topics.get(question.topic)
        return AnswerForm(
            title=f"Answer · {topic.title if topic else question.topic}",
            label=KIND_LABELS[question.kind],
            multiline=question.kind is Kind.OUTPUT,
        )

    def _feedback(self, who: MemberRef, outcome: StepOutcome) -> Card:
        judged, recorded = outcome.judged, outcome.recorded
        assert judged is not None and recorded is not None
        question = self.shown(who, judged.item_id, judged.seed)
        if judged.correct:
            title, tone = "✅ Right", Tone.SUCCESS
            body = question.explanation
        else:
            title, tone = "❌ Not quite", Tone.WARNING
            body = f"{answer_and_key(question, judged.answer)}\n\n{question.explanation}"
        if recorded.new:
            body += self._afterwards(who, recorded)
        gained = f"+{recorded.xp_awarded} XP" if recorded.new else "answered before: no new XP"
        return Card(
            title=title, body=body, footer=f"{gained} · {recorded.xp_total} XP in all", tone=tone
        )

    def _afterwards(self, who: MemberRef, recorded: Recorded) -> str:
        """What the answer set going: when the question comes back, and the streak's news."""
        lines = [streak_news(event) for event in recorded.events]
        if recorded.next_due is not None:
            days = max(1, round((recorded.next_due - self.ctx.clock.now()).total_seconds() / 86400))
            lines.append(f"🔁 Back in `/review` in {days} day{'s' * (days != 1)}.")
        return "".join(f"\n-# {line}" for line in lines if line)

    def summary_card(self, run: RunState) -> Card:
        """The end of a run: the score, the questions missed, and another run of the same."""
        count, score = len(run.plan), run.score
        what = "Review" if run.kind == "review" else "Quiz"
        missed = [
            self._preview(item_id, seed)
            for (item_id, seed), mark in zip(run.plan, run.results, strict=False)
            if mark == "0"
        ]
        if score == count:
            verdict = "All right. 🎉"
        else:
            verdict = "What you missed comes back in `/review` from tomorrow."
        body = verdict
        if missed:
            body += "\n\n**Missed:**\n" + "\n".join(f"- {line}" for line in missed)
        again = (
            StartQuiz(lesson=run.ref, count=count)
            if run.kind == "lesson"
            else StartQuiz(topic=run.ref, count=count)
            if run.kind == "topic"
            else StartQuiz(count=DEFAULT_COUNT)
        )
        return Card(
            title=f"🏁 {what} done: {score} of {count} right",
            body=body,
            tone=Tone.SUCCESS if count and score / count >= 0.5 else Tone.QUIZ,
            actions=(Action(again, "Another quiz", Style.PRIMARY),),
        )

    def announcement(self, who: MemberRef, run: RunState) -> str:
        """The one public line a finished run leaves in the channel."""
        name = escape_markdown(who.display_name or "A member")
        if run.kind == "review":
            what = "a review"
        else:
            topic = self.ctx.curriculum.topics.get(run.ref)
            lesson = self.ctx.curriculum.lessons.get(run.ref)
            subject = topic.title if topic else lesson.title if lesson else ""
            what = f"a {subject} quiz" if subject else "a quiz"
        return f"🏁 {name} finished {what}: {run.score}/{len(run.plan)}"

    def _preview(self, item_id: str, seed: int) -> str:
        """The first line of a missed question's prompt, short enough for a list."""
        try:
            prompt = self.question(item_id, seed).prompt
        except UserError:
            return f"`{item_id}` (no longer in the bank)"
        first = prompt.strip().splitlines()[0] if prompt.strip() else item_id
        first = first.replace("**", "").replace("`", "")  # a cut must not leave Markdown open
        if len(first) > PROMPT_PREVIEW:
            first = first[: PROMPT_PREVIEW - 1] + "…"
        return first


def streak_news(event: StreakEvent) -> str:
    """One line about what an answer did to the streak (freezes, milestones, restarts)."""
    if event.kind == "freeze_spent":
        return f"🧊 A freeze covered {event.day:%a %d %b}: your streak goes on."
    if event.kind == "freeze_earned":
        return f"🧊 {event.count} days in a row: you earned a streak freeze."
    if event.kind == "milestone":
        return f"🏅 Streak milestone: {event.count}!"
    return ""


@dataclass(frozen=True)
class Judge:
    """Grades a run's open question inside the recording transaction (pure: no I/O)."""

    quizzes: QuizService
    who: MemberRef
    given: str

    def __call__(self, run: RunState) -> Judged:
        item_id, seed = run.current()
        question = self.quizzes.shown(self.who, item_id, seed)
        try:
            result = grade(question, self.given)
        except AnswerFormatError as error:
            raise UserError(f"{error}.") from None
        return Judged(
            item_id=item_id,
            topic=question.topic,
            seed=seed,
            answer=result.given,
            correct=result.correct,
            xp=(
                review_xp(result.correct)
                if run.kind == "review"
                else quiz_xp(question.difficulty, result.correct)
            ),
        )
