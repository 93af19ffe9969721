"""Keep a studio's job alive when its driver process dies: restart it, and let the store resume it.

The Ray job's entrypoint (``kaipai driver``) runs the real driver as a child process and waits. A
child that ends by itself (0 done, 1 failed or a fault, 2 bad input) ends the job with its code. A
child killed by a signal (the kernel's OOM killer, a segfault in a native library, an operator's
stray ``kill``) is started again, up to ``restarts`` times: it registers with the service under the
same job id (the service drops the dead driver's grants), and every task whose artifact is in the
shared store is a cache hit, so only unfinished work runs again. The Ray job, and so the dashboard's
attribution to the studio, stays the same. A SIGTERM or SIGINT to the entrypoint (``kaipai cancel``,
``ray job stop``) goes to the child and is never answered with a restart.

If the entrypoint itself dies (SIGKILL, its node's OOM killer), Ray marks the job FAILED and no
Ray command reaches its child any more; the child would drive on as an orphan nobody can stop.
So the child watches its parent (``exit_when_orphaned``, told the parent by ``SUPERVISOR_ENV``):
once the parent is gone it says so to the service and exits. Finished shots stay in the store, so
submitting the job again resumes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

OWN_ENDINGS = (0, 1, 2)  # the driver's own exit codes: the job ended, whatever the outcome
RESTART_PAUSE_SECONDS = 2.0
SUPERVISOR_ENV = "KAIPAI_SUPERVISOR_PID"  # the child's parent, the supervisor: set for the child only
ORPHAN_POLL_SECONDS = 1.0


def describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def supervise(
    argv: Sequence[str],
    *,
    restarts: int,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    pause: float = RESTART_PAUSE_SECONDS,
) -> int:
    """Run ``argv`` until it ends by itself, restarting it after a crash at most ``restarts`` times."""
    stopping = False
    child: subprocess.Popen | None = None

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for attempt in range(restarts + 1):
            child = subprocess.Popen(list(argv), env={**os.environ, SUPERVISOR_ENV: str(os.getpid())})
            code = child.wait()
            if code in OWN_ENDINGS or stopping:
                return code if code >= 0 else 1
            if attempt == restarts:
                say(f"kaipai: the driver died ({describe(code)}) and was restarted {restarts} times; giving up")
                return 1
            say(
                f"kaipai: the driver died ({describe(code)}); restarting it ({attempt + 1}/{restarts}),"
                " resuming from the store"
            )
            time.sleep(pause)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def supervisor_pid() -> int | None:
    """The supervisor this process was started by, if any (a driver run by hand has none)."""
    value = os.environ.get(SUPERVISOR_ENV, "")
    return int(value) if value.isdigit() else None


def exit_when_orphaned(
    on_orphaned: Callable[[], None], parent: int | None = None, poll: float = ORPHAN_POLL_SECONDS
) -> threading.Thread | None:
    """Watch, in a daemon thread, that ``parent`` (default: the supervisor) is still this process's
    parent; once it is not (it died, and the process was re-parented), call ``on_orphaned`` and exit
    with 1 at once. None when there is no supervisor to watch."""
    parent = parent if parent is not None else supervisor_pid()
    if parent is None:
        return None

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        try:
            on_orphaned()
        finally:
            os._exit(1)  # the main thread may be deep in a Ray call: no unwinding to wait for

    thread = threading.Thread(target=watch, name="kaipai-orphan-watch", daemon=True)
    thread.start()
    return thread
