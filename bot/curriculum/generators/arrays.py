"""NumPy array generators: broadcast shapes, result dtypes, slices and masks, shapes, memory.

Shape and dtype surprises are where NumPy code goes wrong quietly, so these questions ask a
member to predict what NumPy will do before the rule is shown. Every answer comes from doing the
drawn operation with the installed NumPy (and catching its error when there is one), never from a
table typed here: NumPy 2 changed its promotion rules (NEP 50), and an answer computed by NumPy
itself cannot drift from what a member sees when they run the same code.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------


def _shape(shape: tuple[int, ...]) -> str:
    """A shape as NumPy prints it: (3, 4), (4,) or ()."""
    return str(tuple(int(n) for n in shape))


def _array_of_shape(shape: tuple[int, ...]) -> str:
    return f"an array of shape {_shape(shape)}"


def _list(values: Any) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _pick(rng: np.random.Generator, options: tuple[Any, ...] | list[Any]) -> Any:
    return options[int(rng.integers(0, len(options)))]


def _shuffled(rng: np.random.Generator, options: list[str]) -> tuple[str, ...]:
    order = rng.permutation(len(options))
    return tuple(options[int(i)] for i in order)


def _positive_int(params: Mapping[str, Any], name: str, least: int) -> int:
    value = int(params[name])
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return value


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


# --- the shape a broadcast operation gives ----------------------------------------------------

BROADCAST_ERROR = "a ValueError: the shapes cannot be broadcast together"


@dataclass(frozen=True)
class BroadcastCase:
    left: tuple[int, ...]
    right: tuple[int, ...]
    op: str


def _operand(rng: np.random.Generator, target: list[int]) -> list[int]:
    """A trailing part of the target shape, with some of its sizes replaced by 1."""
    keep = int(rng.integers(1, len(target), endpoint=True))
    return [1 if rng.random() < 0.35 else n for n in target[len(target) - keep :]]


def draw_broadcast(rng: np.random.Generator, params: Mapping[str, Any]) -> BroadcastCase:
    max_ndim = _positive_int(params, "max_ndim", 1)
    max_dim = _positive_int(params, "max_dim", 4)
    error_share = float(params["error_share"])
    if not 0 <= error_share <= 1:
        raise ValueError(f"error_share must be between 0 and 1, got {error_share}")
    while True:
        ndim = int(rng.integers(1, max_ndim, endpoint=True))
        target = [int(n) for n in rng.integers(2, max_dim, endpoint=True, size=ndim)]
        left, right = _operand(rng, target), _operand(rng, target)
        if rng.random() < error_share:
            # Two sizes that sit on the same axis, differ and are neither of them 1.
            axis = -int(rng.integers(1, min(len(left), len(right)), endpoint=True))
            first, second = rng.choice(np.arange(2, max_dim + 1), size=2, replace=False)
            left[axis], right[axis] = int(first), int(second)
        if left != right and (len(left) > 1 or len(right) > 1):
            op = str(_pick(rng, ("+", "-", "*")))
            return BroadcastCase(left=tuple(left), right=tuple(right), op=op)


def _naive_max(left: tuple[int, ...], right: tuple[int, ...], align: str) -> tuple[int, ...]:
    """The larger size on each axis, ignoring the rule: what people expect to get."""
    width = max(len(left), len(right))
    if align == "right":
        a = (1,) * (width - len(left)) + left
        b = (1,) * (width - len(right)) + right
    else:
        a = left + (1,) * (width - len(left))
        b = right + (1,) * (width - len(right))
    return tuple(max(x, y) for x, y in zip(a, b, strict=True))


def _pairs_text(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[list[str], int | None]:
    """Each axis from the last one back, in words; and the first axis that fails, if any."""
    width = max(len(left), len(right))
    steps: list[str] = []
    failed: int | None = None
    for k in range(1, width + 1):
        a = left[-k] if k <= len(left) else None
        b = right[-k] if k <= len(right) else None
        if a is None or b is None:
            present = a if a is not None else b
            steps.append(f"{present} and nothing → {present}")
        elif a == b:
            steps.append(f"{a} and {b} → {a}")
        elif a == 1 or b == 1:
            steps.append(f"{a} and {b} → {max(a, b)} (the 1 stretches)")
        else:
            steps.append(f"{a} and {b} clash")
            failed = k
            break
    return steps, failed


@register(
    "broadcast_shape",
    "Which shape does an operation between two arrays give, or does it fail to broadcast?",
    max_ndim=3,
    max_dim=5,
    error_share=0.35,
)
def broadcast_shape(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Broadcasting errors, and worse the silent wrong shapes, all follow from one rule."""
    case = draw_broadcast(rng, params)
    try:
        shape: tuple[int, ...] | None = OPERATORS[case.op](
            np.ones(case.left), np.ones(case.right)
        ).shape
    except ValueError:
        shape = None
    answer = BROADCAST_ERROR if shape is None else _array_of_shape(shape)
    right_max = _naive_max(case.left, case.right, "right")
    left_max = _naive_max(case.left, case.right, "left")
    longer = case.left if len(case.left) >= len(case.right) else case.right
    candidates = [
        BROADCAST_ERROR,
        _array_of_shape(left_max),
        _array_of_shape(right_max),
        _array_of_shape(longer),
        _array_of_shape(case.right if longer is case.left else case.left),
        _array_of_shape(tuple(reversed(right_max))),
        _array_of_shape((*right_max, 1)),
    ]
    distractors = list(dict.fromkeys(c for c in candidates if c != answer))[:3]
    choices = _shuffled(rng, [answer, *distractors])
    prompt = (
        f"`a = np.ones({_shape(case.left)})` and `b = np.ones({_shape(case.right)})`.\n"
        f"What does `a {case.op} b` give?"
    )
    steps, failed = _pairs_text(case.left, case.right)
    lined_up = "Line the shapes up from the right and compare axis by axis, last axis first: "
    uneven = len(case.left) != len(case.right)
    if shape is None:
        assert failed is not None
        explanation = (
            f"{lined_up}{'; '.join(steps)}. Two sizes on the same axis must be equal or one of "
            f"them 1, so NumPy raises **{BROADCAST_ERROR}**."
        )
        if uneven:
            explanation += (
                " The shorter shape is only ever padded with 1s on the left, never on the right."
            )
    else:
        rule = "A missing axis counts as 1, and a 1" if uneven else "A 1"
        explanation = (
            f"{lined_up}{'; '.join(steps)}. {rule} stretches to match the other size, so the "
            f"result is **{answer}**."
        )
    return Draft(
        kind=Kind.CHOICE,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        choices=choices,
    )


