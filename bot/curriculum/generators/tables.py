"""Table generators: groupby aggregates, merge row counts, pivot-table shapes and value counts.

pandas is about tables, so each builder draws a small one with a public `draw_*` function (tests
redraw the same case from the same seed and recompute the answer without pandas), then asks
pandas itself for the answer. Tables stay small enough to work out on paper, and the category
names carry no digits, so a prompt never gives a count away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------


def _num(value: float) -> str:
    """Short text for a number: 3 rather than 3.0, 0.25 rather than 0.250000."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _texts(values: Sequence[str | None]) -> str:
    """A Python list literal of strings, with None for a missing value."""
    return "[" + ", ".join("None" if v is None else f'"{v}"' for v in values) + "]"


def _cell(value: int | None) -> str:
    return "np.nan" if value is None else str(value)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(0, len(options)))]


def _choose(rng: np.random.Generator, pool: Sequence[str], k: int) -> tuple[str, ...]:
    """k different names from the pool, in the pool's order (so tables read naturally)."""
    chosen = sorted(rng.choice(len(pool), size=k, replace=False))
    return tuple(pool[int(i)] for i in chosen)


def _size(params: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = int(params[name])
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n} rows"


# --- groupby aggregate --------------------------------------------------------------------------

AGGS = ("sum", "mean", "count", "max")

# key column, the names it can hold, value column
GROUP_THEMES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "shops": ("shop", ("Bath", "Hull", "Leeds", "York", "Derby"), "sales"),
    "teams": ("team", ("blue", "gold", "green", "red", "teal"), "points"),
    "cities": ("city", ("Kyiv", "Lima", "Oslo", "Pune", "Rome"), "rain_mm"),
    "labs": ("lab", ("alpha", "beta", "delta", "gamma", "omega"), "score"),
    "plans": ("plan", ("basic", "family", "plus", "pro", "trial"), "minutes"),
}


@dataclass(frozen=True)
class GroupCase:
    key: str  # name of the key column
    value: str  # name of the value column
    keys: tuple[str, ...]  # one per row
    values: tuple[int | None, ...]  # one per row; None is a missing value
    agg: str
    target: str  # the group asked about


def draw_groupby(rng: np.random.Generator, params: Mapping[str, Any]) -> GroupCase:
    rows = _size(params, "rows", 3, 10)
    groups = _size(params, "groups", 2, 4)
    missing = _size(params, "missing", 0, rows - 1)
    agg = str(params["agg"])
    if agg not in (*AGGS, "any"):
        raise ValueError(f"agg must be one of {', '.join(AGGS)} or 'any'")
    if groups > rows:
        raise ValueError(f"groups ({groups}) cannot exceed rows ({rows})")
    key, names, value = GROUP_THEMES[_pick(rng, sorted(GROUP_THEMES))]
    chosen = _choose(rng, names, groups)
    # Every group appears at least once; the rest of the rows are drawn, then shuffled.
    order = list(range(groups)) + [int(i) for i in rng.integers(0, groups, size=rows - groups)]
    keys = tuple(chosen[i] for i in rng.permutation(order))
    numbers = [int(v) for v in rng.integers(1, 21, size=rows)]
    gaps = {int(i) for i in rng.choice(rows, size=missing, replace=False)}
    values = tuple(None if i in gaps else v for i, v in enumerate(numbers))
    if agg == "any":
        agg = _pick(rng, AGGS)
    present = sorted({k for k, v in zip(keys, values, strict=True) if v is not None})
    target = _pick(rng, present)
    return GroupCase(key, value, keys, values, agg, target)


def groupby_code(case: GroupCase) -> str:
    needs_numpy = any(v is None for v in case.values)
    lines = ["import numpy as np"] if needs_numpy else []
    lines += [
        "import pandas as pd",
        "",
        "df = pd.DataFrame({",
        f'    "{case.key}": {_texts(case.keys)},',
        f'    "{case.value}": [{", ".join(_cell(v) for v in case.values)}],',
        "})",
        f'result = df.groupby("{case.key}")["{case.value}"].{case.agg}()',
    ]
    return "\n".join(lines) + "\n"


