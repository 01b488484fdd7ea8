"""Skipping the real thing is fine on a laptop without it, never in CI.

With `CI=true` (as `.ci/run` and every CI service set it) a test that would skip because
PostgreSQL, the runner's isolation or root is missing fails instead, so CI cannot pass by
testing less than it claims.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip with `reason`, or fail with it in CI."""
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}", pytrace=False)
    pytest.skip(reason)


def skip_unless(condition: bool, reason: str) -> pytest.MarkDecorator:
    """`skipif(not condition)`, except that in CI the test runs (and fails) regardless."""
    return pytest.mark.skipif(not condition and not IN_CI, reason=reason)
