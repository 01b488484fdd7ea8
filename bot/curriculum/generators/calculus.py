"""Calculus generators: derivatives, partial derivatives, the chain rule, descent steps, batches.

Training a model is following a derivative downhill, so these questions drill exactly the pieces
that backpropagation and optimisers are built from. Each builder draws its case with a public
`draw_*` function and evaluates the answer with numpy (its polynomial tools wherever the function
allows), so no answer is typed by hand. Formulas are written as prose with superscripts (x², not
x^2) and with the signs a person would write: no "+ 0", "1x" or "- -3".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial
from numpy.polynomial import polynomial as P

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")
MAX_DRAWS = 1000  # redraws allowed before a parameter set is declared too narrow


def _int_range(params: Mapping[str, Any], low: str, high: str) -> tuple[int, int]:
    """Read an inclusive integer range, refusing one that leaves nothing to draw."""
    lo, hi = int(params[low]), int(params[high])
    if lo >= hi:
        raise ValueError(f"{low} ({lo}) must be below {high} ({hi})")
    return lo, hi


def _nonzero(lo: int, hi: int) -> list[int]:
    values = [v for v in range(lo, hi + 1) if v != 0]
    if not values:
        raise ValueError("the coefficient range must contain a nonzero value")
    return values


def _num(value: float) -> str:
    """Short text for a number: 3 rather than 3.0, 0.25 rather than 0.250000, never -0."""
    value = float(value) + 0.0
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _sig(value: float, digits: int = 4) -> str:
    """A worked intermediate value, rounded for reading: 20.09, 0.1966, -3.5."""
    value = float(value) + 0.0
    if value.is_integer():
        return str(int(value))
    text = f"{value:.{digits}g}"
    return "0" if float(text) == 0 else text


def _approx(value: float) -> str:
    """`= 1` for an exact value such as exp(0) or ln(1), `≈ 7.389` for a rounded one."""
    return f"= {_num(value)}" if float(value).is_integer() else f"≈ {_sig(value)}"


def _p(value: float) -> str:
    """A number ready to sit inside a product: negatives get brackets."""
    return f"({_num(value)})" if float(value) < 0 else _num(value)


def _sup(exponent: int) -> str:
    return str(exponent).translate(_SUPERSCRIPT)


def _var(name: str, exponent: int) -> str:
    """x, x², x³: a variable raised to a power, written for prose."""
    if exponent == 0:
        return ""
    return name if exponent == 1 else name + _sup(exponent)


def _signed_join(terms: Sequence[tuple[float, str]]) -> str:
    """Join (coefficient, body) terms as a person writes them: `2x² - x + 4`, never `+ -1x`.

    `body` is the variable part ("" for a constant); zero coefficients are skipped.
    """
    parts: list[str] = []
    for coefficient, body in terms:
        c = float(coefficient)
        if c == 0:
            continue
        size = abs(c)
        if body:
            head = "" if size == 1 else _num(size)
            text = head + body
        else:
            text = _num(size)
        if not parts:
            parts.append(f"-{text}" if c < 0 else text)
        else:
            parts.append(f"- {text}" if c < 0 else f"+ {text}")
    return " ".join(parts) if parts else "0"


def poly_text(coefficients: Sequence[float], name: str = "x") -> str:
    """`[4, 0, -1, 2]` (lowest power first) as `2x³ - x² + 4`."""
    terms = [(coefficients[k], _var(name, k)) for k in range(len(coefficients) - 1, -1, -1)]
    return _signed_join(terms)


def _substituted(terms: Sequence[tuple[float, Sequence[tuple[int, int]]]]) -> str:
    """Arithmetic with the point plugged in: `6×(-1)² - 2×(-1) - 3`.

    Each term is (coefficient, [(value, exponent), ...]); zero coefficients are skipped.
    """
    parts: list[str] = []
    for coefficient, factors in terms:
        c = float(coefficient)
        if c == 0:
            continue
        size = abs(c)
        live = [(value, exponent) for value, exponent in factors if exponent > 0]
        powers = [_p(v) if e == 1 else f"{_p(v)}{_sup(e)}" for v, e in live]
        if not powers:
            text = _num(size)
        elif not parts and c == -1 and all(value == 0 for value, _ in live):
            text, c = "0", 1.0  # a leading -0 is plain 0
        elif not parts and c == 1 and len(live) == 1 and live[0][1] == 1:
            text = _num(live[0][0])  # a leading plain value needs no brackets: -4 + 2
        elif not parts and c == -1 and any(exponent > 1 for _, exponent in live):
            text = "(" + "×".join(powers) + ")"  # -(2²), not -2², which reads as (-2)²
        elif size == 1:
            text = "×".join(powers)
        else:
            text = "×".join([_num(size), *powers])
        if not parts:
            parts.append(f"-{text}" if c < 0 else text)
        else:
            parts.append(f"- {text}" if c < 0 else f"+ {text}")
    return " ".join(parts) if parts else "0"


def _poly_at(coefficients: Sequence[float], x: int) -> str:
    """`f'(x)`'s arithmetic at x, highest power first."""
    terms = [(coefficients[k], [(x, k)]) for k in range(len(coefficients) - 1, -1, -1)]
    return _substituted(terms)