# --- the dtype NumPy 2 gives an arithmetic result ---------------------------------------------

ARRAY_DTYPES = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "float16",
    "float32",
    "float64",
)
SCALAR_DTYPES = ("int32", "int64", "float32", "float64")
OTHER_KINDS = ("python-int", "python-float", "array", "numpy-scalar")
PYTHON_FLOATS = (0.5, 1.5, 2.5, 0.25)


@dataclass(frozen=True)
class DtypeCase:
    left: str  # the dtype of the array `a`
    other_kind: str  # one of OTHER_KINDS
    other_dtype: str | None  # the dtype of `b` when it is a NumPy array or scalar
    value: int | float  # the scalar `b`, or the first value of the array `b`
    op: str


def draw_dtype(rng: np.random.Generator, params: Mapping[str, Any]) -> DtypeCase:
    other = str(params["other"])
    if other not in (*OTHER_KINDS, "any"):
        raise ValueError(f"other must be one of {', '.join(OTHER_KINDS)} or 'any'")
    ops = str(params["ops"])
    if not ops or any(op not in OPERATORS for op in ops):
        raise ValueError(f"ops must be made of the characters {''.join(OPERATORS)}, got {ops!r}")
    left = str(_pick(rng, ARRAY_DTYPES))
    kind = str(_pick(rng, OTHER_KINDS)) if other == "any" else other
    op = str(_pick(rng, tuple(ops)))
    other_dtype: str | None = None
    value: int | float
    if kind == "python-int":
        value = int(rng.integers(2, 9, endpoint=True))
    elif kind == "python-float":
        value = float(_pick(rng, PYTHON_FLOATS))
    elif kind == "array":
        other_dtype = str(_pick(rng, tuple(d for d in ARRAY_DTYPES if d != left)))
        value = int(rng.integers(2, 6, endpoint=True))
    else:
        other_dtype = str(_pick(rng, SCALAR_DTYPES))
        value = int(rng.integers(2, 9, endpoint=True))
    return DtypeCase(left=left, other_kind=kind, other_dtype=other_dtype, value=value, op=op)


