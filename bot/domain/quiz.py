"""Questions and grading.

A `Question` is what a member sees and answers, whether it came from a static bank item or
from a generator run with a seed. Grading is pure so it can be tested without a database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CHOICE = "choice"
    NUMERIC = "numeric"
    TEXT = "text"
    OUTPUT = "output"


@dataclass(frozen=True)
class Question:
    item_id: str
    topic: str
    kind: Kind
    prompt: str
    answer: str | float | tuple[str, ...]
    explanation: str
    difficulty: int = 1
    choices: tuple[str, ...] = ()
    tolerance: float = 1e-6  # absolute
    rel_tolerance: float = 0.0  # relative, for answers whose magnitude varies (0.0016 vs 16)
    code: str | None = None
    hints: tuple[str, ...] = ()
    seed: int | None = None

    @property
    def expected_text(self) -> str:
        """The answer as a member should read it in feedback."""
        if self.kind is Kind.NUMERIC:
            return _format_number(float(self.answer))  # type: ignore[arg-type]
        if isinstance(self.answer, tuple):
            return self.answer[0]
        return str(self.answer)


@dataclass(frozen=True)
class Grade:
    correct: bool
    given: str
    expected: str
    problem: str | None = None  # set when the answer could not be read at all


class AnswerFormatError(ValueError):
    """The answer cannot be graded as typed (e.g. letters for a numeric item)."""


_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")


def _format_number(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _normalise_text(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


_PADDING = re.compile(r"\s*([\[\](){},:])\s*")


def _normalise_output(text: str) -> str:
    """Compare printed output by content: numpy pads arrays (`[ 4  6 13]`), people don't."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(_PADDING.sub(r"\1", _SPACES.sub(" ", line)) for line in lines)


def parse_number(text: str) -> float:
    """Read what a member typed as a number: `3`, `-0.25`, `1e-3`, `3/4`, `1,000`."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if _NUMBER.match(cleaned):
        return float(cleaned)
    fraction = _FRACTION.match(cleaned)
    if fraction and int(fraction.group(2)) != 0:
        return int(fraction.group(1)) / int(fraction.group(2))
    raise AnswerFormatError(f"{text.strip()!r} is not a number; type digits like 3, -0.25 or 3/4")


def choice_index(question: Question, given: str) -> int:
    """Map a typed answer to a 0-based choice: its number (1-based) or its exact text."""
    text = given.strip()
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(question.choices):
            return number - 1
        raise AnswerFormatError(f"pick a choice between 1 and {len(question.choices)}")
    for index, choice in enumerate(question.choices):
        if _normalise_text(choice) == _normalise_text(text):
            return index
    raise AnswerFormatError(
        f"answer with the number of a choice (1-{len(question.choices)}) or its exact text"
    )


def grade(question: Question, given: str) -> Grade:
    """Grade one answer. Raises `AnswerFormatError` when the answer is unreadable for the kind."""
    expected = question.expected_text
    if question.kind is Kind.CHOICE:
        index = choice_index(question, given)
        chosen = question.choices[index]
        return Grade(correct=chosen == question.answer, given=chosen, expected=expected)
    if question.kind is Kind.NUMERIC:
        value = parse_number(given)
        target = float(question.answer)  # type: ignore[arg-type]
        correct = math.isclose(
            value, target, rel_tol=question.rel_tolerance, abs_tol=question.tolerance
        )
        return Grade(correct=correct, given=_format_number(value), expected=expected)
    if question.kind is Kind.OUTPUT:
        correct = _normalise_output(given) == _normalise_output(str(question.answer))
        return Grade(correct=correct, given=given.strip(), expected=expected)
    accepted = question.answer if isinstance(question.answer, tuple) else (str(question.answer),)
    correct = any(_normalise_text(given) == _normalise_text(a) for a in accepted)
    return Grade(correct=correct, given=given.strip(), expected=expected)
