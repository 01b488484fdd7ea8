"""The evaluation generators: deterministic, varied, gradable, and right by a second route.

Each generator draws its case with a public `draw_*` function, so these checks redraw the case
from the same seed and recompute the answer without scikit-learn: counting pairs in pure Python,
splitting with `np.array_split`, a majority vote with `collections.Counter`, and the Wilson
formula written out with the standard library's normal distribution.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import evaluation as ev
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, grade

SEEDS = range(200)
NAMES = ("precision_recall", "kfold_sizes", "confusion_count", "accuracy_vs_baseline",
         "wilson_interval")  # fmt: skip

Params = Mapping[str, Any]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


# --- independent recomputations ---------------------------------------------------------------


def check_precision_recall(seed: int, params: Params, draft: Draft) -> None:
    case = ev.draw_labels(rng(seed), params)
    assert len(case.y_true) == len(case.y_pred) == params["size"]
    if params["metric"] != "any":
        assert case.metric == params["metric"]
    pairs = list(zip(case.y_true, case.y_pred, strict=True))
    tp = pairs.count((1, 1))
    fp = pairs.count((0, 1))
    fn = pairs.count((1, 0))
    precision = Fraction(tp, tp + fp) if tp + fp else Fraction(0)
    recall = Fraction(tp, tp + fn) if tp + fn else Fraction(0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else Fraction(0)
    exact = {"precision": precision, "recall": recall, "f1": f1}[case.metric]
    assert 0 < exact < 1
    assert abs(float(draft.answer) - float(exact)) <= 5.1e-5
    assert str(list(case.y_true)) in draft.prompt and str(list(case.y_pred)) in draft.prompt


def check_kfold(seed: int, params: Params, draft: Draft) -> None:
    case = ev.draw_folds(rng(seed), params)
    assert params["min_rows"] <= case.rows <= params["max_rows"]
    assert 3 <= case.splits <= params["max_splits"] and 0 <= case.fold < case.splits
    # np.array_split also gives the leftover rows to the first pieces, one each.
    pieces = np.array_split(np.arange(case.rows), case.splits)
    test = len(pieces[case.fold])
    by_formula = case.rows // case.splits + (case.fold < case.rows % case.splits)
    assert test == by_formula
    expected = test if case.part == "test" else case.rows - test
    assert draft.answer == expected
    assert f"n_splits={case.splits}" in draft.prompt and f"{case.rows} rows" in draft.prompt


def check_confusion(seed: int, params: Params, draft: Draft) -> None:
    case = ev.draw_confusion(rng(seed), params)
    assert len(set(case.y_true)) == params["classes"]
    pairs = Counter(zip(case.y_true, case.y_pred, strict=True))
    expected = pairs[(case.true_label, case.predicted_label)]
    assert draft.answer == expected
    assert 1 <= expected < len(case.y_true)
    if params["classes"] == 2:
        cell = ev.binary_cell(case)
        spam_true, spam_pred = case.true_label == "spam", case.predicted_label == "spam"
        named = {
            (True, True): "true positives",
            (False, True): "false positives",
            (True, False): "false negatives",
            (False, False): "true negatives",
        }[(spam_true, spam_pred)]
        assert cell == named and f"**{named}**" in draft.prompt
    else:
        assert f"'{case.true_label}'" in draft.prompt
        assert f"'{case.predicted_label}'" in draft.prompt


def check_baseline(seed: int, params: Params, draft: Draft) -> None:
    case = ev.draw_baseline(rng(seed), params)
    train = ["genuine"] * case.train_negatives + ["fraud"] * case.train_positives
    test = ["genuine"] * case.test_negatives + ["fraud"] * case.test_positives
    assert len(test) == params["test_rows"] and len(train) == 4 * params["test_rows"]
    majority = Counter(train).most_common(1)[0][0]
    baseline = Fraction(sum(label == majority for label in test), len(test))
    model = Fraction(case.correct, len(test))
    expected = baseline if case.ask == "baseline" else model - baseline
    assert abs(float(draft.answer) - float(expected)) <= 5.1e-5


def check_wilson(seed: int, params: Params, draft: Draft) -> None:
    case = ev.draw_wilson(rng(seed), params)
    n, p = case.rows, case.correct / case.rows
    z = NormalDist().inv_cdf(0.975)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    expected = centre - half if case.bound == "lower" else centre + half
    assert abs(float(draft.answer) - expected) <= 5.1e-5
    assert 0 < expected < 1 and (centre - half) < p < (centre + half)


CHECKS: dict[str, Callable[[int, Params, Draft], None]] = {
    "precision_recall": check_precision_recall,
    "kfold_sizes": check_kfold,
    "confusion_count": check_confusion,
    "accuracy_vs_baseline": check_baseline,
    "wilson_interval": check_wilson,
}

# Defaults, plus the parameter sets the quiz bank uses.
VARIANTS: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in NAMES] + [
    ("precision_recall", {"metric": "precision"}),
    ("precision_recall", {"metric": "recall", "size": 12}),
    ("precision_recall", {"metric": "f1", "size": 12}),
    ("kfold_sizes", {"part": "test"}),
    ("kfold_sizes", {"part": "train", "max_splits": 5}),
    ("confusion_count", {"classes": 2, "size": 10}),
    ("confusion_count", {"classes": 3, "size": 12}),
    ("accuracy_vs_baseline", {"ask": "baseline"}),
    ("accuracy_vs_baseline", {"ask": "margin", "test_rows": 300}),
    ("wilson_interval", {"bound": "lower"}),
    ("wilson_interval", {"bound": "upper"}),
]
VARIANT_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


def _mentions(prompt: str, text: str) -> bool:
    """Whether `text` occurs in the prompt as a whole number, not inside a longer one."""
    return re.search(rf"(?<![\d.]){re.escape(text)}(?![\d]|\.\d)", prompt) is not None


def test_the_module_registers_its_generators() -> None:
    mine = {g.name for g in REGISTRY.values() if g.build.__module__ == ev.__name__}
    assert mine == set(NAMES) == set(CHECKS)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_valid_parameters(name: str) -> None:
    generator = REGISTRY[name]
    assert generator.summary
    assert generator.params_problems(generator.defaults) == []


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_same_seed_gives_the_same_draft(name: str, overrides: dict[str, Any]) -> None:
    for seed in range(40):
        assert build(name, seed, overrides) == build(name, seed, overrides)


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: dict[str, Any]) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_drafts_are_well_formed_and_varied(name: str, overrides: dict[str, Any]) -> None:
    prompts: set[str] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        prompts.add(draft.prompt)
        assert draft.kind is Kind.NUMERIC
        assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
        assert draft.prompt.strip() and draft.explanation.strip()
        assert draft.tolerance > 0 and draft.rel_tolerance == 0
        value = float(draft.answer)
        shown = {f"{value:.3f}", f"{value:.2f}".rstrip("0").rstrip(".")}
        if value.is_integer():
            shown = {str(int(value))}
        for text in shown:
            assert not _mentions(draft.prompt, text), (name, seed, text, draft.prompt)
        for bad in ("+ 0", "- 0 ", "--", "-0.000", "−0.000", " 1 false negatives"):
            assert bad not in draft.prompt + draft.explanation, (name, seed, bad)
    assert len(prompts) >= 50, f"{name} {overrides}: only {len(prompts)} distinct prompts"


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_grade_accepts_the_answer_as_asked(name: str, overrides: dict[str, Any]) -> None:
    item = QuizItem(
        id="test-item",
        topic="test",
        difficulty=2,
        path=Path("quizzes/test.yaml"),
        line=1,
        generator=name,
        params=overrides,
    )
    for seed in SEEDS:
        question = generate(item, seed)
        assert grade(question, question.expected_text).correct
        value = float(question.answer)  # type: ignore[arg-type]
        # The prompts ask for three decimals (or a whole number): that rounding must pass,
        # and an answer one step off in the second decimal must not.
        assert grade(question, f"{value:.3f}").correct, (name, seed, value)
        assert not grade(question, f"{value + 0.01:.3f}").correct


def test_different_seeds_give_different_answers() -> None:
    for name in NAMES:
        answers = {build(name, seed, {}).answer for seed in SEEDS}
        assert len(answers) >= 5, name


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("precision_recall", {"metric": "accuracy"}),
        ("precision_recall", {"size": 3}),
        ("kfold_sizes", {"max_splits": 2}),
        ("kfold_sizes", {"max_splits": 11}),
        ("kfold_sizes", {"min_rows": 50, "max_rows": 40}),
        ("kfold_sizes", {"part": "validation"}),
        ("confusion_count", {"classes": 4}),
        ("confusion_count", {"size": 2}),
        ("accuracy_vs_baseline", {"test_rows": 15}),
        ("accuracy_vs_baseline", {"ask": "recall"}),
        ("wilson_interval", {"bound": "middle"}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
