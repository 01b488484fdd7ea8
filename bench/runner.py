"""The runner against a fresh interpreter, side by side: `python bench/runner.py`.

Starts its own runner (`python -m bot.runner serve`, empty environment, a free loopback port),
times four snippets through `POST /v1/run` and through a fresh `python -c` with no isolation at
all, prints the median latencies and their ratios against the issue's targets, the throughput of
numpy+pandas runs with two concurrent clients, and the warm parent's resident memory. Every loop
is bounded; all traffic stays on loopback.

The runner's latency is shown twice: "idle" is one request on a runner whose slots are armed
(requests 0.2 s apart: a member's snippet on a quiet server), "back-to-back" is one client
posting the next request as soon as the last answered, so every request also waits for the
slot it lands on to be re-armed (a 200 MiB clone plus cgroup moves, ~25 ms).
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SNIPPETS: dict[str, str] = {
    "print": "print(1)",
    "numpy+pandas": (
        "import numpy as np\nimport pandas as pd\n"
        "df = pd.DataFrame({'g': np.arange(1000) % 7, 'v': np.linspace(0, 1, 1000)})\n"
        "print(df.groupby('g')['v'].mean().round(3).to_dict())\n"
    ),
    "sklearn fit": (
        "from sklearn.datasets import load_iris\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "X, y = load_iris(return_X_y=True)\n"
        "model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)\n"
        "print(model.score(X, y))\n"
    ),
    "matplotlib PNG": (
        "import numpy as np\nimport matplotlib.pyplot as plt\n"
        "x = np.linspace(0, 6.3, 200)\nplt.plot(x, np.sin(x))\nplt.title('sine')\n"
    ),
}
# The runner renders open figures itself; a fresh interpreter must be told to, for the same work.
FRESH_SUFFIX = {"matplotlib PNG": "\nimport io\nplt.gcf().savefig(io.BytesIO(), format='png')\n"}
TARGETS = {"numpy+pandas": 1 / 20, "sklearn fit": 1 / 20, "matplotlib PNG": 1 / 5}
RUNNER_REPEATS = 21
IDLE_GAP_S = 0.2
FRESH_REPEATS = {"print": 5, "numpy+pandas": 5, "sklearn fit": 3, "matplotlib PNG": 3}
THROUGHPUT_SECONDS = 4.0
THROUGHPUT_MAX_RUNS = 400
THROUGHPUT_TARGET = 20.0


class Runner:
    """A runner process of our own, and a keep-alive connection per thread."""

    def __init__(self) -> None:
        self.log = Path(tempfile.mkstemp(prefix="runner-bench-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.runner", "serve", "--port", "0", "--slots", "2"],
                cwd=ROOT,
                env={},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while not (match := re.search(r"http://([\d.]+):(\d+)", self.log.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the runner did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        self.host, self.port = match.group(1), int(match.group(2))
        self._local = threading.local()

    def run(self, code: str) -> tuple[float, dict]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self._local.connection = connection
        body = json.dumps({"code": code}).encode()  # bytes: one packet with the headers
        started = time.perf_counter()
        connection.request("POST", "/v1/run", body, {"Content-Type": "application/json"})
        answer = json.loads(connection.getresponse().read())
        return time.perf_counter() - started, answer

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.unlink()


def fresh(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env={}, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    runner = Runner()
    try:
        idle: dict[str, float] = {}
        busy: dict[str, float] = {}
        for name, code in SNIPPETS.items():
            for _ in range(3):
                _, answer = runner.run(code)
                if answer.get("status") != "ok":
                    raise SystemExit(f"{name} failed in the runner: {answer}")
            samples = []
            for _ in range(RUNNER_REPEATS):
                time.sleep(IDLE_GAP_S)
                samples.append(runner.run(code)[0])
            idle[name] = statistics.median(samples)
            busy[name] = statistics.median(runner.run(code)[0] for _ in range(RUNNER_REPEATS))
        cold = {
            name: statistics.median(
                fresh(code + FRESH_SUFFIX.get(name, "")) for _ in range(FRESH_REPEATS[name])
            )
            for name, code in SNIPPETS.items()
        }
        runs, seconds = throughput(runner, SNIPPETS["numpy+pandas"])
        rss = runner.rss_mib()
    finally:
        runner.stop()

    print(
        f"{'':<16}{'runner, ms':>22}{'fresh python':>14}{'ratio':>16}{'target':>8}\n"
        f"{'snippet':<16}{'idle':>10}{'back-to-back':>13}{'ms':>13}"
        f"{'idle':>9}{'b-to-b':>8}{'':>8}"
    )
    for name in SNIPPETS:
        target = TARGETS.get(name)
        cells = []
        for runner_s in (idle[name], busy[name]):
            ratio = runner_s / cold[name]
            mark = "" if target is None else ("" if ratio <= target else "!")
            cells.append(f"1/{cold[name] / runner_s:.0f}{mark}")
        shown = "" if target is None else f"1/{round(1 / target)}"
        print(
            f"{name:<16}{idle[name] * 1000:>10.1f}{busy[name] * 1000:>13.1f}"
            f"{cold[name] * 1000:>13.1f}{cells[0]:>9}{cells[1]:>8}{shown:>8}"
        )
    rate = runs / seconds
    verdict = "ok" if rate >= THROUGHPUT_TARGET else "MISSED"
    print(
        f"throughput, numpy+pandas, 2 clients: {rate:.1f} runs/s "
        f"({runs} runs in {seconds:.1f} s; target >= {THROUGHPUT_TARGET:.0f}) {verdict}"
    )
    print(f"warm parent RSS: {rss:.0f} MiB")
    print(
        f"(medians of {RUNNER_REPEATS} runner runs each way after 3 warm-ups, and of "
        f"{min(FRESH_REPEATS.values())}-{max(FRESH_REPEATS.values())} fresh interpreters; "
        "runner latency is the client's round trip on loopback; ! = ratio above the target)"
    )


def throughput(runner: Runner, code: str) -> tuple[int, float]:
    """Two clients, each posting the next run as soon as its last one answered."""
    counts = [0, 0]
    failures: list[dict] = []
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    def client(index: int) -> None:
        while time.perf_counter() < deadline and sum(counts) < THROUGHPUT_MAX_RUNS:
            _, answer = runner.run(code)
            if answer.get("status") != "ok":
                failures.append(answer)
                return
            counts[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"a throughput run failed: {failures[0]}")
    return sum(counts), time.perf_counter() - started


if __name__ == "__main__":
    main()
