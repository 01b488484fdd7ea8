"""Checking exercises: what the runner reported, compared with the model answer's values, here.

The runner only ever sees the member's code and the cases' inputs (the harness in
`bot/services/exercise_harness.py` writes back what each call returned). The expected values are
the model solution's returns, computed by the same harness in another run; they are compared
here, outside the jail, so printing "passed" or forging the report gains nothing.

What comes back from a run is untrusted: `parse_report` reads only the lines after the run's
marker, `decode` turns each tagged value into the plain types below or refuses it.

Comparison rules (`compare`):
- floats, and arrays, Series and DataFrames of floats, are close when |got − expected| ≤
  atol + rtol·|expected| (the exercise's tolerances); NaN equals NaN and a missing value (None,
  pd.NA) equals a missing value; ints, bools and strings compare exactly;
- an int where a float is expected is fine (`0` for `0.0`, an int array for a float one with the
  same values): integers are exact floats. A float where an int is expected is not: a count or an
  index that became a float usually means a division or a mean crept in;
- a bool is not a number here (True is not 1), and NumPy scalars count as the Python ones;
- a list and a tuple are interchangeable; a list is not a NumPy array; a dict's key order does
  not matter, a DataFrame's column order does;
- arrays compare shape, then the kind of their values, then the values; Series and DataFrames
  compare their index labels too, but not their names (`Series.name`, `Index.name`).

Feedback says which case failed and how, never the expected value or the case's inputs:
"returned an array of shape (3, 1), expected shape (3,)", "2 of 10 values differ, the largest by
12%", "raised ZeroDivisionError on line 6 of your code: division by zero".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

SHORT = 40  # characters of a member's own key or label quoted back to them


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-9


# -- values, as decoded -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    """None, a bool, int, float, complex or str (Python's or NumPy's), or pandas' NA."""

    kind: str  # none | bool | int | float | complex | str | na
    value: Any = None
    numpy: str = ""  # the NumPy dtype, when it was a NumPy scalar


@dataclass(frozen=True)
class Items:
    kind: str  # list | tuple | set
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Pairs:
    """A dict, its items in the order they came."""

    pairs: tuple[tuple[Value, Value], ...]


@dataclass(frozen=True)
class Column:
    """Values of one dtype, flat: numbers as float/int/bool/complex (None when missing), dates
    and durations as text, anything else (kind O) as values."""

    dtype: str
    kind: str  # f i u b c M m O
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Array:
    shape: tuple[int, ...]
    column: Column


@dataclass(frozen=True)
class Series:
    index: Column
    column: Column


@dataclass(frozen=True)
class Frame:
    index: Column
    columns: Column
    data: tuple[Column, ...]


@dataclass(frozen=True)
class Labels:
    """A pandas Index returned as the value itself."""

    column: Column


@dataclass(frozen=True)
class TooBig:
    what: str


@dataclass(frozen=True)
class Other:
    """A value the checker does not compare (its type), or could not read (no type)."""

    type_name: str = ""


Value = Scalar | Items | Pairs | Array | Series | Frame | Labels | TooBig | Other


class Malformed(ValueError):
    """A report or value that is not what the harness writes."""


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise Malformed(what)


def _number(raw: Any, kind: str) -> Any:
    """One flat number by kind; None is missing."""
    if raw is None:
        return None
    if kind == "f":
        if raw in ("nan", "inf", "-inf"):
            return float(raw)
        _need(isinstance(raw, int | float) and not isinstance(raw, bool), "not a float")
        return float(raw)
    if kind in "iu":
        _need(isinstance(raw, int) and not isinstance(raw, bool), "not an int")
        return int(raw)
    if kind == "b":
        _need(isinstance(raw, bool), "not a bool")
        return raw
    if kind == "c":
        _need(isinstance(raw, list) and len(raw) == 2, "not a complex")
        return complex(_number(raw[0], "f"), _number(raw[1], "f"))
    _need(isinstance(raw, str), "not a date")
    return raw


