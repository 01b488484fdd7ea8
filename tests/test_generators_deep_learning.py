"""The deep-learning generators: deterministic, gradable, answers recomputed another way.

Each generator draws its case with a public `draw_*` function before anything else, so these
checks redraw the same case from the same seed and recompute the answer without the generator's
formula: sliding a window over a padded row, building the weight tables, pure-Python exponentials
and scipy's softmax.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import deep_learning as dl
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, grade

SEEDS = range(200)
NAMES = ("conv_output_size", "linear_param_count", "softmax_value", "cross_entropy")

Params = Mapping[str, Any]
NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(\.0+)?(?![\d.])")


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


# --- independent recomputations ----------------------------------------------------------------


def check_conv(seed: int, params: Params, draft: Draft) -> None:
    case = dl.draw_conv(rng(seed), params)
    n = case.height if case.ask == "height" else case.width
    # Slide a window of width k over the zero-padded row, one stride at a time, and count.
    row = [0] * case.padding + [1] * n + [0] * case.padding
    starts = [i for i in range(0, len(row), case.stride) if i + case.kernel <= len(row)]
    assert float(draft.answer) == len(starts) >= 1
    assert case.padding <= case.kernel // 2 and case.stride <= params["max_stride"]
    assert params["size_low"] <= n <= params["size_high"]
    assert f"{case.ask}**" in draft.prompt and dl.conv_call(case) in draft.prompt


def check_dense(seed: int, params: Params, draft: Draft) -> None:
    case = dl.draw_dense(rng(seed), params)
    # Build the weight and bias tables a framework would allocate, and count their entries.
    total = 0
    for fan_in, fan_out in itertools.pairwise(case.sizes):
        weights = [[0.0] * fan_in for _ in range(fan_out)]
        total += sum(len(row) for row in weights)
        if case.bias:
            total += len([0.0] * fan_out)
    assert float(draft.answer) == total
    if params["mode"] == "layer":
        assert len(case.sizes) == 2
    if params["mode"] == "mlp":
        assert 3 <= len(case.sizes) <= params["max_layers"] + 1 and case.bias
    assert dl.dense_code(case) in draft.prompt


def check_softmax(seed: int, params: Params, draft: Draft) -> None:
    case = dl.draw_softmax(rng(seed), params)
    z = [t / 10 for t in case.tenths]
    top = max(z)
    weights = [math.exp(v - top) for v in z]
    expected = weights[case.index] / math.fsum(weights)
    assert math.isclose(float(draft.answer), expected, abs_tol=1e-6)
    assert math.isclose(float(softmax(np.array(z))[case.index]), expected, abs_tol=1e-9)
    assert 0 < float(draft.answer) < 1
    if params["shift"]:
        assert min(z) > 710  # large enough that a naive np.exp overflows float64
        with np.errstate(over="ignore", invalid="ignore"):
            naive = np.exp(np.array(z))
            assert not np.isfinite((naive / naive.sum())[case.index])


def check_cross_entropy(seed: int, params: Params, draft: Draft) -> None:
    case = dl.draw_cross_entropy(rng(seed), params)
    if params["mode"] != "any":
        assert case.mode == params["mode"]
    if case.mode == "probs":
        probabilities = [Fraction(v, 20) for v in case.values]
        assert sum(probabilities) == 1 and all(p > 0 for p in probabilities)
        expected = -math.log(probabilities[case.label])
    else:
        z = np.array(case.values) / 10
        expected = -float(log_softmax(z)[case.label])
        direct = -math.log(math.exp(z[case.label]) / sum(math.exp(v) for v in z))
        assert math.isclose(expected, direct, abs_tol=1e-9)
    assert math.isclose(float(draft.answer), expected, abs_tol=1e-6)
    assert float(draft.answer) > 0


CHECKS: dict[str, Callable[[int, Params, Draft], None]] = {
    "conv_output_size": check_conv,
    "linear_param_count": check_dense,
    "softmax_value": check_softmax,
    "cross_entropy": check_cross_entropy,
}

# The defaults, plus every parameter set the deep-learning bank uses.
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    *((name, {}) for name in NAMES),
    ("conv_output_size", {"max_stride": 1, "max_padding": 0}),
    ("conv_output_size", {"size_low": 7, "size_high": 32, "max_stride": 3, "max_padding": 3}),
    ("linear_param_count", {"mode": "layer"}),
    ("linear_param_count", {"mode": "mlp", "max_layers": 3}),
    ("softmax_value", {"max_size": 3}),
    ("softmax_value", {"shift": 1}),
    ("cross_entropy", {"mode": "probs"}),
    ("cross_entropy", {"mode": "logits", "max_classes": 3}),
]
VARIANT_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


def hidden(answer_text: str, prompt: str) -> bool:
    """The answer's text is not in the prompt (whole numbers compared as whole tokens)."""
    if re.fullmatch(r"\d+", answer_text):
        return re.search(rf"(?<![\d.]){answer_text}(?![\d.])", prompt) is None
    return answer_text not in prompt


def test_the_module_registers_its_generators() -> None:
    for name in NAMES:
        generator = REGISTRY[name]
        assert generator.build.__module__ == dl.__name__
        assert generator.summary
        assert generator.params_problems(generator.defaults) == []


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
        assert draft == build(name, seed, overrides)  # same seed, same question
        prompts.add(draft.prompt)
        assert draft.kind is Kind.NUMERIC
        assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
        assert draft.prompt.strip() and draft.explanation.strip()
        assert draft.tolerance >= 0
        for text in (draft.prompt, draft.explanation):
            assert NEGATIVE_ZERO.search(text) is None, text
            assert "+ 0 " not in text and "--" not in text and "^" not in text
    assert len(prompts) >= 50, f"{name} {overrides}: only {len(prompts)} distinct prompts"


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_the_expected_answer_grades_correct_and_is_not_in_the_prompt(
    name: str, overrides: dict[str, Any]
) -> None:
    item = QuizItem(
        id="dl-test-item",
        topic="deep-learning",
        difficulty=2,
        path=Path("quizzes/deep-learning.yaml"),
        line=1,
        generator=name,
        params=overrides,
    )
    for seed in SEEDS:
        question = generate(item, seed)
        assert question.seed == seed
        assert grade(question, question.expected_text).correct, (name, seed)
        assert hidden(question.expected_text, question.prompt), (name, seed, question.prompt)
        if question.tolerance >= 0.001:  # "three decimals": the rounded answer is accepted
            assert grade(question, f"{float(question.answer):.3f}").correct
            assert not grade(question, f"{float(question.answer) + 0.01:.3f}").correct


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("conv_output_size", {"size_low": 30, "size_high": 10}),
        ("conv_output_size", {"max_kernel": 1}),
        ("conv_output_size", {"max_stride": 0}),
        ("linear_param_count", {"mode": "conv"}),
        ("linear_param_count", {"max_layers": 1}),
        ("softmax_value", {"max_size": 1}),
        ("softmax_value", {"shift": 2}),
        ("cross_entropy", {"mode": "hinge"}),
        ("cross_entropy", {"max_classes": 1}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
