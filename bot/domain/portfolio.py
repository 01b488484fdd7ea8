"""The portfolio board's rules: what a project and a review must be, and how reviews add up.

Pure: no I/O, no clock. Member text is cleaned here once, before anything stores or shows it, so
every transport shows the same mention-free text; a field that breaks a rule raises
`PortfolioError` with one short sentence and nothing is saved.

The four criteria are the roadmap's marks of a project that convinces: a real problem rather than
a tutorial dataset for its own sake, end-to-end work from the data to something deployed, an
honest evaluation that names failure modes and limits, and clean documented code that a colleague
could run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

# The roadmap advises three or four excellent projects over many thin ones; a cap of four keeps
# a member's board to their best work and the review pool small enough for each to be read.
PROJECTS_MAX = 4
TITLE_MAX = 100
TEXT_MAX = 1000  # problem, data, evaluation: each fits one embed field (1,024) whole
LINK_MAX = 300
COMMENT_MAX = 1000
SCORE_MIN, SCORE_MAX = 1, 4
# A useful review takes more care than a lesson (20 XP) or the daily challenge (25): four
# judgements with reasons. It is paid only when the author marks it helpful, and once.
XP_HELPFUL_REVIEW = 30
XP_REASON = "helpful_review"
# The showcase features projects submitted in the two weeks before it, so a project posted just
# before one still has a week of reviews for the next; each project is featured at most once.
SHOWCASE_WINDOW = timedelta(days=14)
SHOWCASE_SIZE = 3


class PortfolioError(ValueError):
    """A project or review breaks a rule; the message is one short sentence for the member."""


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    question: str
    levels: tuple[str, str, str, str]  # what 1, 2, 3 and 4 mean, for the form's choices


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "problem",
        "Real problem",
        "Does it solve a real problem, not a tutorial dataset for its own sake?",
        (
            "A textbook dataset, no question of its own",
            "A familiar dataset with a small twist",
            "A real question, loosely stated",
            "A real problem, clearly stated and motivated",
        ),
    ),
    Criterion(
        "end_to_end",
        "End to end",
        "Does it go from the data to something deployed or usable?",
        (
            "A model in a notebook, nothing around it",
            "Data preparation and a model",
            "Data to model to a script or an API",
            "Data collection to a deployed, usable result",
        ),
    ),
    Criterion(
        "evaluation",
        "Honest evaluation",
        "Is the evaluation honest about failure modes and limits?",
        (
            "One headline number, no baseline",
            "A metric and a baseline",
            "Sound validation, some failure cases",
            "Sound validation, failure modes and limits named",
        ),
    ),
    Criterion(
        "code",
        "Clean code",
        "Is the code clean and documented, so a colleague could run it?",
        (
            "Hard to run or to follow",
            "Runs with some guessing",
            "Clear, with a README and steps to run",
            "Clean, documented, tested, reproducible",
        ),
    ),
)
CRITERION_KEYS = tuple(criterion.key for criterion in CRITERIA)

FIELDS: tuple[tuple[str, str, int], ...] = (
    ("title", "The title", TITLE_MAX),
    ("problem", "The problem", TEXT_MAX),
    ("data", "The data", TEXT_MAX),
    ("link", "The link", LINK_MAX),
    ("evaluation", "The evaluation", TEXT_MAX),
)
FIELD_KEYS = tuple(key for key, _label, _limit in FIELDS)

# Mentions become plain words, the same length or shorter, so a limit checked after cleaning
# holds for what is shown. `＠` (fullwidth) reads as an at sign but Discord never resolves it.
_ROLE = re.compile(r"<@&\d+>")
_USER = re.compile(r"<@!?\d+>")
_CHANNEL = re.compile(r"<#\d+>")
_COMMAND = re.compile(r"</([\w -]{1,96}):\d+>")
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_SPACES = re.compile(r"[ \t]+")


def neutralise_mentions(text: str) -> str:
    """`@everyone`, `@here`, user, role, channel and command mentions as plain text."""
    text = _ROLE.sub("@role", text)
    text = _USER.sub("@member", text)
    text = _CHANNEL.sub("#channel", text)
    text = _COMMAND.sub(lambda m: f"/{m[1]}", text)
    return _EVERYONE.sub(lambda m: f"＠{m[1]}", text)


def clean_text(raw: str, *, single_line: bool = False) -> str:
    """Member text as stored and shown: no control or direction-override characters, no
    mentions, trimmed; a single-line field has its line breaks folded into spaces."""
    kept = []
    for char in raw.replace("\r\n", "\n"):
        if char in "\n\t":
            kept.append(" " if single_line else char)
        elif unicodedata.category(char) != "Cc" and char not in _BIDI:
            kept.append(char)
    text = neutralise_mentions("".join(kept))
    if single_line:
        return _SPACES.sub(" ", text).strip()
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _bounded(label: str, text: str, limit: int) -> str:
    if not text:
        raise PortfolioError(f"{label} is empty.")
    if len(text) > limit:
        raise PortfolioError(f"{label} is longer than {limit:,} characters.")
    return text


def check_link(raw: str) -> str:
    """An absolute http(s) address, shown as typed and never fetched. A user name in it
    (`https://github.com@elsewhere.example`) is refused: it disguises where a link goes."""
    link = _bounded("The link", raw.strip(), LINK_MAX)
    bad = any(char.isspace() or char in '<>"`\\' or ord(char) < 32 for char in link)
    try:
        parts = urlsplit(link)
        host = parts.hostname
        user = parts.username
    except ValueError:  # a malformed port or bracket
        bad = True
        host = user = None
    if bad or parts.scheme.lower() not in ("http", "https") or not host or user is not None:
        raise PortfolioError("The link must be an http:// or https:// address.")
    return link


def check_field(key: str, raw: str) -> str:
    """One field of a project, cleaned, or the sentence that says what is wrong with it."""
    for name, label, limit in FIELDS:
        if name == key:
            if key == "link":
                return check_link(raw)
            return _bounded(label, clean_text(raw, single_line=key == "title"), limit)
    raise KeyError(key)


@dataclass(frozen=True)
class ProjectDraft:
    """A project as the member wrote it, checked and cleaned: ready to store."""

    title: str
    problem: str
    data: str
    link: str
    evaluation: str


def check_project(fields: Mapping[str, str]) -> ProjectDraft:
    """Every field checked in form order; the first problem is the one sentence reported."""
    return ProjectDraft(**{key: check_field(key, fields.get(key, "")) for key in FIELD_KEYS})


@dataclass(frozen=True)
class Scores:
    """One review's marks, 1–4, in the order of `CRITERIA`."""

    problem: int
    end_to_end: int
    evaluation: int
    code: int

    def values(self) -> tuple[int, int, int, int]:
        return (self.problem, self.end_to_end, self.evaluation, self.code)


