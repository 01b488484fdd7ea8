"""The NumPy array generators: broadcast shapes, result dtypes, slices, reductions, memory.

For every generator and 200 seeds: the draft builds, a numeric answer is finite, the prompt does
not give the answer away, there are at least 50 distinct prompts, `grade` accepts the expected
answer (a choice by its number), and the answer agrees with a recomputation that does not ask
NumPy the same question: the broadcasting rule and the NEP 50 promotion rules written out in pure
Python, Python list slicing, and running the snippet the member is shown.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml  # type: ignore[import-untyped]

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import arrays as ar
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, grade

SEEDS = range(200)
NAMES = ("broadcast_shape", "dtype_result", "slice_result", "reduce_shape", "array_nbytes")
QUIZZES = Path(__file__).resolve().parents[1] / "quizzes"

Params = Mapping[str, Any]

UNNATURAL = (
    r"(?<![.\w])(nan|inf)\b",  # a failed computation
    r"(?<![\d.])-0(\.0+)?(?![\d.])",  # negative zero
    r"\+ 0(?![\d.])|- 0(?![\d.])",  # a zero term
    r"--\d",  # a doubled sign
    r"\^",  # a caret for a power
)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def full(name: str, overrides: Params) -> dict[str, Any]:
    return {**REGISTRY[name].defaults, **overrides}


def build(name: str, seed: int, overrides: Params) -> Draft:
    return REGISTRY[name].build(rng(seed), full(name, overrides))


def printed(code: str) -> str:
    """What a snippet prints, run in a fresh namespace."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {})
    return out.getvalue().rstrip("\n")


# --- broadcasting, by its written rule -------------------------------------------------------


