"""The roadmap and its lessons: what comes next for a member, showing a lesson, marking it done.

Prerequisites are advice, not locks: the roadmap suggests the first lesson whose prerequisites
are done, and a lesson opened early says what it builds on, but any lesson can be read and
marked done (a member who joins a server mid-roadmap, or knows NumPy already, is not held back).
"""

from __future__ import annotations

import difflib

from bot.cards import Action, Card, CardField, Style, Tone, UserError
from bot.curriculum.model import Lesson
from bot.domain.pages import pages
from bot.domain.progress import XP_LESSON_DONE
from bot.domain.values import MemberRef
from bot.intents import MarkDone, StartQuiz
from bot.services.context import Context
from bot.services.quizzes import LESSON_QUIZ_MAX


class LessonService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def find(self, lesson_id: str) -> Lesson:
        """A lesson by id (or by its number on the roadmap), or a UserError that suggests one."""
        curriculum = self.ctx.curriculum
        wanted = lesson_id.strip()
        if wanted in curriculum.lessons:
            return curriculum.lessons[wanted]
        ordered = curriculum.lessons_in_order()
        if wanted.isdigit() and 1 <= int(wanted) <= len(ordered):
            return ordered[int(wanted) - 1]
        close = difflib.get_close_matches(wanted, list(curriculum.lessons), n=1)
        hint = f" Did you mean `{close[0]}`?" if close else " See /roadmap for lesson ids."
        raise UserError(f"There is no lesson `{wanted}`.{hint}")

    def next_for(self, done: set[str]) -> Lesson | None:
        """The first lesson in roadmap order that is not done and whose prerequisites are."""
        for lesson in self.ctx.curriculum.lessons_in_order():
            if lesson.id not in done and all(p in done for p in lesson.prerequisites):
                return lesson
        return None

    async def next_lesson_for(self, who: MemberRef) -> Lesson | None:
        return self.next_for(await self.ctx.store.completed_lessons(who))

    async def roadmap(self, who: MemberRef) -> Card:
        curriculum = self.ctx.curriculum
        done = await self.ctx.store.completed_lessons(who)
        upcoming = self.next_for(done)
        fields = []
        number = 0
        for track in curriculum.tracks:
            lines = []
            for lesson_id in track.lesson_ids:
                number += 1
                lesson = curriculum.lessons[lesson_id]
                if lesson.id in done:
                    mark = "✅"
                elif upcoming is not None and lesson.id == upcoming.id:
                    mark = "▶️"
                else:
                    mark = "⬜"
                lines.append(
                    f"{mark} {number}. {lesson.title} (`{lesson.id}`, {lesson.minutes} min)"
                )
            finished = sum(1 for lesson_id in track.lesson_ids if lesson_id in done)
            name = f"{track.order}. {track.title} — {finished}/{len(track.lesson_ids)}"
            fields.append(CardField(name=name, value="\n".join(lines)))
        total = len(curriculum.lessons)
        body = (
            f"Next up: **{upcoming.title}** — `/lesson {upcoming.id}`"
            if upcoming
            else "You have finished every lesson on the roadmap. 🎉"
        )
        return Card(
            title="The roadmap",
            body=body,
            fields=tuple(fields),
            footer=f"{len(done & set(curriculum.lessons))} of {total} lessons done",
        )

    async def show(self, who: MemberRef, lesson_id: str | None = None) -> Card:
        """A named lesson, or the member's next one."""
        done = await self.ctx.store.completed_lessons(who)
        if lesson_id:
            lesson = self.find(lesson_id)
        else:
            next_lesson = self.next_for(done)
            if next_lesson is None:
                return Card(
                    title="Roadmap complete",
                    body="Every lesson is done. Review with `/quiz` or pick any lesson by id.",
                    tone=Tone.SUCCESS,
                )
            lesson = next_lesson
        return self.lesson_card(lesson, done)

    def builds_on(self, lesson: Lesson, done: set[str]) -> str:
        """A note for a lesson opened before its prerequisites, or nothing."""
        missing = [
            self.ctx.curriculum.lessons[p]
            for p in lesson.prerequisites
            if p not in done and p in self.ctx.curriculum.lessons
        ]
        if not missing:
            return ""
        names = ", ".join(f"**{p.title}** (`/lesson {p.id}`)" for p in missing)
        return f"*This lesson builds on {names}, which you have not marked done yet.*"

    @staticmethod
    def quiz_intent(lesson: Lesson) -> StartQuiz:
        """A run of the lesson's own questions (at most five)."""
        return StartQuiz(lesson=lesson.id, count=max(1, min(LESSON_QUIZ_MAX, len(lesson.quiz))))

    def lesson_card(self, lesson: Lesson, done: set[str] | None = None) -> Card:
        curriculum = self.ctx.curriculum
        ordered = [item.id for item in curriculum.lessons_in_order()]
        track = curriculum.track(lesson.track)
        note = self.builds_on(lesson, done) if done is not None else ""
        return Card(
            title=lesson.title,
            body=f"{note}\n\n{lesson.body}" if note else lesson.body,
            fields=(
                CardField("Track", track.title, inline=True),
                CardField("Time", f"{lesson.minutes} min", inline=True),
                CardField("Tags", ", ".join(lesson.tags) or "—", inline=True),
            ),
            footer=f"Lesson {ordered.index(lesson.id) + 1} of {len(ordered)} · `{lesson.id}`",
            actions=(
                Action(MarkDone(lesson=lesson.id), "Mark done", Style.SUCCESS),
                Action(self.quiz_intent(lesson), "Quiz me on this", Style.PRIMARY),
            ),
        )

    def post_cards(self, lesson: Lesson) -> list[Card]:
        """The lesson as a timed post: its pages as cards, the buttons on the first and last."""
        curriculum = self.ctx.curriculum
        ordered = [item.id for item in curriculum.lessons_in_order()]
        track = curriculum.track(lesson.track)
        texts = pages(lesson.body)
        actions = (
            Action(MarkDone(lesson=lesson.id), "Mark done", Style.SUCCESS),
            Action(self.quiz_intent(lesson), "Quiz me on this", Style.PRIMARY),
        )
        cards = []
        for number, text in enumerate(texts, 1):
            title = (
                lesson.title if number == 1 else f"{lesson.title} · page {number} of {len(texts)}"
            )
            footer = (
                f"Lesson {ordered.index(lesson.id) + 1} of {len(ordered)} · {track.title}"
                f" · {lesson.minutes} min"
                if number == 1
                else ""
            )
            more = (
                "\n\n*The lesson goes on in the thread below.*" if number == 1 < len(texts) else ""
            )
            cards.append(
                Card(
                    title=title,
                    body=text + more,
                    footer=footer,
                    actions=actions if number in (1, len(texts)) else (),
                )
            )
        return cards

    async def mark_done(self, who: MemberRef, lesson_id: str | None = None) -> Card:
        """Mark a lesson done (the member's next one when none is named)."""
        if lesson_id:
            lesson = self.find(lesson_id)
        else:
            next_lesson = await self.next_lesson_for(who)
            if next_lesson is None:
                raise UserError("Every lesson is already done. Name one with `/done <lesson>`.")
            lesson = next_lesson
        recorded = await self.ctx.store.complete_lesson(
            who, lesson.id, XP_LESSON_DONE, self.ctx.clock.now()
        )
        upcoming = await self.next_lesson_for(who)
        after = f"Next: **{upcoming.title}** — `/lesson`" if upcoming else "That was the last one!"
        if not recorded.new:
            return Card(
                title=f"Already done: {lesson.title}",
                body=f"You finished this lesson before, so no new XP. {after}",
                footer=f"{recorded.xp_total} XP in all",
                ephemeral=True,
            )
        return Card(
            title=f"Done: {lesson.title}",
            body=f"+{recorded.xp_awarded} XP. {after}",
            footer=f"{recorded.xp_total} XP in all",
            tone=Tone.SUCCESS,
            actions=(Action(self.quiz_intent(lesson), "Quiz me on this", Style.PRIMARY),),
        )
