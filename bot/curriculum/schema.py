"""What each content file may hold, as pydantic models: one rule, one sentence.

Every check raises a `PydanticCustomError` whose message is already the sentence an author
reads. `{field}` (the key, or "'key' entry N") and `{what}` (the record, e.g. "quiz item 'x'")
in it are filled in where the error is placed (`bot.curriculum.validate`), since only there is
it known which key of which record a value was. A context `offset` is a line inside a `|`
block (a syntax error in code), `first` the index of an entry listed earlier.

The models hold the rules of one record. What needs other files (references, ids unique
across files, prerequisite cycles) or running code (generator sampling) is the loader's.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, NoReturn, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    PlainValidator,
    RootModel,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.curriculum import generators
from bot.curriculum.yamlsource import describe
from bot.domain.quiz import Kind

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EXERCISE_PREFIX = "ex-"
MINUTES = (1, 120)
DIFFICULTY = (1, 3)
CHOICES = (2, 6)
CASES = (3, 6)
DEFAULT_TOLERANCE = 1e-6
KIND_NAMES = ", ".join(kind.value for kind in Kind)


# --- raising sentences --------------------------------------------------------------------------


def fail(template: str, **context: Any) -> NoReturn:
    """Refuse a value with the sentence the author will read."""
    raise PydanticCustomError("content", template, context)


Part = tuple[tuple[str | int, ...], str, Any, dict[str, Any]]
"""One refused part of a value: where inside it, the sentence, the input, the context."""


def fail_many(parts: Sequence[Part]) -> NoReturn:
    """Refuse several parts of one value at once, each at its own place (a list's entries).

    pydantic places the errors of a `ValidationError` raised in a validator under the value's
    own location, so each entry keeps its own line.
    """
    details = [
        InitErrorDetails(
            type=PydanticCustomError("content", template, context), loc=where, input=given
        )
        for where, template, given, context in parts
    ]
    raise ValidationError.from_exception_data("content", details)


# --- values -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value
    fail("{field} must be a non-empty string, got {got}", got=describe(value))


def _ident(value: Any) -> str:
    text = _text(value)
    if not ID_PATTERN.match(text):
        allowed = "letters, digits, '-', '_' and '.'"
        fail("{field} must be made of {allowed}, got {got}", allowed=allowed, got=repr(text))
    return text


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    fail("{field} must be an integer, got {got}", got=describe(value))


def _between(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = _integer(value)
        if not low <= number <= high:
            fail(
                "{field} must be between {low} and {high}, got {got}",
                low=low,
                high=high,
                got=number,
            )
        return number

    return check


def _number(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        fail("{field} must be a number, got {got}", got=describe(value))
    if not math.isfinite(value):
        fail("{field} must be a finite number, got {got}", got=repr(value))
    return float(value)


def _not_negative(value: Any) -> float:
    number = _number(value)
    if number < 0:
        fail("{field} must be 0 or more, got {got}", got=repr(number))
    return number


def _any_string(expected: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, str):
            return value
        fail("{field} must be {expected}, got {got}", expected=expected, got=describe(value))

    return check


def _texts(
    noun: str | None = None,
    count: tuple[int, int] | None = None,
    counted: str = "",
    entry: Callable[[str], str | None] | None = None,
) -> Callable[[Any], tuple[str, ...]]:
    """A list of non-empty strings, each problem at its own entry.

    `noun` makes entries unique ("choice 'x' is listed twice"); `count` bounds the length with
    the sentence `counted`; `entry` is a further check of each string, giving a sentence or None.
    """

    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            fail("{field} must be a list of strings, got {got}", got=describe(value))
        problems: list[Part] = []
        if count is not None and not count[0] <= len(value) <= count[1]:
            problems.append(
                ((), counted, value, {"low": count[0], "high": count[1], "got": len(value)})
            )
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                got = describe(item)
                problems.append(
                    ((index,), "{field} must be a string, got {got}", item, {"got": got})
                )
            elif noun is not None and item in seen:
                sentence = "{noun} {got} is listed twice (first at line {first_line})"
                context = {"noun": noun, "got": repr(item), "first": seen[item]}
                problems.append(((index,), sentence, item, context))
            else:
                seen[item] = index
                reason = entry(item) if entry is not None else None
                if reason is not None:
                    problems.append(((index,), "{field} {reason}", item, {"reason": reason}))
        if problems:
            fail_many(problems)
        return tuple(value)

    return check


Text = Annotated[str, PlainValidator(_text)]
Ident = Annotated[str, PlainValidator(_ident)]
Integer = Annotated[int, PlainValidator(_integer)]
Difficulty = Annotated[int, PlainValidator(_between(*DIFFICULTY))]
Minutes = Annotated[int, PlainValidator(_between(*MINUTES))]
Number = Annotated[float, PlainValidator(_number)]
NotNegative = Annotated[float, PlainValidator(_not_negative)]
Texts = Annotated[tuple[str, ...], PlainValidator(_texts())]
Prerequisites = Annotated[tuple[str, ...], PlainValidator(_texts("prerequisite"))]


def _list_of(what: str) -> BeforeValidator:
    """Say which list is expected before pydantic looks at the entries."""

    def check(value: Any) -> Any:
        if not isinstance(value, list):
            fail("{field} must be a list of {what}, got {got}", what=what, got=describe(value))
        return value

    return BeforeValidator(check)


def _not_empty(sentence: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if not value:
            fail(sentence)
        return value

    return AfterValidator(check)


# --- records ------------------------------------------------------------------------------------


class Record(BaseModel):
    """A mapping written by hand: no key the model does not know, every problem in words."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: ClassVar[str] = "record"

    @model_validator(mode="before")
    @classmethod
    def _is_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            article = "an" if cls.label[:1] in "aeiou" else "a"
            fail(
                "{article} {label} must be a mapping of keys, got {got}",
                article=article,
                label=cls.label,
                got=describe(data),
            )
        return data

    @classmethod
    def allowed_keys(cls) -> list[str]:
        """Required keys first, then optional ones, each in the order they are declared."""
        fields = cls.model_fields
        return [
            *(k for k, f in fields.items() if f.is_required()),
            *(k for k, f in fields.items() if not f.is_required()),
        ]

    @classmethod
    def foreign_key(cls, key: str) -> str | None:
        """A sentence for a key that belongs to a sibling kind of record; None if it does not."""
        return None


class TrackEntry(Record):
    label = "track"
    id: Ident
    title: Text
    order: Integer
    summary: Text
    lessons: Annotated[
        tuple[str, ...], PlainValidator(_texts("lesson")), _not_empty("{what} has no lessons")
    ]
    prerequisites: Prerequisites = ()


class RoadmapFile(Record):
    label = "roadmap.yaml"
    tracks: Annotated[list[TrackEntry], _list_of("tracks"), _not_empty("the roadmap has no tracks")]


class LessonFront(Record):
    """A lesson's front matter."""

    label = "lesson"
    id: Ident
    track: Ident
    title: Text
    order: Integer
    minutes: Minutes
    prerequisites: Prerequisites = ()
    tags: Annotated[tuple[str, ...], PlainValidator(_texts("tag"))] = ()
    quiz: Annotated[tuple[str, ...], PlainValidator(_texts("quiz item"))] = ()


# --- quiz items: one model per kind, chosen by `generator:` or `kind:` --------------------------


def _kind(value: Any) -> Kind:
    if isinstance(value, str) and value in {kind.value for kind in Kind}:
        return Kind(value)
    fail("{field} must be one of {kinds}, got {got}", kinds=KIND_NAMES, got=describe(value))


class ItemBase(Record):
    label = "quiz item"
    id: Ident
    difficulty: Difficulty


class GeneratorItem(ItemBase):
    """A parametric item: the question and its answer are built by a named generator."""

    generator: Text
    params: dict[str, Any] = {}

    @field_validator("generator", mode="after")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in generators.REGISTRY:
            known = ", ".join(sorted(generators.REGISTRY)) or "none"
            fail("unknown generator {got} (known: {known})", got=repr(name), known=known)
        return name

    @field_validator("params", mode="plain")
    @classmethod
    def _params(cls, value: Any, info: ValidationInfo) -> dict[str, Any]:
        if not isinstance(value, dict):
            fail("{field} must be a mapping, got {got}", got=describe(value))
        generator = generators.REGISTRY.get(info.data.get("generator", ""))
        if generator is not None:
            problems = [
                ((key,), "{message}", given, {"message": message})
                for key, given in value.items()
                for message in generator.params_problems({key: given})
            ]
            if problems:
                fail_many(problems)
        return value

    @classmethod
    def foreign_key(cls, key: str) -> str | None:
        if any(key in variant.model_fields for variant in STATIC_KINDS.values()):
            return f"{{what}} names a generator, so it cannot also have {key!r}"
        return None


class StaticItem(ItemBase):
    """An item written out in full; each kind below says what its answer is."""

    kind: Annotated[Kind, PlainValidator(_kind)]
    prompt: Text
    answer: Any
    explanation: Text
    hints: Texts = ()
    code: Text | None = None

    @classmethod
    def foreign_key(cls, key: str) -> str | None:
        if key in GeneratorItem.model_fields:
            return f"{key!r} belongs to generator items; {{what}} has a 'kind'"
        owners = [kind for kind, variant in STATIC_KINDS.items() if key in variant.model_fields]
        if owners and cls in STATIC_KINDS.values():
            this = next(kind for kind, variant in STATIC_KINDS.items() if variant is cls)
            return f"{key!r} is only for {' and '.join(owners)} items, not {this}"
        return None


class ChoiceItem(StaticItem):
    answer: Annotated[str, PlainValidator(_any_string("a string, the text of a choice"))]
    choices: Annotated[
        tuple[str, ...],
        PlainValidator(
            _texts("choice", CHOICES, "a choice item needs {low} to {high} choices, got {got}")
        ),
    ]

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> ChoiceItem:
        if self.answer not in self.choices:
            sentence = "answer {got} is not one of the choices"
            fail_many([(("answer",), sentence, self.answer, {"got": repr(self.answer)})])
        return self


class NumericItem(StaticItem):
    answer: Number
    tolerance: NotNegative = DEFAULT_TOLERANCE


def _text_answer(value: Any) -> str | tuple[str, ...]:
    if isinstance(value, list):
        if not value:
            fail("{field} lists no accepted answers")
        return _texts()(value)
    if isinstance(value, str) and value.strip():
        return value
    expected = "a string or a list of strings (quote numbers)"
    fail("{field} must be {expected}, got {got}", expected=expected, got=describe(value))


class TextItem(StaticItem):
    answer: Annotated[str | tuple[str, ...], PlainValidator(_text_answer)]


class OutputItem(StaticItem):
    answer: Annotated[str, PlainValidator(_any_string("a string (quote it)"))]
    code: Text


class UnknownKindItem(StaticItem):
    """An item whose `kind` is wrong: its other keys are still checked, as far as they can be."""

    choices: Any = None
    tolerance: Any = None


STATIC_KINDS: dict[str, type[StaticItem]] = {
    Kind.CHOICE.value: ChoiceItem,
    Kind.NUMERIC.value: NumericItem,
    Kind.TEXT.value: TextItem,
    Kind.OUTPUT.value: OutputItem,
}
UNKNOWN_KIND = "unknown kind"


def _item_kind(value: Any) -> str | None:
    """The model an item is validated with: its generator, its kind, or none at all."""
    if not isinstance(value, dict):
        return UNKNOWN_KIND  # any model: each says "a quiz item must be a mapping"
    if "generator" in value:
        return "generator"
    kind = value.get("kind")
    if isinstance(kind, str) and kind in STATIC_KINDS:
        return kind
    return UNKNOWN_KIND if "kind" in value else None


QuizItemEntry = Annotated[
    Annotated[GeneratorItem, Tag("generator")]
    | Annotated[ChoiceItem, Tag(Kind.CHOICE.value)]
    | Annotated[NumericItem, Tag(Kind.NUMERIC.value)]
    | Annotated[TextItem, Tag(Kind.TEXT.value)]
    | Annotated[OutputItem, Tag(Kind.OUTPUT.value)]
    | Annotated[UnknownKindItem, Tag(UNKNOWN_KIND)],
    Discriminator(
        _item_kind,
        custom_error_type="content",
        custom_error_message="{what} needs either 'kind' (a static item) or 'generator'",
    ),
]


class QuizItemAlone(RootModel[QuizItemEntry]):
    """One item validated on its own: an item that passed while its bank as a whole did not."""


class BankFile(Record):
    label = "quiz bank"
    topic: Text
    title: Text
    items: Annotated[
        list[QuizItemEntry], _list_of("quiz items"), _not_empty("the quiz bank has no items")
    ]


# --- exercises ----------------------------------------------------------------------------------


def _exercise_id(value: Any) -> str:
    text = _ident(value)
    if not text.startswith(EXERCISE_PREFIX):
        fail(
            "{field} must start with {prefix}, got {got}",
            prefix=repr(EXERCISE_PREFIX),
            got=repr(text),
        )
    return text


def _function_name(value: Any) -> str:
    text = _text(value)
    if not text.isidentifier() or keyword.iskeyword(text):
        fail("{field} must be a Python function name, got {got}", got=repr(text))
    return text


def _source(value: Any, info: ValidationInfo) -> str:
    """Python that parses and defines the exercise's function at its top level.

    A syntax error is reported at its own line of the YAML file. The function is judged only
    when `function` itself passed (it is declared before the sources, so it is checked first).
    """
    text = _text(value)
    try:
        module = ast.parse(text)
    except SyntaxError as error:
        fail("{field} is not valid Python: {reason}", reason=error.msg, offset=error.lineno or 1)
    function = info.data.get("function")
    defined = {node.name for node in module.body if isinstance(node, ast.FunctionDef)}
    if function is not None and function not in defined:
        fail("{field} does not define {got} at its top level", got=f"{function}()")
    return text


def _expression(text: str) -> str | None:
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        return f"is not a Python expression: {error.msg}"
    return None


class Tolerance(Record):
    """How close a returned float or array must be to the solution's (numpy.allclose)."""

    label = "tolerance"
    rtol: NotNegative = 1e-6
    atol: NotNegative = 1e-9


class ExerciseEntry(Record):
    label = "exercise"
    id: Annotated[str, PlainValidator(_exercise_id)]
    lesson: Ident
    difficulty: Difficulty
    title: Text
    prompt: Text
    function: Annotated[str, PlainValidator(_function_name)]
    starter: Annotated[str, PlainValidator(_source)]
    solution: Annotated[str, PlainValidator(_source)]
    cases: Annotated[
        tuple[str, ...],
        PlainValidator(
            _texts("case", CASES, "an exercise needs {low} to {high} cases, got {got}", _expression)
        ),
    ]
    explanation: Text
    tolerance: Tolerance = Tolerance()


class ExerciseFile(Record):
    label = "exercise file"
    track: Ident
    exercises: Annotated[
        list[ExerciseEntry],
        _list_of("exercises"),
        _not_empty("the exercise file has no exercises"),
    ]


def variants(union: Any) -> Mapping[str, type[Record]]:
    """The models of a tagged union by tag; empty for anything else."""
    if get_origin(union) is not Annotated:
        return {}
    members = get_args(get_args(union)[0])
    found: dict[str, type[Record]] = {}
    for member in members:
        if get_origin(member) is Annotated:
            model, *metadata = get_args(member)
            for mark in metadata:
                if isinstance(mark, Tag):
                    found[mark.tag] = model
    return found