def dtype_operands(case: DtypeCase) -> tuple[str, str]:
    """The Python source of `a` and of `b`, as the prompt shows them."""
    a = f"np.array([1, 2, 3], dtype=np.{case.left})"
    if case.other_kind in ("python-int", "python-float"):
        b = repr(case.value)
    elif case.other_kind == "array":
        values = [int(case.value) + k for k in range(3)]
        b = f"np.array({_list(values)}, dtype=np.{case.other_dtype})"
    else:
        is_float = np.dtype(str(case.other_dtype)).kind == "f"
        b = f"np.{case.other_dtype}({case.value}{'.0' if is_float else ''})"
    return a, b


def _dtype_reason(case: DtypeCase, promoted: str) -> str:
    """Why `a` and `b` promote to the dtype NumPy gave, `promoted`."""
    if case.other_kind == "python-int":
        return (
            "`b` is a plain Python int, which NumPy 2 treats as *weak* (NEP 50): it adopts the "
            f"array's dtype instead of bringing its own, so the pair promotes to **{promoted}**."
        )
    if case.other_kind == "python-float":
        if promoted == case.left:
            return (
                "`b` is a plain Python float, which NumPy 2 treats as *weak* (NEP 50): an array "
                f"that already holds floats keeps its dtype, so the pair promotes to "
                f"**{promoted}**."
            )
        return (
            "`b` is a plain Python float. It is *weak* (NEP 50), but an integer dtype cannot "
            f"hold {case.value}, so NumPy moves up to its default float: the pair promotes to "
            f"**{promoted}**."
        )
    what = "array" if case.other_kind == "array" else "scalar"
    assert case.other_dtype is not None
    return (
        f"`b` is a NumPy {what} with its own dtype, {case.other_dtype}, so both dtypes count "
        f"(`np.result_type`): {_pair_rule(case.left, case.other_dtype)}. The pair promotes to "
        f"**{promoted}**."
    )


def _pair_rule(left: str, right: str) -> str:
    """The promotion rule that applies to two NumPy dtypes, in words."""
    kinds = {np.dtype(left).kind, np.dtype(right).kind}
    if len(kinds) == 1:
        family = {"i": "signed integer", "u": "unsigned integer", "f": "float"}[kinds.pop()]
        return f"two {family} dtypes give the wider of the two"
    if "f" not in kinds:
        return "a signed and an unsigned integer give a signed type wide enough for both ranges"
    return (
        "an integer and a float give a float, widened until the integer's range fits "
        "(8-bit integers fit in float16, 16-bit ones need float32, 32- and 64-bit ones float64)"
    )


