"""``OUT/manifest.json``: what a run made (per episode) and what ran where (per task), written atomically.

Finished episode files are published from the store into ``OUT/<episode>/`` as copies (never hard
links into the store), so OUT is a plain folder a studio can hand on and edit.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.dag import Dag, Node
from orchestrator.execution.report import RunReport

EPISODE_FILES = {"video": "episode.mp4", "subtitles": "episode.srt", "cover": "cover.jpg"}


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temp path beside ``path`` that becomes ``path`` atomically, or disappears if writing fails.

    A full disk or a kill mid-write leaves the previous file as it was and no half-written temp.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(path)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_atomic(path: Path, text: str) -> None:
    with _replacing(path) as temp:
        temp.write_text(text, encoding="utf-8")


def publish_file(source: Path, target: Path) -> None:
    """Place a copy of ``source`` at ``target`` atomically.

    A copy, never a hard link: a studio that edits or re-encodes ``OUT/ep01/episode.mp4`` in place
    must not change the artifact in the store that later runs reuse.
    """
    with _replacing(target) as temp:
        shutil.copyfile(source, temp)


def publish_episodes(out: Path, dag: Dag, report: RunReport) -> dict[str, dict[str, Any]]:
    """Per episode: its files under OUT (relative paths), duration and shot count; failed ones say so."""
    episodes: dict[str, dict[str, Any]] = {}
    stems = {node.episode: node.id for node in dag.nodes.values() if node.stage == "stem"}
    for node in dag.nodes.values():
        if node.stage != "assembly":
            continue
        entry: dict[str, Any] = {
            "number": node.params["episode"]["number"],
            "title": node.params["episode"]["title"],
            # A release in another language (``ep01/en``) says which, and whether it is dubbed.
            "language": node.params.get("language") or node.params["job"].get("language"),
            "dubbed": bool(node.params.get("dub")),
        }
        artifact = report.artifacts.get(node.id)
        if artifact is None:
            entry.update(
                {
                    "status": "failed",
                    **dict.fromkeys(EPISODE_FILES),
                    "duration": None,
                    "shots": len(node.inputs["shots"]),
                }
            )
        else:
            entry["status"] = "ok"
            for field, name in EPISODE_FILES.items():
                source = artifact.path / name
                if source.is_file():
                    publish_file(source, out / node.unit / name)
                    entry[field] = f"{node.unit}/{name}"
                else:
                    entry[field] = None
            entry["covers"] = []
            for name in artifact.meta.get("covers", [])[1:]:  # the platform's cover sizes, beside cover.jpg
                publish_file(artifact.path / name, out / node.unit / name)
                entry["covers"].append(f"{node.unit}/{name}")
            entry["duration"] = artifact.meta.get("duration")
            entry["shots"] = artifact.meta.get("shots", len(node.inputs["shots"]))
            stem = report.artifacts.get(stems.get(node.unit, ""))
            if stem is not None:  # the M&E stem goes with the original, for dubbing houses
                publish_file(stem.file(), out / node.unit / "me.wav")
                entry["me_stem"] = f"{node.unit}/me.wav"
        if node.params.get("language") and artifact is not None:
            entry.update(release_notes(dag, report, node))
        _add_gates(entry, dag, report, node.unit)
        episodes[node.unit] = entry
    return episodes


def release_notes(dag: Dag, report: RunReport, assembly: Node) -> dict[str, Any]:
    """What a release's lines say about themselves: translated in their scene, alone or given, names a model
    dropped, and dubs that ran past their original line's slot (their shots are that much longer)."""
    language, episode = assembly.params["language"], assembly.episode
    counts = {"in_context": 0, "alone": 0, "given": 0}  # in their scene, alone, the studio's own
    notes: dict[str, Any] = {"translations": counts, "glossary_missed": {}, "dub_overruns": {}}
    for node in dag.nodes.values():
        if node.episode != episode or not node.unit.endswith(f"/{language}"):
            continue
        artifact = report.artifacts.get(node.id)
        if artifact is None:
            continue
        line = node.unit.removesuffix(f"/{language}")
        if node.stage == "translate":
            how = artifact.meta.get("context")
            notes["translations"][{"line": "alone", "given": "given"}.get(str(how), "in_context")] += 1
            if artifact.meta.get("glossary_missed"):
                notes["glossary_missed"][line] = artifact.meta["glossary_missed"]
        elif node.stage == "dub" and float(artifact.meta.get("overrun") or 0) > 0.05:
            notes["dub_overruns"][line] = artifact.meta["overrun"]
    return notes


