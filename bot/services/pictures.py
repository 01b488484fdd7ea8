"""Pictures for members: a profile's study calendar with XP over time, and a leaderboard chart.

Pure functions from plain values to PNG bytes and alt text, drawn like `charts.py` (matplotlib's
Agg backend, no pyplot, CPU-bound: call them off the event loop). Each picture is an opaque
card — the charts' dark panel inside a mid-grey border — so it reads the same whatever is
behind it: the border keeps at least 3:1 contrast with Discord's dark (#313338) and light
(#ffffff) backgrounds, text at least 7:1 and every data colour at least 3:1 against the panel
(tests/test_pictures.py checks the palette). The alt text says in words what the picture shows,
within Discord's 1,024 characters for an attachment description.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

from bot.services.charts import PANEL, TEXT, TOP

WEEKS = 26


class Streak(NamedTuple):
    """The streak as the rules see it (bot/domain/streaks.py), for the picture's words."""

    current: int
    best: int
    active_today: bool


ALT_MAX = 1024  # Discord's limit for an attachment description
BORDER = "#80848e"  # ≥ 3:1 against the panel and both Discord themes
MUTED = "#b5bac1"  # secondary text: ≥ 7:1 on the panel
EMPTY = "#3f4248"  # a day without study: a visible cell, not data
LEVELS = ("#30a84a", "#5fd86d", "#9ceda6", "#d2f8d6")  # studied: more XP that day, lighter
LINE = "#7983f5"  # the XP line and leaderboard bars (Discord blurple, lightened for 3:1)
LEADERBOARD_ROWS = 15
DPI = 100


