"""Probability and statistics generators: summaries, variance, Bayes, distributions and tests.

Evaluating a model is a statistics exercise, and a classifier's output is a probability, so
these questions drill the arithmetic behind both: summary statistics and the n − 1 of the sample
variance, Bayes' theorem, binomial and normal probabilities, z-scores, confidence intervals and
p-values. Each builder draws its case with a public `draw_*` function and computes the answer
with numpy or scipy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial
from scipy import stats

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


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _raised(base: str, exponent: int) -> str:
    """A power in prose: `0.8` and 3 as `0.8³` (never `^`), and a first power as the base."""
    return base if exponent == 1 else f"{base}{str(exponent).translate(_SUPERSCRIPT)}"


def _signed(value: float) -> str:
    """A number for prose with a real minus sign: −1.25 rather than -1.25."""
    text = _num(value)
    return "−" + text[1:] if text.startswith("-") else text


def _sig3(value: float) -> str:
    """Three significant figures with trailing zeros kept: 0.410, 0.0256, 1.00."""
    return f"{value:#.3g}"


def _pick(rng: np.random.Generator, wanted: str, options: tuple[str, ...], name: str) -> str:
    """`wanted` itself, or a random one of `options` when it is 'any'."""
    if wanted == "any":
        return options[int(rng.integers(0, len(options)))]
    if wanted not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)} or 'any', got {wanted!r}")
    return wanted


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
MAX_TRIALS = 20
# Answers below this read badly at three significant figures and invite a guess of 0.
MIN_BINOMIAL_PROBABILITY = 0.01

# (the setting, with {p} and {n}; what is counted)
BINOMIAL_STORIES: dict[str, tuple[str, str]] = {
    "classifier": (
        "A classifier is right on each example with probability {p}, independently of the "
        "others. It is shown {n} examples.",
        "the number it gets right",
    ),
    "clicks": (
        "Each visitor to a sign-up page clicks the button with probability {p}, independently "
        "of the others. The page gets {n} visitors.",
        "the number who click",
    ),
    "free-throws": (
        "A basketball player scores each free throw with probability {p}, independently of "
        "the others. They take {n} free throws.",
        "the number they score",
    ),
}


@dataclass(frozen=True)
class BinomialCase:
    trials: int
    successes: int
    p: float
    story: str


def draw_binomial(rng: np.random.Generator, params: Mapping[str, Any]) -> BinomialCase:
    max_trials = int(params["max_trials"])
    if not 2 <= max_trials <= MAX_TRIALS:
        raise ValueError(f"max_trials must be between 2 and {MAX_TRIALS}")
    trials = int(rng.integers(2, max_trials, endpoint=True))
    p = float(rng.choice(SUCCESS_PROBABILITIES))
    # Only counts whose probability is not tiny, and not equal to p (the prompt shows p).
    pmf = stats.binom.pmf(np.arange(trials + 1), trials, p)
    usable = np.flatnonzero((pmf >= MIN_BINOMIAL_PROBABILITY) & ~np.isclose(pmf, p))
    successes = int(rng.choice(usable))
    names = sorted(BINOMIAL_STORIES)
    story = names[int(rng.integers(0, len(names)))]
    return BinomialCase(trials=trials, successes=successes, p=p, story=story)


@register(
    "binomial_probability",
    "Probability of exactly k successes in n independent trials",
    max_trials=4,
)
def binomial_probability(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Counting independent successes underlies accuracy estimates and A/B tests."""
    case = draw_binomial(rng, params)
    n, k, p = case.trials, case.successes, case.p
    q = round(1 - p, 6)
    # The coefficient of t^k in ((1 - p) + p·t)^n is P(exactly k successes).
    value = float((Polynomial([1 - p, p]) ** n).coef[k])
    setting, counted = BINOMIAL_STORIES[case.story]
    prompt = (
        f"{setting.format(p=_num(p), n=n)} What is the probability that {counted} is "
        f"**exactly {k}**? Give it to three significant figures."
    )
    factors = [_raised(_num(b), e) for b, e in ((p, k), (q, n - k)) if e > 0]
    each = p**k * q ** (n - k)
    ways = math.comb(n, k)
    if ways == 1:
        which = "all of them succeed" if k == n else "none of them succeeds"
        explanation = (
            f"Only one arrangement of the {n} trials gives {k}: {which}. Its probability is "
            f"{' × '.join(factors)} = {_num(round(each, 6))}"
        )
    else:
        explanation = (
            f"There are C({n}, {k}) = {ways} ways to choose which {k} of the {n} trials "
            f"succeed, and each way has probability {' × '.join(factors)} = "
            f"{_num(round(each, 6))}. So P = {ways} × {_num(round(each, 6))} = "
            f"{_num(round(value, 6))}"
        )
    explanation += (
        f", which is **{_sig3(value)}** to three significant figures "
        f"(`scipy.stats.binom.pmf({k}, {n}, {_num(p)})`)."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=float(f"{value:.10g}"),  # 0.512, not 0.5120000000000001
        explanation=explanation,
        tolerance=0,
        rel_tolerance=5e-3,
    )


