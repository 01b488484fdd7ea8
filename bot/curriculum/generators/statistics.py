"""Probability and statistics generators: summary statistics, Bayes' theorem, binomial odds.

Evaluating a model is a statistics exercise, and a classifier's output is a probability, so
these questions drill the arithmetic behind both. Each builder draws its case with a public
`draw_*` function and computes the answer with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind


def _num(value: float) -> str:
    """Short text for a number: 3 rather than 3.0, 0.25 rather than 0.250000."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _list(values: tuple[int, ...] | list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


# --- mean, median, sample standard deviation --------------------------------------------------

STATS = ("mean", "median", "std")


@dataclass(frozen=True)
class SampleCase:
    values: tuple[int, ...]
    stat: str


def draw_sample(rng: np.random.Generator, params: Mapping[str, Any]) -> SampleCase:
    size, lo, hi = int(params["size"]), int(params["low"]), int(params["high"])
    stat = str(params["stat"])
    if size < 2:
        raise ValueError("size must be at least 2 (a sample deviation needs two values)")
    if lo >= hi:
        raise ValueError(f"low ({lo}) must be below high ({hi})")
    if stat not in (*STATS, "any"):
        raise ValueError(f"stat must be one of {', '.join(STATS)} or 'any'")
    values = rng.integers(lo, hi, endpoint=True, size=size)
    if stat == "any":
        stat = str(STATS[int(rng.integers(0, len(STATS)))])
    return SampleCase(values=tuple(int(v) for v in values), stat=stat)


