"""Recorded Discord messages to one self-contained HTML page that looks like a Discord channel.

Input: message payloads as the fake stores them (`FakeMessage.payload(...)`), the bytes of their
attachments (so PNGs show inline, as `data:` URLs: the page loads nothing from the network),
the names behind mentions, and the bot's display name and avatar colour. Output: one HTML
string, dark (Discord's default) or light theme, readable at desktop and phone widths.

What Discord renders and how (all our own markup and CSS, kept readable, not pixel-perfect):

- content, embed descriptions, embed field values and Components v2 text displays get Discord's
  Markdown (`markdown()`); embed titles, author names and footers are plain text, as on Discord;
  field names get the inline part only;
- every text from a payload is HTML-escaped wherever it lands (payloads carry member input);
- embeds: colour bar, author, title, description, fields (inline ones up to 3 per row, 2 beside
  a thumbnail), image and thumbnail (from the message's attachments), footer and timestamp;
- attachments: images inline, other files as a chip with name and size; an attachment that an
  embed or a v2 component shows (`attachment://name`) is not shown again;
- components: action rows of buttons (primary, secondary, success, danger, link, premium,
  disabled, emoji) and select menus drawn closed; with the IS_COMPONENTS_V2 flag the message is
  its components: container (accent colour, spoiler), text display, separator, section with a
  thumbnail or button accessory, media gallery, file, action row;
- the line above a message: "<member> used /command" for interaction responses, the quoted
  line of a reply, the message a button was on; "Only you can see this · Dismiss message" under
  ephemeral messages; "thinking…" for a deferred response; a thread's box under its starter
  message and the starter message itself (type 21) inside a thread.

Not drawn: reactions, stickers, polls, embeds' video, link previews of bare URLs (there is no
network), custom emoji images (shown as `:name:`), syntax highlighting in code blocks, tables
(Discord shows their pipes as text, and so does this).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Message flags and types.
HAS_THREAD = 1 << 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15
REPLY = 19
CHAT_INPUT_COMMAND = 20
THREAD_CREATED = 18
THREAD_STARTER_MESSAGE = 21
CONTEXT_MENU_COMMAND = 23

# Interaction types in `interaction_metadata`.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5

# Component types.
ACTION_ROW = 1
BUTTON = 2
SELECTS = {3: "string", 5: "user", 6: "role", 7: "mentionable", 8: "channel"}
SECTION = 9
TEXT_DISPLAY = 10
THUMBNAIL = 11
MEDIA_GALLERY = 12
FILE = 13
SEPARATOR = 14
CONTAINER = 17

BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"}

#: Discord's default avatar colours (blurple, grey, green, yellow, red, pink).
DEFAULT_AVATARS = ("#5865f2", "#757e8a", "#3ba55c", "#faa61a", "#ed4245", "#eb459e")

GROUP_WINDOW = timedelta(minutes=7)  # Discord groups one author's messages within 7 minutes


def esc(text: object) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


@dataclass
class Names:
    """What mentions resolve to: ids (as strings) to display names."""

    users: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Names | Mapping[str, Mapping[str, str]] | None) -> Names:
        if isinstance(value, Names):
            return value
        value = value or {}
        return cls(
            users={str(k): str(v) for k, v in (value.get("users") or {}).items()},
            roles={str(k): str(v) for k, v in (value.get("roles") or {}).items()},
            channels={str(k): str(v) for k, v in (value.get("channels") or {}).items()},
        )

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"users": self.users, "roles": self.roles, "channels": self.channels}


@dataclass
class Context:
    """What rendering one message needs besides the message."""

    names: Names = field(default_factory=Names)
    #: Attachment bytes by attachment id (as a string).
    files: Mapping[str, bytes] = field(default_factory=dict)
    bot_name: str = "Studybot"
    avatar_colour: str = "#5865f2"
    bot_id: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Messages on the page by id, for reply lines and button-click lines.
    by_id: dict[str, Mapping[str, Any]] = field(default_factory=dict)


# -- Markdown ---------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:([A-Za-z0-9_+\-.#]+)[ \t]*\n)?\n*([\s\S]*?)\n*```")
_HEADING = re.compile(r"^(#{1,3})[ \t]+(\S.*)$")
_SUBTEXT = re.compile(r"^-#[ \t]+(\S.*)$")
_QUOTE = re.compile(r"^>(?: (.*)|)$")
_BLOCK_QUOTE = re.compile(r"^>>>(?: (.*)|)$")
_LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$")

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _clock(moment: datetime, seconds: bool = False) -> str:
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    tail = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{tail} {suffix}"


def _long_date(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _relative(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    for unit, length in (
        ("year", 365 * 86400),
        ("month", 30 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if size >= length:
            count = round(size / length)
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            break
    else:
        words = "a few seconds"
    return f"in {words}" if seconds > 0 else f"{words} ago"


def format_timestamp(unix: int, style: str, now: datetime) -> str:
    """A `<t:unix:style>` as Discord writes it for an en-US reader (here in UTC)."""
    try:
        moment = datetime.fromtimestamp(unix, UTC)
    except (OverflowError, OSError, ValueError):
        return "Invalid Date"
    if style == "t":
        return _clock(moment)
    if style == "T":
        return _clock(moment, seconds=True)
    if style == "d":
        return f"{moment.month}/{moment.day}/{moment.year}"
    if style == "D":
        return _long_date(moment)
    if style == "F":
        return f"{_WEEKDAYS[moment.weekday()]}, {_long_date(moment)} at {_clock(moment)}"
    if style == "R":
        return _relative(moment, now)
    return f"{_long_date(moment)} at {_clock(moment)}"  # "f", the default


def _inline_rules(ctx: Context) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
    """Inline Markdown, tried in this order at each position of the text."""
    names = ctx.names

    def nested(m: re.Match[str], group: int = 1) -> str:
        return inline(m.group(group), ctx)

    def code(m: re.Match[str]) -> str:
        body = m.group(2)
        if len(m.group(1)) > 1 and body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        return f'<code class="md-code">{esc(body)}</code>'

    def user(m: re.Match[str]) -> str:
        name = names.users.get(m.group(1))
        return f'<span class="mention">@{esc(name or "unknown-user")}</span>'

    def role(m: re.Match[str]) -> str:
        name = names.roles.get(m.group(1))
        return f'<span class="mention role">@{esc(name or "deleted-role")}</span>'

    def channel(m: re.Match[str]) -> str:
        name = names.channels.get(m.group(1))
        return f'<span class="mention channel">#{esc(name or "unknown")}</span>'

    def timestamp(m: re.Match[str]) -> str:
        text = format_timestamp(int(m.group(1)), m.group(2) or "f", ctx.now)
        return f'<span class="md-time">{esc(text)}</span>'

    def link(url: str, label: str) -> str:
        return f'<a class="md-link" href="{esc(url)}">{label}</a>'

    return [
        (re.compile(r"\\([^0-9A-Za-z\s])"), lambda m: esc(m.group(1))),
        (re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)"), code),
        (
            re.compile(r"\|\|([\s\S]+?)\|\|"),
            lambda m: f'<span class="md-spoiler">{nested(m)}</span>',
        ),
        (re.compile(r"\*\*([\s\S]+?\**)\*\*(?!\*)"), lambda m: f"<strong>{nested(m)}</strong>"),
        (re.compile(r"__([\s\S]+?_*)__(?!_)"), lambda m: f"<u>{nested(m)}</u>"),
        (
            re.compile(
                r"\*(?![\s*])((?:\*\*(?:(?!\*\*)[\s\S])+\*\*|\\[\s\S]|[^*\\])+?)(?<!\s)\*(?!\*)"
            ),
            lambda m: f"<em>{nested(m)}</em>",
        ),
        (
            re.compile(r"(?<![0-9A-Za-z])_((?:__[\s\S]+?__|\\[\s\S]|[^_\\])+?)_(?![0-9A-Za-z])"),
            lambda m: f"<em>{nested(m)}</em>",
        ),
        (re.compile(r"~~([\s\S]+?)~~"), lambda m: f"<s>{nested(m)}</s>"),
        (
            re.compile(r"\[([^\[\]\n]+)\]\(\s*<?(https?://[^\s<>()]+)>?\s*\)"),
            lambda m: link(m.group(2), inline(m.group(1), ctx)),
        ),
        (re.compile(r"<(https?://[^\s>]+)>"), lambda m: link(m.group(1), esc(m.group(1)))),
        (
            re.compile(r"https?://[^\s<]*[^\s<.,:;\"')\]]"),
            lambda m: link(m.group(0), esc(m.group(0))),
        ),
        (re.compile(r"<@!?(\d+)>"), user),
        (re.compile(r"<@&(\d+)>"), role),
        (re.compile(r"<#(\d+)>"), channel),
        (
            re.compile(r"</([\w\- ]{1,100}):(\d+)>"),
            lambda m: f'<span class="mention command">/{esc(m.group(1))}</span>',
        ),
        (re.compile(r"<t:(-?\d{1,13})(?::([tTdDfFR]))?>"), timestamp),
        (re.compile(r"<a?:(\w{2,32}):(\d+)>"), lambda m: f":{esc(m.group(1))}:"),
        (
            re.compile(r"@(everyone|here)\b"),
            lambda m: f'<span class="mention">@{esc(m.group(1))}</span>',
        ),
        (re.compile(r"\n"), lambda m: "<br>"),
    ]


_STARTERS = set("\\`|*_~[<h@\n")


def inline(text: str, ctx: Context) -> str:
    """Inline Markdown of one paragraph to HTML; everything not markup is escaped."""
    rules = _inline_rules(ctx)
    out: list[str] = []
    plain: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in _STARTERS:
            for pattern, make in rules:
                found = pattern.match(text, pos)
                if found is not None and found.end() > pos:
                    out.append(esc("".join(plain)))
                    plain.clear()
                    out.append(make(found))
                    pos = found.end()
                    break
            else:
                plain.append(char)
                pos += 1
        else:
            plain.append(char)
            pos += 1
    out.append(esc("".join(plain)))
    return "".join(out)


def markdown(text: str | None, ctx: Context | None = None) -> str:
    """Discord's Markdown (blocks and inline) to HTML, escaped."""
    if not text:
        return ""
    ctx = ctx or Context()
    parts: list[str] = []
    last = 0
    for fence in _FENCE.finditer(text):
        parts.append(_blocks(text[last : fence.start()], ctx))
        language, body = fence.group(1), fence.group(2)
        label = f'<span class="md-lang">{esc(language)}</span>' if language else ""
        parts.append(f'<pre class="md-pre">{label}<code>{esc(body)}</code></pre>')
        last = fence.end()
    parts.append(_blocks(text[last:], ctx))
    return "".join(parts)


