"""The run report: a self-contained page with contact sheet, zone timeline, stage figures and gates,
opened in headless Chromium (Debian's ``chromium``) to prove it renders without console errors."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from PIL import Image

from orchestrator.config import load_profile
from orchestrator.dag import Dag, Node
from orchestrator.execution.report import RunReport
from orchestrator.runreport import render_report, write_report
from stages.base import Artifact


@pytest.fixture
def run_state(tmp_path):
    keyframe_dir = tmp_path / "kf"
    keyframe_dir.mkdir()
    Image.new("RGB", (90, 160), (200, 40, 40)).save(keyframe_dir / "keyframe.png")
    shot = {"id": "ep01-s01-sh001", "lines": [{"text": "你终于<来>了。"}], "action": ""}
    nodes = {
        "keyframe:ep01-s01-sh001": Node("keyframe:ep01-s01-sh001", "keyframe", "ep01-s01-sh001", "ep01", {}, {}),
        "mux:ep01-s01-sh001": Node("mux:ep01-s01-sh001", "mux", "ep01-s01-sh001", "ep01", {"shot": shot}, {}),
    }
    report = RunReport(
        records={},
        artifacts={"keyframe:ep01-s01-sh001": Artifact("k", keyframe_dir, {"file": "keyframe.png"})},
        started=0.0,
    )
    task = {"stage": "voice", "unit": "ep01-l001", "status": "done", "zone": "xinrong-yungang", "cpu_seconds": 0.4}
    manifest = {
        "title": "城墙<之上>",
        "profile": "local",
        "status": "failed",
        "wall_seconds": 12.5,
        "summary": {"tasks": 3, "done": 2, "cached": 1, "failed": 0, "skipped": 0},
        "episodes": {
            "ep01": {
                "status": "failed",
                "title": "砖",
                "gates": [
                    {"gate": "loudness", "passed": False, "value": "-19.1 LUFS", "limit": "-14 ± 1 LU", "detail": ""},
                    {"gate": "a/v drift", "passed": True, "value": "+3 ms", "limit": "33 ms", "detail": ""},
                ],
            }
        },
        "tasks": {
            "voice:ep01-l001": {**task, "start": 0.5, "finish": 1.5},
            "mux:ep01-s01-sh001": {**task, "stage": "mux", "unit": "sh001", "start": 1.0, "finish": 3.0},
            "keyframe:x": {**task, "stage": "keyframe", "status": "cached", "start": None, "finish": None},
        },
    }
    return manifest, Dag(nodes), report


def test_report_holds_every_section_and_escapes_text(run_state):
    manifest, dag, report = run_state
    page = render_report(manifest, dag, report, load_profile("configs/local.yaml"))
    assert "城墙&lt;之上&gt;" in page and "你终于&lt;来&gt;了。" in page
    assert page.count("<rect") == 2  # two tasks ran; the cached one has no bar
    assert "data:image/jpeg;base64," in page  # the contact sheet's picture is inline
    assert "-19.1 LUFS" in page and "FAIL" in page
    assert "33% cache hits" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)  # nothing fetched from outside
    assert "<script" not in page


@pytest.mark.slow
def test_report_renders_in_headless_chromium(run_state, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is needed for this test (make test installs it)"
    manifest, dag, report = run_state
    path = write_report(tmp_path, manifest, dag, report, load_profile("configs/local.yaml"))
    profile_dir = tmp_path / "chromium-profile"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile_dir}",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "<svg" in done.stdout and "Contact sheet" in done.stdout  # the DOM was built
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []


def test_a_picture_that_is_not_one_leaves_a_gap_not_a_failed_run(run_state):
    manifest, dag, report = run_state
    report.artifacts["keyframe:ep01-s01-sh001"].file().write_bytes(b"not a png")
    page = render_report(manifest, dag, report, load_profile("configs/local.yaml"))
    assert "no picture" in page
