"""The linear algebra generators added for the roadmap: norms, cosine similarity, rank, 2×2
systems, symmetric eigenvalues and explained variance.

For every generator and 200 seeds: the draft builds, its answer is finite, the prompt does not
give the answer away, there are at least 50 distinct prompts, `grade` accepts the expected answer,
and the answer agrees with a recomputation that does not use the generator's own formula (pure
Python with fractions, brute-force search, scipy, or a PCA fitted by scikit-learn).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.spatial import distance
from sklearn.decomposition import PCA

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import linear_algebra as la
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, grade

SEEDS = range(200)
NEW = (
    "vector_norm",
    "cosine_similarity",
    "matrix_rank",
    "solve_2x2",
    "symmetric_eigenvalues",
    "explained_variance",
)

Params = Mapping[str, Any]

UNNATURAL = (
    r"(?<![.\w])(nan|inf)\b",  # a failed computation (`np.inf` in code is fine)
    r"(?<![\d.])-0(\.0+)?(?![\d.])",  # negative zero
    r"[+−-] 0\s*[a-zλ·]",  # a zero term in an expression, like `x + 0λ`
    r"(?<![\d.])1\s?[a-zλ](?![a-z])",  # a coefficient of one, like `1x`
)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


def literal(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def matrix_literal(rows: Sequence[Sequence[int]]) -> str:
    return "[" + ", ".join(literal(row) for row in rows) + "]"


def shows(text: str, number: str) -> bool:
    """Whether `number` appears in `text` as a whole number, not inside a longer one."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text) is not None


def assert_no_leak(prompt: str, answer: float, data: Sequence[str], decimals: int) -> None:
    """The answer, as a member would type it, is nowhere in the prompt outside the drawn data.

    The drawn numbers are the question itself (a rank-2 matrix may well contain a 2), so they are
    removed first; anything left that spells the answer would give it away.
    """
    rest = prompt
    for piece in data:
        rest = rest.replace(piece, " ")
    text = f"{answer:.{decimals}f}"
    assert not shows(rest, text), (prompt, text)
    if float(answer).is_integer():
        assert not shows(rest, str(int(answer))), (prompt, answer)


# --- independent recomputations ------------------------------------------------------------------