def parse_score(raw: str | int) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not SCORE_MIN <= int(text) <= SCORE_MAX:
        raise PortfolioError(f"Each criterion takes a score from {SCORE_MIN} to {SCORE_MAX}.")
    return int(text)


def check_comment(raw: str) -> str:
    return _bounded("The comment", clean_text(raw), COMMENT_MAX)


def check_review(marks: Mapping[str, str | int], comment: str) -> tuple[Scores, str]:
    """Four scores (by criterion key) and a comment, or one sentence on what is missing."""
    scores = Scores(**{key: parse_score(marks.get(key, "")) for key in CRITERION_KEYS})
    return scores, check_comment(comment)


@dataclass(frozen=True)
class Summary:
    """What a project's reviews add up to: how many, and the mean of each criterion."""

    reviews: int
    means: tuple[float, ...] = ()

    @property
    def overall(self) -> float:
        return sum(self.means) / len(self.means) if self.means else 0.0

    def text(self) -> str:
        if not self.reviews:
            return "no reviews yet"
        marks = " · ".join(
            f"{criterion.name.lower()} {mean:.1f}"
            for criterion, mean in zip(CRITERIA, self.means, strict=True)
        )
        return f"{self.reviews} review{'s' * (self.reviews != 1)} · {marks}"


def summarise(scores: Iterable[Scores]) -> Summary:
    marks = [s.values() for s in scores]
    if not marks:
        return Summary(0)
    means = tuple(sum(column) / len(marks) for column in zip(*marks, strict=True))
    return Summary(len(marks), means)


@dataclass(frozen=True)
class Project:
    id: int
    guild_id: int
    user_id: int
    author_name: str
    title: str
    problem: str
    data: str
    link: str
    evaluation: str
    created_at: datetime
    updated_at: datetime

    def fields(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FIELD_KEYS}


@dataclass(frozen=True)
class Review:
    id: int
    project_id: int
    project_title: str
    author_id: int
    reviewer_id: int
    reviewer_name: str
    scores: Scores
    comment: str
    helpful: bool
    created_at: datetime


@dataclass(frozen=True)
class Board:
    """A project with what its reviews add up to."""

    project: Project
    summary: Summary


def showcase_order(boards: Sequence[Board]) -> list[Board]:
    """Best-reviewed first: the mean of the four criteria, then more reviews, then earlier."""
    reviewed = [b for b in boards if b.summary.reviews > 0]
    return sorted(
        reviewed,
        key=lambda b: (-round(b.summary.overall, 6), -b.summary.reviews, b.project.created_at),
    )
