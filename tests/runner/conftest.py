"""Real runners for the session, and the checks every hostile test ends with.

The server is `python -m bot.runner serve` in a subprocess, started with nothing in its
environment but two planted secrets: the runner must drop them (it re-executes itself with an
empty environment) before any snippet runs, and the tests look for them from inside the jail.
After every test a benign snippet must still give its exact answer, the server must still be
the same live process, and no process of a slot's uid may be left but the slot's idle worker.

The hostile suites run twice: against a runner with its per-slot cgroups ("cgroups") and
against one started with `--no-cgroups` ("no-cgroups"), which must be just as bounded by its
rlimits alone. Other runner tests use the first. Pytest groups the tests by runner, so only one
runs at a time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci import unavailable
from tests.runner.jailcheck import CANARY, SLOTS, Runner, leftovers

ROOT = Path(__file__).resolve().parents[2]


MODES = ("cgroups", "no-cgroups")
HOSTILE_MODULES = {"test_runner_hostile", "test_runner_sealed"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "runner" in metafunc.fixturenames and metafunc.module.__name__.split(".")[-1] in (
        HOSTILE_MODULES
    ):
        metafunc.parametrize("runner", MODES, indirect=True, scope="session")


def start_runner(
    tmp_path_factory: pytest.TempPathFactory, name: str, options: list[str]
) -> Iterator[Runner]:
    """A runner started as the bot would start one, with `options`; stopped afterwards."""
    log_path = tmp_path_factory.mktemp(f"runner-{name}") / "server.log"
    environment = {
        "STUDYBOT_DISCORD_TOKEN": CANARY,
        "STUDYBOT_DATABASE_URL": f"postgresql://bot:{CANARY}@db/studybot",
    }
    command = [
        sys.executable,
        "-m",
        "bot.runner",
        "serve",
        "--port",
        "0",
        "--slots",
        str(SLOTS),
        "--queue",
        "2",
        *options,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    url = None
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if match := re.search(r"listening on (http://\S+)", text):
            url = match.group(1)
            break
        if process.poll() is not None:
            if "refusing" in text:
                unavailable(f"the runner cannot isolate snippets on this machine: {text.strip()}")
            pytest.fail(f"the runner exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    if url is None:
        process.kill()
        pytest.fail(f"the runner did not start in 90 s:\n{log_path.read_text()}")
    health = Runner(url=url, pid=process.pid, log=log_path).health()
    server = Runner(
        url,
        process.pid,
        log_path,
        tuple(health.get("uids", ())),
        health.get("forkserver_pid"),
        bool(health.get("cgroups", True)),
    )
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def runner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runner]:
    """The session's runner of one mode (see the module docstring)."""
    mode = getattr(request, "param", "cgroups")
    options = ["--no-cgroups"] if mode == "no-cgroups" else []
    for server in start_runner(tmp_path_factory, mode, options):
        if mode == "cgroups" and os.geteuid() == 0 and not server.cgroups:
            unavailable(f"the runner has no cgroups here: {server.health().get('warning')}")
        yield server


@pytest.fixture(autouse=True)
def still_serving(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used the runner: a benign run works, the server lives, and no
    process lingers."""
    yield
    if "runner" not in request.fixturenames:
        return
    server: Runner = request.getfixturevalue("runner")
    assert os.path.exists(f"/proc/{server.pid}"), "the runner process died"
    assert server.health()["status"] == "ok"
    answer = server.run("print(6 * 7)")
    assert (answer["status"], answer["stdout"], answer["exit_code"]) == ("ok", "42\n", 0), answer
    if os.geteuid() == 0:
        deadline = time.monotonic() + 3
        while (left := leftovers(server)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"processes outlived their run: {left}"


@pytest.fixture
def slot_uids(runner: Runner) -> tuple[int, ...]:
    if not runner.uids:
        unavailable("slots have their own uids only when the runner runs as root")
    return runner.uids
