"""Load `content/` and `quizzes/` into a `Curriculum`, or say precisely what is wrong.

Content is written by hand, so every check reports `path:line: message` at the most precise line
it can, and all problems are collected before anything is refused: an author fixes a whole batch
per run instead of one typo at a time. Nothing is half-loaded; either every file checks clean and
a `Curriculum` comes back, or `ContentError` carries the full list.

The generic parts are libraries: ruamel.yaml reads YAML keeping every line and refusing
duplicate keys (`yamlsource`), pydantic models say what one record may hold (`schema`), and
`validate` turns their errors into sentences at lines. What is ours is here and in
`references`: files and folders, references between files, and sampling each generator item so
a broken generator fails the check rather than a member.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from bot.curriculum import generators
from bot.curriculum.model import (
    ContentError,
    Curriculum,
    Exercise,
    Lesson,
    Problem,
    QuizItem,
    Topic,
    Track,
)
from bot.curriculum.references import (
    ROADMAP,
    LessonRef,
    Sink,
    TrackRef,
    Unreadable,
    check_lessons,
    check_taught,
    check_tracks,
    display_path,
    unknown,
)
from bot.curriculum.schema import (
    CHOICES,
    DEFAULT_TOLERANCE,
    KIND_NAMES,
    BankFile,
    ChoiceItem,
    ExerciseFile,
    GeneratorItem,
    LessonFront,
    NumericItem,
    QuizItemAlone,
    RoadmapFile,
    StaticItem,
)
from bot.curriculum.validate import Checked, check
from bot.curriculum.yamlsource import Document, Finding, parse_mapping
from bot.domain.quiz import Kind, Question

EXERCISES = "exercises"  # the folder under quizzes/
SAMPLE_SEEDS = range(10)
_SLUG = re.compile(r"^(?:\d+-)?(.+)\.md$")
T = TypeVar("T")

__all__ = [
    "ContentReport",
    "Counts",
    "check_content",
    "display_path",
    "examine",
    "load_curriculum",
]


@dataclass
class Counts:
    """How much content was read; filled even when it has problems."""

    tracks: int = 0
    lessons: int = 0
    quiz_items: int = 0
    generators: int = 0
    exercises: int = 0


@dataclass
class ContentReport:
    """Everything one check found: the curriculum when clean, else the problems."""

    curriculum: Curriculum | None
    problems: list[Problem]
    counts: Counts = field(default_factory=Counts)


# --- reading files ------------------------------------------------------------------------------


def _read_text(path: Path, sink: Sink) -> str | None:
    try:
        return path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        sink.add(path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:
        sink.add(path, 1, f"cannot read file: {error.strerror or error}")
    return None


def _parse(path: Path, text: str, first_line: int, what: str, sink: Sink) -> Document | None:
    parsed = parse_mapping(text, first_line, what)
    if isinstance(parsed, Finding):
        sink.add_findings(path, [parsed])
        return None
    return parsed


def _folder_ok(folder: Path, what: str, sink: Sink) -> bool:
    if not folder.exists():
        sink.add(folder, 1, f"{what} folder not found")
        return False
    if not folder.is_dir():
        sink.add(folder, 1, f"{what} path is not a folder")
        return False
    return True


# --- the roadmap --------------------------------------------------------------------------------


def _read_roadmap(content_dir: Path, sink: Sink) -> tuple[list[TrackRef], bool]:
    """The tracks, and whether the roadmap was readable enough to judge lesson listings."""
    path = content_dir / ROADMAP
    if not path.is_file():
        sink.add(path, 1, f"{ROADMAP} not found: it lists the tracks and their lessons")
        return [], False
    text = _read_text(path, sink)
    document = _parse(path, text, 1, ROADMAP, sink) if text is not None else None
    if document is None:
        return [], False
    checked = check(RoadmapFile, document)
    sink.add_findings(path, checked.findings)
    entries = document.data.get("tracks")
    if not isinstance(entries, list):
        return [], False
    refs: list[TrackRef] = []
    seen: dict[str, int] = {}
    for index in range(len(entries)):
        ref = _track_ref(checked, index, seen, path, sink)
        if ref is not None:
            refs.append(ref)
    # A track without a usable id hides which lessons it lists; judging listings would mislead.
    return refs, len(refs) == len(entries)


def _track_ref(
    checked: Checked[RoadmapFile], index: int, seen: dict[str, int], path: Path, sink: Sink
) -> TrackRef | None:
    at = ("tracks", index)
    track_id = checked.value((*at, "id"))
    if not isinstance(track_id, str):
        return None
    id_line = checked.line((*at, "id"))
    if track_id in seen:
        sink.add(path, id_line, f"duplicate track id {track_id!r} (first at line {seen[track_id]})")
        return None
    seen[track_id] = id_line
    return TrackRef(
        id=track_id,
        line=checked.line(at),
        order=checked.value((*at, "order")),
        order_line=checked.line((*at, "order")),
        prerequisites=checked.entries((*at, "prerequisites")),
        lessons=checked.entries((*at, "lessons")),
        model=checked.model.tracks[index] if checked.model is not None else None,
    )


# --- lessons ------------------------------------------------------------------------------------


def _lesson_files(content_dir: Path) -> list[Path]:
    """Markdown files in the track folders; a README is documentation, not a lesson."""
    return sorted(
        path
        for path in content_dir.rglob("*.md")
        if path.parent != content_dir and path.name.lower() != "readme.md" and path.is_file()
    )


def _split_front_matter(text: str, path: Path, sink: Sink) -> tuple[str, str, int] | None:
    """(front matter YAML, body, line of the closing ---), or None after reporting why not."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        sink.add(path, 1, "a lesson must start with front matter: a '---' line, keys, '---'")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 1
    sink.add(path, 1, "front matter is not closed: add a '---' line after its keys")
    return None