@register(
    "dtype_result",
    "Which dtype does NumPy 2 give an operation between an array and another operand?",
    other="any",
    ops="+-*/",
)
def dtype_result(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """NEP 50 changed promotion in NumPy 2; predicting dtypes catches silent float32/int8 bugs."""
    case = draw_dtype(rng, params)
    source_a, source_b = dtype_operands(case)
    namespace = {"np": np}
    # Evaluate the very source the prompt shows, so the answer is about that code.
    a = eval(source_a, namespace)
    b = eval(source_b, namespace)
    promoted = str(np.asarray(a + b).dtype)
    answer = str(np.asarray(OPERATORS[case.op](a, b)).dtype)
    candidates = [
        case.left,
        case.other_dtype or "",
        promoted,
        "float64",
        "int64",
        "float32",
        "int16",
        "uint8",
    ]
    distractors = list(dict.fromkeys(c for c in candidates if c and c != answer))[:3]
    choices = _shuffled(rng, [answer, *distractors])
    kind_words = {
        "python-int": " (a Python int)",
        "python-float": " (a Python float)",
        "array": "",
        "numpy-scalar": " (a NumPy scalar)",
    }[case.other_kind]
    prompt = (
        f"`a = {source_a}` and `b = {source_b}`{kind_words}.\n"
        f"In NumPy 2, what is the dtype of `a {case.op} b`?"
    )
    explanation = _dtype_reason(case, promoted)
    if answer != promoted:
        explanation += (
            f" But `/` is true division: it always returns floats, so integers give **{answer}**."
        )
    elif case.op == "/":
        explanation += f" `/` keeps a float dtype as it is, so `a / b` is **{answer}** too."
    else:
        explanation += f" `a {case.op} b` computes in that dtype."
    return Draft(
        kind=Kind.CHOICE,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        choices=choices,
    )


# --- what a slice, a mask or an index array selects -------------------------------------------

LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class SliceCase:
    setup: str  # the line that builds the array
    expression: str  # what is selected
    show: str  # "values" (printed with .tolist()) or "shape"
    template: str  # which kind of selection, for the explanation and the tests
    values: tuple[int, ...]  # the array's values, row by row
    shape: tuple[int, ...]
    args: tuple[int, ...]  # the numbers the template was filled with


def _run_selection(case: SliceCase) -> Any:
    namespace: dict[str, Any] = {"np": np}
    # Run the very lines the member is shown (built by draw_slice), not a re-implementation.
    exec(case.setup, namespace)
    return eval(case.expression, namespace)


def slice_code(case: SliceCase) -> str:
    """The snippet shown to the member; it prints exactly the draft's answer."""
    what = ".shape" if case.show == "shape" else ".tolist()"
    return f"import numpy as np\n{case.setup}\nprint({case.expression}{what})\n"


def _vector_case(rng: np.random.Generator, level: int) -> SliceCase:
    n = int(rng.integers(6, 9, endpoint=True))
    values = tuple(int(v) for v in rng.choice(np.arange(1, 30), size=n, replace=False))
    setup = f"x = np.array({_list(values)})"
    if level == 1:
        template = str(_pick(rng, ("start-stop", "head", "tail", "step", "negative-tail")))
    else:
        template = str(_pick(rng, ("reverse-range", "repeat-index", "two-conditions")))
    show = "values"
    expression: str
    args: tuple[int, ...]
    if template == "start-stop":
        i = int(rng.integers(1, n - 2))
        j = int(rng.integers(i + 2, n, endpoint=True))
        expression, args = (f"x[{i}:{j}]" if j < n else f"x[{i}:]"), (i, j)
    elif template == "head":
        j = int(rng.integers(2, n - 1))
        expression, args = f"x[:{j}]", (j,)
    elif template == "tail":
        i = int(rng.integers(1, n - 1))
        expression, args = f"x[{i}:-1]", (i,)
    elif template == "step":
        i = int(rng.integers(0, 2, endpoint=True))
        k = int(rng.integers(2, 3, endpoint=True))
        expression, args = (f"x[{i}::{k}]" if i else f"x[::{k}]"), (i, k)
    elif template == "negative-tail":
        k = int(rng.integers(2, 4, endpoint=True))
        expression, args = f"x[-{k}:]", (k,)
    elif template == "reverse-range":
        j = int(rng.integers(3, n - 1))
        i = int(rng.integers(0, j - 1))
        expression, args = f"x[{j}:{i}:-1]", (j, i)
    elif template == "repeat-index":
        i, j = (int(v) for v in rng.choice(np.arange(n), size=2, replace=False))
        expression, args = f"x[[{i}, {j}, {i}]]", (i, j)
    else:
        ordered = sorted(values)
        low = int(rng.integers(0, n - 3))
        high = int(rng.integers(low + 2, n - 1))
        t, u = ordered[low], ordered[high]
        expression, args = f"x[(x > {t}) & (x < {u})]", (t, u)
    return SliceCase(setup, expression, show, template, values, (n,), args)


def _mask_case(rng: np.random.Generator) -> SliceCase:
    n = int(rng.integers(6, 9, endpoint=True))
    values = tuple(int(v) for v in rng.choice(np.arange(1, 30), size=n, replace=False))
    setup = f"x = np.array({_list(values)})"
    template = str(_pick(rng, ("greater", "even", "not-greater")))
    expression: str
    args: tuple[int, ...]
    if template == "even":
        expression, args = "x[x % 2 == 0]", ()
    else:
        t = int(_pick(rng, sorted(values)[1:-1]))
        sign = ">" if template == "greater" else "<="
        expression, args = f"x[x {sign} {t}]", (t,)
    return SliceCase(setup, expression, "values", template, values, (n,), args)


def _matrix_case(rng: np.random.Generator, level: int) -> SliceCase:
    rows = int(rng.integers(3, 4, endpoint=True))
    cols = int(rng.integers(3, 5, endpoint=True))
    start = int(_pick(rng, (0, 0, 1, 10, 20)))
    size = rows * cols
    built = f"np.arange({size})" if start == 0 else f"np.arange({start}, {start + size})"
    setup = f"m = {built}.reshape({rows}, {cols})"
    values = tuple(range(start, start + size))
    if level == 2:
        template = str(_pick(rng, ("row", "column", "row-tail", "block", "every-other-row")))
    else:
        template = str(
            _pick(
                rng,
                ("index-rows", "index-columns", "index-pairs", "shape-column", "shape-mask"),
            )
        )
    show = "shape" if template.startswith("shape") else "values"
    expression: str
    args: tuple[int, ...]
    i = int(rng.integers(0, rows))
    j = int(rng.integers(0, cols))
    if template == "row":
        expression, args = f"m[{i}]", (i,)
    elif template == "column":
        expression, args = f"m[:, {j}]", (j,)
    elif template == "row-tail":
        j = int(rng.integers(1, cols - 1))
        expression, args = f"m[{i}, {j}:]", (i, j)
    elif template == "block":
        i = int(rng.integers(1, rows - 1))
        j = int(rng.integers(1, cols - 1))
        expression, args = f"m[{i}:, :{j}]", (i, j)
    elif template == "every-other-row":
        expression, args = f"m[::2, {j}]", (j,)
    elif template == "index-rows":
        i, k = (int(v) for v in rng.choice(np.arange(rows), size=2, replace=False))
        expression, args = f"m[[{i}, {k}]]", (i, k)
    elif template == "index-columns":
        j, k = (int(v) for v in rng.choice(np.arange(cols), size=2, replace=False))
        expression, args = f"m[:, [{j}, {k}]]", (j, k)
    elif template == "index-pairs":
        i, k = (int(v) for v in rng.choice(np.arange(rows), size=2, replace=False))
        j, q = (int(v) for v in rng.choice(np.arange(cols), size=2, replace=False))
        expression, args = f"m[[{i}, {k}], [{j}, {q}]]", (i, k, j, q)
    elif template == "shape-column":
        keep = bool(rng.integers(0, 2))
        expression = f"m[:, {j}:{j + 1}]" if keep else f"m[:, {j}]"
        args = (j, int(keep))
    else:
        t = int(rng.integers(start + 1, start + size - 1))
        expression, args = f"m[m > {t}]", (t,)
    return SliceCase(setup, expression, show, template, values, (rows, cols), args)


def draw_slice(rng: np.random.Generator, params: Mapping[str, Any]) -> SliceCase:
    level = int(params["level"])
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(str(v) for v in LEVELS)}")
    while True:
        if level == 1:
            case = _vector_case(rng, 1)
        elif level == 2:
            case = _mask_case(rng) if rng.random() < 0.4 else _matrix_case(rng, 2)
        else:
            case = _vector_case(rng, 3) if rng.random() < 0.35 else _matrix_case(rng, 3)
        result = np.asarray(_run_selection(case))
        answer = _slice_answer(case, result)
        # A selection that keeps nothing or everything teaches nothing; and the prompt names
        # the expression, which must not spell out the answer.
        if 0 < result.size < len(case.values) and answer not in case.expression:
            return case


