"""The check harness: the snippet that runs a member's exercise code inside the runner.

The bot never imports this module. `ExerciseService` reads its source and sends it as the code of
every check, with the job (the member's code, the function's name, the case expressions and a
marker) as JSON on stdin. Here, in the jail, it compiles the member's code as `<your code>` (so
tracebacks name their lines), runs it in a namespace of its own, builds each case's arguments in
a fresh namespace with `np` and `pd`, calls the function with the member's prints captured, and
writes one line per event to file descriptor 1, each after the marker:

    <marker> {"event": "ready", "printed": "..."}            the code ran and defines the function
    <marker> {"event": "setup", "error": {...}, ...}        it did not (the check ends)
    <marker> {"event": "start", "case": 1}                  case 1 is about to be called
    <marker> {"event": "case", "case": 1, "value": {...}}   what it returned, or "error": {...}
    <marker> {"event": "end"}

A line per case rather than one document at the end: when the run is stopped (time, memory,
`os._exit`), the cases already done still count and the bot can say which case was running.

Only returned values leave the jail: the expected ones are never here, so nothing the member's
code does (printing "passed", writing forged lines) can make a wrong answer pass. Values are
written with type tags (`bot.domain.exercises.decode` reads them back, as untrusted data):
None, bool, int, float (NaN and infinities spelled out), str, list, tuple, dict, set, NumPy
scalars and arrays (dtype, kind, shape, flat values), pandas Series, DataFrame and Index. A
value over the size limit is written as `{"t": "big", "what": "a NumPy array of shape (…)"}`.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

CODE_NAME = "<your code>"
PRINTED_CHARS = 600  # what is kept of a member's prints, per case
MESSAGE_CHARS = 300  # of an exception's message
VALUES_CHARS = 40_000  # all returned values together, as JSON (the runner keeps 64 KiB)
ITEMS_MAX = 20_000  # scalars in one returned value
DEPTH_MAX = 12  # nesting of lists, dicts, ...
INT_DIGITS_MAX = 1_000


class TooLarge(Exception):
    """The value cannot be written within the limits; the message says what it was."""


class Unsupported(Exception):
    """The value is of a type the checker does not compare; the message is the type's name."""