# --- sample or population variance ------------------------------------------------------------

VARIANCES = ("sample", "population")


@dataclass(frozen=True)
class VarianceCase:
    values: tuple[int, ...]
    which: str  # "sample" divides by n − 1, "population" by n


def draw_variance(rng: np.random.Generator, params: Mapping[str, Any]) -> VarianceCase:
    size, lo, hi = int(params["size"]), int(params["low"]), int(params["high"])
    if size < 3:
        raise ValueError("size must be at least 3")
    if lo >= hi:
        raise ValueError(f"low ({lo}) must be below high ({hi})")
    which = _pick(rng, str(params["which"]), VARIANCES, "which")
    ddof = 1 if which == "sample" else 0
    while True:
        values = rng.integers(lo, hi, endpoint=True, size=size)
        # A spread of zero teaches nothing, and an answer equal to a listed value looks given.
        if np.any(values != values[0]) and float(np.var(values, ddof=ddof)) not in values:
            return VarianceCase(values=tuple(int(v) for v in values), which=which)


@register(
    "sample_variance",
    "Sample (n − 1) or population (n) variance of a short list, and why they differ",
    size=5,
    low=1,
    high=10,
    which="any",
)
def sample_variance(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """NumPy and pandas disagree by default on ddof; knowing which divisor you want is the fix."""
    case = draw_variance(rng, params)
    x = np.array(case.values, dtype=float)
    n = len(x)
    sample = case.which == "sample"
    value = float(np.var(x, ddof=1 if sample else 0))
    other = float(np.var(x, ddof=0 if sample else 1))
    mean = float(x.mean())
    total = float(((x - mean) ** 2).sum())
    data = f"`{_list(case.values)}`"
    if sample:
        prompt = (
            f"The values {data} are a random sample from a much larger population. What is "
            "their **sample variance**, the estimate of the population's variance that divides "
            "by n − 1 (`np.var(x, ddof=1)`, or pandas' `.var()`)? Two decimals are enough."
        )
        why = (
            f"Divide by n − 1 = {n - 1}: **{value:.2f}**. Why n − 1: the distances are measured "
            "from the sample's own mean, which sits closer to these values than the unknown "
            "population mean does, so their squares come out too small on average; dividing "
            f"by n − 1 instead of n corrects that. (Dividing by {n} would give {other:.2f}.)"
        )
    else:
        prompt = (
            f"Treat {data} as the **whole population**, not a sample. What is its **population "
            "variance**, which divides by n (`np.var(x)`, NumPy's default `ddof=0`)? Two "
            "decimals are enough."
        )
        why = (
            f"Divide by n = {n}: **{value:.2f}**. With the whole population in hand its mean "
            "is the true mean, so nothing needs correcting. The n − 1 divisor is only for "
            f"estimating a larger population from a sample; here it would give {other:.2f}."
        )
    explanation = (
        f"Mean = {int(x.sum())} / {n} = {_num(round(mean, 4))}. The squared distances from "
        f"the mean add up to {_num(round(total, 4))}. {why}"
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 6),
        explanation=explanation,
        tolerance=0.01,
    )


# --- normally distributed measurements: z-scores and probabilities ----------------------------


@dataclass(frozen=True)
class Measure:
    """A roughly normal quantity in words; `above`, `below`, `between` end "What fraction of…"."""

    subject: str
    unit: str
    unit_name: str
    one: str
    noun: str
    members: str
    above: str
    below: str
    between: str
    means: tuple[int, int]
    sds: tuple[int, ...]


