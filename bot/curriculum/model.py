"""The loaded curriculum: tracks, lessons and quiz items, immutable once loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.domain.quiz import Kind, Question


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, printed as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content did not load; nothing of it is used."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    order: int
    prerequisites: tuple[str, ...]
    summary: str
    lesson_ids: tuple[str, ...]


@dataclass(frozen=True)
class Lesson:
    id: str
    track: str
    title: str
    order: int
    minutes: int
    prerequisites: tuple[str, ...]
    tags: tuple[str, ...]
    quiz: tuple[str, ...]
    body: str
    path: Path


@dataclass(frozen=True)
class QuizItem:
    """A bank item: either static (`question` set) or parametric (`generator` set)."""

    id: str
    topic: str
    difficulty: int
    path: Path
    line: int
    question: Question | None = None
    generator: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def kind(self) -> Kind | None:
        return self.question.kind if self.question else None


@dataclass(frozen=True)
class Exercise:
    """Write one function: the bot runs the member's code on hidden inputs (`cases`, each a
    Python expression giving the argument tuple) in the runner and compares what it returns
    with the reference `solution`'s returns, outside the runner."""

    id: str
    track: str
    lesson: str
    difficulty: int
    title: str
    prompt: str
    function: str
    starter: str
    solution: str
    cases: tuple[str, ...]
    explanation: str
    path: Path
    line: int
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class Curriculum:
    """Everything `content/` and `quizzes/` define, checked and cross-referenced."""

    tracks: tuple[Track, ...]  # in roadmap order
    lessons: Mapping[str, Lesson]
    items: Mapping[str, QuizItem]
    topics: Mapping[str, Topic]
    exercises: Mapping[str, Exercise] = field(default_factory=lambda: MappingProxyType({}))

    def lessons_in_order(self) -> list[Lesson]:
        """Every lesson, track by track in roadmap order, then by lesson order."""
        return [self.lessons[lesson_id] for track in self.tracks for lesson_id in track.lesson_ids]

    def track(self, track_id: str) -> Track:
        return next(t for t in self.tracks if t.id == track_id)

    @property
    def generator_names(self) -> frozenset[str]:
        return frozenset(i.generator for i in self.items.values() if i.generator)

    def question(self, item_id: str, seed: int) -> Question:
        """The question an item asks; generated items are rebuilt the same from the same seed."""
        item = self.items[item_id]
        if item.question is not None:
            return item.question
        from bot.curriculum.generators import generate  # generators import this module

        return generate(item, seed)
