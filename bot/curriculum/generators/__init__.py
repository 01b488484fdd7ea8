"""Parametric question generators.

A generator turns (parameters, seed) into a question whose answer is computed with numpy, so
the same item and seed always give the same question and nobody types an answer by hand.
Each generator module registers itself with `@register`; `REGISTRY` maps names to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bot.curriculum.model import QuizItem
from bot.domain.quiz import Kind, Question


@dataclass(frozen=True)
class Draft:
    """What a generator builds; the item's id, topic and difficulty are added by `generate`."""

    kind: Kind
    prompt: str
    answer: str | float | tuple[str, ...]
    explanation: str
    choices: tuple[str, ...] = ()
    tolerance: float = 1e-6  # absolute; set it to 0 when rel_tolerance alone should decide
    rel_tolerance: float = 0.0
    code: str | None = None


Build = Callable[[np.random.Generator, Mapping[str, Any]], Draft]


@dataclass(frozen=True)
class Generator:
    name: str
    summary: str
    defaults: Mapping[str, Any]  # the parameters it accepts, with their defaults
    build: Build

    def params_problems(self, params: Mapping[str, Any]) -> list[str]:
        """Why these parameters are unusable, in words for `content check`."""
        problems = [
            f"generator {self.name!r} has no parameter {name!r} "
            f"(it takes: {', '.join(sorted(self.defaults)) or 'none'})"
            for name in params
            if name not in self.defaults
        ]
        for name, value in params.items():
            default = self.defaults.get(name)
            if name in self.defaults and type(value) is not type(default):
                if not (isinstance(default, float) and isinstance(value, int)):
                    problems.append(
                        f"parameter {name!r} of {self.name!r} must be "
                        f"{type(default).__name__}, got {value!r}"
                    )
        return problems


REGISTRY: dict[str, Generator] = {}


def register(name: str, summary: str, **defaults: Any) -> Callable[[Build], Build]:
    def decorate(build: Build) -> Build:
        if name in REGISTRY:
            raise RuntimeError(f"generator {name!r} registered twice")
        REGISTRY[name] = Generator(name=name, summary=summary, defaults=defaults, build=build)
        return build

    return decorate


def generate(item: QuizItem, seed: int) -> Question:
    """Build the question of a generator item for one seed."""
    assert item.generator is not None, f"{item.id} is a static item"
    generator = REGISTRY[item.generator]
    params = {**generator.defaults, **item.params}
    draft = generator.build(np.random.default_rng(seed), params)
    question = Question(
        item_id=item.id,
        topic=item.topic,
        kind=draft.kind,
        prompt=draft.prompt,
        answer=draft.answer,
        explanation=draft.explanation,
        difficulty=item.difficulty,
        choices=draft.choices,
        tolerance=draft.tolerance,
        rel_tolerance=draft.rel_tolerance,
        code=draft.code,
        seed=seed,
    )
    return replace(question)


# Importing the modules registers their generators.
from bot.curriculum.generators import (  # noqa: E402, F401
    arrays,
    calculus,
    deep_learning,
    evaluation,
    linear_algebra,
    production,
    statistics,
    tables,
)
