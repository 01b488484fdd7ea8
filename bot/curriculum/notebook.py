"""A lesson as a Jupyter notebook to take away: prose as Markdown cells, code as code cells.

Reading a lesson in chat is the start; running and changing its code in one's own notebook is
where it sticks. The notebook is built with `nbformat` (the format's reference library) so it
validates against the nbformat 4 schema, and it is the same for the same lesson: cell ids are
numbered, not random, so a file written twice does not differ.
"""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode

from bot.curriculum.blocks import blocks
from bot.curriculum.model import Curriculum, Lesson

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
MIME = "application/x-ipynb+json"


def notebook_for(lesson: Lesson, curriculum: Curriculum) -> NotebookNode:
    """The lesson's notebook: a title cell, then its prose and code in order."""
    track = curriculum.track(lesson.track)
    number = [item.id for item in curriculum.lessons_in_order()].index(lesson.id) + 1
    cells: list[NotebookNode] = [
        nbformat.v4.new_markdown_cell(
            f"# {lesson.title}\n\n"
            f"*{track.title} · lesson {number} of {len(curriculum.lessons)} · "
            f"about {lesson.minutes} min · from Studybot*\n\n"
            "Run the cells top to bottom (Kernel → Restart & Run All), then change the numbers "
            "and run them again."
        )
    ]
    for block in blocks(lesson.body):
        if block.python:
            cells.append(nbformat.v4.new_code_cell(block.text))
        elif block.fenced:
            cells.append(nbformat.v4.new_markdown_cell(f"```{block.language}\n{block.text}\n```"))
        else:
            cells.append(nbformat.v4.new_markdown_cell(block.text))
    for number, cell in enumerate(cells, 1):
        cell["id"] = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(KERNEL)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["studybot"] = {"lesson": lesson.id, "track": lesson.track}
    return notebook


def notebook_bytes(lesson: Lesson, curriculum: Curriculum) -> bytes:
    """The notebook as the bytes of an `.ipynb` file, checked against the schema first."""
    notebook = notebook_for(lesson, curriculum)
    nbformat.validate(notebook)
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def file_name(lesson: Lesson) -> str:
    return f"{lesson.id}.ipynb"