def _blocks(text: str, ctx: Context) -> str:
    """Line-based blocks: headings, subtext, quotes, lists; the rest are paragraphs."""
    if text.startswith("\n"):
        text = text[1:]  # the newline after a code fence
    if not text:
        return ""
    lines = text.split("\n")
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = "\n".join(paragraph)
            if joined.strip():
                out.append(f'<div class="md-p">{inline(joined, ctx)}</div>')
            else:
                out.append('<div class="md-blank"></div>' * len(paragraph))
            paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        subtext = _SUBTEXT.match(line)
        whole_quote = _BLOCK_QUOTE.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f'<div class="md-h md-h{level}">{inline(heading.group(2), ctx)}</div>')
            index += 1
        elif subtext:
            flush()
            out.append(f'<div class="md-sub">{inline(subtext.group(1), ctx)}</div>')
            index += 1
        elif whole_quote:
            flush()
            rest = "\n".join([whole_quote.group(1) or "", *lines[index + 1 :]])
            out.append(f'<blockquote class="md-quote">{_blocks(rest, ctx)}</blockquote>')
            index = len(lines)
        elif _QUOTE.match(line):
            flush()
            quoted: list[str] = []
            while index < len(lines) and (match := _QUOTE.match(lines[index])):
                quoted.append(match.group(1) or "")
                index += 1
            inner = _blocks("\n".join(quoted), ctx)
            out.append(f'<blockquote class="md-quote">{inner}</blockquote>')
        elif _LIST_ITEM.match(line):
            flush()
            items: list[tuple[int, str, str]] = []
            while index < len(lines) and (match := _LIST_ITEM.match(lines[index])):
                indent = len(match.group(1).expandtabs(4))
                items.append((indent, match.group(2), match.group(3)))
                index += 1
            out.append(_list(items, ctx))
        else:
            paragraph.append(line)
            index += 1
    flush()
    return "".join(out)


def _list(items: list[tuple[int, str, str]], ctx: Context) -> str:
    """Consecutive list lines to nested lists (deeper indentation nests)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (indent, tag)
    for indent, marker, body in items:
        ordered = marker[0].isdigit()
        tag = "ol" if ordered else "ul"
        while stack and indent < stack[-1][0]:
            out.append(f"</li></{stack.pop()[1]}>")
        if stack and indent == stack[-1][0] and tag != stack[-1][1]:
            out.append(f"</li></{stack.pop()[1]}>")
        if not stack or indent > stack[-1][0]:
            start = f' start="{int(marker[:-1])}"' if ordered and marker[:-1] != "1" else ""
            out.append(f'<{tag} class="md-list"{start}><li>')
            stack.append((indent, tag))
        else:
            out.append("</li><li>")
        out.append(inline(body, ctx))
    while stack:
        out.append(f"</li></{stack.pop()[1]}>")
    return "".join(out)


# -- pieces -----------------------------------------------------------------------------------


def colour_hex(value: Any) -> str | None:
    """An embed or accent colour (an int) as #rrggbb; None for none."""
    if value is None or value is False:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return f"#{number & 0xFFFFFF:06x}"


