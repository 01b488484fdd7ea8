"""bench/engine.py at toy sizes on SQLite: its bookkeeping holds, so its figures mean what
they say. Times nothing (figures come from running the bench itself)."""

from __future__ import annotations

from pathlib import Path

from bench import engine as bench

TOY = bench.Sizes(answers=60, concurrency=6, members=300, events=3_000, cards=60, calls=3)


def test_the_ceiling_replays_exactly_what_the_store_wrote(tmp_path: Path) -> None:
    assert bench.sqlite_answers(tmp_path, TOY, rounds=1).same


def test_bulk_totals_are_the_engine_totals_and_both_review_orders_agree(tmp_path: Path) -> None:
    path = tmp_path / "reads.db"

    def load() -> None:
        bench.load_sqlite(path, TOY)
        bench.load_cards_sqlite(path, TOY)

    result = bench.reads(f"sqlite:///{path}", TOY, load, check=True)
    assert result.same_order
    assert set(result.figures) >= {f"leaderboard {p}" for p in bench.PERIODS}
