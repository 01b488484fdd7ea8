"""Every registered generator: deterministic, answers recomputed another way, gradable.

Each generator draws its case with a public `draw_*` function before anything else, so a check
can redraw the same case from the same seed and recompute the answer with a different formula
(pure Python, the stdlib, a finite difference, brute-force enumeration, running the code).
The first twelve generators are checked here; each later module's own test file holds the
checks of its generators (`tests/test_generators_<module>.py`), and the sampling test below
runs all of them over 200 seeds.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
import statistics as pystats
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import calculus as calc
from bot.curriculum.generators import linear_algebra as la
from bot.curriculum.generators import statistics as st
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, Question, grade
from tests import (
    test_generators_arrays,
    test_generators_calculus,
    test_generators_deep_learning,
    test_generators_evaluation,
    test_generators_linear_algebra,
    test_generators_production,
    test_generators_statistics,
    test_generators_tables,
)

SEEDS = range(50)
SAMPLE = range(200)  # the sampling test's seeds

Params = Mapping[str, Any]
Check = Callable[[int, Params, Draft], None]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def build(name: str, seed: int, overrides: Params | None = None) -> Draft:
    generator = REGISTRY[name]
    params = {**generator.defaults, **(overrides or {})}
    return generator.build(rng(seed), params)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


# --- independent recomputations, one per generator ---------------------------------------------


def check_dot(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_dot(rng(seed), params)
    assert len(case.u) == len(case.v) == params["size"]
    assert all(params["low"] <= x <= params["high"] for x in case.u + case.v)
    assert draft.answer == sum(a * b for a, b in zip(case.u, case.v, strict=True))
    assert str(list(case.u)) in draft.prompt and str(list(case.v)) in draft.prompt


def check_matvec(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_matvec(rng(seed), params)
    matrix = np.array(case.matrix)
    assert matrix.shape == (params["rows"], params["cols"])
    # A @ x as a weighted sum of A's columns, not row-by-row dot products.
    combination = sum(weight * matrix[:, j] for j, weight in enumerate(case.x))
    assert draft.answer == combination[case.row]
    assert draft.answer == sum(a * b for a, b in zip(case.matrix[case.row], case.x, strict=True))


def check_det(seed: int, params: Params, draft: Draft) -> None:
    (a, b), (c, d) = la.draw_det(rng(seed), params).matrix
    assert draft.answer == a * d - b * c


def check_matmul(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_matmul(rng(seed), params)
    (m, n), (p, q) = case.left, case.right
    expected = f"an array of shape {(m, q)}" if n == p else la.SHAPE_ERROR
    assert draft.answer == expected
    assert len(draft.choices) == 4


def check_axis(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_axis(rng(seed), params)
    assert draft.code == la.axis_code(case)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(draft.code, "<generated>", "exec"), {})
    assert printed.getvalue().rstrip("\n") == draft.answer
    rows = [list(case.values[i * case.cols : (i + 1) * case.cols]) for i in range(case.rows)]
    lines = rows if case.axis == 1 else [list(column) for column in zip(*rows, strict=True)]
    reduce = {"sum": sum, "max": max, "min": min}[case.op]
    assert draft.answer == str([reduce(line) for line in lines])


def check_poly(seed: int, params: Params, draft: Draft) -> None:
    case = calc.draw_poly(rng(seed), params)
    assert len(case.coefficients) == params["degree"] + 1 and case.coefficients[-1] != 0
    highest_first = list(reversed(case.coefficients))
    h = 1e-4
    slope = (np.polyval(highest_first, case.x + h) - np.polyval(highest_first, case.x - h)) / (
        2 * h
    )
    assert math.isclose(float(draft.answer), float(slope), abs_tol=1e-5)


def check_chain(seed: int, params: Params, draft: Draft) -> None:
    case = calc.draw_chain(rng(seed), params)
    assert case.a != 0 and 2 <= case.power <= params["max_power"]
    expected = case.power * case.a * (case.a * case.x + case.b) ** (case.power - 1)
    assert math.isclose(float(draft.answer), expected, abs_tol=1e-9)


def check_descent(seed: int, params: Params, draft: Draft) -> None:
    case = calc.draw_descent(rng(seed), params)
    step = case.x0 - case.lr * 2 * case.a * (case.x0 - case.b)
    assert math.isclose(float(draft.answer), step, abs_tol=1e-9)
    # The step goes downhill without jumping past the minimum at x = b.
    before, after = case.x0 - case.b, float(draft.answer) - case.b
    assert abs(after) < abs(before)
    assert after == 0 or (after > 0) == (before > 0)
    value = lambda x: case.a * (x - case.b) ** 2  # noqa: E731
    assert value(float(draft.answer)) < value(case.x0)


def check_summary(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_sample(rng(seed), params)
    if params["stat"] != "any":
        assert case.stat == params["stat"]
    compute = {"mean": pystats.mean, "median": pystats.median, "std": pystats.stdev}
    expected = float(compute[case.stat](case.values))
    assert math.isclose(float(draft.answer), expected, abs_tol=1e-4)


def check_bayes(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_bayes(rng(seed), params)
    prevalence = Fraction(str(case.prevalence))
    caught = prevalence * Fraction(str(case.sensitivity))
    false_alarms = (1 - prevalence) * Fraction(str(case.false_positive_rate))
    exact = caught / (caught + false_alarms)
    assert abs(float(draft.answer) - float(exact)) <= 5.1e-5
    assert 0 < float(draft.answer) < 1


def check_binomial(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_binomial(rng(seed), params)
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=case.trials):
        if sum(outcome) == case.successes:
            total += math.prod(case.p if hit else 1 - case.p for hit in outcome)
    # Graded relatively (three significant figures), so tiny answers are never drawn.
    assert total >= 0.01 and draft.tolerance == 0 and draft.rel_tolerance > 0
    assert math.isclose(float(draft.answer), total, rel_tol=1e-9)


CHECKS: dict[str, Check] = {
    "dot_product": check_dot,
    "matrix_vector_entry": check_matvec,
    "determinant_2x2": check_det,
    "matmul_shape": check_matmul,
    "numpy_axis_reduce": check_axis,
    "polynomial_derivative": check_poly,
    "chain_rule": check_chain,
    "gradient_descent_step": check_descent,
    "summary_statistic": check_summary,
    "bayes_posterior": check_bayes,
    "binomial_probability": check_binomial,
}

# Defaults for the first generators, plus a few other parameter sets to exercise the bounds (the
# later modules' files hold their own variants).
VARIANTS: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in sorted(CHECKS)] + [
    ("dot_product", {"size": 5, "low": -2, "high": 2}),
    ("matrix_vector_entry", {"rows": 3, "cols": 2}),
    ("numpy_axis_reduce", {"rows": 3, "cols": 4, "low": -5, "high": 20}),
    ("polynomial_derivative", {"degree": 1}),
    ("gradient_descent_step", {"a_max": 10}),
    ("summary_statistic", {"stat": "median", "size": 6}),
    ("summary_statistic", {"stat": "std", "size": 3}),
    ("bayes_posterior", {"scenario": "fraud"}),
    ("binomial_probability", {"max_trials": 6}),
]
VARIANT_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


MODULE_CHECKS: tuple[Mapping[str, Check], ...] = tuple(
    module.CHECKS
    for module in (
        test_generators_arrays,
        test_generators_calculus,
        test_generators_deep_learning,
        test_generators_evaluation,
        test_generators_linear_algebra,
        test_generators_production,
        test_generators_statistics,
        test_generators_tables,
    )
)
# A module's own file supersedes the first checks here (statistics grew stricter ones).
ALL_CHECKS: dict[str, Check] = {**CHECKS}
_seen: set[str] = set()
for _checks in MODULE_CHECKS:
    assert not set(_checks) & _seen, "a generator is checked by two module files"
    _seen |= set(_checks)
    ALL_CHECKS.update(_checks)


def test_there_are_enough_generators_and_each_has_a_check() -> None:
    assert len(REGISTRY) >= 30
    assert set(ALL_CHECKS) == set(REGISTRY)  # every generator is recomputed another way
    modules = {g.build.__module__ for g in REGISTRY.values()}
    for module in modules:
        names = {g.name for g in REGISTRY.values() if g.build.__module__ == module}
        assert len(names) >= 2, module


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]|\.\d)")

# Choice answers that are, by the question's nature, one of the things the prompt shows
# ("int8 + float64 gives which dtype?": the answer is one of the two named).
NAMED_IN_PROMPT: dict[str, str] = {
    "dtype_result": "the result is often one of the two dtypes the prompt names",
}


def gives_away(draft: Draft, answer: str) -> bool:
    """Whether the question shows its answer. A computed number that is not whole must not
    appear in the prompt or code at the precision feedback shows it; a whole number may match
    the data by chance (rank 2 of a matrix that holds a 2, the median of a list is one of its
    values), so it is not counted. A choice's right text must not be in the prompt, an output
    question's printed text not in its code."""
    if draft.kind is Kind.NUMERIC:
        if float(draft.answer).is_integer():  # type: ignore[arg-type]
            return False
        text = f"{draft.prompt}\n{draft.code or ''}"
        return any(float(found) == float(answer) for found in _NUMBER.findall(text))
    if draft.kind is Kind.OUTPUT:
        return bool(draft.code) and answer in (draft.code or "")
    return answer in draft.prompt


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_generator_over_200_seeds(name: str) -> None:
    """No exception, a finite answer, a question that does not give its answer away, at least
    50 distinct questions, and the answer recomputed independently, on every seed."""
    params = full(name, {})
    questions: set[str] = set()
    for seed in SAMPLE:
        draft = build(name, seed)
        questions.add(f"{draft.prompt}\n{draft.code or ''}")
        if draft.kind is Kind.NUMERIC:
            assert isinstance(draft.answer, float) and math.isfinite(draft.answer), seed
        answer = _format_answer(draft)
        if name not in NAMED_IN_PROMPT:
            assert not gives_away(draft, answer), (seed, answer, draft.prompt, draft.code)
        ALL_CHECKS[name](seed, params, draft)
    assert len(questions) >= 50, f"{name}: only {len(questions)} distinct questions in 200 seeds"