def _read_lesson(path: Path, sink: Sink) -> LessonRef | None:
    text = _read_text(path, sink)
    parts = _split_front_matter(text, path, sink) if text is not None else None
    if parts is None:
        return None
    front, body, closing = parts
    document = _parse(path, front, 2, "front matter", sink)  # line 2: after the opening ---
    if document is None:
        return None
    checked = check(LessonFront, document)
    sink.add_findings(path, checked.findings)
    if not body.strip():
        sink.add(path, closing, "the lesson has no body after its front matter")
    lesson_id = checked.value(("id",))
    if not isinstance(lesson_id, str):
        return None
    return LessonRef(
        id=lesson_id,
        path=path,
        id_line=checked.line(("id",)),
        track=checked.value(("track",)),
        track_line=checked.line(("track",)),
        order=checked.value(("order",)),
        order_line=checked.line(("order",)),
        prerequisites=checked.entries(("prerequisites",)),
        quiz=checked.entries(("quiz",)),
        quiz_known=checked.ok(("quiz",)),
        model=checked.model,
        body=body.strip(),
    )


# --- quiz banks ---------------------------------------------------------------------------------


@dataclass
class _Banks:
    """What the quiz files define, in file order."""

    items: dict[str, QuizItem | None] = field(default_factory=dict)
    first: dict[str, tuple[Path, int]] = field(default_factory=dict)
    topics: dict[str, Topic | None] = field(default_factory=dict)
    generators: set[str] = field(default_factory=set)
    unreadable: bool = False  # some bank could not be parsed, so its item ids are unknown


def _read_bank(path: Path, banks: _Banks, sink: Sink) -> None:
    stem = path.stem
    banks.topics[stem] = None
    text = _read_text(path, sink)
    document = _parse(path, text, 1, "a quiz bank", sink) if text is not None else None
    if document is None:
        banks.unreadable = True
        return
    checked = check(BankFile, document)
    sink.add_findings(path, checked.findings)
    topic = checked.value(("topic",))
    if isinstance(topic, str) and topic != stem:
        message = f"topic {topic!r} must equal the file name {stem!r}"
        sink.add(path, checked.line(("topic",)), message)
    entries = document.data.get("items")
    if not isinstance(entries, list):
        banks.unreadable = True
        return
    item_ids: list[str] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            banks.unreadable = True  # it may be the item some lesson refers to
            continue
        item_id = _read_item(checked, index, path, stem, banks, sink)
        if item_id is not None:
            item_ids.append(item_id)
    if checked.model is not None:
        banks.topics[stem] = Topic(id=stem, title=checked.model.title, item_ids=tuple(item_ids))


