"""Members' pictures: valid opaque PNGs of a sane size, colours that read on Discord's dark and
light themes, alt text that says what the picture shows, and empty data drawn as such."""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.domain.streaks import rebuild
from bot.services import pictures
from bot.services.charts import PANEL, TEXT, TOP
from bot.services.pictures import ALT_MAX, leaderboard_image, profile_image

TODAY = date(2026, 11, 29)  # a Sunday
DARK, LIGHT = "#313338", "#ffffff"  # Discord's message backgrounds


def streak_of(days: list[date]) -> tuple[int, int, bool]:
    """What the profile service passes: the streak rules' view of the days on TODAY."""
    view = rebuild(d for d in days if d <= TODAY)[0].on(TODAY)
    return view.current, view.best, view.studied_today


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def opened(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGBA")


def pixels_of(image: Image.Image, colour: str) -> int:
    wanted = (*rgb(colour), 255)
    return sum(count for count, value in image.getcolors(1 << 20) or [] if value == wanted)


def history(days: int, xp: int = 20) -> tuple[list[date], list[tuple[date, int]]]:
    studied = [TODAY - timedelta(days=n) for n in range(days)]
    return studied, [(day, xp) for day in studied]


def test_the_palette_reads_on_both_themes() -> None:
    for background in (DARK, LIGHT):
        assert contrast(pictures.BORDER, background) >= 3  # the card's edge shows on both
    assert contrast(TEXT, PANEL) >= 7 and contrast(pictures.MUTED, PANEL) >= 7
    for colour in (*pictures.LEVELS, pictures.LINE, TOP):
        assert contrast(colour, PANEL) >= 3, colour  # data against the card's own panel
    assert contrast(pictures.EMPTY, PANEL) > 1.2  # an empty day is a visible cell
    assert contrast(pictures.LEVELS[0], pictures.EMPTY) >= 3  # and unlike a studied one


def test_profile_image_is_an_opaque_card_with_alt_text() -> None:
    days, xp = history(9, xp=30)
    xp += [(TODAY - timedelta(days=300), 500)]  # XP before the 26 weeks counts in the total
    days += [TODAY - timedelta(days=20), TODAY - timedelta(days=21), TODAY + timedelta(days=1)]
    data, alt = profile_image(days, TODAY, xp, "ada", streak_of(days))
    image = opened(data)
    assert 600 <= image.width <= 1200 and 350 <= image.height <= 800
    assert len(data) < 200_000
    assert image.getextrema()[3] == (255, 255)  # opaque: no theme shows through
    assert image.getpixel((0, 0))[:3] == rgb(pictures.BORDER)
    assert image.getpixel((image.width // 2, image.height - 4))[:3] == rgb(PANEL)

    assert alt.startswith(
        "Study calendar of ada for the 26 weeks from 1 Jun 2026 to 29 Nov 2026, one square a "
        "day, weeks as columns: studied on 11 days of 182."
    )
    assert "Current streak 9 days, best 9 days, studied today." in alt  # tomorrow is ignored
    assert "Below it, a line of XP in all: 770 XP today, 270 of it earned in these weeks" in alt
    assert "Longest runs in these weeks: 21 Nov 2026 to 29 Nov 2026 (9 days)" in alt
    assert "Days studied by month: November 2026 11." in alt
    assert len(alt) <= ALT_MAX


def test_profile_calendar_draws_one_cell_a_studied_day() -> None:
    """Counted in pixels: the brightest level is the legend's one square plus each day at the
    member's busiest; ten such days cover ten times what one does."""
    brightest = pictures.LEVELS[-1]
    legend = pixels_of(opened(profile_image([], TODAY, [], "x", streak_of([]))[0]), brightest)
    one = pixels_of(
        opened(
            profile_image(history(1)[0], TODAY, history(1)[1], "x", streak_of(history(1)[0]))[0]
        ),
        brightest,
    )
    ten_days, ten_xp = history(10)
    ten = pixels_of(
        opened(profile_image(ten_days, TODAY, ten_xp, "x", streak_of(ten_days))[0]), brightest
    )
    cell = one - legend
    assert cell > 50
    assert ten - legend == pytest.approx(10 * cell, rel=0.1)


def test_profile_with_no_data_says_so() -> None:
    data, alt = profile_image([], TODAY, [], "newcomer", streak_of([]))
    assert opened(data).getextrema()[3] == (255, 255)
    assert alt == (
        "Study calendar of newcomer for the 26 weeks from 1 Jun 2026 to 29 Nov 2026: "
        "no study days and no XP yet."
    )
    _data, studied_no_xp = profile_image([TODAY], TODAY, [], "runner", streak_of([TODAY]))
    assert "studied on 1 day of 182" in studied_no_xp and "No XP yet." in studied_no_xp


def test_long_histories_keep_the_alt_text_within_discords_limit() -> None:
    days = [TODAY - timedelta(days=n) for n in range(0, 400, 2)]  # no two days in a row
    days += [TODAY - timedelta(days=n) for n in range(101, 130)]
    _data, alt = profile_image(days, TODAY, [(d, 10) for d in days], "ada" * 500, streak_of(days))
    assert len(alt) <= ALT_MAX and alt.endswith(".")
    assert "ada" * 33 + "… for the 26 weeks" in alt
    assert "Longest runs in these weeks: 22 Jul 2026 to 21 Aug 2026 (31 days)." in alt


def test_names_are_drawn_as_text_whatever_they_hold() -> None:
    """`$` would start a formula, emoji are missing from the font: neither may warn or fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        days, xp = history(3)
        profile_image(days, TODAY, xp, "$x$ 🐍 \x00ada\n", streak_of(days))
        leaderboard_image([("$$", 3), ("🐍🐍", 2), ("田中", 1), ("", 0)], "this week")
    assert pictures._drawable("ada 🐍 $5$") == r"ada \$5\$"
    assert pictures._drawable("🐍") == "?"


def test_leaderboard_image_and_its_alt_text() -> None:
    rows = [("ada", 1240), ("grace", 1100), ("linus", 870)]
    data, alt = leaderboard_image(rows, "this week")
    image = opened(data)
    assert 500 <= image.width <= 1000 and 200 <= image.height <= 900
    assert image.getextrema()[3] == (255, 255)
    assert pixels_of(image, TOP) > 1000  # first place highlighted
    assert alt == (
        "Bar chart of the leaderboard for this week, 3 members, most XP on top: "
        "1. ada, 1,240 XP; 2. grace, 1,100 XP; 3. linus, 870 XP."
    )


def test_leaderboard_draws_fifteen_and_cuts_long_alt_text() -> None:
    rows = [(f"member number {n} with a long name", 10_000 - n) for n in range(100)]
    data, alt = leaderboard_image(rows, "all time")
    assert opened(data).height < 1000  # 15 rows, not 100
    assert "15 members" in alt and len(alt) <= ALT_MAX
    assert "15. member number 14" in alt or alt.endswith(" more.")
    assert "member number 15 " not in alt


def test_empty_leaderboard_says_so() -> None:
    data, alt = leaderboard_image([], "this month")
    assert opened(data).getextrema()[3] == (255, 255)
    assert alt == "Leaderboard for this month: nobody has earned XP yet."
