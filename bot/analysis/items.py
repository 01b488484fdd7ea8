"""Item analysis: which questions work, which are too easy or too hard, which have a wrong key.

A *unit* is what is judged: a static item, or a generator with its attempts pooled across seeds
(and across the items that use it), since each seed asks a different question of the same kind.

Classical statistics per unit: how many members answered it, the share who got it right, and
its discrimination — the point-biserial correlation (SciPy) between being right on it and the
member's *rest score*, their share right on the other units they answered. The share, not the
count, because members answer different numbers of questions; on a complete design the two give
the same correlation. A working question is answered right more often by members who do well
elsewhere (r ≥ 0.3 is good); a negative r says the opposite happens, which is what a wrong answer
key looks like.

The Rasch model puts unit difficulty and member ability on one logit scale,
P(right) = 1 / (1 + exp(−(ability − difficulty))). It is fitted by joint maximum likelihood as
a logistic regression (scikit-learn) without intercept on one-hot member (+1) and unit (−1)
indicators; a weak L2 penalty keeps it identifiable (the scale's origin is otherwise free), and
the difficulties are then centred on 0. Standard errors come from the Fisher information,
1 / sqrt(Σ p(1 − p)) over the answers of that unit (or member).

Decisions, each for a reason:
- Only a member's first attempt at a unit counts. Later attempts come after the feedback showed
  the key (reviews ask missed items again), so they measure memory of the answer, not the item.
- A unit is judged from MIN_ATTEMPTS first attempts on. With 30, the share right has a standard
  error of at most 0.09 and a correlation about 1/sqrt(30) ≈ 0.18: enough to tell a wrong key
  (r well below 0) from a working item (r ≥ 0.3), not to split hairs at 0.2. Below it a unit
  shows its attempts and share right, is flagged "too few attempts" and has no discrimination
  or difficulty; it still counts in members' rest scores.
- Members with every answer right (or every answer wrong) have no finite maximum-likelihood
  ability; the penalty would only make one up. They are left out of the Rasch fit and reported
  as "all right" / "all wrong" without an ability; units that everyone (or no one) left in the
  fit got right are left out next, and so on until nothing changes. The classical statistics
  keep everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy import sparse, stats
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

MIN_ATTEMPTS = 30  # first attempts before a unit is judged (see the module's docstring)
TOO_EASY = 0.8  # share right above this: it teaches little (a teaching bank, not an exam)
TOO_HARD = 0.2  # share right below this: most members cannot use it yet, or it is broken
WEAK = 0.2  # discrimination below this: it hardly tells who knows the topic
GOOD = 0.3  # discrimination from this on: a question doing its job
RASCH_C = 100.0  # inverse L2 strength: a prior sd of 10 logits, identifiable and barely shrunk


class Flag(StrEnum):
    NEGATIVE = "negative discrimination"
    WEAK = "weak discrimination"
    TOO_HARD = "too hard"
    TOO_EASY = "too easy"
    TOO_FEW = "too few attempts"


# How much each flag matters when ordering units: a likely wrong key first.
SEVERITY = {Flag.NEGATIVE: 8, Flag.WEAK: 4, Flag.TOO_HARD: 2, Flag.TOO_EASY: 1, Flag.TOO_FEW: 0}


@dataclass(frozen=True)
class ItemStats:
    unit: str
    attempts: int  # members' first attempts
    right: int
    discrimination: float | None = None  # point-biserial with the rest score
    difficulty: float | None = None  # Rasch, logits, centred on the fitted units' mean
    difficulty_se: float | None = None
    flags: tuple[Flag, ...] = ()

    @property
    def share_right(self) -> float | None:
        return self.right / self.attempts if self.attempts else None

    @property
    def severity(self) -> int:
        return sum(SEVERITY[flag] for flag in self.flags)

    @property
    def judged(self) -> bool:
        """Flagged for what it is, not just for missing data."""
        return any(flag is not Flag.TOO_FEW for flag in self.flags)

    def reasons(self, min_attempts: int = MIN_ATTEMPTS, short: bool = False) -> list[str]:
        """Each flag as a sentence a moderator can act on (`short`: a phrase for a card)."""
        share = self.share_right or 0.0
        r = self.discrimination or 0.0
        said = {
            Flag.NEGATIVE: (
                f"negative discrimination ({r:+.2f}): check the answer key"
                if short
                else f"negative discrimination ({r:+.2f}): members who do well elsewhere get "
                "it wrong more often — check the answer key"
            ),
            Flag.WEAK: (
                f"weak discrimination ({r:+.2f})"
                if short
                else f"weak discrimination ({r:+.2f}): being right here hardly follows how "
                "members do elsewhere — reword it or its choices"
            ),
            Flag.TOO_HARD: f"too hard: {share:.0%} right (below {TOO_HARD:.0%})",
            Flag.TOO_EASY: f"too easy: {share:.0%} right (above {TOO_EASY:.0%})",
            Flag.TOO_FEW: f"too few answers to judge: {self.attempts} of {min_attempts}",
        }
        return [said[flag] for flag in self.flags]


@dataclass(frozen=True)
class MemberAbility:
    member: int
    answered: int  # units, first attempts
    right: int
    ability: float | None = None  # Rasch, logits, on the units' scale
    ability_se: float | None = None
    note: str = ""  # why there is no ability: "all right", "all wrong", "too little data"


@dataclass(frozen=True)
class ItemAnalysis:
    items: tuple[ItemStats, ...]  # most serious flags first (see `table_order`)
    members: tuple[MemberAbility, ...]
    responses: int  # first attempts analysed
    min_attempts: int = MIN_ATTEMPTS
    fitted_members: int = 0  # in the Rasch fit
    fitted_items: int = 0

    @property
    def empty(self) -> bool:
        return self.responses == 0

    def flagged(self) -> list[ItemStats]:
        """Units flagged for what they are (not only for too few attempts), worst first."""
        return [item for item in self.items if item.judged]

    def item(self, unit: str) -> ItemStats | None:
        return next((item for item in self.items if item.unit == unit), None)


def table_order(item: ItemStats) -> tuple[int, int, float, str]:
    """Worst flags first (then the lowest discrimination); units too new to judge after
    them (the most answered first); clean units last."""
    if item.judged:
        group = 0
    elif item.flags:
        group = 1
    else:
        group = 2
    tie = item.discrimination if item.discrimination is not None else 0.0
    if group == 1:
        tie = -float(item.attempts)
    return (group, -item.severity, tie, item.unit)


def first_attempts(responses: pd.DataFrame) -> pd.DataFrame:
    """Each member's first answer to each unit; `responses` is in the order they happened."""
    first = responses.drop_duplicates(["member", "unit"], keep="first")
    return pd.DataFrame(
        {
            "member": first["member"].to_numpy(dtype=np.int64),
            "unit": first["unit"].astype(str).to_numpy(),
            "correct": first["correct"].to_numpy(dtype=bool),
        }
    )


