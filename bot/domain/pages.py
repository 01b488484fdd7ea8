"""Lesson Markdown as chat pages: split at sections, tables as aligned text, code kept whole.

Discord shows no Markdown tables (the pipes appear as they are) and refuses an embed over 4,096
characters, so a lesson is cut at its `##` sections into pages that fit, a section too long
for one page is cut between paragraphs, and a fenced code block is never cut in the middle.
Section headings become `###`, a size below the lesson's own title.
"""

from __future__ import annotations

import re

PAGE_LIMIT = 3800
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables_as_text(markdown: str) -> str:
    """Every Markdown table as an aligned plain-text table in a code block."""
    lines = markdown.split("\n")
    out: list[str] = []
    index = 0
    in_fence = False
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        is_table = (
            not in_fence
            and _TABLE_ROW.match(line)
            and index + 1 < len(lines)
            and _RULE.match(lines[index + 1])
        )
        if not is_table:
            out.append(line)
            index += 1
            continue
        rows = [_cells(line)]
        index += 2
        while index < len(lines) and _TABLE_ROW.match(lines[index]):
            rows.append(_cells(lines[index]))
            index += 1
        width = max(len(row) for row in rows)
        rows = [[_plain(c) for c in row] + [""] * (width - len(row)) for row in rows]
        sizes = [max(len(row[c]) for row in rows) for c in range(width)]
        rendered = [
            "  ".join(cell.ljust(sizes[c]) for c, cell in enumerate(row)).rstrip() for row in rows
        ]
        rule = "  ".join("-" * size for size in sizes)
        out.extend(["```", rendered[0], rule, *rendered[1:], "```"])
    return "\n".join(out)


def _plain(cell: str) -> str:
    """Table cells lose inline code ticks and bold marks: a code block shows them literally."""
    return cell.replace("`", "").replace("**", "")


def _demote_headings(markdown: str) -> str:
    out, in_fence = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            line = "#" + line
        out.append(line)
    return "\n".join(out)


def _blocks(section: str) -> list[str]:
    """Paragraphs and whole fenced code blocks, in order."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in section.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            current.append(line)
            if not in_fence:
                blocks.append("\n".join(current))
                current = []
            continue
        if not in_fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _split_block(block: str, limit: int) -> list[str]:
    """A block longer than a page: a code block is cut between lines and fenced again."""
    lines = block.split("\n")
    fenced = lines[0].lstrip().startswith("```")
    opener, body = (lines[0], lines[1:-1]) if fenced else ("", lines)
    pieces: list[list[str]] = []
    current: list[str] = []
    room = limit - (len(opener) + 8 if fenced else 0)
    for line in body:
        line = line if len(line) < room else line[: room - 1] + "…"
        if current and len("\n".join([*current, line])) > room:
            pieces.append(current)
            current = []
        current.append(line)
    if current:
        pieces.append(current)
    if fenced:
        return ["\n".join([opener, *piece, "```"]) for piece in pieces]
    return ["\n".join(piece) for piece in pieces]


def pages(markdown: str, limit: int = PAGE_LIMIT, stretch: int = PAGE_LIMIT) -> list[str]:
    """The lesson body as pages of at most `limit` characters, cut at sections first.

    A code block longer than `limit` gets a page of its own up to `stretch` characters rather
    than being cut in two (code read across two pages is code nobody can copy); only a block
    beyond `stretch` is cut between lines."""
    stretch = max(stretch, limit)
    text = _demote_headings(tables_as_text(markdown.strip()))
    sections = re.split(r"\n(?=### )", text)
    result: list[str] = []
    current = ""
    for section in sections:
        candidate = f"{current}\n\n{section}" if current else section
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            result.append(current)
            current = ""
        if len(section) <= limit:
            current = section
            continue
        for block in _blocks(section):
            if len(block) <= limit:
                pieces = [block]
            elif len(block) <= stretch and block.lstrip().startswith("```"):
                pieces = [block]
            else:
                pieces = _split_block(block, stretch if block.lstrip().startswith("```") else limit)
            for piece in pieces:
                candidate = f"{current}\n\n{piece}" if current else piece
                if len(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    result.append(current)
                if len(piece) > limit:  # a long code block: a page of its own
                    result.append(piece)
                    current = ""
                else:
                    current = piece
    if current:
        result.append(current)
    return result or [""]