def _column(raw: Any) -> Column:
    _need(isinstance(raw, dict), "not a column")
    dtype, kind, values = raw.get("dtype"), raw.get("kind"), raw.get("v")
    _need(isinstance(dtype, str) and isinstance(values, list), "not a column")
    _need(isinstance(kind, str) and len(kind) == 1 and kind in "fiubcMmOUS", "unknown kind")
    if kind in "OUS":
        return Column(dtype, "O", tuple(decode(item) for item in values))
    return Column(dtype, kind, tuple(_number(item, kind) for item in values))


def decode(raw: Any) -> Value:
    """A value from the harness's tagged JSON; `Malformed` for anything else."""
    try:
        return _decode(raw)
    except RecursionError:
        raise Malformed("nested too deeply") from None
    except (TypeError, ValueError, OverflowError) as error:
        if isinstance(error, Malformed):
            raise
        raise Malformed(str(error)) from None


def _decode(raw: Any) -> Value:
    _need(isinstance(raw, dict) and isinstance(raw.get("t"), str), "not a tagged value")
    tag, v = raw["t"], raw.get("v")
    if tag == "none":
        return Scalar("none")
    if tag == "na":
        return Scalar("na")
    if tag == "bool":
        return Scalar("bool", _number(v, "b"))
    if tag == "int":
        return Scalar("int", _number(v, "i"))
    if tag == "float":
        return Scalar("float", _number(v, "f"))
    if tag == "complex":
        return Scalar("complex", _number(v, "c"))
    if tag == "str":
        _need(isinstance(v, str), "not a str")
        return Scalar("str", v)
    if tag in ("list", "tuple", "set"):
        _need(isinstance(v, list), "not a list")
        return Items(tag, tuple(decode(item) for item in v))
    if tag == "dict":
        _need(isinstance(v, list) and all(isinstance(p, list) and len(p) == 2 for p in v), "pairs")
        return Pairs(tuple((decode(k), decode(x)) for k, x in v))
    if tag == "np":
        column = _column({"dtype": raw.get("dtype"), "kind": raw.get("kind"), "v": [v]})
        return _numpy_scalar(column)
    if tag == "ndarray":
        shape = raw.get("shape")
        _need(isinstance(shape, list) and all(_count(n) for n in shape), "bad shape")
        column = _column(raw)
        _need(math.prod(shape) == len(column.values), "shape and values disagree")
        return Array(tuple(shape), column)
    if tag == "series":
        series = Series(_column(raw.get("index")), _column(raw))
        _need(len(series.index.values) == len(series.column.values), "index and values disagree")
        return series
    if tag == "frame":
        index, columns = _column(raw.get("index")), _column(raw.get("columns"))
        cols = raw.get("cols")
        _need(isinstance(cols, list) and len(cols) == len(columns.values), "columns disagree")
        data = tuple(_column(col) for col in cols)
        _need(all(len(c.values) == len(index.values) for c in data), "rows disagree")
        return Frame(index, columns, data)
    if tag == "index":
        return Labels(_column(raw))
    if tag == "big":
        _need(isinstance(raw.get("what"), str), "big without a description")
        return TooBig(raw["what"][:200])
    if tag == "other":
        _need(isinstance(raw.get("type"), str), "other without a type")
        return Other(raw["type"][:100] or "object")
    raise Malformed(f"unknown tag {tag[:20]!r}")


def _count(n: object) -> TypeGuard[int]:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _numpy_scalar(column: Column) -> Scalar:
    [value] = column.values
    if column.kind == "O":
        _need(isinstance(value, Scalar), "not a scalar")
        return Scalar(value.kind, value.value, column.dtype)
    kind = {"f": "float", "i": "int", "u": "int", "b": "bool", "c": "complex"}.get(column.kind)
    if value is None:
        return Scalar("na", None, column.dtype)
    return Scalar(kind or "str", value, column.dtype)