def analyse(
    responses: pd.DataFrame, *, min_attempts: int = MIN_ATTEMPTS, rasch: bool = True
) -> ItemAnalysis:
    """Statistics per unit and (with `rasch`) abilities per member.

    `responses` has columns `member`, `unit`, `correct`, one row per answer, in the order they
    were given. No data, one member or a unit nobody answered twice give empty or flagged
    results, never an exception."""
    if responses.empty:
        return ItemAnalysis(items=(), members=(), responses=0, min_attempts=min_attempts)
    first = first_attempts(responses)
    first["rest"] = _rest_scores(first)
    units = first.groupby("unit", sort=True)["correct"].agg(["size", "sum"])
    judged = set(units.index[units["size"] >= min_attempts])
    chosen = first[first["unit"].isin(judged)]
    discrimination = {
        str(unit): _point_biserial(group) for unit, group in chosen.groupby("unit", sort=False)
    }
    fit = _fit_rasch(chosen) if rasch else None
    items = []
    for unit, attempts, right in zip(
        units.index.astype(str).tolist(),
        units["size"].to_numpy(dtype=np.int64).tolist(),
        units["sum"].to_numpy(dtype=np.int64).tolist(),
        strict=True,
    ):
        r = discrimination.get(unit)
        difficulty, se = fit.units.get(unit, (None, None)) if fit else (None, None)
        items.append(
            ItemStats(
                unit=unit,
                attempts=attempts,
                right=right,
                discrimination=r,
                difficulty=difficulty,
                difficulty_se=se,
                flags=_flags(attempts, right, r, min_attempts),
            )
        )
    items.sort(key=table_order)
    return ItemAnalysis(
        items=tuple(items),
        members=_members(first, fit),
        responses=len(first),
        min_attempts=min_attempts,
        fitted_members=len(fit.members) if fit else 0,
        fitted_items=len(fit.units) if fit else 0,
    )


