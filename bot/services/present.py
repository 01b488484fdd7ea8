"""How a question looks, wherever it is asked (a quiz, a review, the daily challenge).

The options are lettered in the text and on the buttons ("A · Jupyter"), so the answer is
where the thumb is; difficulty and progress are one small line under the title; options too
long for a button become a drop-down. Member input is echoed as typed, escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.cards import Action, Menu, MenuOption, Style, escape_markdown
from bot.domain.quiz import Kind, Question
from bot.intents import Intent

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXY"
BUTTON_LABEL_MAX = 80
MENU_LABEL_MAX = 100
SHORT_LABEL = 24  # up to this, labels share a row; longer ones get a row each

HOW_TO_ANSWER = {
    Kind.CHOICE: "Press an option, or type its letter.",
    Kind.NUMERIC: "Type a number: 3, -0.25, 3/4 and 2,5 all work.",
    Kind.OUTPUT: "Type exactly what it prints.",
    Kind.TEXT: "Type a word or a short phrase.",
}


def stars(difficulty: int) -> str:
    return "★" * difficulty


def question_text(question: Question, progress: str = "") -> str:
    """Subtext line, prompt, code and lettered options, as chat Markdown."""
    line = " · ".join(part for part in (stars(question.difficulty), progress) if part)
    parts = [f"-# {line}", question.prompt.strip()]
    if question.code:
        parts.append(f"```python\n{question.code.rstrip()}\n```")
    if question.kind is Kind.CHOICE:
        parts.append(
            "\n".join(f"**{LETTERS[n]}.** {text}" for n, text in enumerate(question.choices))
        )
    return "\n\n".join(parts)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def choice_controls(
    question: Question, intent_for: Callable[[int], Intent]
) -> tuple[tuple[Action, ...], Menu | None]:
    """Buttons labelled with their option, or a drop-down when an option is too long for one.

    `intent_for(n)` is what choosing option n (1-based) means."""
    labels = [f"{LETTERS[n]} · {text}" for n, text in enumerate(question.choices)]
    if all(len(label) <= BUTTON_LABEL_MAX for label in labels):
        own_rows = any(len(label) > SHORT_LABEL for label in labels)
        actions = tuple(
            Action(intent_for(n + 1), label, Style.SECONDARY, row=n if own_rows else None)
            for n, label in enumerate(labels)
        )
        return actions, None
    menu = Menu(
        placeholder="Choose your answer…",
        options=tuple(
            MenuOption(intent_for(n + 1), _cut(label, MENU_LABEL_MAX))
            for n, label in enumerate(labels)
        ),
    )
    return (), menu


def answer_and_key(question: Question, given: str) -> str:
    """ "You answered X; the answer is Y", with printed output shown as blocks."""
    if question.kind is Kind.OUTPUT:
        return f"You answered:{echoed(question, given)}It prints:{expected(question)}"
    return f"You answered {echoed(question, given)}; the answer is {expected(question)}."


def echoed(question: Question, given: str) -> str:
    """What the member answered, shown as they typed it."""
    if question.kind is Kind.OUTPUT:
        return _block(given)
    return f"**{escape_markdown(given)}**"


def expected(question: Question) -> str:
    if question.kind is Kind.OUTPUT:
        return _block(question.expected_text)
    if question.kind is Kind.CHOICE and question.expected_text in question.choices:
        letter = LETTERS[question.choices.index(question.expected_text)]
        return f"**{letter}. {escape_markdown(question.expected_text)}**"
    return f"**{escape_markdown(question.expected_text)}**"


def _block(text: str) -> str:
    return "\n```\n" + text.strip().replace("```", "`\u200b``") + "\n```\n"
