"""Item analysis checked against the truth: answers drawn from a known Rasch model (seeded), with
a wrong key planted, must give back the difficulties and flag the wrong key.

`pytest -s tests/test_item_analysis.py` prints the recovered-vs-true table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bot.analysis.items import MIN_ATTEMPTS, Flag, ItemAnalysis, analyse
from bot.analysis.simulate import Simulated, invert_key, simulate_rasch, unit_name

SEED = 2026
PLANTED = unit_name(23)  # its recorded answers are inverted, as a wrong answer key would do


def centred(values: dict[str, float]) -> dict[str, float]:
    """True difficulties on the estimates' scale: the analysis puts 0 at the units' mean."""
    mean = float(np.mean(list(values.values())))
    return {unit: value - mean for unit, value in values.items()}


def table(truth: Simulated, analysis: ItemAnalysis, shown: list[str]) -> str:
    """Recovered vs true, one line a unit, for the issue's "show"."""
    true = centred(truth.difficulties)
    lines = [
        f"{'item':<10} {'true b':>7} {'est b':>7} {'± se':>6} {'right':>6} {'r_pb':>6}  flags",
    ]
    for unit in shown:
        item = analysis.item(unit)
        assert item is not None and item.difficulty is not None and item.difficulty_se is not None
        flags = ", ".join(flag.value for flag in item.flags) or "—"
        lines.append(
            f"{unit:<10} {true[unit]:+7.2f} {item.difficulty:+7.2f} {item.difficulty_se:6.2f} "
            f"{item.share_right or 0:6.0%} {item.discrimination or 0:+6.2f}  {flags}"
        )
    return "\n".join(lines)


def recovered(truth: Simulated, analysis: ItemAnalysis, leave_out: set[str]) -> float:
    units = [u for u in truth.difficulties if u not in leave_out]
    estimates = []
    for unit in units:
        item = analysis.item(unit)
        assert item is not None and item.difficulty is not None
        estimates.append(item.difficulty)
    true = [truth.difficulties[u] for u in units]
    return float(np.corrcoef(true, estimates)[0, 1])


def test_recovers_known_difficulties_and_flags_a_planted_wrong_key() -> None:
    truth = simulate_rasch(members=500, units=40, seed=SEED)
    analysis = analyse(invert_key(truth.responses, PLANTED))

    shown = [unit_name(i) for i in range(10)] + [PLANTED]
    print(f"\n500 members × 40 items, seed {SEED}; {PLANTED} planted with a wrong key\n")
    print(table(truth, analysis, shown))

    correlation = recovered(truth, analysis, leave_out={PLANTED})
    print(f"\ncorrelation of recovered vs true difficulties (39 items): {correlation:.3f}")
    assert correlation >= 0.9

    planted = analysis.item(PLANTED)
    assert planted is not None and planted.discrimination is not None
    print(f"{PLANTED} flagged: {'; '.join(planted.reasons())}")
    assert Flag.NEGATIVE in planted.flags and planted.discrimination < 0
    assert analysis.flagged()[0].unit == PLANTED  # the worst first: a wrong key leads
    others = [i for i in analysis.items if i.unit != PLANTED]
    assert all(Flag.NEGATIVE not in i.flags for i in others)  # no false alarm on good keys

    abilities = {m.member: m.ability for m in analysis.members if m.ability is not None}
    members = sorted(abilities)
    ability_r = np.corrcoef([truth.abilities[m] for m in members], [abilities[m] for m in members])
    print(
        f"correlation of recovered vs true abilities ({len(members)} members): "
        f"{ability_r[0, 1]:.3f}"
    )
    assert ability_r[0, 1] >= 0.85
    assert analysis.fitted_items == 40 and analysis.responses == 500 * 40


def test_standard_errors_cover_the_truth() -> None:
    truth = simulate_rasch(members=500, units=40, seed=SEED + 1)
    analysis = analyse(truth.responses)
    true = centred(truth.difficulties)
    inside = 0
    for unit, value in true.items():
        item = analysis.item(unit)
        assert item is not None and item.difficulty is not None and item.difficulty_se is not None
        assert 0.05 < item.difficulty_se < 0.3  # ≈ 1 / sqrt(500 · p(1 − p))
        inside += abs(item.difficulty - value) <= 2 * item.difficulty_se
    assert inside / len(true) >= 0.85