@register(
    "groupby_result",
    "One group's value of df.groupby(key)[col].sum/mean/count/max() on a small table",
    rows=6,
    groups=3,
    missing=0,
    agg="any",
)
def groupby_result(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Split-apply-combine by hand once, including what a missing value does to each function."""
    case = draw_groupby(rng, params)
    df = pd.DataFrame(
        {case.key: list(case.keys), case.value: [np.nan if v is None else v for v in case.values]}
    )
    value = float(df.groupby(case.key)[case.value].agg(case.agg)[case.target])
    in_group = [v for k, v in zip(case.keys, case.values, strict=True) if k == case.target]
    present = [v for v in in_group if v is not None]
    gaps = len(in_group) - len(present)
    shown = ", ".join("NaN" if v is None else str(v) for v in in_group)
    noun = "value" if len(in_group) == 1 else "values"
    intro = f'The rows with {case.key} "{case.target}" have the {noun} {shown}. '
    skipped = " (the NaN is skipped)" if gaps == 1 else " (the NaNs are skipped)" if gaps else ""
    if case.agg == "sum":
        if len(present) == 1:
            work = f"Only one value is present{skipped}, so `sum` gives it: **{_num(value)}**."
        else:
            adds = " + ".join(str(v) for v in present)
            work = f"`sum` adds the values that are present{skipped}: {adds} = **{_num(value)}**."
    elif case.agg == "mean":
        total = sum(v for v in present if v is not None)
        work = (
            f"`mean` divides the total of the values present by how many are present"
            f"{skipped}: {total} / {len(present)} = **{value:.2f}**."
        )
        if gaps:
            work += f" Dividing by all {len(in_group)} rows would be wrong."
    elif case.agg == "count":
        work = f"`count` counts the values that are present: **{_num(value)}**."
        if gaps:
            work += f" A NaN is not counted; `size()` counts rows and would say {len(in_group)}."
    else:
        work = f"`max` picks the largest value present{skipped}: **{_num(value)}**."
    prompt = (
        f"`result` holds the `{case.agg}` of `{case.value}` for each `{case.key}`. "
        f'What is `result["{case.target}"]`?'
    )
    if case.agg == "mean":
        prompt += " Two decimals are enough."
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=intro + work,
        tolerance=0.01 if case.agg == "mean" else 1e-6,
        code=groupby_code(case),
    )


# --- merge row counts ---------------------------------------------------------------------------

HOWS = ("inner", "left", "right", "outer")

KEY_THEMES: dict[str, tuple[str, ...]] = {
    "user": ("ana", "ben", "cy", "dev", "eli", "fay"),
    "city": ("Kyiv", "Lima", "Oslo", "Pune", "Rome", "Riga"),
    "sku": ("bag", "cup", "hat", "mug", "pen", "tie"),
    "team": ("blue", "gold", "green", "red", "teal", "grey"),
}


@dataclass(frozen=True)
class MergeCase:
    key: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    how: str


def draw_merge(rng: np.random.Generator, params: Mapping[str, Any]) -> MergeCase:
    left_rows = _size(params, "left_rows", 1, 8)
    right_rows = _size(params, "right_rows", 1, 8)
    pool = _size(params, "pool", 2, 6)
    how = str(params["how"])
    if how not in (*HOWS, "any"):
        raise ValueError(f"how must be one of {', '.join(HOWS)} or 'any'")
    key = _pick(rng, sorted(KEY_THEMES))
    names = _choose(rng, KEY_THEMES[key], pool)
    left = tuple(sorted(names[int(i)] for i in rng.integers(0, pool, size=left_rows)))
    right = tuple(sorted(names[int(i)] for i in rng.integers(0, pool, size=right_rows)))
    if how == "any":
        how = _pick(rng, HOWS)
    return MergeCase(key, left, right, how)


@register(
    "merge_rows",
    "How many rows an inner/left/right/outer merge of two key columns gives, duplicates included",
    left_rows=4,
    right_rows=4,
    pool=3,
    how="any",
)
def merge_rows(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Row counts after a merge are the first check on a join; duplicated keys multiply them."""
    case = draw_merge(rng, params)
    left = pd.DataFrame({case.key: list(case.left)})
    right = pd.DataFrame({case.key: list(case.right)})
    value = float(len(left.merge(right, on=case.key, how=case.how)))
    n_left = left[case.key].value_counts()
    n_right = right[case.key].value_counts()
    keys = sorted(set(case.left) | set(case.right))
    counts = "; ".join(
        f"{k}: {int(n_left.get(k, 0))} left, {int(n_right.get(k, 0))} right" for k in keys
    )
    shared = [k for k in keys if k in n_left.index and k in n_right.index]
    pairs = [int(n_left[k]) * int(n_right[k]) for k in shared]
    matched = " + ".join(f"{int(n_left[k])} × {int(n_right[k])} ({k})" for k in shared)
    inner = sum(pairs)
    if shared:
        work = f"Matching pairs: {matched} = {inner}."
    else:
        work = "No key appears on both sides, so there are no matching pairs: 0."
    only_left = sum(int(n) for k, n in n_left.items() if k not in n_right.index)
    only_right = sum(int(n) for k, n in n_right.items() if k not in n_left.index)
    extras = []
    if case.how in ("left", "outer") and only_left:
        extras.append(f"{_rows(only_left)} of `left` without a partner")
    if case.how in ("right", "outer") and only_right:
        extras.append(f"{_rows(only_right)} of `right` without a partner")
    article = "An" if case.how in ("inner", "outer") else "A"
    if extras:
        work += f" {article} {case.how} merge also keeps " + " and ".join(extras)
        work += " (with NaN in the other table's columns)."
    elif case.how != "inner":
        which = {"left": "of `left`", "right": "of `right`", "outer": "on both sides"}[case.how]
        work += f" Every row {which} has a partner, so the {case.how} merge adds no other rows."
    work += f" Total: **{_num(value)}** rows."
    prompt = (
        f"Two DataFrames each have a `{case.key}` column:\n"
        f'`left["{case.key}"]` holds `{_texts(case.left)}`\n'
        f'`right["{case.key}"]` holds `{_texts(case.right)}`\n'
        f'How many rows does `left.merge(right, on="{case.key}", how="{case.how}")` have?'
    )
    explanation = (
        f"Count each key on both sides ({counts}). Every left row pairs with every right row "
        f"of the same key, so duplicates multiply. {work}"
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=value, explanation=explanation)


# --- pivot-table shape --------------------------------------------------------------------------

ASKS = ("rows", "columns", "gaps")

# index column and its names, columns column and its names, values column
PIVOT_THEMES: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...], str]] = {
    "sales": (
        "store",
        ("Bath", "Hull", "York", "Leeds"),
        "product",
        ("pens", "cups", "hats", "mugs"),
        "units",
    ),
    "visits": (
        "clinic",
        ("north", "south", "east", "west"),
        "weekday",
        ("Mon", "Tue", "Wed", "Thu"),
        "patients",
    ),
    "grades": (
        "student",
        ("Ana", "Ben", "Cy", "Dev"),
        "subject",
        ("maths", "art", "music", "latin"),
        "mark",
    ),
}