def _read_item(
    checked: Checked[BankFile], index: int, path: Path, topic: str, banks: _Banks, sink: Sink
) -> str | None:
    """Record one item, build and sample it when it checked clean; gives its usable id."""
    at = ("items", index)
    name = checked.value((*at, "generator"))
    if isinstance(name, str):
        banks.generators.add(name)
    item_id = checked.value((*at, "id"))
    if not isinstance(item_id, str):
        banks.unreadable = True  # it may be the item some lesson refers to
        return None
    line = checked.line(at)
    if item_id in banks.first:
        first_path, first_line = banks.first[item_id]
        where = f"{display_path(first_path)}:{first_line}"
        message = f"duplicate quiz item id {item_id!r} (first at {where})"
        sink.add(path, checked.line((*at, "id")), message)
        return None
    banks.first[item_id] = (path, line)
    item = None
    if checked.ok(at):
        # A bank with a problem elsewhere has no model; this item passed, so it validates alone.
        model = (
            checked.model.items[index]
            if checked.model is not None
            else QuizItemAlone.model_validate(checked.document.data["items"][index]).root
        )
        item = _quiz_item(model, topic, path, line)
        problem = _sample_problem(item) if item.generator is not None else None
        if problem is not None:
            sink.add(path, line, problem)
            item = None
    banks.items[item_id] = item
    return item_id


def _quiz_item(model: GeneratorItem | StaticItem, topic: str, path: Path, line: int) -> QuizItem:
    if isinstance(model, GeneratorItem):
        return QuizItem(
            id=model.id,
            topic=topic,
            difficulty=model.difficulty,
            path=path,
            line=line,
            generator=model.generator,
            params=MappingProxyType(dict(model.params)),
        )
    question = Question(
        item_id=model.id,
        topic=topic,
        kind=model.kind,
        prompt=model.prompt,
        answer=model.answer,
        explanation=model.explanation,
        difficulty=model.difficulty,
        choices=model.choices if isinstance(model, ChoiceItem) else (),
        tolerance=model.tolerance if isinstance(model, NumericItem) else DEFAULT_TOLERANCE,
        code=model.code,
        hints=model.hints,
    )
    return QuizItem(
        id=model.id,
        topic=topic,
        difficulty=model.difficulty,
        path=path,
        line=line,
        question=question,
    )


# --- generator sampling -------------------------------------------------------------------------


def _sample_problem(item: QuizItem) -> str | None:
    """Build the item for a few seeds, so a broken generator fails the check, not a member."""
    for seed in SAMPLE_SEEDS:
        try:
            question = generators.generate(item, seed)
        except Exception as error:
            failure = f"{type(error).__name__}: {error}"
            return f"generator {item.generator!r} fails for seed {seed}: {failure}"
        reason = _question_problem(question)
        if reason is not None:
            return f"generator {item.generator!r} builds a bad question for seed {seed}: {reason}"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _question_problem(question: Question) -> str | None:
    """Why a generated question cannot be asked, or None."""
    if not isinstance(question.kind, Kind):
        return f"kind {question.kind!r} is not one of {KIND_NAMES}"
    if not isinstance(question.prompt, str) or not question.prompt.strip():
        return "the prompt is empty"
    answer = question.answer
    if question.kind is Kind.NUMERIC:
        if not _is_number(answer) or not math.isfinite(answer):  # type: ignore[arg-type]
            return f"the answer {answer!r} is not a finite number"
    elif question.kind is Kind.CHOICE:
        if len(question.choices) < CHOICES[0]:
            return f"it has {len(question.choices)} choices"
        if answer not in question.choices:
            return f"the answer {answer!r} is not one of the choices {list(question.choices)}"
    elif question.kind is Kind.TEXT:
        accepted = answer if isinstance(answer, tuple) else (answer,)
        if not accepted or not all(_is_text(a) for a in accepted):
            return f"the answer {answer!r} is not text"
    elif question.kind is Kind.OUTPUT:
        if not isinstance(answer, str):
            return f"the answer {answer!r} is not a string"
        if not question.code:
            return "an output question has no code"
    return None


# --- exercises ----------------------------------------------------------------------------------


