"""`studybot sync` and `studybot run` as an operator runs them: a subprocess, against the fake."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyServer

ROOT = Path(__file__).resolve().parents[2]


async def studybot(
    fake: FakeDiscord, tmp_path: Path, *args: str, token: str = ""
) -> tuple[int, str, str]:
    """Run `python -m bot …` pointed at the fake, while this loop keeps serving the fake."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env = {
        **clean,
        "STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'studybot.db'}",
        "STUDYBOT_DISCORD_TOKEN": token or fake.token,
        "STUDYBOT_DISCORD_API_BASE": fake.api_base,
        "STUDYBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        "STUDYBOT_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_sync_registers_the_commands_in_one_server(
    fake_discord: FakeDiscord, study_server: StudyServer, tmp_path: Path
) -> None:
    guild = study_server.guild
    code, out, err = await studybot(fake_discord, tmp_path, "sync", "--guild", str(guild.id))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"synced 16 commands in server {guild.id}:"
    assert "  /admin content reload" in lines and "  /quiz [topic] [count]" in lines
    assert "  Run code (message menu)" in lines
    registered = {c["name"] for c in fake_discord.commands[guild.id]}
    assert len(registered) == 16 and {"admin", "daily", "remind", "Run code"} <= registered
    assert None not in fake_discord.commands or not fake_discord.commands[None]


async def test_run_with_a_refused_token_is_one_line(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    code, _out, err = await studybot(fake_discord, tmp_path, "run", token="not-the-token")
    assert code == 2
    assert err.strip().splitlines() == [
        "studybot: Discord refused the token (STUDYBOT_DISCORD_TOKEN); login failed"
    ]