def broadcast_rule(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[int, ...] | None:
    """Pad the shorter shape with 1s on the left; each pair must be equal or contain a 1."""
    width = max(len(left), len(right))
    a = (1,) * (width - len(left)) + left
    b = (1,) * (width - len(right)) + right
    result = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            return None
        result.append(max(x, y))
    return tuple(result)


def check_broadcast(seed: int, params: Params, draft: Draft) -> None:
    case = ar.draw_broadcast(rng(seed), params)
    assert len(case.left) <= params["max_ndim"] and len(case.right) <= params["max_ndim"]
    assert all(1 <= n <= params["max_dim"] for n in case.left + case.right)
    shape = broadcast_rule(case.left, case.right)
    expected = ar.BROADCAST_ERROR if shape is None else f"an array of shape {shape}"
    assert draft.answer == expected
    assert sum(choice == expected for choice in draft.choices) == 1
    assert len(draft.choices) == 4
    assert f"np.ones({case.left})" in draft.prompt and f"np.ones({case.right})" in draft.prompt


# --- dtype promotion, NEP 50 written out -----------------------------------------------------

BITS = {"int": {8, 16, 32, 64}, "uint": {8, 16, 32, 64}, "float": {16, 32, 64}}


def parse(dtype: str) -> tuple[str, int]:
    match = re.fullmatch(r"(u?int|float)(\d+)", dtype)
    assert match, dtype
    return match.group(1), int(match.group(2))


def float_for(bits: int) -> int:
    """The smallest float that holds every integer of this width exactly enough for NumPy."""
    return {8: 16, 16: 32, 32: 64, 64: 64}[bits]


def promote(left: str, right: str) -> str:
    """Promotion of two NumPy dtypes, as NumPy 2 documents it (no value-based casting)."""
    (kl, bl), (kr, br) = parse(left), parse(right)
    if kl == kr:
        return f"{kl}{max(bl, br)}"
    if "float" in (kl, kr):
        fbits, ibits = (bl, br) if kl == "float" else (br, bl)
        return f"float{max(fbits, float_for(ibits))}"
    signed, unsigned = (bl, br) if kl == "int" else (br, bl)
    if signed > unsigned:
        return f"int{signed}"
    return f"int{2 * unsigned}" if unsigned < 64 else "float64"


def expected_dtype(case: ar.DtypeCase) -> str:
    kind, _ = parse(case.left)
    if case.other_kind == "python-int":
        base = case.left  # a weak Python int never changes the array's dtype
    elif case.other_kind == "python-float":
        base = case.left if kind == "float" else "float64"
    else:
        assert case.other_dtype is not None
        base = promote(case.left, case.other_dtype)
    if case.op == "/" and not base.startswith("float"):
        return "float64"
    return base


def check_dtype(seed: int, params: Params, draft: Draft) -> None:
    case = ar.draw_dtype(rng(seed), params)
    expected = expected_dtype(case)
    assert draft.answer == expected, (case, draft.answer)
    assert sum(choice == expected for choice in draft.choices) == 1
    assert len(draft.choices) == 4
    a, b = ar.dtype_operands(case)
    assert a in draft.prompt and b in draft.prompt and f"a {case.op} b" in draft.prompt
    # Running what the prompt shows gives the same dtype.
    snippet = f"import numpy as np\na = {a}\nb = {b}\nprint((a {case.op} b).dtype)\n"
    assert printed(snippet) == expected


# --- slicing, by Python lists ----------------------------------------------------------------


def rows_of(case: ar.SliceCase) -> list[list[int]]:
    rows, cols = case.shape
    return [list(case.values[r * cols : (r + 1) * cols]) for r in range(rows)]


def by_lists(case: ar.SliceCase) -> Any:
    """The selection recomputed on plain lists; shapes as tuples."""
    t, a = case.template, case.args
    x = list(case.values)
    vector: dict[str, Callable[[], Any]] = {
        "start-stop": lambda: x[a[0] : a[1]],
        "head": lambda: x[: a[0]],
        "tail": lambda: x[a[0] : len(x) - 1],
        "step": lambda: [x[p] for p in range(a[0], len(x), a[1])],
        "negative-tail": lambda: x[len(x) - a[0] :],
        "reverse-range": lambda: [x[p] for p in range(a[0], a[1], -1)],
        "repeat-index": lambda: [x[a[0]], x[a[1]], x[a[0]]],
        "two-conditions": lambda: [v for v in x if a[0] < v < a[1]],
        "greater": lambda: [v for v in x if v > a[0]],
        "not-greater": lambda: [v for v in x if v <= a[0]],
        "even": lambda: [v for v in x if v % 2 == 0],
    }
    if t in vector:
        return vector[t]()
    m = rows_of(case)
    flat = [v for row in m for v in row]
    matrix: dict[str, Callable[[], Any]] = {
        "row": lambda: m[a[0]],
        "column": lambda: [row[a[0]] for row in m],
        "row-tail": lambda: m[a[0]][a[1] :],
        "block": lambda: [row[: a[1]] for row in m[a[0] :]],
        "every-other-row": lambda: [row[a[0]] for row in m[::2]],
        "index-rows": lambda: [m[a[0]], m[a[1]]],
        "index-columns": lambda: [[row[a[0]], row[a[1]]] for row in m],
        "index-pairs": lambda: [m[a[0]][a[2]], m[a[1]][a[3]]],
        "shape-column": lambda: (len(m), 1) if a[1] else (len(m),),
        "shape-mask": lambda: (sum(v > a[0] for v in flat),),
    }
    return matrix[t]()


def check_slice(seed: int, params: Params, draft: Draft) -> None:
    case = ar.draw_slice(rng(seed), params)
    assert draft.code == ar.slice_code(case)
    assert printed(draft.code) == draft.answer
    assert str(by_lists(case)) == draft.answer


# --- reductions, by removing axes ------------------------------------------------------------


def check_reduce(seed: int, params: Params, draft: Draft) -> None:
    case = ar.draw_reduce(rng(seed), params)
    ndim = len(case.shape)
    if case.axis is None:
        removed = set(range(ndim))
    elif isinstance(case.axis, tuple):
        removed = {a % ndim for a in case.axis}
    else:
        removed = {case.axis % ndim}
    if case.keepdims:
        shape = tuple(1 if k in removed else n for k, n in enumerate(case.shape))
    else:
        shape = tuple(n for k, n in enumerate(case.shape) if k not in removed)
    assert draft.answer == str(shape)
    assert printed(draft.code or "") == draft.answer


# --- memory, by itemsize ----------------------------------------------------------------------

ITEMSIZE = {"bool": 1, "uint8": 1, "float16": 2, "int32": 4, "float32": 4, "int64": 8, "float64": 8}


def check_nbytes(seed: int, params: Params, draft: Draft) -> None:
    case = ar.draw_memory(rng(seed), params)
    total = math.prod((case.rows, case.cols)) * ITEMSIZE[case.dtype]
    assert isinstance(draft.answer, float)
    assert math.isclose(draft.answer, total / 10**6, rel_tol=1e-12)
    assert draft.rel_tolerance > 0 and draft.tolerance == 0


CHECKS: dict[str, Callable[[int, Params, Draft], None]] = {
    "broadcast_shape": check_broadcast,
    "dtype_result": check_dtype,
    "slice_result": check_slice,
    "reduce_shape": check_reduce,
    "array_nbytes": check_nbytes,
}

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("broadcast_shape", {}),
    ("broadcast_shape", {"max_ndim": 2, "max_dim": 4, "error_share": 0.5}),
    ("dtype_result", {}),
    ("dtype_result", {"other": "python-int"}),
    ("dtype_result", {"other": "python-float", "ops": "*/"}),
    ("dtype_result", {"other": "array"}),
    ("dtype_result", {"other": "numpy-scalar"}),
    ("slice_result", {"level": 1}),
    ("slice_result", {"level": 2}),
    ("slice_result", {"level": 3}),
    ("reduce_shape", {"level": 1}),
    ("reduce_shape", {"level": 2}),
    ("reduce_shape", {"level": 3}),
    ("array_nbytes", {}),
    ("array_nbytes", {"dtype": "float32"}),
]