def human_size(size: Any) -> str:
    """A file size as Discord writes it."""
    try:
        value = float(size)
    except (TypeError, ValueError):
        return ""
    if value < 1024:
        return f"{int(value)} bytes"
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            return f"{value:.2f} {unit}"
    return ""


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_url(data: bytes) -> str | None:
    kind = _image_type(data)
    if kind is None:
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _avatar(name: str, colour: str, size: int = 40, css: str = "avatar") -> str:
    letter = (name.strip()[:1] or "?").upper()
    return (
        f'<div class="{css}" style="background:{esc(colour)};width:{size}px;height:{size}px">'
        f"{esc(letter)}</div>"
    )


def _user_colour(user_id: str) -> str:
    try:
        return DEFAULT_AVATARS[(int(user_id) >> 22) % len(DEFAULT_AVATARS)]
    except ValueError:
        return DEFAULT_AVATARS[1]


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    day = moment.date()
    if day == now.date():
        return f"Today at {_clock(moment)}"
    if day == (now - timedelta(days=1)).date():
        return f"Yesterday at {_clock(moment)}"
    return f"{moment.month}/{moment.day}/{moment.year} {_clock(moment)}"


def _svg(css: str, box: str, width: int, height: int, *paths: str) -> str:
    body = "".join(paths)
    return f'<svg class="{css}" viewBox="{box}" width="{width}" height="{height}">{body}</svg>'


def _path(d: str, fill: str = "currentColor", extra: str = "") -> str:
    return f'<path fill="{fill}"{extra} d="{d}"/>'


_ICONS = {
    "link": _svg(
        "icon",
        "0 0 24 24",
        16,
        16,
        _path(
            "M15 2a1 1 0 0 0 0 2h3.6l-7.3 7.3a1 1 0 1 0 1.4 1.4L20 5.4V9a1 1 0 1 0 2 0V3a1 1 0 0 "
            "0-1-1h-6ZM5 4a3 3 0 0 0-3 3v12a3 3 0 0 0 3 3h12a3 3 0 0 0 3-3v-5a1 1 0 1 0-2 0v5a1 1 "
            "0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5a1 1 0 1 0 0-2H5Z"
        ),
    ),
    "chevron": _svg(
        "icon",
        "0 0 24 24",
        18,
        18,
        _path(
            "M5.3 9.3a1 1 0 0 1 1.4 0l5.3 5.3 5.3-5.3a1 1 0 1 1 1.4 1.4l-6 6a1 1 0 0 1-1.4 "
            "0l-6-6a1 1 0 0 1 0-1.4Z"
        ),
    ),
    "eye": _svg(
        "icon",
        "0 0 24 24",
        16,
        16,
        _path(
            "M12 5C5.6 5 2 12 2 12s3.6 7 10 7 10-7 10-7-3.6-7-10-7Zm0 11a4 4 0 1 1 0-8 4 4 0 0 1 "
            "0 8Zm0-2a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z"
        ),
    ),
    "file": _svg(
        "file-icon",
        "0 0 30 40",
        30,
        40,
        _path("M2 0h18l10 10v28a2 2 0 0 1-2 2H2a2 2 0 0 1-2-2V2a2 2 0 0 1 2-2Z", "#5865f2"),
        _path("M20 0v8a2 2 0 0 0 2 2h8Z", "#fff", ' opacity=".55"'),
        _path("M7 18h16v2H7zm0 5h16v2H7zm0 5h11v2H7z", "#fff"),
    ),
    "thread": _svg(
        "icon",
        "0 0 24 24",
        16,
        16,
        _path(
            "M12 2.8C6.9 2.8 2.8 6.5 2.8 11c0 2.2 1 4.3 2.7 5.8L4 21l4.6-1.9c1.1.4 2.2.6 3.4.6 "
            "5.1 0 9.2-3.7 9.2-8.3S17.1 2.8 12 2.8Z"
        ),
    ),
}


# -- embeds -----------------------------------------------------------------------------------


class _Attachments:
    """A message's attachments by filename, and which ones something else already shows."""

    def __init__(self, message: Mapping[str, Any], ctx: Context) -> None:
        self.ctx = ctx
        self.items = [a for a in message.get("attachments") or [] if isinstance(a, Mapping)]
        self.used: set[str] = set()

    def find(self, url: Any) -> Mapping[str, Any] | None:
        if not isinstance(url, str) or not url.startswith("attachment://"):
            return None
        name = url.removeprefix("attachment://")
        for item in self.items:
            if item.get("filename") == name:
                self.used.add(str(item.get("id")))
                return item
        return None

    def bytes_of(self, item: Mapping[str, Any]) -> bytes | None:
        return self.ctx.files.get(str(item.get("id")))

    def image(self, url: Any, css: str, alt: str = "") -> str:
        """An <img> for an attachment:// or data: URL; a labelled box for anything else."""
        item = self.find(url)
        source: str | None = None
        label = alt
        if item is not None:
            data = self.bytes_of(item)
            source = data_url(data) if data else None
            label = label or str(item.get("filename") or "")
        elif isinstance(url, str) and url.startswith("data:image/"):
            source = url
        if source is not None:
            return f'<img class="{css}" src="{esc(source)}" alt="{esc(label)}">'
        shown = label or (str(url).rsplit("/", 1)[-1] if url else "image")
        return f'<div class="{css} missing-image"><span>{esc(shown)}</span></div>'


def render_embed(embed: Mapping[str, Any], ctx: Context, files: _Attachments) -> str:
    colour = colour_hex(embed.get("color"))
    style = f' style="border-left-color:{colour}"' if colour else ""
    parts: list[str] = []
    author = embed.get("author") or {}
    if author.get("name"):
        icon = ""
        if author.get("icon_url"):
            icon = files.image(author.get("icon_url"), "embed-author-icon")
        parts.append(f'<div class="embed-author">{icon}<span>{esc(author["name"])}</span></div>')
    if embed.get("title"):
        title = esc(embed["title"])
        url = embed.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            title = f'<a class="md-link" href="{esc(url)}">{title}</a>'
        parts.append(f'<div class="embed-title">{title}</div>')
    if embed.get("description"):
        parts.append(f'<div class="embed-desc md">{markdown(embed["description"], ctx)}</div>')
    thumbnail = (embed.get("thumbnail") or {}).get("url")
    fields = [f for f in embed.get("fields") or [] if isinstance(f, Mapping)]
    if fields:
        parts.append(_fields(fields, ctx, per_row=2 if thumbnail else 3))
    image = (embed.get("image") or {}).get("url")
    if image:
        parts.append(f'<div class="embed-image">{files.image(image, "embed-img")}</div>')
    footer = embed.get("footer") or {}
    when = _parse_time(embed.get("timestamp"))
    if footer.get("text") or when:
        bits = []
        if footer.get("icon_url"):
            bits.append(files.image(footer.get("icon_url"), "embed-footer-icon"))
        text = esc(footer.get("text") or "")
        if when:
            stamp = esc(_when(when, ctx.now))
            text = f"{text}<span class='sep'> • </span>{stamp}" if text else stamp
        bits.append(f"<span>{text}</span>")
        parts.append(f'<div class="embed-footer">{"".join(bits)}</div>')
    thumb = ""
    if thumbnail:
        thumb = f'<div class="embed-thumb">{files.image(thumbnail, "embed-thumb-img")}</div>'
    return f'<div class="embed"{style}><div class="embed-body">{"".join(parts)}</div>{thumb}</div>'