def _slice_answer(case: SliceCase, result: np.ndarray) -> str:
    return _shape(result.shape) if case.show == "shape" else str(result.tolist())


def _slice_explanation(case: SliceCase, answer: str) -> str:
    t = case.template
    a = case.args
    if t == "start-stop":
        stop = f"stops *before* position {a[1]}" if a[1] < case.shape[0] else "runs to the end"
        return (
            f"Counting from 0, the slice starts at position {a[0]} (included) and {stop}, so "
            f"it keeps {a[1] - a[0]} elements: **{answer}**."
        )
    if t == "head":
        return (
            f"A missing start means 0, and the stop is excluded, so `x[:{a[0]}]` is the first "
            f"{a[0]} elements: **{answer}**."
        )
    if t == "tail":
        return (
            f"`-1` is the position of the last element, and the stop is excluded, so "
            f"`x[{a[0]}:-1]` runs from position {a[0]} up to but not including the last "
            f"element: **{answer}**."
        )
    if t == "step":
        return (
            f"`start::step` takes position `start` and then every {a[1]}th element after it. "
            f"Counting from 0, that is **{answer}**."
        )
    if t == "negative-tail":
        return (
            f"Negative positions count from the end, so `x[-{a[0]}:]` is the last {a[0]} "
            f"elements: **{answer}**."
        )
    if t == "reverse-range":
        return (
            f"With a step of -1 the slice walks backwards: it starts at position {a[0]} and "
            f"stops *before* position {a[1]}, so position {a[1]} itself is left out: "
            f"**{answer}**."
        )
    if t == "repeat-index":
        return (
            "An index list picks elements in the order you list them, and may pick the same "
            f"one twice: positions {a[0]}, {a[1]}, {a[0]} give **{answer}**. "
            "The result is a new array (a copy), not a view."
        )
    if t == "two-conditions":
        return (
            "`&` combines the two boolean arrays element by element (each comparison needs "
            "its brackets, because `&` binds tighter than `>`). Strictly between "
            f"{a[0]} and {a[1]}, in the array's order: **{answer}**."
        )
    if t in ("greater", "not-greater", "even"):
        return (
            "The comparison makes one True or False per element, and indexing with it keeps "
            f"the elements where it is True, in their original order: **{answer}**."
        )
    if t == "row":
        return (
            f"One index on a 2-D array picks a whole row: `m[{a[0]}]` is row {a[0]} "
            f"(counting from 0), **{answer}**."
        )
    if t == "column":
        return (
            f"`:` keeps every row and `{a[0]}` picks one column from each, so the column comes "
            f"out as a flat 1-D array: **{answer}**."
        )
    if t == "row-tail":
        return (
            f"Row {a[0]}, then the columns from position {a[1]} to the end: **{answer}**. "
            "An integer index drops its axis, so the result is 1-D."
        )
    if t == "block":
        return (
            f"Rows from {a[0]} to the end and columns before {a[1]}: two slices keep both "
            f"axes, so the result is 2-D: **{answer}**."
        )
    if t == "every-other-row":
        return f"`::2` takes rows 0, 2, … and `{a[0]}` picks that column from each: **{answer}**."
    if t == "index-rows":
        return (
            f"A list in the first position picks whole rows in that order: rows {a[0]} and "
            f"{a[1]}, **{answer}**."
        )
    if t == "index-columns":
        return (
            f"`:` keeps every row and the list picks columns {a[0]} and {a[1]}, in that order, "
            f"from each: **{answer}**."
        )
    if t == "index-pairs":
        return (
            "Two index lists are read as pairs, not as a block: `m[[i, k], [j, l]]` is "
            f"`[m[i, j], m[k, l]]`, here `m[{a[0]}, {a[2]}]` and `m[{a[1]}, {a[3]}]`, "
            f"**{answer}**. For the block of those rows and columns, use "
            "`m[np.ix_([i, k], [j, l])]`."
        )
    if t == "shape-column":
        rows = case.shape[0]
        if a[1]:
            return (
                f"A slice keeps its axis even when it holds one column, so `m[:, {a[0]}:"
                f"{a[0] + 1}]` is a column of {rows} rows: **{answer}**. `m[:, {a[0]}]` would "
                f"drop the axis and give ({rows},)."
            )
        return (
            f"An integer index drops its axis, so one column comes out 1-D: **{answer}**. "
            f"Write `m[:, {a[0]}:{a[0] + 1}]` to keep it as a ({rows}, 1) column."
        )
    return (
        "A boolean mask on a 2-D array keeps the matching elements and flattens them into one "
        f"1-D array, whatever rows they came from: counting them gives **{answer}**."
    )