@register(
    "summary_statistic",
    "Mean, median or sample standard deviation of a short list",
    size=5,
    low=1,
    high=12,
    stat="any",
)
def summary_statistic(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Looking at data starts with these three numbers; computing them once by hand demystifies."""
    case = draw_sample(rng, params)
    x = np.array(case.values, dtype=float)
    n = len(case.values)
    data = f"`{_list(case.values)}`"
    if case.stat == "mean":
        value = float(np.mean(x))
        prompt = f"What is the **mean** of {data}? (Two decimals are enough.)"
        explanation = (
            f"Add the values and divide by how many there are: {int(x.sum())} / {n} = "
            f"**{value:.2f}**."
        )
    elif case.stat == "median":
        value = float(np.median(x))
        ordered = sorted(case.values)
        prompt = f"What is the **median** of {data}?"
        if n % 2:
            explanation = (
                f"Sort the values: `{_list(ordered)}`. With {n} values the median is the "
                f"middle one, position {n // 2 + 1}: **{_num(value)}**."
            )
        else:
            low, high = ordered[n // 2 - 1], ordered[n // 2]
            explanation = (
                f"Sort the values: `{_list(ordered)}`. With an even count ({n}) the median is "
                f"the average of the two middle values: ({low} + {high}) / 2 = **{_num(value)}**."
            )
    else:
        value = float(np.std(x, ddof=1))
        mean = float(np.mean(x))
        squares = (x - mean) ** 2
        prompt = (
            f"What is the **sample standard deviation** of {data} "
            "(divide by n − 1, as `np.std(x, ddof=1)` does)? Two decimals are enough."
        )
        explanation = (
            f"Mean = {int(x.sum())} / {n} = {_num(round(mean, 4))}. Squared distances from "
            f"the mean add up to {_num(round(float(squares.sum()), 4))}. Divide by n − 1 = "
            f"{n - 1} to get the variance {_num(round(float(squares.sum()) / (n - 1), 4))}, "
            f"then take the square root: **{value:.2f}**."
        )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.01,
    )


# --- Bayes' theorem ---------------------------------------------------------------------------

PREVALENCES = (0.01, 0.02, 0.05, 0.1)
SENSITIVITIES = (0.8, 0.9, 0.95, 0.99)
FALSE_POSITIVE_RATES = (0.02, 0.05, 0.1)

# (what is counted, what makes one a case, what flags it, what a flag is called)
SCENARIOS: dict[str, tuple[str, str, str, str]] = {
    "screening": ("people", "have a rare condition", "a screening test", "tests positive"),
    "fraud": ("card payments", "are fraudulent", "a fraud model", "is flagged"),
    "defects": ("parts off a production line", "are faulty", "a camera inspection", "is rejected"),
}


@dataclass(frozen=True)
class BayesCase:
    prevalence: float
    sensitivity: float
    false_positive_rate: float
    scenario: str


def draw_bayes(rng: np.random.Generator, params: Mapping[str, Any]) -> BayesCase:
    scenario = str(params["scenario"])
    if scenario not in (*SCENARIOS, "any"):
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)} or 'any'")
    prevalence = float(rng.choice(PREVALENCES))
    sensitivity = float(rng.choice(SENSITIVITIES))
    false_positive_rate = float(rng.choice(FALSE_POSITIVE_RATES))
    if scenario == "any":
        names = sorted(SCENARIOS)
        scenario = names[int(rng.integers(0, len(names)))]
    return BayesCase(prevalence, sensitivity, false_positive_rate, scenario)


@register(
    "bayes_posterior",
    "Probability of the condition given a positive result (Bayes' theorem)",
    scenario="any",
)
def bayes_posterior(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Precision on rare classes surprises everyone; Bayes' theorem explains why."""
    case = draw_bayes(rng, params)
    noun, clause, detector, flagged = SCENARIOS[case.scenario]
    # joint probabilities of (positive and condition), (positive and no condition)
    joint = np.array(
        [case.prevalence * case.sensitivity, (1 - case.prevalence) * case.false_positive_rate]
    )
    value = float(joint[0] / joint.sum())
    crowd = 10_000
    have = round(crowd * case.prevalence)
    caught = round(have * case.sensitivity)
    false_alarms = round((crowd - have) * case.false_positive_rate)
    prompt = (
        f"{_num(case.prevalence * 100)}% of {noun} {clause}. {detector.capitalize()} catches "
        f"{_num(case.sensitivity * 100)}% of the real cases, and wrongly flags "
        f"{_num(case.false_positive_rate * 100)}% of the others.\n"
        f"One of the {noun} {flagged}. What is the probability it really is a case? "
        "Answer as a decimal between 0 and 1 (e.g. 0.25)."
    )
    explanation = (
        f"Picture {crowd:,} {noun}: {have:,} are real cases and {crowd - have:,} are not. "
        f"Of the real cases, {_num(case.sensitivity * 100)}% → {caught:,} are flagged. "
        f"Of the others, {_num(case.false_positive_rate * 100)}% → {false_alarms:,} are "
        f"flagged by mistake. So among {caught + false_alarms:,} flagged, {caught:,} are real: "
        f"{caught:,} / {caught + false_alarms:,} ≈ **{value:.3f}**. "
        "That is Bayes' theorem, P(case | flag) = P(flag | case)·P(case) / P(flag)."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.005,
    )


# --- binomial probability ---------------------------------------------------------------------

SUCCESS_PROBABILITIES = (0.2, 0.25, 0.5, 0.6, 0.8)


@dataclass(frozen=True)
class BinomialCase:
    trials: int
    successes: int
    p: float


def draw_binomial(rng: np.random.Generator, params: Mapping[str, Any]) -> BinomialCase:
    max_trials = int(params["max_trials"])
    if max_trials < 2:
        raise ValueError("max_trials must be at least 2")
    trials = int(rng.integers(2, max_trials, endpoint=True))
    successes = int(rng.integers(0, trials, endpoint=True))
    p = float(rng.choice(SUCCESS_PROBABILITIES))
    return BinomialCase(trials=trials, successes=successes, p=p)


@register(
    "binomial_probability",
    "Probability of exactly k successes in n independent trials",
    max_trials=4,
)
def binomial_probability(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Counting independent successes underlies accuracy estimates and A/B tests."""
    case = draw_binomial(rng, params)
    n, k, p = case.trials, case.successes, case.p
    # The coefficient of t^k in ((1 - p) + p·t)^n is P(exactly k successes).
    value = float((Polynomial([1 - p, p]) ** n).coef[k])
    ways = math.comb(n, k)
    prompt = (
        f"A classifier is right on each example with probability {_num(p)}, independently. "
        f"It sees {n} examples. What is the probability it is right on **exactly {k}**? "
        "Give at least three decimals."
    )
    explanation = (
        f"Choose which {k} of the {n} are right: C({n}, {k}) = {ways} "
        f"{'way' if ways == 1 else 'ways'}. Each such way has "
        f"probability {_num(p)}^{k} × {_num(round(1 - p, 6))}^{n - k}. "
        f"So P = {ways} × {_num(round(p**k, 6))} × {_num(round((1 - p) ** (n - k), 6))} "
        f"= **{value:.4f}**."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.005,
    )
