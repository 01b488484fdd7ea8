"""Exercises: write one function; it runs on hidden inputs and its returns are checked here.

A check is one snippet run: the harness (`exercise_harness.py`, sent as the code) gets the job on
stdin, runs the member's code in the runner, and reports what the function returned for each
case. The expected values are the model solution's returns, from a run of the same harness
(never `exec` in this process), kept in memory per exercise and version of its solution and
cases. `bot.domain.exercises` compares them: the runner never sees an expected value.

Submitting is one call: the member's admission (RunService: one run at a time, a per-minute
limit), the check, and one transaction that records the run and the attempt, the study day,
and on the first solve the XP.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.cards import Action, Card, Menu, MenuOption, Style, Tone, UserError, escape_markdown
from bot.curriculum.model import Exercise
from bot.domain.exercises import (
    BrokenReference,
    Ending,
    Report,
    Tolerance,
    Value,
    Verdict,
    expected_values,
    judge,
    parse_report,
)
from bot.domain.snippets import snippet_from_argument
from bot.domain.values import MemberRef, Recorded
from bot.domain.xp import exercise_xp
from bot.intents import OpenExercise, OpenLesson, SubmitExercise
from bot.runner.client import RunnerError, RunResult
from bot.services.context import Context
from bot.services.present import stars
from bot.services.runs import RunService

log = logging.getLogger(__name__)

# The harness is sent as the code of every check; it is read here, never imported.
HARNESS = (Path(__file__).parent / "exercise_harness.py").read_text(encoding="utf-8")
LIST_MAX = 10
MENU_MAX = 25
FAILURES_SHOWN = 3
PRINTED_LINES = 8
PRINTED_CHARS = 400


@dataclass(frozen=True)
class ExerciseForm:
    """The form a submission is typed in (a Discord modal), filled with `code`."""

    title: str
    label: str
    code: str


@dataclass(frozen=True)
class Submitted:
    """A checked submission: the private result, and a first solve's one public line."""

    card: Card
    verdict: Verdict
    announce: str | None = None


@dataclass(frozen=True)
class Checked:
    """A check without a member (tests, `studybot content exercises`): the verdict and the run."""

    verdict: Verdict
    result: RunResult


def version_of(exercise: Exercise) -> str:
    """What the expected values depend on: the solution, the function, the cases and the
    harness that runs them. A reload that changes any of these computes them again."""
    parts = [HARNESS, exercise.function, exercise.solution, *exercise.cases]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def new_marker() -> str:
    """A fresh marker per run, so what the member prints cannot look like the harness's lines
    by accident. Not a secret: a forged line can only carry values the member computed."""
    return f"#studybot-check:{secrets.token_hex(8)}"


