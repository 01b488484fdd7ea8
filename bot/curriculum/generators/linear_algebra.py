"""Linear algebra generators: products, norms, similarity, rank, systems, eigenvalues and PCA.

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


def _num(value: float) -> str:
    """Short text for a number: 3 rather than 3.0, -0.5 rather than -0.500000, never -0."""
    value = float(value) + 0.0
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _nonzero_ints(rng: np.random.Generator, lo: int, hi: int, size: int) -> np.ndarray:
    """A vector of small integers that is not all zeros (redrawn until it is not)."""
    while True:
        values = _ints(rng, lo, hi, size)
        if np.any(values != 0):
            return values


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


# --- vector norms -----------------------------------------------------------------------------

NORM_ORDS = ("1", "2", "inf")


@dataclass(frozen=True)
class NormCase:
    v: tuple[int, ...]
    ord: str  # "1", "2" or "inf"


def draw_norm(rng: np.random.Generator, params: Mapping[str, Any]) -> NormCase:
    size = int(params["size"])
    if size < 2:
        raise ValueError("size must be at least 2")
    lo, hi = _int_range(params)
    which = str(params["ord"])
    if which not in (*NORM_ORDS, "any"):
        raise ValueError(f"ord must be one of {', '.join(NORM_ORDS)} or 'any'")
    v = _nonzero_ints(rng, lo, hi, size)
    if which == "any":
        which = NORM_ORDS[int(rng.integers(0, len(NORM_ORDS)))]
    return NormCase(v=tuple(int(x) for x in v), ord=which)


@register(
    "vector_norm",
    "L1, L2 or max norm of a small integer vector",
    size=3,
    low=-5,
    high=5,
    ord="any",
)
def vector_norm(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Distances, regularisation penalties and normalisation all start from a norm."""
    case = draw_norm(rng, params)
    v = np.array(case.v, dtype=float)
    numpy_ord = {"1": 1, "2": 2, "inf": np.inf}[case.ord]
    value = float(np.linalg.norm(v, ord=numpy_ord))
    absolutes = [abs(x) for x in case.v]
    data = f"`v = {_vec(case.v)}`"
    if case.ord == "1":
        prompt = f"Let {data}. What is its **L1 norm**, what `np.linalg.norm(v, ord=1)` returns?"
        explanation = (
            "The L1 norm adds the absolute values: "
            f"{' + '.join(f'|{x}|' for x in case.v)} = {' + '.join(str(a) for a in absolutes)} "
            f"= **{_num(value)}**. "
            "It is the distance you walk along a street grid, and Lasso's penalty on weights."
        )
        tolerance = 1e-6
    elif case.ord == "inf":
        prompt = (
            f"Let {data}. What is its **max norm**, what `np.linalg.norm(v, ord=np.inf)` returns?"
        )
        explanation = (
            f"The max (infinity) norm is the largest absolute value: the largest of "
            f"{', '.join(str(a) for a in absolutes)} is **{_num(value)}**. "
            "Signs are dropped first, so a large negative entry can win."
        )
        tolerance = 1e-6
    else:
        squares = [a * a for a in absolutes]
        powers = " + ".join(f"{_p(x)}²" for x in case.v)
        prompt = (
            f"Let {data}. What is its **Euclidean (L2) norm**, what `np.linalg.norm(v)` returns? "
            "Two decimals are enough."
        )
        explanation = (
            "The L2 norm is the square root of the sum of squares: "
            f"√({powers}) = √({' + '.join(str(q) for q in squares)}) = √{sum(squares)} "
            f"{'=' if value.is_integer() else '≈'} **{value:.2f}**. "
            "It is the straight-line length of the vector, the one Pythagoras gives."
        )
        tolerance = 0.01
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=tolerance,
    )


# --- cosine similarity ------------------------------------------------------------------------


@dataclass(frozen=True)
class CosineCase:
    u: tuple[int, ...]
    v: tuple[int, ...]


def draw_cosine(rng: np.random.Generator, params: Mapping[str, Any]) -> CosineCase:
    size = int(params["size"])
    if size < 2:
        raise ValueError("size must be at least 2")
    lo, hi = _int_range(params)
    u = _nonzero_ints(rng, lo, hi, size)
    v = _nonzero_ints(rng, lo, hi, size)
    return CosineCase(u=tuple(int(x) for x in u), v=tuple(int(x) for x in v))