def _fields(fields: list[Mapping[str, Any]], ctx: Context, per_row: int) -> str:
    """Fields on a 12-column grid: a run of inline fields shares rows, up to `per_row` each."""
    rows: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    for item in fields:
        if item.get("inline") and len(current) < per_row:
            current.append(item)
            continue
        if current:
            rows.append(current)
            current = []
        if item.get("inline"):
            current = [item]
        else:
            rows.append([item])
    if current:
        rows.append(current)
    out = []
    for row in rows:
        span = 12 // len(row)
        for column, item in enumerate(row):
            start = 1 + column * span
            name = inline(str(item.get("name") or ""), ctx)
            value = markdown(str(item.get("value") or ""), ctx)
            inline_css = " inline" if item.get("inline") else ""
            out.append(
                f'<div class="embed-field{inline_css}" style="grid-column:{start}/{start + span}">'
                f'<div class="embed-field-name">{name}</div>'
                f'<div class="embed-field-value md">{value}</div></div>'
            )
    return f'<div class="embed-fields">{"".join(out)}</div>'


# -- components -------------------------------------------------------------------------------


def _emoji(emoji: Any) -> str:
    if not isinstance(emoji, Mapping):
        return ""
    name = str(emoji.get("name") or "")
    if emoji.get("id"):
        return f'<span class="emoji custom">:{esc(name)}:</span>'
    return f'<span class="emoji">{esc(name)}</span>' if name else ""


def render_button(button: Mapping[str, Any]) -> str:
    style = BUTTON_STYLES.get(int(button.get("style") or 2), "secondary")
    label = button.get("label") or ("Premium" if style == "premium" else "")
    inner = _emoji(button.get("emoji"))
    if label:
        inner += f'<span class="label">{esc(label)}</span>'
    if style == "link":
        inner += _ICONS["link"]
    disabled = " disabled" if button.get("disabled") else ""
    return f'<div class="btn btn-{style}{disabled}" role="button">{inner}</div>'


def render_select(select: Mapping[str, Any]) -> str:
    kind = SELECTS.get(int(select.get("type") or 3), "string")
    chosen = [
        str(o.get("label"))
        for o in select.get("options") or []
        if isinstance(o, Mapping) and o.get("default")
    ]
    if chosen:
        text = f'<span class="select-value">{esc(", ".join(chosen))}</span>'
    else:
        placeholder = select.get("placeholder") or "Make a selection"
        text = f'<span class="select-placeholder">{esc(placeholder)}</span>'
    disabled = " disabled" if select.get("disabled") else ""
    return (
        f'<div class="select select-{kind}{disabled}" role="listbox">{text}'
        f"{_ICONS['chevron']}</div>"
    )


def _action_row(row: Mapping[str, Any]) -> str:
    items = []
    for child in row.get("components") or []:
        if not isinstance(child, Mapping):
            continue
        kind = int(child.get("type") or 0)
        if kind == BUTTON:
            items.append(render_button(child))
        elif kind in SELECTS:
            items.append(render_select(child))
        else:
            items.append(_unknown(kind))
    return f'<div class="action-row">{"".join(items)}</div>'


def _unknown(kind: int) -> str:
    return f'<div class="unknown-component">component type {int(kind)}</div>'


def render_component(component: Mapping[str, Any], ctx: Context, files: _Attachments) -> str:
    """One component of a Components v2 message (or an action row of any message)."""
    kind = int(component.get("type") or 0)
    if kind == ACTION_ROW:
        return _action_row(component)
    if kind == BUTTON:
        return f'<div class="action-row">{render_button(component)}</div>'
    if kind in SELECTS:
        return f'<div class="action-row">{render_select(component)}</div>'
    if kind == TEXT_DISPLAY:
        return f'<div class="text-display md">{markdown(component.get("content"), ctx)}</div>'
    if kind == SEPARATOR:
        spacing = "large" if int(component.get("spacing") or 1) == 2 else "small"
        line = " divider" if component.get("divider", True) else ""
        return f'<div class="separator {spacing}{line}"></div>'
    if kind == SECTION:
        texts = "".join(
            render_component(c, ctx, files)
            for c in component.get("components") or []
            if isinstance(c, Mapping)
        )
        accessory = component.get("accessory")
        side = ""
        if isinstance(accessory, Mapping):
            if int(accessory.get("type") or 0) == THUMBNAIL:
                side = _thumbnail(accessory, files)
            elif int(accessory.get("type") or 0) == BUTTON:
                side = render_button(accessory)
        return (
            f'<div class="section"><div class="section-text">{texts}</div>'
            f'<div class="section-accessory">{side}</div></div>'
        )
    if kind == THUMBNAIL:
        return _thumbnail(component, files)
    if kind == MEDIA_GALLERY:
        items = [i for i in component.get("items") or [] if isinstance(i, Mapping)]
        cells = []
        for item in items:
            url = (item.get("media") or {}).get("url")
            spoiler = " spoiler" if item.get("spoiler") else ""
            image = files.image(url, "gallery-img", str(item.get("description") or ""))
            cells.append(f'<div class="gallery-item{spoiler}">{image}</div>')
        count = min(len(items), 4) if len(items) != 3 else 3
        return f'<div class="gallery gallery-{count}">{"".join(cells)}</div>'
    if kind == FILE:
        url = (component.get("file") or {}).get("url")
        item = files.find(url)
        name = item.get("filename") if item else str(url or "file").rsplit("/", 1)[-1]
        size = item.get("size") if item else None
        return _file_chip(str(name), size)
    if kind == CONTAINER:
        accent = colour_hex(component.get("accent_color"))
        style = f' style="border-left:4px solid {accent}"' if accent else ""
        spoiler = " spoiler" if component.get("spoiler") else ""
        inner = "".join(
            render_component(c, ctx, files)
            for c in component.get("components") or []
            if isinstance(c, Mapping)
        )
        return f'<div class="container{spoiler}"{style}>{inner}</div>'
    return _unknown(kind)


def _thumbnail(component: Mapping[str, Any], files: _Attachments) -> str:
    url = (component.get("media") or {}).get("url")
    spoiler = " spoiler" if component.get("spoiler") else ""
    image = files.image(url, "thumb-img", str(component.get("description") or ""))
    return f'<div class="thumbnail{spoiler}">{image}</div>'


def _file_chip(name: str, size: Any) -> str:
    return (
        f'<div class="file-chip">{_ICONS["file"]}<div class="file-meta">'
        f'<div class="file-name">{esc(name)}</div>'
        f'<div class="file-size">{esc(human_size(size))}</div></div></div>'
    )


# -- messages ---------------------------------------------------------------------------------


def _display_name(user: Mapping[str, Any], ctx: Context, member: Any = None) -> str:
    uid = str(user.get("id") or "")
    if _is_bot(user, ctx):
        return ctx.bot_name
    if uid in ctx.names.users:
        return ctx.names.users[uid]
    nick = member.get("nick") if isinstance(member, Mapping) else None
    return str(nick or user.get("global_name") or user.get("username") or "unknown-user")


