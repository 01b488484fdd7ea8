"""`content check`: every way content can be broken is reported at its exact `path:line`.

Each test writes a small valid tree, breaks one thing and compares the whole output, so a
message that moves to a vaguer line or a new cascade of follow-on problems fails the test.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.curriculum import generators
from bot.curriculum.check import run_check
from bot.curriculum.generators import Draft, Generator
from bot.curriculum.loader import check_content, load_curriculum
from bot.curriculum.model import ContentError
from bot.domain.quiz import Kind

REPO = Path(__file__).resolve().parent.parent

ROADMAP = """\
tracks:
  - id: stack
    title: The Python ML stack
    order: 1
    prerequisites: []
    summary: Arrays first.
    lessons: [numpy-arrays]
  - id: math
    title: Mathematics
    order: 2
    prerequisites: [stack]
    summary: Vectors.
    lessons: [vectors]
"""

NUMPY_LESSON = """\
---
id: numpy-arrays
track: stack
title: NumPy arrays
order: 1
minutes: 15
prerequisites: []
tags: [numpy]
quiz: [vec-shape]
---
# NumPy arrays

Arrays hold numbers of one type.
"""

VECTORS_LESSON = """\
---
id: vectors
track: math
title: Vectors
order: 1
minutes: 20
prerequisites: [numpy-arrays]
tags: [linear-algebra]
quiz: [vec-len, vec-dot]
---
# Vectors

A vector is a list of numbers.
"""

VECTORS_BANK = """\
topic: vectors
title: Vectors
items:
  - id: vec-len
    difficulty: 1
    kind: numeric
    prompt: What is the length of [3, 4]?
    answer: 5
    explanation: sqrt(9 + 16) = 5.
  - id: vec-shape
    difficulty: 2
    kind: choice
    prompt: What is the shape of np.zeros((2, 3))?
    choices: ["(2, 3)", "(3, 2)", "6"]
    answer: "(2, 3)"
    explanation: Rows come first.
  - id: vec-dot
    difficulty: 2
    generator: dot_product
    params: {size: 2}
"""

FILES = {
    "content/roadmap.yaml": ROADMAP,
    "content/stack/01-numpy-arrays.md": NUMPY_LESSON,
    "content/math/01-vectors.md": VECTORS_LESSON,
    "quizzes/vectors.yaml": VECTORS_BANK,
}

NUMPY = "content/stack/01-numpy-arrays.md"
VECTORS = "content/math/01-vectors.md"
BANK = "quizzes/vectors.yaml"
ROADMAP_PATH = "content/roadmap.yaml"


def _dot_product(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    u = rng.integers(params["low"], params["high"], size=params["size"], endpoint=True)
    v = rng.integers(params["low"], params["high"], size=params["size"], endpoint=True)
    return Draft(Kind.NUMERIC, f"{u.tolist()} · {v.tolist()}?", float(u @ v), "Sum of products.")


@pytest.fixture(autouse=True)
def _dot_product_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trees use the real `dot_product`; a stand-in only if the real one is not there."""
    if "dot_product" not in generators.REGISTRY:
        stand_in = Generator(
            "dot_product", "u · v", {"size": 3, "low": -5, "high": 5}, _dot_product
        )
        monkeypatch.setitem(generators.REGISTRY, "dot_product", stand_in)