MEASURES: dict[str, Measure] = {
    "exam": Measure(
        subject="Scores on a national exam",
        unit="points",
        unit_name="points",
        one="One student's score",
        noun="score",
        members="students",
        above="score above {x} points",
        below="score below {x} points",
        between="score between {a} and {b} points",
        means=(55, 75),
        sds=(6, 8, 10, 12, 15),
    ),
    "height": Measure(
        subject="Adult heights in a health survey",
        unit="cm",
        unit_name="centimetres",
        one="One adult's height",
        noun="height",
        members="adults",
        above="are taller than {x} cm",
        below="are shorter than {x} cm",
        between="are between {a} and {b} cm tall",
        means=(160, 180),
        sds=(6, 7, 8, 9, 10),
    ),
    "flour": Measure(
        subject="Weights of flour bags from a packing machine",
        unit="g",
        unit_name="grams",
        one="One bag's weight",
        noun="weight",
        members="bags",
        above="weigh more than {x} g",
        below="weigh less than {x} g",
        between="weigh between {a} and {b} g",
        means=(990, 1010),
        sds=(3, 4, 5, 6),
    ),
    "delivery": Measure(
        subject="A courier's delivery times",
        unit="minutes",
        unit_name="minutes",
        one="One parcel's delivery time",
        noun="delivery time",
        members="parcels",
        above="take longer than {x} minutes",
        below="take less than {x} minutes",
        between="take between {a} and {b} minutes",
        means=(25, 45),
        sds=(4, 5, 6, 8),
    ),
}

Z_GRID = (-2.5, -2.0, -1.5, -1.2, -0.8, -0.5, 0.5, 0.8, 1.2, 1.5, 2.0, 2.5)
Z_ASKS = ("z", "value")
TAILS = ("above", "below", "between")
MAX_NORMAL_Z = 2.4  # keeps every answer at 0.008 or more, readable at three decimals


@dataclass(frozen=True)
class ZCase:
    measure: str
    mean: int
    sd: int
    ask: str  # "z": the z-score of x; "value": the value with z-score z
    x: int
    z: float


def _measure(rng: np.random.Generator, params: Mapping[str, Any]) -> tuple[str, int, int]:
    name = _pick(rng, str(params["measure"]), tuple(sorted(MEASURES)), "measure")
    measure = MEASURES[name]
    mean = int(rng.integers(measure.means[0], measure.means[1], endpoint=True))
    sd = int(rng.choice(measure.sds))
    return name, mean, sd


def draw_z(rng: np.random.Generator, params: Mapping[str, Any]) -> ZCase:
    ask = _pick(rng, str(params["ask"]), Z_ASKS, "ask")
    name, mean, sd = _measure(rng, params)
    while True:  # redraw the rare case whose answer equals the mean or sd shown
        if ask == "z":
            offset = int(rng.integers(1, 3 * sd, endpoint=True)) * int(rng.choice((-1, 1)))
            case = ZCase(name, mean, sd, ask, x=mean + offset, z=offset / sd)
            answer = case.z
        else:
            case = ZCase(name, mean, sd, ask, x=0, z=float(rng.choice(Z_GRID)))
            answer = mean + case.z * sd
        if answer not in (mean, sd):
            return case