class ExerciseService:
    def __init__(self, ctx: Context, runs: RunService, timeout_s: float | None = None) -> None:
        self.ctx = ctx
        self.runs = runs
        self.timeout_s = timeout_s  # a check's wall limit; None: the runner's own default
        self._expected: dict[tuple[str, str], tuple[Value, ...]] = {}
        self._computing: dict[tuple[str, str], asyncio.Lock] = {}

    # -- finding exercises ---------------------------------------------------------------

    def ordered(self) -> list[Exercise]:
        """Every exercise in roadmap order: by its lesson, then difficulty, then id."""
        position = {lesson.id: n for n, lesson in enumerate(self.ctx.curriculum.lessons_in_order())}
        return sorted(
            self.ctx.curriculum.exercises.values(),
            key=lambda e: (position.get(e.lesson, len(position)), e.difficulty, e.id),
        )

    def find(self, name: str) -> Exercise:
        """An exercise by id (with or without `ex-`) or title; a UserError with a suggestion."""
        exercises = self.ctx.curriculum.exercises
        wanted = name.strip().lower()
        for candidate in (wanted, f"ex-{wanted}"):
            if candidate in exercises:
                return exercises[candidate]
        by_title = {e.title.casefold(): e for e in exercises.values()}
        if wanted.casefold() in by_title:
            return by_title[wanted.casefold()]
        close = difflib.get_close_matches(wanted, list(exercises), n=1, cutoff=0.6)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise UserError(f"There is no exercise `{name.strip()[:64]}`.{hint} See /exercise.")

    async def next_for(self, who: MemberRef, solved: set[str] | None = None) -> list[Exercise]:
        """The member's unsolved exercises, those of lessons they have done or are on first."""
        if solved is None:
            progress = await self.ctx.store.exercise_progress(who)
            solved = {e for e, ok in progress.items() if ok}
        done = await self.ctx.store.completed_lessons(who)
        ordered = self.ctx.curriculum.lessons_in_order()
        current = next((lesson.id for lesson in ordered if lesson.id not in done), None)
        reached = done | ({current} if current else set())
        unsolved = [e for e in self.ordered() if e.id not in solved]
        return [e for e in unsolved if e.lesson in reached] + [
            e for e in unsolved if e.lesson not in reached
        ]

    # -- cards ---------------------------------------------------------------------------

    async def list_card(self, who: MemberRef, scope: str | None = None) -> Card:
        """Without `scope`, the member's next unsolved exercises; with a track or lesson id
        (or a track's title), that track's or lesson's exercises."""
        curriculum = self.ctx.curriculum
        progress = await self.ctx.store.exercise_progress(who)
        solved = {e for e, ok in progress.items() if ok}
        wanted = (scope or "").strip().lower()
        tracks = {t.id: t for t in curriculum.tracks}
        tracks.update({t.title.casefold(): t for t in curriculum.tracks})
        if not wanted:
            chosen, title = await self.next_for(who, solved), "🧩 Your next exercises"
        elif wanted in tracks:
            track = tracks[wanted]
            chosen = [e for e in self.ordered() if e.lesson in track.lesson_ids]
            title = f"🧩 Exercises · {track.title}"
        elif wanted in curriculum.lessons:
            chosen = [e for e in self.ordered() if e.lesson == wanted]
            title = f"🧩 Exercises · {curriculum.lessons[wanted].title}"
        else:
            return await self.show(who, scope or "")
        if not chosen:
            body = "You have solved every exercise here. 🎉" if wanted == "" else "None yet."
            return Card(title=title, body=body, tone=Tone.EXERCISE, ephemeral=True)
        lines = [self._line(e, e.id in solved) for e in chosen[:LIST_MAX]]
        if len(chosen) > LIST_MAX:
            lines.append(f"-# … and {len(chosen) - LIST_MAX} more")
        menu = Menu(
            placeholder="Open an exercise…",
            options=tuple(
                MenuOption(OpenExercise(exercise=e.id), e.title[:100], self._where(e)[:100])
                for e in chosen[:MENU_MAX]
            ),
        )
        total = len(curriculum.exercises)
        return Card(
            title=title,
            body="\n".join(lines),
            footer=f"{len(solved & set(curriculum.exercises))} of {total} solved · /exercise ID",
            menu=menu,
            tone=Tone.EXERCISE,
            ephemeral=True,
        )

    def _where(self, exercise: Exercise) -> str:
        lesson = self.ctx.curriculum.lessons.get(exercise.lesson)
        return f"{stars(exercise.difficulty)} · {lesson.title if lesson else exercise.lesson}"

    def _line(self, exercise: Exercise, solved: bool) -> str:
        mark = "✅" if solved else "▫️"
        title = escape_markdown(exercise.title)
        return f"{mark} **{title}** `{exercise.id}` — {self._where(exercise)}"

    async def show(self, who: MemberRef, name: str) -> Card:
        """An exercise: prompt, starter, difficulty, its lesson, and Submit for `who`."""
        exercise = self.find(name)
        progress = await self.ctx.store.exercise_progress(who)
        lesson = self.ctx.curriculum.lessons.get(exercise.lesson)
        track = next((t for t in self.ctx.curriculum.tracks if t.id == exercise.track), None)
        about = " · ".join(
            part
            for part in (
                stars(exercise.difficulty),
                track.title if track else "",
                f"from the lesson {lesson.title}" if lesson else "",
            )
            if part
        )
        count = len(exercise.cases)
        how = (
            "-# **Submit** opens a form with this code (or your last attempt)."
            f" `{exercise.function}` runs on {count} hidden inputs and what it returns is"
            " compared with the model answer's; only your function's returns leave the sandbox."
            " In a channel you can also"
            f" post a ```python block whose first line is `# exercise: {exercise.id}` and use"
            " *Run code* on it."
        )
        starter = exercise.starter.rstrip().replace("```", "`\u200b``")
        body = f"-# {about}\n\n{exercise.prompt}\n\n```python\n{starter}\n```\n{how}"
        state = progress.get(exercise.id)
        status = "✅ solved" if state else "attempted, not solved yet" if state is False else ""
        submit = SubmitExercise(owner=who.user_id, exercise=exercise.id)
        actions = [Action(submit, "📝 Submit", Style.PRIMARY)]
        if lesson is not None:
            actions.append(Action(OpenLesson(lesson=lesson.id), "📖 The lesson"))
        return Card(
            title=f"🧩 {exercise.title}",
            body=body,
            footer=" · ".join(part for part in (exercise.id, status) if part),
            actions=tuple(actions),
            tone=Tone.EXERCISE,
        )

    async def form(self, who: MemberRef, name: str) -> ExerciseForm:
        """The submission form, filled with the member's last attempt, else the starter."""
        exercise = self.find(name)
        last = await self.ctx.store.last_exercise_code(who, exercise.id)
        return ExerciseForm(
            title=f"Submit · {exercise.title}",
            label=f"Your code (define {exercise.function})",
            code=last if last is not None else exercise.starter.rstrip() + "\n",
        )

    # -- checking ------------------------------------------------------------------------

    async def _run(self, exercise: Exercise, code: str) -> tuple[Report, RunResult]:
        """One harness run of `code` on the exercise's cases."""
        backend = self.runs.backend
        if backend is None:
            raise UserError("Running code is switched off on this server.")
        marker = new_marker()
        job = {
            "marker": marker,
            "code": code,
            "function": exercise.function,
            "cases": list(exercise.cases),
        }
        try:
            result = await backend.run(HARNESS, stdin=json.dumps(job), timeout_s=self.timeout_s)
        except RunnerError as error:
            log.warning("runner failed checking %s: %s", exercise.id, error)
            raise UserError(f"The code runner is unavailable right now ({error}).") from None
        report = parse_report(result.stdout, marker)
        if not report.ended:
            log.info(
                "check of %s ended early (%s, exit %s): %s",
                exercise.id,
                result.status,
                result.exit_code,
                result.stderr[-500:],
            )
        return report, result

    async def expected(self, exercise: Exercise) -> tuple[Value, ...]:
        """The model solution's returns for every case: computed in the runner on first use,
        then kept. `BrokenReference` when the solution does not give them."""
        key = (exercise.id, version_of(exercise))
        if key in self._expected:
            return self._expected[key]
        lock = self._computing.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._expected:
                report, result = await self._run(exercise, exercise.solution)
                try:
                    values = expected_values(report, len(exercise.cases))
                except BrokenReference as error:
                    log.error(
                        "exercise %s (%s:%s): the solution gives no expected values: %s (%s)",
                        exercise.id,
                        exercise.path,
                        exercise.line,
                        error,
                        result.stderr[-300:] or result.status,
                    )
                    raise
                self._expected[key] = values
        return self._expected[key]

    async def warm(self, exercises: Sequence[Exercise] | None = None) -> dict[str, str]:
        """Compute the expected values of every exercise now (two at a time); returns the
        ones that failed, with why."""
        failed: dict[str, str] = {}
        gate = asyncio.Semaphore(2)

        async def one(exercise: Exercise) -> None:
            async with gate:
                try:
                    await self.expected(exercise)
                except (BrokenReference, UserError) as error:
                    failed[exercise.id] = str(error)

        await asyncio.gather(*(one(e) for e in exercises or self.ordered()))
        return failed

    async def verify(self, exercises: Sequence[Exercise] | None = None) -> list[str]:
        """Every exercise's solution must pass and its starter fail, run as a member's code
        would be (two at a time); one line per problem, `path:line: id: what`."""
        chosen = list(exercises or self.ordered())
        broken = await self.warm(chosen)
        problems = [f"{e.path}:{e.line}: {e.id}: {broken[e.id]}" for e in chosen if e.id in broken]
        gate = asyncio.Semaphore(2)

        async def one(exercise: Exercise) -> None:
            async with gate:
                solution = (await self.check(exercise, exercise.solution)).verdict
                starter = (await self.check(exercise, exercise.starter)).verdict
            where = f"{exercise.path}:{exercise.line}: {exercise.id}"
            if not solution.passed:
                why = solution.problem or "; ".join(c.text for c in solution.failures)
                problems.append(f"{where}: the solution fails: {why}")
            if starter.passed:
                problems.append(f"{where}: the starter passes every case")

        await asyncio.gather(*(one(e) for e in chosen if e.id not in broken))
        return sorted(problems)

    async def check(self, exercise: Exercise, code: str) -> Checked:
        """Check code against an exercise, recording nothing (no member, no admission)."""
        try:
            expected = await self.expected(exercise)
        except BrokenReference:
            raise UserError(
                "This exercise cannot be checked right now (its model answer failed); "
                "a moderator can see why in the log."
            ) from None
        report, result = await self._run(exercise, code)
        ending = Ending(result.status, result.exit_code)
        tolerance = Tolerance(exercise.rtol, exercise.atol)
        return Checked(judge(report, expected, exercise.function, tolerance, ending), result)

    async def admit(self, who: MemberRef, name: str, text: str) -> tuple[Exercise, str]:
        """The exercise and the code to check, or the UserError `submit` would raise before
        running anything (cheap, so an adapter can refuse privately before acknowledging)."""
        exercise = self.find(name)
        if not snippet_from_argument(text).strip():
            raise UserError(f"There is no code to check. Write `{exercise.function}` and submit.")
        return exercise, await self.runs.admit(who, text)

    async def submit(self, who: MemberRef, name: str, text: str) -> Submitted:
        """Check a member's code against an exercise and record the attempt; the private
        result card, and on a first solve the public line (unless the server switched those
        off). Refusals (no code, too long, a run already going, the per-minute limit) are
        UserErrors raised before anything runs."""
        exercise, code = await self.admit(who, name, text)
        at = self.ctx.clock.now()
        with self.runs.slot(who):
            checked = await self.check(exercise, code)
        verdict, result = checked.verdict, checked.result
        recorded = await self.ctx.store.record_exercise_attempt(
            who,
            exercise.id,
            code,
            (result.status, result.exit_code, result.wall_ms),
            (verdict.passed_count if not verdict.problem else 0, verdict.total),
            exercise_xp(exercise.difficulty),
            at,
        )
        announce = None
        if recorded.new:
            settings = await self.ctx.store.guild_settings(who.guild_id)
            if settings is None or settings.announce_quizzes:
                name_shown = escape_markdown(who.display_name or "A member")
                announce = f"🧩 {name_shown} solved the exercise {escape_markdown(exercise.title)}"
        following = None
        if verdict.passed:
            upcoming = [e for e in await self.next_for(who) if e.id != exercise.id]
            following = upcoming[0] if upcoming else None
        card = result_card(exercise, verdict, who.user_id, recorded, following)
        return Submitted(card, verdict, announce)