def _add_gates(entry: dict[str, Any], dag: Dag, report: RunReport, episode: str) -> None:
    """The episode's quality-gate results; a failed gate fails the episode, naming gate and numbers."""
    gates = dag.nodes.get(f"gates:{episode}")
    if gates is None:
        return
    artifact = report.artifacts.get(gates.id)
    if artifact is None:
        entry["gates"] = None  # the gates task itself failed (its error is in the task list)
        if entry["status"] == "ok":
            entry["status"] = "failed"
        return
    entry["gates"] = artifact.meta.get("gates", [])
    if not artifact.meta.get("passed", False):
        entry["status"] = "failed"
        entry["failed_gates"] = artifact.meta.get("failed", [])


def build_manifest(
    *,
    job_path: Path,
    title: str,
    profile: str,
    store: str,
    report: RunReport,
    episodes: dict[str, dict[str, Any]],
    extra_reports: tuple[RunReport, ...] = (),
    rerolls: list[dict[str, Any]] | tuple[()] = (),
) -> dict[str, Any]:
    """``extra_reports``: the storyboard's run and the attempts before a re-roll (``rerolls``), in order."""
    reports = (*extra_reports, report)
    tasks: dict[str, Any] = {}
    for rep in reports:
        offset = rep.started - reports[0].started
        for nid, rec in rep.records.items():
            entry = rec.to_json()
            for name in ("start", "finish"):
                if entry[name] is not None:
                    entry[name] = round(entry[name] + offset, 3)
            before = tasks.get(nid)
            if before is not None and before["key"] == entry["key"] and entry["status"] == "cached":
                continue  # made by an earlier attempt of this run, found again by the re-roll's
            tasks[nid] = entry
    for eid, episode in episodes.items():
        episode["rerolls"] = [r for r in rerolls if r["episode"] == eid]
    counts = {s: sum(1 for t in tasks.values() if t["status"] == s) for s in ("done", "cached", "failed", "skipped")}
    wall = report.started + report.wall - reports[0].started
    return {
        "job": str(job_path),
        "title": title,
        "profile": profile,
        "policy": report.policy,
        "store": store,
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(reports[0].started)),
        "started_epoch": round(reports[0].started, 3),  # tasks' start/finish are seconds after this
        "wall_seconds": round(wall, 3),
        "status": "ok"
        if all(r.ok for r in reports) and all(e["status"] == "ok" for e in episodes.values())
        else "failed",
        "summary": {"tasks": len(tasks), **counts},
        "planned_makespan": report.planned_makespan,
        "replacements": [rp for rep in reports for rp in rep.replacements],
        "rerolls": list(rerolls),
        "episodes": episodes,
        "tasks": tasks,
    }


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    path = out / "manifest.json"
    write_atomic(path, json.dumps(manifest, ensure_ascii=False, indent=2))
    return path


def summary_lines(manifest: dict[str, Any], out: Path) -> list[str]:
    """The end-of-run summary: episodes, durations, paths, tasks run vs cached, wall time."""
    lines = []
    for eid, ep in manifest["episodes"].items():
        if ep["status"] == "ok":
            lines.append(f"{eid}  {ep['duration'] or 0:6.1f} s  {ep['shots']:3d} shots  {out / ep['video']}")
        elif ep.get("failed_gates"):
            lines.append(f"{eid}  failed quality gates: " + "; ".join(ep["failed_gates"]))
        else:
            lines.append(f"{eid}  failed ({ep['shots']} shots planned)")
        for r in ep.get("rerolls", []):
            seeds = f"seed {r['old_seed']} -> {r['new_seed']}"
            lines.append(f"{eid}  re-rolled {r['shot']} ({r['gate']}, attempt {r['attempt']}): {seeds}")
    s = manifest["summary"]
    tail = f"tasks: {s['done']} run, {s['cached']} cached"
    if s["failed"] or s["skipped"]:
        tail += f", {s['failed']} failed, {s['skipped']} skipped"
    lines.append(f"{tail}; wall time {manifest['wall_seconds']:.1f} s; manifest {out / 'manifest.json'}")
    if (out / "report.html").is_file():
        lines.append(f"report: {(out / 'report.html').resolve().as_uri()}")
    return lines
