"""Fixtures shared by every test folder."""

import os
import shutil

import pytest


def _find_tool(candidates, skip_variable, how):
    """The first of `candidates` (names on PATH or paths) that exists; otherwise skip if
    `skip_variable`=1, else fail with `how` (the install instructions)."""
    for candidate in candidates:
        found = shutil.which(str(candidate))
        if found:
            return found
    if os.environ.get(skip_variable) == "1":
        pytest.skip(f"{skip_variable}=1 and none of {[str(c) for c in candidates]} found")
    pytest.fail(f"{how}, or set {skip_variable}=1 to skip this test.")


@pytest.fixture
def external_tool():
    """`external_tool(candidates, skip_variable, how)` -> path of an external program the test needs."""
    return _find_tool


def pytest_collection_modifyitems(config, items):
    """Files with the most `slow` tests first (stable otherwise).

    The test command runs pytest-xdist with `--dist loadfile`: a file runs on
    one worker, handed out in collection order, so a long file collected last
    leaves the other worker idle (measured: ~100 s of a 26-minute run).
    """
    slow = {}
    for item in items:
        slow[item.path] = slow.get(item.path, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda item: -slow[item.path])
