"""The runner beside a fresh interpreter and beside the floor: `python bench/runner.py`.

Starts its own runner (`python -m bot.runner serve`, empty environment, a free loopback port,
two slots, cgroups as the host allows), and times five snippets three ways:
  - runner: the client's round trip of `POST /v1/run` on loopback, on a quiet runner (requests
    0.2 s apart, so the slot is armed again: a member's snippet on a quiet server), p50 and p95;
    and back-to-back (the next request as soon as the last answered, so it also waits for the
    slot it lands on to be armed again), p50;
  - fresh: a fresh `python -c` with no isolation at all, median;
  - floor: the same snippet exec'd in an interpreter already warmed exactly as the fork server
    is (`forkserver.preload`), with no isolation, no process and no HTTP, its open figures
    rendered to PNG as the runner does: the least any runner could take, median.
Then the runner's fixed cost over the floor (runner p50 minus floor), the ratio to a fresh
interpreter against the issue's targets, the throughput of numpy+pandas runs with two
concurrent clients, and the resident memory of the server process and of the fork server.
Every loop is bounded; all traffic stays on loopback.
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
    "seaborn PNG": (
        "import numpy as np\nimport seaborn as sns\n"
        "sns.histplot(np.random.default_rng(0).normal(size=500), kde=True)\n"
    ),
}
PNG_SNIPPETS = {"matplotlib PNG", "seaborn PNG"}
# A fresh interpreter must be told to render, for the same work as the runner.
RENDER = "\nimport io, matplotlib.pyplot as _plt\n_plt.gcf().savefig(io.BytesIO(), format='png')\n"
TARGETS = {"numpy+pandas": 1 / 20, "sklearn fit": 1 / 20, "matplotlib PNG": 1 / 5}
TARGETS["seaborn PNG"] = 1 / 5
RUNNER_REPEATS = 21
IDLE_GAP_S = 0.2
FRESH_REPEATS = 3
FLOOR_REPEATS = 21
THROUGHPUT_SECONDS = 4.0
THROUGHPUT_MAX_RUNS = 400

# Runs in a subprocess: warm exactly as the fork server does, then exec each snippet.
FLOOR = """
import io, json, sys, time
from bot.runner.forkserver import preload
preload()
import matplotlib.pyplot as plt
snippets, repeats = json.loads(sys.stdin.read())
times = {}
for name, code in snippets.items():
    samples = []
    for _ in range(repeats + 2):
        started = time.perf_counter()
        exec(compile(code, '<snippet>', 'exec'), {'__name__': '__main__'})
        for number in plt.get_fignums():
            plt.figure(number).savefig(io.BytesIO(), format='png')
            plt.close(number)
        samples.append(time.perf_counter() - started)
    times[name] = sorted(samples[2:])[len(samples[2:]) // 2]
sys.stdout = sys.__stdout__
print(json.dumps(times))
"""


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
        self.health = self.get("/v1/health")

    def connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self._local.connection = connection
        return connection

    def get(self, path: str) -> dict:
        connection = self.connection()
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())

    def run(self, code: str) -> tuple[float, dict]:
        connection = self.connection()
        body = json.dumps({"code": code}).encode()  # bytes: one packet with the headers
        started = time.perf_counter()
        connection.request("POST", "/v1/run", body, {"Content-Type": "application/json"})
        answer = json.loads(connection.getresponse().read())
        return time.perf_counter() - started, answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.unlink()


def rss_mib(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fresh(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env={}, check=True, capture_output=True)
    return time.perf_counter() - started


def floor() -> dict[str, float]:
    """The floor renders the figures left open, as the runner's child does (no RENDER)."""
    done = subprocess.run(
        [sys.executable, "-c", FLOOR],
        input=json.dumps([SNIPPETS, FLOOR_REPEATS]),
        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    runner = Runner()
    try:
        p50: dict[str, float] = {}
        p95: dict[str, float] = {}
        busy: dict[str, float] = {}
        for name, code in SNIPPETS.items():
            for _ in range(3):
                _, answer = runner.run(code)
                if answer.get("status") != "ok":
                    raise SystemExit(f"{name} failed in the runner: {answer}")
                if name in PNG_SNIPPETS and len(answer["files"]) != 1:
                    raise SystemExit(f"{name} returned no PNG: {answer}")
            samples = []
            for _ in range(RUNNER_REPEATS):
                time.sleep(IDLE_GAP_S)
                samples.append(runner.run(code)[0])
            p50[name], p95[name] = percentile(samples, 0.5), percentile(samples, 0.95)
            busy[name] = statistics.median(runner.run(code)[0] for _ in range(RUNNER_REPEATS))
        runs, seconds = throughput(runner, SNIPPETS["numpy+pandas"])
        server_rss = rss_mib(runner.process.pid)
        forkserver_rss = rss_mib(runner.health.get("forkserver_pid"))
        cgroups = runner.health.get("cgroups")
    finally:
        runner.stop()
    cold = {
        name: statistics.median(
            fresh(code + (RENDER if name in PNG_SNIPPETS else "")) for _ in range(FRESH_REPEATS)
        )
        for name, code in SNIPPETS.items()
    }
    least = floor()

    print(
        f"{'':<15}{'runner, ms':>24}{'fresh':>9}{'floor':>8}{'fixed cost':>12}"
        f"{'runner/fresh':>14}{'target':>8}\n"
        f"{'snippet':<15}{'p50':>8}{'p95':>8}{'b-to-b':>8}{'ms':>9}{'ms':>8}"
        f"{'p50-floor, ms':>14}{'p50':>10}{'':>10}"
    )
    for name in SNIPPETS:
        target = TARGETS.get(name)
        ratio = p50[name] / cold[name]
        mark = "" if target is None or ratio <= target else " MISSED"
        shown = "" if target is None else f"1/{round(1 / target)}"
        print(
            f"{name:<15}{p50[name] * 1000:>8.1f}{p95[name] * 1000:>8.1f}{busy[name] * 1000:>8.1f}"
            f"{cold[name] * 1000:>9.0f}{least[name] * 1000:>8.1f}"
            f"{(p50[name] - least[name]) * 1000:>14.1f}"
            f"{'1/' + format(cold[name] / p50[name], '.0f'):>10}{shown:>8}{mark}"
        )
    print(
        f"throughput, numpy+pandas, 2 clients, 2 slots: {runs / seconds:.1f} runs/s "
        f"({runs} runs in {seconds:.1f} s)"
    )
    print(f"resident memory: server {server_rss:.0f} MiB, fork server {forkserver_rss:.0f} MiB")
    print(
        f"(cgroups: {cgroups}; runner p50/p95 of {RUNNER_REPEATS} runs {IDLE_GAP_S} s apart "
        f"after 3 warm-ups, b-to-b the median of {RUNNER_REPEATS} back-to-back; fresh the median "
        f"of {FRESH_REPEATS}; floor the median of {FLOOR_REPEATS} in a warm interpreter; "
        "latency is the client's round trip on loopback)"
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
