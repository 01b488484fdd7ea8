"""Production generators: drift (PSI), latency percentiles and throughput of a service.

Running a model means reading a few numbers every day: how far live data has moved from the
training data, how slow the slowest requests are, and how many requests the workers can carry.
Each builder draws its case with a public `draw_*` function first (so a test can redraw it) and
computes the answer with numpy from that case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

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


# --- population stability index ---------------------------------------------------------------

PSI_ASKS = ("value", "reading")
PSI_READINGS = (
    "stable (PSI below 0.1)",
    "moderate shift (PSI from 0.1 to 0.25)",
    "large shift (PSI above 0.25)",
)
PSI_LIMITS = (0.1, 0.25)
# How far the live shares are pushed from the training shares, aiming at each reading.
PSI_SPREADS = (0.12, 0.35, 0.6)
PSI_LIVE_TOTALS = (400, 500, 800, 1000, 2000)
PSI_MARGIN = 0.01  # every PSI stays this far from 0.1 and 0.25, so one reading fits


@dataclass(frozen=True)
class PsiCase:
    reference: tuple[int, ...]  # training rows per bin
    live: tuple[int, ...]  # live rows per bin, same bins
    ask: str


def psi_value(reference: tuple[int, ...], live: tuple[int, ...]) -> float:
    expected = np.array(reference, dtype=float) / sum(reference)
    actual = np.array(live, dtype=float) / sum(live)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_reading(value: float) -> str:
    if value < PSI_LIMITS[0]:
        return PSI_READINGS[0]
    if value <= PSI_LIMITS[1]:
        return PSI_READINGS[1]
    return PSI_READINGS[2]


def draw_psi(rng: np.random.Generator, params: Mapping[str, Any]) -> PsiCase:
    bins = int(params["bins"])
    ask = str(params["ask"])
    if not 3 <= bins <= 6:
        raise ValueError("bins must be from 3 to 6 (a short histogram to work through)")
    if ask not in (*PSI_ASKS, "any"):
        raise ValueError(f"ask must be one of {', '.join(PSI_ASKS)} or 'any'")
    if ask == "any":
        ask = PSI_ASKS[int(rng.integers(0, len(PSI_ASKS)))]
    # Aim at one of the three readings first, so every reading comes up about as often.
    band = int(rng.integers(0, len(PSI_READINGS)))
    while True:
        # Training: 1,000 rows, at least 60 in every bin.
        shares = rng.dirichlet(np.full(bins, 4.0))
        reference = np.maximum(np.round(shares * 1000).astype(int), 60)
        reference[int(np.argmax(reference))] += 1000 - int(reference.sum())
        pushed = reference / reference.sum() * np.exp(rng.normal(0.0, PSI_SPREADS[band], bins))
        live = rng.multinomial(int(rng.choice(PSI_LIVE_TOTALS)), pushed / pushed.sum())
        if reference.min() < 60 or live.min() < 5:
            continue  # an empty or tiny bin makes ln(a / e) blow up: draw again
        case = PsiCase(tuple(int(c) for c in reference), tuple(int(c) for c in live), ask)
        value = psi_value(case.reference, case.live)
        if psi_reading(value) != PSI_READINGS[band]:
            continue
        if min(abs(value - limit) for limit in PSI_LIMITS) < PSI_MARGIN:
            continue  # too close to a boundary to have one defensible reading
        return case


@register(
    "psi",
    "Population stability index between a training and a live histogram, and its reading",
    bins=4,
    ask="value",
)
def psi(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """PSI is the everyday drift number; computing it once by hand shows what it weighs."""
    case = draw_psi(rng, params)
    expected = np.array(case.reference, dtype=float) / sum(case.reference)
    actual = np.array(case.live, dtype=float) / sum(case.live)
    terms = (actual - expected) * np.log(actual / expected)
    value = float(terms.sum())
    reading = psi_reading(value)
    n_ref, n_live = sum(case.reference), sum(case.live)
    setting = (
        f"A feature was cut into {len(case.reference)} bins on the training data. "
        f"Training rows per bin: `{_list(list(case.reference))}` ({n_ref:,} in all). "
        f"Live rows per bin this week, same bins: `{_list(list(case.live))}` ({n_live:,} in all)."
    )
    shares = (
        f"Training shares e = {', '.join(f'{x:.3f}' for x in expected)}; "
        f"live shares a = {', '.join(f'{x:.3f}' for x in actual)}. "
        f"The terms (a − e)·ln(a / e) are {', '.join(f'{t:.4f}' for t in terms)}, "
        f"and they add up to PSI = {value:.3f}."
    )
    scale = "Below 0.1 reads as stable, 0.1 to 0.25 as a moderate shift, above 0.25 as a large one."
    if case.ask == "value":
        return Draft(
            kind=Kind.NUMERIC,
            prompt=(
                f"{setting}\nCompute the population stability index, "
                "PSI = Σ (a − e) · ln(a / e) over the bins, where e and a are each bin's share "
                "of training and of live rows. Give it to three decimals."
            ),
            answer=round(value, 4),
            explanation=f"Divide each count by its total to get shares. {shares} {scale}",
            tolerance=0.002,
        )
    return Draft(
        kind=Kind.CHOICE,
        prompt=(
            f"{setting}\nWork out the population stability index, "
            "PSI = Σ (a − e) · ln(a / e) over the bins (e and a are the training and live "
            "shares of each bin). How does the usual rule of thumb read it?"
        ),
        answer=reading,
        choices=PSI_READINGS,
        explanation=f"{shares} {scale} So the reading is: {reading}.",
    )


# --- latency percentiles ----------------------------------------------------------------------

PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class LatencyCase:
    latencies: tuple[int, ...]  # milliseconds, in the order they were logged
    percentile: int


def _position(n: int, percentile: int) -> tuple[int, float]:
    """Index of the lower neighbour and the fraction of the way to the next, NumPy's linear rule."""
    exact = (n - 1) * percentile / 100
    low = math.floor(exact + 1e-12)
    return low, round(exact - low, 10)