@register(
    "z_score",
    "The z-score of a value given the mean and standard deviation, or the value for a z-score",
    ask="any",
    measure="any",
)
def z_score(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Standardising is how a model sees features and how a normal table is read."""
    case = draw_z(rng, params)
    m = MEASURES[case.measure]
    setting = (
        f"{m.subject} have a mean of {case.mean} {m.unit} and a standard deviation of "
        f"{case.sd} {m.unit}."
    )
    if case.ask == "z":
        value = (case.x - case.mean) / case.sd
        side = "above" if value > 0 else "below"
        prompt = (
            f"{setting} {m.one} is {case.x} {m.unit}. What is its **z-score**? "
            "Two decimals are enough."
        )
        explanation = (
            f"z = (value − mean) / sd = ({case.x} − {case.mean}) / {case.sd} = "
            f"{_signed(case.x - case.mean)} / {case.sd} = **{_signed(round(value, 2))}**: "
            f"the value sits {_num(round(abs(value), 2))} standard deviations {side} the mean."
        )
        tolerance = 0.01
    else:
        value = case.mean + case.z * case.sd
        side = "above" if case.z > 0 else "below"
        z_text = f"({_signed(case.z)})" if case.z < 0 else _num(case.z)
        prompt = (
            f"{setting} Which {m.noun} has a **z-score of {_signed(case.z)}**? "
            f"Answer in {m.unit_name}, to one decimal."
        )
        explanation = (
            f"Turn z = (value − mean) / sd around: value = mean + z × sd = {case.mean} + "
            f"{z_text} × {case.sd} = **{_num(round(value, 1))}** {m.unit}, "
            f"{_num(abs(case.z))} standard deviations {side} the mean."
        )
        tolerance = 0.05
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 6),
        explanation=explanation,
        tolerance=tolerance,
    )


@dataclass(frozen=True)
class NormalCase:
    measure: str
    mean: int
    sd: int
    tail: str  # "above" x, "below" x, or "between" low and high
    low: int
    high: int  # equal to low unless tail is "between"


def draw_normal(rng: np.random.Generator, params: Mapping[str, Any]) -> NormalCase:
    tail = _pick(rng, str(params["tail"]), TAILS, "tail")
    name, mean, sd = _measure(rng, params)
    reach = int(MAX_NORMAL_Z * sd)
    if tail != "between":
        offset = int(rng.integers(1, reach, endpoint=True)) * int(rng.choice((-1, 1)))
        return NormalCase(name, mean, sd, tail, mean + offset, mean + offset)
    while True:  # two distinct cut points holding a fraction worth asking about
        a, b = sorted(int(v) for v in rng.integers(-reach, reach, endpoint=True, size=2))
        share = stats.norm.cdf(b / sd) - stats.norm.cdf(a / sd)
        if a < b and share >= 0.05:
            return NormalCase(name, mean, sd, tail, mean + a, mean + b)


@register(
    "normal_probability",
    "Fraction of a normal distribution above, below or between values (scipy.stats.norm)",
    tail="any",
    measure="any",
)
def normal_probability(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Reading a normal distribution's tails is the step behind every z-test and interval."""
    case = draw_normal(rng, params)
    m = MEASURES[case.measure]
    dist = stats.norm(loc=case.mean, scale=case.sd)
    z_low = (case.low - case.mean) / case.sd
    z_high = (case.high - case.mean) / case.sd
    standardise = f"z = ({case.low} − {case.mean}) / {case.sd} = {_signed(round(z_low, 4))}"
    if case.tail == "above":
        value = float(dist.sf(case.low))
        clause = m.above.format(x=case.low)
        working = (
            f"Standardise: {standardise}. The fraction above is P(Z > {_signed(round(z_low, 4))})"
            f" = 1 − Φ({_signed(round(z_low, 4))}) = **{value:.3f}**, or in one call "
            f"`norm({case.mean}, {case.sd}).sf({case.low})`."
        )
    elif case.tail == "below":
        value = float(dist.cdf(case.low))
        clause = m.below.format(x=case.low)
        working = (
            f"Standardise: {standardise}. The fraction below is Φ({_signed(round(z_low, 4))}) = "
            f"**{value:.3f}**, or in one call `norm({case.mean}, {case.sd}).cdf({case.low})`."
        )
    else:
        value = float(dist.cdf(case.high) - dist.cdf(case.low))
        clause = m.between.format(a=case.low, b=case.high)
        below_high, below_low = float(dist.cdf(case.high)), float(dist.cdf(case.low))
        working = (
            f"Standardise both ends: {standardise} and z = ({case.high} − {case.mean}) / "
            f"{case.sd} = {_signed(round(z_high, 4))}. The fraction between is "
            f"Φ({_signed(round(z_high, 4))}) − Φ({_signed(round(z_low, 4))}) = "
            f"{below_high:.4f} − {below_low:.4f} = **{value:.3f}**."
        )
    prompt = (
        f"{m.subject} follow a normal distribution with mean {case.mean} {m.unit} and standard "
        f"deviation {case.sd} {m.unit}. What fraction of {m.members} {clause}? Answer as a "
        "decimal, to three decimals."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 6),
        explanation=working,
        tolerance=0.001,
    )


# --- 95% confidence interval for a mean -------------------------------------------------------

CI_METHODS = ("normal", "t")
BOUNDS = ("lower", "upper")


