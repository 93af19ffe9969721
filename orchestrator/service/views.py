"""``kaipai cluster status`` as text: a few aligned lines an operator reads at a glance."""

from __future__ import annotations

from typing import Any


def shares(view: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Studio -> (its share of charged device-seconds, its weight's share)."""
    charged, weights = view["charged"], view["weights"]
    studios = sorted(set(charged) | set(weights))
    total_c = sum(charged.get(s, 0.0) for s in studios) or 1.0
    total_w = sum(weights.get(s, 1.0) for s in studios) or 1.0
    return {s: (charged.get(s, 0.0) / total_c, weights.get(s, 1.0) / total_w) for s in studios}


def status_lines(view: dict[str, Any]) -> list[str]:
    lines = [f"kaipai service (epoch {view['epoch']}), store {view['store']}, {view['queued']} node(s) queued"]
    if view.get("max_running_jobs"):
        active = [j for j in view.get("jobs", []) if j["state"] in ("QUEUED", "RUNNING")]
        admitted = sum(1 for j in active if j.get("admitted"))
        waiting = len(active) - admitted
        lines.append(f"jobs admitted {admitted}/{view['max_running_jobs']}, {waiting} waiting for admission")
    lines.append("jobs per studio            queued  running  done   share  weight")
    share = shares(view)
    for studio in sorted(set(view["studios"]) | set(share)):
        counts = view["studios"].get(studio, {"QUEUED": 0, "RUNNING": 0, "done": 0})
        used, weight = share.get(studio, (0.0, 0.0))
        jobs = f"{counts['QUEUED']:>6} {counts['RUNNING']:>8} {counts['done']:>5}"
        lines.append(f"  {studio:<24} {jobs}  {used:6.1%} {weight:6.1%}")
    lines += contended_lines(view.get("contended"))
    lines.append("running per zone (grants in use / slots)")
    for key, slots in sorted(view["slots"].items()):
        zone, kind = key.split("/")
        lines.append(f"  {zone:<24} {kind:<4} {view['running'].get(zone, {}).get(kind, 0)}/{slots}")
    lines.append("warm pools per (model, zone)")
    for pool in view["pools"] or []:
        model = pool["model"] or pool["backend"]
        lines.append(f"  {pool['stage']:<10} {model:<28} {pool['zone'] or 'any':<20} {pool['actors']} actor(s)")
    if not view["pools"]:
        lines.append("  (none)")
    return lines


def contended_lines(contended: dict[str, Any] | None) -> list[str]:
    """GPU-seconds held against the fair share owed while studios contended (``ShareLedger``)."""
    if not contended or not contended["studios"]:
        return ["GPUs while studios contended: not yet (fewer than two studios have waited for one)"]
    jain = contended["jain"]
    lines = [f"GPUs while studios contended ({contended['contended_seconds']:.0f} s): held / owed"
             + (f", Jain {jain:.3f}" if jain is not None else "")]  # fmt: skip
    for studio, row in contended["studios"].items():
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        lines.append(f"  {studio:<24} {row['got']:>9.1f} / {row['owed']:<9.1f} GPU-s  {ratio}")
    return lines
