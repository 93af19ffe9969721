"""A Prometheus of the test's own (Debian's ``prometheus``), scraping the local cluster's nodes.

It listens on 127.0.0.1 on a port the OS gave, keeps its data in the test's folder, scrapes every
second, and is stopped by its own PID. ``query_range`` evaluates an expression over the run, as a
Grafana panel would, so the shipped dashboard's queries are checked against what Ray exported.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_prometheus(targets: list[int], folder: Path) -> Iterator[str]:
    """Prometheus scraping ``127.0.0.1:PORT`` for each port in ``targets``; yields its base URL."""
    binary = shutil.which("prometheus")
    assert binary, "Debian's prometheus is missing: `make test` installs it (apt-get install prometheus)"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    scrape = ", ".join(f"'127.0.0.1:{p}'" for p in targets)
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: ray\n    static_configs:\n      - targets: [{scrape}]\n",
        encoding="utf-8",
    )
    port = free_port()
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


def query_range(url: str, expr: str, start: float, end: float, step: float = 5.0) -> list[dict[str, Any]]:
    """The series ``expr`` gives over [start, end] (an error from Prometheus raises)."""
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=30) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "success", (expr, answer)
    return answer["data"]["result"]


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert process.poll() is None, f"prometheus exited with {process.returncode}"
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/-/ready", timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    raise AssertionError("prometheus did not become ready")
