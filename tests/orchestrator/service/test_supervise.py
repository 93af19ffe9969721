"""The driver's supervisor: a crashed driver is restarted, a driver's own ending is final."""

from __future__ import annotations

import signal
import sys

from orchestrator.service.supervise import describe, supervise

# A child that kills itself with SIGKILL the first ``n`` times (counted in a file), then exits 0.
CRASHY = """
import os, signal, sys
count = int(open(sys.argv[1]).read() or 0) if os.path.exists(sys.argv[1]) else 0
open(sys.argv[1], "w").write(str(count + 1))
if count < int(sys.argv[2]):
    os.kill(os.getpid(), signal.SIGKILL)
"""


def run(tmp_path, crashes: int, restarts: int) -> tuple[int, int, list[str]]:
    said: list[str] = []
    counter = tmp_path / "count"
    argv = [sys.executable, "-c", CRASHY, str(counter), str(crashes)]
    code = supervise(argv, restarts=restarts, say=said.append, pause=0)
    return code, int(counter.read_text()), said


def test_a_driver_killed_by_a_signal_is_restarted_and_the_job_goes_on(tmp_path):
    code, runs, said = run(tmp_path, crashes=2, restarts=2)
    assert (code, runs) == (0, 3)
    assert said[0].startswith("kaipai: the driver died (killed by SIGKILL); restarting it (1/2)")


def test_restarts_are_bounded(tmp_path):
    code, runs, said = run(tmp_path, crashes=5, restarts=1)
    assert (code, runs) == (1, 2)
    assert "giving up" in said[-1]


def test_a_drivers_own_failure_is_not_retried(tmp_path):
    said: list[str] = []
    code = supervise([sys.executable, "-c", "raise SystemExit(2)"], restarts=3, say=said.append, pause=0)
    assert code == 2 and said == []


def test_signals_are_named():
    assert describe(-signal.SIGKILL) == "killed by SIGKILL" and describe(137) == "exit code 137"