def _is_bot(user: Mapping[str, Any], ctx: Context) -> bool:
    if ctx.bot_id is not None:
        return str(user.get("id")) == ctx.bot_id
    return bool(user.get("bot"))


def _author_colour(user: Mapping[str, Any], ctx: Context) -> str:
    return ctx.avatar_colour if _is_bot(user, ctx) else _user_colour(str(user.get("id") or "0"))


def _preview(message: Mapping[str, Any] | None, ctx: Context) -> str:
    """The one line a reply shows of the message it answers."""
    if message is None:
        return '<span class="reply-missing">Original message was deleted</span>'
    author = message.get("author") or {}
    name = esc(_display_name(author, ctx, message.get("member")))
    avatar = _avatar(_display_name(author, ctx), _author_colour(author, ctx), 16, "avatar-mini")
    text = str(message.get("content") or "")
    if not text:
        for embed in message.get("embeds") or []:
            text = str(embed.get("title") or embed.get("description") or "")
            if text:
                break
    if not text:
        for component in _walk(message.get("components") or []):
            if component.get("type") == TEXT_DISPLAY and component.get("content"):
                text = str(component["content"])
                break
    line = re.sub(r"\s+", " ", text).strip()
    if not line:
        line = "Click to see attachment" if message.get("attachments") else "Click to see message"
        body = f"<em>{esc(line)}</em>"
    else:
        body = esc(line[:160])
    return f'{avatar}<span class="reply-name">@{name}</span><span class="reply-text">{body}</span>'


