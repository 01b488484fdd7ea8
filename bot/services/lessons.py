"""The roadmap and its lessons: what comes next for a member, showing a lesson, marking it done.

Prerequisites are advice, not locks: the roadmap suggests the first lesson whose prerequisites
are done, and a lesson opened early says what it builds on, but any lesson can be read and
marked done (a member who joins a server mid-roadmap, or knows NumPy already, is not held back).

In chat a lesson is read as pages (its `##` sections, packed up to a phone screen or so), with
the lesson's own buttons on every page; a terminal shows it whole.
"""

from __future__ import annotations

import difflib

from bot.cards import Action, Card, CardField, Image, Menu, MenuOption, Style, Tone, UserError
from bot.curriculum.model import Curriculum, Lesson
from bot.curriculum.notebook import MIME, file_name, notebook_bytes
from bot.domain.pages import pages
from bot.domain.values import MemberRef
from bot.domain.xp import LESSON_XP
from bot.intents import LessonNotebook, LessonPage, MarkDone, OpenLesson, StartQuiz
from bot.services.context import Context
from bot.services.quizzes import LESSON_QUIZ_MAX

CHAT_PAGE = 1800  # characters: about a phone screen of text before the buttons
MENU_MAX = 25


def find_lesson(curriculum: Curriculum, lesson_id: str) -> Lesson:
    """A lesson by id (or by its number on the roadmap), or a UserError that suggests one."""
    wanted = lesson_id.strip()
    if wanted in curriculum.lessons:
        return curriculum.lessons[wanted]
    ordered = curriculum.lessons_in_order()
    if wanted.isdigit() and 1 <= int(wanted) <= len(ordered):
        return ordered[int(wanted) - 1]
    close = difflib.get_close_matches(wanted, list(curriculum.lessons), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else " See /roadmap for lesson ids."
    raise UserError(f"There is no lesson `{wanted}`.{hint}")


class LessonService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # Notebooks are built and schema-checked once per lesson and curriculum (a reload
        # brings a new curriculum object, so stale files are never served).
        self._notebooks: dict[tuple[int, str], bytes] = {}

    def find(self, lesson_id: str) -> Lesson:
        return find_lesson(self.ctx.curriculum, lesson_id)

    def next_for(self, done: set[str]) -> Lesson | None:
        """The first lesson in roadmap order that is not done and whose prerequisites are."""
        for lesson in self.ctx.curriculum.lessons_in_order():
            if lesson.id not in done and all(p in done for p in lesson.prerequisites):
                return lesson
        return None

    async def next_lesson_for(self, who: MemberRef) -> Lesson | None:
        return self.next_for(await self.ctx.store.completed_lessons(who))

    # -- the roadmap ---------------------------------------------------------------------

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
                lines.append(f"{mark} {number}. {lesson.title} · {lesson.minutes} min")
            finished = sum(1 for lesson_id in track.lesson_ids if lesson_id in done)
            name = f"{track.order}. {track.title} — {finished}/{len(track.lesson_ids)}"
            fields.append(CardField(name=name, value="\n".join(lines)))
        total = len(curriculum.lessons)
        body = (
            f"Next up: **{upcoming.title}**"
            if upcoming
            else "You have finished every lesson on the roadmap. 🎉"
        )
        actions = (Action(OpenLesson(), "▶ Start next lesson", Style.PRIMARY),) if upcoming else ()
        return Card(
            title="🗺️ The roadmap",
            body=body,
            fields=tuple(fields),
            footer=f"{len(done & set(curriculum.lessons))} of {total} lessons done",
            actions=actions,
            menu=self._lesson_menu(upcoming),
            tone=Tone.LESSON,
        )

    def _lesson_menu(self, upcoming: Lesson | None) -> Menu:
        """ "Open a lesson…": up to 25 lessons from the member's next one on (wrapping round)."""
        ordered = self.ctx.curriculum.lessons_in_order()
        start = ordered.index(upcoming) if upcoming in ordered else 0
        window = (ordered[start:] + ordered[:start])[:MENU_MAX]
        numbers = {lesson.id: n for n, lesson in enumerate(ordered, 1)}
        return Menu(
            placeholder="Open a lesson…",
            options=tuple(
                MenuOption(
                    OpenLesson(lesson=lesson.id),
                    f"{numbers[lesson.id]}. {lesson.title}"[:100],
                    self.ctx.curriculum.track(lesson.track).title[:100],
                )
                for lesson in window
            ),
        )

    # -- a lesson ------------------------------------------------------------------------

    async def show(
        self, who: MemberRef, lesson_id: str | None = None, page: int | None = None
    ) -> Card:
        """A named lesson, or the member's next one: whole (a terminal), or one page of it
        (chat) with a pager that belongs to the member."""
        done = await self.ctx.store.completed_lessons(who)
        if lesson_id:
            lesson = self.find(lesson_id)
        else:
            next_lesson = self.next_for(done)
            if next_lesson is None:
                return Card(
                    title="🎓 Roadmap complete",
                    body="Every lesson is done. Review with `/quiz` or pick any lesson by id.",
                    tone=Tone.SUCCESS,
                )
            lesson = next_lesson
        if page is None:
            return self.lesson_card(lesson, done)
        return self.page_card(lesson, page, who.user_id, done)

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

    def _footer(self, lesson: Lesson) -> str:
        """Plain words: where the lesson sits (chat shows no Markdown in footers)."""
        ordered = [item.id for item in self.ctx.curriculum.lessons_in_order()]
        track = self.ctx.curriculum.track(lesson.track)
        number = ordered.index(lesson.id) + 1
        return f"{track.title} · lesson {number} of {len(ordered)} · {lesson.minutes} min"

    def _lesson_actions(self, lesson: Lesson, row: int | None = None) -> tuple[Action, ...]:
        return (
            Action(MarkDone(lesson=lesson.id), "✅ Mark done", Style.SUCCESS, row=row),
            Action(self.quiz_intent(lesson), "❓ Quiz me on this", Style.PRIMARY, row=row),
            Action(LessonNotebook(lesson=lesson.id), "📓 Notebook", row=row),
        )

    async def notebook(self, who: MemberRef, lesson_id: str) -> Card:
        """The lesson as a notebook file (private: it is the presser's copy to take away)."""
        lesson = self.find(lesson_id)
        name = file_name(lesson)
        return Card(
            title=f"📓 {lesson.title}",
            body=(
                f"`{name}`: the lesson's text and code as a Jupyter notebook. Open it in "
                "Jupyter, VS Code or Colab, run it top to bottom, then change the numbers."
            ),
            files=(Image(name, self._notebook_file(lesson), MIME, "The notebook"),),
            ephemeral=True,
            tone=Tone.LESSON,
        )

    def _notebook_file(self, lesson: Lesson) -> bytes:
        curriculum = self.ctx.curriculum
        key = (id(curriculum), lesson.id)
        if key not in self._notebooks:
            if len(self._notebooks) > 4 * len(curriculum.lessons):
                self._notebooks.clear()
            self._notebooks[key] = notebook_bytes(lesson, curriculum)
        return self._notebooks[key]

    def lesson_card(self, lesson: Lesson, done: set[str] | None = None) -> Card:
        """The whole lesson (a terminal, the console's feed)."""
        note = self.builds_on(lesson, done) if done is not None else ""
        return Card(
            title=f"📖 {lesson.title}",
            body=f"{note}\n\n{lesson.body}" if note else lesson.body,
            footer=self._footer(lesson),
            actions=self._lesson_actions(lesson),
            tone=Tone.LESSON,
        )

    def chat_pages(self, lesson: Lesson) -> list[str]:
        return pages(lesson.body, CHAT_PAGE)

    def page_card(
        self, lesson: Lesson, page: int, viewer: int, done: set[str] | None = None
    ) -> Card:
        """One page of a lesson with ◀ Prev · 2 / 6 · Next ▶ (the viewer's) and the lesson's
        own buttons, on every page."""
        texts = self.chat_pages(lesson)
        page = max(1, min(page, len(texts)))
        note = self.builds_on(lesson, done) if done is not None and page == 1 else ""
        body = texts[page - 1]
        if note:
            body = f"{note}\n\n{body}"
        pager: tuple[Action, ...] = ()
        if len(texts) > 1:
            pager = (
                Action(
                    LessonPage(viewer=viewer, lesson=lesson.id, page=max(1, page - 1), via="prev"),
                    "◀ Prev",
                    disabled=page == 1,
                    row=0,
                ),
                Action(
                    LessonPage(viewer=viewer, lesson=lesson.id, page=page, via="at"),
                    f"{page} / {len(texts)}",
                    disabled=True,
                    row=0,
                ),
                Action(
                    LessonPage(
                        viewer=viewer,
                        lesson=lesson.id,
                        page=min(len(texts), page + 1),
                        via="next",
                    ),
                    "Next ▶",
                    Style.PRIMARY,
                    disabled=page == len(texts),
                    row=0,
                ),
            )
        return Card(
            title=f"📖 {lesson.title}",
            body=body,
            footer=self._footer(lesson),
            actions=(*pager, *self._lesson_actions(lesson, row=1 if pager else None)),
            tone=Tone.LESSON,
        )

    def post_cards(self, lesson: Lesson) -> list[Card]:
        """The lesson as a timed post: its pages as cards (one message each, in a thread after
        the first), the lesson's buttons on the first and the last."""
        texts = pages(lesson.body)
        actions = self._lesson_actions(lesson)
        cards = []
        for number, text in enumerate(texts, 1):
            title = f"📖 {lesson.title}"
            if number > 1:
                title = f"📖 {lesson.title} · page {number} of {len(texts)}"
            more = (
                "\n\n*The lesson goes on in the thread below.*" if number == 1 < len(texts) else ""
            )
            cards.append(
                Card(
                    title=title,
                    body=text + more,
                    footer=self._footer(lesson) if number == 1 else "",
                    actions=actions if number in (1, len(texts)) else (),
                    tone=Tone.LESSON,
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
            who, lesson.id, LESSON_XP, self.ctx.clock.now()
        )
        upcoming = await self.next_lesson_for(who)
        after = f"Next: **{upcoming.title}**" if upcoming else "That was the last one! 🎓"
        name = who.display_name or "You"
        if not recorded.new:
            return Card(
                title=f"Already done: {lesson.title}",
                body=f"You finished this lesson before, so no new XP. {after}",
                footer=f"{recorded.xp_total} XP in all",
                ephemeral=True,
            )
        return Card(
            title=f"✅ {name} finished {lesson.title}",
            body=f"+{recorded.xp_awarded} XP. {after}",
            footer=f"{recorded.xp_total} XP in all",
            tone=Tone.SUCCESS,
            actions=(Action(self.quiz_intent(lesson), "❓ Quiz me on this", Style.PRIMARY),),
        )
