"""Quiz items: one model per kind (a tagged union), and no item that no lesson teaches.

Each test breaks one thing in the valid tree of `test_content_check` and compares the whole
output of `content check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.curriculum import generators
from bot.curriculum.generators import Draft, Generator
from bot.curriculum.loader import load_curriculum
from bot.curriculum.schema import ChoiceItem, GeneratorItem, NumericItem, OutputItem, TextItem
from bot.domain.quiz import Kind
from tests.test_content_check import BANK, NUMPY, VECTORS, edit, plant, problems

EXTRA_ITEM = """\
  - id: vec-norm
    difficulty: 1
    kind: text
    prompt: What is another word for a vector's length?
    answer: norm
    explanation: The Euclidean norm is the length.
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The valid tree of `test_content_check`, with the working folder inside it."""
    return plant(tmp_path, monkeypatch)


def add_item(root: Path, text: str = EXTRA_ITEM) -> None:
    path = root / BANK
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# --- each kind names its own keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "allowed"),
    [
        (ChoiceItem, "id, difficulty, kind, prompt, answer, explanation, choices, hints, code"),
        (NumericItem, "id, difficulty, kind, prompt, answer, explanation, hints, code, tolerance"),
        (TextItem, "id, difficulty, kind, prompt, answer, explanation, hints, code"),
        (OutputItem, "id, difficulty, kind, prompt, answer, explanation, code, hints"),
        (GeneratorItem, "id, difficulty, generator, params"),
    ],
)
def test_each_kind_allows_its_own_keys(model: type[Any], allowed: str) -> None:
    assert ", ".join(model.allowed_keys()) == allowed


def test_unknown_key_in_a_choice_item_lists_the_choice_items_keys(tree: Path) -> None:
    edit(tree, BANK, '    answer: "(2, 3)"\n', '    answer: "(2, 3)"\n    image: shape.png\n')
    assert problems(tree) == [
        f"{BANK}:16: unknown key 'image' in quiz item 'vec-shape' (allowed: id, difficulty, "
        "kind, prompt, answer, explanation, choices, hints, code)"
    ]


def test_unknown_key_in_a_numeric_item_lists_the_numeric_items_keys(tree: Path) -> None:
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    image: arrow.png\n")
    assert problems(tree) == [
        f"{BANK}:9: unknown key 'image' in quiz item 'vec-len' (allowed: id, difficulty, "
        "kind, prompt, answer, explanation, hints, code, tolerance)"
    ]


def test_unknown_key_in_a_generator_item_lists_the_generator_keys(tree: Path) -> None:
    edit(tree, BANK, "    params: {size: 2}\n", "    params: {size: 2}\n    seed: 4\n")
    assert problems(tree) == [
        f"{BANK}:21: unknown key 'seed' in quiz item 'vec-dot' "
        "(allowed: id, difficulty, generator, params)"
    ]


def test_a_key_of_another_kind_says_whose_it_is(tree: Path) -> None:
    edit(tree, BANK, '    answer: "(2, 3)"\n', '    answer: "(2, 3)"\n    tolerance: 0.1\n')
    assert problems(tree) == [f"{BANK}:16: 'tolerance' is only for numeric items, not choice"]


def test_generator_params_on_a_static_item(tree: Path) -> None:
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    params: {size: 2}\n")
    assert problems(tree) == [
        f"{BANK}:9: 'params' belongs to generator items; quiz item 'vec-len' has a 'kind'"
    ]


def test_an_output_item_needs_its_code(tree: Path) -> None:
    edit(tree, BANK, "kind: numeric", "kind: output")
    edit(tree, BANK, "    answer: 5\n", '    answer: "5"\n')
    assert problems(tree) == [f"{BANK}:4: quiz item 'vec-len' is missing required key 'code'"]


def test_an_output_answer_is_a_quoted_string(tree: Path) -> None:
    edit(tree, BANK, "kind: numeric", "kind: output")
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    code: print(5)\n")
    assert problems(tree) == [f"{BANK}:8: 'answer' must be a string (quote it), got 5"]


def test_a_text_answer_lists_strings(tree: Path) -> None:
    add_item(tree, EXTRA_ITEM.replace("answer: norm", "answer: [norm, 2]"))
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]", "quiz: [vec-len, vec-dot, vec-norm]")
    assert problems(tree) == [f"{BANK}:25: 'answer' entry 2 must be a string, got 2"]


def test_an_unknown_kind_still_reports_the_rest_of_the_item(tree: Path) -> None:
    edit(tree, BANK, "kind: numeric", "kind: number")
    edit(tree, BANK, "difficulty: 1", "difficulty: 9")
    assert problems(tree) == [
        f"{BANK}:5: 'difficulty' must be between 1 and 3, got 9",
        f"{BANK}:6: 'kind' must be one of choice, numeric, text, output, got 'number'",
    ]


def test_an_item_that_is_not_a_mapping(tree: Path) -> None:
    add_item(tree, "  - vec-norm\n")
    assert problems(tree) == [f"{BANK}:21: a quiz item must be a mapping of keys, got 'vec-norm'"]


def test_a_broken_item_does_not_stop_the_generators_of_its_bank_being_sampled(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
        return Draft(Kind.NUMERIC, "1/0?", 1 / int(params["zero"]), "No.")

    monkeypatch.setitem(
        generators.REGISTRY, "explode", Generator("explode", "", {"zero": 0}, explode)
    )
    edit(tree, BANK, "generator: dot_product\n    params: {size: 2}", "generator: explode")
    edit(tree, BANK, "difficulty: 1", "difficulty: 7")
    assert problems(tree) == [
        f"{BANK}:5: 'difficulty' must be between 1 and 3, got 7",
        f"{BANK}:17: generator 'explode' fails for seed 0: ZeroDivisionError: division by zero",
    ]


# --- no quiz item tests what no lesson teaches ----------------------------------------------------


def test_an_item_no_lesson_lists_is_reported_at_its_line(tree: Path) -> None:
    add_item(tree)
    assert problems(tree) == [f"{BANK}:21: quiz item 'vec-norm' is not listed in any lesson's quiz"]


def test_an_item_listed_by_a_lesson_loads(tree: Path) -> None:
    add_item(tree)
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]", "quiz: [vec-len, vec-dot, vec-norm]")
    curriculum = load_curriculum(tree / "content", tree / "quizzes")
    assert curriculum.topics["vectors"].item_ids == ("vec-len", "vec-shape", "vec-dot", "vec-norm")


def test_every_unlisted_item_is_reported(tree: Path) -> None:
    edit(tree, NUMPY, "quiz: [vec-shape]", "quiz: []")
    add_item(tree)
    assert problems(tree) == [
        f"{BANK}:10: quiz item 'vec-shape' is not listed in any lesson's quiz",
        f"{BANK}:21: quiz item 'vec-norm' is not listed in any lesson's quiz",
    ]


def test_an_unreadable_lesson_hides_nothing_it_might_list(tree: Path) -> None:
    """Its quiz list is unknown, so its items are not called untaught: one problem, not four."""
    edit(tree, VECTORS, "tags: [linear-algebra]", "tags: [linear-algebra")
    assert problems(tree) == [
        f"{VECTORS}:9: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 8)"
    ]


def test_a_broken_quiz_list_hides_nothing_it_might_list(tree: Path) -> None:
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]", "quiz: vec-len")
    assert problems(tree) == [f"{VECTORS}:9: 'quiz' must be a list of strings, got 'vec-len'"]


def test_a_misspelt_reference_is_not_also_an_untaught_item(tree: Path) -> None:
    edit(tree, VECTORS, "quiz: [vec-len, vec-dot]", "quiz: [vec-len, vec-dott]")
    assert problems(tree) == [
        f"{VECTORS}:9: unknown quiz item 'vec-dott' (did you mean 'vec-dot'?)"
    ]