@dataclass(frozen=True)
class Study:
    """A sample summary in words with {n}, {m} and {s} to fill in, and the ranges they come from."""

    text: str
    means: tuple[int, int]  # in tenths
    sds: tuple[int, int]  # in tenths


STUDIES: dict[str, Study] = {
    "delivery": Study(
        "A courier records {n} delivery times. Their mean is {m} minutes and their sample "
        "standard deviation is {s} minutes.",
        means=(250, 450),
        sds=(30, 120),
    ),
    "battery": Study(
        "A lab measures the battery life of {n} phones of one model. The mean is {m} hours "
        "and the sample standard deviation is {s} hours.",
        means=(150, 300),
        sds=(10, 50),
    ),
    "latency": Study(
        "You time {n} requests to a model server. The mean is {m} ms and the sample standard "
        "deviation is {s} ms.",
        means=(800, 3000),
        sds=(50, 250),  # small enough that a t value rounded to 3 decimals still grades
    ),
}


@dataclass(frozen=True)
class IntervalCase:
    study: str
    n: int
    mean: float
    sd: float
    method: str
    bound: str


def draw_interval(rng: np.random.Generator, params: Mapping[str, Any]) -> IntervalCase:
    method = _pick(rng, str(params["method"]), CI_METHODS, "method")
    bound = _pick(rng, str(params["bound"]), BOUNDS, "bound")
    names = sorted(STUDIES)
    name = names[int(rng.integers(0, len(names)))]
    study = STUDIES[name]
    # The normal approximation is for large samples; the t interval matters for small ones.
    n = int(rng.integers(30, 400, endpoint=True) if method == "normal" else rng.integers(5, 29))
    mean = int(rng.integers(*study.means, endpoint=True)) / 10
    sd = int(rng.integers(*study.sds, endpoint=True)) / 10
    return IntervalCase(name, n, mean, sd, method, bound)


@register(
    "confidence_interval",
    "A bound of a 95% confidence interval for a mean (normal 1.96 or t critical value)",
    method="any",
    bound="any",
)
def confidence_interval(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """An estimate without an interval hides how much the next sample could disagree."""
    case = draw_interval(rng, params)
    se = case.sd / math.sqrt(case.n)
    t_value = float(stats.t.ppf(0.975, df=case.n - 1))
    critical = 1.96 if case.method == "normal" else t_value
    margin = critical * se
    value = case.mean - margin if case.bound == "lower" else case.mean + margin
    summary = STUDIES[case.study].text.format(n=case.n, m=_num(case.mean), s=_num(case.sd))
    if case.method == "normal":
        how = "Using the normal approximation (critical value 1.96)"
        crit_text = "The critical value is 1.96"
        note = (
            f"With n = {case.n} the t critical value would be {t_value:.3f}, almost the same: "
            "that is why 1.96 is fine for large samples."
        )
    else:
        how = "Using a t interval (critical value `scipy.stats.t.ppf(0.975, df=n - 1)`)"
        crit_text = f"The critical value is `t.ppf(0.975, df={case.n - 1})` = {t_value:.4f}"
        note = (
            "It is larger than 1.96 because the standard deviation itself is estimated from "
            f"only {case.n} values; the gap shrinks as n grows."
        )
    sign = "−" if case.bound == "lower" else "+"
    prompt = (
        f"{summary} {how}, what is the **{case.bound} bound** of a 95% confidence interval "
        "for the mean? Two decimals are enough."
    )
    explanation = (
        f"Standard error = s / √n = {_num(case.sd)} / √{case.n} = {se:.4f}. {crit_text}, so "
        f"the margin is {critical:.4f} × {se:.4f} = {margin:.4f}. The {case.bound} bound is "
        f"{_num(case.mean)} {sign} {margin:.4f} = **{value:.2f}**. {note}"
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 6),
        explanation=explanation,
        tolerance=0.01,
    )


# --- two-sided p-values -----------------------------------------------------------------------

P_TESTS = ("z", "binomial")
Z_TEST_STORIES = (
    "An A/B test of two checkout pages gives a two-proportion z statistic of z = {z}.",
    "A z-test of whether a model's mean error differs from zero gives z = {z}.",
    "Comparing a new ranking model's click-through rate with the old one's gives z = {z}.",
)
CLAIMED_ACCURACIES = (0.6, 0.7, 0.8, 0.9)
MIN_P_VALUE = 0.001  # smaller ones are 0.000 at three decimals