@register(
    "slice_result",
    "What does a slice, boolean mask or index array select (values or shape)?",
    level=1,
)
def slice_result(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Off-by-one slices, flattening masks and pairwise index arrays are everyday bugs."""
    case = draw_slice(rng, params)
    answer = _slice_answer(case, np.asarray(_run_selection(case)))
    if len(case.shape) == 1:
        length = f"`x` has {case.shape[0]} elements"
    else:
        length = f"`m` has shape {_shape(case.shape)}"
    if case.show == "shape":
        task = f"the shape of `{case.expression}`"
    else:
        task = f"what `{case.expression}` selects"
    prompt = f"What does this print? {length}; work out {task} before you run anything."
    return Draft(
        kind=Kind.OUTPUT,
        prompt=prompt,
        answer=answer,
        explanation=_slice_explanation(case, answer),
        code=slice_code(case),
    )


# --- the shape a reduction leaves --------------------------------------------------------------

REDUCTIONS = ("sum", "mean", "max", "min")


@dataclass(frozen=True)
class ReduceCase:
    shape: tuple[int, ...]
    op: str
    axis: int | tuple[int, ...] | None
    keepdims: bool


def draw_reduce(rng: np.random.Generator, params: Mapping[str, Any]) -> ReduceCase:
    level = int(params["level"])
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(str(v) for v in LEVELS)}")
    max_ndim = 3 if level == 1 else 4
    ndim = int(rng.integers(2, max_ndim, endpoint=True))
    shape = tuple(int(n) for n in rng.choice(np.arange(2, 9), size=ndim, replace=False))
    op = str(_pick(rng, REDUCTIONS))
    axis: int | tuple[int, ...] | None
    keepdims = False
    if level == 1:
        axis = int(rng.integers(0, ndim))
    elif level == 2:
        axis = int(rng.integers(0, ndim))
        if rng.random() < 0.5:
            axis -= ndim  # the same axis counted from the end
        keepdims = bool(rng.random() < 0.5)
    else:
        style = float(rng.random())
        if style < 0.7:
            picked = sorted(int(v) for v in rng.choice(np.arange(ndim), size=2, replace=False))
            axis = tuple(picked)
        else:
            axis = None
        keepdims = bool(rng.random() < 0.5)
    return ReduceCase(shape=shape, op=op, axis=axis, keepdims=keepdims)


def _call(case: ReduceCase) -> str:
    args = []
    if case.axis is not None:
        args.append(f"axis={case.axis}")
    if case.keepdims:
        args.append("keepdims=True")
    return f"x.{case.op}({', '.join(args)})"


def reduce_code(case: ReduceCase) -> str:
    return f"import numpy as np\nx = np.ones({_shape(case.shape)})\nprint({_call(case)}.shape)\n"


@register(
    "reduce_shape",
    "Which shape does a sum/mean/max along some axes leave?",
    level=1,
)
def reduce_shape(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Naming an axis removes it; predicting the shape makes that rule automatic."""
    case = draw_reduce(rng, params)
    x = np.ones(case.shape)
    result = getattr(x, case.op)(axis=case.axis, keepdims=case.keepdims)
    answer = _shape(np.shape(result))
    ndim = len(case.shape)
    if case.axis is None:
        named = list(range(ndim))
        which = "With no `axis`, every axis is reduced"
    else:
        axes = case.axis if isinstance(case.axis, tuple) else (case.axis,)
        named = sorted(a % ndim for a in axes)
        positions = " and ".join(f"{a} (size {case.shape[a]})" for a in named)
        which = f"`axis={case.axis}` names {'axes' if len(named) > 1 else 'axis'} {positions}"
        if any(a < 0 for a in axes):
            which += ", counting from the end"
    if case.keepdims:
        fate = "`keepdims=True` keeps each reduced axis as a size-1 axis"
    else:
        fate = "each reduced axis disappears from the shape"
    explanation = (
        f"`x` has shape {_shape(case.shape)}. {which}; {fate}. "
        f"So `{_call(case)}` has shape **{answer}**."
    )
    if case.axis is None and not case.keepdims:
        explanation += " A shape of `()` means a single number (a 0-d result)."
    prompt = (
        f"`x` has shape {_shape(case.shape)}. What does this print? Decide first which axes "
        "the reduction removes, and which it keeps."
    )
    return Draft(
        kind=Kind.OUTPUT,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        code=reduce_code(case),
    )


# --- how much memory an array takes -----------------------------------------------------------

ROW_COUNTS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 60_000, 100_000)
COLUMN_COUNTS = (12, 30, 64, 128, 256, 784, 3_072)
MEMORY_DTYPES = ("bool", "uint8", "float16", "int32", "float32", "int64", "float64")


