"""`python -m tests.fakediscord.screens --out DIR [--theme dark|light] [--checkout PATH]`

Runs the member stories against the bot on the fake and writes, for each screen,
`DIR/<screen>.json` (the recorded messages) and `DIR/<screen>-desktop.png` (1280 CSS px) and
`DIR/<screen>-phone.png` (420 CSS px), shot with headless Chromium.

  --checkout PATH   run the stories against another checkout's bot (e.g. a `git worktree` of an
                    older commit); the fake, the renderer and the shots are this checkout's
  --screens a,b     only these screens (default: all)
  --render-only     re-render DIR's existing JSON files (another theme, say), no bot
  --record-only     write the JSON files, no screenshots
  --html            also keep `DIR/<screen>.html`
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

from tests.fakediscord.screens import drive


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakediscord.screens",
        description="Screenshots of Studybot's screens, from member stories on the fake Discord.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for JSON and PNG files")
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    parser.add_argument("--checkout", type=Path, help="run the stories with this checkout's bot")
    parser.add_argument(
        "--screens",
        default=",".join(drive.SCREENS),
        help=f"comma-separated, from {','.join(drive.SCREENS)}",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--render-only", action="store_true", help="shoot DIR's JSON files again")
    mode.add_argument("--record-only", action="store_true", help="write JSON, no screenshots")
    parser.add_argument("--html", action="store_true", help="keep the HTML pages too")
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        filename=str(_log_file(args.out)),
    )
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("%(message)s"))
    drive.log.addHandler(progress)
    drive.log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    drive.log.propagate = False
    screens = [s.strip() for s in args.screens.split(",") if s.strip()]
    unknown = [s for s in screens if s not in drive.PLANS]
    if unknown:
        print(f"unknown screens {unknown}; known: {', '.join(drive.SCREENS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    out: Path = args.out
    if args.render_only:
        paths = _written(out, screens)
    elif args.checkout is not None:
        _forget(out, screens)
        drive.record_checkout(args.checkout, out, screens, quiet=args.quiet)
        paths = _written(out, screens)
    else:
        import bot

        _forget(out, screens)
        source = drive.source_of(Path(bot.__file__).resolve().parent.parent)
        recordings = asyncio.run(drive.record(screens, source=source))
        paths = drive.write_recordings(recordings, out)
        failed = sum(1 for r in recordings if r.notes)
        drive.log.info(
            "recorded %d screens from %s in %.1f s%s",
            len(recordings),
            source.get("label"),
            time.monotonic() - started,
            f" ({failed} with notes)" if failed else "",
        )
    if args.record_only:
        return 0
    from tests.fakediscord.screens.shoot import ChromiumError

    try:
        drive.shoot_recordings(paths, out, theme=args.theme, keep_html=args.html)
    except ChromiumError as error:
        print(f"no screenshots: {error}", file=sys.stderr)
        return 1
    drive.log.info("done in %.1f s: %s", time.monotonic() - started, out)
    return 0


def _log_file(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    return out / "screens.log"


def _written(out: Path, screens: list[str]) -> list[Path]:
    """The JSON files of these screens (and their extra frames) in `out`."""
    paths = []
    for screen in screens:
        paths += sorted(p for p in out.glob(f"{screen}*.json") if _is_frame_of(p.stem, screen))
    return paths


def _forget(out: Path, screens: list[str]) -> None:
    """Remove what an earlier run wrote for these screens (a frame this run may not make)."""
    for screen in screens:
        for path in out.glob(f"{screen}*"):
            stem = path.name.split(".")[0].removesuffix("-desktop").removesuffix("-phone")
            if _is_frame_of(stem, screen) and path.suffix in (".json", ".png", ".html"):
                path.unlink()


def _is_frame_of(stem: str, screen: str) -> bool:
    frame = stem[len(screen) + 1 :]
    return stem == screen or (stem.startswith(screen + "-") and frame in drive.FRAMES)


if __name__ == "__main__":
    sys.exit(main())