def _walk(components: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for component in components:
        if isinstance(component, Mapping):
            yield component
            yield from _walk(component.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(component.get(key), Mapping):
                    yield from _walk([component[key]])


def _context_line(message: Mapping[str, Any], ctx: Context) -> str:
    """The small line above a message: a reply's quote, or who used which command."""
    kind = int(message.get("type") or 0)
    if kind == REPLY:
        reference = message.get("referenced_message")
        quoted = _preview(reference if isinstance(reference, Mapping) else None, ctx)
        return f'<div class="context-line reply">{quoted}</div>'
    meta = message.get("interaction_metadata") or message.get("interaction")
    if not isinstance(meta, Mapping):
        return ""
    user = meta.get("user") or {}
    who = esc(_display_name(user, ctx))
    avatar = _avatar(_display_name(user, ctx), _author_colour(user, ctx), 16, "avatar-mini")
    itype = int(meta.get("type") or 0)
    trigger = meta.get("triggering_interaction_metadata")
    if itype == MODAL_SUBMIT and isinstance(trigger, Mapping) and trigger.get("name"):
        itype, meta = APPLICATION_COMMAND, {**meta, "name": trigger.get("name")}
    if itype == APPLICATION_COMMAND and meta.get("name"):
        slash = "" if kind == CONTEXT_MENU_COMMAND else "/"
        return (
            f'<div class="context-line command">{avatar}<span class="reply-name">{who}</span>'
            f' used <span class="command-name">{slash}{esc(meta["name"])}</span></div>'
        )
    source = ctx.by_id.get(str(meta.get("interacted_message_id") or ""))
    if source is not None:
        return f'<div class="context-line reply">{_preview(source, ctx)}</div>'
    what = "submitted a form" if itype == MODAL_SUBMIT else "clicked a button"
    return (
        f'<div class="context-line command">{avatar}<span class="reply-name">{who}</span>'
        f" {what}</div>"
    )


def render_body(message: Mapping[str, Any], ctx: Context) -> str:
    """A message's content, embeds, attachments and components (no author line)."""
    flags = int(message.get("flags") or 0)
    files = _Attachments(message, ctx)
    parts: list[str] = []
    if flags & LOADING:
        parts.append(
            f'<div class="loading">{esc(ctx.bot_name)} is thinking'
            '<span class="dots"><i></i><i></i><i></i></span></div>'
        )
    if flags & IS_COMPONENTS_V2:
        inner = "".join(
            render_component(c, ctx, files)
            for c in message.get("components") or []
            if isinstance(c, Mapping)
        )
        parts.append(f'<div class="v2">{inner}</div>')
    else:
        if message.get("content"):
            edited = ""
            if message.get("edited_timestamp"):
                edited = ' <span class="edited">(edited)</span>'
            parts.append(
                f'<div class="content md">{markdown(message["content"], ctx)}{edited}</div>'
            )
        embeds = [
            render_embed(e, ctx, files)
            for e in message.get("embeds") or []
            if isinstance(e, Mapping)
        ]
        if embeds:
            parts.append(f'<div class="embeds">{"".join(embeds)}</div>')
    shown = _attachments(files)
    if shown:
        parts.append(shown)
    if not flags & IS_COMPONENTS_V2:
        rows = [
            render_component(c, ctx, files)
            for c in message.get("components") or []
            if isinstance(c, Mapping)
        ]
        if rows:
            parts.append(f'<div class="components">{"".join(rows)}</div>')
    thread = message.get("thread")
    if isinstance(thread, Mapping):
        count = int(thread.get("message_count") or 0)
        label = f"{count} Message{'s' if count != 1 else ''}"
        parts.append(
            f'<div class="thread-box">{_ICONS["thread"]}<span class="thread-name">'
            f'{esc(thread.get("name"))}</span><span class="thread-count">{label} ›</span></div>'
        )
    if flags & EPHEMERAL:
        parts.append(
            f'<div class="ephemeral-note">{_ICONS["eye"]}<span>Only you can see this</span>'
            '<span class="sep">·</span><span class="dismiss">Dismiss message</span></div>'
        )
    return "".join(parts)


def _attachments(files: _Attachments) -> str:
    images: list[str] = []
    others: list[str] = []
    for item in files.items:
        if str(item.get("id")) in files.used:
            continue
        name = str(item.get("filename") or "file")
        data = files.bytes_of(item)
        source = data_url(data) if data else None
        content_type = str(item.get("content_type") or "")
        if source is not None and (content_type.startswith("image/") or not content_type):
            spoiler = " spoiler" if name.startswith("SPOILER_") else ""
            images.append(
                f'<div class="attachment-image{spoiler}">'
                f'<img src="{esc(source)}" alt="{esc(item.get("description") or name)}"></div>'
            )
        else:
            others.append(_file_chip(name, item.get("size")))
    if not images and not others:
        return ""
    return f'<div class="attachments">{"".join(images)}{"".join(others)}</div>'


def render_message(
    message: Mapping[str, Any], ctx: Context, *, grouped: bool = False, viewer: str | None = None
) -> str:
    """One message as Discord lays it out: avatar, author line, then the body."""
    kind = int(message.get("type") or 0)
    flags = int(message.get("flags") or 0)
    if kind == THREAD_STARTER_MESSAGE and isinstance(message.get("referenced_message"), Mapping):
        shown = dict(message["referenced_message"])
        shown["id"] = message.get("id")
        shown.pop("thread", None)  # inside the thread, its starter shows no thread box
        return render_message(shown, ctx, viewer=viewer)
    author = message.get("author") or {}
    name = _display_name(author, ctx, message.get("member"))
    if kind == THREAD_CREATED:
        return (
            f'<article class="message system" data-id="{esc(message.get("id"))}">'
            f'<div class="system-icon">{_ICONS["thread"]}</div><div class="system-text">'
            f'<span class="username">{esc(name)}</span> started a thread: '
            f"<strong>{esc(message.get('content'))}</strong></div></article>"
        )
    classes = ["message"]
    if flags & EPHEMERAL:
        classes.append("ephemeral")
    if grouped:
        classes.append("grouped")
    if viewer is not None and _mentions(message, viewer):
        classes.append("mentioned")
    when = _when(_parse_time(message.get("timestamp")), ctx.now)
    head = ""
    if not grouped:
        tag = '<span class="app-tag">APP</span>' if author.get("bot") else ""
        colour = _author_colour(author, ctx)
        name_style = ' style="color:var(--header)"'
        head = (
            f"{_context_line(message, ctx)}"
            f'<div class="gutter">{_avatar(name, colour)}</div>'
            f'<div class="author-line"><span class="username"{name_style}>{esc(name)}</span>'
            f'{tag}<span class="timestamp">{esc(when)}</span></div>'
        )
    return (
        f'<article class="{" ".join(classes)}" data-id="{esc(message.get("id"))}">'
        f'{head}<div class="body">{render_body(message, ctx)}</div></article>'
    )


def _mentions(message: Mapping[str, Any], viewer: str) -> bool:
    return f"<@{viewer}>" in str(message.get("content") or "") or f"<@!{viewer}>" in str(
        message.get("content") or ""
    )


def _groups_with(previous: Mapping[str, Any] | None, message: Mapping[str, Any]) -> bool:
    """Discord shows one author's messages within a few minutes under one author line."""
    if previous is None:
        return False
    if (previous.get("author") or {}).get("id") != (message.get("author") or {}).get("id"):
        return False
    if int(message.get("type") or 0) not in (0,) or message.get("interaction_metadata"):
        return False
    if int(previous.get("flags") or 0) & EPHEMERAL or int(message.get("flags") or 0) & EPHEMERAL:
        return False
    before, after = _parse_time(previous.get("timestamp")), _parse_time(message.get("timestamp"))
    return before is not None and after is not None and after - before < GROUP_WINDOW


# -- the page ---------------------------------------------------------------------------------

CSS = """
:root { color-scheme: dark; }
.theme-dark {
  --bg: #313338; --bg2: #2b2d31; --bg3: #1e1f22; --text: #dbdee1; --header: #f2f3f5;
  --muted: #949ba4; --link: #00a8fc; --embed: #2b2d31; --embed-border: #1e1f22;
  --code-bg: #2b2d31; --code-border: #1e1f22; --embed-code-bg: #1e1f22; --quote: #4e5058;
  --spoiler: #1e1f22; --mention-bg: rgba(88,101,242,.3); --mention: #c9cdfb;
  --btn-secondary: #4e5058; --input: #383a40; --select: #1e1f22; --select-border: #1e1f22;
  --hover: #2e3035; --divider: #3f4147; --chip: #2b2d31; --time-bg: rgba(255,255,255,.06);
  --sidebar-active: #404249; --channel: #949ba4;
}
.theme-light {
  color-scheme: light;
  --bg: #ffffff; --bg2: #f2f3f5; --bg3: #e3e5e8; --text: #313338; --header: #060607;
  --muted: #5c5e66; --link: #006ce7; --embed: #f2f3f5; --embed-border: #e3e5e8;
  --code-bg: #f2f3f5; --code-border: #e3e5e8; --embed-code-bg: #ffffff; --quote: #c4c9ce;
  --spoiler: #b5bac1; --mention-bg: rgba(88,101,242,.15); --mention: #505cdc;
  --btn-secondary: #6d6f78; --input: #ebedef; --select: #e3e5e8; --select-border: #e3e5e8;
  --hover: #f7f7f8; --divider: #e1e2e4; --chip: #f2f3f5; --time-bg: rgba(6,6,7,.06);
  --sidebar-active: #d7d9dc; --channel: #5c5e66;
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body {
  background: var(--bg); color: var(--text);
  font-family: "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif,
    "Noto Color Emoji";
  font-size: 16px; line-height: 1.375; -webkit-font-smoothing: antialiased;
}
code, pre { font-family: Consolas, "Andale Mono WT", "Andale Mono", "Lucida Console",
  "DejaVu Sans Mono", "Liberation Mono", monospace; }
.app { display: flex; min-height: 100%; }
.guilds { width: 72px; flex: none; background: var(--bg3); padding: 12px 0;
  display: flex; flex-direction: column; align-items: center; gap: 8px; }
.guild-icon { width: 48px; height: 48px; border-radius: 16px; background: #5865f2; color: #fff;
  display: flex; align-items: center; justify-content: center; font-weight: 600; font-size: 16px; }
.guild-icon.other { background: var(--bg); color: var(--text); border-radius: 50%; }
.sidebar { width: 240px; flex: none; background: var(--bg2); }
.sidebar-head { height: 48px; padding: 0 16px; display: flex; align-items: center;
  font-weight: 600; color: var(--header); border-bottom: 1px solid var(--bg3); }
.channel-list { padding: 12px 8px; }
.channel-cat { font-size: 12px; font-weight: 600; text-transform: uppercase; color: var(--muted);
  padding: 6px 8px; }
.channel-item { padding: 6px 8px; border-radius: 4px; color: var(--channel); font-weight: 500; }
.channel-item.active { background: var(--sidebar-active); color: var(--header); }
.channel-item .hash { margin-right: 6px; opacity: .7; }
.chat { flex: 1; min-width: 0; display: flex; flex-direction: column; }
.chat-head { height: 48px; padding: 0 16px; display: flex; align-items: center; gap: 8px;
  border-bottom: 1px solid var(--bg3); box-shadow: 0 1px 0 rgba(0,0,0,.1); }
.chat-head .hash { color: var(--muted); font-size: 22px; font-weight: 400; }
.chat-head .name { font-weight: 600; color: var(--header); white-space: nowrap; }
.chat-head .topic { color: var(--muted); font-size: 14px; border-left: 1px solid var(--divider);
  padding-left: 10px; margin-left: 4px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
.messages { padding: 16px 0 8px; flex: 1; }
.day-divider { position: relative; margin: 16px 16px 0; height: 0;
  border-top: 1px solid var(--divider); display: flex; justify-content: center; }
.day-divider span { position: relative; top: -9px; padding: 0 4px; background: var(--bg);
  color: var(--muted); font-size: 12px; font-weight: 600; line-height: 16px; }
.note { margin: 8px 16px; padding: 8px 12px; border-radius: 8px; border: 1px solid #da373c;
  background: rgba(218,55,60,.12); font-size: 14px; white-space: pre-wrap; }
.composer { padding: 0 16px 24px; }
.composer .input { background: var(--input); border-radius: 8px; padding: 11px 16px;
  color: var(--muted); font-size: 15px; }
.message { position: relative; padding: 2px 48px 2px 72px; margin-top: 17px; min-height: 44px;
  overflow-wrap: anywhere; }
.message.grouped { margin-top: 0; min-height: 0; }
.message.ephemeral { background: rgba(88,101,242,.05); }
.message.mentioned { background: rgba(250,168,26,.1); box-shadow: inset 2px 0 0 #f0b232; }
.gutter { position: absolute; left: 16px; }
.context-line + .gutter { top: 24px; }
.gutter, .context-line + .gutter { margin-top: 2px; }
.avatar, .avatar-mini { border-radius: 50%; color: #fff; display: flex; align-items: center;
  justify-content: center; font-weight: 600; flex: none; }
.avatar { font-size: 18px; }
.avatar-mini { font-size: 9px; margin-right: 4px; }
.author-line { display: flex; align-items: baseline; gap: 4px; flex-wrap: wrap; }
.username { font-weight: 500; color: var(--header); font-size: 16px; }
.app-tag { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; line-height: 15px;
  height: 15px; padding: 0 4px; border-radius: 3px; align-self: center; margin-left: 2px; }
.timestamp { font-size: 12px; color: var(--muted); margin-left: 4px; }
.context-line { position: relative; display: flex; align-items: center; font-size: 14px;
  color: var(--muted); margin-bottom: 2px; white-space: nowrap; min-width: 0; }
.context-line::before { content: ""; position: absolute; left: -36px; top: 50%; width: 33px;
  height: 12px; border-left: 2px solid var(--quote); border-top: 2px solid var(--quote);
  border-top-left-radius: 6px; }
.context-line .reply-name { color: var(--header); opacity: .85; font-weight: 500;
  margin-right: 4px; }
.context-line .reply-text { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.context-line .command-name { color: var(--link); margin-left: 4px; }
.context-line .reply-missing { font-style: italic; }
.body { font-size: 16px; }
.content { margin: 0; }
.edited { font-size: 10px; color: var(--muted); }
.md-p { white-space: normal; }
.md-blank { height: 6px; }
.md-h { font-weight: 700; color: var(--header); line-height: 1.375; margin: 8px 0 4px; }
.md-h:first-child { margin-top: 4px; }
.md-h1 { font-size: 24px; }
.md-h2 { font-size: 20px; }
.md-h3 { font-size: 16px; }
.md-sub { font-size: 12px; color: var(--muted); }
.md-quote { margin: 2px 0; padding: 0 8px 0 12px; border-left: 4px solid var(--quote);
  border-radius: 4px; }
.md-list { margin: 4px 0 4px 0; padding-left: 24px; }
.md-list li { margin: 2px 0; }
.md-code { background: var(--code-bg); border-radius: 4px; padding: 0 .2em; font-size: 85%;
  white-space: pre-wrap; }
.md-pre { position: relative; background: var(--code-bg); border: 1px solid var(--code-border);
  border-radius: 4px; padding: 8px 10px; margin: 6px 0; font-size: 14px; line-height: 1.125rem;
  white-space: pre-wrap; overflow-wrap: anywhere; max-width: 90ch; }
.md-pre code { font-size: 14px; }
.md-lang { display: block; font-size: 11px; letter-spacing: .02em; color: var(--muted);
  text-transform: lowercase; margin-bottom: 4px; font-family: "Noto Sans", sans-serif;
  font-weight: 600; }
.md-spoiler { background: var(--spoiler); color: transparent; border-radius: 3px;
  padding: 0 2px; }
.md-spoiler * { visibility: hidden; }
.md-link { color: var(--link); text-decoration: none; }
.md-time { background: var(--time-bg); border-radius: 3px; padding: 0 2px; }
.mention { background: var(--mention-bg); color: var(--mention); border-radius: 3px;
  padding: 0 2px; font-weight: 500; }
.embeds { display: grid; gap: 4px; margin-top: 2px; }
.embed { display: flex; max-width: 520px; background: var(--embed); border-radius: 4px;
  border-left: 4px solid var(--embed-border); padding: 8px 16px 16px 12px; gap: 16px; }
.embed-body { flex: 1; min-width: 0; display: grid; gap: 8px; padding-top: 2px; }
.embed-author { display: flex; align-items: center; gap: 8px; font-size: 14px; font-weight: 600;
  color: var(--header); }
.embed-author-icon { width: 24px; height: 24px; border-radius: 50%; object-fit: cover; }
.embed-title { font-size: 16px; font-weight: 600; color: var(--header); }
.embed-desc, .embed-field-value { font-size: 14px; line-height: 1.125rem; }
.embed .md-code, .container .md-code { background: var(--embed-code-bg); }
.embed .md-pre, .container .md-pre { background: var(--embed-code-bg); }
.embed .md-h1 { font-size: 20px; } .embed .md-h2 { font-size: 18px; }
.embed .md-h3 { font-size: 15px; }
.embed-fields { display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 8px; }
.embed-field-name { font-size: 14px; font-weight: 600; color: var(--header); margin-bottom: 2px; }
.embed-image img, .embed-image .missing-image { max-width: 100%; max-height: 300px;
  border-radius: 4px; display: block; }
.embed-thumb img, .embed-thumb .missing-image { width: 80px; height: 80px; object-fit: contain;
  border-radius: 4px; }
.embed-footer { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--text);
  opacity: .85; }
.embed-footer-icon { width: 20px; height: 20px; border-radius: 50%; }
.missing-image { display: flex; align-items: center; justify-content: center; min-height: 80px;
  min-width: 120px; background: var(--bg3); color: var(--muted); font-size: 12px; padding: 8px;
  border-radius: 4px; }
.attachments { display: flex; flex-direction: column; gap: 8px; margin-top: 8px;
  align-items: flex-start; }
.attachment-image img { display: block; max-width: min(550px, 100%); max-height: 350px;
  border-radius: 8px; }
.spoiler { position: relative; }
.spoiler::after { content: "SPOILER"; position: absolute; inset: 0; background: var(--spoiler);
  color: #fff; font-weight: 700; font-size: 14px; display: flex; align-items: center;
  justify-content: center; border-radius: 8px; letter-spacing: .05em; }
.file-chip { display: flex; align-items: center; gap: 10px; background: var(--chip);
  border: 1px solid var(--embed-border); border-radius: 8px; padding: 12px 16px; width: 432px;
  max-width: 100%; }
.file-name { color: var(--link); font-size: 16px; overflow-wrap: anywhere; }
.file-size { color: var(--muted); font-size: 12px; }
.components { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; margin-top: 8px; }
.embeds, .v2, .container, .section-text, .embed-body { grid-template-columns: minmax(0, 1fr); }
.action-row { display: flex; flex-wrap: wrap; gap: 8px; }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  min-width: 60px; height: 32px; padding: 2px 16px; border-radius: 8px; color: #fff;
  font-size: 14px; font-weight: 500; line-height: 16px; white-space: nowrap; user-select: none; }
.btn-primary { background: #5865f2; }
.btn-secondary { background: var(--btn-secondary); }
.btn-success { background: #248046; }
.btn-danger { background: #da373c; }
.btn-link { background: var(--btn-secondary); }
.btn-premium { background: #5865f2; }
.btn.disabled { opacity: .5; cursor: not-allowed; }
.btn .label { overflow: hidden; text-overflow: ellipsis; }
.emoji { font-family: "Noto Color Emoji", sans-serif; font-size: 16px; }
.select { display: flex; align-items: center; justify-content: space-between; width: 400px;
  max-width: 100%; min-width: 0; flex: 0 1 400px; min-height: 40px; padding: 8px 8px 8px 12px;
  background: var(--select);
  border: 1px solid var(--select-border); border-radius: 8px; font-size: 15px; }
.select-placeholder { color: var(--muted); }
.select-value { color: var(--text); }
.select-placeholder, .select-value { overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
.select .icon { color: var(--text); flex: none; }
.select.disabled { opacity: .5; }
.v2 { display: grid; gap: 8px; max-width: 600px; margin-top: 2px; }
.container { background: var(--embed); border: 1px solid var(--divider); border-radius: 8px;
  padding: 16px; display: grid; gap: 8px; }
.container.spoiler > * { visibility: hidden; }
.text-display { font-size: 16px; }
.container .text-display { font-size: 14px; }
.separator.small { height: 4px; } .separator.large { height: 12px; }
.separator.divider { border-top: 1px solid var(--divider); height: 0; margin: 4px 0; }
.separator.divider.large { margin: 12px 0; }
.section { display: flex; gap: 16px; align-items: flex-start; }
.section-text { flex: 1; min-width: 0; display: grid; gap: 8px; }
.section-accessory { flex: none; }
.thumb-img, .thumbnail .missing-image { width: 85px; height: 85px; object-fit: cover;
  border-radius: 8px; display: block; }
.gallery { display: grid; gap: 4px; border-radius: 8px; overflow: hidden; max-width: 520px; }
.gallery-1 { grid-template-columns: 1fr; }
.gallery-2, .gallery-4 { grid-template-columns: 1fr 1fr; }
.gallery-3 { grid-template-columns: 2fr 1fr; grid-template-rows: 1fr 1fr; }
.gallery-3 .gallery-item:first-child { grid-row: 1 / 3; }
.gallery-img, .gallery .missing-image { width: 100%; height: 100%; max-height: 320px;
  object-fit: cover; display: block; }
.unknown-component { font-size: 12px; color: var(--muted); font-style: italic; }
.thread-box { display: flex; align-items: center; gap: 8px; margin-top: 6px; padding: 8px 12px;
  background: var(--bg2); border-radius: 8px; max-width: 480px; font-size: 14px; }
.thread-name { font-weight: 600; color: var(--header); }
.thread-count { color: var(--link); font-weight: 600; margin-left: auto; }
.ephemeral-note { display: flex; align-items: center; gap: 4px; margin-top: 4px; font-size: 12px;
  color: var(--muted); }
.ephemeral-note .dismiss { color: var(--link); }
.ephemeral-note .sep { margin: 0 2px; }
.loading { color: var(--muted); font-size: 15px; font-style: italic; }
.dots i { display: inline-block; width: 5px; height: 5px; margin-left: 3px; border-radius: 50%;
  background: var(--muted); }
.system { display: flex; align-items: center; gap: 12px; padding-left: 28px; min-height: 0;
  color: var(--muted); font-size: 15px; }
.system .username { font-size: 15px; }
.system-icon { color: var(--muted); width: 32px; display: flex; justify-content: center; }
.icon { flex: none; }
@media (max-width: 700px) {
  .guilds, .sidebar { display: none; }
  .message { padding: 2px 12px 2px 60px; }
  .gutter { left: 10px; }
  .context-line::before { left: -28px; width: 25px; }
  .embed { padding: 8px 12px 12px 10px; }
  .chat-head .topic { display: none; }
  .md-pre { max-width: 100%; }
}
"""


def render_page(
    messages: Sequence[Mapping[str, Any]],
    *,
    bot_name: str = "Studybot",
    avatar_colour: str = "#5865f2",
    theme: str = "dark",
    names: Names | Mapping[str, Mapping[str, str]] | None = None,
    files: Mapping[str, bytes] | None = None,
    bot_id: str | None = None,
    viewer_id: str | None = None,
    server: str = "Study Server",
    channel: str = "general",
    channels: Sequence[str] = (),
    topic: str | None = None,
    notes: Sequence[str] = (),
    now: datetime | None = None,
    title: str | None = None,
) -> str:
    """The whole page: a Discord channel with `messages` (oldest first).

    `files` holds attachment bytes by attachment id (PNGs show inline); `names` resolves
    mentions; `viewer_id` is the member looking (their mentions are highlighted); `notes` are
    shown as red boxes above the messages (what went wrong while recording); `now` decides
    "Today at" and relative timestamps (default: the newest message's time).
    """
    if theme not in ("dark", "light"):
        raise ValueError(f"theme must be dark or light, not {theme!r}")
    stamps = [t for t in (_parse_time(m.get("timestamp")) for m in messages) if t is not None]
    ctx = Context(
        names=Names.of(names),
        files=files or {},
        bot_name=bot_name,
        avatar_colour=avatar_colour,
        bot_id=bot_id,
        now=now or (max(stamps) if stamps else datetime.now(UTC)),
        by_id={str(m.get("id")): m for m in messages},
    )
    body: list[str] = []
    previous: Mapping[str, Any] | None = None
    day = None
    for message in messages:
        moment = _parse_time(message.get("timestamp"))
        if moment is not None and moment.date() != day:
            day = moment.date()
            body.append(f'<div class="day-divider"><span>{esc(_long_date(moment))}</span></div>')
            previous = None
        grouped = _groups_with(previous, message)
        body.append(render_message(message, ctx, grouped=grouped, viewer=viewer_id))
        previous = message
    listed = list(dict.fromkeys([*channels, channel])) if channels else [channel]
    channel_items = "".join(
        f'<div class="channel-item{" active" if name == channel else ""}">'
        f'<span class="hash">#</span>{esc(name)}</div>'
        for name in listed
    )
    topic_html = f'<span class="topic">{esc(topic)}</span>' if topic else ""
    note_html = "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    initials = "".join(word[:1] for word in server.split()[:2]).upper() or "S"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title or f"#{channel}")}</title>
<style>{CSS}</style></head>
<body class="theme-{theme}">
<div class="app">
<nav class="guilds"><div class="guild-icon">{esc(initials)}</div>
<div class="guild-icon other">+</div></nav>
<aside class="sidebar"><div class="sidebar-head">{esc(server)}</div>
<div class="channel-list"><div class="channel-cat">Text channels</div>{channel_items}</div></aside>
<main class="chat">
<header class="chat-head"><span class="hash">#</span><span class="name">{esc(channel)}</span>
{topic_html}</header>
<div class="messages">
{note_html}
{"".join(body)}
</div>
<footer class="composer"><div class="input">Message #{esc(channel)}</div></footer>
</main>
</div>
</body></html>
"""
