"""Exercises (`quizzes/exercises/<track>.yaml`): the schema and its references, at exact lines.

Same method as `test_content_check`: a small valid tree, one thing broken, the whole output
compared, so a message that drifts to a vaguer line or drags a cascade along fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.curriculum.check import run_check
from bot.curriculum.loader import load_curriculum
from tests.test_content_check import FILES, edit, plant, problems, write

EXERCISES = "quizzes/exercises/stack.yaml"

STACK_EXERCISES = """\
track: stack
exercises:
  - id: ex-np-standardise
    lesson: numpy-arrays
    difficulty: 2
    title: Standardise a column
    prompt: |
      Write `standardise(x)` that returns (x - mean) / std.
    function: standardise
    starter: |
      import numpy as np


      def standardise(x):
          return x
    solution: |
      import numpy as np


      def standardise(x):
          return (x - x.mean()) / x.std()
    cases:
      - "(np.array([1.0, 2.0, 3.0]),)"
      - "(np.arange(10, dtype=float) ** 2,)"
      - "(np.random.default_rng(3).normal(5, 2, size=50),)"
    tolerance: {rtol: 1.0e-6, atol: 1.0e-9}
    explanation: |
      Subtracting the mean centres the values; dividing by the spread makes it one.
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The valid tree of `test_content_check` with one exercise file beside the banks."""
    return plant(tmp_path, monkeypatch, {**FILES, EXERCISES: STACK_EXERCISES})


def test_valid_exercise_loads(tree: Path) -> None:
    curriculum = load_curriculum(tree / "content", tree / "quizzes")
    exercise = curriculum.exercises["ex-np-standardise"]
    assert (exercise.track, exercise.lesson, exercise.difficulty) == ("stack", "numpy-arrays", 2)
    assert exercise.function == "standardise"
    assert exercise.prompt == "Write `standardise(x)` that returns (x - mean) / std."
    assert exercise.cases[0] == "(np.array([1.0, 2.0, 3.0]),)" and len(exercise.cases) == 3
    assert exercise.starter.endswith("def standardise(x):\n    return x\n")
    assert (exercise.rtol, exercise.atol) == (1e-6, 1e-9)
    assert (exercise.path, exercise.line) == (Path(EXERCISES), 3)
    code, text = run_check(tree / "content", tree / "quizzes", as_json=False)
    assert (code, text) == (0, "2 tracks, 2 lessons, 3 quiz items, 1 generators, 1 exercises")


def test_tolerance_is_optional(tree: Path) -> None:
    edit(tree, EXERCISES, "    tolerance: {rtol: 1.0e-6, atol: 1.0e-9}\n", "")
    exercise = load_curriculum(tree / "content", tree / "quizzes").exercises["ex-np-standardise"]
    assert (exercise.rtol, exercise.atol) == (1e-6, 1e-9)


def test_cases_are_parsed_never_run(tree: Path) -> None:
    edit(tree, EXERCISES, '"(np.array([1.0, 2.0, 3.0]),)"', '"(1 / 0, exit(3))"')
    exercise = load_curriculum(tree / "content", tree / "quizzes").exercises["ex-np-standardise"]
    assert exercise.cases[0] == "(1 / 0, exit(3))"


def test_missing_required_key(tree: Path) -> None:
    edit(tree, EXERCISES, "    function: standardise\n", "")
    assert problems(tree) == [
        f"{EXERCISES}:3: exercise 'ex-np-standardise' is missing required key 'function'"
    ]


def test_unknown_key_says_which_keys_are_allowed(tree: Path) -> None:
    edit(tree, EXERCISES, "    difficulty: 2\n", "    difficulty: 2\n    hint: Use .mean()\n")
    assert problems(tree) == [
        f"{EXERCISES}:6: unknown key 'hint' in exercise 'ex-np-standardise' (allowed: id, "
        "lesson, difficulty, title, prompt, function, starter, solution, cases, explanation, "
        "tolerance)"
    ]


def test_id_needs_the_prefix(tree: Path) -> None:
    edit(tree, EXERCISES, "id: ex-np-standardise", "id: np-standardise")
    assert problems(tree) == [f"{EXERCISES}:3: 'id' must start with 'ex-', got 'np-standardise'"]


def test_duplicate_id_across_two_files(tree: Path) -> None:
    second = STACK_EXERCISES.replace("track: stack", "track: math")
    write(tree, "quizzes/exercises/vectors.yaml", second)
    assert problems(tree) == [
        "quizzes/exercises/vectors.yaml:3: duplicate exercise id 'ex-np-standardise' "
        f"(first at {EXERCISES}:3)"
    ]


def test_unknown_lesson(tree: Path) -> None:
    edit(tree, EXERCISES, "lesson: numpy-arrays", "lesson: numpy-array")
    assert problems(tree) == [
        f"{EXERCISES}:4: unknown lesson 'numpy-array' (did you mean 'numpy-arrays'?)"
    ]


def test_unknown_track(tree: Path) -> None:
    edit(tree, EXERCISES, "track: stack", "track: stak")
    assert problems(tree) == [f"{EXERCISES}:1: unknown track 'stak' (did you mean 'stack'?)"]


def test_difficulty_out_of_range(tree: Path) -> None:
    edit(tree, EXERCISES, "difficulty: 2", "difficulty: 4")
    assert problems(tree) == [f"{EXERCISES}:5: 'difficulty' must be between 1 and 3, got 4"]


def test_function_must_be_an_identifier(tree: Path) -> None:
    edit(tree, EXERCISES, "function: standardise", "function: standard ise")
    assert problems(tree) == [
        f"{EXERCISES}:9: 'function' must be a Python function name, got 'standard ise'"
    ]


def test_function_must_be_defined_at_the_top_of_starter_and_solution(tree: Path) -> None:
    edit(tree, EXERCISES, "function: standardise", "function: scale")
    assert problems(tree) == [
        f"{EXERCISES}:10: 'starter' does not define scale() at its top level",
        f"{EXERCISES}:16: 'solution' does not define scale() at its top level",
    ]


def test_a_nested_def_does_not_count(tree: Path) -> None:
    edit(
        tree,
        EXERCISES,
        "      def standardise(x):\n          return (x - x.mean()) / x.std()\n",
        "      def outer(x):\n          def standardise(x):\n              return x\n"
        "          return standardise(x)\n",
    )
    assert problems(tree) == [
        f"{EXERCISES}:16: 'solution' does not define standardise() at its top level"
    ]


def test_syntax_error_is_reported_at_its_line_in_the_yaml_file(tree: Path) -> None:
    edit(tree, EXERCISES, "return (x - x.mean()) / x.std()", "return (x - x.mean() / x.std()")
    text = (tree / EXERCISES).read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(text, 1) if "return (x - x.mean() / x.std()" in row)
    assert line == 21
    assert problems(tree) == [
        f"{EXERCISES}:21: 'solution' is not valid Python: '(' was never closed"
    ]


def test_syntax_error_in_a_one_line_source_is_at_its_key(tree: Path) -> None:
    starter = (
        "    starter: |\n      import numpy as np\n\n\n      def standardise(x):\n"
        "          return x\n"
    )
    edit(tree, EXERCISES, starter, '    starter: "def standardise(x) return x"\n')
    assert problems(tree) == [f"{EXERCISES}:10: 'starter' is not valid Python: expected ':'"]


def test_three_to_six_cases(tree: Path) -> None:
    edit(tree, EXERCISES, '      - "(np.arange(10, dtype=float) ** 2,)"\n', "")
    assert problems(tree) == [f"{EXERCISES}:23: an exercise needs 3 to 6 cases, got 2"]


def test_each_case_is_a_python_expression(tree: Path) -> None:
    edit(tree, EXERCISES, '"(np.arange(10, dtype=float) ** 2,)"', '"x = np.arange(10)"')
    edit(tree, EXERCISES, '"(np.array([1.0, 2.0, 3.0]),)"', "7")
    assert problems(tree) == [
        f"{EXERCISES}:23: 'cases' entry 1 must be a string, got 7",
        f"{EXERCISES}:24: 'cases' entry 2 is not a Python expression: invalid syntax",
    ]


def test_tolerance_keys_and_signs(tree: Path) -> None:
    edit(tree, EXERCISES, "{rtol: 1.0e-6, atol: 1.0e-9}", "{rtol: -1.0e-6, eps: 1.0e-9}")
    assert problems(tree) == [
        f"{EXERCISES}:26: 'rtol' must be 0 or more, got -1e-06",
        f"{EXERCISES}:26: unknown key 'eps' in tolerance (allowed: rtol, atol)",
    ]


def test_an_entry_that_is_not_a_mapping(tree: Path) -> None:
    write(tree, EXERCISES, STACK_EXERCISES + "  - ex-another\n")
    assert problems(tree) == [
        f"{EXERCISES}:29: an exercise must be a mapping of keys, got 'ex-another'"
    ]


def test_file_needs_a_track_and_a_list(tree: Path) -> None:
    write(tree, EXERCISES, "exercises: ex-np-standardise\n")
    assert problems(tree) == [
        f"{EXERCISES}:1: exercise file is missing required key 'track'",
        f"{EXERCISES}:1: 'exercises' must be a list of exercises, got 'ex-np-standardise'",
    ]


def test_yaml_syntax_error_in_an_exercise_file(tree: Path) -> None:
    edit(tree, EXERCISES, "    title: Standardise a column", "    title: [Standardise")
    assert problems(tree) == [
        f"{EXERCISES}:7: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 6)"
    ]


def test_yml_files_are_named_not_skipped(tree: Path) -> None:
    (tree / EXERCISES).rename(tree / "quizzes/exercises/stack.yml")
    assert problems(tree) == [
        "quizzes/exercises/stack.yml:1: exercise files end in .yaml; rename this file"
    ]


def test_every_problem_of_an_exercise_at_once(tree: Path) -> None:
    edit(tree, EXERCISES, "lesson: numpy-arrays", "lesson: numpy-array")
    edit(tree, EXERCISES, "id: ex-np-standardise", "id: np-standardise")
    edit(tree, EXERCISES, "difficulty: 2", "difficulty: 0")
    assert problems(tree) == [
        f"{EXERCISES}:3: 'id' must start with 'ex-', got 'np-standardise'",
        f"{EXERCISES}:4: unknown lesson 'numpy-array' (did you mean 'numpy-arrays'?)",
        f"{EXERCISES}:5: 'difficulty' must be between 1 and 3, got 0",
    ]