@dataclass(frozen=True)
class PValueCase:
    test: str
    z: float  # the z statistic (test "z")
    story: int  # which Z_TEST_STORIES entry, or 0 for a coin and 1 for a claimed accuracy
    n: int
    k: int
    p0: float


def draw_p_value(rng: np.random.Generator, params: Mapping[str, Any]) -> PValueCase:
    test = _pick(rng, str(params["test"]), P_TESTS, "test")
    if test == "z":
        story = int(rng.integers(0, len(Z_TEST_STORIES)))
        while True:  # |z| from 0.20 to 3.20; skip the few whose p-value rounds to 0.050
            z = int(rng.integers(20, 320, endpoint=True)) / 100 * int(rng.choice((-1, 1)))
            if round(2 * float(stats.norm.sf(abs(z))), 3) != 0.05:
                return PValueCase(test, z, story, 0, 0, 0.5)
    story = int(rng.integers(0, 2))
    if story == 0:
        n, p0 = int(rng.integers(10, 60, endpoint=True)), 0.5
    else:
        n, p0 = int(rng.integers(20, 100, endpoint=True)), float(rng.choice(CLAIMED_ACCURACIES))
    spread = math.sqrt(n * p0 * (1 - p0))
    while True:  # a count within three standard deviations, with a readable p-value
        k = round(n * p0 + float(rng.uniform(-3, 3)) * spread)
        if 0 <= k <= n and stats.binomtest(k, n, p0).pvalue >= MIN_P_VALUE:
            return PValueCase(test, 0.0, story, n, k, p0)


@register(
    "p_value",
    "Two-sided p-value of a z statistic, or of an exact binomial test (scipy.stats.binomtest)",
    test="any",
)
def p_value(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A p-value is a tail area under the null; computing a few makes that concrete."""
    case = draw_p_value(rng, params)
    if case.test == "z":
        value = 2 * float(stats.norm.sf(abs(case.z)))
        size = _num(abs(case.z))
        prompt = (
            f"{Z_TEST_STORIES[case.story].format(z=_signed(case.z))} What is the **two-sided "
            "p-value**? Use the standard normal distribution (`scipy.stats.norm`) and give "
            "three decimals."
        )
        working = (
            "If the null hypothesis holds, z follows a standard normal distribution. A value at "
            f"least as far from 0 as {size}, in either direction, has probability "
            f"2 × P(Z > {size}) = 2 × {float(stats.norm.sf(abs(case.z))):.4g} = "
            f"**{value:.3f}** (`2 * norm.sf({size})`)."
        )
    else:
        value = float(stats.binomtest(case.k, case.n, case.p0).pvalue)
        if case.story == 0:
            prompt = (
                f"A coin is tossed {case.n} times and lands heads {case.k} times. What is the "
                "**two-sided p-value** of an exact binomial test of whether the coin is fair "
                "(`scipy.stats.binomtest` with p = 0.5)? Give three decimals."
            )
        else:
            prompt = (
                f"A vendor says its model is {_num(case.p0 * 100)}% accurate. On {case.n} fresh "
                f"labelled examples it is right {case.k} times. What is the **two-sided "
                "p-value** of an exact binomial test of the vendor's figure "
                f"(`scipy.stats.binomtest` with p = {_num(case.p0)})? Give three decimals."
            )
        working = (
            f"If the null hypothesis holds, the count follows a binomial distribution with "
            f"n = {case.n} and p = {_num(case.p0)}, so about {_num(round(case.n * case.p0, 1))} "
            f"is expected. The exact two-sided test adds the probabilities of every count that "
            f"is no more likely than the {case.k} observed: "
            f"`binomtest({case.k}, {case.n}, {_num(case.p0)}).pvalue` = **{value:.3f}**."
        )
    verdict = (
        "below 0.05, so at the 5% level you would reject the null hypothesis"
        if value < 0.05
        else "above 0.05, so at the 5% level you would not reject the null hypothesis"
    )
    explanation = (
        f"{working} That is {verdict}; on its own it says nothing about how large the effect is."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 6),
        explanation=explanation,
        tolerance=0.001,
    )
