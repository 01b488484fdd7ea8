"""The screenshot renderer: escaping, Discord's Markdown, embeds, components, message chrome.

Fast and without Chromium: the HTML is parsed back and checked element by element.
"""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.fakediscord.screens import drive, shoot
from tests.fakediscord.screens.render import (
    EPHEMERAL,
    IS_COMPONENTS_V2,
    Context,
    Names,
    format_timestamp,
    human_size,
    markdown,
    render_page,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BOT = {"id": "100", "username": "Studybot", "bot": True, "global_name": None}
MAYA = {"id": "200", "username": "maya", "bot": False, "global_name": None}
NAMES = Names(
    users={"200": "maya", "300": "grace"},
    roles={"400": "Moderator"},
    channels={"500": "lessons"},
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.parts: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(self.parts)


VOID = {"br", "img", "meta", "input", "hr", "path"}


class Tree(HTMLParser):
    """Every element with its attributes and all the text inside it."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {}, None)
        self.stack = [self.root]
        self.all: list[Element] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.parts.append(data)

    def find(self, tag: str | None = None, css: str | None = None) -> list[Element]:
        return [
            e
            for e in self.all
            if (tag is None or e.tag == tag) and (css is None or css in e.classes)
        ]

    def texts(self, tag: str | None = None, css: str | None = None) -> list[str]:
        return [e.text for e in self.find(tag, css)]


def md(text: str) -> Tree:
    return Tree(markdown(text, Context(names=NAMES, now=NOW)))


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "1000",
        "channel_id": "500",
        "author": BOT,
        "content": "",
        "timestamp": "2026-11-23T09:00:00+00:00",
        "edited_timestamp": None,
        "attachments": [],
        "embeds": [],
        "components": [],
        "flags": 0,
        "type": 0,
    }
    base.update(fields)
    return base


def page(*messages: dict[str, Any], **options: Any) -> Tree:
    options.setdefault("names", NAMES)
    options.setdefault("now", NOW)
    return Tree(render_page(list(messages), **options))


# -- escaping ---------------------------------------------------------------------------------


def evil(where: str) -> str:
    return f'<b id="{where}">{where}</b>" onmouseover="x'


def test_every_text_position_is_escaped() -> None:
    positions = {
        "content": "content",
        "title": "title",
        "description": "description",
        "author": "author",
        "field-name": "field-name",
        "field-value": "field-value",
        "footer": "footer",
        "label": "label",
        "placeholder": "placeholder",
        "option": "option",
        "text-display": "text-display",
        "filename": "filename",
        "thread": "thread",
        "reply": "reply",
        "command": "command",
        "emoji": "emoji",
        "member": "member",
        "mention": "mention",
        "role": "role",
        "channel-name": "channel-name",
        "note": "note",
        "topic": "topic",
        "server": "server",
        "channel": "channel",
        "gallery": "gallery",
        "link": "link",
        "code": "code",
        "codeblock": "codeblock",
        "lang": "lang",
        "bot": "bot",
    }
    names = Names(
        users={"200": evil("member"), "300": evil("mention")},
        roles={"400": evil("role")},
        channels={"500": evil("channel-name")},
    )
    member = {**MAYA, "id": "200"}
    replied = message(id="900", author=member, content=evil("reply"))
    messages = [
        replied,
        message(
            id="901",
            type=19,
            author=BOT,
            content=evil("content")
            + " <@300> <@&400> <#500> "
            + f"[{evil('link')}](https://example.com) `{evil('code')}`\n"
            + f"```{evil('lang')}\n{evil('codeblock')}\n```",
            referenced_message=replied,
            embeds=[
                {
                    "title": evil("title"),
                    "description": evil("description"),
                    "author": {"name": evil("author")},
                    "fields": [{"name": evil("field-name"), "value": evil("field-value")}],
                    "footer": {"text": evil("footer")},
                }
            ],
            attachments=[{"id": "7", "filename": evil("filename"), "size": 10}],
            components=[
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 1,
                            "label": evil("label"),
                            "custom_id": "a",
                            "emoji": {"name": evil("emoji")},
                        }
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {"type": 3, "custom_id": "s", "placeholder": evil("placeholder")}
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "t",
                            "options": [{"label": evil("option"), "value": "1", "default": True}],
                        }
                    ],
                },
            ],
            thread={"id": "77", "name": evil("thread"), "message_count": 2},
        ),
        message(
            id="903",
            type=20,
            content="answer",
            interaction_metadata={"type": 2, "name": evil("command"), "user": member},
        ),
        message(
            id="902",
            flags=IS_COMPONENTS_V2,
            components=[
                {
                    "type": 17,
                    "components": [
                        {"type": 10, "content": evil("text-display")},
                        {
                            "type": 12,
                            "items": [
                                {
                                    "media": {"url": "https://example.com/a.png"},
                                    "description": evil("gallery"),
                                }
                            ],
                        },
                    ],
                }
            ],
        ),
    ]
    html = render_page(
        messages,
        names=names,
        now=NOW,
        bot_name=evil("bot"),
        notes=[evil("note")],
        topic=evil("topic"),
        server=evil("server"),
        channel=evil("channel"),
    )
    tree = Tree(html)
    assert not tree.find("b"), "a <b> from a payload became markup"
    assert 'onmouseover="x' not in html
    for where in positions:
        assert f"&lt;b id=&quot;{where}&quot;&gt;{where}&lt;/b&gt;" in html, where


def test_markdown_inside_formatting_is_still_escaped() -> None:
    tree = md("**<script>bold</script>** ||<img src=x>|| [<i>x</i>](https://example.com)")
    assert not tree.find("script") and not tree.find("img") and not tree.find("i")
    assert tree.texts("strong") == ["<script>bold</script>"]


def test_links_only_for_http_urls() -> None:
    tree = md("[click](javascript:alert(1)) https://example.com/a_b")
    assert [a.attrs["href"] for a in tree.find("a")] == ["https://example.com/a_b"]


# -- Markdown ---------------------------------------------------------------------------------


def test_inline_formatting() -> None:
    tree = md("**bold** *italic* _also_ __under__ ~~gone~~ `code` ***both***")
    assert tree.texts("strong") == ["bold", "both"]
    assert tree.texts("em") == ["italic", "also", "both"]
    assert tree.texts("u") == ["under"]
    assert tree.texts("s") == ["gone"]
    assert tree.texts("code", "md-code") == ["code"]


def test_italic_holds_bold_and_snake_case_stays_plain() -> None:
    tree = md("*a **b** c* and snake_case_name")
    assert tree.texts("em") == ["a b c"]
    assert tree.texts("strong") == ["b"]
    assert "snake_case_name" in tree.root.text


def test_backslash_escapes_markup() -> None:
    tree = md(r"\*not italic\*")
    assert not tree.find("em")
    assert tree.root.text == "*not italic*"


def test_fenced_code_block_with_language() -> None:
    tree = md("before\n```python\nprint('<hi>')\n  indented\n```\nafter")
    (block,) = tree.find("pre", "md-pre")
    assert tree.texts(css="md-lang") == ["python"]
    assert block.children[-1].tag == "code"
    assert block.children[-1].text == "print('<hi>')\n  indented"
    assert not tree.find("strong")
    assert "before" in tree.root.text and "after" in tree.root.text


def test_code_block_keeps_markdown_literal() -> None:
    tree = md("```\n**not bold** <@300>\n```")
    assert not tree.find("strong") and not tree.find(css="mention")
    assert tree.texts("code") == ["**not bold** <@300>"]
    assert not tree.find(css="md-lang")


def test_headings_and_subtext() -> None:
    tree = md("# One\n## Two\n### Three\n#### not a heading\n#nospace\n-# small print")
    assert tree.texts(css="md-h1") == ["One"]
    assert tree.texts(css="md-h2") == ["Two"]
    assert tree.texts(css="md-h3") == ["Three"]
    assert tree.texts(css="md-sub") == ["small print"]
    assert "#### not a heading" in tree.root.text and "#nospace" in tree.root.text


def test_quotes() -> None:
    tree = md("> quoted **line**\n> second\nnot quoted\n>>> all\nthe rest")
    quotes = tree.find("blockquote")
    assert [q.text for q in quotes] == ["quoted linesecond", "allthe rest"]
    assert "not quoted" not in quotes[0].text


def test_lists_nest_and_number() -> None:
    tree = md("- one\n- two\n  - two.a\n3. three\n4. four")
    assert len(tree.find("ul")) == 2
    (ordered,) = tree.find("ol")
    assert ordered.attrs.get("start") == "3"
    assert [li.text for li in ordered.children if li.tag == "li"] == ["three", "four"]
    assert tree.texts("li")[:3] == ["one", "twotwo.a", "two.a"]


def test_spoiler_is_hidden() -> None:
    tree = md("the answer is ||42||")
    assert tree.texts("span", "md-spoiler") == ["42"]


def test_masked_and_bare_links() -> None:
    tree = md("[the docs](https://numpy.org/doc) and <https://example.com> and https://x.org.")
    links = tree.find("a")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        ("the docs", "https://numpy.org/doc"),
        ("https://example.com", "https://example.com"),
        ("https://x.org", "https://x.org"),
    ]


def test_mentions_are_pills_with_names() -> None:
    tree = md("<@300> <@!200> <@&400> <#500> <@999> @everyone </quiz:123>")
    assert tree.texts(css="mention") == [
        "@grace",
        "@maya",
        "@Moderator",
        "#lessons",
        "@unknown-user",
        "@everyone",
        "/quiz",
    ]


def test_timestamps_render_as_dates() -> None:
    unix = int(NOW.timestamp())
    tree = md(f"<t:{unix}:F> <t:{unix}:d> <t:{unix}> <t:{unix + 3 * 86400}:R> <t:{unix}:t>")
    assert tree.texts(css="md-time") == [
        "Monday, November 23, 2026 at 9:00 AM",
        "11/23/2026",
        "November 23, 2026 at 9:00 AM",
        "in 3 days",
        "9:00 AM",
    ]
    assert format_timestamp(unix - 7200, "R", NOW) == "2 hours ago"


def test_line_breaks_are_kept() -> None:
    tree = md("one\ntwo\n\nthree")
    assert len(tree.find("br")) == 3


# -- embeds -----------------------------------------------------------------------------------


def test_embed_parts_and_colour_bar() -> None:
    tree = page(
        message(
            embeds=[
                {
                    "title": "**Title** stays plain",
                    "description": "**bold** description",
                    "color": 0x57F287,
                    "author": {"name": "An author"},
                    "fields": [
                        {"name": "A", "value": "1", "inline": True},
                        {"name": "B", "value": "2", "inline": True},
                        {"name": "C", "value": "3", "inline": True},
                        {"name": "D", "value": "4", "inline": True},
                        {"name": "Wide", "value": "*all* the row", "inline": False},
                    ],
                    "footer": {"text": "*footer* plain"},
                }
            ]
        )
    )
    (embed,) = tree.find(css="embed")
    assert "border-left-color:#57f287" in embed.attrs["style"]
    assert tree.texts(css="embed-title") == ["**Title** stays plain"]
    assert tree.texts(css="embed-footer") == ["*footer* plain"]
    assert tree.texts(css="embed-author") == ["An author"]
    (description,) = tree.find(css="embed-desc")
    assert [e.text for e in tree.find("strong") if _inside(e, description)] == ["bold"]
    fields = tree.find(css="embed-field")
    spans = [f.attrs["style"] for f in fields]
    assert spans == [
        "grid-column:1/5",
        "grid-column:5/9",
        "grid-column:9/13",
        "grid-column:1/13",
        "grid-column:1/13",
    ]
    assert tree.texts(css="embed-field-name") == ["A", "B", "C", "D", "Wide"]
    assert "all" in tree.texts("em")


def _inside(element: Element, ancestor: Element) -> bool:
    parent = element.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def test_embed_image_comes_from_the_attachment_and_is_not_repeated() -> None:
    tree = page(
        message(
            embeds=[{"title": "Chart", "image": {"url": "attachment://chart.png"}}],
            attachments=[{"id": "7", "filename": "chart.png", "size": 70}],
        ),
        files={"7": png()},
    )
    images = tree.find("img")
    assert len(images) == 1
    assert "embed-img" in images[0].classes
    assert images[0].attrs["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(images[0].attrs["src"].split(",", 1)[1]) == png()


def test_attachments_png_inline_other_files_as_chips() -> None:
    tree = page(
        message(
            attachments=[
                {"id": "7", "filename": "plot.png", "size": 70, "content_type": "image/png"},
                {"id": "8", "filename": "output.txt", "size": 6236, "content_type": "text/plain"},
            ]
        ),
        files={"7": png(), "8": b"line 1\n"},
    )
    (image,) = tree.find("img")
    assert image.attrs["src"].startswith("data:image/png;base64,")
    assert tree.texts(css="file-name") == ["output.txt"]
    assert tree.texts(css="file-size") == ["6.09 KB"]
    assert human_size(512) == "512 bytes"


# -- components -------------------------------------------------------------------------------


def button(style: int, label: str, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": label, **extra}


def test_buttons_styles_disabled_emoji_and_link() -> None:
    tree = page(
        message(
            components=[
                {
                    "type": 1,
                    "components": [
                        button(1, "Primary"),
                        button(2, "Secondary", disabled=True),
                        button(3, "Success", emoji={"name": "✅"}),
                        button(4, "Danger"),
                        {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"},
                    ],
                },
                {"type": 1, "components": [button(2, "Custom", emoji={"id": "9", "name": "np"})]},
            ]
        )
    )
    rows = tree.find(css="action-row")
    assert len(rows) == 2
    buttons = tree.find(css="btn")
    assert [(b.text, sorted(b.classes - {"btn"})) for b in buttons] == [
        ("Primary", ["btn-primary"]),
        ("Secondary", ["btn-secondary", "disabled"]),
        ("✅Success", ["btn-success"]),
        ("Danger", ["btn-danger"]),
        ("Docs", ["btn-link"]),
        (":np:Custom", ["btn-secondary"]),
    ]
    assert [c.tag for c in buttons[4].children] == ["span", "svg"]  # the external-link icon


def test_select_menu_closed_with_placeholder_or_default() -> None:
    tree = page(
        message(
            components=[
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "pick",
                            "placeholder": "Choose your answer…",
                            "options": [{"label": "A · one", "value": "1"}],
                        }
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "chosen",
                            "disabled": True,
                            "options": [
                                {"label": "one", "value": "1"},
                                {"label": "two", "value": "2", "default": True},
                            ],
                        }
                    ],
                },
                {"type": 1, "components": [{"type": 8, "custom_id": "channel"}]},
            ]
        )
    )
    selects = tree.find(css="select")
    assert [s.text for s in selects] == ["Choose your answer…", "two", "Make a selection"]
    assert "disabled" in selects[1].classes
    assert "A · one" not in tree.root.text  # a closed dropdown shows no options


def test_components_v2_layout() -> None:
    thumb = {"type": 11, "media": {"url": "attachment://t.png"}}
    tree = page(
        message(
            flags=IS_COMPONENTS_V2,
            attachments=[
                {"id": "7", "filename": "t.png", "size": 70},
                {"id": "8", "filename": "g.png", "size": 70},
                {"id": "9", "filename": "notes.txt", "size": 2048},
            ],
            components=[
                {
                    "type": 17,
                    "accent_color": 0x5865F2,
                    "components": [
                        {"type": 10, "content": "## Heading in a container"},
                        {"type": 14, "divider": True, "spacing": 2},
                        {
                            "type": 9,
                            "components": [{"type": 10, "content": "with a **thumbnail**"}],
                            "accessory": thumb,
                        },
                        {
                            "type": 9,
                            "components": [{"type": 10, "content": "with a button"}],
                            "accessory": button(1, "Go"),
                        },
                        {
                            "type": 12,
                            "items": [
                                {"media": {"url": "attachment://g.png"}},
                                {"media": {"url": "https://example.com/x.png"}},
                            ],
                        },
                        {"type": 13, "file": {"url": "attachment://notes.txt"}},
                        {"type": 1, "components": [button(2, "Row button")]},
                    ],
                },
                {"type": 10, "content": "outside -# not subtext mid-line"},
                {"type": 14, "divider": False},
            ],
        ),
        files={"7": png(), "8": png()},
    )
    (container,) = tree.find(css="container")
    assert "border-left:4px solid #5865f2" in container.attrs["style"]
    assert tree.texts(css="md-h2") == ["Heading in a container"]
    separators = tree.find(css="separator")
    assert [sorted(s.classes) for s in separators] == [
        ["divider", "large", "separator"],
        ["separator", "small"],
    ]
    sections = tree.find(css="section")
    assert len(sections) == 2
    thumbnails = [e for e in tree.find("img") if "thumb-img" in e.classes]
    assert len(thumbnails) == 1 and _inside(thumbnails[0], sections[0])
    assert [b.text for b in tree.find(css="btn")] == ["Go", "Row button"]
    gallery = tree.find(css="gallery")[0]
    assert "gallery-2" in gallery.classes
    assert len(tree.find(css="gallery-item")) == 2
    assert tree.texts(css="missing-image") == ["x.png"]  # no network: a labelled box
    assert tree.texts(css="file-name") == ["notes.txt"]
    assert not tree.find(css="attachments")  # every attachment is shown by a component
    assert len(tree.find(css="text-display")) == 4


def test_v2_flag_ignores_content_and_embeds() -> None:
    tree = page(
        message(
            flags=IS_COMPONENTS_V2,
            content="legacy",
            embeds=[{"title": "legacy"}],
            components=[{"type": 10, "content": "new"}],
        )
    )
    assert "legacy" not in tree.root.text and "new" in tree.root.text


# -- message chrome ---------------------------------------------------------------------------


def test_ephemeral_messages_are_marked() -> None:
    tree = page(message(content="secret", flags=EPHEMERAL), message(id="2", content="public"))
    articles = tree.find("article")
    assert ["ephemeral" in a.classes for a in articles] == [True, False]
    (note,) = tree.find(css="ephemeral-note")
    assert "Only you can see this" in note.text and "Dismiss message" in note.text
    assert _inside(note, articles[0])


def test_author_line_with_app_tag_and_time() -> None:
    tree = page(message(content="hi"), bot_name="Studybot Dev")
    assert tree.texts(css="username") == ["Studybot Dev"]
    assert tree.texts(css="app-tag") == ["APP"]
    assert tree.texts(css="timestamp") == ["Today at 9:00 AM"]
    (avatar,) = tree.find(css="avatar")
    assert "#5865f2" in avatar.attrs["style"]


def test_reply_shows_the_quoted_line() -> None:
    original = message(id="1", author=MAYA, content="how do I **reshape**?\nsecond line")
    reply = message(id="2", type=19, content="like this", referenced_message=original)
    gone = message(id="3", type=19, content="to nothing", referenced_message=None)
    tree = page(original, reply, gone)
    lines = tree.find(css="context-line")
    assert [sorted(line.classes) for line in lines] == [["context-line", "reply"]] * 2
    assert "@maya" in lines[0].text and "how do I **reshape**? second line" in lines[0].text
    assert "Original message was deleted" in lines[1].text


def test_interaction_line_names_member_and_command() -> None:
    meta = {"id": "9", "type": 2, "name": "quiz", "user": MAYA}
    modal = {
        "id": "10",
        "type": 5,
        "user": MAYA,
        "triggering_interaction_metadata": {"type": 2, "name": "run", "user": MAYA},
    }
    clicked = {"id": "11", "type": 3, "user": MAYA, "interacted_message_id": "1"}
    tree = page(
        message(id="1", type=20, content="q", interaction_metadata=meta),
        message(id="2", content="ran", interaction_metadata=modal),
        message(id="3", content="after click", interaction_metadata=clicked),
    )
    lines = [line.text for line in tree.find(css="context-line")]
    assert lines[0].endswith("maya used /quiz")
    assert lines[1].endswith("maya used /run")
    assert "@Studybot" in lines[2] and "q" in lines[2]


def test_thread_starter_and_thread_box() -> None:
    starter = message(
        id="1",
        content="Lesson of the day",
        flags=32,
        thread={"id": "1", "name": "Discuss: arrays", "message_count": 3},
    )
    inside = message(
        id="5", channel_id="1", type=21, content="", referenced_message=starter, position=0
    )
    tree = page(starter, inside)
    (box,) = tree.find(css="thread-box")
    assert "Discuss: arrays" in box.text and "3 Messages" in box.text
    assert tree.texts(css="content") == ["Lesson of the day", "Lesson of the day"]


def test_member_messages_group_and_have_no_app_tag() -> None:
    first = message(id="1", author=MAYA, content="one")
    second = message(id="2", author=MAYA, content="two", timestamp="2026-11-23T09:01:00+00:00")
    tree = page(first, second)
    articles = tree.find("article")
    assert "grouped" in articles[1].classes
    assert tree.texts(css="username") == ["maya"]
    assert not tree.find(css="app-tag")


def test_themes() -> None:
    assert page(message(content="x")).find("body")[0].attrs["class"] == "theme-dark"
    light = page(message(content="x"), theme="light")
    assert light.find("body")[0].attrs["class"] == "theme-light"
    with pytest.raises(ValueError):
        render_page([], theme="sepia")


def test_dark_palette() -> None:
    html = render_page([])
    for colour in ("#313338", "#dbdee1", "#2b2d31", "#5865f2", "#248046", "#da373c", "#4e5058"):
        assert colour in html


# -- driver and shooter helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "answer"),
    [
        ("1", True),
        ("B", True),
        ("A · [99, 2, 3, 4]", True),
        ("Answer", True),
        ("✏️ Type your answer", True),
        ("1 / 2", False),
        ("Next ▶", False),
        ("Another quiz", False),
        ("❓ Quiz me on this", False),
        ("Mark done", False),
        ("My rank", False),
    ],
)
def test_answer_buttons_are_found_by_label(label: str, answer: bool) -> None:
    component = {"type": 2, "style": 2, "label": label, "custom_id": "x"}
    assert drive._is_answer_button(component) is answer


@pytest.mark.parametrize(
    ("placeholder", "labels", "answer"),
    [
        ("Choose your answer…", ["x", "y"], True),
        (None, ["A · one", "B · two"], True),
        ("Open a lesson…", ["1. Arrays", "Pandas"], False),
    ],
)
def test_answer_menus_are_found_by_what_they_say(
    placeholder: str | None, labels: list[str], answer: bool
) -> None:
    options = [{"label": label, "value": str(n)} for n, label in enumerate(labels)]
    component = {"type": 3, "custom_id": "m", "placeholder": placeholder, "options": options}
    assert drive._is_answer_select(component) is answer


def test_a_recording_renders_from_its_json() -> None:
    data = {
        "screen": "quiz",
        "title": "/quiz",
        "notes": ["quiz: something failed"],
        "source": {"label": "abc123"},
        "bot": {"id": "100", "name": "Studybot", "avatar_colour": "#123456"},
        "viewer": {"id": "200"},
        "names": NAMES.as_dict(),
        "messages": [message(content="<@200>", attachments=[{"id": "7", "filename": "a.png"}])],
        "files": {"7": base64.b64encode(png()).decode()},
    }
    tree = Tree(drive.page_for(data, "light"))
    assert tree.texts("title") == ["quiz · abc123"]
    assert tree.texts(css="note") == ["quiz: something failed"]
    assert "mentioned" in tree.find("article")[0].classes
    assert tree.find("img")[0].attrs["src"].startswith("data:image/png")
    assert "#123456" in tree.find(css="avatar")[0].attrs["style"]


def test_narrow_pages_are_pinned_to_their_width() -> None:
    html = render_page([])
    assert shoot.pinned(html, 1280) == html
    assert "html { width: 420px;" in shoot.pinned(html, 420)


def test_png_size(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png(3, 5))
    assert shoot.png_size(path) == (3, 5)


async def test_the_driver_records_a_lesson_from_the_real_bot() -> None:
    """The stories run against the bot on the fake (no Chromium): /lesson comes back as a bot
    message with an embed, answering /lesson, and its recording renders."""
    (first, *_rest) = await drive.record(["lesson"])
    assert first.screen in ("lesson", "lesson-page1")
    assert not first.notes, first.notes
    bot_messages = [m for m in first.messages if m["author"]["id"] == first.bot["id"]]
    assert bot_messages and bot_messages[0]["embeds"]
    assert bot_messages[0]["interaction_metadata"]["name"] == "lesson"
    tree = Tree(drive.page_for(first.as_dict()))
    assert "maya used /lesson" in tree.find(css="context-line")[0].text
