"""The HTTP contract of issue #3: shapes, 400, 413, 503 with Retry-After."""

from __future__ import annotations

import json
import threading

import pytest

from tests.runner.jailcheck import Runner


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b"{}",
        json.dumps({"code": 3}).encode(),
        json.dumps({"code": "print(1)", "stdin": 5}).encode(),
        json.dumps({"code": "print(1)", "timeout_s": "soon"}).encode(),
        json.dumps({"code": "print(1)", "timeout_s": -1}).encode(),
        json.dumps({"code": "print(1)", "timeout_s": True}).encode(),
    ],
)
def test_malformed_requests_get_400(runner: Runner, body: bytes) -> None:
    status, _, answer = runner.request("POST", "/v1/run", body)
    assert status == 400
    assert isinstance(json.loads(answer)["error"], str)


def test_code_over_the_limit_gets_413(runner: Runner) -> None:
    status, _, answer = runner.post({"code": "#" * 20_001})
    assert status == 413
    assert "20000" in answer["error"]


def test_a_body_over_the_size_limit_gets_413(runner: Runner) -> None:
    status, _, _ = runner.request("POST", "/v1/run", b'{"code": "' + b"x" * 40_000_000 + b'"}')
    assert status == 413


def test_response_shape(runner: Runner) -> None:
    answer = runner.run("print('shape')")
    assert isinstance(answer["wall_ms"], int | float) and answer["wall_ms"] > 0
    assert isinstance(answer["cpu_ms"], int | float) and answer["cpu_ms"] >= 0
    assert answer["files"] == [] and answer["truncated"] is False
    assert "warning" not in answer


def test_a_full_queue_gets_503_with_retry_after(runner: Runner) -> None:
    """Two slots run (one may still be recycling), two requests wait (--queue 2); the rest
    are turned away at once."""
    results: list[tuple[int, dict[str, str]]] = []
    lock = threading.Lock()

    def post() -> None:
        status, headers, _ = runner.post({"code": "import time; time.sleep(0.6)"})
        with lock:
            results.append((status, headers))

    threads = [threading.Thread(target=post) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) >= 3
    assert 503 in statuses
    assert all(headers.get("Retry-After") == "1" for status, headers in results if status == 503)
