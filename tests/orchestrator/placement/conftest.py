"""Shared helpers for placement tests: small graphs built in code, the example graphs on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

GRAPHS = Path(__file__).resolve().parents[3] / "examples" / "graphs"

SMALL = """\
name: small
seed: 3
topology:
  zones:
    - {name: a, gpus: {H100: 4}, cpus: 8, weights: [Lightricks/LTX-Video, black-forest-labs/FLUX.1-schnell]}
    - {name: b, gpus: {A800: 4}, cpus: 8, weights: [facebook/mms-tts-eng, Qwen/Qwen2.5-7B-Instruct]}
  links:
    - {between: [a, b], latency: 0.001, bandwidth: 1.0e9}
workload:
  jobs: 4
  rate_per_hour: 3600
  episodes_per_job: [1, 2]
  shots_per_episode: [2, 4]
  studios:
    - {name: s1, priority: 8, motion_model: Lightricks/LTX-Video}
    - {name: s2, priority: 1, motion_model: THUDM/CogVideoX-5b-I2V}
"""


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def graphs_dir() -> Path:
    return GRAPHS


def chain(costs: dict[str, list[float]], comm: float = 0.0) -> dict:
    """A chain t0 -> t1 -> ... with per-resource costs (one list per resource)."""
    n = len(next(iter(costs.values())))
    return {
        "resources": [{"id": r} for r in costs],
        "tasks": [{"id": f"t{i}", "cost": {r: c[i] for r, c in costs.items()}} for i in range(n)],
        "edges": [{"from": f"t{i}", "to": f"t{i + 1}", "comm": comm} for i in range(n - 1)],
    }


@dataclass
class FakeNode:
    """The attributes of ``orchestrator.dag.Node`` that placement reads."""

    id: str
    stage: str
    episode: str | None
    params: dict
    inputs: dict[str, list[str]] = field(default_factory=dict)
    backend: str = ""

    @property
    def deps(self) -> list[str]:
        return [d for ids in self.inputs.values() for d in ids]


@dataclass
class FakeDag:
    nodes: dict[str, FakeNode]


def fake_dag(episodes: int = 2, shots: int = 3, duration: float = 5.0) -> FakeDag:
    """keyframe -> motion -> mux per shot, a voice per shot, subtitles and assembly per episode."""
    nodes: dict[str, FakeNode] = {}

    def add(stage: str, unit: str, episode: str | None, params: dict, **inputs: list[str]) -> str:
        node = FakeNode(f"{stage}:{unit}", stage, episode, params, dict(inputs))
        nodes[node.id] = node
        return node.id

    hero = add("character", "hero", None, {})
    for e in range(1, episodes + 1):
        ep = f"ep{e:02d}"
        muxes, voices = [], []
        for s in range(1, shots + 1):
            shot = {"id": f"{ep}-sh{s:03d}", "duration": duration}
            k = add("keyframe", shot["id"], ep, {"shot": shot}, characters=[hero])
            m = add("motion", shot["id"], ep, {"shot": shot}, keyframe=[k])
            v = add("voice", f"{ep}-l{s:03d}", ep, {"line": {"text": "台词" * 5}})
            voices.append(v)
            muxes.append(add("mux", shot["id"], ep, {"shot": shot}, motion=[m], voices=[v]))
        subs = add("subtitles", ep, ep, {}, voices=voices)
        add("assembly", ep, ep, {"episode": {"id": ep}}, shots=muxes, subtitles=[subs], cover=[])
    return FakeDag(nodes)


@pytest.fixture
def datong():
    from orchestrator.config import load_profile

    return load_profile(Path(__file__).resolve().parents[3] / "configs" / "datong.yaml")
