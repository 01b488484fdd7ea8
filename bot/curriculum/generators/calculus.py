"""Calculus generators: derivatives, the chain rule and a step of gradient descent.

Training a model is following a derivative downhill, so these questions drill exactly the pieces
that backpropagation and optimisers are built from. Each builder draws its case with a public
`draw_*` function and evaluates the answer with numpy's polynomial tools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------


def _int_range(params: Mapping[str, Any], low: str, high: str) -> tuple[int, int]:
    """Read an inclusive integer range, refusing one that leaves nothing to draw."""
    lo, hi = int(params[low]), int(params[high])
    if lo >= hi:
        raise ValueError(f"{low} ({lo}) must be below {high} ({hi})")
    return lo, hi


def _num(value: float) -> str:
    """Short text for a number: 3 rather than 3.0, 0.25 rather than 0.250000."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _p(value: float) -> str:
    """A number ready to sit inside a product: negatives get brackets."""
    return f"({_num(value)})" if value < 0 else _num(value)


def poly_text(coefficients: Sequence[float]) -> str:
    """`[4, 0, -1, 2]` (lowest power first) as `2x^3 - x^2 + 4`."""
    terms: list[str] = []
    for power in range(len(coefficients) - 1, -1, -1):
        c = float(coefficients[power])
        if c == 0:
            continue
        size = abs(c)
        if power == 0:
            body = _num(size)
        else:
            head = "" if size == 1 else _num(size)
            body = head + ("x" if power == 1 else f"x^{power}")
        if not terms:
            terms.append(f"-{body}" if c < 0 else body)
        else:
            terms.append(f"- {body}" if c < 0 else f"+ {body}")
    return " ".join(terms) if terms else "0"


def _power(base: str, exponent: int) -> str:
    return base if exponent == 1 else f"{base}^{exponent}"


# --- derivative of a polynomial ---------------------------------------------------------------


@dataclass(frozen=True)
class PolyCase:
    coefficients: tuple[int, ...]  # lowest power first; the last one is never 0
    x: int


def draw_poly(rng: np.random.Generator, params: Mapping[str, Any]) -> PolyCase:
    degree = int(params["degree"])
    if degree < 1:
        raise ValueError("degree must be at least 1")
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    lower = rng.integers(lo, hi, endpoint=True, size=degree)
    nonzero = [v for v in range(lo, hi + 1) if v != 0]
    if not nonzero:
        raise ValueError("the coefficient range must contain a nonzero value")
    leading = int(rng.choice(nonzero))
    x = int(rng.integers(x_lo, x_hi, endpoint=True))
    return PolyCase(coefficients=(*(int(v) for v in lower), leading), x=x)


