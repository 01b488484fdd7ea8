"""The production generators: deterministic, varied, gradable, and recomputed another way.

Each check redraws the case from the same seed with the module's public `draw_*` function and
works the answer out with something other than the generator's numpy code: scipy's relative
entropy for PSI, the standard library's `statistics.quantiles` and a hand-written interpolation
for latency percentiles, and exact fractions for throughput.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import entropy

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import production as pr
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, grade

SEEDS = range(200)
NAMES = ("psi", "latency_percentile", "throughput")

Params = Mapping[str, Any]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


def number(draft: Draft) -> float:
    assert isinstance(draft.answer, float), draft.answer
    return draft.answer


# --- independent recomputations -----------------------------------------------------------------


def check_psi(seed: int, params: Params, draft: Draft) -> None:
    case = pr.draw_psi(rng(seed), params)
    assert len(case.reference) == len(case.live) == params["bins"]
    assert sum(case.reference) == 1000 and min(case.live) >= 5
    # PSI is the symmetric Kullback-Leibler divergence: KL(a || e) + KL(e || a).
    e = [c / sum(case.reference) for c in case.reference]
    a = [c / sum(case.live) for c in case.live]
    symmetric = float(entropy(a, e) + entropy(e, a))
    by_hand = math.fsum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True))
    assert math.isclose(symmetric, by_hand, abs_tol=1e-12)
    if case.ask == "value":
        assert draft.kind is Kind.NUMERIC
        assert abs(number(draft) - by_hand) <= 5.1e-5
    else:
        assert draft.kind is Kind.CHOICE
        band = 0 if by_hand < 0.1 else 1 if by_hand <= 0.25 else 2
        assert draft.answer == draft.choices[band]
        assert min(abs(by_hand - 0.1), abs(by_hand - 0.25)) >= 0.01


def check_latency(seed: int, params: Params, draft: Draft) -> None:
    case = pr.draw_latency(rng(seed), params)
    n, q = len(case.latencies), case.percentile
    assert params["min_requests"] <= n <= params["max_requests"]
    if params["percentile"]:
        assert q == params["percentile"]
    # The 'inclusive' method of the standard library is NumPy's 'linear' rule.
    cut = statistics.quantiles(case.latencies, n=100, method="inclusive")[q - 1] if q else None
    ordered = sorted(case.latencies)
    position = Fraction((n - 1) * q, 100)
    low = math.floor(position)
    by_hand = ordered[low] + (position - low) * (ordered[min(low + 1, n - 1)] - ordered[low])
    assert position != low and by_hand.denominator != 1  # interpolated, and not a listed value
    assert cut is not None and math.isclose(cut, float(by_hand), abs_tol=1e-9)
    assert abs(number(draft) - float(by_hand)) <= 5.1e-5


def check_throughput(seed: int, params: Params, draft: Draft) -> None:
    case = pr.draw_throughput(rng(seed), params)
    if params["ask"] != "any":
        assert case.ask == params["ask"]
    if case.ask == "rate":
        exact = Fraction(1000 * case.workers, case.latency_ms)
        assert abs(number(draft) - float(exact)) <= 5.1e-5
        return
    per_worker_at_cap = Fraction(1000, case.latency_ms) * Fraction(case.cap_percent, 100)
    needed = 1
    while needed * per_worker_at_cap < case.traffic:  # the smallest whole pool that copes
        needed += 1
    assert draft.answer == needed
    assert (needed - 1) * per_worker_at_cap < case.traffic <= needed * per_worker_at_cap


CHECKS: dict[str, Callable[[int, Params, Draft], None]] = {
    "psi": check_psi,
    "latency_percentile": check_latency,
    "throughput": check_throughput,
}

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("psi", {}),
    ("psi", {"ask": "reading"}),
    ("psi", {"bins": 6, "ask": "any"}),
    ("latency_percentile", {}),
    ("latency_percentile", {"percentile": 95}),
    ("latency_percentile", {"percentile": 50, "min_requests": 8, "max_requests": 30}),
    ("latency_percentile", {"percentile": 99}),
    ("throughput", {}),
    ("throughput", {"ask": "rate"}),
    ("throughput", {"ask": "workers", "max_workers": 4}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]

_NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?(?![\d.])")


def numbers_in(text: str) -> set[float]:
    return {float(match.replace(",", "")) for match in _NUMBER.findall(text)}


# --- the tests ----------------------------------------------------------------------------------


def test_the_module_registers_its_generators_with_valid_defaults() -> None:
    for name in NAMES:
        generator = REGISTRY[name]
        assert generator.build.__module__ == pr.__name__
        assert generator.summary
        assert generator.params_problems(generator.defaults) == []
    assert set(CHECKS) == set(NAMES)


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: Params) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_drafts_are_deterministic_varied_and_well_formed(name: str, overrides: Params) -> None:
    prompts: set[str] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        assert draft == build(name, seed, overrides)
        prompts.add(draft.prompt)
        assert draft.prompt.strip() and draft.explanation.strip()
        for bad in ("+ 0", "- 0", "--", "-0.0", "^", " 1x"):
            assert bad not in draft.prompt, (seed, bad, draft.prompt)
        if draft.kind is Kind.NUMERIC:
            assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
            # The answer is not a number the prompt already shows.
            assert round(draft.answer, 2) not in numbers_in(draft.prompt), (seed, draft.prompt)
            assert draft.tolerance > 0
        else:
            assert draft.kind is Kind.CHOICE
            assert len(set(draft.choices)) == len(draft.choices) == 3
            assert draft.answer in draft.choices
            assert str(draft.answer) not in draft.prompt
    assert len(prompts) >= 50, f"{name} {overrides}: only {len(prompts)} distinct prompts"


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_the_expected_answer_grades_as_correct(name: str, overrides: Params) -> None:
    item = QuizItem(
        id="prod-test",
        topic="production",
        difficulty=2,
        path=Path("quizzes/production.yaml"),
        line=1,
        generator=name,
        params=dict(overrides),
    )
    for seed in SEEDS:
        question = generate(item, seed)
        if question.kind is Kind.CHOICE:
            number = question.choices.index(str(question.answer)) + 1
            assert grade(question, str(number)).correct
            wrong = next(i for i, c in enumerate(question.choices, 1) if c != question.answer)
            assert not grade(question, str(wrong)).correct
        else:
            assert grade(question, question.expected_text).correct, (seed, question.answer)


def test_members_rounding_as_asked_are_graded_correct() -> None:
    for seed in SEEDS:
        psi = build("psi", seed, {"ask": "value"})
        assert math.isclose(round(number(psi), 3), number(psi), abs_tol=psi.tolerance)
        latency = build("latency_percentile", seed, {})
        assert abs(round(number(latency), 2) - number(latency)) <= latency.tolerance
        rate = build("throughput", seed, {"ask": "rate"})
        assert abs(round(number(rate), 1) - number(rate)) <= rate.tolerance


def test_psi_readings_all_come_up() -> None:
    readings = {build("psi", seed, {"ask": "reading"}).answer for seed in SEEDS}
    assert readings == set(pr.PSI_READINGS)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("psi", {"bins": 2}),
        ("psi", {"ask": "median"}),
        ("latency_percentile", {"percentile": 75}),
        ("latency_percentile", {"min_requests": 12, "max_requests": 10}),
        ("throughput", {"ask": "cost"}),
        ("throughput", {"max_workers": 1}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: Params) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
