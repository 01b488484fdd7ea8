"""The shipped roadmap, read as a member reads it and run as a member runs it.

Every Python block of every lesson (the examples and the "Try it" snippet) runs green through
the real runner, each on its own as `/run` would run it; every "what does this print?" item's
code, run the same way, prints what the item says it prints. The shape of the roadmap the issue
asks for is checked too: counts, sections, words, difficulties, and the six tools by name.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.curriculum.blocks import blocks, runnable_code
from bot.curriculum.loader import load_curriculum
from bot.curriculum.model import Curriculum, Lesson
from bot.domain.pages import PAGE_LIMIT, pages
from bot.domain.quiz import Kind, grade
from bot.runner.client import LocalRunner, RunResult

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 20.0  # generous: a block is a few hundred ms, a slow CI machine is not a failure

real = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(ROOT / "content", ROOT / "quizzes")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runner() -> AsyncIterator[LocalRunner]:
    runner = LocalRunner(slots=2)
    try:
        await runner.health()
        yield runner
    finally:
        await runner.close()


async def run_all(runner: LocalRunner, codes: list[str]) -> list[RunResult]:
    """Run each snippet on its own, two at a time (the machine's cores)."""
    gate = asyncio.Semaphore(2)

    async def one(code: str) -> RunResult:
        async with gate:
            return await runner.run(code, timeout_s=TIMEOUT_S)

    return list(await asyncio.gather(*(one(code) for code in codes)))


def where(lesson: Lesson, line: int) -> str:
    """`path:line` of a place in a lesson body (the front matter comes first in the file)."""
    text = lesson.path.read_text(encoding="utf-8") if lesson.path.is_absolute() else ""
    if not text:
        text = (ROOT / lesson.path).read_text(encoding="utf-8")
    offset = text.find(lesson.body[:200]) if lesson.body else -1
    head = text[:offset].count("\n") if offset >= 0 else 0
    return f"{lesson.path}:{head + line}"


@real
async def test_every_lesson_block_runs_green(curriculum: Curriculum, runner: LocalRunner) -> None:
    jobs = [
        (lesson, block)
        for lesson in curriculum.lessons_in_order()
        for block in runnable_code(lesson.body)
    ]
    assert len(jobs) >= 2 * len(curriculum.lessons)  # an example and a "Try it" in each
    results = await run_all(runner, [block.text for _, block in jobs])
    failures = [
        f"{where(lesson, block.line)}: {result.status} {result.stderr.strip()[-400:]}"
        for (lesson, block), result in zip(jobs, results, strict=True)
        if result.status != "ok"
    ]
    assert failures == [], "\n".join(failures)
    silent = [
        where(lesson, block.line)
        for (lesson, block), result in zip(jobs, results, strict=True)
        if not result.stdout.strip() and not result.files
    ]
    assert silent == [], f"blocks that show nothing: {silent}"


@real
async def test_every_output_item_prints_its_answer(
    curriculum: Curriculum, runner: LocalRunner
) -> None:
    items = [
        item
        for item in curriculum.items.values()
        if item.question is not None and item.question.kind is Kind.OUTPUT
    ]
    assert len(items) >= 40
    results = await run_all(runner, [item.question.code or "" for item in items if item.question])
    wrong = []
    for item, result in zip(items, results, strict=True):
        assert item.question is not None
        if result.status != "ok" or not grade(item.question, result.stdout).correct:
            wrong.append(
                f"{item.path}:{item.line}: {item.id} prints {result.stdout!r} "
                f"({result.status}), the item says {item.question.answer!r}"
            )
    assert wrong == [], "\n".join(wrong)


# --- the shape of the roadmap -----------------------------------------------------------------

WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def prose_words(lesson: Lesson) -> int:
    return sum(len(WORDS.findall(b.text)) for b in blocks(lesson.body) if not b.fenced)


def test_the_roadmap_is_deep_enough(curriculum: Curriculum) -> None:
    assert len(curriculum.tracks) == 8
    assert len(curriculum.lessons) >= 48
    assert len(curriculum.items) >= 400
    generated = {item.generator for item in curriculum.items.values() if item.generator}
    assert len(generated) >= 30
    assert len(curriculum.exercises) >= 40
    for track in curriculum.tracks:
        assert 5 <= len(track.lesson_ids) <= 8, track.id


def test_every_lesson_teaches_runs_and_is_checked(curriculum: Curriculum) -> None:
    problems = []
    for lesson in curriculum.lessons.values():
        words = prose_words(lesson)
        headings = re.findall(r"^## (.+)$", lesson.body, re.MULTILINE)
        code = runnable_code(lesson.body)
        if not 300 <= words <= 900:
            problems.append(f"{lesson.path}: {words} words of prose (300–900)")
        if "Try it" not in headings or "Pitfalls" not in headings:
            problems.append(f"{lesson.path}: needs '## Try it' and '## Pitfalls' sections")
        if len(code) < 2:
            problems.append(f"{lesson.path}: needs an example and a 'Try it' snippet that run")
        if len(lesson.quiz) < 3:
            problems.append(f"{lesson.path}: {len(lesson.quiz)} quiz items (at least 3)")
        prose = "\n".join(b.text for b in blocks(lesson.body) if not b.fenced)
        if re.search(r"^# ", prose, re.MULTILINE):
            problems.append(f"{lesson.path}: a '#' heading would outrank the lesson's title")
    assert problems == [], "\n".join(problems)


def test_every_topic_has_every_difficulty(curriculum: Curriculum) -> None:
    for topic in curriculum.topics.values():
        levels = Counter(curriculum.items[i].difficulty for i in topic.item_ids)
        assert set(levels) == {1, 2, 3}, (topic.id, levels)


def test_the_stack_is_taught_by_name(curriculum: Curriculum) -> None:
    """The roadmap article's stack, each tool in a lesson of its own subject."""
    text = {lesson.id: lesson.title + "\n" + lesson.body for lesson in curriculum.lessons.values()}
    for tool, lesson_id in (
        ("NumPy", "numpy-arrays"),
        ("pandas", "pandas-and-scikit-learn"),
        ("Matplotlib", "matplotlib-basics"),
        ("Seaborn", "seaborn-plots"),
        ("scikit-learn", "sk-estimator-api"),
        ("PyTorch", "dl-frameworks"),
        ("TensorFlow", "dl-frameworks"),
        ("Jupyter", "jupyter-notebooks"),
    ):
        assert tool.casefold() in text[lesson_id].casefold(), (tool, lesson_id)
    for subject in ("eigen", "gradient", "Bayes", "drift", "portfolio", "MLflow", "p-value"):
        assert any(subject.casefold() in body.casefold() for body in text.values()), subject


def test_every_item_is_taught_by_a_lesson(curriculum: Curriculum) -> None:
    listed = Counter(i for lesson in curriculum.lessons.values() for i in lesson.quiz)
    assert set(listed) == set(curriculum.items)  # nothing tests what no lesson teaches
    assert max(listed.values()) == 1  # and each item belongs to one lesson


def test_every_lesson_pages_cleanly(curriculum: Curriculum) -> None:
    """In chat (1,800-character pages, longer for a long code block) and as timed posts
    (3,800): pages fit an embed, no code block is cut in two, no table is left as raw pipes."""
    for lesson in curriculum.lessons.values():
        for limit in (1800, PAGE_LIMIT):
            texts = pages(lesson.body, limit)
            for text in texts:
                assert len(text) <= PAGE_LIMIT, (lesson.id, limit)
                assert text.count("```") % 2 == 0, (lesson.id, limit, text[:80])
                assert "|---" not in text and "| ---" not in text, lesson.id
            joined = "\n".join(texts)
            for block in runnable_code(lesson.body):
                assert block.text in joined, (lesson.id, block.line)