@register(
    "polynomial_derivative",
    "Value of a polynomial's derivative at a point (power rule)",
    degree=3,
    low=-3,
    high=3,
    x_low=-2,
    x_high=2,
)
def polynomial_derivative(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """The power rule is the first derivative anyone computes; here it is checked at a point."""
    case = draw_poly(rng, params)
    f = Polynomial(case.coefficients)
    df = f.deriv()
    answer = float(df(case.x))
    df_coefficients = [float(c) for c in df.coef]
    terms = [
        f"{_p(c)}×{_p(case.x)}^{k}" if k > 1 else (f"{_p(c)}×{_p(case.x)}" if k == 1 else _p(c))
        for k, c in enumerate(df_coefficients)
        if c != 0
    ]
    prompt = f"Let `f(x) = {poly_text(case.coefficients)}`.\nWhat is `f'({case.x})`?"
    explanation = (
        "Power rule: the derivative of c·x^n is n·c·x^(n−1), and constants vanish. "
        f"So `f'(x) = {poly_text(df_coefficients)}`. "
        f"At x = {case.x}: {' + '.join(reversed(terms)) or '0'} = **{_num(answer)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=answer, explanation=explanation)


# --- chain rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCase:
    a: int  # inner slope, never 0
    b: int  # inner intercept
    power: int
    x: int


def draw_chain(rng: np.random.Generator, params: Mapping[str, Any]) -> ChainCase:
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    max_power = int(params["max_power"])
    if max_power < 2:
        raise ValueError("max_power must be at least 2")
    nonzero = [v for v in range(lo, hi + 1) if v != 0]
    if not nonzero:
        raise ValueError("the coefficient range must contain a nonzero value")
    a = int(rng.choice(nonzero))
    b = int(rng.integers(lo, hi, endpoint=True))
    power = int(rng.integers(2, max_power, endpoint=True))
    x = int(rng.integers(x_lo, x_hi, endpoint=True))
    return ChainCase(a=a, b=b, power=power, x=x)


@register(
    "chain_rule",
    "Derivative of (a·x + b)^n at a point via the chain rule",
    low=-3,
    high=3,
    x_low=-2,
    x_high=2,
    max_power=3,
)
def chain_rule(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Backpropagation is the chain rule applied layer by layer; this is one link of it."""
    case = draw_chain(rng, params)
    inner = Polynomial([case.b, case.a])
    h = inner**case.power
    answer = float(h.deriv()(case.x))
    u = case.a * case.x + case.b
    n = case.power
    inner_text = poly_text([case.b, case.a])
    prompt = f"Let `h(x) = ({inner_text})^{n}`.\nUse the chain rule: what is `h'({case.x})`?"
    explanation = (
        f"Write h(x) = g(u) with u = {inner_text} and g(u) = u^{n}. "
        f"Then h'(x) = g'(u) · u'(x) = {n}·{_power('u', n - 1)} · {_p(case.a)}. "
        f"At x = {case.x}: u = {_p(case.a)}×{_p(case.x)} + {_p(case.b)} = {u}, so "
        f"h'({case.x}) = {n} × {_power(_p(u), n - 1)} × {_p(case.a)} = **{_num(answer)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=answer, explanation=explanation)


def _square_text(b: int) -> str:
    """(x - b)^2 written the way a person would: x^2, (x - 3)^2, (x + 2)^2."""
    if b == 0:
        return "x^2"
    return f"(x - {b})^2" if b > 0 else f"(x + {-b})^2"


# --- one step of gradient descent -------------------------------------------------------------

LEARNING_RATES = (0.01, 0.05, 0.1, 0.125, 0.25)


@dataclass(frozen=True)
class DescentCase:
    a: int  # curvature, positive
    b: int  # where the minimum is
    x0: int  # starting point, never the minimum
    lr: float


def draw_descent(rng: np.random.Generator, params: Mapping[str, Any]) -> DescentCase:
    a_max = int(params["a_max"])
    if a_max < 1:
        raise ValueError("a_max must be at least 1")
    b_lo, b_hi = _int_range(params, "b_low", "b_high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    a = int(rng.integers(1, a_max, endpoint=True))
    b = int(rng.integers(b_lo, b_hi, endpoint=True))
    starts = [v for v in range(x_lo, x_hi + 1) if v != b]
    x0 = int(rng.choice(starts))
    # Keep 2·a·lr <= 1 so the step never overshoots the minimum: the story stays "downhill".
    rates = [r for r in LEARNING_RATES if 2 * a * r <= 1]
    if not rates:
        raise ValueError("a_max is too large for the available learning rates")
    lr = float(rng.choice(rates))
    return DescentCase(a=a, b=b, x0=x0, lr=lr)


@register(
    "gradient_descent_step",
    "Where one gradient-descent step on f(x) = a(x − b)^2 lands",
    a_max=3,
    b_low=-4,
    b_high=4,
    x_low=-5,
    x_high=5,
)
def gradient_descent_step(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Every optimiser is a refinement of this one update: x ← x − lr · f'(x)."""
    case = draw_descent(rng, params)
    f = Polynomial([case.a * case.b**2, -2 * case.a * case.b, case.a])  # a(x - b)^2 expanded
    gradient = float(f.deriv()(case.x0))
    answer = round(case.x0 - case.lr * gradient, 6)
    f_text = f"{case.a}·{_square_text(case.b)}" if case.a != 1 else _square_text(case.b)
    prompt = (
        f"Gradient descent on `f(x) = {f_text}` starts at `x = {case.x0}` "
        f"with learning rate `{_num(case.lr)}`.\n"
        "Where is x after **one** update?"
    )
    explanation = (
        f"The derivative is f'(x) = 2·{case.a}·(x − {_p(case.b)}). At x = {case.x0} it is "
        f"{2 * case.a}×({case.x0} − {_p(case.b)}) = {_num(gradient)}. The update moves against "
        f"the slope: x ← x − lr·f'(x) = {case.x0} − {_num(case.lr)}×{_p(gradient)} = "
        f"**{_num(answer)}**. The minimum is at x = {case.b}, and the step moved towards it."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        tolerance=0.001,
    )
