"""``OUT/report.html``: one self-contained page about a run, for a studio to open from the summary.

A contact sheet (a picture per shot with its line), a timeline per zone drawn from the manifest (a
Gantt in inline SVG), cache hits, time and GPU-seconds per stage, and each episode's gate results.
No script, no external file: pictures are inlined as data URIs, so the page opens anywhere.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from orchestrator.config import Profile
from orchestrator.dag import Dag, stage_resources
from orchestrator.execution.report import RunReport
from orchestrator.manifest import write_atomic
from stages.errors import InputError

THUMB_WIDTH = 144
STAGE_COLOURS = {
    "storyboard": "#8e8e8e",
    "character": "#c98bdb",
    "keyframe": "#6fa8dc",
    "motion": "#3d85c6",
    "voice": "#93c47d",
    "subtitles": "#ffd966",
    "mux": "#f6b26b",
    "assembly": "#e06666",
    "gates": "#76a5af",
}
CSS = """
body{font:14px/1.4 system-ui,'WenQuanYi Micro Hei',sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}
.pass{color:#1a7f37}.fail{color:#c62828;font-weight:bold}
.sheet{display:flex;flex-wrap:wrap;gap:8px}.shot{width:144px;font-size:12px}
.shot img{width:144px;display:block;border:1px solid #999}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _thumbnail(path: Path) -> str | None:
    """A small JPEG of ``path`` as a data URI; None when it is not a picture (a report never fails a run)."""
    try:
        return _jpeg_uri(path)
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def _jpeg_uri(path: Path) -> str:
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def contact_sheet(dag: Dag, report: RunReport) -> str:
    """Per episode, a thumbnail per shot with its id and first line."""
    parts = []
    for episode in dict.fromkeys(n.episode for n in dag.nodes.values() if n.stage == "mux"):
        cells = []
        for node in (n for n in dag.nodes.values() if n.stage == "mux" and n.episode == episode):
            keyframe = report.artifacts.get(f"keyframe:{node.unit}")
            lines = node.params["shot"].get("lines") or []
            said = lines[0]["text"] if lines else node.params["shot"].get("action", "")
            uri = _thumbnail(keyframe.file()) if keyframe else None
            image = f'<img alt="{_e(node.unit)}" src="{uri}">' if uri else "<i>no picture</i>"
            cells.append(f'<div class="shot">{image}<b>{_e(node.unit)}</b><br>{_e(said)}</div>')
        parts.append(f'<h3>{_e(episode)}</h3><div class="sheet">{"".join(cells)}</div>')
    return "".join(parts)


def zone_gantt(tasks: dict[str, dict[str, Any]]) -> str:
    """An SVG timeline: a band per zone, tasks stacked in lanes so none overlaps, coloured by stage."""
    ran = [t for t in tasks.values() if t.get("start") is not None and t.get("finish") is not None]
    if not ran:
        return "<p>Every task came from the cache: nothing ran.</p>"
    end = max(t["finish"] for t in ran) or 1.0
    width, lane_h, label_w = 900, 12, 150
    scale = (width - label_w) / end
    rows, y = [], 0
    for zone in sorted({t.get("zone") or "local" for t in ran}):
        lanes: list[float] = []
        bars = []
        for task in sorted((t for t in ran if (t.get("zone") or "local") == zone), key=lambda t: t["start"]):
            lane = next((i for i, free in enumerate(lanes) if free <= task["start"]), len(lanes))
            if lane == len(lanes):
                lanes.append(0.0)
            lanes[lane] = task["finish"]
            x, w = label_w + task["start"] * scale, max(1.0, (task["finish"] - task["start"]) * scale)
            colour = STAGE_COLOURS.get(task["stage"], "#999")
            tip = f"{task['stage']} {task['unit']}: {task['start']:.1f}-{task['finish']:.1f} s"
            bars.append(
                f'<rect x="{x:.1f}" y="{y + lane * lane_h}" width="{w:.1f}" height="{lane_h - 2}" '
                f'fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
        height = max(1, len(lanes)) * lane_h
        rows.append(f'<text x="0" y="{y + 12}" font-size="12">{_e(zone)}</text>{"".join(bars)}')
        rows.append(f'<line x1="0" x2="{width}" y1="{y + height + 3}" y2="{y + height + 3}" stroke="#ddd"/>')
        y += height + 8
    axis = f'<text x="{label_w}" y="{y + 12}" font-size="11">0 s</text>'
    axis += f'<text x="{width - 40}" y="{y + 12}" font-size="11">{end:.1f} s</text>'
    legend = " ".join(f'<span style="color:{c}">■</span> {_e(s)}' for s, c in STAGE_COLOURS.items())
    return f'<svg width="{width}" height="{y + 20}" role="img">{"".join(rows)}{axis}</svg><p>{legend}</p>'


def stage_table(tasks: dict[str, dict[str, Any]], dag: Dag | None, profile: Profile) -> str:
    """Per stage: tasks run and cached, task seconds, CPU seconds and GPU-seconds (task time x GPUs held)."""
    stats: dict[str, dict[str, float]] = {}
    for task in tasks.values():
        row = stats.setdefault(
            task["stage"], {"done": 0, "cached": 0, "failed": 0, "seconds": 0.0, "cpu": 0.0, "gpu": 0.0}
        )
        row[task["status"]] = row.get(task["status"], 0) + 1
        if task.get("start") is not None and task.get("finish") is not None:
            seconds = task["finish"] - task["start"]
            row["seconds"] += seconds
            row["cpu"] += task.get("cpu_seconds") or 0.0
            row["gpu"] += seconds * _gpus(profile, task["stage"])
    body = "".join(
        f"<tr><td>{_e(stage)}</td><td>{int(r['done'])}</td><td>{int(r['cached'])}</td><td>{int(r['failed'])}</td>"
        f"<td>{r['seconds']:.1f}</td><td>{r['cpu']:.1f}</td><td>{r['gpu']:.1f}</td></tr>"
        for stage, r in stats.items()
    )
    head = (
        "<tr><th>stage</th><th>run</th><th>cached</th><th>failed</th><th>task s</th><th>CPU s</th><th>GPU s</th></tr>"
    )
    return f"<table>{head}{body}</table>"


def _gpus(profile: Profile, stage: str) -> float:
    try:
        return stage_resources(profile, stage).num_gpus
    except (KeyError, InputError):  # the storyboard or an unknown stage: no GPU figure
        return 0.0


def gate_tables(episodes: dict[str, dict[str, Any]]) -> str:
    parts = []
    for eid, ep in episodes.items():
        gates = ep.get("gates")
        status = "pass" if ep["status"] == "ok" else "fail"
        parts.append(f'<h3>{_e(eid)} <span class="{status}">{_e(ep["status"])}</span> {_e(ep.get("title", ""))}</h3>')
        if not gates:
            parts.append("<p>No gate results.</p>")
            continue
        rows = "".join(
            f'<tr><td>{_e(g["gate"])}</td><td class="{"pass" if g["passed"] else "fail"}">'
            f"{'pass' if g['passed'] else 'FAIL'}</td><td>{_e(g['value'])}</td><td>{_e(g['limit'])}</td>"
            f"<td>{_e(g.get('detail', ''))}</td></tr>"
            for g in gates
        )
        parts.append(
            f"<table><tr><th>gate</th><th></th><th>measured</th><th>limit</th><th>detail</th></tr>{rows}</table>"
        )
        parts.append(reroll_table(ep.get("rerolls") or []))
    return "".join(parts)


def reroll_table(rerolls: list[dict[str, Any]]) -> str:
    """The shots a failed gate made again (``orchestrator/rerolls.py``), with their seeds."""
    if not rerolls:
        return ""
    rows = "".join(
        f"<tr><td>{_e(r['attempt'])}</td><td>{_e(r['gate'])}</td><td>{_e(r['shot'])}</td>"
        f"<td>{_e(r['old_seed'])}</td><td>{_e(r['new_seed'])}</td></tr>"
        for r in rerolls
    )
    return (
        "<p>Re-rolled:</p><table><tr><th>attempt</th><th>gate</th><th>shot</th><th>old seed</th>"
        f"<th>new seed</th></tr>{rows}</table>"
    )


def render_report(manifest: dict[str, Any], dag: Dag | None, report: RunReport, profile: Profile) -> str:
    s = manifest["summary"]
    hits = s["cached"] / s["tasks"] if s["tasks"] else 0.0
    intro = (
        f"<p>Profile <b>{_e(manifest['profile'])}</b>, status <b>{_e(manifest['status'])}</b>, wall "
        f"{manifest['wall_seconds']:.1f} s. Tasks: {s['tasks']} ({s['done']} run, {s['cached']} cached: "
        f"{hits:.0%} cache hits, {s['failed']} failed, {s['skipped']} skipped).</p>"
    )
    sections = [
        f"<h1>{_e(manifest['title'])}</h1>{intro}",
        f"<h2>Quality gates</h2>{gate_tables(manifest['episodes'])}",
        f"<h2>Stages</h2>{stage_table(manifest['tasks'], dag, profile)}",
        f"<h2>Timeline per zone</h2>{zone_gantt(manifest['tasks'])}",
        f"<h2>Contact sheet</h2>{contact_sheet(dag, report) if dag else ''}",
    ]
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{_e(manifest['title'])} - kaipai run</title><style>{CSS}</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )


def write_report(out: Path, manifest: dict[str, Any], dag: Dag | None, report: RunReport, profile: Profile) -> Path:
    path = out / "report.html"
    write_atomic(path, render_report(manifest, dag, report, profile))
    return path
