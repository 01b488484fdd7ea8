"""The `studybot` command as a user runs it: a real subprocess, piped input, its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.curriculum import loader
from bot.curriculum.generators import REGISTRY
from bot.curriculum.model import Curriculum

ROOT = Path(__file__).resolve().parent.parent


def load_curriculum() -> Curriculum:
    """The shipped roadmap, so counts in these tests follow the content instead of pinning it."""
    return loader.load_curriculum(ROOT / "content", ROOT / "quizzes")


def studybot(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, "COLUMNS": "100", **(env or {})},
        timeout=timeout,
        check=False,
    )


def test_piped_console_session_on_the_shipped_roadmap(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/studybot.db"
    script = "/help\n/roadmap\n/lesson\n/done\n/quiz linear-algebra\n/streak\n/leaderboard\n"
    result = studybot(
        "console",
        "--user",
        "ada",
        "--timezone",
        "Asia/Kolkata",
        stdin=script,
        env={"STUDYBOT_DATABASE_URL": url},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lessons = len(load_curriculum().lessons)
    assert "🗺️ The roadmap" in out and f"0 of {lessons} lessons done" in out
    assert f"lesson 1 of {lessons}" in out
    assert "✅ ada finished The ML stack, and the NumPy array under it" in out
    assert "❓ Linear algebra" in out
    assert "Days are counted in Asia/Kolkata" in out and "Current  1 day" in out
    assert "ada — 20 XP" in out
    assert "studybot>" not in out and "Traceback" not in out + result.stderr
    assert (tmp_path / "data" / "studybot.db").exists()  # created and migrated on first use


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = studybot(
        "console",
        stdin="/help\n",
        env={"STUDYBOT_DATABASE_URL": "postgresql://studybot:hunter2@127.0.0.1:1/studybot"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "postgresql+psycopg://studybot:***@127.0.0.1:1/studybot" in lines[0]
    assert "hunter2" not in result.stderr


def test_bad_setting_is_one_line() -> None:
    result = studybot("console", env={"STUDYBOT_LOG_LEVEL": "LOUD"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("studybot: STUDYBOT_LOG_LEVEL:")
    assert len(result.stderr.strip().splitlines()) == 1
    bad_url = studybot("console", env={"STUDYBOT_DATABASE_URL": "mysql://x@y/z"})
    assert bad_url.returncode == 2 and "unsupported database 'mysql'" in bad_url.stderr


def test_console_refuses_broken_content_with_path_and_line(tmp_path: Path) -> None:
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    for source in (ROOT / "quizzes").glob("*.yaml"):
        (quizzes / source.name).write_text(source.read_text())
    broken = quizzes / "numpy.yaml"
    broken.write_text(broken.read_text().replace("difficulty: 1", "difficulty: 9", 1))
    env = {
        "STUDYBOT_QUIZZES_DIR": str(quizzes),
        "STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/d.db",
    }
    result = studybot("console", stdin="/help\n", env=env)
    assert result.returncode == 2
    assert f"{broken}:" in result.stderr and "difficulty" in result.stderr
    assert "Traceback" not in result.stderr
    check = studybot("content", "check", "--quizzes", str(quizzes))
    assert check.returncode == 1 and check.stdout.strip().splitlines()[0].startswith(str(broken))


def test_content_check_summary_line() -> None:
    result = studybot("content", "check")
    assert result.returncode == 0
    curriculum = load_curriculum()
    assert result.stdout.strip() == (
        f"{len(curriculum.tracks)} tracks, {len(curriculum.lessons)} lessons, "
        f"{len(curriculum.items)} quiz items, {len(REGISTRY)} generators, "
        f"{len(curriculum.exercises)} exercises"
    )


def test_run_without_a_token_explains_and_exits_2() -> None:
    result = studybot("run", env={"STUDYBOT_DISCORD_TOKEN": ""})  # beats a developer's .env
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "studybot: set STUDYBOT_DISCORD_TOKEN (in the environment or .env) to run the bot"
    )


def test_db_commands_on_a_fresh_file(tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert studybot("db", "current", env=env).stdout.strip() == "base (empty)"
    assert studybot("db", "upgrade", env=env).stdout.strip() == "at revision 0007"
    assert studybot("db", "current", env=env).stdout.strip() == "0007"
    assert studybot("db", "downgrade", "base", env=env).stdout.strip() == "at revision base"


def test_console_runs_snippets_in_the_real_runner(tmp_path: Path) -> None:
    script = (
        "/run print(6*7)\n"
        "/run\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\nprint('drawn')\n/end\n"
        "/run import sys; sys.exit(3)\n"
        "/run print(np.zeros(2))\n"
        "/again\n"  # the same snippet sent again: the same hint again
        "/run\n"  # code that never got its /end: end of input runs what was typed
    )
    result = studybot(
        "console",
        "--timezone",
        "UTC",
        stdin=script,
        env={"STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "│  42" in out and "│  drawn" in out
    assert "❌ Exited with code 3" in out
    assert out.count("add import numpy as np at the top") == 2
    assert "There is no code to run." in out
    saved = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("saved ")]
    assert len(saved) == 1
    assert Path(saved[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
