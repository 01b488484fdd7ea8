"""Pictures for cards, drawn with matplotlib's Agg backend (no screen), called off the event loop.

Charts sit on their own solid panel with light text, so they read the same in Discord's dark
and light themes; every chart comes with alt text describing what it shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.cards import Image
from bot.domain.values import Standing

PANEL = "#2b2d31"
TEXT = "#f2f3f5"
BAR = "#5865f2"
TOP = "#fee75c"


def leaderboard_chart(standings: Sequence[Standing], title: str) -> Image:
    """Top members as horizontal bars, the leader on top and highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state between charts

    shown = list(standings)[:10]
    names = [_short(s.display_name) for s in shown][::-1]
    values = [s.xp for s in shown][::-1]
    figure = Figure(figsize=(6.4, 0.45 * max(3, len(shown)) + 0.9), dpi=100, facecolor=PANEL)
    axes = figure.add_subplot()
    axes.set_facecolor(PANEL)
    colours = [BAR] * (len(values) - 1) + [TOP] if values else []
    bars = axes.barh(names, values, color=colours)
    axes.bar_label(bars, labels=[f"{v} XP" for v in values], padding=4, color=TEXT, fontsize=9)
    axes.set_title(title, color=TEXT, loc="left", fontsize=12)
    axes.tick_params(colors=TEXT, labelsize=9, length=0)
    axes.xaxis.set_visible(False)
    for side in axes.spines.values():
        side.set_visible(False)
    axes.set_xlim(0, max(values, default=1) * 1.25 or 1)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=PANEL)
    described = ", ".join(f"{s.display_name} {s.xp} XP" for s in shown) or "no one yet"
    return Image(
        name="leaderboard.png",
        data=buffer.getvalue(),
        alt=f"Bar chart of the leaderboard, {title}: {described}."[:1000],
    )


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, facecolor=PANEL)


def _style(axes: Any) -> None:
    axes.set_facecolor(PANEL)
    axes.tick_params(colors=TEXT, labelsize=9, length=0)
    for side in axes.spines.values():
        side.set_visible(False)


def _png(figure: Any) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=PANEL)
    return buffer.getvalue()


def activity_chart(days: Sequence[tuple[date, int]]) -> Image:
    """Active members per day as bars, oldest on the left, today highlighted; the alt text
    gives the peak, the average and every day's figure."""
    figure = _figure(6.4, 2.8)
    axes = figure.add_subplot()
    _style(axes)
    counts = [count for _day, count in days]
    colours = [BAR] * (len(counts) - 1) + [TOP] if counts else []
    axes.bar(range(len(counts)), counts, color=colours, width=0.8)
    step = max(1, len(days) // 6)
    ticks = list(range(len(days) - 1, -1, -step))[::-1]
    axes.set_xticks(ticks, [_short_day(days[i][0]) for i in ticks])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color=TEXT, alpha=0.15)
    axes.set_axisbelow(True)
    axes.set_title(f"Active members per day, last {len(days)} days", color=TEXT, loc="left")
    data = _png(figure)
    if not days:
        return Image(name="activity.png", data=data, alt="No days to show.")
    peak_day, peak = max(days, key=lambda pair: (pair[1], pair[0]))
    average = sum(counts) / len(counts)
    listing = ", ".join(f"{_short_day(day)} {count}" for day, count in days)
    alt = (
        f"Bar chart of active members per day from {_short_day(days[0][0])} to "
        f"{_short_day(days[-1][0])}: highest {peak} on {_short_day(peak_day)}, "
        f"{counts[-1]} on the last day, {average:.1f} a day on average. Day by day: {listing}."
    )
    return Image(name="activity.png", data=data, alt=alt[:1000])


def funnel_chart(tracks: Sequence[tuple[str, Sequence[tuple[str, int]]]]) -> Image:
    """How many members finished each lesson, one panel per track in roadmap order."""
    shown = [(title, list(lessons)) for title, lessons in tracks if lessons]
    rows = sum(len(lessons) for _title, lessons in shown)
    figure = _figure(7.2, 0.26 * rows + 0.55 * len(shown) + 0.6)
    most = max((count for _t, lessons in shown for _l, count in lessons), default=0) or 1
    grid = figure.add_gridspec(max(1, len(shown)), 1, height_ratios=[len(x[1]) for x in shown])
    for index, (title, lessons) in enumerate(shown):
        axes = figure.add_subplot(grid[index])
        _style(axes)
        numbered = [f"{n}. {name}" for n, (name, _count) in enumerate(lessons, 1)]
        names = [_literal(_short(name, 34)) for name in reversed(numbered)]
        counts = [count for _name, count in lessons][::-1]
        bars = axes.barh(names, counts, color=BAR)
        axes.bar_label(bars, padding=3, color=TEXT, fontsize=8)
        axes.set_xlim(0, most * 1.15)
        axes.xaxis.set_visible(False)
        axes.set_title(_literal(title), color=TEXT, loc="left", fontsize=10)
    data = _png(figure)
    described = "; ".join(
        f"{title}: " + ", ".join(f"{n}. {count}" for n, (_name, count) in enumerate(lessons, 1))
        for title, lessons in shown
    )
    alt = f"Bar charts of members who finished each lesson, track by track. {described}."
    return Image(name="funnel.png", data=data, alt=alt[:1000])


def _literal(text: str) -> str:
    """Authored text drawn as written: a pair of `$` would otherwise start a formula (and a
    formula matplotlib cannot parse fails the whole chart)."""
    return text.replace("$", r"\$")


def _short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def scale_chart(abilities: Sequence[float], difficulties: Sequence[float]) -> Image:
    """A Wright map: members' abilities above the questions' difficulties on one logit axis,
    so a moderator sees whether the bank is pitched at the members."""
    figure = _figure(6.4, 3.6)
    top, bottom = figure.subplots(2, 1, sharex=True)
    values = [*abilities, *difficulties] or [0.0]
    low, high = min(values), max(values)
    bins = [low + (high - low) * i / 30 for i in range(31)] if high > low else 10
    for axes, shown, colour, label in (
        (top, abilities, BAR, f"{len(abilities)} members' abilities"),
        (bottom, difficulties, TOP, f"{len(difficulties)} questions' difficulties"),
    ):
        _style(axes)
        axes.hist(list(shown), bins=bins, color=colour)
        axes.set_title(label, color=TEXT, loc="left", fontsize=10)
        axes.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_xlabel("logits (higher: abler member, harder question)", color=TEXT, fontsize=9)
    data = _png(figure)
    alt = (
        f"Two histograms on one logit scale: {len(abilities)} members' abilities"
        f"{_spread(abilities)} above {len(difficulties)} questions' difficulties"
        f"{_spread(difficulties)}."
    )
    return Image(name="scale.png", data=data, alt=alt[:1000])


def _spread(values: Sequence[float]) -> str:
    if not values:
        return ""
    ordered = sorted(values)
    middle = ordered[len(ordered) // 2]
    return f" (median {middle:+.1f}, from {ordered[0]:+.1f} to {ordered[-1]:+.1f})"