# -- what a run reported ------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """An exception in the member's code: its type, message and their line (if it was theirs)."""

    type: str
    message: str = ""
    line: int | None = None


@dataclass(frozen=True)
class CaseReport:
    number: int
    value: Value | None = None
    error: Failure | None = None
    broken: Failure | None = None  # the case's inputs could not be built: the content's fault
    printed: str = ""
    printed_total: int = 0


@dataclass(frozen=True)
class Report:
    """One check run as the harness reported it. `ready` is False when the code did not get
    as far as defining the function (`setup_error` says why, if the harness could say)."""

    ready: bool = False
    setup_error: Failure | None = None
    printed: str = ""
    started: frozenset[int] = frozenset()
    cases: Mapping[int, CaseReport] = field(default_factory=dict)
    ended: bool = False

    @property
    def heard(self) -> bool:
        """Whether the harness said anything at all."""
        return self.ready or self.setup_error is not None


def _failure(raw: Any) -> Failure:
    _need(isinstance(raw, dict), "not an error")
    kind, message, line = raw.get("type"), raw.get("message", ""), raw.get("line")
    _need(isinstance(kind, str) and isinstance(message, str), "not an error")
    _need(line is None or _count(line), "bad line")
    return Failure(kind[:80], message[:300], line)


def _text(raw: Any) -> str:
    return raw[:1000] if isinstance(raw, str) else ""


def parse_report(stdout: str, marker: str) -> Report:
    """The harness's lines in a run's output. Anything else is the member's (ignored); a line
    that does not parse is ignored; the first report of a case is the one that counts."""
    ready, setup_error, printed, ended = False, None, "", False
    started: set[int] = set()
    cases: dict[int, CaseReport] = {}
    prefix = marker + " "
    for line in stdout.splitlines():
        if not line.startswith(prefix):
            continue
        try:
            record = json.loads(line[len(prefix) :], parse_constant=_no_constant)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        event, number = record.get("event"), record.get("case")
        try:
            if event in ("ready", "setup") and not (ready or setup_error):
                printed = _text(record.get("printed"))
                if event == "ready":
                    ready = True
                else:
                    setup_error = _failure(record.get("error"))
            elif event == "start" and _count(number):
                started.add(number)
            elif event == "case" and _count(number) and number not in cases:
                cases[number] = _case(number, record)
            elif event == "end":
                ended = True
        except Malformed:
            continue
    return Report(ready, setup_error, printed, frozenset(started), cases, ended)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _case(number: int, record: dict[str, Any]) -> CaseReport:
    printed, raw_total = _text(record.get("printed")), record.get("printed_total")
    total = raw_total if _count(raw_total) else len(printed)
    if "broken" in record:
        return CaseReport(number, broken=_failure(record["broken"]))
    if "error" in record:
        failure = _failure(record["error"])
        return CaseReport(number, error=failure, printed=printed, printed_total=total)
    try:
        value: Value = decode(record.get("value"))
    except Malformed:
        value = Other()
    return CaseReport(number, value=value, printed=printed, printed_total=total)


class BrokenReference(Exception):
    """The model solution did not give a value for every case: the exercise is broken."""


def expected_values(report: Report, count: int) -> tuple[Value, ...]:
    """The reference run's returns, one per case, or BrokenReference saying what went wrong."""
    if report.setup_error is not None:
        raise BrokenReference(f"the solution failed to load: {_failure_text(report.setup_error)}")
    values = []
    for number in range(1, count + 1):
        case = report.cases.get(number)
        if case is None or case.value is None:
            why = _failure_text(case.broken or case.error) if case else "no report"
            raise BrokenReference(f"case {number}: {why}")
        if isinstance(case.value, TooBig | Other):
            raise BrokenReference(f"case {number}: the solution returned {_noun(case.value)}")
        values.append(case.value)
    return tuple(values)


def _failure_text(failure: Failure | None) -> str:
    if failure is None:
        return "no report"
    where = f" on line {failure.line}" if failure.line else ""
    return f"{failure.type}{where}: {failure.message}".rstrip(": ")


