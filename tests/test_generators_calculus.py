"""The calculus generators: every answer recomputed from the prompt's own text, another way.

The new generators (derivative_at_point, partial_derivative, steps_per_epoch) are checked over
200 seeds: the function, point and numbers are read back out of the prompt a member sees, turned
into plain Python, and differentiated by a central finite difference (or the batches counted by
walking the index list), so a prompt that shows one function while the answer belongs to another
fails here. All six calculus generators are also checked for wording that reads naturally.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.curriculum.generators import REGISTRY, Draft, generate
from bot.curriculum.generators import calculus as calc
from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, Question, grade

SEEDS = range(200)
NEW = ("derivative_at_point", "partial_derivative", "steps_per_epoch")
ALL = ("polynomial_derivative", "chain_rule", "gradient_descent_step", *NEW)

# (generator, parameter overrides): the defaults, then every family on its own.
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    *((name, {}) for name in NEW),
    *(("derivative_at_point", {"family": f}) for f in calc.FAMILIES),
    *(("partial_derivative", {"family": f}) for f in calc.PARTIAL_FAMILIES),
    ("derivative_at_point", {"x_low": 1, "x_high": 4, "low": -5, "high": 5}),
    ("steps_per_epoch", {"last_batch": "keep"}),
    ("steps_per_epoch", {"last_batch": "drop", "max_epochs": 10}),
    ("steps_per_epoch", {"n_low": 60, "n_high": 400, "max_epochs": 20}),
]
VARIANT_IDS = [f"{name}-{'-'.join(map(str, o.values())) or 'defaults'}" for name, o in VARIANTS]


def build(name: str, seed: int, overrides: Mapping[str, Any] | None = None) -> Draft:
    generator = REGISTRY[name]
    return generator.build(np.random.default_rng(seed), {**generator.defaults, **(overrides or {})})


def question_for(name: str, overrides: Mapping[str, Any], seed: int) -> Question:
    item = QuizItem(
        id="calc-test",
        topic="calculus",
        difficulty=2,
        path=Path("quizzes/calculus.yaml"),
        line=1,
        generator=name,
        params=dict(overrides),
    )
    return generate(item, seed)


# --- reading the prompt back as Python ---------------------------------------------------------

_SUPERSCRIPTS = {"²": "**2", "³": "**3"}


def python_of(formula: str) -> str:
    """`(2x - 1)·exp(-x)`, `3x²y - xy`, `σ(2x + 1)` as Python source in x and y."""
    text = formula.replace("exp", "E").replace("ln", "L").replace("σ", "S").replace("·", "*")
    for mark, power in _SUPERSCRIPTS.items():
        text = text.replace(mark, power)
    text = re.sub(r"(?<=[\dxy)])(?=[xyELS(])", "*", text)  # implicit products: 3x, xy, )(
    return text.replace("E", "exp").replace("L", "log").replace("S", "sig")


def evaluate(source: str, **values: float) -> float:
    names: dict[str, Any] = {
        "exp": math.exp,
        "log": math.log,
        "sig": lambda t: 1.0 / (1.0 + math.exp(-t)),
        **values,
    }
    return float(eval(source, {"__builtins__": {}}, names))


def central(f: Callable[[float], float], at: float, h: float = 1e-5) -> float:
    return (f(at + h) - f(at - h)) / (2 * h)


def answer_of(asked: Draft | Question) -> float:
    assert isinstance(asked.answer, float), asked.answer
    return asked.answer


def close(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-6)


def numbers_in(prompt: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", prompt.replace(",", "")))


# --- independent recomputations, one per new generator ----------------------------------------


def check_point(seed: int, params: Mapping[str, Any], draft: Draft) -> None:
    case = calc.draw_derivative_at_point(np.random.default_rng(seed), params)
    if params["family"] != "any":
        assert case.family == params["family"]
    found = re.search(r"Let f\(x\) = (.+)\.\nWhat is f'\((-?\d+)\)\?", draft.prompt)
    assert found, draft.prompt
    source, x0 = python_of(found.group(1)), int(found.group(2))
    assert x0 == case.x
    slope = central(lambda x: evaluate(source, x=x), x0)
    assert close(answer_of(draft), slope), (draft.prompt, draft.answer, slope)
    # The inside of every logarithm is positive at the point, so f is defined there.
    assert math.isfinite(evaluate(source, x=x0))


def check_partial(seed: int, params: Mapping[str, Any], draft: Draft) -> None:
    case = calc.draw_partial_derivative(np.random.default_rng(seed), params)
    if params["family"] != "any":
        assert case.family == params["family"]
    if case.family == "squared_error":
        pattern = r"x = (-?\d+) and y = (-?\d+).*\nWhat is ∂L/∂([wb]) at w = (-?\d+), b = (-?\d+)\?"
        found = re.search(pattern, draft.prompt, re.S)
        assert found, draft.prompt
        x, y, asked, w0, b0 = found.groups()
        x, y, w0, b0 = int(x), int(y), int(w0), int(b0)
        loss = {
            "w": lambda w: (w * x + b0 - y) ** 2,
            "b": lambda b: (w0 * x + b - y) ** 2,
        }[asked]
        slope = central(loss, w0 if asked == "w" else b0)
    else:
        pattern = r"Let f\(x, y\) = (.+)\.\nWhat is ∂f/∂([xy]) at \(x, y\) = \((-?\d+), (-?\d+)\)\?"
        found = re.search(pattern, draft.prompt)
        assert found, draft.prompt
        source, asked = python_of(found.group(1)), found.group(2)
        u, v = int(found.group(3)), int(found.group(4))
        if asked == "x":
            slope = central(lambda t: evaluate(source, x=t, y=v), u)
        else:
            slope = central(lambda t: evaluate(source, x=u, y=t), v)
    assert close(answer_of(draft), slope), (draft.prompt, draft.answer, slope)
    if case.family != "exponential":
        assert answer_of(draft).is_integer()


def check_steps(seed: int, params: Mapping[str, Any], draft: Draft) -> None:
    case = calc.draw_steps_per_epoch(np.random.default_rng(seed), params)
    found = re.search(r"has ([\d,]+) examples.*mini-batches of (\d+)", draft.prompt)
    assert found, draft.prompt
    n, batch = int(found.group(1).replace(",", "")), int(found.group(2))
    assert (n, batch) == (case.n, case.batch) and n % batch != 0
    keep = "is kept" in draft.prompt
    assert keep != ("is dropped" in draft.prompt)
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "twenty": 20}
    epochs_text = re.search(r"runs for (\w+) epochs", draft.prompt)
    epochs = words[epochs_text.group(1)] if epochs_text else 1
    assert epochs <= params["max_epochs"]
    # Walk a shuffled index list batch by batch, as a training loop would.
    order = list(range(n))
    updates = 0
    for _ in range(epochs):
        for start in range(0, n, batch):
            chunk = order[start : start + batch]
            if len(chunk) == batch or keep:
                updates += 1
    assert draft.answer == updates
    per_epoch = math.ceil(n / batch) if keep else n // batch
    assert updates == per_epoch * epochs


CHECKS: dict[str, Callable[[int, Mapping[str, Any], Draft], None]] = {
    "derivative_at_point": check_point,
    "partial_derivative": check_partial,
    "steps_per_epoch": check_steps,
}


# --- the tests --------------------------------------------------------------------------------


def test_the_new_generators_are_registered_with_valid_defaults() -> None:
    for name in ALL:
        generator = REGISTRY[name]
        assert generator.summary
        assert generator.params_problems(generator.defaults) == []
        assert generator.build.__module__ == calc.__name__


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_answers_match_a_recomputation_from_the_prompt(
    name: str, overrides: dict[str, Any]
) -> None:
    params = {**REGISTRY[name].defaults, **overrides}
    for seed in SEEDS:
        CHECKS[name](seed, params, build(name, seed, overrides))


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_drafts_are_well_formed_varied_and_deterministic(
    name: str, overrides: dict[str, Any]
) -> None:
    prompts: set[str] = set()
    answers: set[float] = set()
    for seed in SEEDS:
        draft = build(name, seed, overrides)
        assert draft == build(name, seed, overrides)
        assert draft.kind is Kind.NUMERIC
        assert isinstance(draft.answer, float) and math.isfinite(draft.answer)
        assert math.copysign(1.0, draft.answer) == 1.0 or draft.answer != 0  # never -0.0
        assert draft.prompt.strip() and draft.explanation.strip()
        assert draft.tolerance >= 0 and draft.rel_tolerance >= 0
        assert draft.tolerance > 0 or draft.rel_tolerance > 0 or draft.answer == 0
        prompts.add(draft.prompt)
        answers.add(draft.answer)
    assert len(prompts) >= 50, f"{name} {overrides}: only {len(prompts)} distinct prompts"
    assert len(answers) >= 10


LEAK_VARIANTS = [
    *VARIANTS,
    *((name, {}) for name in ALL[:3]),
    ("polynomial_derivative", {"degree": 1}),
    ("gradient_descent_step", {"a_max": 10}),
]


@pytest.mark.parametrize(
    ("name", "overrides"), LEAK_VARIANTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LEAK_VARIANTS)]
)
def test_the_prompt_never_shows_the_answer(name: str, overrides: dict[str, Any]) -> None:
    for seed in SEEDS:
        question = question_for(name, overrides, seed)
        shown = numbers_in(question.prompt)
        assert question.expected_text.lstrip("-") not in shown, (seed, question.prompt)
        assert f"**{question.expected_text}**" not in question.prompt


@pytest.mark.parametrize(("name", "overrides"), VARIANTS, ids=VARIANT_IDS)
def test_the_expected_and_a_rounded_answer_both_grade_correct(
    name: str, overrides: dict[str, Any]
) -> None:
    for seed in SEEDS:
        question = question_for(name, overrides, seed)
        assert grade(question, question.expected_text).correct
        if "three significant figures" in question.prompt:
            typed = f"{answer_of(question):.3g}"
            assert grade(question, typed).correct, (question.prompt, typed)
            off = answer_of(question) + 0.02 * abs(answer_of(question)) + 0.01
            assert not grade(question, f"{off:.3g}").correct
        else:
            assert not grade(question, _num_text(answer_of(question) + 1)).correct


def _num_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def test_any_family_draws_every_family() -> None:
    def drawn(draw: Callable[..., Any], name: str, field: str) -> set[str]:
        params = REGISTRY[name].defaults
        return {getattr(draw(np.random.default_rng(s), params), field) for s in SEEDS}

    point = drawn(calc.draw_derivative_at_point, "derivative_at_point", "family")
    partial = drawn(calc.draw_partial_derivative, "partial_derivative", "family")
    last = drawn(calc.draw_steps_per_epoch, "steps_per_epoch", "last")
    assert point == set(calc.FAMILIES)
    assert partial == set(calc.PARTIAL_FAMILIES)
    assert last == {"keep", "drop"}


# Wording a person would not write: "+ 0", "1x", "- -3", a caret for a power, "-0".
UNNATURAL = [
    (re.compile(r"[+-] 0(?![\d.])(?!\s*[/×])"), "adds or subtracts a bare zero"),
    (re.compile(r"(?<![\d.])1[xy]"), "writes a coefficient of 1"),
    (re.compile(r"(?<![\d.])-1[xy]"), "writes a coefficient of -1"),
    (re.compile(r"[+-]\s*[+-]\s*\d"), "stacks two signs"),
    (re.compile(r"\^"), "uses a caret for a power"),
    (re.compile(r"(?<![\d.])-0(?![\d.])"), "writes -0"),
    (re.compile(r"-0\.0(?!\d)"), "writes -0.0"),
    (re.compile(r"\(\)"), "has empty brackets"),
]


@pytest.mark.parametrize("name", ALL)
def test_prompts_and_explanations_read_naturally(name: str) -> None:
    for seed in SEEDS:
        draft = build(name, seed)
        for pattern, problem in UNNATURAL:
            assert not pattern.search(draft.prompt), (problem, seed, draft.prompt)
        # Explanations show substituted arithmetic, so "- 0 × 2" may appear there; signs may not
        # stack and powers are never carets.
        for pattern, problem in UNNATURAL[1:]:
            assert not pattern.search(draft.explanation), (problem, seed, draft.explanation)
        assert "`" not in draft.prompt or "^" not in draft.prompt


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("derivative_at_point", {"family": "tangent"}),
        ("derivative_at_point", {"low": 0, "high": 0}),
        ("derivative_at_point", {"x_low": 2, "x_high": -2}),
        ("partial_derivative", {"family": "cubic"}),
        ("partial_derivative", {"low": 3, "high": 3}),
        ("steps_per_epoch", {"last_batch": "sometimes"}),
        ("steps_per_epoch", {"max_epochs": 0}),
        ("steps_per_epoch", {"n_low": 500, "n_high": 100}),
    ],
)
def test_unusable_parameters_are_refused(name: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(name, 0, overrides)
