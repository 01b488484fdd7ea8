"""YAML read with ruamel.yaml, remembering where every key, value and list entry was written.

ruamel's round-trip loader records the line and column of each key, value and entry, and refuses
duplicate keys. We ask it to note each duplicate instead of stopping at the first, so an author
sees every problem of a file in one run. Validation gets plain Python values (dict, list, str,
int, float, bool, None); the ruamel tree is kept beside them only to answer "at which line".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node
from ruamel.yaml.parser import Parser
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.scanner import Scanner

STR_TAG = "tag:yaml.org,2002:str"

Where = tuple[str | int, ...]
"""A path into a document: mapping keys and list indexes, from the top."""


@dataclass(frozen=True, order=True)
class Finding:
    """One problem inside one file: 1-based file line, 0-based column, message."""

    line: int
    column: int
    message: str


def describe(value: Any) -> str:
    """A value as an author would recognise it in "got …" at the end of a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


class _NotingConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, noting duplicate keys and unreadable values.

    A duplicate key keeps its first value and the file goes on being read, so the other
    problems of the same file are found too; the duplicate is still a reported problem.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[tuple[Node, int]] = []  # (the second key, 0-based line of the first)

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        try:
            unique: bool = super().check_mapping_key(node, key_node, mapping, key, value)
        except DuplicateKeyError:
            self.duplicates.append((key_node, mapping.lc.key(key)[0]))
            return False
        return unique

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as error:  # e.g. `!!int x`, `2024-13-01`
            raise _Refused(f"cannot read value: {error}", node.start_mark) from error

    def flatten_mapping(self, node: Any) -> Any:
        """Merge keys are refused: the merged keys would have no line of their own."""
        if isinstance(node, MappingNode):
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused("merge keys (<<) are not supported", key_node.start_mark)
        return super().flatten_mapping(node)


class _Refused(ConstructorError):
    """A value ruamel could parse but we cannot use; its message is already in our words."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(None, None, message, mark)


@dataclass
class Document:
    """One parsed YAML document: plain `data` to validate, and where each part of it was."""

    tree: Any  # the ruamel CommentedMap, kept for positions only
    data: dict[str, Any]
    first_line: int  # the file line of the document's line 1 (front matter starts at 2)
    findings: list[Finding] = field(default_factory=list)  # what reading already found wrong
    unreadable: list[Where] = field(default_factory=list)  # values those findings are about

    def node(self, where: Where) -> Any:
        """The ruamel value at `where`, or None when there is nothing there."""
        current = self.tree
        for part in where:
            if isinstance(current, CommentedMap) and part in current:
                current = current[part]
            elif isinstance(current, CommentedSeq) and isinstance(part, int):
                if not 0 <= part < len(current):
                    return None
                current = current[part]
            else:
                return None
        return current

    def position(self, where: Where, at: Literal["key", "value"] = "value") -> tuple[int, int]:
        """(file line, column) of the key or the value at `where`; the nearest enclosing
        position when that exact one is unknown (a key added by a merge, a missing key)."""
        point: tuple[int, int] | None = None
        if where:
            parent, last = self.node(where[:-1]), where[-1]
            if isinstance(parent, CommentedMap) and last in parent.lc.data:
                point = parent.lc.key(last) if at == "key" else parent.lc.value(last)
            elif isinstance(parent, CommentedSeq) and isinstance(last, int):
                if 0 <= last < len(parent):
                    point = parent.lc.item(last)
            if point is None:
                return self.position(where[:-1])
        else:
            point = (self.tree.lc.line, self.tree.lc.col)
        return point[0] + self.first_line, point[1]

    def line(self, where: Where, at: Literal["key", "value"] = "value") -> int:
        return self.position(where, at)[0]


def parse_mapping(text: str, first_line: int, what: str) -> Document | Finding:
    """One YAML document that must be a mapping, or the one reason it cannot be read.

    `first_line` is the file line of the text's first line, so front matter reports lines of
    the Markdown file. Problems that do not stop reading (duplicate keys, keys that are not
    strings) travel with the document in `findings`.
    """
    yaml = YAML(typ="rt")  # one per document: a YAML instance keeps state between loads
    # The round-trip constructor records positions; the round-trip scanner and parser would
    # also keep every comment, which we never use and which costs a fifth of the reading time.
    yaml.Scanner, yaml.Parser = Scanner, Parser
    yaml.Constructor = _NotingConstructor
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        return _syntax_finding(error, first_line)
    except YAMLError as error:
        return Finding(first_line, 0, f"YAML syntax error: {error}")
    if tree is None:
        return Finding(first_line, 0, f"{what} is empty")
    if not isinstance(tree, CommentedMap):
        line = tree.lc.line if isinstance(tree, CommentedSeq) else _first_content_line(text)
        return Finding(line + first_line, 0, f"{what} must be a mapping of keys")
    findings = [
        Finding(
            key_node.start_mark.line + first_line,
            key_node.start_mark.column,
            f"duplicate key {key_node.value!r} (first at line {first + first_line})",
        )
        for key_node, first in yaml.constructor.duplicates
    ]
    document = Document(tree, {}, first_line, findings)
    document.data = _plain(tree, (), document, set())
    return document


def _syntax_finding(error: MarkedYAMLError, first_line: int) -> Finding:
    """ruamel's problem in our words, at the line it points to, with where the construct began."""
    if isinstance(error, _Refused) and error.problem_mark is not None:
        mark = error.problem_mark
        return Finding(mark.line + first_line, mark.column, str(error.problem))
    mark = error.problem_mark or error.context_mark
    line = mark.line + first_line if mark is not None else first_line
    reason = error.problem or error.context or "invalid YAML"
    started = error.context_mark
    if error.problem and error.context and started is not None and mark is not started:
        start = started.line + first_line
        if start != line:
            reason += f" ({error.context} that starts on line {start})"
    return Finding(line, mark.column if mark is not None else 0, f"YAML syntax error: {reason}")


def _first_content_line(text: str) -> int:
    """0-based line of the first line that is neither blank nor a comment."""
    for index, line in enumerate(text.splitlines()):
        if line.strip() and not line.lstrip().startswith(("#", "---")):
            return index
    return 0


def _plain(value: Any, where: Where, document: Document, active: set[int]) -> Any:
    """ruamel's values as ordinary Python, so validation and the curriculum never see them."""
    if isinstance(value, CommentedMap | CommentedSeq):
        if id(value) in active:
            line, column = document.position(where)
            document.findings.append(Finding(line, column, "an alias refers to itself"))
            return None
        active.add(id(value))
        try:
            if isinstance(value, CommentedSeq):
                return [_plain(item, (*where, i), document, active) for i, item in enumerate(value)]
            result: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    line, column = document.position((*where, key), at="key")
                    shown = describe(_plain(key, where, document, active))
                    message = f"keys must be strings, got {shown}"
                    document.findings.append(Finding(line, column, message))
                    continue
                result[str(key)] = _plain(item, (*where, key), document, active)
            return result
        finally:
            active.discard(id(value))
    if isinstance(value, TaggedScalar):  # ruamel keeps an explicit tag it did not construct
        if value.tag.value == STR_TAG:
            return str(value.value)
        line, column = document.position(where)
        message = f"cannot read value: unknown tag {value.tag.value!r}"
        document.findings.append(Finding(line, column, message))
        document.unreadable.append(where)
        return None
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Sequence) and not isinstance(value, str):  # a key written as a list
        return [_plain(item, where, document, active) for item in value]
    return value


def is_literal_block(value: Any) -> bool:
    """True for a `|` block, whose lines follow the `|` line one for one."""
    return isinstance(value, LiteralScalarString)