@dataclass(frozen=True)
class PivotCase:
    index: str
    columns: str
    values: str
    rows: tuple[tuple[str, str, int], ...]  # (index value, column value, number)
    ask: str


def draw_pivot(rng: np.random.Generator, params: Mapping[str, Any]) -> PivotCase:
    n = _size(params, "rows", 2, 10)
    ask = str(params["ask"])
    if ask not in (*ASKS, "any"):
        raise ValueError(f"ask must be one of {', '.join(ASKS)} or 'any'")
    index, index_names, columns, column_names, values = PIVOT_THEMES[
        _pick(rng, sorted(PIVOT_THEMES))
    ]
    n_index = int(rng.integers(2, 4, endpoint=True))
    n_columns = int(rng.integers(2, 4, endpoint=True))
    rows_pool = _choose(rng, index_names, n_index)
    cols_pool = _choose(rng, column_names, n_columns)
    drawn = tuple(
        (rows_pool[int(i)], cols_pool[int(j)], int(v))
        for i, j, v in zip(
            rng.integers(0, n_index, size=n),
            rng.integers(0, n_columns, size=n),
            rng.integers(1, 10, size=n),
            strict=True,
        )
    )
    if ask == "any":
        ask = _pick(rng, ASKS)
    return PivotCase(index, columns, values, drawn, ask)


