"""Pictures for cards, drawn with matplotlib's Agg backend (no screen), called off the event loop.

Charts sit on their own solid panel with light text, so they read the same in Discord's dark
and light themes; every chart comes with alt text describing what it shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

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


def _short(name: str) -> str:
    return name if len(name) <= 18 else name[:17] + "…"
