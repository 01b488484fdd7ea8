"""Exercise checking in pure Python: values as the harness writes them, read back, compared.

The harness's encoder runs here in the test process (it is plain Python; in production it runs
in the runner); `decode`, `compare`, `parse_report` and `judge` are the bot's side.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bot.domain.exercises import (
    BrokenReference,
    Ending,
    Malformed,
    Other,
    Tolerance,
    TooBig,
    compare,
    decode,
    exercise_header,
    expected_values,
    judge,
    parse_report,
)
from bot.services.exercise_harness import encode

BUDGET = 40_000
MARK = "#studybot-check:0123456789abcdef"


def value(x: Any) -> Any:
    """What the bot reads for a returned `x`: encoded by the harness, sent as JSON, decoded."""
    return decode(json.loads(json.dumps(encode(x, BUDGET))))


def why(got: Any, expected: Any, tol: Tolerance | None = None) -> str | None:
    return compare(value(got), value(expected), tol or Tolerance())


SAME = [
    None,
    True,
    3,
    -2.5,
    1 - 2j,
    float("nan"),
    float("inf"),
    "text",
    [1, 2.5, "a", None],
    (1, (2, 3)),
    {"a": 1.0, "b": [1, 2]},
    {1, 2, 3},
    np.float64(1.25),
    np.int64(7),
    np.bool_(False),
    np.arange(6).reshape(2, 3),
    np.array([1.0, np.nan, np.inf]),
    np.array(["a", "b"]),
    np.array([1 + 2j]),
    np.array([[True, False]]),
    np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
    pd.Series([1.5, 2.5], index=["x", "y"]),
    pd.Series(["a", None, "c"]),
    pd.Series([1, None], dtype="Int64"),
    pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2)),
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, np.nan], "d": [True, False]}),
    pd.Index([3, 1, 2]),
    pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]),
    pd.Series(pd.Categorical(["lo", "hi", "lo"])),
]


@pytest.mark.parametrize("x", SAME, ids=[type(x).__name__ for x in SAME])
def test_every_supported_value_reads_back_and_equals_itself(x: Any) -> None:
    assert not isinstance(value(x), TooBig | Other)
    assert why(x, x) is None


def test_floats_are_close_within_the_tolerance_and_say_how_far_off_in_one_measure() -> None:
    assert why(1.0 + 1e-9, 1.0) is None
    assert why(1.5, 1.0) == "returned 1.5, off by 50%"
    assert why(0.5, 0.0) == "returned 0.5, off by 0.5"  # no share of a zero
    assert why(1.01, 1.0, Tolerance(rtol=0.05)) is None
    assert why(float("nan"), 1.0) == "returned nan, which is not the expected value"
    assert why(float("inf"), float("inf")) is None
    assert why(float("-inf"), float("inf")) == "returned -inf, which is not the expected value"


def test_ints_bools_and_strings_compare_exactly() -> None:
    assert why(8, 7) == "returned 8, off by 1"
    assert why(True, False) == "returned True, which is not the expected value"
    assert why(True, 1) == "returned a bool, expected an int"
    assert why(1, True) == "returned an int, expected a bool"
    assert why("Abc ", "abc") == (
        "returned a different string: it differs only in letter case or spaces at the ends"
    )
    assert why("ab", "abc") == "returned a different string (2 characters, expected 3)"
    assert why(None, 0.0) == "returned None, expected a float"


def test_an_int_may_stand_for_a_float_but_not_the_other_way() -> None:
    assert why(2, 2.0) is None
    assert why(np.int64(2), 2.0) is None
    assert why(2.0, 2) == "returned a float, expected an int"
    assert why(np.arange(3), np.arange(3, dtype=float)) is None
    assert why(np.arange(3, dtype=float), np.arange(3)) == (
        "returned an array of floats, expected integers"
    )
    assert why(np.arange(3, dtype=np.uint8), np.arange(3)) is None  # unsigned is an int too


def test_containers_must_match_but_lists_and_tuples_are_alike() -> None:
    assert why([1, 2], (1, 2)) is None
    assert why([1.0, 2.0], np.array([1.0, 2.0])) == "returned a list, expected a NumPy array"
    assert why([1, 2], [1, 2, 3]) == "returned a list of 2 items, expected 3"
    assert why((1.0, np.zeros(3)), (1.0, np.zeros((3, 1)))) == (
        "result[1] is an array of shape (3,), expected shape (3, 1)"
    )
    assert why([[1, 2], [3, 5]], [[1, 2], [3, 4]]) == "result[1][1] is 5, off by 1"
    assert why({1, 2}, {1, 2, 3}) == "returned a set of 2 items, expected 3"
    assert why({1, 4}, {1, 2}) == "returned a set in which 1 of 2 items are not expected"


def test_dicts_name_the_members_own_keys_only() -> None:
    expected = {"mean": 2.0, "hidden_key": 1.0}
    assert why({"mean": 2.0, "hidden_key": 1.0, "extra": 0}, expected) == (
        "returned a dict with a key that should not be there: 'extra'"
    )
    assert why({"mean": 2.0}, expected) == "returned a dict missing 1 of the 2 expected keys"
    assert why({"hidden_key": 1.0, "mean": 3.0}, expected) == "result['mean'] is 3, off by 50%"


def test_arrays_compare_shape_then_kind_then_values() -> None:
    expected = np.linspace(0, 1, 10)
    assert why(expected.reshape(10, 1), expected) == (
        "returned an array of shape (10, 1), expected shape (10,)"
    )
    assert why(expected > 0.5, expected) == "returned an array of booleans, expected floats"
    got = expected.copy()
    got[[2, 7]] *= 1.12
    assert why(got, expected) == "2 of 10 values differ, the largest by 12%"
    got[3] = np.nan
    assert why(got, expected) == (
        "3 of 10 values differ, the largest by 12%; 1 is missing (NaN) where a value was expected"
    )
    assert why(np.array(["a", "B"]), np.array(["a", "b"])) == "1 of 2 values differ"
    assert why(np.array([0.5]), np.array([0.25])) == "the value differs by 100%"
    wrapped = np.array([22, 250], dtype=np.uint8)  # (200 + 100) // 2 in uint8 arithmetic
    assert why(wrapped, np.array([150, 250], dtype=np.uint8)) == "1 of 2 values differ, by 128"


def test_series_and_frames_compare_labels_kinds_and_values_but_not_names() -> None:
    expected = pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"], name="total")
    assert why(expected.rename("other"), expected) is None
    assert why(expected.iloc[:2], expected) == "returned a Series of 2 values, expected 3"
    assert why(expected.reset_index(drop=True), expected) == (
        "the Series' index holds integers, expected strings"
    )
    assert why(expected.rename({"a": "z"}), expected) == (
        "the Series' index differs from the expected one in 1 of 3 labels"
    )
    assert why(expected * 2, expected) == "the Series: 3 of 3 values differ, the largest by 100%"

    frame = pd.DataFrame({"station": ["a", "b"], "rain_mm": [4.0, 12.0]})
    assert why(frame.assign(date=["d1", "d2"]), frame) == (
        "returned a DataFrame with 1 column that should not be there: 'date'"
    )
    assert why(frame[["station"]], frame) == (
        "returned a DataFrame missing 1 of the 2 expected columns"
    )
    assert why(frame[["rain_mm", "station"]], frame) == (
        "returned the expected columns in a different order"
    )
    assert why(frame.iloc[:1], frame) == "returned a DataFrame of 1 row, expected 2"
    assert why(frame.set_axis([5, 6]), frame) == (
        "the index differs from the expected one in 2 of 2 labels"
    )
    assert why(frame.assign(rain_mm=[4, 12]), frame) is None  # ints for floats: fine
    assert why(frame.assign(station=[1, 2]), frame) == (
        "column 'station' holds integers, expected strings"
    )
    assert why(frame.assign(rain_mm=[4.0, 13.0]), frame) == (
        "column 'rain_mm': 1 of 2 values differ, by 8.3%"
    )
    assert why(frame.rename_axis("rows"), frame) is None


def test_a_value_too_large_or_of_another_type_says_so() -> None:
    big = value(np.zeros((300, 300)))
    assert isinstance(big, TooBig) and "shape (300, 300)" in big.what
    assert compare(big, value(np.zeros(3))) == (
        "returned a NumPy array of shape (300, 300): too large to check"
    )
    assert why(np.zeros(5000), np.zeros(3)) is not None  # under the item cap, over the characters
    assert "too large to check" in str(why(10**5000, 1))
    nested: list[Any] = []
    nested.append(nested)
    assert "too large to check" in str(why(nested, [1]))
    assert why((x for x in [1]), 1.0) == (
        "returned a generator object, which the checker cannot compare; expected a float"
    )


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"t": "int", "v": True},
        {"t": "int", "v": "1"},
        {"t": "float", "v": "NaN!"},
        {"t": "ndarray", "dtype": "f8", "kind": "f", "shape": [2], "v": [1.0]},
        {"t": "ndarray", "dtype": "f8", "kind": "Z", "shape": [1], "v": [1.0]},
        {"t": "series", "dtype": "f8", "kind": "f", "v": [1.0]},
        {"t": "frame", "index": {}, "columns": {}, "cols": []},
        {"t": "dict", "v": [[{"t": "none"}]]},
        {"t": "mystery"},
    ],
)
def test_decode_refuses_what_the_harness_never_writes(raw: Any) -> None:
    with pytest.raises(Malformed):
        decode(raw)


def line(record: dict[str, Any]) -> str:
    return f"{MARK} {json.dumps(record)}"


def report_of(*lines: str) -> Any:
    return parse_report("\n".join(lines), MARK)


def test_the_report_is_read_from_marked_lines_only_and_the_first_word_counts() -> None:
    one = encode(1.0, BUDGET)
    report = report_of(
        "passed! All cases pass",
        line({"event": "ready", "printed": "hi"}),
        line({"event": "start", "case": 1}),
        line({"event": "case", "case": 1, "value": encode(5.0, BUDGET)}),
        line({"event": "case", "case": 1, "value": one}),  # a later copy is ignored
        f"{MARK} {{not json",
        f"{MARK}x " + json.dumps({"event": "end"}),  # not the marker
        line({"event": "case", "case": 2, "value": {"t": "int", "v": True}}),  # malformed value
        line({"event": "end"}),
    )
    assert report.ready and report.ended and report.printed == "hi"
    assert compare(report.cases[1].value, value(1.0)) == "returned 5, off by 400%"
    assert isinstance(report.cases[2].value, Other) and report.cases[2].value.type_name == ""
    verdict = judge(report, [value(1.0), value(2.0)], "f")
    assert verdict.cases[1].reason == "the checker could not read what your function returned"


def test_judge_says_what_stopped_each_case() -> None:
    expected = [value(1.0), value(2.0), value(3.0)]
    report = report_of(
        line({"event": "ready", "printed": ""}),
        line({"event": "start", "case": 1}),
        line({"event": "case", "case": 1, "value": encode(1.0, BUDGET), "printed": "one\n"}),
        line({"event": "start", "case": 2}),
    )
    verdict = judge(report, expected, "f", ending=Ending("timeout", None))
    assert [c.passed for c in verdict.cases] == [True, False, False]
    assert [c.text for c in verdict.failures] == [
        "case 2 of 3: stopped during this case: it ran past the time limit",
        "case 3 of 3: not run: the run had already stopped",
    ]
    assert verdict.printed == "one\n"
    ended = judge(report, expected, "f", ending=Ending("ok", 3))
    assert ended.cases[1].reason == (
        "the run ended during this case (exit code 3); did your code exit the process?"
    )


def test_judge_explains_code_that_never_got_to_the_cases() -> None:
    expected = [value(1.0)]

    def problem(error: dict[str, Any] | None, ending: Ending | None = None) -> str:
        lines = [line({"event": "setup", "error": error, "printed": ""})] if error else []
        return judge(report_of(*lines), expected, "area", ending=ending or Ending()).problem

    assert problem({"type": "SyntaxError", "message": "invalid syntax", "line": 3}) == (
        "SyntaxError on line 3: invalid syntax"
    )
    assert problem({"type": "missing", "message": ""}) == (
        "Your code does not define `area`: write a function with that name."
    )
    assert problem({"type": "NameError", "message": "name 'x' is not defined", "line": 2}) == (
        "Your code raised NameError on line 2 before any case ran: name 'x' is not defined"
    )
    assert problem(None, Ending("timeout", None)) == (
        "Your code was stopped before any case ran: it ran past the time limit."
    )
    assert problem(None).startswith("The check got no report from the run")


def test_errors_in_a_case_name_the_members_line() -> None:
    report = report_of(
        line({"event": "ready"}),
        line(
            {
                "event": "case",
                "case": 1,
                "error": {"type": "ZeroDivisionError", "message": "division by zero", "line": 6},
            }
        ),
        line({"event": "case", "case": 2, "error": {"type": "SystemExit", "message": ""}}),
        line({"event": "end"}),
    )
    verdict = judge(report, [value(1.0), value(1.0)], "f")
    assert [c.reason for c in verdict.cases] == [
        "raised ZeroDivisionError on line 6 of your code: division by zero",
        "called sys.exit(), which ends the check: return a value instead",
    ]


def test_a_reference_without_every_value_is_broken() -> None:
    with pytest.raises(BrokenReference, match="case 1: ValueError on line 2: bad"):
        expected_values(
            report_of(
                line({"event": "ready"}),
                line(
                    {
                        "event": "case",
                        "case": 1,
                        "error": {"type": "ValueError", "message": "bad", "line": 2},
                    }
                ),
            ),
            1,
        )
    with pytest.raises(BrokenReference, match="case 1: no report"):
        expected_values(report_of(line({"event": "ready"})), 2)


def test_feedback_never_holds_the_expected_value() -> None:
    secret_float, secret_text = 123.456789, "the hidden answer"
    pairs = [
        (0.0, secret_float),
        (100.0, secret_float),
        (np.zeros(3), np.full(3, secret_float)),
        ([1.0, 2.0], [1.0, secret_float]),
        ({"k": 0.0}, {"k": secret_float}),
        ("nope", secret_text),
        (pd.Series([0.0]), pd.Series([secret_float])),
        (pd.DataFrame({"a": [0.0]}), pd.DataFrame({"a": [secret_float]})),
        (pd.DataFrame({"a": [0.0]}), pd.DataFrame({"a": [0.0]}, index=[secret_float])),
    ]
    for got, expected in pairs:
        reason = why(got, expected)
        assert reason, (got, expected)
        for shown in ("123", "1.23e", secret_text):
            assert shown not in reason, reason


def test_a_run_of_code_is_an_exercise_when_its_first_line_names_one() -> None:
    assert exercise_header("# exercise: ex-np-one-hot\nimport numpy") == "ex-np-one-hot"
    assert exercise_header("\n  #Exercise:EX-A_b \nx = 1") == "ex-a_b"
    assert exercise_header("import numpy\n# exercise: ex-np-one-hot") is None
    assert exercise_header("# exercise: np-one-hot") is None


def test_a_float_in_the_harness_is_never_a_bare_nan() -> None:
    text = json.dumps(encode([math.nan, np.float32("inf")], BUDGET), allow_nan=False)
    assert '"nan"' in text and '"inf"' in text
