"""A small curriculum built in code, so service tests do not change when the content does."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from bot.clock import FrozenClock
from bot.curriculum.model import Curriculum, Lesson, QuizItem, Topic, Track
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef, RunState
from bot.services import Services
from bot.services.context import Context
from bot.services.quizzes import Step
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


RIGHT_TEXT = {"alg-choice": "four", "alg-number": "5/2", "alg-word": "vector"}
WRONG_TEXT = {"alg-choice": "three", "alg-number": "3", "alg-word": "scalar"}


async def one_question(services: Services, who: MemberRef, item_id: str, seed: int = 1) -> RunState:
    """A run of exactly this question (a test names what it asks; `start` draws at random)."""
    return await services.ctx.store.start_run(
        who, "topic", "algebra", [(item_id, seed)], services.ctx.clock.now()
    )


def typed(services: Services, who: MemberRef, item_id: str, seed: int, text: str) -> str:
    """What the member types for an answer: a choice's number as they see the choices."""
    question = services.quizzes.shown(who, item_id, seed)
    if question.kind is Kind.CHOICE and text in question.choices:
        return str(question.choices.index(text) + 1)
    return text


async def answer_item(
    services: Services, who: MemberRef, item_id: str, seed: int, right: bool = True
) -> Step:
    """Ask `item_id` with `seed` in a run of its own and answer it right (or wrong)."""
    run = await one_question(services, who, item_id, seed)
    text = (RIGHT_TEXT if right else WRONG_TEXT)[item_id]
    return await services.quizzes.answer(who, run.id, 0, typed(services, who, item_id, seed, text))