@register(
    "pivot_shape",
    "Rows, columns or NaN cells of a pivot_table built from a small long table",
    rows=6,
    ask="any",
)
def pivot_shape(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A pivot table has a row per distinct index value and a column per distinct column value."""
    case = draw_pivot(rng, params)
    df = pd.DataFrame(list(case.rows), columns=[case.index, case.columns, case.values])
    table = df.pivot_table(
        index=case.index, columns=case.columns, values=case.values, aggfunc="sum"
    )
    n_rows, n_cols = table.shape
    gaps = int(table.isna().to_numpy().sum())
    value = float({"rows": n_rows, "columns": n_cols, "gaps": gaps}[case.ask])
    index_list = [r[0] for r in case.rows]
    column_list = [r[1] for r in case.rows]
    question = {
        "rows": "How many rows does `table` have?",
        "columns": "How many columns does `table` have?",
        "gaps": "How many of its cells are NaN?",
    }[case.ask]
    prompt = (
        f"A long table `df` has one row per record, with these `{case.index}` and "
        f"`{case.columns}` columns (and a numeric `{case.values}` column):\n"
        f"`{case.index}`: `{_texts(index_list)}`\n"
        f"`{case.columns}`: `{_texts(column_list)}`\n"
        f'`table = df.pivot_table(index="{case.index}", columns="{case.columns}", '
        f'values="{case.values}", aggfunc="sum")`\n'
        f"{question}"
    )
    distinct_index = sorted(set(index_list))
    distinct_columns = sorted(set(column_list))
    pairs = len(set(zip(index_list, column_list, strict=True)))
    explanation = (
        f"One row per distinct {case.index} ({', '.join(distinct_index)}: {n_rows}) and one "
        f"column per distinct {case.columns} ({', '.join(distinct_columns)}: {n_cols}), so the "
        f"table has {n_rows} × {n_cols} = {n_rows * n_cols} cells. Repeated pairs are summed "
        f"into one cell; the {pairs} distinct pairs that occur fill {pairs} cells, and the "
        f"other {gaps} {'is' if gaps == 1 else 'are'} NaN. Answer: **{_num(value)}**."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=value, explanation=explanation)


# --- value counts -------------------------------------------------------------------------------

MODES = ("count", "share")

COUNT_THEMES: dict[str, tuple[str, ...]] = {
    "pet": ("cat", "dog", "fish", "bird", "rabbit"),
    "colour": ("red", "blue", "green", "black", "white"),
    "browser": ("Firefox", "Chrome", "Safari", "Edge", "Opera"),
    "label": ("spam", "ham", "unsure", "promo", "social"),
}


@dataclass(frozen=True)
class CountsCase:
    name: str
    values: tuple[str | None, ...]
    target: str
    mode: str


def draw_counts(rng: np.random.Generator, params: Mapping[str, Any]) -> CountsCase:
    size = _size(params, "size", 3, 12)
    kinds = _size(params, "kinds", 2, 5)
    missing = _size(params, "missing", 0, size - 1)
    mode = str(params["mode"])
    if mode not in (*MODES, "any"):
        raise ValueError(f"mode must be one of {', '.join(MODES)} or 'any'")
    name = _pick(rng, sorted(COUNT_THEMES))
    names = _choose(rng, COUNT_THEMES[name], kinds)
    drawn = [names[int(i)] for i in rng.integers(0, kinds, size=size)]
    gaps = {int(i) for i in rng.choice(size, size=missing, replace=False)}
    values = tuple(None if i in gaps else v for i, v in enumerate(drawn))
    present = sorted({v for v in values if v is not None})
    target = _pick(rng, present)
    if mode == "any":
        mode = _pick(rng, MODES)
    return CountsCase(name, values, target, mode)


@register(
    "value_counts",
    "A count or share from Series.value_counts(), with missing values in play",
    size=8,
    kinds=3,
    missing=1,
    mode="any",
)
def value_counts(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """value_counts is the first look at a categorical column; its shares skip the gaps."""
    case = draw_counts(rng, params)
    s = pd.Series(list(case.values), name=case.name)
    share = case.mode == "share"
    value = float(s.value_counts(normalize=share)[case.target])
    hits = sum(v == case.target for v in case.values)
    present = sum(v is not None for v in case.values)
    missing = len(case.values) - present
    call = "s.value_counts(normalize=True)" if share else "s.value_counts()"
    prompt = f'`s = pd.Series({_texts(case.values)})`\nWhat is `{call}["{case.target}"]`?'
    if share:
        prompt += " Two decimals are enough."
        explanation = (
            f'"{case.target}" appears {hits} {"time" if hits == 1 else "times"}. With '
            f"`normalize=True` each count is divided by the number of values that are present"
            f"{f' ({missing} missing left out)' if missing else ''}: {hits} / {present} = "
            f"**{value:.2f}**."
        )
        if missing:
            explanation += f" Dividing by all {len(case.values)} entries would need `dropna=False`."
    else:
        explanation = (
            f'`value_counts()` counts each distinct value; "{case.target}" appears '
            f"**{_num(value)}** {'time' if hits == 1 else 'times'}."
        )
        if missing:
            explanation += " Missing values are not counted unless you pass `dropna=False`."
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.01 if share else 1e-6,
    )