class Captured(io.TextIOBase):
    """Stands in for stdout and stderr while member code runs: keeps the first characters
    written and counts the rest, so a print loop costs no memory and no output limit."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = PRINTED_CHARS - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(len(text), room)
        self.total += len(text)
        return len(text)

    def text(self) -> str:
        return "".join(self.kept)


class Report:
    """Writes the event lines straight to file descriptor 1 (not through `sys.stdout`, which
    the member's code may have replaced)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def emit(self, record: dict[str, Any]) -> None:
        line = f"{self.marker} {json.dumps(record, ensure_ascii=True, allow_nan=False)}\n"
        data = line.encode("ascii")
        while data:
            written = os.write(1, data)
            data = data[written:]


def _error(error: BaseException) -> dict[str, Any]:
    """An exception as the member should read it: its type, message and their line."""
    line = None
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == CODE_NAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    if isinstance(error, SyntaxError) and error.filename == CODE_NAME:
        line = error.lineno
        message = error.msg
    else:
        try:
            message = str(error)
        except Exception:
            message = ""
    if isinstance(error, SystemExit):
        message = f"exit code {error.code!r}" if error.code is not None else ""
    return {
        "type": type(error).__name__,
        "message": message[:MESSAGE_CHARS],
        "line": line,
    }


def _float(value: float) -> float | str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _int(value: int) -> int:
    if abs(value).bit_length() > INT_DIGITS_MAX * 3.33:
        raise TooLarge(f"an int of more than {INT_DIGITS_MAX:,} digits")
    return value


class Encoder:
    """Turns one returned value into tagged JSON, counting scalars against `ITEMS_MAX`."""

    def __init__(self) -> None:
        self.items = 0
        self.np: Any = sys.modules.get("numpy")
        self.pd: Any = sys.modules.get("pandas")

    def _count(self, n: int, what: Callable[[], str]) -> None:
        self.items += n
        if self.items > ITEMS_MAX:
            raise TooLarge(what())

    def value(self, value: Any, depth: int = 0) -> dict[str, Any]:
        if depth > DEPTH_MAX:
            raise TooLarge(f"a value nested more than {DEPTH_MAX} levels deep")
        kind = type(value)
        self._count(1, lambda: "a value with too many parts")
        if value is None:
            return {"t": "none"}
        if kind is bool:
            return {"t": "bool", "v": value}
        if kind is int:
            return {"t": "int", "v": _int(value)}
        if kind is float:
            return {"t": "float", "v": _float(value)}
        if kind is complex:
            return {"t": "complex", "v": [_float(value.real), _float(value.imag)]}
        if kind is str:
            if len(value) > VALUES_CHARS:
                raise TooLarge(f"a str of {len(value):,} characters")
            return {"t": "str", "v": value}
        if kind in (list, tuple):
            self._count(len(value), lambda: f"a {kind.__name__} of {len(value):,} items")
            items = [self.value(item, depth + 1) for item in value]
            return {"t": kind.__name__, "v": items}
        if kind is dict:
            self._count(len(value), lambda: f"a dict of {len(value):,} keys")
            pairs = [[self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in value.items()]
            return {"t": "dict", "v": pairs}
        if kind in (set, frozenset):
            self._count(len(value), lambda: f"a set of {len(value):,} items")
            return {"t": "set", "v": [self.value(item, depth + 1) for item in value]}
        np, pd = self.np, self.pd
        if np is not None:
            if isinstance(value, np.generic):
                return self._numpy_scalar(value)
            if isinstance(value, np.ndarray):
                return self._array(value, depth)
        if pd is not None:
            if value is pd.NA or value is pd.NaT:
                return {"t": "na"}
            if isinstance(value, pd.DataFrame):
                return self._frame(value, depth)
            if isinstance(value, pd.Series):
                return self._series(value, depth)
            if isinstance(value, pd.Index):
                return self._index(value, depth)
            if isinstance(value, pd.Timestamp | pd.Timedelta):
                return {"t": "str", "v": str(value)}
        raise Unsupported(f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins."))

    def _numpy_scalar(self, value: Any) -> dict[str, Any]:
        kind = value.dtype.kind
        [flat] = self._flat([value.item()] if kind not in "Mm" else [value], kind, 1)
        return {"t": "np", "dtype": str(value.dtype), "kind": kind, "v": flat}

    def _array(self, value: Any, depth: int) -> dict[str, Any]:
        shape = list(value.shape)
        self._count(int(value.size), lambda: f"a NumPy array of shape {tuple(shape)}")
        kind = value.dtype.kind
        items = value.ravel().tolist() if kind not in "MmO" else list(value.ravel())
        return {
            "t": "ndarray",
            "dtype": str(value.dtype),
            "kind": kind,
            "shape": shape,
            "v": self._flat(items, kind, depth),
        }

    def _column(self, values: Any, dtype: Any, depth: int) -> dict[str, Any]:
        """A Series' or a column's values: NumPy dtypes as they are, pandas' own dtypes
        (str, nullable ints, categories) as objects."""
        kind = str(getattr(dtype, "kind", "O"))
        if kind in "fiub" and self.np is not None and isinstance(dtype, self.np.dtype):
            items = values.to_numpy().tolist()
        elif kind in "fiubMm":  # nullable numbers (pd.NA for missing), dates
            missing = self.pd.isna
            items = [None if missing(x) else x for x in values.to_numpy(dtype=object)]
        else:
            items = list(values.to_numpy(dtype=object))
            kind = "O"
        return {"dtype": str(dtype), "kind": kind, "v": self._flat(items, kind, depth)}

    def _index(self, value: Any, depth: int) -> dict[str, Any]:
        self._count(len(value), lambda: f"a pandas Index of {len(value):,} labels")
        if getattr(value, "nlevels", 1) > 1:
            labels = [self.value(tuple(label), depth + 1) for label in value]
            return {"t": "index", "dtype": "object", "kind": "O", "v": labels}
        return {"t": "index", **self._column(value, value.dtype, depth)}

    def _series(self, value: Any, depth: int) -> dict[str, Any]:
        self._count(len(value), lambda: f"a pandas Series of {len(value):,} values")
        return {
            "t": "series",
            "index": self._index(value.index, depth),
            **self._column(value, value.dtype, depth),
        }

    def _frame(self, value: Any, depth: int) -> dict[str, Any]:
        rows, columns = value.shape
        self._count(rows * columns, lambda: f"a pandas DataFrame of shape {(rows, columns)}")
        return {
            "t": "frame",
            "shape": [rows, columns],
            "index": self._index(value.index, depth),
            "columns": self._index(value.columns, depth),
            "cols": [
                self._column(value.iloc[:, n], value.dtypes.iloc[n], depth) for n in range(columns)
            ],
        }

    def _flat(self, items: Iterable[Any], kind: str, depth: int) -> list[Any]:
        """The values of an array by kind: numbers as JSON numbers (NaN and infinities as
        strings), dates as text, anything else tagged one by one."""
        if kind == "f":
            return [None if x is None else _float(float(x)) for x in items]
        if kind in "iu":
            return [None if x is None else _int(int(x)) for x in items]
        if kind == "b":
            return [None if x is None else bool(x) for x in items]
        if kind == "c":
            return [[_float(float(x.real)), _float(float(x.imag))] for x in items]
        if kind in "Mm":
            return [None if x is None or str(x) == "NaT" else str(x) for x in items]
        if kind in "US":
            return [{"t": "str", "v": str(x)} for x in items]
        return [self.value(x, depth + 1) for x in items]


def encode(value: Any, budget: int) -> dict[str, Any]:
    """The tagged value, or a `big` / `other` tag when it cannot be written within `budget`
    characters of JSON or is of a type the checker does not compare."""
    encoder = Encoder()
    try:
        tagged = encoder.value(value)
        size = len(json.dumps(tagged, ensure_ascii=True, allow_nan=False))
    except TooLarge as error:
        return {"t": "big", "what": str(error)}
    except Unsupported as error:
        return {"t": "other", "type": str(error)}
    except RecursionError:
        return {"t": "big", "what": "a value nested too deeply"}
    except BaseException as error:  # a strange object's methods may raise anything
        return {"t": "other", "type": f"{type(value).__name__} ({type(error).__name__})"}
    if size > budget:
        return {"t": "big", "what": _describe(value) + f" ({size:,} characters as data)"}
    return tagged


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    name = type(value).__name__
    if isinstance(shape, tuple) and shape:
        return f"a {name} of shape {shape}"
    try:
        return f"a {name} of {len(value):,} items"
    except Exception:
        return f"a {name}"


@contextlib.contextmanager
def _captured(into: Captured) -> Any:
    with contextlib.redirect_stdout(into), contextlib.redirect_stderr(into):
        yield


def run(job: dict[str, Any], report: Report) -> None:
    """Run the member's code on every case of `job`, reporting as it goes."""
    import numpy as np
    import pandas as pd

    code, function, cases = str(job["code"]), str(job["function"]), list(job["cases"])
    printed = Captured()
    # Not "__main__": a member's own `if __name__ == "__main__":` tests stay out of the check.
    namespace: dict[str, Any] = {"__name__": "exercise", "__builtins__": builtins}
    try:
        compiled = compile(code, CODE_NAME, "exec", dont_inherit=True)
        with _captured(printed):
            exec(compiled, namespace)
    except BaseException as error:
        report.emit({"event": "setup", "error": _error(error), "printed": printed.text()})
        return
    target = namespace.get(function)
    if not callable(target):
        missing = {"type": "missing" if target is None else "not callable", "message": ""}
        report.emit({"event": "setup", "error": missing, "printed": printed.text()})
        return
    report.emit({"event": "ready", "printed": printed.text()})
    budget = VALUES_CHARS // max(1, len(cases))
    for number, case in enumerate(cases, 1):
        report.emit({"event": "start", "case": number})
        record: dict[str, Any] = {"event": "case", "case": number}
        try:
            args = eval(case, {"np": np, "pd": pd, "__builtins__": builtins})
        except BaseException as error:  # the content's fault, not the member's
            record["broken"] = _error(error)
            report.emit(record)
            continue
        printed = Captured()
        with _captured(printed):
            try:
                value = target(*args)
            except BaseException as error:
                record["error"] = _error(error)
            else:
                record["value"] = encode(value, budget)
        record["printed"] = printed.text()
        record["printed_total"] = printed.total
        report.emit(record)
    report.emit({"event": "end"})


def main() -> None:
    job = json.loads(sys.stdin.read())
    run(job, Report(str(job["marker"])))


if __name__ == "__main__":
    main()
