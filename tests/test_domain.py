"""Pure rules: days, streaks, periods and grading, with no database and no real clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.progress import (
    local_day,
    member_zone,
    start_of_day,
)
from bot.domain.quiz import (
    AnswerFormatError,
    Kind,
    Question,
    grade,
    parse_number,
    read_number,
    shuffled,
)
from bot.domain.snippets import missing_import_hint, show_output

BERLIN = ZoneInfo("Europe/Berlin")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14, the far edge
PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11


def test_member_zone_falls_back_member_then_guild_then_utc() -> None:
    assert member_zone("Asia/Tokyo", "Europe/Berlin").key == "Asia/Tokyo"
    assert member_zone(None, "Europe/Berlin").key == "Europe/Berlin"
    assert member_zone("Not/AZone", None).key == "UTC"


def test_one_instant_is_three_different_days_around_the_world() -> None:
    instant = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
    assert local_day(instant, KIRITIMATI) == date(2026, 3, 11)
    assert local_day(instant, ZoneInfo("UTC")) == date(2026, 3, 10)
    assert local_day(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), PAGO) == date(2026, 3, 9)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        local_day(datetime(2026, 1, 1), BERLIN)


def test_start_of_day_on_a_dst_day_is_real_midnight() -> None:
    assert start_of_day(date(2026, 3, 29), BERLIN) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert start_of_day(date(2026, 3, 30), BERLIN) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def _q(kind: Kind, answer: object, **kw: object) -> Question:
    return Question(
        item_id="t",
        topic="t",
        kind=kind,
        prompt="?",
        answer=answer,  # type: ignore[arg-type]
        explanation="",
        **kw,
    )  # type: ignore[arg-type]


def test_grading_each_kind() -> None:
    choice = _q(Kind.CHOICE, "b", choices=("a", "b", "c"))
    assert grade(choice, "2").correct and grade(choice, " B ").correct
    assert not grade(choice, "1").correct
    with pytest.raises(AnswerFormatError):
        grade(choice, "7")
    numeric = _q(Kind.NUMERIC, 0.75, tolerance=0.01)
    assert grade(numeric, "3/4").correct and grade(numeric, "0.755").correct
    assert not grade(numeric, "0.8").correct
    with pytest.raises(AnswerFormatError, match="not a number"):
        grade(numeric, "three quarters")
    text = _q(Kind.TEXT, ("transpose", "the transpose"))
    assert grade(text, "The   Transpose").correct and not grade(text, "inverse").correct
    output = _q(Kind.OUTPUT, "[1 2]\n(2,)")
    assert grade(output, "[1  2]  \n(2,)\n").correct and not grade(output, "[1 2]").correct
    assert grade(_q(Kind.OUTPUT, "[ 4  6 13]"), "[4 6 13]").correct  # numpy's padding
    assert grade(_q(Kind.OUTPUT, "[4, 6, 13]"), "[4,6,13]").correct
    assert not grade(_q(Kind.OUTPUT, "[4 6 13]"), "[4 6 14]").correct


def test_parse_number_forms() -> None:
    assert parse_number("1,000,000") == 1_000_000
    assert parse_number("12,345.5") == 12345.5
    assert parse_number("-1e-3") == -0.001
    assert parse_number(" 3/4 ") == 0.75
    with pytest.raises(AnswerFormatError):
        parse_number("1/0")


@pytest.mark.parametrize(
    ("typed", "value", "percent"),
    [
        ("2,35", 2.35, False),
        ("-0,5", -0.5, False),
        ("1.234,5", 1234.5, False),
        ("48.6%", 48.6, True),
        ("48,6 %", 48.6, True),
        ("0.486", 0.486, False),
    ],
)
def test_decimal_commas_and_percentages_are_read(typed: str, value: float, percent: bool) -> None:
    assert read_number(typed) == (pytest.approx(value), percent)


@pytest.mark.parametrize("typed", ["2,350", "1,000", "1,2,3", "12,34,567"])
def test_an_ambiguous_comma_is_asked_about_not_guessed(typed: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        read_number(typed)
    assert typed in str(caught.value)


def test_a_percentage_answers_a_proportion_and_a_percentage() -> None:
    proportion = Question("p", "t", Kind.NUMERIC, "share?", 0.486, "", tolerance=0.001)
    percentage = Question("q", "t", Kind.NUMERIC, "percent?", 48.6, "", tolerance=0.05)
    assert grade(proportion, "48.6%").correct and grade(proportion, "0,486").correct
    assert grade(percentage, "48.6%").correct and grade(percentage, "48.6").correct
    assert not grade(proportion, "48.6").correct
    assert grade(proportion, "48.6%").given == "48.6%"  # echoed as typed


def test_long_output_keeps_its_head_and_its_tail() -> None:
    lines = [f"step {n}" for n in range(500)]
    output = "\n".join([*lines, "Traceback (most recent call last):", "ZeroDivisionError: boom"])
    shown = show_output(output, max_lines=40, max_chars=3000, numbered=True)
    text = shown.text.splitlines()
    assert text[0] == "001 | step 0" and text[-1] == "502 | ZeroDivisionError: boom"
    assert text[-2] == "501 | Traceback (most recent call last):"
    [mark] = [line for line in text if "cut" in line]
    assert mark == f"… {shown.cut_lines} lines cut …"
    assert len(text) <= 40 and len(shown.text) <= 3000
    assert shown.cut_lines == 502 - (len(text) - 1)
    short = show_output("a\nb")
    assert short.text == "a\nb" and short.cut_lines == 0  # unnumbered unless asked


def test_a_missing_usual_import_gets_a_hint() -> None:
    error = "Traceback ...\nNameError: name 'np' is not defined"
    assert missing_import_hint(error) is not None
    assert "`import numpy as np`" in (missing_import_hint(error) or "")
    assert "`import seaborn as sns`" in (
        missing_import_hint("NameError: name 'sns' is not defined") or ""
    )
    assert missing_import_hint("NameError: name 'x' is not defined") is None
    assert missing_import_hint("all fine") is None


def test_choices_are_shuffled_by_key_and_keep_the_answer() -> None:
    question = Question("q", "t", Kind.CHOICE, "?", "c", "", choices=("a", "b", "c", "d"))
    orders = {shuffled(question, f"member{n}").choices for n in range(30)}
    assert len(orders) > 5 and all(sorted(o) == ["a", "b", "c", "d"] for o in orders)
    assert shuffled(question, "same") == shuffled(question, "same")
    positions = {shuffled(question, f"m{n}").choices.index("c") for n in range(60)}
    assert positions == {0, 1, 2, 3}


def test_pages_keep_code_blocks_whole_and_tables_readable() -> None:
    from bot.domain.pages import pages

    code = (
        "```python\n"
        + "\n".join(f"x{n} = {n}  # a line of an example" for n in range(80))
        + "\n```"
    )
    body = (
        "## One\n\nIntro.\n\n| a | b |\n|---|---|\n| 1 | 22 |\n\n"
        f"## Two\n\n{'Words. ' * 100}\n\n{code}\n\nAfter the code.\n"
    )
    texts = pages(body, 1800)
    assert len(code) > 1800 and code in texts  # a page of its own, longer than the rest
    assert all(text.count("```") % 2 == 0 for text in texts)
    assert texts[0].startswith("### One")
    assert "```\na  b\n-  --\n1  22\n```" in texts[0]  # the table as aligned text, no pipes
    huge = "```python\n" + "y = 1\n" * 1000 + "```"
    cut = pages(huge, 1800)
    assert len(cut) > 1 and all(len(t) <= 3800 and t.count("```") == 2 for t in cut)