def _read_exercise_files(folder: Path, sink: Sink) -> list[tuple[Path, Checked[ExerciseFile]]]:
    """`quizzes/exercises/<track>.yaml`, each checked on its own; references come later."""
    if not folder.is_dir():
        return []
    for stray in sorted(folder.glob("*.yml")):
        sink.add(stray, 1, "exercise files end in .yaml; rename this file")
    files: list[tuple[Path, Checked[ExerciseFile]]] = []
    for path in sorted(p for p in folder.glob("*.yaml") if p.is_file()):
        text = _read_text(path, sink)
        document = _parse(path, text, 1, "an exercise file", sink) if text is not None else None
        if document is None:
            continue
        checked = check(ExerciseFile, document)
        sink.add_findings(path, checked.findings)
        files.append((path, checked))
    return files


def _check_exercises(
    files: list[tuple[Path, Checked[ExerciseFile]]],
    tracks: set[str] | None,
    lessons: Mapping[str, LessonRef],
    unreadable: Unreadable,
    sink: Sink,
) -> tuple[int, dict[str, Exercise]]:
    """Ids unique across files, known tracks and lessons; (how many, the clean ones by id).

    `tracks` is None when the roadmap could not be read, so no track can be judged unknown.
    """
    first: dict[str, tuple[Path, int]] = {}
    built: dict[str, Exercise] = {}
    for path, checked in files:
        track = checked.value(("track",))
        if isinstance(track, str) and tracks is not None and track not in tracks:
            sink.add(path, checked.line(("track",)), unknown("track", track, tracks))
        entries = checked.document.data.get(EXERCISES)
        for index in range(len(entries) if isinstance(entries, list) else 0):
            at = (EXERCISES, index)
            lesson = checked.value((*at, "lesson"))
            if isinstance(lesson, str) and lesson not in lessons:
                if lesson not in unreadable.lessons:
                    sink.add(
                        path, checked.line((*at, "lesson")), unknown("lesson", lesson, lessons)
                    )
            exercise_id = checked.value((*at, "id"))
            if not isinstance(exercise_id, str):
                continue
            if exercise_id in first:
                first_path, first_line = first[exercise_id]
                where = f"{display_path(first_path)}:{first_line}"
                message = f"duplicate exercise id {exercise_id!r} (first at {where})"
                sink.add(path, checked.line((*at, "id")), message)
                continue
            first[exercise_id] = (path, checked.line(at))
            if checked.model is not None:
                built[exercise_id] = _exercise(checked.model, index, path, checked.line(at))
    return len(first), built


def _exercise(file: ExerciseFile, index: int, path: Path, line: int) -> Exercise:
    entry = file.exercises[index]
    return Exercise(
        id=entry.id,
        track=file.track,
        lesson=entry.lesson,
        difficulty=entry.difficulty,
        title=entry.title,
        prompt=entry.prompt.strip(),
        function=entry.function,
        starter=entry.starter,
        solution=entry.solution,
        cases=entry.cases,
        explanation=entry.explanation.strip(),
        path=display_path(path),
        line=line,
        rtol=entry.tolerance.rtol,
        atol=entry.tolerance.atol,
    )


# --- entry points -------------------------------------------------------------------------------