# -- comparison ---------------------------------------------------------------------------------


def _noun(value: Value) -> str:
    """What a value is, with its article: "a float", "a NumPy array", "None"."""
    if isinstance(value, Scalar):
        return {
            "none": "None",
            "na": "pd.NA",
            "bool": "a bool",
            "int": "an int",
            "float": "a float",
            "complex": "a complex number",
            "str": "a string",
        }[value.kind]
    if isinstance(value, Items):
        return {"list": "a list", "tuple": "a tuple", "set": "a set"}[value.kind]
    if isinstance(value, Pairs):
        return "a dict"
    if isinstance(value, Array):
        return "a NumPy array"
    if isinstance(value, Series):
        return "a pandas Series"
    if isinstance(value, Frame):
        return "a pandas DataFrame"
    if isinstance(value, Labels):
        return "a pandas Index"
    if isinstance(value, TooBig):
        return value.what
    return f"a {value.type_name} object" if value.type_name else "a value it could not read"


def _category(value: Value) -> str:
    if isinstance(value, Scalar):
        return "number" if value.kind in ("int", "float") else value.kind
    if isinstance(value, Items):
        return "set" if value.kind == "set" else "sequence"
    return type(value).__name__


_KIND_CLASS = {"u": "i", "U": "O", "S": "O"}
_KIND_WORDS = {
    "f": "floats",
    "i": "integers",
    "b": "booleans",
    "c": "complex numbers",
    "M": "dates",
    "m": "durations",
}


def _kind_class(kind: str) -> str:
    return _KIND_CLASS.get(kind, kind)


def _kind_word(column: Column) -> str:
    kind = _kind_class(column.kind)
    if kind != "O":
        return _KIND_WORDS.get(kind, f"values of kind {kind!r}")
    texts = [v for v in column.values if not _missing(v)]
    if texts and all(isinstance(v, Scalar) and v.kind == "str" for v in texts):
        return "strings"
    return "Python objects"


def _kinds_fit(got: Column, expected: Column) -> bool:
    g, e = _kind_class(got.kind), _kind_class(expected.kind)
    return g == e or (e == "f" and g == "i")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Scalar):
        return value.kind in ("none", "na") or (value.kind == "float" and math.isnan(value.value))
    return False


def _close(got: Any, expected: Any, tol: Tolerance) -> bool:
    """Two flat values (numbers, text, or values) agree within the tolerance."""
    if _missing(got) or _missing(expected):
        return _missing(got) and _missing(expected)
    if isinstance(got, Scalar | Items | Pairs | Array | Series | Frame | Labels):
        return compare(got, expected, tol) is None
    if isinstance(expected, complex) or isinstance(got, complex):
        g, e = complex(got), complex(expected)
        return _close(g.real, e.real, tol) and _close(g.imag, e.imag, tol)
    if isinstance(expected, float) or isinstance(got, float):
        g, e = float(got), float(expected)
        if math.isinf(g) or math.isinf(e):
            return g == e
        return abs(g - e) <= tol.atol + tol.rtol * abs(e)
    return bool(got == expected)


def _error_size(got: Any, expected: Any) -> tuple[bool, float] | None:
    """How far off a number is, in one measure only: relative to the expected value when that
    is a non-zero float, else absolute. Both together would give the expected value back
    (|expected| = difference / share); one leaves two candidates, and it is rounded."""
    if isinstance(got, complex) or isinstance(expected, complex):
        size = abs(complex(got) - complex(expected))
        relative = False
        if expected != 0:
            size, relative = size / abs(complex(expected)), True
    else:
        g, e = float(got), float(expected)
        if not (math.isfinite(g) and math.isfinite(e)):
            return None
        relative = isinstance(expected, float) and e != 0
        size = abs(g - e) / abs(e) if relative else abs(g - e)
    return (relative, size) if math.isfinite(size) else None


