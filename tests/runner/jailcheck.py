"""Helpers for the runner tests: an HTTP client, and what the host can see of the slots."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

CANARY = "canary-7f3a9c1e5b2d"
SLOTS = 2


@dataclass(frozen=True)
class Runner:
    """A runner under test: its URL, the server's pid, its log, the slots' uids (root only),
    the fork server's pid, and whether it was started with cgroups."""

    url: str
    pid: int
    log: Path
    uids: tuple[int, ...] = ()
    forkserver: int | None = None
    cgroups: bool = True

    def request(
        self, method: str, path: str, body: bytes | None = None, timeout: float = 60
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, payload: object) -> tuple[int, dict[str, str], dict]:
        status, headers, body = self.request("POST", "/v1/run", json.dumps(payload).encode())
        return status, headers, json.loads(body)

    def run(self, code: str, stdin: str | None = None, timeout_s: float | None = None) -> dict:
        payload: dict[str, object] = {"code": code}
        if stdin is not None:
            payload["stdin"] = stdin
        if timeout_s is not None:
            payload["timeout_s"] = timeout_s
        status, _, body = self.post(payload)
        assert status == 200, body
        assert set(body) >= RESPONSE_FIELDS, body
        return body

    def health(self) -> dict:
        status, _, body = self.request("GET", "/v1/health")
        assert status == 200
        return json.loads(body)


RESPONSE_FIELDS = {
    "status",
    "exit_code",
    "stdout",
    "stderr",
    "truncated",
    "wall_ms",
    "cpu_ms",
    "files",
}


def _status_field(pid: str, name: str) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split()[1]
    except OSError:
        return None
    return None


def processes_of(uid: int) -> list[int]:
    """Host pids whose real uid is `uid` (the host's own view, not the jail's)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _status_field(entry, "Uid") == str(uid):
            found.append(int(entry))
    return found


def parent_of(pid: int) -> int | None:
    value = _status_field(str(pid), "PPid")
    return int(value) if value is not None else None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def leftovers(server: Runner) -> list[str]:
    """Slot-uid processes beyond each slot's one idle child (a direct child of the fork
    server)."""
    problems = []
    cloner = server.forkserver or server.pid  # a runner without a fork server forks itself
    for uid in server.uids:
        pids = processes_of(uid)
        strays = [p for p in pids if parent_of(p) != cloner]
        if strays or len(pids) > 1:
            problems += [f"uid {uid} pid {p}: {command_line(p)[:60]}" for p in pids]
    return problems