def draw_latency(rng: np.random.Generator, params: Mapping[str, Any]) -> LatencyCase:
    low_n, high_n = int(params["min_requests"]), int(params["max_requests"])
    percentile = int(params["percentile"])
    if not 5 <= low_n <= high_n <= 40:
        raise ValueError("need 5 <= min_requests <= max_requests <= 40")
    if percentile not in (*PERCENTILES, 0):
        raise ValueError(f"percentile must be one of {PERCENTILES} or 0 (any of them)")
    if percentile == 0:
        percentile = int(rng.choice(PERCENTILES))
    while True:
        n = int(rng.integers(low_n, high_n, endpoint=True))
        # Most requests are quick; a few hit a cold cache or a slow disk.
        fast = rng.integers(18, 90, endpoint=True, size=n)
        slow = rng.random(n) < 0.15
        values = np.where(slow, rng.integers(120, 900, endpoint=True, size=n), fast)
        low, fraction = _position(n, percentile)
        ordered = np.sort(values)
        value = ordered[low] + fraction * (ordered[min(low + 1, n - 1)] - ordered[low])
        if fraction == 0 or float(value).is_integer():
            continue  # keep the interpolation step in play, and the answer off the list
        return LatencyCase(tuple(int(v) for v in values), percentile)


@register(
    "latency_percentile",
    "p50/p90/p95/p99 of a list of request latencies, NumPy's default linear interpolation",
    percentile=0,
    min_requests=10,
    max_requests=21,
)
def latency_percentile(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Tail latency is what users feel; the percentile rule decides what number you report."""
    case = draw_latency(rng, params)
    values = np.array(case.latencies)
    value = float(np.percentile(values, case.percentile))  # method="linear", NumPy's default
    n, q = len(values), case.percentile
    low, fraction = _position(n, q)
    ordered = np.sort(values)
    below, above = int(ordered[low]), int(ordered[low + 1])
    prompt = (
        f"A service logged these {n} request latencies in milliseconds:\n"
        f"`{_list(list(case.latencies))}`\n"
        f"What is the **p{q}** latency, as `np.percentile(latencies, {q})` computes it "
        "(NumPy's default method, linear interpolation between the two nearest sorted values)? "
        "Give it to two decimals."
    )
    explanation = (
        f"Sort the values: `{_list([int(v) for v in ordered])}`. The linear rule puts p{q} at "
        f"position (n − 1) × {q} / 100 = {n - 1} × {_num(q / 100)} = "
        f"{_num(round((n - 1) * q / 100, 10))}, counting from 0. That lies between "
        f"{below} (index {low}) and {above} (index {low + 1}), {_num(fraction)} of the way: "
        f"{below} + {_num(fraction)} × ({above} − {below}) = **{_num(round(value, 4))}** ms."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.01,
    )


# --- throughput -------------------------------------------------------------------------------

THROUGHPUT_ASKS = ("rate", "workers")
LATENCIES_MS = (8, 12, 20, 25, 40, 50, 80, 120, 250)
UTILISATION_CAPS = (60, 70, 80)  # percent
TRAFFIC = (50, 120, 200, 300, 450, 600, 900, 1500)


@dataclass(frozen=True)
class ThroughputCase:
    latency_ms: int  # time one worker spends on one request
    workers: int  # for "rate"
    traffic: int  # requests per second to carry, for "workers"
    cap_percent: int  # highest share of time a worker may be busy, for "workers"
    ask: str


def throughput_answer(case: ThroughputCase) -> float:
    if case.ask == "rate":
        return float(np.divide(1000 * case.workers, case.latency_ms))
    # traffic / (1000 / latency × cap): rounded before the ceiling so 45.000000001 stays 45
    needed = np.divide(case.traffic * case.latency_ms, 10 * case.cap_percent)
    return float(np.ceil(np.round(needed, 9)))


def draw_throughput(rng: np.random.Generator, params: Mapping[str, Any]) -> ThroughputCase:
    ask = str(params["ask"])
    max_workers = int(params["max_workers"])
    if ask not in (*THROUGHPUT_ASKS, "any"):
        raise ValueError(f"ask must be one of {', '.join(THROUGHPUT_ASKS)} or 'any'")
    if max_workers < 2:
        raise ValueError("max_workers must be at least 2")
    if ask == "any":
        ask = THROUGHPUT_ASKS[int(rng.integers(0, len(THROUGHPUT_ASKS)))]
    while True:
        case = ThroughputCase(
            latency_ms=int(rng.choice(LATENCIES_MS)),
            workers=int(rng.integers(2, max_workers, endpoint=True)),
            traffic=int(rng.choice(TRAFFIC)),
            cap_percent=int(rng.choice(UTILISATION_CAPS)),
            ask=ask,
        )
        answer = throughput_answer(case)
        shown = {case.latency_ms, case.workers} if ask == "rate" else {case.latency_ms}
        if ask == "workers":
            shown |= {case.traffic, case.cap_percent}
            if answer < 2 or answer > 100:
                continue  # one worker is no question; hundreds is not a sensible service
        if round(answer, 1) in shown:
            continue  # the answer must not be a number the prompt already shows
        return case


@register(
    "throughput",
    "Requests per second a pool of workers sustains, or workers needed for a traffic level",
    ask="any",
    max_workers=16,
)
def throughput(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Latency and throughput are different numbers; this links them for one-at-a-time workers."""
    case = draw_throughput(rng, params)
    value = throughput_answer(case)
    per_worker = 1000 / case.latency_ms
    if case.ask == "rate":
        prompt = (
            f"A prediction service runs {case.workers} workers. Each worker handles one request "
            f"at a time, and every request keeps it busy for {case.latency_ms} ms. At most how "
            "many requests per second can the service finish? Give one decimal."
        )
        explanation = (
            f"One worker finishes 1000 / {case.latency_ms} = {_num(round(per_worker, 4))} "
            f"requests a second. {case.workers} workers in parallel: {case.workers} × "
            f"{_num(round(per_worker, 4))} = **{_num(round(value, 4))}** requests per second. "
            "That is a ceiling: near it, queues grow and latency climbs."
        )
        return Draft(
            kind=Kind.NUMERIC,
            prompt=prompt,
            answer=round(value, 4),
            explanation=explanation,
            tolerance=0.05,
        )
    pct = case.cap_percent
    busy = per_worker * pct / 100
    prompt = (
        f"Each worker of a prediction service handles one request at a time, and a request "
        f"keeps it busy for {case.latency_ms} ms. Peak traffic is {case.traffic} requests per "
        f"second, and to keep queues short no worker should be busy more than {pct}% of the "
        "time. What is the smallest number of workers that does it?"
    )
    needed = case.traffic / busy
    explanation = (
        f"One worker finishes 1000 / {case.latency_ms} = {_num(round(per_worker, 4))} requests "
        f"a second flat out, so at {pct}% busy it carries {_num(round(busy, 4))}. "
        f"{case.traffic} / {_num(round(busy, 4))} = {_num(round(needed, 3))}, "
        f"and workers come whole, so round up: **{int(value)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=value, explanation=explanation)
