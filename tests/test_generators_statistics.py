"""The statistics generators added for the probability track, and the binomial fix.

Each generator draws its case with a public `draw_*` function, so these checks redraw the case
from the same seed and recompute the answer by another route: exact fractions and the standard
library's `statistics` module for variances and z-scores, `statistics.NormalDist` and `math.erfc`
for normal tail areas, `scipy.stats.t.interval` for t intervals, and brute-force enumeration of
outcomes for binomial probabilities and exact binomial tests.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics as pystats
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from scipy import stats

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import statistics as st
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, Question, grade

SEEDS = range(200)
NAMES = ("sample_variance", "z_score", "normal_probability", "confidence_interval", "p_value")

Params = Mapping[str, Any]
Check = Callable[[int, Params, Draft], None]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


def question(name: str, seed: int, overrides: Params) -> Question:
    item = QuizItem(
        id="test-item",
        topic="test",
        difficulty=2,
        path=Path("quizzes/test.yaml"),
        line=1,
        generator=name,
        params=overrides,
    )
    return generate(item, seed)


# --- independent recomputations ---------------------------------------------------------------


def check_variance(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_variance(rng(seed), params)
    assert len(case.values) == params["size"]
    assert all(params["low"] <= v <= params["high"] for v in case.values)
    if params["which"] != "any":
        assert case.which == params["which"]
    exact = (pystats.variance if case.which == "sample" else pystats.pvariance)(
        [Fraction(v) for v in case.values]
    )
    assert exact > 0
    assert math.isclose(float(draft.answer), float(exact), abs_tol=1e-6)
    assert str(list(case.values)) in draft.prompt
    assert ("n − 1" if case.which == "sample" else "whole population") in draft.prompt


def check_z(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_z(rng(seed), params)
    if params["ask"] != "any":
        assert case.ask == params["ask"]
    if case.ask == "z":
        exact = Fraction(case.x - case.mean, case.sd)
        assert exact != 0 and abs(exact) <= 3
        assert f"is {case.x} " in draft.prompt and "z-score" in draft.prompt
    else:
        exact = case.mean + Fraction(str(case.z)) * case.sd
        assert case.z != 0 and f"{abs(case.z):g}" in draft.prompt
    assert math.isclose(float(draft.answer), float(exact), abs_tol=1e-6)


def check_normal(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_normal(rng(seed), params)
    if params["tail"] != "any":
        assert case.tail == params["tail"]
    dist = NormalDist(case.mean, case.sd)
    exact = {
        "above": 1 - dist.cdf(case.low),
        "below": dist.cdf(case.low),
        "between": dist.cdf(case.high) - dist.cdf(case.low),
    }[case.tail]
    assert (case.low < case.high) == (case.tail == "between")
    assert 0.005 < exact < 0.995
    assert math.isclose(float(draft.answer), exact, abs_tol=1e-6)
    assert f"mean {case.mean} " in draft.prompt and f"deviation {case.sd} " in draft.prompt


def check_interval(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_interval(rng(seed), params)
    for key, value in (("method", case.method), ("bound", case.bound)):
        if params[key] != "any":
            assert value == params[key]
    scale = case.sd / math.sqrt(case.n)
    if case.method == "normal":
        assert case.n >= 30 and "1.96" in draft.prompt
        low, high = case.mean - 1.96 * scale, case.mean + 1.96 * scale
    else:
        assert case.n < 30 and "t.ppf(0.975, df=n - 1)" in draft.prompt
        low, high = stats.t.interval(0.95, df=case.n - 1, loc=case.mean, scale=scale)
    exact = low if case.bound == "lower" else high
    assert math.isclose(float(draft.answer), float(exact), abs_tol=1e-6)
    assert f"**{case.bound} bound**" in draft.prompt


def _exact_binomtest(k: int, n: int, p0: float) -> float:
    """Two-sided exact test by enumeration: add every count no more likely than the one seen."""
    p = Fraction(str(p0))
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    cutoff = pmf[k] * Fraction(1 + 10**-7)  # scipy's allowance for rounding ties
    return float(sum(value for value in pmf if value <= cutoff))


def check_p_value(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_p_value(rng(seed), params)
    if params["test"] != "any":
        assert case.test == params["test"]
    if case.test == "z":
        exact = math.erfc(abs(case.z) / math.sqrt(2))  # 2 * P(Z > |z|)
        assert 0.2 <= abs(case.z) <= 3.2
    else:
        exact = _exact_binomtest(case.k, case.n, case.p0)
        assert f"{case.n} times" in draft.prompt or f"On {case.n} " in draft.prompt
    assert exact >= 0.001 and round(exact, 3) != 0.05
    assert math.isclose(float(draft.answer), exact, abs_tol=1e-6)


def check_binomial(seed: int, params: Params, draft: Draft) -> None:
    case = st.draw_binomial(rng(seed), params)
    total = Fraction(0)
    p = Fraction(str(case.p))
    for outcome in itertools.product((0, 1), repeat=case.trials):
        if sum(outcome) == case.successes:
            total += math.prod((p if hit else 1 - p for hit in outcome), start=Fraction(1))
    assert total >= Fraction(1, 100)  # the audit: no answers like 0.0016 that 0 would pass
    assert math.isclose(float(draft.answer), float(total), rel_tol=1e-9)


CHECKS: dict[str, Check] = {
    "sample_variance": check_variance,
    "z_score": check_z,
    "normal_probability": check_normal,
    "confidence_interval": check_interval,
    "p_value": check_p_value,
    "binomial_probability": check_binomial,
}

# What each prompt asks for, as a format for the answer rounded the way a member would type it.
ASKED: dict[str, Callable[[Draft], str]] = {
    "sample_variance": lambda d: f"{float(d.answer):.2f}",
    "z_score": lambda d: (
        f"{float(d.answer):.2f}" if "z-score**?" in d.prompt else (f"{float(d.answer):.1f}")
    ),
    "normal_probability": lambda d: f"{float(d.answer):.3f}",
    "confidence_interval": lambda d: f"{float(d.answer):.2f}",
    "p_value": lambda d: f"{float(d.answer):.3f}",
    "binomial_probability": lambda d: f"{float(d.answer):.3g}",
}

VARIANTS: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in NAMES] + [
    ("sample_variance", {"which": "sample"}),
    ("sample_variance", {"which": "population", "size": 4, "low": 0, "high": 20}),
    ("z_score", {"ask": "z"}),
    ("z_score", {"ask": "value", "measure": "height"}),
    ("normal_probability", {"tail": "above"}),
    ("normal_probability", {"tail": "between", "measure": "flour"}),
    ("confidence_interval", {"method": "normal"}),
    ("confidence_interval", {"method": "t", "bound": "lower"}),
    ("p_value", {"test": "z"}),
    ("p_value", {"test": "binomial"}),
    ("binomial_probability", {}),
    ("binomial_probability", {"max_trials": 6}),
]
VARIANT_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


def _as_number_in(text: str, prompt: str) -> bool:
    """Whether `text` appears in the prompt as a whole number, not inside a longer one."""
    return re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", prompt) is not None


# --- the tests ----------------------------------------------------------------------------------


def test_every_new_generator_is_registered_with_valid_defaults() -> None:
    for name in (*NAMES, "binomial_probability"):
        generator = REGISTRY[name]
        assert generator.summary
        assert generator.params_problems(generator.defaults) == []
        assert generator.build.__module__ == st.__name__


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: dict[str, Any]) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_drafts_are_deterministic_varied_and_well_formed(
    name: str, overrides: dict[str, Any]
) -> None:
    prompts: set[str] = set()
    answers: set[float] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        assert draft == build(name, seed, overrides)
        assert draft.kind is Kind.NUMERIC
        assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
        assert draft.prompt.strip() and draft.explanation.strip()
        for text in (draft.prompt, draft.explanation):
            for bad in ("+ 0 ", "- 0 ", "--", "+ -", "^", "-0.0", "nan", "inf "):
                assert bad not in text, (seed, bad, text)
        prompts.add(draft.prompt)
        answers.add(draft.answer)
    assert len(prompts) >= 50, f"{name} asked only {len(prompts)} distinct questions"
    assert len(answers) >= 20


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_the_prompt_never_shows_the_answer(name: str, overrides: dict[str, Any]) -> None:
    for seed in SEEDS:
        q = question(name, seed, overrides)
        for text in {q.expected_text, ASKED[name](build(name, seed, overrides))}:
            assert not _as_number_in(text, q.prompt), (seed, text, q.prompt)


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_grading_accepts_the_answer_at_the_precision_asked(
    name: str, overrides: dict[str, Any]
) -> None:
    for seed in SEEDS:
        q = question(name, seed, overrides)
        draft = build(name, seed, overrides)
        assert grade(q, q.expected_text).correct
        rounded = ASKED[name](draft)
        assert grade(q, rounded).correct, (seed, rounded, q.answer)
        # The bold figure in the explanation is the answer too, at the precision asked.
        bold = re.search(r"\*\*([−\-\d.]+)\*\*", draft.explanation)
        assert bold is not None, draft.explanation
        assert grade(q, bold.group(1).replace("−", "-")).correct, (seed, bold.group(1))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_grading_refuses_answers_off_by_more_than_the_precision(
    name: str, overrides: dict[str, Any]
) -> None:
    for seed in SEEDS:
        q = question(name, seed, overrides)
        target = float(q.answer)  # type: ignore[arg-type]
        assert not grade(q, "0").correct or target == 0
        if q.rel_tolerance:
            # Significant figures: a 1% error is always wrong.
            assert not grade(q, repr(target * 1.01)).correct, (seed, target)
            continue
        # Decimal places: three units of the last place asked for is always wrong.
        places = ASKED[name](build(name, seed, overrides))
        step = 10.0 ** -len(places.split(".")[1])
        assert not grade(q, repr(target + 3 * step)).correct, (seed, target, step)


def test_binomial_grades_relatively_and_asks_for_significant_figures() -> None:
    """The audit: an absolute 0.005 let `0` pass for 0.0016 and never enforced 'three decimals'."""
    for seed in SEEDS:
        for overrides in ({}, {"max_trials": 6}):
            draft = build("binomial_probability", seed, overrides)
            assert draft.tolerance == 0 and draft.rel_tolerance == 5e-3
            assert "three significant figures" in draft.prompt
            assert float(draft.answer) >= 0.01
            q = question("binomial_probability", seed, overrides)
            assert not grade(q, "0").correct
            assert not grade(q, f"{float(draft.answer) * 1.01:.6g}").correct


def test_t_intervals_are_wider_than_the_normal_approximation() -> None:
    """A member who uses 1.96 on a small sample is marked wrong whenever it shows at 2 decimals."""
    for seed in SEEDS:
        params = full("confidence_interval", {"method": "t"})
        case = st.draw_interval(rng(seed), params)
        draft = build("confidence_interval", seed, {"method": "t"})
        se = case.sd / math.sqrt(case.n)
        assert abs(float(draft.answer) - case.mean) > 1.96 * se
        direction = 1 if case.bound == "upper" else -1
        with_normal = case.mean + direction * 1.96 * se
        q = question("confidence_interval", seed, {"method": "t"})
        if abs(with_normal - float(draft.answer)) > 0.015:
            assert not grade(q, f"{with_normal:.2f}").correct
        # A t value read from a table to three decimals still earns the mark.
        from_table = case.mean + direction * round(stats.t.ppf(0.975, case.n - 1), 3) * se
        assert grade(q, f"{from_table:.2f}").correct, (seed, from_table, q.answer)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("sample_variance", {"size": 2}),
        ("sample_variance", {"low": 5, "high": 5}),
        ("sample_variance", {"which": "both"}),
        ("z_score", {"ask": "percentile"}),
        ("z_score", {"measure": "weather"}),
        ("normal_probability", {"tail": "outside"}),
        ("confidence_interval", {"method": "bootstrap"}),
        ("confidence_interval", {"bound": "middle"}),
        ("p_value", {"test": "chi2"}),
        ("binomial_probability", {"max_trials": 1}),
        ("binomial_probability", {"max_trials": 50}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