def plant(root: Path, monkeypatch: pytest.MonkeyPatch, files: Mapping[str, str] = FILES) -> Path:
    """Write a tree of content files and work inside it, so paths print relative."""
    for name, text in files.items():
        write(root, name, text)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal valid tree."""
    return plant(tmp_path, monkeypatch)


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace text that occurs exactly once, so a test cannot break the wrong spot silently."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems(root: Path) -> list[str]:
    code, text = run_check(root / "content", root / "quizzes", as_json=False)
    assert code == 1, text
    return text.splitlines()


def known_generators() -> str:
    return ", ".join(sorted(generators.REGISTRY))


# --- the valid tree -------------------------------------------------------------------------------


def test_valid_tree_loads_in_roadmap_order(tree: Path) -> None:
    curriculum = load_curriculum(tree / "content", tree / "quizzes")
    assert [t.id for t in curriculum.tracks] == ["stack", "math"]
    assert curriculum.track("math").prerequisites == ("stack",)
    assert [lesson.id for lesson in curriculum.lessons_in_order()] == ["numpy-arrays", "vectors"]
    vectors = curriculum.lessons["vectors"]
    assert vectors.quiz == ("vec-len", "vec-dot")
    assert vectors.body == "# Vectors\n\nA vector is a list of numbers."
    assert vectors.path == tree / VECTORS
    assert curriculum.topics["vectors"].item_ids == ("vec-len", "vec-shape", "vec-dot")
    length = curriculum.items["vec-len"]
    assert length.line == 4
    assert length.question is not None and length.question.answer == 5.0
    shape = curriculum.items["vec-shape"].question
    assert shape is not None and shape.kind is Kind.CHOICE
    assert shape.choices == ("(2, 3)", "(3, 2)", "6") and shape.difficulty == 2
    dot = curriculum.items["vec-dot"]
    assert dot.question is None and dot.generator == "dot_product"
    assert dict(dot.params) == {"size": 2}
    assert curriculum.question("vec-dot", 4) == curriculum.question("vec-dot", 4)


def test_success_prints_exactly_the_counts(tree: Path) -> None:
    code, text = run_check(tree / "content", tree / "quizzes", as_json=False)
    assert (code, text) == (0, "2 tracks, 2 lessons, 3 quiz items, 1 generators, 0 exercises")


def test_json_on_success(tree: Path) -> None:
    code, text = run_check(tree / "content", tree / "quizzes", as_json=True)
    assert code == 0
    assert json.loads(text) == {
        "ok": True,
        "problems": [],
        "counts": {"tracks": 2, "lessons": 2, "quiz_items": 3, "generators": 1, "exercises": 0},
    }


def test_json_on_problems(tree: Path) -> None:
    edit(tree, BANK, "difficulty: 1", "difficulty: 7")
    code, text = run_check(tree / "content", tree / "quizzes", as_json=True)
    assert code == 1
    assert json.loads(text) == {
        "ok": False,
        "problems": [
            {"path": BANK, "line": 5, "message": "'difficulty' must be between 1 and 3, got 7"}
        ],
        "counts": {"tracks": 2, "lessons": 2, "quiz_items": 3, "generators": 1, "exercises": 0},
    }


def test_static_kinds_build_their_questions(tree: Path) -> None:
    edit(tree, NUMPY, "quiz: [vec-shape]", "quiz: [vec-shape, py-text, py-output, py-close]")
    write(
        tree,
        "quizzes/python.yaml",
        """\
        topic: python
        title: Python
        items:
          - id: py-text
            difficulty: 1
            kind: text
            prompt: Which keyword defines a function?
            answer: [def, "def keyword"]
            explanation: def starts a function.
            hints: [It has three letters.]
          - id: py-output
            difficulty: 3
            kind: output
            prompt: What does this print?
            code: print(2 + 4)
            answer: "6"
            explanation: 2 + 4 is 6.
          - id: py-close
            difficulty: 2
            kind: numeric
            prompt: One third, to two places?
            answer: 0.33
            tolerance: 0.01
            explanation: 1/3 is about 0.33.
        """,
    )
    curriculum = load_curriculum(tree / "content", tree / "quizzes")
    text = curriculum.question("py-text", 0)
    assert text.answer == ("def", "def keyword") and text.hints == ("It has three letters.",)
    output = curriculum.question("py-output", 0)
    assert (output.kind, output.code, output.answer) == (Kind.OUTPUT, "print(2 + 4)", "6")
    assert curriculum.question("py-close", 0).tolerance == 0.01
    assert list(curriculum.topics) == ["python", "vectors"]


# --- one break, one exact line --------------------------------------------------------------------


def test_yaml_syntax_error_in_a_bank(tree: Path) -> None:
    edit(tree, BANK, "prompt: What is the length of [3, 4]?", "prompt: [unclosed")
    assert problems(tree) == [
        f"{BANK}:8: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 7)"
    ]


def test_yaml_syntax_error_in_front_matter_is_a_line_of_the_markdown_file(tree: Path) -> None:
    edit(tree, VECTORS, "tags: [linear-algebra]", "tags: [linear-algebra")
    assert problems(tree) == [
        f"{VECTORS}:9: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 8)"
    ]


def test_missing_required_key(tree: Path) -> None:
    edit(tree, BANK, "    explanation: sqrt(9 + 16) = 5.\n", "")
    assert problems(tree) == [
        f"{BANK}:4: quiz item 'vec-len' is missing required key 'explanation'"
    ]


def test_unknown_key_is_named(tree: Path) -> None:
    edit(tree, NUMPY, "minutes: 15\n", "minutes: 15\nauthor: me\n")
    assert problems(tree) == [
        f"{NUMPY}:7: unknown key 'author' in lesson 'numpy-arrays' "
        "(allowed: id, track, title, order, minutes, prerequisites, tags, quiz)"
    ]


def test_misspelt_key_gets_a_suggestion(tree: Path) -> None:
    edit(tree, BANK, "    prompt: What is the length", "    promt: What is the length")
    assert problems(tree) == [
        f"{BANK}:4: quiz item 'vec-len' is missing required key 'prompt'",
        f"{BANK}:7: unknown key 'promt' in quiz item 'vec-len' (did you mean 'prompt'?)",
    ]


def test_wrong_type(tree: Path) -> None:
    edit(tree, VECTORS, "order: 1", "order: first")
    assert problems(tree) == [f"{VECTORS}:5: 'order' must be an integer, got 'first'"]


def test_duplicate_key_names_the_first(tree: Path) -> None:
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    answer: 6\n")
    assert problems(tree) == [f"{BANK}:9: duplicate key 'answer' (first at line 8)"]


def test_duplicate_quiz_id_across_two_files(tree: Path) -> None:
    write(
        tree,
        "quizzes/words.yaml",
        """\
        topic: words
        title: Words
        items:
          - id: vec-len
            difficulty: 1
            kind: text
            prompt: Another word for length?
            answer: norm
            explanation: The Euclidean norm.
        """,
    )
    assert problems(tree) == [
        "quizzes/words.yaml:4: duplicate quiz item id 'vec-len' (first at quizzes/vectors.yaml:4)"
    ]


def test_duplicate_lesson_id_across_files(tree: Path) -> None:
    write(tree, "content/math/02-vectors-again.md", VECTORS_LESSON.replace("order: 1", "order: 2"))
    assert problems(tree) == [
        f"content/math/02-vectors-again.md:2: duplicate lesson id 'vectors' (first at {VECTORS}:2)"
    ]


def test_unknown_quiz_reference_in_a_lesson(tree: Path) -> None:
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]", "quiz: [vec-len, vec-dott]")
    assert problems(tree) == [
        f"{VECTORS}:9: unknown quiz item 'vec-dott' (did you mean 'vec-dot'?)"
    ]


def test_unknown_lesson_prerequisite(tree: Path) -> None:
    edit(tree, VECTORS, "prerequisites: [numpy-arrays]", "prerequisites: [numpy-array]")
    assert problems(tree) == [
        f"{VECTORS}:7: unknown prerequisite lesson 'numpy-array' (did you mean 'numpy-arrays'?)"
    ]


def test_unknown_track_prerequisite(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "prerequisites: [stack]", "prerequisites: [stak]")
    assert problems(tree) == [
        f"{ROADMAP_PATH}:11: unknown prerequisite track 'stak' (did you mean 'stack'?)"
    ]


def test_lesson_prerequisite_cycle(tree: Path) -> None:
    edit(tree, NUMPY, "prerequisites: []", "prerequisites: [vectors]")
    assert problems(tree) == [
        f"{NUMPY}:7: prerequisite 'vectors' comes after 'numpy-arrays' in roadmap order",
        f"{NUMPY}:7: prerequisite cycle: numpy-arrays -> vectors -> numpy-arrays",
    ]


def test_lesson_that_requires_itself_is_a_cycle(tree: Path) -> None:
    edit(tree, NUMPY, "prerequisites: []", "prerequisites: [numpy-arrays]")
    assert problems(tree) == [f"{NUMPY}:7: prerequisite cycle: numpy-arrays -> numpy-arrays"]


def test_track_prerequisite_cycle(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "prerequisites: []", "prerequisites: [math]")
    assert problems(tree) == [
        f"{ROADMAP_PATH}:5: prerequisite track 'math' comes after 'stack' in roadmap order",
        f"{ROADMAP_PATH}:11: prerequisite cycle: math -> stack -> math",
    ]


def test_prerequisite_later_in_roadmap_order(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "lessons: [numpy-arrays]", "lessons: [numpy-arrays, pandas]")
    write(
        tree,
        "content/stack/02-pandas.md",
        NUMPY_LESSON.replace("numpy-arrays", "pandas").replace("order: 1", "order: 2"),
    )
    edit(tree, NUMPY, "prerequisites: []", "prerequisites: [pandas]")
    assert problems(tree) == [
        f"{NUMPY}:7: prerequisite 'pandas' comes after 'numpy-arrays' in roadmap order"
    ]


def test_lesson_not_listed_in_the_roadmap(tree: Path) -> None:
    write(
        tree,
        "content/stack/02-pandas.md",
        NUMPY_LESSON.replace("numpy-arrays", "pandas").replace("order: 1", "order: 2"),
    )
    assert problems(tree) == [
        "content/stack/02-pandas.md:2: lesson 'pandas' is not listed in any track of roadmap.yaml"
    ]


def test_roadmap_lists_a_lesson_with_no_file(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "lessons: [vectors]", "lessons: [vectors, matrices]")
    assert problems(tree) == [f"{ROADMAP_PATH}:13: unknown lesson 'matrices' (no such file)"]


def test_lesson_listed_by_two_tracks(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "lessons: [vectors]", "lessons: [vectors, numpy-arrays]")
    assert problems(tree) == [
        f"{ROADMAP_PATH}:13: lesson 'numpy-arrays' is already listed in track 'stack' (line 7)"
    ]


def test_lesson_track_disagrees_with_roadmap(tree: Path) -> None:
    edit(tree, VECTORS, "track: math", "track: stack")
    assert problems(tree) == [
        f"{VECTORS}:3: track 'stack' disagrees with roadmap.yaml, which lists 'vectors' in 'math'"
    ]


def test_lesson_in_the_wrong_folder(tree: Path) -> None:
    (tree / NUMPY).rename(tree / "content/math/01-numpy-arrays.md")
    assert problems(tree) == [
        "content/math/01-numpy-arrays.md:3: a lesson of track 'stack' belongs in content/stack/"
    ]


def test_order_must_match_the_file_number(tree: Path) -> None:
    edit(tree, VECTORS, "order: 1", "order: 2")
    assert problems(tree) == [f"{VECTORS}:5: order 2 does not match the file name's number '01'"]


def test_lesson_orders_must_follow_the_roadmap_listing(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "lessons: [numpy-arrays]", "lessons: [pandas, numpy-arrays]")
    write(
        tree,
        "content/stack/02-pandas.md",
        NUMPY_LESSON.replace("numpy-arrays", "pandas").replace("order: 1", "order: 2"),
    )
    assert problems(tree) == [
        f"{NUMPY}:5: order 1 must be above 2 of 'pandas', which roadmap.yaml lists before it"
    ]


def test_two_tracks_with_one_order(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "order: 2", "order: 1")
    assert problems(tree) == [f"{ROADMAP_PATH}:10: order 1 is also used by track 'stack'"]


def test_track_without_lessons(tree: Path) -> None:
    edit(tree, ROADMAP_PATH, "lessons: [vectors]", "lessons: []")
    (tree / VECTORS).unlink()
    edit(tree, NUMPY, "quiz: [vec-shape]", "quiz: [vec-shape, vec-len, vec-dot]")
    assert problems(tree) == [f"{ROADMAP_PATH}:13: track 'math' has no lessons"]


def test_missing_id_does_not_cascade_into_unknown_references(tree: Path) -> None:
    edit(tree, VECTORS, "id: vectors", "idx: vectors")
    assert problems(tree) == [
        f"{VECTORS}:2: lesson is missing required key 'id'",
        f"{VECTORS}:2: unknown key 'idx' in lesson (did you mean 'id'?)",
    ]


def test_minutes_out_of_range(tree: Path) -> None:
    edit(tree, NUMPY, "minutes: 15", "minutes: 0")
    assert problems(tree) == [f"{NUMPY}:6: 'minutes' must be between 1 and 120, got 0"]


def test_unknown_generator_lists_the_known_ones(tree: Path) -> None:
    edit(tree, BANK, "generator: dot_product", "generator: dot_prod")
    assert problems(tree) == [
        f"{BANK}:19: unknown generator 'dot_prod' (known: {known_generators()})"
    ]


def test_bad_generator_param(tree: Path) -> None:
    edit(tree, BANK, "params: {size: 2}", "params: {size: two}")
    assert problems(tree) == [
        f"{BANK}:20: parameter 'size' of 'dot_product' must be int, got 'two'"
    ]


def test_unknown_generator_param_is_reported_at_its_line(tree: Path) -> None:
    edit(tree, BANK, "params: {size: 2}", "params:\n      size: 2\n      sise: 3")
    takes = ", ".join(sorted(generators.REGISTRY["dot_product"].defaults))
    assert problems(tree) == [
        f"{BANK}:22: generator 'dot_product' has no parameter 'sise' (it takes: {takes})"
    ]


def test_generator_item_cannot_have_static_keys(tree: Path) -> None:
    edit(tree, BANK, "    generator: dot_product\n", "    generator: dot_product\n    prompt: Hi\n")
    assert problems(tree) == [
        f"{BANK}:20: quiz item 'vec-dot' names a generator, so it cannot also have 'prompt'"
    ]


def test_choices_only_on_choice_items(tree: Path) -> None:
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    choices: ['5', '6']\n")
    assert problems(tree) == [f"{BANK}:9: 'choices' is only for choice items, not numeric"]


def test_item_without_kind_or_generator(tree: Path) -> None:
    edit(tree, BANK, "    generator: dot_product\n    params: {size: 2}\n", "")
    assert problems(tree) == [
        f"{BANK}:17: quiz item 'vec-dot' needs either 'kind' (a static item) or 'generator'"
    ]


def test_unknown_kind(tree: Path) -> None:
    edit(tree, BANK, "kind: numeric", "kind: number")
    assert problems(tree) == [
        f"{BANK}:6: 'kind' must be one of choice, numeric, text, output, got 'number'"
    ]


def test_choice_answer_not_among_choices(tree: Path) -> None:
    edit(tree, BANK, 'answer: "(2, 3)"', 'answer: "(2, 4)"')
    assert problems(tree) == [f"{BANK}:15: answer '(2, 4)' is not one of the choices"]


def test_choices_must_be_distinct_strings(tree: Path) -> None:
    edit(tree, BANK, 'choices: ["(2, 3)", "(3, 2)", "6"]', 'choices: ["(2, 3)", "(2, 3)", 6]')
    assert problems(tree) == [
        f"{BANK}:14: choice '(2, 3)' is listed twice (first at line 14)",
        f"{BANK}:14: 'choices' entry 3 must be a string, got 6",
    ]


def test_difficulty_out_of_range(tree: Path) -> None:
    edit(tree, BANK, "difficulty: 1", "difficulty: 7")
    assert problems(tree) == [f"{BANK}:5: 'difficulty' must be between 1 and 3, got 7"]


def test_front_matter_without_closing_line(tree: Path) -> None:
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]\n---\n", "quiz: [vec-len, vec-dot]\n")
    assert problems(tree) == [
        f"{VECTORS}:1: front matter is not closed: add a '---' line after its keys"
    ]


def test_lesson_without_front_matter(tree: Path) -> None:
    write(tree, VECTORS, "# Vectors\n\nNo front matter here.\n")
    assert problems(tree) == [
        f"{VECTORS}:1: a lesson must start with front matter: a '---' line, keys, '---'"
    ]


def test_lesson_without_body(tree: Path) -> None:
    write(tree, VECTORS, VECTORS_LESSON.split("# Vectors")[0])
    assert problems(tree) == [f"{VECTORS}:10: the lesson has no body after its front matter"]


def test_topic_must_match_the_file_name(tree: Path) -> None:
    edit(tree, BANK, "topic: vectors", "topic: vector")
    assert problems(tree) == [f"{BANK}:1: topic 'vector' must equal the file name 'vectors'"]


def test_generator_that_raises_fails_the_check(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
        return Draft(Kind.NUMERIC, "1/0?", 1 / int(params["zero"]), "No.")

    monkeypatch.setitem(
        generators.REGISTRY, "explode", Generator("explode", "", {"zero": 0}, explode)
    )
    edit(tree, BANK, "generator: dot_product\n    params: {size: 2}", "generator: explode")
    assert problems(tree) == [
        f"{BANK}:17: generator 'explode' fails for seed 0: ZeroDivisionError: division by zero"
    ]


def test_generator_with_a_bad_draft_fails_the_check(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sometimes(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
        answer = "c" if rng.integers(0, 2) else "a"
        return Draft(Kind.CHOICE, "Pick one", answer, "Because.", choices=("a", "b"))

    first_bad = next(s for s in range(10) if np.random.default_rng(s).integers(0, 2))
    monkeypatch.setitem(generators.REGISTRY, "sometimes", Generator("sometimes", "", {}, sometimes))
    edit(tree, BANK, "generator: dot_product\n    params: {size: 2}", "generator: sometimes")
    assert problems(tree) == [
        f"{BANK}:17: generator 'sometimes' builds a bad question for seed {first_bad}: "
        "the answer 'c' is not one of the choices ['a', 'b']"
    ]


# --- many problems at once, and nothing half-loaded -----------------------------------------------


def test_all_problems_are_reported_together(tree: Path) -> None:
    edit(tree, BANK, "difficulty: 1", "difficulty: 7")
    edit(tree, NUMPY, "minutes: 15", "minutes: lots")
    edit(tree, ROADMAP_PATH, "summary: Vectors.", "summary: Vectors.\n    colour: blue")
    assert problems(tree) == [
        f"{ROADMAP_PATH}:13: unknown key 'colour' in track 'math' "
        "(allowed: id, title, order, summary, lessons, prerequisites)",
        f"{NUMPY}:6: 'minutes' must be an integer, got 'lots'",
        f"{BANK}:5: 'difficulty' must be between 1 and 3, got 7",
    ]


def test_load_curriculum_raises_content_error_with_every_problem(tree: Path) -> None:
    edit(tree, BANK, "topic: vectors", "topic: vector")
    edit(tree, VECTORS, "order: 1", "order: first")
    with pytest.raises(ContentError) as caught:
        load_curriculum(tree / "content", tree / "quizzes")
    assert [str(p) for p in caught.value.problems] == [
        f"{VECTORS}:5: 'order' must be an integer, got 'first'",
        f"{BANK}:1: topic 'vector' must equal the file name 'vectors'",
    ]
    curriculum, found = check_content(tree / "content", tree / "quizzes")
    assert curriculum is None and found == caught.value.problems


def test_paths_outside_the_working_folder_are_absolute(
    tree: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    edit(tree, BANK, "difficulty: 1", "difficulty: 7")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    _, text = run_check(tree / "content", tree / "quizzes", as_json=False)
    assert text == f"{(tree / BANK).resolve()}:5: 'difficulty' must be between 1 and 3, got 7"


def test_missing_folders_are_problems_not_tracebacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert problems(tmp_path) == [
        "content:1: content folder not found",
        "quizzes:1: quizzes folder not found",
    ]


def test_empty_folders_and_missing_roadmap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "quizzes").mkdir()
    monkeypatch.chdir(tmp_path)
    assert problems(tmp_path) == [
        "content:1: no lesson files: write them as <track>/<nn>-<slug>.md",
        "content/roadmap.yaml:1: roadmap.yaml not found: it lists the tracks and their lessons",
        "quizzes:1: no quiz banks: write them as <topic>.yaml",
    ]


def test_empty_roadmap(tree: Path) -> None:
    write(tree, ROADMAP_PATH, "# nothing yet\n")
    assert problems(tree) == [f"{ROADMAP_PATH}:1: roadmap.yaml is empty"]


# --- the content we ship --------------------------------------------------------------------------


@pytest.mark.skipif(
    not (REPO / "content" / "roadmap.yaml").is_file(), reason="no shipped content yet"
)
def test_shipped_content_checks_clean() -> None:
    report_code, text = run_check(REPO / "content", REPO / "quizzes", as_json=True)
    report = json.loads(text)
    assert report["problems"] == [] and report_code == 0
    counts = report["counts"]
    assert counts["tracks"] >= 4
    assert counts["lessons"] >= 8
    assert counts["quiz_items"] >= 24
    assert counts["generators"] >= 3
