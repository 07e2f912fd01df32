"""SIGKILL `tanji serve` at random moments under load: nothing acknowledged lost, nothing twice.

The driver is :mod:`tests.registry.crashloop`; ``bench/crash_serve.py`` runs it with 50 kills
or more. Here the counts are modest, with a fixed seed so a failure can be replayed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nodes import HARDHAT_KEY_0
from tests.registry.crashloop import CrashPlan, KillPoint, run_crash_loop

pytestmark = [
    pytest.mark.slow,
]


def show(number: int, point: KillPoint) -> None:
    print(f"kill {number}: {point}")


def test_kill_9_eight_times_on_the_embedded_chain(tmp_path: Path) -> None:
    # Seed 23: three of the eight kills are planned for while the server starts.
    report = run_crash_loop(tmp_path / "data", CrashPlan(kills=8, seed=23), progress=show)
    print(report.summary())
    print(report.coverage())
    assert report.failures == []
    assert (report.kills, report.lost, report.anchored_twice) == (8, 0, 0)
    assert report.acknowledged > 0 and report.batches > 0


@pytest.mark.hardhat
def test_kill_9_on_hardhat(tmp_path: Path, hardhat_url: str) -> None:
    # Hardhat's chain lives in the node, which survives the server's kills.
    plan = CrashPlan(kills=4, seed=15, rpc_url=hardhat_url, signer_key=HARDHAT_KEY_0)
    report = run_crash_loop(tmp_path / "data", plan, progress=show)
    print(report.summary())
    assert report.failures == []
    assert (report.kills, report.lost, report.anchored_twice) == (4, 0, 0)
    assert report.acknowledged > 0 and report.batches > 0
