"""`studybot content check`: the loader's verdict as text for people or JSON for tools.

Kept apart from the Typer command so the exact output can be tested without a CLI runner, and
so CI or an editor plugin can read the JSON form without parsing prose.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.curriculum.loader import examine


def run_check(content_dir: Path, quizzes_dir: Path, as_json: bool = False) -> tuple[int, str]:
    """(exit code, text to print): 0 and a one-line summary, or 1 and every problem."""
    report = examine(content_dir, quizzes_dir)
    problems = sorted(report.problems, key=lambda p: (str(p.path), p.line))
    code = 1 if problems else 0
    counts = report.counts
    if as_json:
        document = {
            "ok": not problems,
            "problems": [
                {"path": str(p.path), "line": p.line, "message": p.message} for p in problems
            ],
            "counts": {
                "tracks": counts.tracks,
                "lessons": counts.lessons,
                "quiz_items": counts.quiz_items,
                "generators": counts.generators,
                "exercises": counts.exercises,
            },
        }
        return code, json.dumps(document, indent=2)
    if problems:
        return code, "\n".join(str(p) for p in problems)
    summary = (
        f"{counts.tracks} tracks, {counts.lessons} lessons, "
        f"{counts.quiz_items} quiz items, {counts.generators} generators, "
        f"{counts.exercises} exercises"
    )
    return code, summary