def test_members_answering_a_few_questions_each_still_recover_them() -> None:
    """Like a real server: each member answers a random 40% of a larger bank."""
    truth = simulate_rasch(members=800, units=80, seed=SEED + 2, share_answered=0.4)
    analysis = analyse(truth.responses)
    assert recovered(truth, analysis, leave_out=set()) >= 0.9


def test_point_biserial_is_the_correlation_with_the_share_right_elsewhere() -> None:
    truth = simulate_rasch(members=60, units=6, seed=3)
    analysis = analyse(truth.responses, min_attempts=10)
    wide = truth.responses.pivot(index="member", columns="unit", values="correct").astype(float)
    for unit in wide.columns:
        rest = wide.drop(columns=unit).mean(axis=1)
        expected = float(np.corrcoef(wide[unit], rest)[0, 1])
        item = analysis.item(unit)
        assert item is not None and item.discrimination == pytest.approx(expected)


def responses(rows: list[tuple[int, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member", "unit", "correct"])


def test_only_a_members_first_attempt_at_a_question_counts() -> None:
    rows = [(m, "q", m % 2 == 0) for m in range(40)]
    rows += [(m, "q", True) for m in range(40)]  # everyone right on a second try
    item = analyse(responses(rows), rasch=False).item("q")
    assert item is not None and (item.attempts, item.right) == (40, 20)


def test_too_few_attempts_is_not_judged() -> None:
    truth = simulate_rasch(members=200, units=10, seed=5)
    few = responses([(m, "new", True) for m in range(MIN_ATTEMPTS - 1)])
    analysis = analyse(pd.concat([truth.responses, few], ignore_index=True))
    item = analysis.item("new")
    assert item is not None and item.flags == (Flag.TOO_FEW,)
    assert item.discrimination is None and item.difficulty is None
    assert item.reasons() == [f"too few answers to judge: {MIN_ATTEMPTS - 1} of {MIN_ATTEMPTS}"]
    assert item not in analysis.flagged()  # not judged: not among the questions to fix
    order = [i.unit for i in analysis.items]
    judged = [order.index(i.unit) for i in analysis.flagged()]
    clean = [order.index(i.unit) for i in analysis.items if not i.flags]
    assert max(judged, default=-1) < order.index("new") < min(clean)  # flagged, new, clean


def test_easy_and_hard_questions_are_flagged() -> None:
    rows = []
    for m in range(100):
        skill = m / 100
        rows += [(m, "easy", m >= 5), (m, "hard", m >= 90)]
        rows += [(m, f"mid{k}", skill > k / 6) for k in range(1, 6)]
    analysis = analyse(responses(rows))
    easy, hard = analysis.item("easy"), analysis.item("hard")
    assert easy is not None and Flag.TOO_EASY in easy.flags
    assert hard is not None and Flag.TOO_HARD in hard.flags
    assert "too easy: 95% right (above 80%)" in easy.reasons()


def test_no_answers_and_one_member_give_empty_results_not_errors() -> None:
    empty = analyse(responses([]))
    assert empty.empty and empty.items == () and empty.flagged() == []
    alone = analyse(responses([(1, f"q{k}", k % 2 == 0) for k in range(5)]))
    assert [i.flags for i in alone.items] == [(Flag.TOO_FEW,)] * 5
    assert alone.members[0].ability is None and alone.members[0].note == "too little data"


def test_members_with_everything_right_have_no_ability() -> None:
    truth = simulate_rasch(members=300, units=12, seed=8)
    perfect = responses([(10_000, unit_name(k), True) for k in range(12)])
    analysis = analyse(pd.concat([truth.responses, perfect], ignore_index=True))
    member = next(m for m in analysis.members if m.member == 10_000)
    assert member.ability is None and member.note == "all right"
    item = analysis.item(unit_name(0))
    assert item is not None and item.attempts == 301  # still counted in the classical statistics
