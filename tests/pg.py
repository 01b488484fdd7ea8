"""A throwaway PostgreSQL server for the test session, from the Debian binaries on the machine.

Tests must run against the real thing (BigInteger ids, time zones, transactional DDL differ from
SQLite), but without Docker or a shared server: `initdb` into a temp dir, start on a free loopback
port with durability off (the data dies with the session anyway), stop and delete at the end.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

# Settings for speed, not safety: every database here is thrown away.
_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
log_min_messages = warning
"""


class PostgresUnavailable(Exception):
    """No server for this session; the message is the reason the tests are skipped."""


def find_bindir(pattern: str = BIN_GLOB) -> Path | None:
    """The newest installed major version's bin dir (Debian puts each under its version)."""
    candidates = [
        path for path in Path("/").glob(pattern.lstrip("/")) if (path / "pg_ctl").is_file()
    ]

    def major(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())

    return max(candidates, key=major, default=None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


@dataclass
class PostgresServer:
    """One running cluster; `url(name)` for clients, `create_database`/`drop_database` for tests."""

    bindir: Path
    root: Path
    port: int = 0
    runuser: str | None = None  # set when we are root: initdb and postgres run as `postgres`
    started_in: float = 0.0  # seconds for initdb + start, for the report line
    owner_pid: int = field(default_factory=os.getpid)
    _running: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def _command(self, tool: str, *args: str) -> list[str]:
        """initdb and the server refuse to run as root; as root, run them as `postgres`."""
        argv = [str(self.bindir / tool), *args]
        return [self.runuser, "-u", SUPERUSER, "--", *argv] if self.runuser else argv

    def _run(self, tool: str, *args: str, timeout: float = 60.0) -> None:
        subprocess.run(
            self._command(tool, *args),
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def init(self) -> None:
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.datadir),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            )
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", None) or str(error)
            raise PostgresUnavailable(f"cannot run initdb: {_first_line(detail)}") from None
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(_CONF.format(sockets=self.root))

    def start(self, timeout: float = 30.0, attempts: int = 3) -> None:
        """Start on a free port; retry with another port if one was taken meanwhile."""
        began = time.monotonic()
        error: Exception | None = None
        for _ in range(attempts):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "--pgdata",
                    str(self.datadir),
                    "--log",
                    str(self.logfile),
                    "--wait",
                    "--timeout",
                    str(int(timeout)),
                    "-o",
                    f"-p {self.port}",
                    timeout=timeout + 5,
                )
            except (OSError, subprocess.SubprocessError) as failed:
                error = failed
                continue
            self._running = True
            self._wait_ready(began + timeout)
            return
        raise PostgresUnavailable(f"cannot start PostgreSQL: {self._log_tail() or error}")

    def _wait_ready(self, deadline: float) -> None:
        """pg_ctl --wait already waited; connect once to be sure TCP answers, bounded."""
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresUnavailable(f"PostgreSQL did not answer: {error}") from None
                time.sleep(0.05)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def admin(self, statements: Sequence[sql.Composable]) -> None:
        """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
        with psycopg.connect(self.url(), autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self.admin([statement])
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """FORCE: a test that leaked a connection must not leak the database too."""
        self.admin(
            [sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))]
        )

    def stop(self) -> None:
        """Stop at once and delete everything; safe to call twice (finalizer and atexit).

        A forked child (runner tests fork) inherits atexit and signal handlers: only the
        process that started the server may stop it.
        """
        if os.getpid() != self.owner_pid:
            return
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "stop", "--pgdata", str(self.datadir), "-m", "immediate")
            except (OSError, subprocess.SubprocessError):
                self._kill_postmaster()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        """Last resort when pg_ctl fails: the pid we started, from its own pid file."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def _make_root() -> tuple[Path, str | None]:
    """A private temp dir, and as root the runuser to use: initdb refuses to run as root."""
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix="studybot-pg-")), None
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise PostgresUnavailable("cannot run initdb: running as root and runuser is not installed")
    try:
        user = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            f"cannot run initdb: running as root and there is no {SUPERUSER!r} user to run it as"
        ) from None
    root = Path(tempfile.mkdtemp(prefix="studybot-pg-"))
    os.chown(root, user.pw_uid, user.pw_gid)
    return root, runuser


def _stop_on_sigterm(server: PostgresServer) -> None:
    """A killed test run (CI timeout) skips atexit; stop the server, then die as asked."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return  # someone else handles SIGTERM; finalizer and atexit still cover a normal end

    def handler(signum: int, _frame: object) -> None:
        server.stop()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, handler)


def start_postgres(timeout: float = 30.0) -> PostgresServer:
    """initdb + start; raises PostgresUnavailable with the reason when that cannot be done."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(f"PostgreSQL binaries not found under {BIN_GLOB}")
    root, runuser = _make_root()
    server = PostgresServer(bindir=bindir, root=root, runuser=runuser)
    atexit.register(server.stop)  # also when the session dies before its finalizer runs
    _stop_on_sigterm(server)
    began = time.monotonic()
    try:
        server.init()
        server.start(timeout=timeout)
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - began
    return server
