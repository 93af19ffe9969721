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


# A driver that watches its supervisor: it writes its pid, and a mark once it found itself orphaned.
WATCHING = """
import sys, time
from orchestrator.service.supervise import exit_when_orphaned
open(sys.argv[1], "w").write(str(__import__("os").getpid()))
exit_when_orphaned(lambda: open(sys.argv[2], "w").write("orphaned"), poll=0.1)
time.sleep(60)
"""
SUPERVISOR = "import sys; from orchestrator.service.supervise import supervise; supervise(sys.argv[1:], restarts=2)"


def test_a_driver_whose_supervisor_died_ends_rather_than_drive_on_unstoppable(tmp_path):
    import os
    import subprocess
    import time

    from tests.conftest import REPO

    pidfile, mark = tmp_path / "child.pid", tmp_path / "orphaned"
    argv = [sys.executable, "-c", SUPERVISOR, sys.executable, "-c", WATCHING, str(pidfile), str(mark)]
    supervisor = subprocess.Popen(argv, cwd=REPO)
    child = None
    try:
        deadline = time.time() + 30
        while not (pidfile.exists() and pidfile.read_text()) and time.time() < deadline:
            time.sleep(0.05)
        child = int(pidfile.read_text())
        supervisor.kill()  # the Ray job's entrypoint dies (SIGKILL): no chance to stop its child
        supervisor.wait()
        deadline = time.time() + 15
        while not mark.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert mark.read_text() == "orphaned"
        while time.time() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Still running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_driver_run_by_hand_watches_no_supervisor(monkeypatch):
    from orchestrator.service.supervise import SUPERVISOR_ENV, exit_when_orphaned

    monkeypatch.delenv(SUPERVISOR_ENV, raising=False)
    assert exit_when_orphaned(lambda: None) is None
