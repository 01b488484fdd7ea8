"""An HTML page to a PNG with headless Chromium (Debian's `chromium` package), full page height.

Chromium is started the way its documentation suggests for headless screenshots: `--headless`,
`--screenshot=PATH`, `--window-size=W,H`, `--disable-gpu`, `--hide-scrollbars`, `--no-sandbox`
when running as root, a throwaway `--user-data-dir`, and everything that would reach the
network turned off. The page height is measured first, in a `--dump-dom` run of a copy of the
page whose script writes its laid-out height into the DOM, so the PNG is exactly the page.

Headless Chromium keeps its window at least 500 px wide (MIN_WINDOW). A narrower width (the
420 px "phone") is laid out at that CSS width inside the window (the page's root is pinned to
it) and the PNG cropped to it with Pillow, which the venv has through matplotlib.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
#: Chromium draws nothing past this height in one screenshot (its texture limit); taller pages
#: are cut there, and say so.
MAX_HEIGHT = 16_000
MIN_HEIGHT = 200
MIN_WINDOW = 500  # headless Chromium's narrowest window
TIMEOUT = 90.0

_MEASURE = (
    "<script>addEventListener('load', function () {"
    "var r = document.documentElement.getBoundingClientRect();"
    "document.documentElement.setAttribute('data-shot-height',"
    " Math.ceil(Math.max(r.height, document.documentElement.scrollHeight)));"
    "document.documentElement.setAttribute('data-shot-width', Math.round(r.width));"
    "});</script>"
)
_HEIGHT = re.compile(r'data-shot-height="(\d+)"')
_WIDTH = re.compile(r'data-shot-width="(\d+)"')


class ChromiumError(RuntimeError):
    """Chromium is missing and could not be installed, or it failed on a page."""


@dataclass(frozen=True)
class Shot:
    path: Path
    width: int
    height: int
    #: The page was taller than MAX_HEIGHT and the PNG stops there.
    cut: bool = False


def find_chromium() -> str | None:
    """Chromium's path: $STUDYBOT_CHROMIUM, else the first of CANDIDATES on PATH."""
    named = os.environ.get("STUDYBOT_CHROMIUM")
    if named:
        return named
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


#: Debian packages: the browser, and fonts close to Discord's (Noto Sans) with colour emoji.
PACKAGES = ("chromium", "fonts-noto-core", "fonts-noto-color-emoji")
FONTS = ("Noto Sans", "Noto Color Emoji")


def _apt_install(packages: Iterable[str]) -> subprocess.CompletedProcess[str] | None:
    """apt-get install as root (apt-get update and again if the first try fails); None when
    this is not root on Debian."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", *packages]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return done


def missing_fonts() -> list[str]:
    """Which of FONTS fontconfig does not know (all of them if it cannot be asked)."""
    if shutil.which("fc-list") is None:
        return list(FONTS)
    families = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    return [font for font in FONTS if font not in families]


def ensure_chromium(*, install: bool = True) -> str:
    """Chromium's path; installs Debian's `chromium` (and the fonts) with apt-get when it is
    missing, as root. Missing fonts alone are installed if possible, else pages fall back to
    DejaVu and emoji show as boxes."""
    found = find_chromium()
    if found is None:
        if not install:
            raise ChromiumError("Chromium is not installed (apt-get install -y chromium)")
        done = _apt_install(PACKAGES)
        if done is None:
            raise ChromiumError("Chromium is not installed; as root: apt-get install -y chromium")
        found = find_chromium()
        if done.returncode != 0 or not found:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise ChromiumError(f"apt-get install -y chromium failed:\n{tail}")
    elif install and missing_fonts():
        _apt_install(PACKAGES[1:])
    return found


def chromium_args(user_data_dir: str) -> list[str]:
    """The flags every run gets: headless, no GPU, no network chatter, a throwaway profile."""
    args = [
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--mute-audio",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--force-device-scale-factor=1",
        "--force-color-profile=srgb",
        f"--user-data-dir={user_data_dir}",
    ]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


def _run(command: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as error:
        raise ChromiumError(f"Chromium took over {TIMEOUT:.0f} s to {what}") from error
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise ChromiumError(f"Chromium failed to {what} (exit {done.returncode}):\n{tail}")
    return done


def pinned(html: str, width: int) -> str:
    """The page with its root pinned to `width` CSS px when the window must be wider."""
    if width >= MIN_WINDOW:
        return html
    style = f"<style>html {{ width: {width}px; overflow: hidden; }}</style>"
    return html.replace("</head>", style + "</head>", 1)


def measure(html: str, width: int, *, chromium: str | None = None) -> int:
    """The page's laid-out height in CSS pixels at `width`."""
    binary = chromium or ensure_chromium()
    page = pinned(html, width).replace("</body>", _MEASURE + "</body>", 1)
    with tempfile.TemporaryDirectory(prefix="screens-measure-") as folder:
        path = Path(folder) / "page.html"
        path.write_text(page, encoding="utf-8")
        profile = Path(folder) / "profile"
        command = [
            binary,
            *chromium_args(str(profile)),
            f"--window-size={max(width, MIN_WINDOW)},{MIN_HEIGHT}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            path.as_uri(),
        ]
        done = _run(command, f"lay out the page at {width} px")
    found = _HEIGHT.search(done.stdout)
    if found is None:
        raise ChromiumError("the measuring script did not run (no height in the dumped DOM)")
    shown = _WIDTH.search(done.stdout)
    if shown is not None and int(shown.group(1)) != width:
        raise ChromiumError(f"Chromium laid the page out {shown.group(1)} px wide, not {width}")
    return max(MIN_HEIGHT, int(found.group(1)))


def shoot(html: str, out: Path, width: int, *, chromium: str | None = None) -> Shot:
    """Write a PNG of the whole page at CSS width `width` to `out`."""
    binary = chromium or ensure_chromium()
    height = measure(html, width, chromium=binary)
    cut = height > MAX_HEIGHT
    height = min(height, MAX_HEIGHT)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screens-shot-") as folder:
        path = Path(folder) / "page.html"
        path.write_text(pinned(html, width), encoding="utf-8")
        profile = Path(folder) / "profile"
        target = Path(folder) / "shot.png"
        command = [
            binary,
            *chromium_args(str(profile)),
            f"--window-size={max(width, MIN_WINDOW)},{height}",
            "--virtual-time-budget=2000",
            f"--screenshot={target}",
            path.as_uri(),
        ]
        _run(command, f"screenshot the page at {width}x{height}")
        if not target.exists():
            raise ChromiumError("Chromium exited without writing the screenshot")
        if width < MIN_WINDOW:
            crop(target, width, height)
        shutil.move(str(target), out)
    size = png_size(out)
    if size != (width, height):
        raise ChromiumError(f"the PNG is {size[0]}x{size[1]}, not {width}x{height}")
    return Shot(out, width, height, cut)


def crop(path: Path, width: int, height: int) -> None:
    """Keep the top-left `width` x `height` of a PNG, in place."""
    from PIL import Image

    with Image.open(path) as image:
        kept = image.crop((0, 0, width, height))
    kept.save(path, optimize=True)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = Path(path).read_bytes()[:24]
    if not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        raise ChromiumError(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
