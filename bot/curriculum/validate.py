"""Validate a YAML document with a schema model and place each error at its `line: message`.

pydantic says where an error is as a `loc`: keys, list indexes and, for a tagged union, the
tag it chose. Walking that `loc` through the model and the document at once tells which record
the error is in (for "quiz item 'x'" and its allowed keys), which key and entry (for the
sentence), and where they were written (for the line).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.curriculum.schema import Record, variants
from bot.curriculum.yamlsource import Document, Finding, Where, is_literal_block

M = TypeVar("M", bound=Record)


@dataclass
class Checked(Generic[M]):
    """A document's verdict: the model when it is clean, and in any case what is usable.

    A broken record still names what other files refer to (its id, its lessons…), so the
    checks across files go on with the parts that passed instead of reporting a cascade.
    """

    document: Document
    model: M | None
    findings: list[Finding] = field(default_factory=list)
    failed: list[Where] = field(default_factory=list)  # where each problem is, in the data

    def ok(self, where: Where) -> bool:
        """True when nothing at or inside `where` has a problem."""
        return not any(spot[: len(where)] == where for spot in self.failed)

    def value(self, where: Where) -> Any:
        """The value at `where` when it passed its checks, else None."""
        return self._at(where) if self.ok(where) else None

    def entries(self, where: Where) -> list[tuple[Any, int]]:
        """The entries of the list at `where` that passed, each with its line."""
        values = self._at(where)
        if where in self.failed or not isinstance(values, list):
            return []
        return [
            (entry, self.document.line((*where, index)))
            for index, entry in enumerate(values)
            if self.ok((*where, index))
        ]

    def _at(self, where: Where) -> Any:
        return data_at(self.document.data, where)

    def line(self, where: Where) -> int:
        """The file line of the value at `where` (of its record when it has none)."""
        return self.document.line(where)


def data_at(data: Any, where: Where) -> Any:
    """The plain value at `where`, or None when there is nothing there."""
    for part in where:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def check(model: type[M], document: Document) -> Checked[M]:
    """Validate the document's data; every error becomes a finding at its own line."""
    try:
        return Checked(document, model.model_validate(document.data), list(document.findings))
    except ValidationError as error:
        checked: Checked[M] = Checked(document, None, list(document.findings))
        for details in error.errors():
            spot = _walk(model, details["loc"])
            checked.failed.append(spot.data)
            if not any(spot.data[: len(where)] == where for where in document.unreadable):
                checked.findings.append(_place(details, spot, document))  # else said already
        return checked


@dataclass
class _Spot:
    """Where one error is: the record it belongs to and the data path down to the value."""

    record: type[Record]
    record_at: Where
    data: Where

    @property
    def key(self) -> str | None:
        rest = self.data[len(self.record_at) :]
        return rest[0] if rest and isinstance(rest[0], str) else None

    @property
    def entry(self) -> int | None:
        rest = self.data[len(self.record_at) :]
        return rest[1] if len(rest) > 1 and isinstance(rest[1], int) else None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated and not variants(annotation):
        annotation = get_args(annotation)[0]
    return annotation


def _walk(model: type[Record], loc: tuple[str | int, ...]) -> _Spot:
    """Follow pydantic's `loc` through the model, dropping the tags of tagged unions."""
    spot = _Spot(model, (), ())
    annotation: Any = model
    data: list[str | int] = []
    for part in loc:
        annotation = _unwrap(annotation)
        tags = variants(annotation)
        if isinstance(annotation, type) and issubclass(annotation, Record):
            spot.record, spot.record_at = annotation, tuple(data)
            fields = annotation.model_fields
            annotation = (
                fields[part].annotation if isinstance(part, str) and part in fields else None
            )
            data.append(part)
        elif tags and isinstance(part, str) and part in tags:
            annotation = tags[part]  # a tag is pydantic's, not a key of the file
        elif get_origin(annotation) in (list, tuple, dict):
            annotation = get_args(annotation)[-1] if get_args(annotation) else None
            data.append(part)
        else:
            annotation = None
            data.append(part)
    annotation = _unwrap(annotation)
    tags = variants(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Record):
        spot.record, spot.record_at = annotation, tuple(data)
    elif tags:  # the union could not choose: any member names the record
        spot.record, spot.record_at = next(iter(tags.values())), tuple(data)
    spot.data = tuple(data)
    return spot


def _what(spot: _Spot, document: Document) -> str:
    """ "quiz item 'vec-len'": the record's kind and, when it has a usable one, its id."""
    record = data_at(document.data, spot.record_at)
    ident = record.get("id") if isinstance(record, dict) else None
    return (
        f"{spot.record.label} {ident!r}" if isinstance(ident, str) and ident else spot.record.label
    )


def _place(details: ErrorDetails, spot: _Spot, document: Document) -> Finding:
    """One pydantic error as the sentence an author reads, at the line it is about."""
    what = _what(spot, document)
    key = spot.key
    kind = details["type"]
    if kind == "missing" and key is not None:
        line, column = document.position(spot.record_at)
        return Finding(line, column, f"{what} is missing required key {key!r}")
    if kind == "extra_forbidden" and key is not None:
        line, column = document.position(spot.data, at="key")
        foreign = spot.record.foreign_key(key)
        if foreign is not None:
            return Finding(line, column, foreign.replace("{what}", what, 1))
        return Finding(line, column, _unknown_key(key, what, spot.record.allowed_keys()))
    context = details.get("ctx") or {}
    line, column = document.position(spot.data)
    if "offset" in context and is_literal_block(document.node(spot.data)):
        line += int(context["offset"])
    message = details["msg"]
    if kind != "content":  # a pydantic check of its own: keep its words, name the key
        message = f"{{field}}: {message}" if key is not None else f"{{what}}: {message}"
    if key is not None:
        entry = spot.entry
        named = f"{key!r} entry {entry + 1}" if entry is not None else repr(key)
        message = message.replace("{field}", named, 1)
    message = message.replace("{what}", what, 1)
    if "first" in context and key is not None:
        first = document.line((*spot.record_at, key, int(context["first"])))
        message = message.replace("{first_line}", str(first), 1)
    return Finding(line, column, message)


def _unknown_key(key: str, what: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    return f"unknown key {key!r} in {what} ({hint})"