def _size_text(size: tuple[bool, float]) -> str:
    relative, amount = size
    if not relative:
        if amount.is_integer() and amount < 1e15:
            return f"{amount:,.0f}"  # whole numbers as themselves: "by 128", not "1.3e+02"
        return f"{amount:.2g}"
    share = amount * 100
    return f"{share:,.0f}%" if share >= 100 else f"{share:.2g}%"


def _column_difference(got: Column, expected: Column, tol: Tolerance) -> str | None:
    """ "2 of 10 values differ, the largest by 12%", or None when they agree."""
    differ, nans = 0, 0
    worst: tuple[bool, float] | None = None
    for g, e in zip(got.values, expected.values, strict=True):
        if _close(g, e, tol):
            continue
        differ += 1
        if _missing(g) and not _missing(e):
            nans += 1
        elif _numeric(g) and _numeric(e):
            size = _error_size(g, e)
            if size is not None and (worst is None or size > worst):
                worst = size  # relative sizes rank above absolute ones (of zeros)
    if not differ:
        return None
    total = len(expected.values)
    if total == 1:
        text = "the value differs" + (f" by {_size_text(worst)}" if worst else "")
    else:
        text = f"{differ} of {total} values differ"
        if worst is not None:
            text += f", {'the largest ' if differ > 1 else ''}by {_size_text(worst)}"
    if nans:
        text += f"; {nans} {'is' if nans == 1 else 'are'} missing (NaN) where a value was expected"
    return text


def _numeric(x: Any) -> bool:
    return isinstance(x, int | float | complex) and not isinstance(x, bool) and not _missing(x)