def _rest_scores(first: pd.DataFrame) -> pd.Series:
    """Each answer's member's share right on their other units (NaN when there are none)."""
    by_member = first.groupby("member", sort=False)["correct"]
    answered = by_member.transform("size").to_numpy(dtype=float)
    right = by_member.transform("sum").to_numpy(dtype=float)
    others = answered - 1
    own = first["correct"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(others > 0, (right - own) / others, np.nan)
    return pd.Series(rest, index=first.index)


def _point_biserial(group: pd.DataFrame) -> float | None:
    """None when it is undefined: fewer than three answers with a rest score, or no
    variation in either being right or the rest score."""
    known = group[group["rest"].notna()]
    if len(known) < 3 or known["correct"].nunique() < 2 or known["rest"].nunique() < 2:
        return None
    result = stats.pointbiserialr(known["correct"].to_numpy(), known["rest"].to_numpy())
    return float(result.statistic)


def _flags(attempts: int, right: int, r: float | None, min_attempts: int) -> tuple[Flag, ...]:
    if attempts < min_attempts:
        return (Flag.TOO_FEW,)
    flags = []
    if r is not None and r < 0:
        flags.append(Flag.NEGATIVE)
    elif r is not None and r < WEAK:
        flags.append(Flag.WEAK)
    share = right / attempts
    if share < TOO_HARD:
        flags.append(Flag.TOO_HARD)
    if share > TOO_EASY:
        flags.append(Flag.TOO_EASY)
    return tuple(flags)


@dataclass(frozen=True)
class RaschFit:
    units: dict[str, tuple[float, float]]  # difficulty, standard error
    members: dict[int, tuple[float, float]]  # ability, standard error


def _without_extremes(rows: pd.DataFrame) -> pd.DataFrame:
    """Drop members, then units, with all answers right or all wrong, until none are left."""
    while True:
        member_share = rows.groupby("member", sort=False)["correct"].transform("mean")
        kept = rows[(member_share > 0) & (member_share < 1)]
        unit_share = kept.groupby("unit", sort=False)["correct"].transform("mean")
        kept = kept[(unit_share > 0) & (unit_share < 1)]
        if len(kept) == len(rows):
            return kept
        rows = kept


def _fit_rasch(rows: pd.DataFrame) -> RaschFit | None:
    """Joint maximum likelihood as a penalised logistic regression; None when fewer than two
    members and two units are left to fit."""
    kept = _without_extremes(rows)
    members = pd.Index(kept["member"].unique())
    units = pd.Index(kept["unit"].unique())
    if len(members) < 2 or len(units) < 2:
        return None
    m = members.get_indexer(kept["member"])
    u = units.get_indexer(kept["unit"])
    n = len(kept)
    answer = np.arange(n)
    design = sparse.csr_matrix(
        (
            np.concatenate([np.ones(n), -np.ones(n)]),
            (np.concatenate([answer, answer]), np.concatenate([m, len(members) + u])),
        ),
        shape=(n, len(members) + len(units)),
    )
    model = LogisticRegression(
        C=RASCH_C, l1_ratio=0.0, fit_intercept=False, solver="lbfgs", max_iter=2000, tol=1e-6
    )
    # One thread: with OpenMP's default of a thread per core, the fit took 1.5–9 s instead of
    # 1 s for 10,000 members on two cores the event loop and other work also wanted.
    with threadpool_limits(limits=1):
        model.fit(design, kept["correct"].to_numpy())
    coef = model.coef_[0]
    ability, difficulty = coef[: len(members)], coef[len(members) :]
    p = 1.0 / (1.0 + np.exp(-(ability[m] - difficulty[u])))
    information = p * (1.0 - p)
    unit_se = 1.0 / np.sqrt(np.bincount(u, weights=information, minlength=len(units)))
    member_se = 1.0 / np.sqrt(np.bincount(m, weights=information, minlength=len(members)))
    origin = difficulty.mean()
    return RaschFit(
        units={
            str(unit): (float(d - origin), float(se))
            for unit, d, se in zip(units, difficulty, unit_se, strict=True)
        },
        members={
            int(member): (float(a - origin), float(se))
            for member, a, se in zip(members, ability, member_se, strict=True)
        },
    )


def _members(first: pd.DataFrame, fit: RaschFit | None) -> tuple[MemberAbility, ...]:
    totals = first.groupby("member", sort=True)["correct"].agg(["size", "sum"])
    fitted = fit.members if fit else {}
    found = []
    for member, answered, right in zip(
        totals.index.to_numpy(dtype=np.int64).tolist(),
        totals["size"].to_numpy(dtype=np.int64).tolist(),
        totals["sum"].to_numpy(dtype=np.int64).tolist(),
        strict=True,
    ):
        estimate = fitted.get(member)
        if estimate is not None:
            found.append(MemberAbility(member, answered, right, *estimate))
            continue
        note = (
            "all right" if right == answered else "all wrong" if right == 0 else "too little data"
        )
        found.append(MemberAbility(member, answered, right, note=note))
    return tuple(found)
