"""The YAML reader (ruamel.yaml underneath): lines of keys, values and entries, and what it refuses.

The first tests call `parse_mapping` directly; the rest go through `content check`, so each
problem is seen as an author sees it, `path:line: message`, with the whole output compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.curriculum.yamlsource import Document, Finding, parse_mapping
from tests.test_content_check import BANK, VECTORS, edit, plant, problems

SAMPLE = """\
# a comment first
title: Vectors
items:
  - id: one
    tags: [a, b]
  - {id: two}
prompt: |
  line one
  line two
"""


def parsed(text: str, first_line: int = 1) -> Document:
    document = parse_mapping(text, first_line, "sample")
    assert isinstance(document, Document), document
    return document


def test_positions_of_keys_values_and_entries() -> None:
    document = parsed(SAMPLE)
    assert document.data == {
        "title": "Vectors",
        "items": [{"id": "one", "tags": ["a", "b"]}, {"id": "two"}],
        "prompt": "line one\nline two\n",
    }
    assert document.position(()) == (2, 0)  # the mapping starts at its first key
    assert document.position(("title",), at="key") == (2, 0)
    assert document.position(("title",)) == (2, 7)
    assert document.line(("items",), at="key") == 3
    assert document.line(("items",)) == 4  # a block list's value starts at its first entry
    assert document.position(("items", 0, "tags", 1)) == (5, 14)
    assert document.position(("items", 1)) == (6, 4)
    assert document.line(("prompt",)) == 7  # a block scalar starts at its `|`


def test_a_missing_place_falls_back_to_its_record() -> None:
    document = parsed(SAMPLE)
    assert document.position(("items", 1, "prompt")) == (6, 4)
    assert document.position(("nothing", 3)) == (2, 0)


def test_front_matter_lines_are_lines_of_the_file() -> None:
    document = parsed("id: vectors\nquiz: [a, b]\n", first_line=2)
    assert document.line(("id",)) == 2
    assert document.position(("quiz", 1)) == (3, 10)


def test_values_are_plain_python() -> None:
    document = parsed("a: 1.5\nb: 0x10\nc: |\n  x\nd: true\ne: 1_000\nf: null\n")
    values = document.data
    assert values == {"a": 1.5, "b": 16, "c": "x\n", "d": True, "e": 1000, "f": None}
    assert [type(v) for v in values.values()] == [float, int, str, bool, int, type(None)]


def test_explicit_tags() -> None:
    """`!!str` makes a string of anything; a tag nobody constructs is a problem at its value."""
    document = parsed("a: !!str 5\nb: !!float 1\nc: !color red\n")
    assert document.data == {"a": "5", "b": 1.0, "c": None}
    assert document.findings == [Finding(3, 3, "cannot read value: unknown tag '!color'")]


def test_yaml_1_2_scalars() -> None:
    """YAML 1.2, as ruamel reads it: `yes` is a word and `1e-3` a number (YAML 1.1 swapped them)."""
    assert parsed("a: yes\nb: no\nc: 1e-3\nd: on\n").data == {
        "a": "yes",
        "b": "no",
        "c": 0.001,
        "d": "on",
    }


def test_duplicate_keys_are_noted_and_reading_goes_on() -> None:
    document = parsed("a: 1\nb: {x: 1, x: 2}\na: 3\nc: 4\n")
    assert document.data == {"a": 1, "b": {"x": 1}, "c": 4}  # the first value stays
    assert document.findings == [
        Finding(2, 10, "duplicate key 'x' (first at line 2)"),
        Finding(3, 0, "duplicate key 'a' (first at line 1)"),
    ]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("", Finding(1, 0, "sample is empty")),
        ("# only a comment\n", Finding(1, 0, "sample is empty")),
        ("- a\n- b\n", Finding(1, 0, "sample must be a mapping of keys")),
        ("\n\njust words\n", Finding(3, 0, "sample must be a mapping of keys")),
        ("a: 1\nb: 'open\n", Finding(3, 0, "YAML syntax error: found unexpected end of "
                                   "stream (while scanning a quoted scalar that starts on "
                                   "line 2)")),
        ("a: *nowhere\n", Finding(1, 3, "YAML syntax error: found undefined alias 'nowhere'")),
        ("a: !!int ten\n", Finding(1, 3, "cannot read value: invalid literal for int() with "
                                         "base 10: 'ten'")),
        ("when: 2024-13-01\n", Finding(1, 6, "cannot read value: month must be in 1..12")),
        ("base: &b {x: 1}\nmore:\n  <<: *b\n", Finding(3, 2, "merge keys (<<) are not supported")),
    ],
)  # fmt: skip
def test_what_cannot_be_read(text: str, finding: Finding) -> None:
    assert parse_mapping(text, 1, "sample") == finding


def test_keys_must_be_strings() -> None:
    document = parsed("1: one\n~: nothing\n? [a, b]\n: list\nok: yes\n")
    assert document.data == {"ok": "yes"}
    assert document.findings == [
        Finding(1, 0, "keys must be strings, got 1"),
        Finding(2, 0, "keys must be strings, got nothing"),
        Finding(3, 2, "keys must be strings, got a list"),
    ]


# --- as an author sees them -----------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The valid tree of `test_content_check`, with the working folder inside it."""
    return plant(tmp_path, monkeypatch)


def test_duplicate_key_in_front_matter_is_a_line_of_the_markdown_file(tree: Path) -> None:
    edit(tree, VECTORS, "minutes: 20\n", "minutes: 20\ntitle: Vectors again\n")
    assert problems(tree) == [f"{VECTORS}:7: duplicate key 'title' (first at line 4)"]


def test_duplicate_key_in_a_flow_mapping(tree: Path) -> None:
    edit(tree, BANK, "params: {size: 2}", "params: {size: 2, size: 3}")
    assert problems(tree) == [f"{BANK}:20: duplicate key 'size' (first at line 20)"]


def test_duplicates_do_not_hide_the_other_problems_of_the_file(tree: Path) -> None:
    edit(tree, BANK, "    answer: 5\n", "    answer: 5\n    answer: 6\n")
    edit(tree, BANK, "difficulty: 2\n    kind: choice", "difficulty: 5\n    kind: choice")
    edit(tree, BANK, "title: Vectors\n", "title: Vectors\ntopic: again\n")
    assert problems(tree) == [
        f"{BANK}:3: duplicate key 'topic' (first at line 1)",
        f"{BANK}:10: duplicate key 'answer' (first at line 9)",
        f"{BANK}:13: 'difficulty' must be between 1 and 3, got 5",
    ]


def test_a_key_that_is_not_a_string(tree: Path) -> None:
    edit(tree, BANK, "    difficulty: 1\n", "    difficulty: 1\n    2: two\n")
    assert problems(tree) == [f"{BANK}:6: keys must be strings, got 2"]


def test_an_unknown_tag_is_one_problem_not_two(tree: Path) -> None:
    edit(tree, BANK, "title: Vectors", "title: !heading Vectors")
    assert problems(tree) == [f"{BANK}:2: cannot read value: unknown tag '!heading'"]


def test_merge_keys_are_refused_at_their_line(tree: Path) -> None:
    edit(tree, BANK, "  - id: vec-shape\n", "  - &shape\n    id: vec-shape\n")
    edit(tree, BANK, "    params: {size: 2}\n", "    params: {size: 2}\n    <<: *shape\n")
    assert problems(tree) == [f"{BANK}:22: merge keys (<<) are not supported"]