@register(
    "cosine_similarity",
    "Cosine similarity of two small embedding vectors, to three decimals",
    size=3,
    low=-3,
    high=3,
)
def cosine_similarity(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Search and recommendation compare embeddings by angle, not length."""
    case = draw_cosine(rng, params)
    u, v = np.array(case.u, dtype=float), np.array(case.v, dtype=float)
    dot = float(u @ v)
    norm_u, norm_v = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    value = round(dot / (norm_u * norm_v), 4) + 0.0
    prompt = (
        f"Two items have the embeddings `u = {_vec(case.u)}` and `v = {_vec(case.v)}`.\n"
        "What is their **cosine similarity**? Give three decimals."
    )
    working = " + ".join(f"{_p(a)}×{_p(b)}" for a, b in zip(case.u, case.v, strict=True))
    explanation = (
        "Cosine similarity is u · v / (‖u‖ ‖v‖). "
        f"u · v = {working} = {_num(dot)}; "
        f"‖u‖ = √{int(u @ u)} ≈ {norm_u:.3f}; ‖v‖ = √{int(v @ v)} ≈ {norm_v:.3f}. "
        f"So {_num(dot)} / ({norm_u:.3f} × {norm_v:.3f}) ≈ **{value:.3f}**."
    )
    if dot == 0:
        explanation += " A dot product of 0 means the vectors are perpendicular: no similarity."
    elif value > 0.999:
        explanation += " They point the same way, whatever their lengths."
    elif value < -0.999:
        explanation += " They point in exactly opposite directions."
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=value,
        explanation=explanation,
        tolerance=0.001,
    )


# --- rank -------------------------------------------------------------------------------------

COMBINATION_WEIGHTS = (-2, -1, 0, 1, 2)


@dataclass(frozen=True)
class RankCase:
    matrix: tuple[tuple[int, ...], ...]
    rank: int
    basis: tuple[int, ...]  # 0-based rows drawn independently, in the shuffled order
    combinations: tuple[tuple[int, tuple[int, ...]], ...]  # (row, weights on the basis rows)


def draw_rank(rng: np.random.Generator, params: Mapping[str, Any]) -> RankCase:
    rows, cols, wanted = int(params["rows"]), int(params["cols"]), int(params["rank"])
    if not 2 <= rows <= 5 or not 2 <= cols <= 5:
        raise ValueError("rows and cols must be between 2 and 5")
    most = min(rows, cols)
    if not 0 <= wanted <= most:
        raise ValueError(f"rank must be 0 (any) or between 1 and {most}")
    lo, hi = _int_range(params)
    rank = wanted if wanted else int(rng.integers(1, most, endpoint=True))
    while True:  # independent rows: redraw until numpy agrees they are
        basis = _ints(rng, lo, hi, (rank, cols))
        if np.linalg.matrix_rank(basis) == rank:
            break
    built = [basis[i] for i in range(rank)]
    weights_of: list[tuple[int, ...]] = []
    for _ in range(rows - rank):
        while True:
            weights = tuple(int(w) for w in rng.choice(COMBINATION_WEIGHTS, size=rank))
            if any(weights):
                break
        weights_of.append(weights)
        built.append(sum(w * basis[i] for i, w in enumerate(weights)))
    order = rng.permutation(rows)  # order[new] = old row
    where = {int(old): new for new, old in enumerate(order)}
    matrix = tuple(tuple(int(x) for x in built[int(old)]) for old in order)
    basis_rows = tuple(where[i] for i in range(rank))
    combinations = tuple((where[rank + j], weights) for j, weights in enumerate(weights_of))
    return RankCase(matrix=matrix, rank=rank, basis=basis_rows, combinations=combinations)


def _combination_text(weights: Sequence[int], rows: Sequence[int]) -> str:
    """Weights [2, -1] on rows [0, 2] as `2 × row 1 − row 3` (rows counted from 1)."""
    text = ""
    for weight, row in zip(weights, rows, strict=True):
        if weight == 0:
            continue
        size = abs(weight)
        term = f"row {row + 1}" if size == 1 else f"{size} × row {row + 1}"
        if not text:
            text = f"−{term}" if weight < 0 else term
        else:
            text += f" − {term}" if weight < 0 else f" + {term}"
    return text


@register(
    "matrix_rank",
    "Rank of a small integer matrix built to have a chosen rank",
    rows=3,
    cols=3,
    rank=0,
    low=-3,
    high=3,
)
def matrix_rank(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A rank-deficient data matrix means redundant features and no unique least-squares fit."""
    case = draw_rank(rng, params)
    matrix = np.array(case.matrix)
    answer = int(np.linalg.matrix_rank(matrix))
    rows, cols = matrix.shape
    prompt = (
        f"Let `A = {_mat(case.matrix)}` (shape {rows}×{cols}).\n"
        "What is the **rank** of A, what `np.linalg.matrix_rank(A)` returns?"
    )
    basis = sorted(case.basis)
    names = ", ".join(f"row {i + 1}" for i in basis[:-1])
    names = f"{names} and row {basis[-1] + 1}" if names else f"row {basis[0] + 1}"
    if case.combinations:
        steps = "; ".join(
            f"row {row + 1} = {_combination_text(weights, case.basis)}"
            for row, weights in sorted(case.combinations)
        )
        explanation = (
            f"Look for rows built from other rows: {steps}. Such rows add no new direction. "
            f"{'The row left' if answer == 1 else 'The rows left'}, {names}, "
            f"{'is not the zero row' if answer == 1 else 'are independent'}, "
            f"so the rank is **{answer}**."
        )
    else:
        explanation = f"No row is a combination of the others ({names} are independent), "
        explanation += f"so the rank is **{answer}**"
        if rows == cols:
            det = round(float(np.linalg.det(matrix)))
            explanation += f": the determinant is {det}, not 0, so A is invertible."
        else:
            explanation += ", the most a matrix of this shape can have."
    explanation += (
        " Rank counts independent rows, and always equals the count of independent columns."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- solving a 2×2 system ---------------------------------------------------------------------

WEIGHT_NAMES = ("w₁", "w₂")


@dataclass(frozen=True)
class SolveCase:
    features: tuple[tuple[int, int], tuple[int, int]]  # one row per training example
    weights: tuple[int, int]
    asked: int  # 0 or 1: which weight the question asks for


def draw_solve(rng: np.random.Generator, params: Mapping[str, Any]) -> SolveCase:
    lo, hi = _int_range(params)
    while True:
        m = _ints(rng, lo, hi, (2, 2))
        if m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] != 0:
            break
    w = _ints(rng, lo, hi, 2)
    asked = int(rng.integers(0, 2))
    features = ((int(m[0, 0]), int(m[0, 1])), (int(m[1, 0]), int(m[1, 1])))
    return SolveCase(features=features, weights=(int(w[0]), int(w[1])), asked=asked)


@register(
    "solve_2x2",
    "The weights of a two-feature linear model that fits two examples exactly (a 2×2 system)",
    low=-4,
    high=4,
)
def solve_2x2(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Fitting weights is solving equations; the 2×2 case shows why the determinant matters."""
    case = draw_solve(rng, params)
    X = np.array(case.features, dtype=float)
    y = X @ np.array(case.weights, dtype=float)
    solution = np.linalg.solve(X, y)
    answer = round(float(solution[case.asked])) + 0
    (a, b), (c, d) = case.features
    y1, y2 = (round(float(t)) for t in y)
    det = a * d - b * c
    name = WEIGHT_NAMES[case.asked]
    prompt = (
        "A linear model with no intercept predicts y = w₁·x₁ + w₂·x₂. "
        "It fits two training examples exactly:\n"
        f"• x = ({a}, {b}) with y = {y1}\n"
        f"• x = ({c}, {d}) with y = {y2}\n"
        f"What is **{name}**? (It is what `np.linalg.solve(X, y)` returns, with "
        f"`X = {_mat(case.features)}` and `y = {_vec((y1, y2))}`.)"
    )
    top_1 = y1 * d - b * y2
    top_2 = a * y2 - c * y1
    w1, w2 = (round(float(v)) + 0 for v in solution)
    explanation = (
        f"The system is X w = y with det X = {_p(a)}×{_p(d)} − {_p(b)}×{_p(c)} = {det}, "
        "not 0, so there is exactly one solution. By Cramer's rule, "
        f"w₁ = ({_p(y1)}×{_p(d)} − {_p(b)}×{_p(y2)}) / {_p(det)} = {top_1} / {_p(det)} = {w1}, and "
        f"w₂ = ({_p(a)}×{_p(y2)} − {_p(c)}×{_p(y1)}) / {_p(det)} = {top_2} / {_p(det)} = {w2}. "
        f"So {name} = **{answer}**. Check on the first example: "
        f"{_p(a)}×{_p(w1)} + {_p(b)}×{_p(w2)} = {y1}."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- eigenvalues of a symmetric 2×2 -----------------------------------------------------------

EIGEN_SIDES = ("larger", "smaller")


@dataclass(frozen=True)
class SymmetricCase:
    a: int
    b: int  # the off-diagonal entry, never 0: the matrix is not diagonal or triangular
    d: int
    side: str  # "larger" or "smaller"


def _is_square(n: int) -> bool:
    return n >= 0 and int(np.sqrt(n)) ** 2 == n


def draw_symmetric(rng: np.random.Generator, params: Mapping[str, Any]) -> SymmetricCase:
    lo, hi = _int_range(params)
    side = str(params["which"])
    if side not in (*EIGEN_SIDES, "any"):
        raise ValueError(f"which must be one of {', '.join(EIGEN_SIDES)} or 'any'")
    values = range(lo, hi + 1)
    off_diagonal = [b for b in values if b != 0]
    if bool(params["nice"]):
        # Integer eigenvalues need (a − d)² + 4b² to be a perfect square (the parity then works
        # out by itself). Equal diagonals always qualify, so draw the unequal ones half the time.
        nice = [
            (a, b, d)
            for a in values
            for b in off_diagonal
            for d in values
            if _is_square((a - d) ** 2 + 4 * b * b)
        ]
        unequal = [t for t in nice if t[0] != t[2]]
        equal = [t for t in nice if t[0] == t[2]]
        pool = unequal if unequal and rng.random() < 0.5 else equal
        a, b, d = pool[int(rng.integers(0, len(pool)))]
    else:
        a, d = (int(x) for x in _ints(rng, lo, hi, 2))
        b = int(rng.choice(off_diagonal))
    if side == "any":
        side = EIGEN_SIDES[int(rng.integers(0, 2))]
    return SymmetricCase(a=int(a), b=int(b), d=int(d), side=side)


@register(
    "symmetric_eigenvalues",
    "Larger or smaller eigenvalue of a symmetric 2×2 matrix",
    low=-5,
    high=5,
    which="any",
    nice=True,
)
def symmetric_eigenvalues(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Covariance matrices are symmetric; their eigenvalues are the variances PCA ranks."""
    case = draw_symmetric(rng, params)
    a, b, d = case.a, case.b, case.d
    matrix = ((a, b), (b, d))
    values = np.linalg.eigvalsh(np.array(matrix, dtype=float))  # ascending
    value = float(values[-1] if case.side == "larger" else values[0])
    nice = bool(params["nice"])
    position = "last" if case.side == "larger" else "first"
    prompt = (
        f"Let `A = {_mat(matrix)}`, a symmetric matrix like a covariance matrix.\n"
        f"What is its **{case.side}** eigenvalue, the {position} value "
        "`np.linalg.eigvalsh(A)` returns?"
    )
    if not nice:
        prompt += " Give two decimals."
    trace, det = a + d, a * d - b * b
    disc = (a - d) ** 2 + 4 * b * b  # = trace² − 4·det, never negative for a symmetric matrix
    low, high = (float(v) for v in values)
    start = (
        f"The eigenvalues solve λ² − (trace)·λ + det = 0, with trace = {a} + {_p(d)} = {trace} "
        f"and det = {_p(a)}×{_p(d)} − {_p(b)}² = {det}. "
        f"So λ = (trace ± √(trace² − 4·det)) / 2 = ({trace} ± √{disc}) / 2"
    )
    if nice:
        root = round(float(np.sqrt(disc)))
        explanation = (
            f"{start} = ({trace} ± {root}) / 2, which gives {_num(low)} and {_num(high)}. "
            f"The {case.side} is **{_num(value)}**. "
            f"Check: they add up to the trace, {trace}, and multiply to the determinant, {det}."
        )
        tolerance = 1e-6
        answer = round(value, 6) + 0.0
    else:
        explanation = (
            f"{start} ≈ ({trace} ± {np.sqrt(disc):.3f}) / 2, which gives about {low:.2f} "
            f"and {high:.2f}. The {case.side} is **{value:.2f}**. "
            "For a symmetric matrix the square root is always of a non-negative number, "
            "so the eigenvalues are real."
        )
        tolerance = 0.01
        answer = round(value, 4) + 0.0
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        tolerance=tolerance,
    )


# --- explained variance in PCA ----------------------------------------------------------------

SPECTRA = ("singular", "eigen")


@dataclass(frozen=True)
class SpectrumCase:
    values: tuple[int, ...]  # descending, positive
    kept: int  # how many leading components are kept
    given: str  # "singular" (values of the SVD of centred X) or "eigen" (of the covariance)


def draw_spectrum(rng: np.random.Generator, params: Mapping[str, Any]) -> SpectrumCase:
    count, top = int(params["components"]), int(params["largest"])
    given = str(params["given"])
    if not 3 <= count <= 6:
        raise ValueError("components must be between 3 and 6")
    if top < count:
        raise ValueError("largest must be at least components, so the values can differ")
    if given not in (*SPECTRA, "any"):
        raise ValueError(f"given must be one of {', '.join(SPECTRA)} or 'any'")
    picked = rng.choice(np.arange(1, top + 1), size=count, replace=False)
    values = tuple(sorted((int(v) for v in picked), reverse=True))
    kept = int(rng.integers(1, count))  # 1 .. count − 1: keeping everything is not a question
    if given == "any":
        given = SPECTRA[int(rng.integers(0, 2))]
    return SpectrumCase(values=values, kept=kept, given=given)


def _kept(values: Sequence[int], k: int) -> str:
    """The first k values and their sum: `64` alone, or `64 + 36 = 100`."""
    if k == 1:
        return str(values[0])
    return f"{' + '.join(str(v) for v in values[:k])} = {sum(values[:k])}"


@register(
    "explained_variance",
    "Share of variance kept by the first k principal components, from SVD or eigenvalues",
    components=4,
    largest=10,
    given="any",
)
def explained_variance(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Choosing how many components to keep is reading an explained-variance ratio."""
    case = draw_spectrum(rng, params)
    values = np.array(case.values, dtype=float)
    variances = values**2 if case.given == "singular" else values
    ratio = float(np.cumsum(variances)[case.kept - 1] / np.sum(variances))
    k = case.kept
    first = "does the first component" if k == 1 else f"do the first {k} components"
    if case.given == "singular":
        prompt = (
            f"The SVD of a centred data matrix X has singular values `{_vec(case.values)}`.\n"
            f"What fraction of the total variance {first} of PCA explain? "
            "Answer as a decimal between 0 and 1, to two decimals."
        )
        squares = [v * v for v in case.values]
        naive = float(np.sum(values[:k]) / np.sum(values))
        explanation = (
            "Each component's variance is its singular value **squared** (divided by n − 1, "
            "which cancels in the ratio). Squares: "
            f"{', '.join(str(q) for q in squares)}. Kept: {_kept(squares, k)} of {sum(squares)}, "
            f"so {sum(squares[:k])} / {sum(squares)} ≈ "
            f"**{ratio:.2f}**. Forgetting to square would give {naive:.2f}."
        )
    else:
        prompt = (
            f"The covariance matrix of a dataset has eigenvalues `{_vec(case.values)}`.\n"
            f"What fraction of the total variance {first} of PCA explain? "
            "Answer as a decimal between 0 and 1, to two decimals."
        )
        explanation = (
            "Each eigenvalue of the covariance matrix is the variance along its eigenvector, and "
            "together they add up to the total variance. Kept: "
            f"{_kept(case.values, k)} of {sum(case.values)}, "
            f"so {sum(case.values[:k])} / {sum(case.values)} ≈ "
            f"**{ratio:.2f}**."
        )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(ratio, 4),
        explanation=explanation,
        tolerance=0.01,
    )
