"""Lessons as notebooks: valid nbformat 4, the lesson's prose and code in order, the same bytes
every time, from the CLI, the console and the service the Discord button calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bot.curriculum.blocks import blocks
from bot.curriculum.loader import load_curriculum
from bot.curriculum.model import Curriculum
from bot.curriculum.notebook import notebook_bytes, notebook_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(ROOT / "content", ROOT / "quizzes")


def test_every_lesson_is_a_valid_notebook(curriculum: Curriculum) -> None:
    for lesson in curriculum.lessons.values():
        data = notebook_bytes(lesson, curriculum)
        notebook = nbformat.reads(data.decode(), as_version=4)
        nbformat.validate(notebook)  # raises on anything the schema refuses
        assert notebook.nbformat == 4 and notebook.metadata.kernelspec.name == "python3"
        parts = blocks(lesson.body)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert code == [b.text for b in parts if b.python], lesson.id
        first = notebook.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith(f"# {lesson.title}\n")
        assert len(notebook.cells) == len(parts) + 1
        assert data == notebook_bytes(lesson, curriculum)  # deterministic: numbered cell ids


def test_code_that_needs_a_framework_stays_code(curriculum: Curriculum) -> None:
    """PyTorch code cannot run in our runner, but it can in the member's own Jupyter."""
    lesson = curriculum.lessons["dl-frameworks"]
    cells = notebook_for(lesson, curriculum).cells
    assert any(c.cell_type == "code" and c.source.startswith("# needs PyTorch") for c in cells)


def test_the_cli_writes_a_notebook_and_refuses_an_unknown_lesson(tmp_path: Path) -> None:
    target = tmp_path / "out" / "first.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "content", "notebook", "numpy-arrays", "--out", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote {target}"
    nbformat.validate(nbformat.read(target, as_version=4))
    wrong = subprocess.run(
        [sys.executable, "-m", "bot", "content", "notebook", "numpy-aray"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert wrong.returncode == 2 and "Did you mean `numpy-arrays`?" in wrong.stderr
    assert "Traceback" not in wrong.stderr and list(tmp_path.glob("*.ipynb")) == []


def test_the_console_prints_where_it_wrote_the_notebook(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--user", "nb"],
        input="/notebook\n/notebook 3\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    first, third = (
        tmp_path / "files" / "numpy-arrays.ipynb",
        tmp_path / "files" / "numpy-indexing.ipynb",
    )
    assert f"wrote numpy-arrays.ipynb: {first}" in done.stdout
    assert f"wrote numpy-indexing.ipynb: {third}" in done.stdout
    for path in (first, third):
        nbformat.validate(nbformat.read(path, as_version=4))