def _printed_block(verdict: Verdict) -> str:
    """A little of what the member's code printed, as a block."""
    text = verdict.printed.rstrip()
    if not text.strip():
        return ""
    lines = text.split("\n")
    shown = "\n".join(lines[:PRINTED_LINES])[:PRINTED_CHARS]
    cut = verdict.printed_cut or len(lines) > PRINTED_LINES or len(shown) < len(text)
    note = "\n-# (only the start is shown)" if cut else ""
    shown = shown.replace("```", "`\u200b``")
    return f"Your code printed:\n```\n{shown}\n```{note}"


def result_card(
    exercise: Exercise,
    verdict: Verdict,
    owner: int,
    recorded: Recorded | None = None,
    following: Exercise | None = None,
) -> Card:
    """The private result: all cases pass (with the explanation and any XP), or how many did
    and why the first ones failed (the explanation waits until it is solved)."""
    again = SubmitExercise(owner=owner, exercise=exercise.id)
    if verdict.passed:
        xp = ""
        if recorded is not None:
            gained = f"+{recorded.xp_awarded} XP" if recorded.new else "solved before: no new XP"
            xp = f"{gained} · {recorded.xp_total} XP in all"
        actions = [Action(again, "✏️ Edit & resubmit")]
        if following is not None:
            upcoming = OpenExercise(exercise=following.id)
            actions.insert(0, Action(upcoming, "🧩 Next exercise", Style.PRIMARY))
        count = verdict.total
        return Card(
            title=f"✅ All {count} case{'s' * (count != 1)} pass",
            body=f"**{escape_markdown(exercise.title)}** is solved.\n\n{exercise.explanation}",
            footer=xp,
            actions=tuple(actions),
            tone=Tone.SUCCESS,
            ephemeral=True,
        )
    parts: list[str] = []
    if verdict.problem:
        title = f"❌ 0 of {verdict.total} cases ran"
        parts.append(escape_markdown(verdict.problem))
    else:
        title = f"❌ {verdict.passed_count} of {verdict.total} cases pass"
        failures = verdict.failures
        lines = [f"- {escape_markdown(case.text)}" for case in failures[:FAILURES_SHOWN]]
        if len(failures) > FAILURES_SHOWN:
            more = len(failures) - FAILURES_SHOWN
            lines.append(f"-# … and {more} more case{'s' * (more != 1)}")
        parts.append("\n".join(lines))
    printed = _printed_block(verdict)
    if printed:
        parts.append(printed)
    return Card(
        title=title,
        body="\n\n".join(parts),
        footer="The explanation is shown once every case passes.",
        actions=(Action(again, "✏️ Edit & resubmit", Style.PRIMARY),),
        tone=Tone.WARNING,
        ephemeral=True,
    )