def examine(content_dir: Path, quizzes_dir: Path) -> ContentReport:
    """Read and check everything, and count what was read even when it has problems."""
    sink = Sink()
    tracks: list[TrackRef] = []
    lessons: dict[str, LessonRef] = {}
    unreadable = Unreadable(roadmap=True)
    files: list[Path] = []
    if _folder_ok(content_dir, "content", sink):
        tracks, roadmap_ok = _read_roadmap(content_dir, sink)
        unreadable.roadmap = not roadmap_ok
        files = _lesson_files(content_dir)
        if not files:
            sink.add(content_dir, 1, "no lesson files: write them as <track>/<nn>-<slug>.md")
        lesson_lines: dict[str, tuple[Path, int]] = {}
        for path in files:
            ref = _read_lesson(path, sink)
            if ref is None:
                slug = _SLUG.match(path.name)
                unreadable.lessons.add(slug.group(1) if slug else path.stem)
                continue
            if ref.id in lesson_lines:
                first_path, first_line = lesson_lines[ref.id]
                where = f"{display_path(first_path)}:{first_line}"
                sink.add(path, ref.id_line, f"duplicate lesson id {ref.id!r} (first at {where})")
                continue
            lesson_lines[ref.id] = (path, ref.id_line)
            lessons[ref.id] = ref
    banks = _Banks()
    exercise_files: list[tuple[Path, Checked[ExerciseFile]]] = []
    if _folder_ok(quizzes_dir, "quizzes", sink):
        for stray in sorted(quizzes_dir.glob("*.yml")):
            sink.add(stray, 1, "quiz banks end in .yaml; rename this file")
        bank_files = sorted(p for p in quizzes_dir.glob("*.yaml") if p.is_file())
        if not bank_files:
            sink.add(quizzes_dir, 1, "no quiz banks: write them as <topic>.yaml")
        for path in bank_files:
            _read_bank(path, banks, sink)
        exercise_files = _read_exercise_files(quizzes_dir / EXERCISES, sink)
    ordered = check_tracks(tracks, content_dir / ROADMAP, sink) if tracks else []
    unreadable.banks = banks.unreadable
    meant = check_lessons(ordered, lessons, banks.items, content_dir, sink, unreadable)
    every_quiz_known = all(ref.quiz_known for ref in lessons.values())
    if lessons and not unreadable.lessons and every_quiz_known:
        check_taught(banks.first, lessons, meant, sink)
    track_ids = None if unreadable.roadmap else {ref.id for ref in tracks}
    exercise_count, exercises = _check_exercises(
        exercise_files, track_ids, lessons, unreadable, sink
    )

    counts = Counts(
        tracks=len(tracks),
        lessons=len(files),
        quiz_items=len(banks.first),
        generators=len(banks.generators),
        exercises=exercise_count,
    )
    problems = sorted(sink.problems, key=lambda p: (str(p.path), p.line))
    if problems:
        return ContentReport(None, problems, counts)
    curriculum = _build(ordered, lessons, banks, exercises)
    counts.generators = len(curriculum.generator_names)
    return ContentReport(curriculum, [], counts)


def _build(
    ordered: list[TrackRef],
    lessons: Mapping[str, LessonRef],
    banks: _Banks,
    exercises: dict[str, Exercise],
) -> Curriculum:
    """The curriculum from records that all checked clean."""
    tracks = []
    for ref in ordered:
        track = _built(ref.model)
        tracks.append(
            Track(
                id=track.id,
                title=track.title,
                order=track.order,
                prerequisites=track.prerequisites,
                summary=track.summary,
                lesson_ids=track.lessons,
            )
        )
    built_lessons: dict[str, Lesson] = {}
    for lesson_id in (lesson_id for track in tracks for lesson_id in track.lesson_ids):
        lesson = lessons[lesson_id]
        front = _built(lesson.model)
        built_lessons[lesson_id] = Lesson(
            id=front.id,
            track=front.track,
            title=front.title,
            order=front.order,
            minutes=front.minutes,
            prerequisites=front.prerequisites,
            tags=front.tags,
            quiz=front.quiz,
            body=lesson.body,
            path=lesson.path,
        )
    return Curriculum(
        tracks=tuple(tracks),
        lessons=MappingProxyType(built_lessons),
        items=MappingProxyType({i: _built(item) for i, item in banks.items.items()}),
        topics=MappingProxyType({t: _built(topic) for t, topic in sorted(banks.topics.items())}),
        exercises=MappingProxyType(exercises),
    )


def _built(value: T | None) -> T:
    """A value every check passed for; None here would be a bug in the checks, not the content."""
    assert value is not None, "a record with no reported problem was not built"
    return value


def check_content(content_dir: Path, quizzes_dir: Path) -> tuple[Curriculum | None, list[Problem]]:
    """The curriculum and no problems, or None and every problem found."""
    report = examine(content_dir, quizzes_dir)
    return report.curriculum, report.problems


def load_curriculum(content_dir: Path, quizzes_dir: Path) -> Curriculum:
    """The checked curriculum; raises `ContentError` with every problem rather than half-load."""
    curriculum, problems = check_content(content_dir, quizzes_dir)
    if curriculum is None:
        raise ContentError(problems)
    return curriculum