def _linear_at(a: int, b: int, x: int) -> str:
    """`a×x + b` with x plugged in, as a person writes it: `2×(-1) + 3`, `-2 - 1`, `4`."""
    return _substituted([(a, [(x, 1)]), (b, [])])


def _worked(arithmetic: str, value: float) -> str:
    """`2×3 + 1 = 7`, or just `-2` when there is no arithmetic left to show."""
    return arithmetic if arithmetic == _num(value) else f"{arithmetic} = {_num(value)}"


def _numbers_in(text: str) -> set[str]:
    """The numbers a prompt shows (digits only, signs dropped), to keep answers out of it."""
    return {token.replace(",", "") for token in _TOKEN.findall(text)}


def _leaks(answer: float, prompt: str) -> bool:
    """True when the answer, as a member would type it, is one of the numbers in the prompt."""
    return _num(abs(answer)) in _numbers_in(prompt)


def _redraw(draw_once: Callable[[], Any], leaks: Callable[[Any], bool]) -> Any:
    """Draw until the case does not show its own answer; refuse parameters that always do."""
    for _ in range(MAX_DRAWS):
        case = draw_once()
        if not leaks(case):
            return case
    raise ValueError("these parameters leave no case whose prompt hides its answer")


# --- derivative of a polynomial ---------------------------------------------------------------


@dataclass(frozen=True)
class PolyCase:
    coefficients: tuple[int, ...]  # lowest power first; the last one is never 0
    x: int


def poly_value(case: PolyCase) -> float:
    """f'(x) at the case's point, by numpy's polynomial derivative."""
    return float(Polynomial(case.coefficients).deriv()(case.x)) + 0.0


def _poly_prompt(case: PolyCase) -> str:
    return f"Let f(x) = {poly_text(case.coefficients)}.\nWhat is f'({case.x})?"


