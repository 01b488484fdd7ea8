"""Answers drawn from a known Rasch model, so the analysis can be checked against the truth
(tests/test_item_analysis.py); seeded, so the same call gives the same answers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Simulated:
    responses: pd.DataFrame  # member, unit, correct: in the order they were given
    abilities: dict[int, float]
    difficulties: dict[str, float]


def unit_name(index: int) -> str:
    return f"item-{index:03d}"


def simulate_rasch(
    members: int, units: int, seed: int, share_answered: float = 1.0, spread: float = 1.0
) -> Simulated:
    """Abilities and difficulties ~ N(0, spread²); each member answers each unit with
    probability `share_answered`, right with the Rasch probability, in a random order."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, spread, members)
    difficulty = rng.normal(0.0, spread, units)
    member, unit = np.nonzero(rng.random((members, units)) < share_answered)
    chance = 1.0 / (1.0 + np.exp(-(ability[member] - difficulty[unit])))
    correct = rng.random(len(member)) < chance
    order = rng.permutation(len(member))
    names = np.array([unit_name(i) for i in range(units)], dtype=object)
    responses = pd.DataFrame(
        {"member": member[order], "unit": names[unit[order]], "correct": correct[order]}
    )
    return Simulated(
        responses=responses,
        abilities={i: float(a) for i, a in enumerate(ability)},
        difficulties={unit_name(i): float(d) for i, d in enumerate(difficulty)},
    )


def invert_key(responses: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The same answers as recorded under a wrong key for `unit`: right becomes wrong."""
    planted = responses.copy()
    mask = planted["unit"] == unit
    planted.loc[mask, "correct"] = ~planted.loc[mask, "correct"].astype(bool)
    return planted
