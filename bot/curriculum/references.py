"""The checks across files: what refers to what, in which order, and what nothing refers to.

Each file is first read on its own (the schema says what one record may hold); what it names
is then gathered here as small refs with the line of every name, because "unknown lesson
'x'" belongs at the line that wrote 'x'. What an unreadable file would have defined is never
reported missing: its own problem says enough, and a cascade of "unknown" lines would bury it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.curriculum.model import Problem
from bot.curriculum.schema import LessonFront, TrackEntry
from bot.curriculum.yamlsource import Finding

ROADMAP = "roadmap.yaml"
_FILE_NUMBER = re.compile(r"^(\d+)-")


def display_path(path: Path) -> Path:
    """The path as an author would type it: relative to the current folder when under it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute


class Sink:
    """Collects problems so every one is reported, not just the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __len__(self) -> int:
        return len(self.problems)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(display_path(path), max(line, 1), message))

    def add_findings(self, path: Path, findings: Iterable[Finding]) -> None:
        """One file's findings in the order they were written in it (line, then column)."""
        for finding in sorted(findings, key=lambda f: (f.line, f.column)):
            self.add(path, finding.line, finding.message)


@dataclass
class TrackRef:
    id: str
    line: int
    order: int | None
    order_line: int
    prerequisites: list[tuple[str, int]]
    lessons: list[tuple[str, int]]
    model: TrackEntry | None = None  # the validated track, when it is clean


@dataclass
class LessonRef:
    id: str
    path: Path
    id_line: int
    track: str | None
    track_line: int
    order: int | None
    order_line: int
    prerequisites: list[tuple[str, int]]
    quiz: list[tuple[str, int]]
    quiz_known: bool  # False when its quiz list had a problem, so some entries may be missing
    model: LessonFront | None = None  # the validated front matter, when it is clean
    body: str = ""


@dataclass
class Unreadable:
    """Files that could not be read, so references into them cannot be judged."""

    roadmap: bool = False
    lessons: set[str] = field(default_factory=set)  # ids guessed from the file names
    banks: bool = False


def unknown(what: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {what} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
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


def check_tracks(refs: list[TrackRef], roadmap: Path, sink: Sink) -> list[TrackRef]:
    """Orders, prerequisites and cycles of the tracks; gives them in roadmap order."""
    by_id = {ref.id: ref for ref in refs}
    orders: dict[int, TrackRef] = {}
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
                sink.add(roadmap, line, unknown("prerequisite track", prerequisite, by_id))
            elif position[prerequisite] > position[ref.id]:
                sink.add(
                    roadmap,
                    line,
                    f"prerequisite track {prerequisite!r} comes after {ref.id!r} in roadmap order",
                )
    edges = {ref.id: [p for p, _ in ref.prerequisites if p in by_id] for ref in refs}
    for cycle in cycles(edges):
        first = by_id[cycle[0]]
        line = _line_of(first.prerequisites, cycle[1], first.line)
        sink.add(roadmap, line, f"prerequisite cycle: {' -> '.join(cycle)}")
    return ordered


def check_lessons(
    tracks: list[TrackRef],
    lessons: dict[str, LessonRef],
    items: Mapping[str, object],
    content_dir: Path,
    sink: Sink,
    unreadable: Unreadable,
) -> set[str]:
    """Roadmap listing, track and folder agreement, order, prerequisites and quiz references.

    Gives the quiz items that an unknown reference probably meant (its "did you mean"), so they
    are not also reported as taught by no lesson.
    """
    roadmap = content_dir / ROADMAP
    track_ids = {track.id for track in tracks}
    listed: dict[str, tuple[TrackRef, int]] = {}
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
                    message = unknown("lesson", lesson_id, lessons) + " (no such file)"
                    sink.add(roadmap, line, message)
            else:
                listed[lesson_id] = (track, line)
    position = {lesson_id: index for index, lesson_id in enumerate(listed)}
    meant: set[str] = set()
    for ref in lessons.values():
        track_agrees = unreadable.roadmap or _check_listing(ref, listed, track_ids, sink)
        if track_agrees:
            _check_file_name(ref, content_dir, sink)
        for prerequisite, line in ref.prerequisites:
            if prerequisite in unreadable.lessons:
                continue
            if prerequisite not in lessons:
                sink.add(ref.path, line, unknown("prerequisite lesson", prerequisite, lessons))
            elif ref.id in position and prerequisite in position:
                if position[prerequisite] > position[ref.id]:
                    message = (
                        f"prerequisite {prerequisite!r} comes after {ref.id!r} in roadmap order"
                    )
                    sink.add(ref.path, line, message)
        for item_id, line in ref.quiz:
            if item_id not in items and not unreadable.banks:
                sink.add(ref.path, line, unknown("quiz item", item_id, items))
                meant.update(difflib.get_close_matches(item_id, list(items), n=1))
    for track in tracks:
        previous: LessonRef | None = None
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
    for cycle in cycles(edges):
        first = lessons[cycle[0]]
        line = _line_of(first.prerequisites, cycle[1], first.id_line)
        sink.add(first.path, line, f"prerequisite cycle: {' -> '.join(cycle)}")
    return meant


def _check_listing(
    ref: LessonRef,
    listed: Mapping[str, tuple[TrackRef, int]],
    track_ids: set[str],
    sink: Sink,
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
        sink.add(ref.path, ref.track_line, unknown("track", ref.track, track_ids))
        return False
    return True


def _check_file_name(ref: LessonRef, content_dir: Path, sink: Sink) -> None:
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


def check_taught(
    first: Mapping[str, tuple[Path, int]],
    lessons: Mapping[str, LessonRef],
    meant: set[str],
    sink: Sink,
) -> None:
    """No quiz item tests what no lesson teaches: each is in some lesson's `quiz` list.

    Call it only when every lesson's quiz list is known; an item that an unknown reference
    probably meant is left to that reference's "did you mean".
    """
    taught = {item_id for ref in lessons.values() for item_id, _ in ref.quiz}
    for item_id, (path, line) in first.items():
        if item_id not in taught and item_id not in meant:
            sink.add(path, line, f"quiz item {item_id!r} is not listed in any lesson's quiz")