def _shape(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def _short(value: Any) -> str:
    """A member's own label or key, quoted back to them."""
    if isinstance(value, Scalar) and value.kind in ("str", "int", "float", "bool"):
        text = repr(value.value)
    elif isinstance(value, Items):
        text = "(" + ", ".join(_short(item) for item in value.items) + ")"
    elif isinstance(
        value, Scalar | Items | Pairs | Array | Series | Frame | Labels | TooBig | Other
    ):
        text = _noun(value)
    else:
        text = repr(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _key(value: Any) -> Hashable:
    """What makes two labels or keys the same one: 1, 1.0 and numpy's 1 alike."""
    if isinstance(value, Scalar):
        if value.kind in ("int", "float"):
            return ("number", value.value)
        return (value.kind, value.value)
    if isinstance(value, Items):
        return ("items", tuple(_key(item) for item in value.items))
    if isinstance(value, float | int) and not isinstance(value, bool):
        return ("number", value)
    return (type(value).__name__, value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class _Path:
    """Where in the returned value a difference is: "" (the value itself), "[1]", "['mean']"."""

    def __init__(self, text: str = "") -> None:
        self.text = text

    def child(self, part: str) -> _Path:
        return _Path(f"{self.text}[{part}]")

    @property
    def verb(self) -> str:
        return "returned" if not self.text else f"result{self.text} is"

    def say(self, sentence: str) -> str:
        return sentence if not self.text else f"result{self.text}: {sentence}"


def compare(got: Value, expected: Value, tol: Tolerance = Tolerance()) -> str | None:
    """None when `got` matches `expected`, else why not, without the expected value."""
    return _compare(got, expected, tol, _Path())


def _compare(got: Value, expected: Value, tol: Tolerance, at: _Path) -> str | None:
    if isinstance(got, TooBig):
        return f"{at.verb} {got.what}: too large to check"
    if isinstance(got, Other):
        if not got.type_name:
            return at.say("the checker could not read what your function returned")
        return (
            f"{at.verb} {_noun(got)}, which the checker cannot compare; expected {_noun(expected)}"
        )
    if _category(got) != _category(expected):
        return f"{at.verb} {_noun(got)}, expected {_noun(expected)}"
    if isinstance(expected, Scalar):
        assert isinstance(got, Scalar)
        return _scalar(got, expected, tol, at)
    if isinstance(expected, Items):
        assert isinstance(got, Items)
        return _set(got, expected, at) if expected.kind == "set" else _items(got, expected, tol, at)
    if isinstance(expected, Pairs):
        assert isinstance(got, Pairs)
        return _pairs(got, expected, tol, at)
    if isinstance(expected, Array):
        assert isinstance(got, Array)
        return _array(got, expected, tol, at)
    if isinstance(expected, Series):
        assert isinstance(got, Series)
        return _series(got, expected, tol, at)
    if isinstance(expected, Frame):
        assert isinstance(got, Frame)
        return _frame(got, expected, tol, at)
    if isinstance(expected, Labels):
        assert isinstance(got, Labels)
        return _labels(got.column, expected.column, tol, at, "the Index")
    return at.say("the checker cannot compare this value")


def _scalar(got: Scalar, expected: Scalar, tol: Tolerance, at: _Path) -> str | None:
    if expected.kind == "int" and got.kind == "float":
        return f"{at.verb} a float, expected an int"
    if _close(got.value, expected.value, tol) or (got.kind == expected.kind == "none"):
        return None
    if expected.kind == "str":
        return _string(str(got.value), str(expected.value), at)
    shown = repr(got.value) if got.kind != "float" else f"{got.value:.6g}"
    size = _error_size(got.value, expected.value) if _numeric(got.value) else None
    if size is not None and _numeric(expected.value):
        return f"{at.verb} {shown}, off by {_size_text(size)}"
    return f"{at.verb} {shown}, which is not the expected value"


def _string(got: str, expected: str, at: _Path) -> str:
    hint = ""
    if got.strip().casefold() == expected.strip().casefold():
        hint = ": it differs only in letter case or spaces at the ends"
    elif len(got) != len(expected):
        hint = f" ({_plural(len(got), 'character')}, expected {len(expected)})"
    return f"{at.verb} a different string{hint}"


def _items(got: Items, expected: Items, tol: Tolerance, at: _Path) -> str | None:
    if len(got.items) != len(expected.items):
        count = _plural(len(got.items), "item")
        return f"{at.verb} {_noun(got)} of {count}, expected {len(expected.items)}"
    for number, (g, e) in enumerate(zip(got.items, expected.items, strict=True)):
        reason = _compare(g, e, tol, at.child(str(number)))
        if reason:
            return reason
    return None


def _set(got: Items, expected: Items, at: _Path) -> str | None:
    mine, theirs = {_key(v) for v in got.items}, {_key(v) for v in expected.items}
    if mine == theirs:
        return None
    if len(mine) != len(theirs):
        return f"{at.verb} a set of {_plural(len(mine), 'item')}, expected {len(theirs)}"
    return f"{at.verb} a set in which {len(mine - theirs)} of {len(mine)} items are not expected"


def _pairs(got: Pairs, expected: Pairs, tol: Tolerance, at: _Path) -> str | None:
    mine = {_key(k): (k, v) for k, v in got.pairs}
    theirs = {_key(k): (k, v) for k, v in expected.pairs}
    extra = [mine[k][0] for k in mine if k not in theirs]
    missing = [k for k in theirs if k not in mine]
    if extra:
        names = ", ".join(_short(k) for k in extra[:3]) + (", …" if len(extra) > 3 else "")
        keys = "a key" if len(extra) == 1 else "keys"
        return f"{at.verb} a dict with {keys} that should not be there: {names}"
    if missing:
        keys = _plural(len(theirs), "expected key")
        return f"{at.verb} a dict missing {len(missing)} of the {keys}"
    for key, (label, value) in theirs.items():
        reason = _compare(mine[key][1], value, tol, at.child(_short(label)))
        if reason:
            return reason
    return None


def _array(got: Array, expected: Array, tol: Tolerance, at: _Path) -> str | None:
    if got.shape != expected.shape:
        shapes = f"{_shape(got.shape)}, expected shape {_shape(expected.shape)}"
        return f"{at.verb} an array of shape {shapes}"
    if not _kinds_fit(got.column, expected.column):
        kinds = f"{_kind_word(got.column)}, expected {_kind_word(expected.column)}"
        return f"{at.verb} an array of {kinds}"
    difference = _column_difference(got.column, expected.column, tol)
    return at.say(difference) if difference else None


def _labels(got: Column, expected: Column, tol: Tolerance, at: _Path, what: str) -> str | None:
    """Index labels (a Series' or DataFrame's, or an Index returned on its own)."""
    if len(got.values) != len(expected.values):
        labels = _plural(len(got.values), "label")
        return at.say(f"{what} has {labels}, expected {len(expected.values)}")
    if not _kinds_fit(got, expected):
        return at.say(f"{what} holds {_kind_word(got)}, expected {_kind_word(expected)}")
    wrong = sum(not _close(g, e, tol) for g, e in zip(got.values, expected.values, strict=True))
    if wrong:
        labels = _plural(len(expected.values), "label")
        return at.say(f"{what} differs from the expected one in {wrong} of {labels}")
    return None


def _values(got: Column, expected: Column, tol: Tolerance, at: _Path, what: str) -> str | None:
    if not _kinds_fit(got, expected):
        return at.say(f"{what} holds {_kind_word(got)}, expected {_kind_word(expected)}")
    difference = _column_difference(got, expected, tol)
    return at.say(f"{what}: {difference}") if difference else None


def _series(got: Series, expected: Series, tol: Tolerance, at: _Path) -> str | None:
    count, wanted = len(got.column.values), len(expected.column.values)
    if count != wanted:
        return f"{at.verb} a Series of {_plural(count, 'value')}, expected {wanted}"
    return _labels(got.index, expected.index, tol, at, "the Series' index") or _values(
        got.column, expected.column, tol, at, "the Series"
    )


def _frame(got: Frame, expected: Frame, tol: Tolerance, at: _Path) -> str | None:
    mine = [_key(label) for label in got.columns.values]
    theirs = [_key(label) for label in expected.columns.values]
    extra = [
        label for label, key in zip(got.columns.values, mine, strict=True) if key not in theirs
    ]
    missing = [key for key in theirs if key not in mine]
    if extra:
        names = ", ".join(_short(label) for label in extra[:4]) + (", …" if len(extra) > 4 else "")
        columns = _plural(len(extra), "column")
        return f"{at.verb} a DataFrame with {columns} that should not be there: {names}"
    if missing:
        columns = _plural(len(theirs), "expected column")
        return f"{at.verb} a DataFrame missing {len(missing)} of the {columns}"
    if len(mine) != len(theirs):
        return f"{at.verb} a DataFrame with a column repeated"
    if mine != theirs:
        return f"{at.verb} the expected columns in a different order"
    rows, wanted = len(got.index.values), len(expected.index.values)
    if rows != wanted:
        return f"{at.verb} a DataFrame of {_plural(rows, 'row')}, expected {wanted}"
    reason = _labels(got.index, expected.index, tol, at, "the index")
    if reason:
        return reason
    for label, g, e in zip(got.columns.values, got.data, expected.data, strict=True):
        reason = _values(g, e, tol, at, f"column {_short(label)}")
        if reason:
            return reason
    return None


# -- a verdict for the member -------------------------------------------------------------------


@dataclass(frozen=True)
class Ending:
    """How the member's run ended, as the runner said (status, exit code)."""

    status: str = "ok"
    exit_code: int | None = 0


@dataclass(frozen=True)
class CaseVerdict:
    number: int
    total: int
    passed: bool
    reason: str = ""

    @property
    def text(self) -> str:
        return f"case {self.number} of {self.total}: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    """The check's outcome: per case, or a `problem` that stopped every case (their code did
    not load, or the run ended before the harness could say anything)."""

    cases: tuple[CaseVerdict, ...]
    problem: str = ""
    printed: str = ""  # a little of what their code printed, where it failed if it did
    printed_cut: bool = False

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def passed_count(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def passed(self) -> bool:
        return not self.problem and self.passed_count == self.total

    @property
    def failures(self) -> tuple[CaseVerdict, ...]:
        return tuple(case for case in self.cases if not case.passed)


# Why the runner stopped a run, said of the case that was running and of the code as a whole.
STOPPED = {
    "timeout": "it ran past the time limit",
    "memory": "it used more memory than allowed",
    "output_limit": "it wrote more than the output limit",
    "killed": "the run was killed",
}


def _stopped(ending: Ending) -> str:
    if ending.status in STOPPED:
        return f"stopped during this case: {STOPPED[ending.status]}"
    code = f" (exit code {ending.exit_code})" if ending.exit_code not in (None, 0) else ""
    return f"the run ended during this case{code}; did your code exit the process?"


def _raised(failure: Failure) -> str:
    if failure.type == "SystemExit":
        return "called sys.exit(), which ends the check: return a value instead"
    where = f" on line {failure.line} of your code" if failure.line else ""
    message = f": {failure.message}" if failure.message else ""
    return f"raised {failure.type}{where}{message}"


def _setup_problem(report: Report, function: str, ending: Ending) -> str:
    error = report.setup_error
    if error is None:
        if ending.status in STOPPED:
            return f"Your code was stopped before any case ran: {STOPPED[ending.status]}."
        return (
            "The check got no report from the run; try again, and tell a moderator if it"
            " keeps happening."
        )
    if error.type == "missing":
        return f"Your code does not define `{function}`: write a function with that name."
    if error.type == "not callable":
        return f"`{function}` in your code is not a function."
    if error.type == "SyntaxError":
        where = f" on line {error.line}" if error.line else ""
        return f"SyntaxError{where}: {error.message}"
    if error.type == "SystemExit":
        return "Your code called sys.exit() before any case ran; define the function only."
    where = f" on line {error.line}" if error.line else ""
    message = f": {error.message}" if error.message else ""
    return f"Your code raised {error.type}{where} before any case ran{message}"


def judge(
    report: Report,
    expected: Sequence[Value],
    function: str,
    tol: Tolerance = Tolerance(),
    ending: Ending = Ending(),
) -> Verdict:
    """Each case passed or failed with a reason; nothing of `expected` is ever in a reason."""
    total = len(expected)
    if not report.ready:
        failed = tuple(CaseVerdict(n, total, False) for n in range(1, total + 1))
        return Verdict(failed, _setup_problem(report, function, ending), report.printed)
    verdicts = []
    for number, wanted in enumerate(expected, 1):
        case = report.cases.get(number)
        if case is None:
            started = number in report.started
            reason = _stopped(ending) if started else "not run: the run had already stopped"
        elif case.broken is not None:
            reason = "its inputs could not be built (a fault in the exercise, not in your code)"
        elif case.error is not None:
            reason = _raised(case.error)
        else:
            assert case.value is not None
            reason = compare(case.value, wanted, tol) or ""
        verdicts.append(CaseVerdict(number, total, not reason, reason))
    # What their code printed where it first failed; else at load, else in any case.
    failing = [report.cases.get(v.number) for v in verdicts if not v.passed]
    shown = next((c for c in failing if c is not None and c.printed.strip()), None)
    if shown is None and not report.printed.strip():
        shown = next((c for c in report.cases.values() if c.printed.strip()), None)
    if shown is None:
        return Verdict(tuple(verdicts), "", report.printed)
    return Verdict(tuple(verdicts), "", shown.printed, shown.printed_total > len(shown.printed))


_HEADER = re.compile(r"#\s*exercise:\s*(?P<id>ex-[A-Za-z0-9_-]{1,60})\s*$", re.IGNORECASE)


def exercise_header(code: str) -> str | None:
    """`ex-some-id` when the code's first line is `# exercise: ex-some-id`: a /run of that
    code is a submission to that exercise."""
    for line in code.splitlines():
        if line.strip():
            match = _HEADER.fullmatch(line.strip())
            return match["id"].lower() if match else None
    return None
