"""What a button means, as typed values: services put intents on Cards, adapters encode them.

An intent names the use case and its arguments, never a transport's id format: the Discord adapter
turns each kind into one `DynamicItem` (custom_id built and parsed in one class), the console into
the command to type. `owner` is the member an intent belongs to: only they may act on it (someone
else's quiz question). `None` means whoever presses acts for themselves (a lesson's "Mark done",
the server's daily challenge).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

MAX_COUNT = 10


class Intent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: int | None = Field(default=None, ge=0)


class AnswerChoice(Intent):
    """Answer the question at `step` of quiz run `run` with the choice shown at `choice`."""

    owner: int = Field(ge=0)
    run: int = Field(ge=1)
    step: int = Field(ge=0)
    choice: int = Field(ge=1, le=25)


class OpenAnswer(Intent):
    """Open the form to type the answer to the question at `step` of quiz run `run`."""

    owner: int = Field(ge=0)
    run: int = Field(ge=1)
    step: int = Field(ge=0)


class StartQuiz(Intent):
    """Start a run of questions: from a lesson, a topic, or (neither) what was studied."""

    lesson: str = Field(default="", max_length=64)
    topic: str = Field(default="", max_length=64)
    count: int = Field(default=5, ge=1, le=MAX_COUNT)


class StartReview(Intent):
    """Start a review session of the questions that are due."""


class MarkDone(Intent):
    lesson: str = Field(min_length=1, max_length=64)


class DailyChoice(Intent):
    """Answer the server's challenge of `day` with a choice (each member once)."""

    day: date
    choice: int = Field(ge=1, le=25)


class DailyOpen(Intent):
    """Open the form to type the answer to the server's challenge of `day`."""

    day: date


class MyRank(Intent):
    """Where the presser stands on a leaderboard period (answered privately)."""

    period: str = Field(pattern=r"^(week|month|all)$")


class LessonPage(Intent):
    """Show page `page` (1-based) of a lesson. `viewer` is whose pager it is: their press turns
    the page in place, anyone else's opens a private pager of their own at that page."""

    viewer: int = Field(ge=0)
    lesson: str = Field(min_length=1, max_length=64)
    page: int = Field(ge=1, le=50)
    via: str = Field(default="", pattern=r"^(prev|next|at)?$")  # which pager button it is


class OpenLesson(Intent):
    """Open a lesson (empty: the presser's next one) as a private pager."""

    lesson: str = Field(default="", max_length=64)


class LessonNotebook(Intent):
    """Attach a lesson as a Jupyter notebook, privately, for whoever presses."""

    lesson: str = Field(min_length=1, max_length=64)


class EditRun(Intent):
    """Open the form to edit a snippet the owner ran, filled with its code, and run it again."""

    owner: int = Field(ge=0)
    run: int = Field(ge=1)


class OpenExercise(Intent):
    """Show an exercise (its prompt and starter) to whoever presses, with their own Submit."""

    exercise: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")


class SubmitExercise(Intent):
    """Open the form to submit code to an exercise, filled with the starter or the owner's
    last attempt; the submission is checked against the exercise's hidden cases."""

    owner: int = Field(ge=0)
    exercise: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