def _format_answer(draft: Draft) -> str:
    """The answer as feedback shows it (numbers formatted the way members read them)."""
    shown = Question(
        item_id="t", topic="t", kind=draft.kind, prompt="", answer=draft.answer, explanation=""
    )
    return shown.expected_text


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_defaults_are_valid_parameters(name: str) -> None:
    generator = REGISTRY[name]
    assert generator.summary
    assert generator.params_problems(generator.defaults) == []


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_same_seed_gives_the_same_draft(name: str, overrides: dict[str, Any]) -> None:
    for seed in SEEDS:
        assert build(name, seed, overrides) == build(name, seed, overrides)


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: dict[str, Any]) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        ALL_CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_drafts_are_well_formed(name: str, overrides: dict[str, Any]) -> None:
    prompts: set[str] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        prompts.add(draft.prompt)
        assert draft.prompt.strip() and draft.explanation.strip()
        assert draft.tolerance >= 0
        if draft.kind is Kind.NUMERIC:
            assert isinstance(draft.answer, float)
            assert math.isfinite(draft.answer)
        elif draft.kind is Kind.CHOICE:
            assert draft.answer in draft.choices
            assert len(set(draft.choices)) == len(draft.choices) >= 2
        elif draft.kind is Kind.OUTPUT:
            assert draft.code and isinstance(draft.answer, str) and draft.answer
        else:
            assert draft.answer
    assert len(prompts) >= 2, f"{name} asked the same thing for {len(SEEDS)} seeds"


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_grade_accepts_the_expected_text(name: str, overrides: dict[str, Any]) -> None:
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
        assert question.seed == seed and question.item_id == "test-item"
        result = grade(question, question.expected_text)
        assert result.correct, (name, seed, question.expected_text, question.answer)


def test_different_seeds_give_different_answers() -> None:
    for name in REGISTRY:
        answers = {build(name, seed).answer for seed in SEEDS}
        assert len(answers) >= 2, name


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("dot_product", {"low": 3, "high": 3}),
        ("dot_product", {"size": 0}),
        ("determinant_2x2", {"low": 5, "high": -5}),
        ("matmul_shape", {"max_dim": 2}),
        ("polynomial_derivative", {"low": 0, "high": 0}),
        ("gradient_descent_step", {"a_max": 0}),
        ("summary_statistic", {"stat": "mode"}),
        ("bayes_posterior", {"scenario": "weather"}),
        ("binomial_probability", {"max_trials": 1}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