def check_norm(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_norm(rng(seed), params)
    assert len(case.v) == params["size"] and any(case.v)
    if params["ord"] != "any":
        assert case.ord == params["ord"]
    expected = {
        "1": sum(abs(x) for x in case.v),
        "2": math.hypot(*case.v),
        "inf": max(abs(x) for x in case.v),
    }[case.ord]
    assert math.isclose(float(draft.answer), expected, abs_tol=1e-4)
    if case.ord == "2":
        assert draft.tolerance == 0.01 and "Two decimals" in draft.prompt
    else:
        assert float(draft.answer).is_integer()
    assert_no_leak(draft.prompt, float(draft.answer), [literal(case.v)], 2)


def check_cosine(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_cosine(rng(seed), params)
    assert any(case.u) and any(case.v)
    # scipy's cosine *distance* is 1 − similarity.
    expected = 1.0 - distance.cosine(case.u, case.v)
    assert abs(float(draft.answer) - expected) <= 5.1e-5
    assert -1.0 <= float(draft.answer) <= 1.0
    assert draft.tolerance == 0.001 and "three decimals" in draft.prompt
    assert_no_leak(draft.prompt, float(draft.answer), [literal(case.u), literal(case.v)], 3)


def fraction_rank(rows: Sequence[Sequence[int]]) -> int:
    """Rank by Gaussian elimination in exact fractions: no floating point, no numpy."""
    grid = [[Fraction(x) for x in row] for row in rows]
    rank, cols = 0, len(grid[0])
    for col in range(cols):
        pivot = next((r for r in range(rank, len(grid)) if grid[r][col] != 0), None)
        if pivot is None:
            continue
        grid[rank], grid[pivot] = grid[pivot], grid[rank]
        for r in range(len(grid)):
            if r != rank and grid[r][col] != 0:
                factor = grid[r][col] / grid[rank][col]
                grid[r] = [a - factor * b for a, b in zip(grid[r], grid[rank], strict=True)]
        rank += 1
    return rank


def check_rank(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_rank(rng(seed), params)
    assert len(case.matrix) == params["rows"] and len(case.matrix[0]) == params["cols"]
    if params["rank"]:
        assert case.rank == params["rank"]
    assert draft.answer == fraction_rank(case.matrix) == case.rank
    # Every row the explanation calls a combination really is that combination of the basis.
    for row, weights in case.combinations:
        built = [
            sum(w * case.matrix[b][j] for w, b in zip(weights, case.basis, strict=True))
            for j in range(params["cols"])
        ]
        assert list(case.matrix[row]) == built
    assert_no_leak(
        draft.prompt,
        float(draft.answer),
        [matrix_literal(case.matrix), f"{params['rows']}×{params['cols']}"],
        0,
    )


def check_solve(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_solve(rng(seed), params)
    (a, b), (c, d) = case.features
    assert a * d - b * c != 0
    targets = [a * case.weights[0] + b * case.weights[1], c * case.weights[0] + d * case.weights[1]]
    # Brute force: the only integer weights in range that reproduce both targets.
    span = range(params["low"], params["high"] + 1)
    found = [
        (w1, w2)
        for w1, w2 in itertools.product(span, span)
        if a * w1 + b * w2 == targets[0] and c * w1 + d * w2 == targets[1]
    ]
    assert found == [case.weights]
    assert draft.answer == found[0][case.asked]
    assert la.WEIGHT_NAMES[case.asked] in draft.prompt
    data = [
        matrix_literal(case.features),
        literal(targets),
        f"({a}, {b}) with y = {targets[0]}",
        f"({c}, {d}) with y = {targets[1]}",
    ]
    assert_no_leak(draft.prompt, float(draft.answer), data, 0)


def check_symmetric(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_symmetric(rng(seed), params)
    a, b, d = case.a, case.b, case.d
    assert b != 0, "a diagonal or triangular matrix is not what this generator asks about"
    assert params["low"] <= min(a, b, d) and max(a, b, d) <= params["high"]
    # Quadratic formula on λ² − (a + d)λ + (ad − b²), in pure Python.
    trace, det = a + d, a * d - b * b
    root = math.sqrt(trace * trace - 4 * det)
    expected = (trace + root) / 2 if case.side == "larger" else (trace - root) / 2
    assert math.isclose(float(draft.answer), expected, abs_tol=5.1e-5)
    # And it is an eigenvalue: det(A − λI) is zero.
    lam = float(draft.answer)
    assert abs((a - lam) * (d - lam) - b * b) < 1e-3
    if params["nice"]:
        assert float(draft.answer).is_integer()
        assert draft.tolerance == 1e-6
    else:
        assert draft.tolerance == 0.01 and "two decimals" in draft.prompt
    assert case.side in draft.prompt
    assert_no_leak(draft.prompt, float(draft.answer), [matrix_literal(((a, b), (b, d)))], 2)


def pca_ratio(values: Sequence[int], kept: int, given: str) -> float:
    """Build centred data with exactly this spectrum and ask scikit-learn's PCA."""
    count, n = len(values), 40
    noise = np.random.default_rng(0).normal(size=(n, count))
    noise -= noise.mean(axis=0)
    left, _ = np.linalg.qr(noise)  # orthonormal columns, each orthogonal to the ones vector
    spread = np.array(values, dtype=float)
    singular = spread if given == "singular" else np.sqrt(spread * (n - 1))
    directions, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(count, count)))
    data = left @ np.diag(singular) @ directions.T
    return float(PCA().fit(data).explained_variance_ratio_[:kept].sum())


def check_spectrum(seed: int, params: Params, draft: Draft) -> None:
    case = la.draw_spectrum(rng(seed), params)
    assert list(case.values) == sorted(set(case.values), reverse=True)
    assert len(case.values) == params["components"] and 1 <= case.kept < len(case.values)
    if params["given"] != "any":
        assert case.given == params["given"]
    power = 2 if case.given == "singular" else 1
    exact = Fraction(
        sum(v**power for v in case.values[: case.kept]), sum(v**power for v in case.values)
    )
    assert abs(float(draft.answer) - float(exact)) <= 5.1e-5
    assert math.isclose(
        float(draft.answer), pca_ratio(case.values, case.kept, case.given), abs_tol=1e-4
    )
    assert_no_leak(draft.prompt, float(draft.answer), [literal(case.values)], 2)


CHECKS: dict[str, Callable[[int, Params, Draft], None]] = {
    "vector_norm": check_norm,
    "cosine_similarity": check_cosine,
    "matrix_rank": check_rank,
    "solve_2x2": check_solve,
    "symmetric_eigenvalues": check_symmetric,
    "explained_variance": check_spectrum,
}

VARIANTS: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in NEW] + [
    ("vector_norm", {"ord": "2", "size": 4}),
    ("cosine_similarity", {"size": 4, "low": 0, "high": 5}),
    ("matrix_rank", {"rows": 3, "cols": 4}),
    ("matrix_rank", {"rows": 4, "cols": 3, "rank": 2}),
    ("matrix_rank", {"rank": 1}),
    ("matrix_rank", {"rank": 3}),
    ("symmetric_eigenvalues", {"nice": False}),
    ("symmetric_eigenvalues", {"which": "smaller", "low": -3, "high": 6}),
    ("explained_variance", {"given": "singular", "components": 5, "largest": 12}),
    ("explained_variance", {"given": "eigen"}),
]
VARIANT_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


def test_every_new_generator_is_registered_with_a_check() -> None:
    assert set(NEW) <= set(REGISTRY)
    assert set(CHECKS) == set(NEW)
    for name in NEW:
        generator = REGISTRY[name]
        assert generator.summary
        assert generator.build.__module__ == la.__name__
        assert generator.params_problems(generator.defaults) == []


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: dict[str, Any]) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_drafts_are_well_formed_varied_and_repeatable(name: str, overrides: dict[str, Any]) -> None:
    prompts: set[str] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        assert draft == build(name, seed, overrides)
        prompts.add(draft.prompt)
        assert draft.kind is Kind.NUMERIC
        assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
        assert str(draft.answer) != "-0.0"
        assert draft.explanation.strip() and draft.tolerance > 0
        for text in (draft.prompt, draft.explanation):
            for bad in ("+ -", "- -", "−  -", "--", "1 × row", "^"):
                assert bad not in text, (name, seed, bad, text)
            for pattern in UNNATURAL:
                assert not re.search(pattern, text), (name, seed, pattern, text)
    assert len(prompts) >= 50, f"{name} gave only {len(prompts)} distinct prompts"


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_grade_accepts_the_expected_answer(name: str, overrides: dict[str, Any]) -> None:
    item = QuizItem(
        id="la-test",
        topic="linear-algebra",
        difficulty=2,
        path=Path("quizzes/linear-algebra.yaml"),
        line=1,
        generator=name,
        params=overrides,
    )
    for seed in SEEDS:
        question = generate(item, seed)
        assert grade(question, question.expected_text).correct, (name, seed)
        # What a member types when told the precision: the rounded value is accepted too.
        if question.tolerance >= 0.01:
            assert grade(question, f"{float(question.answer):.2f}").correct, (name, seed)
        elif question.tolerance >= 0.001:
            assert grade(question, f"{float(question.answer):.3f}").correct, (name, seed)


def test_explanations_state_the_answer() -> None:
    for name in NEW:
        for seed in range(20):
            draft = build(name, seed, {})
            assert "**" in draft.explanation, (name, seed)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("vector_norm", {"ord": "3"}),
        ("vector_norm", {"size": 1}),
        ("cosine_similarity", {"low": 2, "high": 2}),
        ("matrix_rank", {"rank": 4}),
        ("matrix_rank", {"rows": 6}),
        ("solve_2x2", {"low": 1, "high": 0}),
        ("symmetric_eigenvalues", {"which": "middle"}),
        ("explained_variance", {"components": 2}),
        ("explained_variance", {"largest": 3}),
        ("explained_variance", {"given": "loadings"}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