def draw_poly(rng: np.random.Generator, params: Mapping[str, Any]) -> PolyCase:
    degree = int(params["degree"])
    if degree < 1:
        raise ValueError("degree must be at least 1")
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")

    def once() -> PolyCase:
        lower = rng.integers(lo, hi, endpoint=True, size=degree)
        leading = int(rng.choice(_nonzero(lo, hi)))
        x = int(rng.integers(x_lo, x_hi, endpoint=True))
        return PolyCase(coefficients=(*(int(v) for v in lower), leading), x=x)

    return _redraw(once, lambda case: _leaks(poly_value(case), _poly_prompt(case)))


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
    answer = poly_value(case)
    df_coefficients = [int(c) for c in Polynomial(case.coefficients).deriv().coef]
    prompt = _poly_prompt(case)
    explanation = (
        "Power rule: the derivative of c·xⁿ is n·c·xⁿ⁻¹, and constants vanish. "
        f"So f'(x) = {poly_text(df_coefficients)}. "
        f"At x = {case.x}: {_poly_at(df_coefficients, case.x)} = **{_num(answer)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=answer, explanation=explanation)


# --- chain rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCase:
    a: int  # inner slope, never 0
    b: int  # inner intercept
    power: int
    x: int


def chain_value(case: ChainCase) -> float:
    """h'(x) for h = (a·x + b)ⁿ, by differentiating the expanded polynomial with numpy."""
    h = Polynomial([case.b, case.a]) ** case.power
    return float(h.deriv()(case.x)) + 0.0


def _chain_prompt(case: ChainCase) -> str:
    inner = poly_text([case.b, case.a])
    return f"Let h(x) = ({inner}){_sup(case.power)}.\nUse the chain rule: what is h'({case.x})?"


def draw_chain(rng: np.random.Generator, params: Mapping[str, Any]) -> ChainCase:
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    max_power = int(params["max_power"])
    if max_power < 2:
        raise ValueError("max_power must be at least 2")

    def once() -> ChainCase:
        a = int(rng.choice(_nonzero(lo, hi)))
        b = int(rng.integers(lo, hi, endpoint=True))
        power = int(rng.integers(2, max_power, endpoint=True))
        x = int(rng.integers(x_lo, x_hi, endpoint=True))
        return ChainCase(a=a, b=b, power=power, x=x)

    return _redraw(once, lambda case: _leaks(chain_value(case), _chain_prompt(case)))


@register(
    "chain_rule",
    "Derivative of (a·x + b)ⁿ at a point via the chain rule",
    low=-3,
    high=3,
    x_low=-2,
    x_high=2,
    max_power=3,
)
def chain_rule(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Backpropagation is the chain rule applied layer by layer; this is one link of it."""
    case = draw_chain(rng, params)
    answer = chain_value(case)
    u = case.a * case.x + case.b
    n = case.power
    inner_text = poly_text([case.b, case.a])
    prompt = _chain_prompt(case)
    outer_slope = f"{n}u" if n == 2 else f"{n}u{_sup(n - 1)}"
    u_power = _p(u) if n == 2 else f"{_p(u)}{_sup(n - 1)}"
    explanation = (
        f"Write h(x) = g(u) with u = {inner_text} and g(u) = u{_sup(n)}. "
        f"Then h'(x) = g'(u) · u'(x) = {outer_slope} · {_p(case.a)}. "
        f"At x = {case.x}: u = {_worked(_linear_at(case.a, case.b, case.x), u)}, so "
        f"h'({case.x}) = {n} × {u_power} × {_p(case.a)} = **{_num(answer)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=answer, explanation=explanation)


# --- one step of gradient descent -------------------------------------------------------------

LEARNING_RATES = (0.01, 0.05, 0.1, 0.125, 0.25)


def _shifted(b: int) -> str:
    """x - b written the way a person would: x, x - 3, x + 2."""
    if b == 0:
        return "x"
    return f"x - {b}" if b > 0 else f"x + {-b}"


@dataclass(frozen=True)
class DescentCase:
    a: int  # curvature, positive
    b: int  # where the minimum is
    x0: int  # starting point, never the minimum
    lr: float


def _descent_polynomial(case: DescentCase) -> Polynomial:
    return Polynomial([case.a * case.b**2, -2 * case.a * case.b, case.a])  # a(x - b)² expanded


def descent_value(case: DescentCase) -> float:
    """x after one step x ← x − lr·f'(x), f'(x) by numpy's polynomial derivative."""
    gradient = float(_descent_polynomial(case).deriv()(case.x0))
    return round(case.x0 - case.lr * gradient, 6) + 0.0


def _descent_prompt(case: DescentCase) -> str:
    square = "x²" if case.b == 0 else f"({_shifted(case.b)})²"
    f_text = square if case.a == 1 else f"{case.a}{square}"
    return (
        f"Gradient descent on f(x) = {f_text} starts at x = {case.x0} "
        f"with learning rate {_num(case.lr)}.\n"
        "Where is x after **one** update?"
    )


def draw_descent(rng: np.random.Generator, params: Mapping[str, Any]) -> DescentCase:
    a_max = int(params["a_max"])
    if a_max < 1:
        raise ValueError("a_max must be at least 1")
    b_lo, b_hi = _int_range(params, "b_low", "b_high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")

    def once() -> DescentCase:
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

    return _redraw(once, lambda case: _leaks(descent_value(case), _descent_prompt(case)))


@register(
    "gradient_descent_step",
    "Where one gradient-descent step on f(x) = a(x − b)² lands",
    a_max=3,
    b_low=-4,
    b_high=4,
    x_low=-5,
    x_high=5,
)
def gradient_descent_step(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Every optimiser is a refinement of this one update: x ← x − lr · f'(x)."""
    case = draw_descent(rng, params)
    gradient = float(_descent_polynomial(case).deriv()(case.x0)) + 0.0
    answer = descent_value(case)
    slope = 2 * case.a
    if case.b == 0:
        df_text = f"{slope}x"
        at_x0 = f"{slope} × {_p(case.x0)}"
    else:
        df_text = f"{slope}({_shifted(case.b)})"
        gap = _substituted([(1, [(case.x0, 1)]), (-case.b, [])])
        at_x0 = f"{slope} × ({gap})"
    prompt = _descent_prompt(case)
    explanation = (
        f"The derivative is f'(x) = {df_text}. At x = {case.x0} it is "
        f"{at_x0} = {_num(gradient)}. The update moves against the slope: "
        f"x ← x - lr·f'(x) = {case.x0} - {_num(case.lr)} × {_p(gradient)} = "
        f"**{_num(answer)}**. The minimum is at x = {case.b}, and the step moved towards it."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        tolerance=0.001,
    )


# --- derivative of a product, quotient or composition at a point -------------------------------

FAMILIES = ("product_exp", "quotient", "log_product", "log_composition", "sigmoid")
EXP_RATES = (-2, -1, 1, 2)
DENOMINATOR_SHIFTS = (1, 2, 3, 4)


@dataclass(frozen=True)
class PointCase:
    """f(x) built from integers; which of them matter depends on the family.

    product_exp:     (a·x + b)·exp(c·x)
    quotient:        (a·x + b) / (x² + c)           c > 0, so no pole
    log_product:     (a·x + b)·ln(x)                x > 0
    log_composition: ln(x² + b·x + c)               b² < 4c, so the inside stays positive
    sigmoid:         σ(a·x + b), σ(t) = 1 / (1 + exp(-t))
    """

    family: str
    a: int
    b: int
    c: int
    x: int


def _exp_text(c: int) -> str:
    return f"exp({poly_text([0, c])})"


def _scaled(c: int, text: str) -> str:
    """c·text as written: `exp(x)`, `-exp(-x)`, `2·exp(2x)`."""
    if c == 1:
        return text
    return f"-{text}" if c == -1 else f"{c}·{text}"


def _signed_tail(value: int, rest: str) -> str:
    """` + 7 / 2` or ` - 5 / 2` after an expression; nothing for a zero term."""
    if value == 0:
        return ""
    return f" + {value}{rest}" if value > 0 else f" - {-value}{rest}"


def _linear_factor(a: int, b: int) -> str:
    """`(2x - 1)` as a factor, or `3x` / `x` / `-x` when there is nothing to add."""
    text = poly_text([b, a])
    return f"({text})" if b != 0 else text


def point_function_text(case: PointCase) -> str:
    """The drawn f(x) as prose: `(2x - 1)·exp(-x)`, `ln(x² - 2x + 3)`, `σ(3x + 1)`."""
    a, b, c = case.a, case.b, case.c
    if case.family == "product_exp":
        return f"{_linear_factor(a, b)}·{_exp_text(c)}"
    if case.family == "quotient":
        return f"{_linear_factor(a, b)} / (x² + {c})"
    if case.family == "log_product":
        return f"{_linear_factor(a, b)}·ln(x)"
    if case.family == "log_composition":
        return f"ln({poly_text([c, b, 1])})"
    return f"σ({poly_text([b, a])})"


def point_derivative(case: PointCase) -> float:
    """f'(x) at the case's point: the polynomial parts differentiated by numpy.polynomial."""
    x = float(case.x)
    inner = Polynomial([case.b, case.a])  # a·x + b
    if case.family == "product_exp":
        # d/dx [p(x)·exp(cx)] = (p'(x) + c·p(x))·exp(cx)
        value = float((inner.deriv() + case.c * inner)(x) * np.exp(case.c * x))
    elif case.family == "quotient":
        q = Polynomial([case.c, 0, 1])
        value = float((inner.deriv() * q - inner * q.deriv())(x) / q(x) ** 2)
    elif case.family == "log_product":
        value = float(inner.deriv()(x) * np.log(x) + inner(x) / x)
    elif case.family == "log_composition":
        q = Polynomial([case.c, case.b, 1])
        value = float(q.deriv()(x) / q(x))
    else:
        s = 1.0 / (1.0 + np.exp(-inner(x)))
        value = float(inner.deriv()(x) * s * (1.0 - s))
    return 0.0 if abs(value) < 1e-12 else value + 0.0


def _point_prompt(case: PointCase) -> str:
    lead = ""
    if case.family == "sigmoid":
        lead = "The sigmoid is σ(t) = 1 / (1 + exp(-t)). "
    return (
        f"{lead}Let f(x) = {point_function_text(case)}.\n"
        f"What is f'({case.x})? Give three significant figures."
    )


def draw_derivative_at_point(rng: np.random.Generator, params: Mapping[str, Any]) -> PointCase:
    family = str(params["family"])
    if family not in (*FAMILIES, "any"):
        raise ValueError(f"family must be one of {', '.join(FAMILIES)} or 'any'")
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    slopes = _nonzero(lo, hi)

    def once() -> PointCase:
        chosen = family if family != "any" else str(FAMILIES[int(rng.integers(len(FAMILIES)))])
        a = int(rng.choice(slopes))
        b = int(rng.integers(lo, hi, endpoint=True))
        xs = list(range(x_lo, x_hi + 1))
        c = 0
        if chosen == "product_exp":
            c = int(rng.choice(EXP_RATES))
        elif chosen == "quotient":
            c = int(rng.choice(DENOMINATOR_SHIFTS))
        elif chosen == "log_product":
            xs = [v for v in xs if v > 0] or [1, 2, 3]
        elif chosen == "log_composition":
            a = 1
            c = int(rng.choice(DENOMINATOR_SHIFTS))
            bs = [v for v in range(lo, hi + 1) if v * v < 4 * c]
            b = int(rng.choice(bs)) if bs else 0
        else:  # sigmoid: keep a·x + b within ±3, where the curve is not flat
            xs = [v for v in xs if abs(a * v + b) <= 3] or [min(xs, key=lambda v: abs(a * v + b))]
        x = int(rng.choice(xs))
        return PointCase(family=chosen, a=a, b=b, c=c, x=x)

    return _redraw(once, lambda case: _leaks(point_derivative(case), _point_prompt(case)))


def _point_explanation(case: PointCase, answer: float) -> str:
    a, b, c, x = case.a, case.b, case.c, case.x
    u = a * x + b
    u_text = poly_text([b, a])
    u_at = _worked(_linear_at(a, b, x), u)
    result = f"**{_sig(answer)}**"
    if case.family == "product_exp":
        v = float(np.exp(c * x))
        exp_at = f"exp({_num(c * x)})"
        return (
            f"Product rule with u = {u_text} and v = {_exp_text(c)}: f' = u'·v + u·v', where "
            f"u' = {a} and v' = {_scaled(c, _exp_text(c))} (chain rule). "
            f"At x = {x}: u = {u_at} and v = {exp_at} {_approx(v)}, so "
            f"f'({x}) = ({a} + {_p(c)} × {_p(u)}) × {_sig(v)} = {result}."
        )
    if case.family == "quotient":
        q, dq = x * x + c, 2 * x
        top = a * q - u * dq
        return (
            f"Quotient rule with u = {u_text} and v = x² + {c}: f' = (u'·v - u·v') / v², where "
            f"u' = {a} and v' = 2x. At x = {x}: u = {u_at}, v = {q}, v' = {dq}, so "
            f"f'({x}) = ({a} × {q} - {_p(u)} × {_p(dq)}) / {q}² = {top} / {q * q} = {result}."
        )
    if case.family == "log_product":
        return (
            f"Product rule with u = {u_text} and v = ln(x): f' = u'·ln(x) + u·(1/x). "
            f"At x = {x}: u = {u_at} and ln({x}) {_approx(float(np.log(x)))}, so "
            f"f'({x}) = {a} × ln({x}){_signed_tail(u, f' / {x}')} = {result}."
        )
    if case.family == "log_composition":
        inside = poly_text([c, b, 1])
        q = x * x + b * x + c
        dq = 2 * x + b
        return (
            f"Chain rule: the outer function is ln(u) with slope 1/u, and the inside "
            f"u = {inside} has slope {poly_text([b, 2])}. So f'(x) = ({poly_text([b, 2])}) / "
            f"({inside}). At x = {x}: f'({x}) = {dq} / {q} = {result}."
        )
    s = float(1.0 / (1.0 + np.exp(-u)))
    return (
        f"Chain rule: σ'(t) = σ(t)·(1 - σ(t)), and the inside t = {u_text} has slope {a}. "
        f"At x = {x}: t = {u_at}, σ({u}) ≈ {_sig(s)}, so "
        f"f'({x}) = {_sig(s)} × {_sig(1 - s)} × {_p(a)} = {result}."
    )


@register(
    "derivative_at_point",
    "Derivative at a point of a product, quotient, log or sigmoid of simple terms",
    family="any",
    low=-3,
    high=3,
    x_low=-2,
    x_high=2,
)
def derivative_at_point(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Losses are rarely bare polynomials: sigmoids, logs and products need the other rules."""
    case = draw_derivative_at_point(rng, params)
    answer = point_derivative(case)
    return Draft(
        kind=Kind.NUMERIC,
        prompt=_point_prompt(case),
        answer=answer,
        explanation=_point_explanation(case, answer),
        tolerance=0.0,
        rel_tolerance=5e-3,
    )


# --- one partial derivative of a two-variable function ----------------------------------------

PARTIAL_FAMILIES = ("polynomial", "squared_error", "exponential")
# Monomials x^i·y^j a drawn polynomial may use, highest degree first.
MONOMIALS = ((2, 1), (1, 2), (2, 0), (1, 1), (0, 2), (1, 0), (0, 1))


@dataclass(frozen=True)
class PartialCase:
    """A function of two variables, which partial is asked, and the point.

    polynomial:    terms are (coefficient, i, j) for coefficient·xⁱ·yʲ; variables x and y.
    squared_error: L(w, b) = (w·data_x + b - data_y)²; variables w and b.
    exponential:   f(x, y) = exp(p·x + q·y) + r·x·y; terms hold (p, q, r).
    """

    family: str
    terms: tuple[tuple[int, int, int], ...]
    variable: int  # 0: the first variable, 1: the second
    point: tuple[int, int]
    data: tuple[int, int] = (0, 0)  # squared_error only: (x, y) of the example


def _coefficient_grid(terms: Sequence[tuple[int, int, int]]) -> np.ndarray:
    grid = np.zeros((3, 3))
    for coefficient, i, j in terms:
        grid[i, j] += coefficient
    return grid


def _two_var_text(terms: Sequence[tuple[int, int, int]]) -> str:
    return _signed_join([(c, _var("x", i) + _var("y", j)) for c, i, j in terms])


def partial_value(case: PartialCase) -> float:
    """The asked partial derivative at the point, computed with numpy."""
    u, v = case.point
    if case.family == "polynomial":
        grid = P.polyder(_coefficient_grid(case.terms), axis=case.variable)
        value = float(P.polyval2d(u, v, grid))
    elif case.family == "squared_error":
        x, y = case.data
        residual = u * x + v - y
        value = float(2 * residual * np.array([x, 1])[case.variable])
    else:
        ((p, q, r),) = case.terms
        e = np.exp(p * u + q * v)
        value = float(np.array([p * e + r * v, q * e + r * u])[case.variable])
    return 0.0 if abs(value) < 1e-12 else value + 0.0


def _partial_names(case: PartialCase) -> tuple[str, str]:
    return ("w", "b") if case.family == "squared_error" else ("x", "y")


def _partial_prompt(case: PartialCase) -> str:
    first, second = _partial_names(case)
    asked = (first, second)[case.variable]
    u, v = case.point
    if case.family == "squared_error":
        x, y = case.data
        return (
            f"A model predicts ŷ = w·x + b. On one example with x = {x} and y = {y}, "
            "its squared error is L(w, b) = (w·x + b - y)².\n"
            f"What is ∂L/∂{asked} at w = {u}, b = {v}?"
        )
    if case.family == "polynomial":
        text = _two_var_text(case.terms)
        tail = ""
    else:
        ((p, q, r),) = case.terms
        exponent = _signed_join([(p, "x"), (q, "y")])
        text = f"exp({exponent}) {'-' if r < 0 else '+'} {_signed_join([(abs(r), 'xy')])}"
        tail = " Give three significant figures."
    return f"Let f(x, y) = {text}.\nWhat is ∂f/∂{asked} at (x, y) = ({u}, {v})?{tail}"


def draw_partial_derivative(rng: np.random.Generator, params: Mapping[str, Any]) -> PartialCase:
    family = str(params["family"])
    if family not in (*PARTIAL_FAMILIES, "any"):
        raise ValueError(f"family must be one of {', '.join(PARTIAL_FAMILIES)} or 'any'")
    lo, hi = _int_range(params, "low", "high")
    x_lo, x_hi = _int_range(params, "x_low", "x_high")
    coefficients = _nonzero(lo, hi)

    def once() -> PartialCase:
        chosen = family
        if chosen == "any":
            chosen = str(PARTIAL_FAMILIES[int(rng.integers(len(PARTIAL_FAMILIES)))])
        variable = int(rng.integers(2))
        point = (
            int(rng.integers(x_lo, x_hi, endpoint=True)),
            int(rng.integers(x_lo, x_hi, endpoint=True)),
        )
        if chosen == "polynomial":
            count = int(rng.integers(3, 5, endpoint=True))
            picked = sorted(rng.choice(len(MONOMIALS), size=count, replace=False).tolist())
            terms = tuple((int(rng.choice(coefficients)), *MONOMIALS[k]) for k in picked)
            # Both variables must appear, or one partial is 0 everywhere.
            if not any(i for _, i, _ in terms) or not any(j for _, _, j in terms):
                terms = (*terms, (int(rng.choice(coefficients)), 1, 1))
            return PartialCase(chosen, tuple(sorted(terms, key=_monomial_rank)), variable, point)
        if chosen == "squared_error":
            data = (int(rng.choice(coefficients)), int(rng.integers(-5, 5, endpoint=True)))
            return PartialCase(chosen, (), variable, point, data)
        p, q = (int(v) for v in rng.choice(EXP_RATES, size=2))
        r = int(rng.choice(coefficients))
        small = tuple(max(-1, min(1, v)) for v in point)  # keep exp() readable
        return PartialCase(chosen, ((p, q, r),), variable, (small[0], small[1]))

    return _redraw(once, lambda case: _leaks(partial_value(case), _partial_prompt(case)))


def _monomial_rank(term: tuple[int, int, int]) -> int:
    return MONOMIALS.index((term[1], term[2]))


def _partial_explanation(case: PartialCase, answer: float) -> str:
    first, second = _partial_names(case)
    asked, held = ((first, second), (second, first))[case.variable]
    u, v = case.point
    result = f"**{_num(answer)}**" if case.family != "exponential" else f"**{_sig(answer)}**"
    if case.family == "squared_error":
        x, y = case.data
        residual = u * x + v - y
        inner = "x" if case.variable == 0 else "1"
        factor = f" × {_p(x)}" if case.variable == 0 else ""
        return (
            f"Hold {held} fixed and use the chain rule: ∂L/∂{asked} = 2(w·x + b - y) × "
            f"∂(w·x + b - y)/∂{asked} = 2(w·x + b - y) × {inner}. The residual is "
            f"w·x + b - y = {_substituted([(1, [(u, 1), (x, 1)]), (v, []), (-y, [])])} = "
            f"{residual}, so ∂L/∂{asked} = 2 × {_p(residual)}{factor} = {result}."
        )
    if case.family == "polynomial":
        derived = []
        for c, i, j in case.terms:
            power = (i, j)[case.variable]
            if power == 0:
                continue
            ni, nj = (i - 1, j) if case.variable == 0 else (i, j - 1)
            derived.append((c * power, ni, nj))
        substituted = _substituted([(c, [(u, i), (v, j)]) for c, i, j in derived])
        return (
            f"Treat {held} as a constant and differentiate term by term: terms without "
            f"{asked} vanish, and the power rule handles the rest. ∂f/∂{asked} = "
            f"{_two_var_text(derived)}. At ({u}, {v}): {substituted} = {result}."
        )
    ((p, q, r),) = case.terms
    e = float(np.exp(p * u + q * v))
    slope, other = ((p, v), (q, u))[case.variable]
    return (
        f"Treat {held} as a constant. The chain rule gives exp(…) times the slope of the "
        f"exponent in {asked}, which is {slope}; the term {_signed_join([(r, 'xy')])} "
        f"contributes {_signed_join([(r, held)])}. At ({u}, {v}): exp({_num(p * u + q * v)}) "
        f"{_approx(e)}, so ∂f/∂{asked} = {_p(slope)} × {_sig(e)} + {_p(r)} × {_p(other)} = "
        f"{result}."
    )


@register(
    "partial_derivative",
    "One component of the gradient of a two-variable function at a point",
    family="any",
    low=-3,
    high=3,
    x_low=-2,
    x_high=2,
)
def partial_derivative(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A gradient is a list of partial derivatives; computing one by hand shows what it means."""
    case = draw_partial_derivative(rng, params)
    answer = partial_value(case)
    exponential = case.family == "exponential"
    return Draft(
        kind=Kind.NUMERIC,
        prompt=_partial_prompt(case),
        answer=answer,
        explanation=_partial_explanation(case, answer),
        tolerance=0.0 if exponential else 1e-6,
        rel_tolerance=5e-3 if exponential else 0.0,
    )


# --- mini-batch updates per epoch -------------------------------------------------------------

BATCH_SIZES = (8, 16, 20, 32, 50, 64, 100, 128, 256)
LAST_BATCH = ("keep", "drop")
EPOCH_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 10: "ten", 20: "twenty"}


@dataclass(frozen=True)
class StepsCase:
    n: int  # examples in the training set
    batch: int
    last: str  # "keep" or "drop" the final, smaller batch
    epochs: int


def _steps_prompt(case: StepsCase) -> str:
    last = (
        "The last, smaller batch is kept and gives an update of its own."
        if case.last == "keep"
        else f"A final batch with fewer than {case.batch} examples is dropped (not used)."
    )
    if case.epochs == 1:
        question = "How many weight updates does **one epoch** make?"
    else:
        question = (
            f"Training runs for {EPOCH_WORDS[case.epochs]} epochs. "
            "How many weight updates does it make **in total**?"
        )
    return (
        f"A training set has {case.n:,} examples. Each epoch shuffles them and takes "
        f"mini-batches of {case.batch}, one gradient step per batch. {last}\n{question}"
    )


def steps_value(case: StepsCase) -> int:
    """Updates over the whole run, counted from the batch sizes numpy lays out."""
    starts = np.arange(0, case.n, case.batch)
    sizes = np.minimum(case.batch, case.n - starts)
    per_epoch = sizes.size if case.last == "keep" else int(np.count_nonzero(sizes == case.batch))
    return int(per_epoch) * case.epochs


def draw_steps_per_epoch(rng: np.random.Generator, params: Mapping[str, Any]) -> StepsCase:
    last = str(params["last_batch"])
    if last not in (*LAST_BATCH, "any"):
        raise ValueError("last_batch must be 'keep', 'drop' or 'any'")
    n_lo, n_hi = _int_range(params, "n_low", "n_high")
    max_epochs = int(params["max_epochs"])
    epochs_choices = [e for e in EPOCH_WORDS if e <= max_epochs]
    if not epochs_choices:
        raise ValueError("max_epochs must be at least 1")
    if n_lo < 2:
        raise ValueError("n_low must be at least 2")

    def once() -> StepsCase:
        n = int(rng.integers(n_lo, n_hi, endpoint=True))
        batches = [b for b in BATCH_SIZES if b < n and n % b]
        if not batches:  # every size divides n or is too big: nudge n up
            n += 1
            batches = [b for b in BATCH_SIZES if b < n and n % b] or [1]
        batch = int(rng.choice(batches))
        chosen = last if last != "any" else str(LAST_BATCH[int(rng.integers(2))])
        epochs = int(rng.choice(epochs_choices))
        return StepsCase(n=n, batch=batch, last=chosen, epochs=epochs)

    case = _redraw(once, lambda case: _leaks(steps_value(case), _steps_prompt(case)))
    if case.batch == 1:
        raise ValueError("n_low and n_high leave no batch size to draw")
    return case


@register(
    "steps_per_epoch",
    "How many mini-batch updates an epoch (or a run) makes, last batch kept or dropped",
    n_low=100,
    n_high=5000,
    last_batch="any",
    max_epochs=1,
)
def steps_per_epoch(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Epochs, batches and steps are the units every training log is written in."""
    case = draw_steps_per_epoch(rng, params)
    answer = steps_value(case)
    full, rest = divmod(case.n, case.batch)
    one = rest == 1
    if case.last == "keep":
        per_epoch = full + 1
        counted = f"{'It forms' if one else 'They form'} one more, smaller batch, so {full} + 1 ="
    else:
        per_epoch = full
        counted = f"{'It is' if one else 'They are'} dropped, so"
    if case.epochs == 1:
        tally = f"{counted} **{answer:,}** updates per epoch"
    else:
        tally = (
            f"{counted} {per_epoch:,} updates per epoch, and "
            f"{per_epoch:,} × {case.epochs} = **{answer:,}** in total"
        )
    explanation = (
        f"{case.n:,} examples make {full:,} full {'batch' if full == 1 else 'batches'} of "
        f"{case.batch}, with {rest} {'example' if one else 'examples'} left over. {tally}. "
        "In general an epoch makes ceil(n / batch) updates when the remainder is kept and "
        "floor(n / batch) when it is dropped."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=_steps_prompt(case),
        answer=float(answer),
        explanation=explanation,
    )
