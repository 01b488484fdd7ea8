"""Linear algebra generators: dot products, matrix products, determinants and eigenvalues.

Every builder first draws a small case from the rng it is given (a `draw_*` function, public so
tests can recompute the answer another way) and then asks numpy for the answer, so no answer is
ever typed by hand. Numbers stay small integers so a member can work them out on paper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------


def _int_range(params: Mapping[str, Any], low: str = "low", high: str = "high") -> tuple[int, int]:
    """Read an inclusive integer range, refusing one that leaves nothing to draw."""
    lo, hi = int(params[low]), int(params[high])
    if lo >= hi:
        raise ValueError(f"{low} ({lo}) must be below {high} ({hi})")
    return lo, hi


def _ints(rng: np.random.Generator, lo: int, hi: int, size: int | tuple[int, ...]) -> np.ndarray:
    return rng.integers(lo, hi, endpoint=True, size=size)


def _vec(values: Sequence[int] | np.ndarray) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _mat(rows: Sequence[Sequence[int]] | np.ndarray) -> str:
    return "[" + ", ".join(_vec(row) for row in rows) + "]"


def _p(value: float) -> str:
    """A number ready to sit inside a sum: negatives get brackets so signs stay readable."""
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return f"({text})" if value < 0 else text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


# --- dot product ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DotCase:
    u: tuple[int, ...]
    v: tuple[int, ...]


def draw_dot(rng: np.random.Generator, params: Mapping[str, Any]) -> DotCase:
    size = int(params["size"])
    if size < 1:
        raise ValueError("size must be at least 1")
    lo, hi = _int_range(params)
    u = _ints(rng, lo, hi, size)
    v = _ints(rng, lo, hi, size)
    return DotCase(u=tuple(int(x) for x in u), v=tuple(int(x) for x in v))


@register("dot_product", "Dot product of two small integer vectors", size=3, low=-5, high=5)
def dot_product(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """The dot product is the building block of every layer, so it is drilled by hand."""
    case = draw_dot(rng, params)
    u, v = np.array(case.u), np.array(case.v)
    answer = int(np.dot(u, v))
    products = [int(a * b) for a, b in zip(case.u, case.v, strict=True)]
    working = " + ".join(f"{_p(a)}×{_p(b)}" for a, b in zip(case.u, case.v, strict=True))
    summed = " + ".join(_p(x) for x in products)
    prompt = (
        f"Let `u = {_vec(case.u)}` and `v = {_vec(case.v)}`.\n"
        "What is the dot product `u · v` (what `np.dot(u, v)` returns)?"
    )
    explanation = (
        "Multiply the entries in matching positions, then add the products: "
        f"{working} = {summed} = **{answer}**."
    )
    if answer == 0:
        explanation += " A dot product of 0 means the two vectors are perpendicular."
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- matrix-vector product --------------------------------------------------------------------


@dataclass(frozen=True)
class MatVecCase:
    matrix: tuple[tuple[int, ...], ...]
    x: tuple[int, ...]
    row: int  # 0-based index of the entry asked for


def draw_matvec(rng: np.random.Generator, params: Mapping[str, Any]) -> MatVecCase:
    rows, cols = int(params["rows"]), int(params["cols"])
    if rows < 1 or cols < 1:
        raise ValueError("rows and cols must be at least 1")
    lo, hi = _int_range(params)
    matrix = _ints(rng, lo, hi, (rows, cols))
    x = _ints(rng, lo, hi, cols)
    row = int(rng.integers(0, rows))
    return MatVecCase(
        matrix=tuple(tuple(int(v) for v in r) for r in matrix),
        x=tuple(int(v) for v in x),
        row=row,
    )


@register(
    "matrix_vector_entry",
    "One entry of a matrix-vector product A @ x",
    rows=2,
    cols=3,
    low=-3,
    high=3,
)
def matrix_vector_entry(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A layer applies a matrix to a vector; each output is one row's dot product with it."""
    case = draw_matvec(rng, params)
    matrix, x = np.array(case.matrix), np.array(case.x)
    product = matrix @ x
    answer = int(product[case.row])
    row = case.matrix[case.row]
    working = " + ".join(f"{_p(a)}×{_p(b)}" for a, b in zip(row, case.x, strict=True))
    n = case.row + 1
    prompt = (
        f"Let `A = {_mat(case.matrix)}` (shape {matrix.shape[0]}×{matrix.shape[1]}) and "
        f"`x = {_vec(case.x)}`.\n"
        f"What is the {_ordinal(n)} entry of `A @ x` (counting from 1)?"
    )
    explanation = (
        f"Entry {n} of `A @ x` is the dot product of row {n} of A, `{_vec(row)}`, with x: "
        f"{working} = **{answer}**. The whole product is `{_vec(product)}`, "
        "one number per row of A."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- determinant ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCase:
    matrix: tuple[tuple[int, int], tuple[int, int]]


def draw_det(rng: np.random.Generator, params: Mapping[str, Any]) -> MatrixCase:
    lo, hi = _int_range(params)
    m = _ints(rng, lo, hi, (2, 2))
    return MatrixCase(
        matrix=((int(m[0, 0]), int(m[0, 1])), (int(m[1, 0]), int(m[1, 1]))),
    )


@register("determinant_2x2", "Determinant of a 2×2 integer matrix", low=-5, high=5)
def determinant_2x2(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """The determinant says whether a matrix can be inverted and how it scales areas."""
    case = draw_det(rng, params)
    (a, b), (c, d) = case.matrix
    answer = round(float(np.linalg.det(np.array(case.matrix, dtype=float))))
    prompt = (
        f"Let `A = {_mat(case.matrix)}`.\n"
        "What is the determinant of A (what `np.linalg.det(A)` returns, rounded)?"
    )
    explanation = (
        "For `[[a, b], [c, d]]` the determinant is a×d − b×c: "
        f"{_p(a)}×{_p(d)} − {_p(b)}×{_p(c)} = {_p(a * d)} − {_p(b * c)} = **{answer}**."
    )
    if answer == 0:
        explanation += (
            " A determinant of 0 means the columns point along the same line, so A has no inverse."
        )
    else:
        explanation += f" A stretches every area by a factor of {abs(answer)}"
        explanation += " and flips orientation." if answer < 0 else "."
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- eigenvalues of a triangular matrix -------------------------------------------------------


@dataclass(frozen=True)
class TriangularCase:
    matrix: tuple[tuple[int, int], tuple[int, int]]
    upper: bool


def draw_triangular(rng: np.random.Generator, params: Mapping[str, Any]) -> TriangularCase:
    lo, hi = _int_range(params)
    first, second = (int(v) for v in rng.choice(np.arange(lo, hi + 1), size=2, replace=False))
    corner = int(_ints(rng, lo, hi, 1)[0])
    upper = bool(rng.integers(0, 2))
    if upper:
        matrix = ((first, corner), (0, second))
    else:
        matrix = ((first, 0), (corner, second))
    return TriangularCase(matrix=matrix, upper=upper)


@register(
    "triangular_eigenvalue",
    "Larger eigenvalue of a triangular 2×2 matrix",
    low=-5,
    high=5,
)
def triangular_eigenvalue(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Triangular matrices show what an eigenvalue is without solving a quadratic."""
    case = draw_triangular(rng, params)
    values = np.linalg.eigvals(np.array(case.matrix, dtype=float))
    answer = round(float(np.max(values.real)))
    (a, _), (_, d) = case.matrix
    shape = "upper" if case.upper else "lower"
    prompt = (
        f"Let `A = {_mat(case.matrix)}`, {'an' if case.upper else 'a'} {shape}-triangular matrix.\n"
        "What is the **larger** of its two eigenvalues?"
    )
    explanation = (
        f"The eigenvalues solve det(A − λI) = 0. Because A is {shape}-triangular, that "
        f"determinant is just the product of the diagonal: ({a} − λ)({d} − λ). So the "
        f"eigenvalues are the diagonal entries {a} and {d}, and the larger is **{answer}**. "
        "The off-diagonal entry does not change them."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- shape of a matrix product ----------------------------------------------------------------

SHAPE_ERROR = "a ValueError: the inner sizes do not match"


@dataclass(frozen=True)
class MatmulCase:
    left: tuple[int, int]
    right: tuple[int, int]


def draw_matmul(rng: np.random.Generator, params: Mapping[str, Any]) -> MatmulCase:
    max_dim = int(params["max_dim"])
    if max_dim < 3:
        raise ValueError("max_dim must be at least 3 so the wrong choices differ")
    m, n, q = (int(v) for v in rng.choice(np.arange(1, max_dim + 1), size=3, replace=False))
    if rng.random() < 0.5:
        p = n
    else:
        p = int(rng.choice([v for v in range(1, max_dim + 1) if v != n]))
    return MatmulCase(left=(m, n), right=(p, q))


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"an array of shape {shape}"


@register(
    "matmul_shape",
    "Which shape does A @ B have, or does it fail?",
    max_dim=4,
)
def matmul_shape(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Shape mismatches are the most common numpy error; reading shapes first avoids them."""
    case = draw_matmul(rng, params)
    (m, n), (p, q) = case.left, case.right
    try:
        shape: tuple[int, ...] | None = (np.ones(case.left) @ np.ones(case.right)).shape
    except ValueError:
        shape = None
    answer = SHAPE_ERROR if shape is None else _shape_text(shape)
    candidates = [
        SHAPE_ERROR,
        _shape_text((m, q)),
        _shape_text((q, m)),
        _shape_text((n, p)),
        _shape_text((m, n)),
        _shape_text((p, q)),
    ]
    distractors = list(dict.fromkeys(c for c in candidates if c != answer))[:3]
    options = [answer, *distractors]
    order = rng.permutation(len(options))
    choices = tuple(options[int(i)] for i in order)
    prompt = f"`A = np.ones(({m}, {n}))` and `B = np.ones(({p}, {q}))`.\nWhat does `A @ B` give?"
    if shape is None:
        explanation = (
            f"`A @ B` needs A's columns to match B's rows. A has {_count(n, 'column')} but "
            f"B has {_count(p, 'row')}, "
            f"so numpy raises **{SHAPE_ERROR}**. (`A.T @ B` or `A @ B.T` might fit instead: "
            "check the shapes.)"
        )
    else:
        explanation = (
            f"The inner sizes agree (A has {_count(n, 'column')}, B has {_count(p, 'row')}), "
            "so they are consumed "
            f"by the sums and the outer sizes remain: ({m}, {n}) @ ({p}, {q}) gives "
            f"**{answer}**."
        )
    return Draft(
        kind=Kind.CHOICE,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        choices=choices,
    )


# --- reading numpy's axis argument ------------------------------------------------------------

AXIS_OPS = ("sum", "max", "min")


@dataclass(frozen=True)
class AxisCase:
    values: tuple[int, ...]
    rows: int
    cols: int
    op: str
    axis: int


def draw_axis(rng: np.random.Generator, params: Mapping[str, Any]) -> AxisCase:
    rows, cols = int(params["rows"]), int(params["cols"])
    if rows < 1 or cols < 1:
        raise ValueError("rows and cols must be at least 1")
    lo, hi = _int_range(params)
    values = _ints(rng, lo, hi, rows * cols)
    op = str(AXIS_OPS[int(rng.integers(0, len(AXIS_OPS)))])
    axis = int(rng.integers(0, 2))
    return AxisCase(values=tuple(int(v) for v in values), rows=rows, cols=cols, op=op, axis=axis)


def axis_code(case: AxisCase) -> str:
    """The snippet shown to the member; it prints exactly the draft's answer."""
    return (
        "import numpy as np\n"
        f"a = np.array({_vec(case.values)}).reshape({case.rows}, {case.cols})\n"
        f"print(a.{case.op}(axis={case.axis}).tolist())\n"
    )


@register(
    "numpy_axis_reduce",
    "What does a sum/max/min along an axis of a reshaped array print?",
    rows=2,
    cols=3,
    low=0,
    high=9,
)
def numpy_axis_reduce(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """`axis=` trips up everyone once; predicting the output makes the rule stick."""
    case = draw_axis(rng, params)
    matrix = np.array(case.values).reshape(case.rows, case.cols)
    result = getattr(matrix, case.op)(axis=case.axis)
    answer = str(result.tolist())
    word = {"sum": "adds", "max": "takes the largest of", "min": "takes the smallest of"}[case.op]
    if case.axis == 0:
        slices = [
            f"column {j + 1} {_vec(matrix[:, j])} → {int(result[j])}" for j in range(case.cols)
        ]
        how = (
            f"`reshape({case.rows}, {case.cols})` fills the rows left to right: "
            f"`{_mat(matrix)}`. `axis=0` runs down the rows, so `{case.op}` {word} each column "
            f"and one number per column remains: {'; '.join(slices)}."
        )
    else:
        slices = [f"row {i + 1} {_vec(matrix[i])} → {int(result[i])}" for i in range(case.rows)]
        how = (
            f"`reshape({case.rows}, {case.cols})` fills the rows left to right: "
            f"`{_mat(matrix)}`. `axis=1` runs across the columns, so `{case.op}` {word} each "
            f"row and one number per row remains: {'; '.join(slices)}."
        )
    explanation = f"{how} `.tolist()` prints it as a plain list: `{answer}`."
    return Draft(
        kind=Kind.OUTPUT,
        prompt=f"What does this code print? Decide first what `axis={case.axis}` collapses.",
        answer=answer,
        explanation=explanation,
        code=axis_code(case),
    )
