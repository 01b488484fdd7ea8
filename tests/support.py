"""A small curriculum built in code, so service tests do not change when the content does."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from bot.clock import FrozenClock
from bot.curriculum.model import Curriculum, Lesson, QuizItem, Topic, Track
from bot.domain.quiz import Kind, Question
from bot.services import Services
from bot.services.context import Context
from bot.storage.db import Database
from bot.storage.store import Store

HERE = Path(__file__)


def _lesson(lesson_id: str, track: str, order: int, prereq: tuple[str, ...], quiz: tuple[str, ...]):
    return Lesson(
        id=lesson_id,
        track=track,
        title=lesson_id.replace("-", " ").title(),
        order=order,
        minutes=10,
        prerequisites=prereq,
        tags=("algebra",),
        quiz=quiz,
        body=f"Body of {lesson_id}.",
        path=HERE,
    )


def _static(
    item_id: str, kind: Kind, answer: object, difficulty: int = 1, **kw: object
) -> QuizItem:
    question = Question(
        item_id=item_id,
        topic="algebra",
        kind=kind,
        prompt=f"Prompt of {item_id}",
        answer=answer,  # type: ignore[arg-type]
        explanation=f"Because {item_id}.",
        difficulty=difficulty,
        **kw,  # type: ignore[arg-type]
    )
    return QuizItem(
        id=item_id, topic="algebra", difficulty=difficulty, path=HERE, line=1, question=question
    )


def small_curriculum() -> Curriculum:
    items = {
        "alg-choice": _static("alg-choice", Kind.CHOICE, "four", choices=("three", "four", "five")),
        "alg-number": _static("alg-number", Kind.NUMERIC, 2.5, difficulty=3, tolerance=0.01),
        "alg-word": _static("alg-word", Kind.TEXT, ("vector",), difficulty=2),
    }
    lessons = {
        "first": _lesson("first", "basics", 1, (), ("alg-choice",)),
        "second": _lesson("second", "basics", 2, ("first",), ("alg-number",)),
        "third": _lesson("third", "more", 1, ("second",), ("alg-word",)),
    }
    tracks = (
        Track("basics", "Basics", 1, (), "The start.", ("first", "second")),
        Track("more", "More", 2, ("basics",), "Then this.", ("third",)),
    )
    topics = {"algebra": Topic("algebra", "Algebra", tuple(items))}
    return Curriculum(
        tracks=tracks,
        lessons=MappingProxyType(lessons),
        items=MappingProxyType(items),
        topics=MappingProxyType(topics),
    )


def make_services(
    database: Database, now: datetime, curriculum: Curriculum | None = None, seed: int = 7
) -> tuple[Services, FrozenClock]:
    clock = FrozenClock(now)
    ctx = Context(
        store=Store(database),
        clock=clock,
        curriculum=curriculum or small_curriculum(),
        rng=random.Random(seed),
    )
    return Services.build(ctx), clock