def profile_image(
    days: list[date],
    today: date,
    xp_by_day: list[tuple[date, int]],
    name: str,
    numbers: tuple[int, int, bool],
) -> tuple[bytes, str]:
    """A member's last 26 weeks as a study calendar (weeks as columns, Monday to Sunday down,
    lighter on days with more XP) above their running XP total, as PNG bytes and alt text.

    `days` are the member's study days and `today` their today, both in the member's zone;
    `xp_by_day` is the XP earned on each day (days without any may be left out). Pass the whole
    history: the streaks and the XP total count days before the 26 weeks too. `numbers` are
    (current, best, studied today) as the streak rules see them (freezes included)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    studied = {day for day in days if day <= today}
    earned: dict[date, int] = {}
    for day, xp in xp_by_day:
        if day <= today:
            earned[day] = earned.get(day, 0) + xp
    first = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)  # a Monday
    shown = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    in_window = [day for day in shown if day in studied or earned.get(day, 0) > 0]
    peak = max((earned.get(day, 0) for day in in_window), default=0)

    figure = _figure(7.6, 5.0)
    grid = figure.add_gridspec(
        2, 1, height_ratios=[1.6, 1], hspace=0.35, left=0.08, right=0.97, top=0.9, bottom=0.08
    )
    calendar = figure.add_subplot(grid[0])
    calendar.set_axis_off()
    cells, colours = [], []
    for day in shown:
        column, row = (day - first).days // 7, day.weekday()
        cells.append(Rectangle((column - 0.42, row - 0.42), 0.84, 0.84))
        colours.append(
            _level_colour(day in studied or earned.get(day, 0) > 0, earned.get(day), peak)
        )
    calendar.add_collection(PatchCollection(cells, facecolors=colours, linewidths=0))
    column = (today - first).days // 7
    calendar.add_patch(
        Rectangle(
            (column - 0.5, today.weekday() - 0.5), 1, 1, fill=False, edgecolor=TEXT, linewidth=1.2
        )
    )
    for column in range(WEEKS):
        monday = first + timedelta(weeks=column)
        if column == 0 or monday.month != (monday - timedelta(weeks=1)).month:
            calendar.text(column - 0.4, -0.9, f"{monday:%b}", color=MUTED, fontsize=8)
    for row, label in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        calendar.text(-0.8, row, label, color=MUTED, fontsize=8, ha="right", va="center")
    for n, colour in enumerate((EMPTY, *LEVELS)):
        calendar.add_patch(Rectangle((WEEKS - 6.9 + n * 0.9, 7.1), 0.7, 0.7, color=colour))
    calendar.text(WEEKS - 7.2, 7.45, "less", color=MUTED, fontsize=8, ha="right", va="center")
    calendar.text(WEEKS - 2.2, 7.45, "more XP", color=MUTED, fontsize=8, va="center")
    calendar.set_xlim(-2.2, WEEKS)
    calendar.set_ylim(8.1, -1.4)
    calendar.set_aspect("equal")

    streak = Streak(*numbers)
    figure.text(
        0.03,
        0.955,
        _drawable(name),
        color=TEXT,
        fontsize=13,
        weight="bold",
        va="top",
        fontfamily=_fonts()[0],
    )
    figure.text(
        0.97,
        0.955,
        f"{_count(len(in_window), 'day')} studied in {WEEKS} weeks · streak "
        f"{streak.current} (best {streak.best})",
        color=MUTED,
        fontsize=9,
        ha="right",
        va="top",
    )

    line = figure.add_subplot(grid[1])
    _style(line)
    before = sum(xp for day, xp in earned.items() if day < first)
    running, totals = before, []
    for day in shown:
        running += earned.get(day, 0)
        totals.append(running)
    if running == 0:
        line.set_axis_off()
        line.text(0.5, 0.5, "No XP yet", color=MUTED, fontsize=11, ha="center", va="center")
    else:
        line.plot(shown, totals, color=LINE, linewidth=2)
        line.fill_between(shown, totals, 0, color=LINE, alpha=0.25, linewidth=0)
        line.set_xlim(shown[0], shown[-1])
        line.set_ylim(bottom=0)
        line.grid(axis="y", color=TEXT, alpha=0.15)
        line.set_title("XP in all", color=TEXT, fontsize=10, loc="left")
        line.annotate(
            f"{running:,} XP",
            (shown[-1], running),
            xytext=(-4, 6),
            textcoords="offset points",
            ha="right",
            color=TEXT,
            fontsize=9,
        )
        from matplotlib.ticker import StrMethodFormatter

        months = [day for day in shown if day.day == 1]
        line.set_xticks(months, [f"{day:%b}" for day in months])
        line.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        line.tick_params(axis="x", pad=6)
    alt = _profile_alt(name, today, first, in_window, earned, streak, before, running)
    return _png(figure, tight=False), alt


def leaderboard_image(rows: list[tuple[str, int]], period_label: str) -> tuple[bytes, str]:
    """The leaderboard as horizontal bars, first place on top and highlighted, each labelled
    with its XP; `rows` are (display name, XP), best first, and at most the first 15 are drawn.
    `period_label` names the period ("this week")."""
    shown = rows[:LEADERBOARD_ROWS]
    height = 0.42 * max(3, len(shown)) + 1.0
    figure = _figure(6.4, height)
    axes = figure.add_subplot()
    _style(axes)
    axes.set_title(f"Leaderboard — {period_label}", color=TEXT, loc="left", fontsize=12)
    if not shown:
        axes.set_axis_off()
        axes.text(
            0.5, 0.45, f"No XP earned {period_label} yet", color=MUTED, ha="center", va="center"
        )
        return _png(figure), f"Leaderboard for {period_label}: nobody has earned XP yet."
    places = list(range(len(shown)))
    values = [xp for _name, xp in shown]
    colours = [TOP] + [LINE] * (len(shown) - 1)
    bars = axes.barh(places, values, color=colours, height=0.7)
    labels = [f"{xp:,} XP" for xp in values]
    axes.bar_label(bars, labels=labels, padding=4, color=TEXT, fontsize=9)
    for place, (member, _xp) in enumerate(shown):
        axes.text(
            -0.02,
            place,
            f"{place + 1}. {_short(_drawable(member))}",
            color=TEXT,
            fontsize=9,
            ha="right",
            va="center",
            transform=axes.get_yaxis_transform(),
            fontfamily=_fonts()[0],
        )
    axes.set_yticks([])
    axes.set_ylim(len(shown) - 0.5, -0.6)
    axes.xaxis.set_visible(False)
    axes.set_xlim(0, max(max(values) * 1.22, 1))
    figure.subplots_adjust(left=0.3, right=0.97, top=1 - 0.55 / height, bottom=0.25 / height)
    return _png(figure, tight=False), _leaderboard_alt(rows, period_label)


# -- drawing ---------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state between pictures

    return Figure(figsize=(width, height), dpi=DPI, facecolor=PANEL, edgecolor=BORDER, linewidth=2)


def _style(axes: Any) -> None:
    axes.set_facecolor(PANEL)
    axes.tick_params(colors=MUTED, labelsize=8, length=0)
    for side in axes.spines.values():
        side.set_visible(False)


def _png(figure: Any, tight: bool = True) -> bytes:
    if tight:
        figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=PANEL, edgecolor=BORDER)
    return buffer.getvalue()


def _level_colour(studied: bool, xp: int | None, peak: int) -> str:
    """A day's cell: empty, or one of four levels by its share of the busiest day's XP."""
    if not studied:
        return EMPTY
    if not xp or peak <= 0:
        return LEVELS[0]
    return LEVELS[min(3, int(4 * xp / (peak + 1)))]


# Tried after DejaVu Sans (matplotlib's own) for glyphs it lacks, where the host has them.
FALLBACK_FONTS = (
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
    "Droid Sans Fallback",
)


@cache
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The font families names are drawn with (DejaVu Sans, then the fallbacks installed
    here) and every character one of them can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    installed = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    families = ["DejaVu Sans", *(f for f in FALLBACK_FONTS if f in installed)]
    codepoints: set[int] = set()
    for family in families:
        path = installed.get(family) or font_manager.findfont(family)
        codepoints.update(FT2Font(path).get_charmap())
    return tuple(families), frozenset(codepoints)


def _drawable(name: str) -> str:
    """A display name as the fonts can draw it: no emoji or other glyphs they lack (they would
    be empty boxes), no control characters, `$` kept literal (not a formula)."""
    _families, known = _fonts()
    kept = "".join(
        c if ord(c) in known and not unicodedata.category(c).startswith("C") else " " for c in name
    )
    return (" ".join(kept.split()) or "?").replace("$", r"\$")


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# -- words -----------------------------------------------------------------------------------


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}" + ("" if n == 1 else "s")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _fit(sentences: Iterable[str]) -> str:
    """Whole sentences while they fit in Discord's limit for alt text."""
    kept = ""
    for sentence in sentences:
        joined = f"{kept} {sentence}" if kept else sentence
        if len(joined) > ALT_MAX:
            break
        kept = joined
    return kept


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive study days as (first, last) runs, in date order."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _profile_alt(
    name: str,
    today: date,
    first: date,
    in_window: Sequence[date],
    earned: dict[date, int],
    streak: Streak,
    before: int,
    total: int,
) -> str:
    who = _short(" ".join(name.split()), 100) or "This member"
    span = f"the {WEEKS} weeks from {_day(first)} to {_day(today)}"
    if not in_window and total == 0:
        return _fit([f"Study calendar of {who} for {span}: no study days and no XP yet."])
    sentences = [
        f"Study calendar of {who} for {span}, one square a day, weeks as columns: studied on "
        f"{_count(len(in_window), 'day')} of {(today - first).days + 1}.",
        f"Current streak {_count(streak.current, 'day')}, best {_count(streak.best, 'day')}"
        + (", studied today." if streak.active_today else "."),
    ]
    window_xp = total - before
    if total:
        line = f"Below it, a line of XP in all: {total:,} XP today"
        line += f", {window_xp:,} of it earned in these weeks" if before else ""
        busiest = max(in_window, key=lambda d: (earned.get(d, 0), d), default=None)
        if busiest is not None and earned.get(busiest, 0) > 0:
            line += f"; the most in one day was {earned[busiest]:,} XP on {_day(busiest)}"
        sentences.append(line + ".")
    else:
        sentences.append("No XP yet.")
    runs = sorted(_runs(in_window), key=lambda r: (-(r[1] - r[0]).days, r[0]))[:3]
    if runs and (runs[0][1] - runs[0][0]).days > 0:
        described = ", ".join(
            f"{_day(a)} to {_day(b)} ({(b - a).days + 1} days)" for a, b in runs if b > a
        )
        sentences.append(f"Longest runs in these weeks: {described}.")
    months: dict[str, int] = {}
    for day in in_window:
        months[f"{day:%B %Y}"] = months.get(f"{day:%B %Y}", 0) + 1
    sentences.append(
        "Days studied by month: " + ", ".join(f"{m} {n}" for m, n in months.items()) + "."
    )
    return _fit(sentences)


def _leaderboard_alt(rows: Sequence[tuple[str, int]], period_label: str) -> str:
    shown = rows[:LEADERBOARD_ROWS]
    head = (
        f"Bar chart of the leaderboard for {period_label}, {_count(len(shown), 'member')}, "
        f"most XP on top:"
    )
    kept = head
    for place, (member, xp) in enumerate(shown, 1):
        entry = f" {place}. {_short(' '.join(member.split()), 100) or '?'}, {xp:,} XP" + (
            "." if place == len(shown) else ";"
        )
        if len(kept) + len(entry) > ALT_MAX - 24:
            return kept.rstrip(";") + f" and {len(shown) - place + 1} more."
        kept += entry
    return kept
