"""Load `content/` and `quizzes/` into a `Curriculum`, or say precisely what is wrong.

Content is written by hand, so every check reports `path:line: message` at the most precise line
it can, and all problems are collected before anything is refused: an author fixes a whole batch
per run instead of one typo at a time. Nothing is half-loaded; either every file checks clean and
a `Curriculum` comes back, or `ContentError` carries the full list.

YAML is read with `yaml.compose` and converted by hand (not `yaml.safe_load`) because only the
node tree knows the line of each key, value and list entry, and because PyYAML silently keeps the
last of two duplicate keys.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
from bot.domain.quiz import Kind, Question

ROADMAP = "roadmap.yaml"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MINUTES = (1, 120)
DIFFICULTY = (1, 3)
CHOICES = (2, 6)
SAMPLE_SEEDS = range(10)
DEFAULT_TOLERANCE = 1e-6
_KIND_NAMES = ", ".join(kind.value for kind in Kind)
_FILE_NUMBER = re.compile(r"^(\d+)-")
_SLUG = re.compile(r"^(?:\d+-)?(.+)\.md$")
T = TypeVar("T")

_TRACK_REQUIRED = ("id", "title", "order", "summary", "lessons")
_TRACK_OPTIONAL = ("prerequisites",)
_LESSON_REQUIRED = ("id", "track", "title", "order", "minutes")
_LESSON_OPTIONAL = ("prerequisites", "tags", "quiz")
_BANK_REQUIRED = ("topic", "title", "items")
_ITEM_COMMON = ("id", "difficulty")
_GENERATOR_KEYS = ("generator", "params")
_STATIC_REQUIRED = ("kind", "prompt", "answer", "explanation")
_STATIC_OPTIONAL = ("hints", "code", "choices", "tolerance")


# --- where problems go --------------------------------------------------------------------------


def display_path(path: Path) -> Path:
    """The path as an author would type it: relative to the current folder when under it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute


class _Sink:
    """Collects problems so every one is reported, not just the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __len__(self) -> int:
        return len(self.problems)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(display_path(path), max(line, 1), message))


# --- YAML with line numbers ---------------------------------------------------------------------


class YMap(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key and value."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        self.value_lines: dict[str, int] = {}


class YList(list[Any]):
    """A YAML sequence that remembers its own line and the line of each entry."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _Converter:
    """Turns a composed node tree into YMap/YList/scalars, reporting what cannot be read."""

    def __init__(self, sink: _Sink, path: Path, first_line: int) -> None:
        self.sink = sink
        self.path = path
        self.first_line = first_line
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def line(self, node: Node) -> int:
        return node.start_mark.line + self.first_line

    def convert(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            self.sink.add(self.path, self.line(node), "an alias refers to itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node)
            if isinstance(node, MappingNode):
                return self._mapping(node)
        finally:
            self.active.discard(id(node))
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:merge":
            self.sink.add(self.path, self.line(node), "merge keys (<<) are not supported")
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            reason = getattr(error, "problem", None) or str(error)
            self.sink.add(self.path, self.line(node), f"cannot read value: {reason}")
            return None

    def _sequence(self, node: SequenceNode) -> YList:
        result = YList(self.line(node))
        for child in node.value:
            result.append(self.convert(child))
            result.item_lines.append(self.line(child))
        return result

    def _mapping(self, node: MappingNode) -> YMap:
        result = YMap(self.line(node))
        for key_node, value_node in node.value:
            key_line = self.line(key_node)
            key = self._scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                if key is not None or not isinstance(key_node, ScalarNode):
                    shown = _describe(key) if key is not None else "a collection"
                    self.sink.add(self.path, key_line, f"keys must be strings, got {shown}")
                continue
            if key in result:
                first = result.key_lines[key]
                self.sink.add(self.path, key_line, f"duplicate key {key!r} (first at line {first})")
                continue
            result[key] = self.convert(value_node)
            result.key_lines[key] = key_line
            result.value_lines[key] = self.line(value_node)
        return result


def _parse_mapping(text: str, path: Path, sink: _Sink, first_line: int, what: str) -> YMap | None:
    """Parse one YAML document that must be a mapping; `first_line` is the file line of line 1."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark is not None else first_line
        reason = error.problem or error.context or "invalid YAML"
        started = error.context_mark
        if error.problem and error.context and started is not None and mark is not started:
            start = started.line + first_line
            if start != line:
                reason += f" ({error.context} that starts on line {start})"
        sink.add(path, line, f"YAML syntax error: {reason}")
        return None
    except yaml.YAMLError as error:
        sink.add(path, first_line, f"YAML syntax error: {error}")
        return None
    if node is None:
        sink.add(path, first_line, f"{what} is empty")
        return None
    value = _Converter(sink, path, first_line).convert(node)
    if not isinstance(value, YMap):
        sink.add(path, node.start_mark.line + first_line, f"{what} must be a mapping of keys")
        return None
    return value


def _plain(value: Any) -> Any:
    """Drop line bookkeeping so generator params are ordinary dicts and lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _read_text(path: Path, sink: _Sink) -> str | None:
    try:
        return path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        sink.add(path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:
        sink.add(path, 1, f"cannot read file: {error.strerror or error}")
    return None


# --- typed reads of one mapping -----------------------------------------------------------------


class _Record:
    """One mapping under validation: typed reads that report at the exact line of the value."""

    def __init__(self, sink: _Sink, path: Path, data: YMap, kind: str) -> None:
        self.sink = sink
        self.path = path
        self.data = data
        ident = data.get("id")
        self.what = f"{kind} {ident!r}" if isinstance(ident, str) and ident else kind
        self._before = len(sink)

    @property
    def clean(self) -> bool:
        """True when nothing was reported since this record was opened."""
        return len(self.sink) == self._before

    def line(self, key: str) -> int:
        return self.data.value_lines.get(key, self.data.line)

    def report(self, key: str | None, message: str) -> None:
        self.sink.add(self.path, self.line(key) if key else self.data.line, message)

    def keys(
        self,
        required: Sequence[str],
        optional: Sequence[str],
        foreign: Mapping[str, str] | None = None,
    ) -> None:
        """Report missing required keys (at the mapping) and unknown ones (at the key)."""
        allowed = [*required, *optional]
        for key in required:
            if key not in self.data:
                self.report(None, f"{self.what} is missing required key {key!r}")
        for key in self.data:
            if key in allowed:
                continue
            if foreign and key in foreign:
                message = foreign[key]
            else:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
                message = f"unknown key {key!r} in {self.what} ({hint})"
            self.sink.add(self.path, self.data.key_lines[key], message)

    def typed(self, key: str, check: Callable[[Any], bool], expected: str) -> Any:
        if key not in self.data:
            return None
        value = self.data[key]
        if check(value):
            return value
        self.report(key, f"{key!r} must be {expected}, got {_describe(value)}")
        return None

    def text(self, key: str) -> str | None:
        value: str | None = self.typed(key, _is_text, "a non-empty string")
        return value

    def ident(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not ID_PATTERN.match(value):
            allowed = "letters, digits, '-', '_' and '.'"
            self.report(key, f"{key!r} must be made of {allowed}, got {value!r}")
            return None
        return value

    def integer(self, key: str, bounds: tuple[int, int] | None = None) -> int | None:
        value: int | None = self.typed(key, _is_int, "an integer")
        if value is not None and bounds and not bounds[0] <= value <= bounds[1]:
            self.report(key, f"{key!r} must be between {bounds[0]} and {bounds[1]}, got {value}")
            return None
        return value

    def number(self, key: str) -> float | None:
        value = self.typed(key, _is_number, "a number")
        if value is None:
            return None
        if not math.isfinite(value):
            self.report(key, f"{key!r} must be a finite number, got {value!r}")
            return None
        return float(value)

    def texts(self, key: str, unique: str | None = None) -> list[tuple[str, int]] | None:
        """Non-empty strings with the line of each; [] when absent, None when not a list."""
        if key not in self.data:
            return []
        value = self.data[key]
        if not isinstance(value, YList):
            self.report(key, f"{key!r} must be a list of strings, got {_describe(value)}")
            return None
        result: list[tuple[str, int]] = []
        seen: dict[str, int] = {}
        for index, (entry, line) in enumerate(zip(value, value.item_lines, strict=True), 1):
            if not _is_text(entry):
                got = _describe(entry)
                self.sink.add(self.path, line, f"{key!r} entry {index} must be a string, got {got}")
            elif unique and entry in seen:
                self.sink.add(
                    self.path,
                    line,
                    f"{unique} {entry!r} is listed twice (first at line {seen[entry]})",
                )
            else:
                seen[entry] = line
                result.append((entry, line))
        return result  # the usable entries, so one bad entry does not hide the others


# --- what each file contributed, for the cross-file checks -------------------------------------


@dataclass
class _TrackRef:
    id: str
    line: int
    order: int | None
    order_line: int
    prerequisites: list[tuple[str, int]]
    lessons: list[tuple[str, int]]
    track: Track | None


@dataclass
class _LessonRef:
    id: str
    path: Path
    id_line: int
    track: str | None
    track_line: int
    order: int | None
    order_line: int
    prerequisites: list[tuple[str, int]]
    quiz: list[tuple[str, int]]
    lesson: Lesson | None


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


# --- the roadmap --------------------------------------------------------------------------------


def _read_roadmap(content_dir: Path, sink: _Sink) -> tuple[list[_TrackRef], bool]:
    """The tracks, and whether the roadmap was readable enough to judge lesson listings."""
    path = content_dir / ROADMAP
    if not path.is_file():
        sink.add(path, 1, f"{ROADMAP} not found: it lists the tracks and their lessons")
        return [], False
    text = _read_text(path, sink)
    if text is None:
        return [], False
    data = _parse_mapping(text, path, sink, 1, ROADMAP)
    if data is None:
        return [], False
    top = _Record(sink, path, data, ROADMAP)
    top.keys(("tracks",), ())
    entries = data.get("tracks")
    if "tracks" not in data:
        return [], False
    if not isinstance(entries, YList):
        top.report("tracks", f"'tracks' must be a list of tracks, got {_describe(entries)}")
        return [], False
    if not entries:
        top.report("tracks", "the roadmap has no tracks")
    refs: list[_TrackRef] = []
    seen: dict[str, int] = {}
    for entry, line in zip(entries, entries.item_lines, strict=True):
        if not isinstance(entry, YMap):
            sink.add(path, line, f"a track must be a mapping of keys, got {_describe(entry)}")
            continue
        ref = _read_track(sink, path, entry, seen)
        if ref is not None:
            refs.append(ref)
    # A track without a usable id hides which lessons it lists; judging listings would mislead.
    return refs, len(refs) == len(entries)


def _read_track(sink: _Sink, path: Path, data: YMap, seen: dict[str, int]) -> _TrackRef | None:
    record = _Record(sink, path, data, "track")
    record.keys(_TRACK_REQUIRED, _TRACK_OPTIONAL)
    track_id = record.ident("id")
    title = record.text("title")
    order = record.integer("order")
    summary = record.text("summary")
    prerequisites = record.texts("prerequisites", unique="prerequisite")
    lessons = record.texts("lessons", unique="lesson")
    if lessons == [] and "lessons" in data:
        record.report("lessons", f"{record.what} has no lessons")
    if track_id is None:
        return None
    if track_id in seen:
        record.report("id", f"duplicate track id {track_id!r} (first at line {seen[track_id]})")
        return None
    seen[track_id] = record.line("id")
    track = None
    if record.clean:
        assert title is not None and order is not None and summary is not None
        track = Track(
            id=track_id,
            title=title,
            order=order,
            prerequisites=tuple(p for p, _ in prerequisites or ()),
            summary=summary,
            lesson_ids=tuple(lesson for lesson, _ in lessons or ()),
        )
    return _TrackRef(
        id=track_id,
        line=data.line,
        order=order,
        order_line=record.line("order"),
        prerequisites=prerequisites or [],
        lessons=lessons or [],
        track=track,
    )


# --- lessons ------------------------------------------------------------------------------------


def _lesson_files(content_dir: Path) -> list[Path]:
    """Markdown files in the track folders; a README is documentation, not a lesson."""
    return sorted(
        path
        for path in content_dir.rglob("*.md")
        if path.parent != content_dir and path.name.lower() != "readme.md" and path.is_file()
    )


def _split_front_matter(text: str, path: Path, sink: _Sink) -> tuple[str, str, int] | None:
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


def _read_lesson(path: Path, sink: _Sink) -> _LessonRef | None:
    text = _read_text(path, sink)
    if text is None:
        return None
    parts = _split_front_matter(text, path, sink)
    if parts is None:
        return None
    front, body, closing = parts
    data = _parse_mapping(front, path, sink, 2, "front matter")
    if data is None:
        return None
    record = _Record(sink, path, data, "lesson")
    record.keys(_LESSON_REQUIRED, _LESSON_OPTIONAL)
    lesson_id = record.ident("id")
    track = record.ident("track")
    title = record.text("title")
    order = record.integer("order")
    minutes = record.integer("minutes", MINUTES)
    prerequisites = record.texts("prerequisites", unique="prerequisite")
    tags = record.texts("tags", unique="tag")
    quiz = record.texts("quiz", unique="quiz item")
    if not body.strip():
        sink.add(path, closing, "the lesson has no body after its front matter")
    if lesson_id is None:
        return None
    lesson = None
    if record.clean:
        assert track is not None and title is not None and order is not None
        assert minutes is not None
        lesson = Lesson(
            id=lesson_id,
            track=track,
            title=title,
            order=order,
            minutes=minutes,
            prerequisites=tuple(p for p, _ in prerequisites or ()),
            tags=tuple(t for t, _ in tags or ()),
            quiz=tuple(q for q, _ in quiz or ()),
            body=body.strip(),
            path=path,
        )
    return _LessonRef(
        id=lesson_id,
        path=path,
        id_line=record.line("id"),
        track=track,
        track_line=record.line("track"),
        order=order,
        order_line=record.line("order"),
        prerequisites=prerequisites or [],
        quiz=quiz or [],
        lesson=lesson,
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


def _read_bank(path: Path, banks: _Banks, sink: _Sink) -> None:
    text = _read_text(path, sink)
    if text is None:
        banks.unreadable = True
        return
    stem = path.stem
    banks.topics[stem] = None
    data = _parse_mapping(text, path, sink, 1, "a quiz bank")
    if data is None:
        banks.unreadable = True
        return
    record = _Record(sink, path, data, "quiz bank")
    record.keys(_BANK_REQUIRED, ())
    topic = record.text("topic")
    if topic is not None and topic != stem:
        record.report("topic", f"topic {topic!r} must equal the file name {stem!r}")
    title = record.text("title")
    entries = data.get("items")
    item_ids: list[str] = []
    if not isinstance(entries, YList):
        banks.unreadable = True
    if "items" in data and not isinstance(entries, YList):
        record.report("items", f"'items' must be a list of quiz items, got {_describe(entries)}")
    elif isinstance(entries, YList):
        if not entries:
            record.report("items", "the quiz bank has no items")
        for entry, line in zip(entries, entries.item_lines, strict=True):
            if not isinstance(entry, YMap):
                sink.add(
                    path, line, f"a quiz item must be a mapping of keys, got {_describe(entry)}"
                )
                banks.unreadable = True
                continue
            item_id = _read_item(path, stem, entry, banks, sink)
            if item_id is not None:
                item_ids.append(item_id)
    if record.clean:
        assert title is not None
        banks.topics[stem] = Topic(id=stem, title=title, item_ids=tuple(item_ids))


def _read_item(path: Path, topic: str, data: YMap, banks: _Banks, sink: _Sink) -> str | None:
    """Validate one item and record it; gives its id when it has a usable one."""
    record = _Record(sink, path, data, "quiz item")
    item_id = record.ident("id")
    difficulty = record.integer("difficulty", DIFFICULTY)
    item: QuizItem | None = None
    if "generator" in data:
        foreign = {
            key: f"{record.what} names a generator, so it cannot also have {key!r}"
            for key in (*_STATIC_REQUIRED, *_STATIC_OPTIONAL)
        }
        record.keys((*_ITEM_COMMON, "generator"), ("params",), foreign)
        item = _generator_item(record, item_id, topic, difficulty, banks)
    elif "kind" in data:
        item = _static_item(record, item_id, topic, difficulty)
    else:
        record.keys(_ITEM_COMMON, (*_GENERATOR_KEYS, *_STATIC_REQUIRED, *_STATIC_OPTIONAL))
        record.report(None, f"{record.what} needs either 'kind' (a static item) or 'generator'")
    if item_id is None:
        banks.unreadable = True  # it may be the item some lesson refers to
        return None
    if item_id in banks.first:
        first_path, first_line = banks.first[item_id]
        where = f"{display_path(first_path)}:{first_line}"
        record.report("id", f"duplicate quiz item id {item_id!r} (first at {where})")
        return None
    banks.first[item_id] = (path, data.line)
    banks.items[item_id] = item if record.clean else None
    return item_id


def _static_item(
    record: _Record, item_id: str | None, topic: str, difficulty: int | None
) -> QuizItem | None:
    data = record.data
    kind_text = data.get("kind")
    known = isinstance(kind_text, str) and kind_text in {k.value for k in Kind}
    kind = Kind(str(kind_text)) if known else None
    if kind is None:
        record.report("kind", f"'kind' must be one of {_KIND_NAMES}, got {_describe(kind_text)}")
    foreign = {
        "params": f"'params' belongs to generator items; {record.what} has a 'kind'",
    }
    optional = ["hints", "code"]
    if kind is None or kind is Kind.CHOICE:
        optional.append("choices")
    else:
        foreign["choices"] = f"'choices' is only for choice items, not {kind.value}"
    if kind is None or kind is Kind.NUMERIC:
        optional.append("tolerance")
    else:
        foreign["tolerance"] = f"'tolerance' is only for numeric items, not {kind.value}"
    required = [*_ITEM_COMMON, *_STATIC_REQUIRED]
    if kind is Kind.CHOICE:
        required.append("choices")
        optional.remove("choices")
    if kind is Kind.OUTPUT:
        required.append("code")
        optional.remove("code")
    record.keys(required, optional, foreign)
    prompt = record.text("prompt")
    explanation = record.text("explanation")
    code = record.text("code")
    hints = record.texts("hints")
    answer: str | float | tuple[str, ...] | None = None
    choices: tuple[str, ...] = ()
    tolerance = DEFAULT_TOLERANCE
    if kind is Kind.CHOICE:
        choices, answer = _choice_answer(record)
    elif kind is Kind.NUMERIC:
        answer = record.number("answer")
        if "tolerance" in data:
            given = record.number("tolerance")
            if given is not None and given < 0:
                record.report("tolerance", f"'tolerance' must be 0 or more, got {given!r}")
            tolerance = given if given is not None else tolerance
    elif kind is Kind.TEXT:
        answer = _text_answer(record)
    elif kind is Kind.OUTPUT:
        answer = record.typed("answer", lambda v: isinstance(v, str), "a string (quote it)")
    if not record.clean or item_id is None:
        return None
    assert kind is not None and answer is not None and prompt is not None
    assert difficulty is not None and explanation is not None
    question = Question(
        item_id=item_id,
        topic=topic,
        kind=kind,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        difficulty=difficulty,
        choices=choices,
        tolerance=tolerance,
        code=code,
        hints=tuple(h for h, _ in hints or ()),
    )
    return QuizItem(
        id=item_id,
        topic=topic,
        difficulty=difficulty,
        path=record.path,
        line=data.line,
        question=question,
    )


def _choice_answer(record: _Record) -> tuple[tuple[str, ...], str | None]:
    """The choices and the answer, which must be the exact text of one of them."""
    before = len(record.sink)
    choices = record.texts("choices", unique="choice")
    choices_ok = len(record.sink) == before
    answer = record.typed("answer", lambda v: isinstance(v, str), "a string, the text of a choice")
    raw = record.data.get("choices")
    if choices is None or not isinstance(raw, YList):
        return (), answer
    low, high = CHOICES
    if not low <= len(raw) <= high:
        record.report("choices", f"a choice item needs {low} to {high} choices, got {len(raw)}")
    texts = tuple(choice for choice, _ in choices)
    if choices_ok and answer is not None and answer not in texts:
        record.report("answer", f"answer {answer!r} is not one of the choices")
    return texts, answer


def _text_answer(record: _Record) -> str | tuple[str, ...] | None:
    """A text answer is one string or a list of accepted strings."""
    value = record.data.get("answer")
    if isinstance(value, YList):
        accepted = record.texts("answer")
        if accepted == []:
            record.report("answer", "'answer' lists no accepted answers")
        return tuple(a for a, _ in accepted) if accepted else None
    if "answer" not in record.data:
        return None
    if _is_text(value):
        return str(value)
    expected = "a string or a list of strings (quote numbers)"
    record.report("answer", f"'answer' must be {expected}, got {_describe(value)}")
    return None


def _generator_item(
    record: _Record, item_id: str | None, topic: str, difficulty: int | None, banks: _Banks
) -> QuizItem | None:
    data = record.data
    name = record.text("generator")
    if name is not None:
        banks.generators.add(name)
    params: YMap = YMap(record.line("params"))
    if "params" in data:
        given = data["params"]
        if isinstance(given, YMap):
            params = given
        else:
            record.report("params", f"'params' must be a mapping, got {_describe(given)}")
    if name is None:
        return None
    generator = generators.REGISTRY.get(name)
    if generator is None:
        known = ", ".join(sorted(generators.REGISTRY)) or "none"
        record.report("generator", f"unknown generator {name!r} (known: {known})")
        return None
    for key in params:
        for message in generator.params_problems({key: _plain(params[key])}):
            record.sink.add(record.path, params.value_lines[key], message)
    if not record.clean or item_id is None or difficulty is None:
        return None
    item = QuizItem(
        id=item_id,
        topic=topic,
        difficulty=difficulty,
        path=record.path,
        line=data.line,
        generator=name,
        params=MappingProxyType(_plain(params)),
    )
    problem = _sample_problem(item)
    if problem is not None:
        record.report(None, problem)
        return None
    return item


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


def _question_problem(question: Question) -> str | None:
    """Why a generated question cannot be asked, or None."""
    if not isinstance(question.kind, Kind):
        return f"kind {question.kind!r} is not one of {_KIND_NAMES}"
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


# --- checks across files ------------------------------------------------------------------------


def _cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each prerequisite cycle once, starting at its smallest id and ending back at it."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []
    found: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, ()):
            if state.get(target) == 1:
                loop = path[path.index(target) :]
                start = loop.index(min(loop))
                ring = loop[start:] + loop[:start]
                found.setdefault(tuple(ring), [*ring, ring[0]])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node)
    return list(found.values())


def _line_of(entries: Iterable[tuple[str, int]], target: str, default: int) -> int:
    return next((line for name, line in entries if name == target), default)


def _check_tracks(refs: list[_TrackRef], roadmap: Path, sink: _Sink) -> list[_TrackRef]:
    """Orders, prerequisites and cycles of the tracks; gives them in roadmap order."""
    by_id = {ref.id: ref for ref in refs}
    orders: dict[int, _TrackRef] = {}
    for ref in refs:
        if ref.order is None:
            continue
        if ref.order in orders:
            other = orders[ref.order]
            sink.add(
                roadmap, ref.order_line, f"order {ref.order} is also used by track {other.id!r}"
            )
        else:
            orders[ref.order] = ref
    if all(ref.order is not None for ref in refs):
        ordered = sorted(refs, key=lambda r: (r.order or 0, r.line))
    else:  # an unreadable order would reshuffle the rest and cascade into order problems
        ordered = sorted(refs, key=lambda r: r.line)
    position = {ref.id: index for index, ref in enumerate(ordered)}
    for ref in refs:
        for prerequisite, line in ref.prerequisites:
            if prerequisite not in by_id:
                sink.add(roadmap, line, _unknown("prerequisite track", prerequisite, by_id))
            elif position[prerequisite] > position[ref.id]:
                sink.add(
                    roadmap,
                    line,
                    f"prerequisite track {prerequisite!r} comes after {ref.id!r} in roadmap order",
                )
    edges = {ref.id: [p for p, _ in ref.prerequisites if p in by_id] for ref in refs}
    for cycle in _cycles(edges):
        first = by_id[cycle[0]]
        line = _line_of(first.prerequisites, cycle[1], first.line)
        sink.add(roadmap, line, f"prerequisite cycle: {' -> '.join(cycle)}")
    return ordered


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {what} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


@dataclass
class _Unreadable:
    """Files that could not be read, so references into them cannot be judged."""

    roadmap: bool = False
    lessons: set[str] = field(default_factory=set)  # ids guessed from the file names
    banks: bool = False


def _check_lessons(
    tracks: list[_TrackRef],
    lessons: dict[str, _LessonRef],
    items: Mapping[str, object],
    content_dir: Path,
    sink: _Sink,
    unreadable: _Unreadable,
) -> None:
    """Roadmap listing, track and folder agreement, order, prerequisites and quiz references.

    What an unreadable file would have defined is not reported missing: its own problem says
    enough, and a cascade of "unknown" lines would bury it.
    """
    roadmap = content_dir / ROADMAP
    track_ids = {track.id for track in tracks}
    listed: dict[str, tuple[_TrackRef, int]] = {}
    for track in tracks:
        for lesson_id, line in track.lessons:
            if lesson_id in listed:
                other, other_line = listed[lesson_id]
                sink.add(
                    roadmap,
                    line,
                    f"lesson {lesson_id!r} is already listed in track {other.id!r} "
                    f"(line {other_line})",
                )
            elif lesson_id not in lessons:
                if lesson_id not in unreadable.lessons:
                    message = _unknown("lesson", lesson_id, lessons) + " (no such file)"
                    sink.add(roadmap, line, message)
            else:
                listed[lesson_id] = (track, line)
    position = {lesson_id: index for index, lesson_id in enumerate(listed)}
    for ref in lessons.values():
        track_agrees = unreadable.roadmap or _check_listing(ref, listed, track_ids, sink)
        if track_agrees:
            _check_file_name(ref, content_dir, sink)
        for prerequisite, line in ref.prerequisites:
            if prerequisite in unreadable.lessons:
                continue
            if prerequisite not in lessons:
                sink.add(ref.path, line, _unknown("prerequisite lesson", prerequisite, lessons))
            elif ref.id in position and prerequisite in position:
                if position[prerequisite] > position[ref.id]:
                    message = (
                        f"prerequisite {prerequisite!r} comes after {ref.id!r} in roadmap order"
                    )
                    sink.add(ref.path, line, message)
        for item_id, line in ref.quiz:
            if item_id not in items and not unreadable.banks:
                sink.add(ref.path, line, _unknown("quiz item", item_id, items))
    for track in tracks:
        previous: _LessonRef | None = None
        for lesson_id, _ in track.lessons:
            found = lessons.get(lesson_id)
            if found is None or found.order is None or listed[lesson_id][0] is not track:
                continue
            if (
                previous is not None
                and previous.order is not None
                and found.order <= previous.order
            ):
                sink.add(
                    found.path,
                    found.order_line,
                    f"order {found.order} must be above {previous.order} of {previous.id!r}, "
                    f"which roadmap.yaml lists before it",
                )
            previous = found
    edges = {ref.id: [p for p, _ in ref.prerequisites if p in lessons] for ref in lessons.values()}
    for cycle in _cycles(edges):
        first = lessons[cycle[0]]
        line = _line_of(first.prerequisites, cycle[1], first.id_line)
        sink.add(first.path, line, f"prerequisite cycle: {' -> '.join(cycle)}")


def _check_listing(
    ref: _LessonRef,
    listed: Mapping[str, tuple[_TrackRef, int]],
    track_ids: set[str],
    sink: _Sink,
) -> bool:
    """A lesson is listed by a track and says that track; False when its track is in doubt."""
    if ref.id not in listed:
        message = f"lesson {ref.id!r} is not listed in any track of {ROADMAP}"
        sink.add(ref.path, ref.id_line, message)
    if ref.track is None:
        return False
    if ref.id in listed and listed[ref.id][0].id != ref.track:
        owner = listed[ref.id][0].id
        sink.add(
            ref.path,
            ref.track_line,
            f"track {ref.track!r} disagrees with {ROADMAP}, which lists {ref.id!r} in {owner!r}",
        )
        return False
    if ref.id not in listed and ref.track not in track_ids:
        sink.add(ref.path, ref.track_line, _unknown("track", ref.track, track_ids))
        return False
    return True


def _check_file_name(ref: _LessonRef, content_dir: Path, sink: _Sink) -> None:
    """A lesson lives in its track's folder, and a number in its file name is its order."""
    if ref.track is not None:
        folder = ref.path.parent
        if folder.name != ref.track or folder.parent.resolve() != content_dir.resolve():
            where = display_path(content_dir / ref.track)
            message = f"a lesson of track {ref.track!r} belongs in {where}/"
            sink.add(ref.path, ref.track_line, message)
    number = _FILE_NUMBER.match(ref.path.name)
    if number and ref.order is not None and int(number.group(1)) != ref.order:
        sink.add(
            ref.path,
            ref.order_line,
            f"order {ref.order} does not match the file name's number {number.group(1)!r}",
        )


# --- entry points -------------------------------------------------------------------------------


def _folder_ok(folder: Path, what: str, sink: _Sink) -> bool:
    if not folder.exists():
        sink.add(folder, 1, f"{what} folder not found")
        return False
    if not folder.is_dir():
        sink.add(folder, 1, f"{what} path is not a folder")
        return False
    return True


def examine(content_dir: Path, quizzes_dir: Path) -> ContentReport:
    """Read and check everything, and count what was read even when it has problems."""
    sink = _Sink()
    tracks: list[_TrackRef] = []
    lessons: dict[str, _LessonRef] = {}
    unreadable = _Unreadable()
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
    if _folder_ok(quizzes_dir, "quizzes", sink):
        for stray in sorted(quizzes_dir.glob("*.yml")):
            sink.add(stray, 1, "quiz banks end in .yaml; rename this file")
        bank_files = sorted(p for p in quizzes_dir.glob("*.yaml") if p.is_file())
        if not bank_files:
            sink.add(quizzes_dir, 1, "no quiz banks: write them as <topic>.yaml")
        for path in bank_files:
            _read_bank(path, banks, sink)
    ordered = _check_tracks(tracks, content_dir / ROADMAP, sink) if tracks else []
    unreadable.banks = banks.unreadable
    _check_lessons(ordered, lessons, banks.items, content_dir, sink, unreadable)
    exercises = _read_exercises(quizzes_dir / "exercises", lessons, sink)

    counts = Counts(
        tracks=len(tracks),
        lessons=len(files),
        quiz_items=len(banks.first),
        generators=len(banks.generators),
        exercises=len(exercises),
    )
    problems = sorted(sink.problems, key=lambda p: (str(p.path), p.line))
    if problems:
        return ContentReport(None, problems, counts)
    listed_order = [lesson_id for track in ordered for lesson_id, _ in track.lessons]
    curriculum = Curriculum(
        tracks=tuple(_built(ref.track) for ref in ordered),
        lessons=MappingProxyType({i: _built(lessons[i].lesson) for i in listed_order}),
        items=MappingProxyType({i: _built(item) for i, item in banks.items.items()}),
        topics=MappingProxyType({t: _built(topic) for t, topic in sorted(banks.topics.items())}),
        exercises=MappingProxyType(exercises),
    )
    counts.generators = len(curriculum.generator_names)
    return ContentReport(curriculum, [], counts)


_EXERCISE_KEYS = (
    "id", "lesson", "difficulty", "title", "prompt", "function", "starter", "solution", "cases",
    "explanation",
)  # fmt: skip


def _read_exercises(folder: Path, lessons: Mapping[str, Any], sink: _Sink) -> dict[str, Exercise]:
    """`quizzes/exercises/<track>.yaml` (interim reader: required keys, types, known lessons)."""
    exercises: dict[str, Exercise] = {}
    if not folder.is_dir():
        return exercises
    for path in sorted(folder.glob("*.yaml")):
        text = _read_text(path, sink)
        if text is None:
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            sink.add(path, (mark.line + 1) if mark else 1, f"not valid YAML: {error}")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
            sink.add(path, 1, "an exercise file has `track:` and a list under `exercises:`")
            continue
        lines = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("  - id:")]
        for index, entry in enumerate(data["exercises"]):
            line = lines[index] if index < len(lines) else 1
            missing = [
                key for key in _EXERCISE_KEYS if not isinstance(entry, dict) or key not in entry
            ]
            if missing:
                sink.add(path, line, f"exercise is missing {', '.join(missing)}")
                continue
            if entry["id"] in exercises:
                sink.add(path, line, f"duplicate exercise id {entry['id']!r}")
                continue
            if entry["lesson"] not in lessons:
                sink.add(path, line, _unknown("lesson", str(entry["lesson"]), lessons))
                continue
            tolerance = entry.get("tolerance") or {}
            exercises[entry["id"]] = Exercise(
                id=str(entry["id"]),
                track=str(data.get("track", "")),
                lesson=str(entry["lesson"]),
                difficulty=int(entry["difficulty"]),
                title=str(entry["title"]),
                prompt=str(entry["prompt"]).strip(),
                function=str(entry["function"]),
                starter=str(entry["starter"]),
                solution=str(entry["solution"]),
                cases=tuple(str(case) for case in entry["cases"]),
                explanation=str(entry["explanation"]).strip(),
                path=display_path(path),
                line=line,
                rtol=float(tolerance.get("rtol", 1e-6)),
                atol=float(tolerance.get("atol", 1e-9)),
            )
    return exercises


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