def bank_variants() -> list[tuple[str, dict[str, Any]]]:
    """The parameter sets the quiz banks actually use, so each is tested as members see it."""
    found = []
    for bank in sorted(QUIZZES.glob("*.yaml")):
        for item in yaml.safe_load(bank.read_text(encoding="utf-8"))["items"]:
            if item.get("generator") in NAMES:
                found.append((item["generator"], dict(item.get("params") or {})))
    return found


VARIANTS += [variant for variant in bank_variants() if variant not in VARIANTS]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(VARIANTS)]


def test_the_module_registers_its_generators() -> None:
    mine = {g.name for g in REGISTRY.values() if g.build.__module__ == ar.__name__}
    assert mine == set(NAMES) == set(CHECKS)
    for name in NAMES:
        assert REGISTRY[name].summary
        assert REGISTRY[name].params_problems(REGISTRY[name].defaults) == []


def test_every_generator_is_used_by_a_quiz_item() -> None:
    assert {name for name, _ in bank_variants()} == set(NAMES)


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_answers_match_an_independent_recomputation(name: str, overrides: Params) -> None:
    params = full(name, overrides)
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


def question_text(name: str, seed: int, overrides: Params, draft: Draft) -> str:
    """The prompt without the drawn operands: a dtype question must name the input dtypes, and
    one of them may well be the answer, but nothing else in it may say which."""
    if name != "dtype_result":
        return draft.prompt
    a, b = ar.dtype_operands(ar.draw_dtype(rng(seed), full(name, overrides)))
    return draft.prompt.replace(a, "").replace(b, "")


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_drafts_are_well_formed_and_varied(name: str, overrides: Params) -> None:
    prompts: set[str] = set()
    answers: set[object] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        assert draft == build(name, seed, overrides), "the same seed must give the same draft"
        prompts.add(draft.prompt)
        answers.add(draft.answer)
        assert draft.prompt.strip() and draft.explanation.strip()
        text = draft.prompt + "\n" + draft.explanation + "\n" + " ".join(draft.choices)
        for pattern in UNNATURAL:
            assert not re.search(pattern, text), (name, seed, pattern, text)
        if draft.kind is Kind.NUMERIC:
            assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
            shown = re.escape(f"{draft.answer:g}")
            assert not re.search(rf"(?<![\d.]){shown}(?![\d])", draft.prompt)
        else:
            assert str(draft.answer) not in question_text(name, seed, overrides, draft), seed
        if draft.kind is Kind.CHOICE:
            assert draft.answer in draft.choices
            assert len(set(draft.choices)) == len(draft.choices) == 4
        if draft.kind is Kind.OUTPUT:
            assert draft.code and isinstance(draft.answer, str)
        # The explanation arrives at the answer it argued for.
        if isinstance(draft.answer, float):
            bold = re.findall(r"\*\*([\d,.]+) MB\*\*", draft.explanation)
            stated = [float(x.replace(",", "")) for x in bold]
            assert stated and math.isclose(stated[-1], draft.answer, rel_tol=5e-3)
        else:
            assert f"**{draft.answer}**" in draft.explanation, (name, seed)
    assert len(prompts) >= 50, f"{name} {overrides}: only {len(prompts)} distinct prompts"
    assert len(answers) >= 3


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=IDS)
def test_grade_accepts_the_answer(name: str, overrides: Params) -> None:
    item = QuizItem(
        id="np-test",
        topic="numpy",
        difficulty=2,
        path=Path("quizzes/numpy.yaml"),
        line=1,
        generator=name,
        params=overrides,
    )
    for seed in SEEDS:
        question = generate(item, seed)
        if question.kind is Kind.CHOICE:
            number = question.choices.index(str(question.answer)) + 1
            assert grade(question, str(number)).correct
            wrong = next(n for n in range(1, 5) if n != number)
            assert not grade(question, str(wrong)).correct
        else:
            assert grade(question, question.expected_text).correct, (name, seed)
        if question.kind is Kind.OUTPUT:
            # People type shapes and lists without NumPy's spacing.
            squeezed = question.expected_text.replace(" ", "")
            assert grade(question, squeezed).correct


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("broadcast_shape", {"max_dim": 3}),
        ("broadcast_shape", {"max_ndim": 0}),
        ("broadcast_shape", {"error_share": 1.5}),
        ("dtype_result", {"other": "string"}),
        ("dtype_result", {"ops": "%"}),
        ("dtype_result", {"ops": ""}),
        ("slice_result", {"level": 4}),
        ("reduce_shape", {"level": 0}),
        ("array_nbytes", {"dtype": "complex128"}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: Params) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
