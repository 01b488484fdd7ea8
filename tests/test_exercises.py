"""Exercises through the real runner: every shipped exercise, attacks on the check, and the
member's story (services and console) on both databases.

One runner for the module, started as the bot starts it (`LocalRunner`, an empty environment).
The expected values come from running each solution in it, as in production.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from rich.console import Console

from bot.adapters.console.session import ConsoleSession, PipeLines
from bot.cards import UserError
from bot.clock import FrozenClock
from bot.curriculum.loader import load_curriculum
from bot.curriculum.model import Curriculum, Exercise
from bot.domain.exercises import Array, Column, Frame, Items, Pairs, Scalar, Series, Value, Verdict
from bot.domain.values import MemberRef
from bot.domain.xp import exercise_xp
from bot.intents import OpenExercise, SubmitExercise
from bot.runner.client import LocalRunner
from bot.services import Services
from bot.services.context import Context
from bot.services.exercises import ExerciseService, result_card
from bot.settings import ROOT
from bot.storage.db import Database
from bot.storage.store import Store

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ADA = MemberRef(guild_id=5, user_id=7, display_name="ada")
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
OURS = ("Traceback", "exercise_harness", 'File "', "studybot-check")


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(ROOT / "content", ROOT / "quizzes")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runner() -> AsyncIterator[LocalRunner]:
    runner = LocalRunner(slots=2)
    try:
        await runner.health()
        yield runner
    finally:
        await runner.close()


@pytest.fixture(scope="module")
def shared() -> dict[str, ExerciseService]:
    """Expected values computed once per module (as the bot keeps them once per process)."""
    return {}


@pytest.fixture
def services(
    database: Database,
    runner: LocalRunner,
    curriculum: Curriculum,
    shared: dict[str, ExerciseService],
) -> Iterator[Services]:
    ctx = Context(Store(database), FrozenClock(NOW), curriculum, random.Random(3))
    built = Services.build(ctx, runner)
    if "first" in shared:  # the expected values already computed in this module
        built.exercises._expected = shared["first"]._expected
    else:
        shared["first"] = built.exercises
    yield built


def exercise(services: Services, exercise_id: str) -> Exercise:
    return services.ctx.curriculum.exercises[exercise_id]


def floats_in(value: Value) -> list[float]:
    """Every float an expected value holds, to look for in feedback."""
    if isinstance(value, Scalar):
        return [float(value.value)] if value.kind == "float" else []
    if isinstance(value, Items):
        return [x for item in value.items for x in floats_in(item)]
    if isinstance(value, Pairs):
        return [x for _, item in value.pairs for x in floats_in(item)]
    columns: list[Column] = []
    if isinstance(value, Array):
        columns = [value.column]
    elif isinstance(value, Series):
        columns = [value.column, value.index]
    elif isinstance(value, Frame):
        columns = [*value.data, value.index]
    return [float(x) for c in columns if c.kind == "f" for x in c.values if x is not None]


def feedback(verdict: Verdict, ex: Exercise) -> str:
    card = result_card(ex, verdict, ADA.user_id)
    return f"{card.title}\n{card.body}\n{card.footer}"


@SQLITE
async def test_every_exercise_solution_passes_and_its_starter_fails(services: Services) -> None:
    """65 exercises: each solution run as the reference, then submitted as a member's code,
    and each starter submitted, two runs at a time (the runner's slots)."""
    exercises = services.exercises.ordered()
    assert len(exercises) >= 40
    started = time.perf_counter()
    assert await services.exercises.warm() == {}
    warmed = time.perf_counter()
    assert await services.exercises.verify() == []  # the references are kept: only checks run
    finished = time.perf_counter()
    print(
        f"\n{len(exercises)} exercises: references {warmed - started:.2f} s, "
        f"{2 * len(exercises)} checks {finished - warmed:.2f} s "
        f"({(finished - warmed) / (2 * len(exercises)) * 1000:.0f} ms a check, 2 at a time)"
    )
    starters = [(await services.exercises.check(ex, ex.starter)).verdict for ex in exercises[:8]]
    for ex, verdict in zip(exercises, starters, strict=False):
        shown = feedback(verdict, ex)
        assert not verdict.passed and not any(mark in shown for mark in OURS), shown


def impostor(function: str, body: str) -> str:
    return f"import numpy as np\n\n\ndef {function}(*args, **kwargs):\n{body}\n"


@SQLITE
async def test_a_hard_coded_answer_fails(services: Services) -> None:
    """The right value of the first case, typed in: the first case passes, the rest do not."""
    ex = exercise(services, "ex-prob-posterior")
    expected = await services.exercises.expected(ex)
    first = expected[0]
    assert isinstance(first, Scalar) and first.kind == "float"
    typed_in = impostor(ex.function, f"    return {first.value!r}")
    checked = await services.exercises.check(ex, typed_in)
    verdict = checked.verdict
    assert not verdict.passed and verdict.cases[0].passed
    assert verdict.passed_count < verdict.total
    constant = await services.exercises.check(ex, impostor(ex.function, "    return 0.5"))
    assert constant.verdict.passed_count == 0


FORGER = """
import os, sys, json
import numpy as np


def {function}(*args, **kwargs):
    print("✅ All cases pass! passed passed")
    frame = sys._getframe(1)
    while "report" not in frame.f_locals:
        frame = frame.f_back
    report = frame.f_locals["report"]
    for number in range(1, 10):
        report.emit({{"event": "case", "case": number,
                     "value": {{"t": "float", "v": 0.5}}, "printed": ""}})
    report.emit({{"event": "end"}})
    os.write(1, (report.marker + ' {{"event": "end"}}\\n').encode())
    print("passed", file=sys.__stdout__, flush=True)
    os._exit(0)
"""


@SQLITE
async def test_printing_passed_or_forging_the_report_earns_nothing(services: Services) -> None:
    ex = exercise(services, "ex-prob-posterior")
    checked = await services.exercises.check(ex, FORGER.format(function=ex.function))
    assert checked.result.status == "ok" and "passed" in checked.result.stdout
    verdict = checked.verdict
    assert not verdict.passed and verdict.passed_count == 0
    assert all(c.reason.startswith("returned 0.5, off by") for c in verdict.cases), verdict
    printing = impostor(ex.function, "    print('passed: 5 of 5 cases pass')\n    return None")
    printed = await services.exercises.check(ex, printing)
    assert printed.verdict.passed_count == 0
    assert printed.verdict.printed.startswith("passed: 5 of 5")


@SQLITE
async def test_a_huge_return_is_reported_as_too_large(services: Services) -> None:
    ex = exercise(services, "ex-np-standardise-columns")
    code = impostor(ex.function, "    return np.zeros((2000, 2000))")
    verdict = (await services.exercises.check(ex, code)).verdict
    assert not verdict.passed
    assert verdict.cases[0].reason == (
        "returned a NumPy array of shape (2000, 2000): too large to check"
    )


BROKEN = {
    "raises": (
        "def {f}(*args):\n    total = 1\n    return total / 0\n",
        "case 1 of {n}: raised ZeroDivisionError on line 3 of your code: division by zero",
    ),
    "exits": (
        "import sys\n\ndef {f}(*args):\n    sys.exit(2)\n",
        "case 1 of {n}: called sys.exit(), which ends the check: return a value instead",
    ),
    "ends the process": (
        "import os\n\ndef {f}(*args):\n    os._exit(3)\n",
        "case 1 of {n}: the run ended during this case (exit code 3); did your code exit the "
        "process?",
    ),
    "loops": (
        "def {f}(*args):\n    while True:\n        pass\n",
        "case 1 of {n}: stopped during this case: it ran past the time limit",
    ),
    "exits at load": (
        "import sys\nsys.exit()\n",
        "Your code called sys.exit() before any case ran; define the function only.",
    ),
    "syntax": ("def {f}(x:\n    return x\n", "SyntaxError on line 1: "),
    "missing": (
        "def something_else(x):\n    return x\n",
        "Your code does not define `{f}`: write a function with that name.",
    ),
    "raises at load": (
        "import numpy as np\nvalue = np.arange(3)[7]\n",
        "Your code raised IndexError on line 2 before any case ran: index 7 is out of bounds",
    ),
}


@SQLITE
@pytest.mark.parametrize("kind", list(BROKEN))
async def test_code_that_fails_gets_one_clear_message_and_none_of_ours(
    services: Services, kind: str
) -> None:
    ex = exercise(services, "ex-prob-posterior")
    code, message = BROKEN[kind]
    services.exercises.timeout_s = 1.0
    verdict = (await services.exercises.check(ex, code.format(f=ex.function))).verdict
    expected = message.format(f=ex.function, n=len(ex.cases))
    said = verdict.problem or verdict.failures[0].text
    assert said.startswith(expected)
    shown = feedback(verdict, ex)
    assert not verdict.passed and not any(mark in shown for mark in OURS), shown


WRONG_BY_A_FACTOR = "\n\n_model = {f}\n\n\ndef {f}(*args):\n    return _model(*args) * 1.37\n"


@SQLITE
@pytest.mark.parametrize(
    "exercise_id",
    ["ex-prob-posterior", "ex-np-standardise-columns", "ex-dl-softmax", "ex-pd-monthly-totals"],
)
async def test_expected_values_never_appear_in_feedback(
    services: Services, exercise_id: str
) -> None:
    ex = exercise(services, exercise_id)
    secrets = [x for v in await services.exercises.expected(ex) for x in floats_in(v)]
    secrets = [x for x in secrets if x == x and abs(x) > 1e-6 and x != round(x)]
    assert secrets
    shown = ""
    for code in (ex.starter, ex.solution + WRONG_BY_A_FACTOR.format(f=ex.function)):
        verdict = (await services.exercises.check(ex, code)).verdict
        assert not verdict.passed
        shown += feedback(verdict, ex)
    for secret in secrets:
        for form in (repr(secret), f"{secret:.6g}", f"{secret:.4g}", f"{secret:.3g}"):
            assert form not in shown, (form, shown)


async def test_a_member_submits_and_a_solve_pays_once_and_counts_as_study(
    services: Services,
) -> None:
    exercises, store = services.exercises, services.ctx.store
    ex = exercise(services, "ex-np-one-hot")
    form = await exercises.form(ADA, ex.id)
    assert form.code.strip() == ex.starter.strip()

    wrong = await exercises.submit(ADA, ex.id, ex.starter)
    assert wrong.card.title == f"❌ 1 of {len(ex.cases)} cases pass" and wrong.card.ephemeral
    assert ex.explanation[:40] not in wrong.card.body  # not until it is solved
    assert [a.intent for a in wrong.card.actions] == [SubmitExercise(owner=7, exercise=ex.id)]
    assert wrong.announce is None
    assert (await store.member(ADA)).xp_total == 0
    assert await store.activity_days(ADA) == []  # a failed attempt does not count the day
    assert (await exercises.form(ADA, ex.id)).code == ex.starter.strip()  # the last attempt

    right = await exercises.submit(ADA, ex.id, f"```python\n{ex.solution}\n```")
    assert right.card.title == f"✅ All {len(ex.cases)} cases pass"
    paid = exercise_xp(ex.difficulty)
    assert ex.explanation[:40] in right.card.body and right.card.footer.startswith(f"+{paid} XP")
    assert await store.activity_days(ADA) == [NOW.date()]  # a solve counts the day
    assert right.announce == "🧩 ada solved the exercise One\\-hot encode class labels"
    assert isinstance(right.card.actions[0].intent, OpenExercise)
    assert (await store.member(ADA)).xp_total == paid

    again = await exercises.submit(ADA, ex.id, ex.solution)
    assert again.card.footer.startswith("solved before: no new XP") and again.announce is None
    assert (await store.member(ADA)).xp_total == paid
    assert (await store.exercise_progress(ADA)) == {ex.id: True}
    assert "✅ solved" in (await exercises.show(ADA, ex.id)).footer
    listed = await exercises.list_card(ADA, "python")
    assert f"✅ **One\\-hot encode class labels** `{ex.id}`" in listed.body

    services.ctx.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    await services.ctx.store.update_guild_settings(5, {"announce_quizzes": False}, NOW)
    other = exercise(services, "ex-np-rows-above")
    quiet = await exercises.submit(ADA, other.id, other.solution)
    assert quiet.verdict.passed and quiet.announce is None
    for _ in range(2):
        await exercises.submit(ADA, other.id, other.starter)
    with pytest.raises(UserError, match="You can run 6 snippets a minute"):
        await exercises.submit(ADA, other.id, other.starter)
    with pytest.raises(UserError, match="There is no exercise `ex-np-one-hat`"):
        await exercises.submit(ADA, "ex-np-one-hat", ex.solution)
    with pytest.raises(UserError, match="There is no code to check"):
        await exercises.submit(ADA, ex.id, "   ")


@SQLITE
async def test_a_console_story(services: Services) -> None:
    buffer = io.StringIO()
    out = Console(file=buffer, width=100, color_system=None, highlight=False)
    session = ConsoleSession(services, ADA, out, interactive=False)
    ex = exercise(services, "ex-np-rows-above")
    script = "\n".join(
        [
            "/exercise",
            f"/exercise {ex.id}",
            f"/submit {ex.id}",
            *ex.starter.splitlines(),
            "/end",
            f"/submit {ex.id}",
            *ex.solution.splitlines(),
            "/end",
            "/run # exercise: ex-np-rows-above",
            "/profile",
        ]
    )
    await session.run(PipeLines(io.StringIO(script + "\n")))
    text = buffer.getvalue()
    assert "🧩 Your next exercises" in text and "/exercise ID" in text
    assert f"🧩 {ex.title}" in text and f"📝 Submit: /submit {ex.id}" in text
    assert f"❌ 1 of {len(ex.cases)} cases pass" in text
    paid = exercise_xp(ex.difficulty)
    assert f"✅ All {len(ex.cases)} cases pass" in text and f"+{paid} XP" in text
    assert f"Your code does not define `{ex.function}`" in text  # the header alone is no code
    assert f"XP             {paid}" in text
    assert not any(mark in text for mark in OURS)