@dataclass(frozen=True)
class MemoryCase:
    rows: int
    cols: int
    dtype: str


def draw_memory(rng: np.random.Generator, params: Mapping[str, Any]) -> MemoryCase:
    dtype = str(params["dtype"])
    if dtype not in (*MEMORY_DTYPES, "any"):
        raise ValueError(f"dtype must be one of {', '.join(MEMORY_DTYPES)} or 'any'")
    rows = int(_pick(rng, ROW_COUNTS))
    cols = int(_pick(rng, COLUMN_COUNTS))
    if dtype == "any":
        dtype = str(_pick(rng, MEMORY_DTYPES))
    return MemoryCase(rows=rows, cols=cols, dtype=dtype)


def _megabytes(value: float) -> str:
    """Three significant figures without an exponent: 0.036, 1.8, 188, 6,144."""
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{float(f'{value:.3g}'):g}"


@register(
    "array_nbytes",
    "How many megabytes does an array of a given shape and dtype take?",
    dtype="any",
)
def array_nbytes(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Choosing float32 over float64 or uint8 over int64 halves or divides memory: count it."""
    case = draw_memory(rng, params)
    # A broadcast view has the shape and dtype without allocating the memory it describes.
    view = np.broadcast_to(np.zeros((), dtype=case.dtype), (case.rows, case.cols))
    total = int(view.nbytes)
    answer = total / 1_000_000
    size = case.rows * case.cols
    prompt = (
        f"`X = np.zeros(({case.rows}, {case.cols}), dtype=np.{case.dtype})`. How many "
        "megabytes does `X.nbytes` come to, counting a megabyte as a million bytes? "
        "Three significant figures are enough."
    )
    item = view.itemsize
    explanation = (
        f"Each {case.dtype} element takes {_count(item, 'byte')} (`X.itemsize`), and there "
        f"are {case.rows:,} × {case.cols:,} = {size:,} elements, so `X.nbytes` is "
        f"{size:,} × {item} = {total:,} bytes, **{_megabytes(answer)} MB**. "
        "Memory is size × itemsize: the dtype is the lever you control."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=answer,
        explanation=explanation,
        tolerance=0,
        rel_tolerance=5e-3,
    )
