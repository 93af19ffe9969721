"""How long a unit of work takes, how big its output is, and what moving data or weights costs.

Seeded from published figures (DESIGN.md: one H100/H800 unless named):
- Wan2.1 I2V-14B 720P, one 81-frame clip (5.06 s at 16 fps): 1491.6 s on 1 GPU (238.8 s on 8, so one
  shot per GPU is the better use of 8 GPUs: 8 clips per 1491.6 s instead of 6.2);
- CogVideoX-5B, 6 s at 720x480: about 90 s;
- LTX-Video 13B distilled, an HD clip (~5 s): about 10 s.
Everything else is an *estimate* (marked so below) an operator should replace with measured numbers:
the profile's ``topology.seconds`` overrides any base figure, and :meth:`CostModel.observe` folds
observed run times in as an exponential moving average of the observed/predicted ratio.

GPU kinds are modelled as *related machines*: one relative speed per kind (H100 = 1), the same for
every model. That keeps the simulator's lower bound exact (total work / total speed) and is close to
how compute-bound diffusion scales across kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stages.base import StageOptions
from stages.registry import default_model

# Relative throughput for diffusion / transformer inference, H100 = 1 (estimates from dense BF16 TFLOPS).
GPU_SPEED: dict[str, float] = {
    "H100": 1.0,
    "H800": 1.0,
    "H200": 1.1,
    "H20": 0.3,
    "A100": 0.45,
    "A800": 0.45,
    "L40S": 0.45,
    "L20": 0.3,
    "RTX4090": 0.4,
}


@dataclass(frozen=True)
class ModelFacts:
    """Seconds of work on one H100 per unit, what a unit is, and the size of the weights on disk."""

    seconds: float
    per: str  # "shot-second" | "image" | "line" | "episode"
    weights_bytes: float
    source: str = "estimate"


MODELS: dict[str, ModelFacts] = {
    "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers": ModelFacts(
        1491.6 / (81 / 16), "shot-second", 41e9, "published: 1491.6 s per 81-frame 720P clip"
    ),
    "THUDM/CogVideoX-5b-I2V": ModelFacts(90.0 / 6.0, "shot-second", 21e9, "published: ~90 s per 6 s clip"),
    "Lightricks/LTX-Video": ModelFacts(10.0 / 5.0, "shot-second", 36e9, "published: ~10 s per HD clip"),
    "black-forest-labs/FLUX.1-schnell": ModelFacts(2.0, "image", 34e9),  # 4 steps at ~1 MP
    "stabilityai/stable-diffusion-xl-base-1.0": ModelFacts(4.5, "image", 7e9),  # 30 steps at 1 MP
    "stabilityai/sd-turbo": ModelFacts(0.3, "image", 5e9),
    "Qwen/Qwen2.5-7B-Instruct": ModelFacts(25.0, "episode", 15e9),  # ~4k tokens out at ~160 tok/s
    "facebook/mms-tts-eng": ModelFacts(0.15, "line", 0.15e9),  # VITS, far faster than real time
    "suno/bark": ModelFacts(6.0, "line", 12e9),
    "suno/bark-small": ModelFacts(2.0, "line", 1.7e9),  # estimate: autoregressive, a few s per line
}


# CPU backends: seconds (estimates measured roughly on one laptop core for a 720x1280 animatic).
CPU_SECONDS: dict[str, tuple[float, float]] = {
    # stage: (fixed seconds, seconds per second of shot)
    "storyboard": (0.5, 0.0),
    "character": (0.4, 0.0),
    "keyframe": (0.4, 0.0),
    "motion": (0.0, 0.25),
    "voice": (0.3, 0.0),
    "subtitles": (0.1, 0.0),
    "mux": (0.0, 0.15),
    "sound": (1.0, 0.0),  # an episode's sound: loudness, one AAC encode, its measurement
    "assembly": (1.0, 0.0),
}

CHARACTER_VIEWS = 3  # a character sheet is three images (front, side, back)
# A chat model's figure is per storyboard episode (~4k tokens out); other stages ask it for less.
CHAT_SHARE_OF_EPISODE = {"translate": 100 / 4000}  # one line's translation: ~100 tokens out

# Output sizes (estimates). Shot clips stay a visually lossless mezzanine (~96 Mb/s at 720p) until the
# episode is assembled: re-encoding a lossy clip twice shows. A raw 720p frame is 2.8 MB (4:4:4).
ARTIFACT_BYTES: dict[str, tuple[float, float]] = {
    # stage: (fixed bytes, bytes per second of shot)
    "storyboard": (50e3, 0.0),
    "character": (3e6, 0.0),
    "keyframe": (2e6, 0.0),
    "motion": (0.0, 12e6),
    "voice": (0.25e6, 0.0),
    "subtitles": (20e3, 0.0),
    "mux": (0.0, 12e6),
    "sound": (2e6, 0.0),  # a 1-2 minute AAC track and its 16 kHz speech samples
    "assembly": (40e6, 0.0),  # a 1-2 minute H.264 episode for delivery
}

WEIGHTS_READ_BANDWIDTH = 2.0e9  # bytes/s from a zone's local NVMe / parallel filesystem into one GPU
MODEL_INIT_SECONDS = 8.0  # building the pipeline and moving it onto the GPU, beyond reading bytes


def shot_seconds(params: dict[str, Any]) -> float:
    """The duration of the shot a node works on (0 when it is not a shot-level node)."""
    shot = params.get("shot")
    if isinstance(shot, dict):
        return float(shot.get("duration") or 0.0)
    return 0.0


def model_of(stage: str, backend: str, options: StageOptions | None = None) -> str | None:
    """The weights a (stage, backend) needs: the one its options name, else its family's default."""
    return (options.chosen_model() if options is not None else None) or default_model(stage, backend)


@dataclass
class CostModel:
    """Run times, output sizes and load times; ``seconds`` overrides base figures by stage or model id."""

    seconds: dict[str, float] = field(default_factory=dict)
    gpu_speed: dict[str, float] = field(default_factory=dict)
    alpha: float = 0.2  # weight of one new observation in the moving average
    correction: dict[tuple[str, str], float] = field(default_factory=dict)

    def speed(self, gpu_kind: str | None) -> float:
        if gpu_kind is None:
            return 1.0
        return self.gpu_speed.get(gpu_kind) or GPU_SPEED.get(gpu_kind, 0.5)

    def base_seconds(self, stage: str, backend: str, params: dict[str, Any], model: str | None) -> float:
        """Seconds on the reference GPU (or one CPU core for CPU backends)."""
        duration = shot_seconds(params) or 3.0
        facts = MODELS.get(model) if model else None
        if model and model in self.seconds:
            unit = self.seconds[model]
        elif stage in self.seconds:
            unit = self.seconds[stage]
        elif facts is not None:
            unit = facts.seconds
        elif model is not None:
            unit = 5.0  # an unknown model: a cautious guess until observations arrive
        else:
            fixed, per_second = CPU_SECONDS.get(stage, (1.0, 0.0))
            return fixed + per_second * duration
        per = facts.per if facts else ("shot-second" if stage == "motion" else "image")
        if per == "shot-second":
            return unit * duration
        if per == "episode" and stage in CHAT_SHARE_OF_EPISODE:
            return unit * CHAT_SHARE_OF_EPISODE[stage]
        if stage == "character":
            return unit * CHARACTER_VIEWS
        if per == "line":
            text = str((params.get("line") or {}).get("text", ""))
            return unit * (1.0 + len(text) / 20.0)
        return unit

    def estimate(
        self, stage: str, backend: str, params: dict[str, Any], gpu_kind: str | None = None, model: str | None = None
    ) -> float:
        model = model if model is not None else model_of(stage, backend)
        seconds = self.base_seconds(stage, backend, params, model)
        if model is not None:
            seconds /= self.speed(gpu_kind)
        return seconds * self.correction.get((stage, gpu_kind or "cpu"), 1.0)

    def observe(self, stage: str, kind: str | None, seconds: float, predicted: float | None = None) -> float:
        """Fold an observed run time in; returns the new correction factor for (stage, kind).

        ``predicted`` is what :meth:`estimate` said for that node (so shot length cancels out).
        Without it the observation is compared with the stage's estimate for a 3 s shot.
        """
        key = (stage, kind or "cpu")
        if predicted is None:
            model = default_model(stage, "diffusers") if kind else None
            predicted = self.base_seconds(stage, "", {}, model) / (self.speed(kind) if model else 1.0)
        if predicted <= 0 or seconds <= 0:
            return self.correction.get(key, 1.0)
        old = self.correction.get(key, 1.0)
        # predicted already includes the old correction when it came from estimate(); undo it.
        ratio = seconds / (predicted / old) if predicted else 1.0
        self.correction[key] = (1 - self.alpha) * old + self.alpha * ratio
        return self.correction[key]

    @staticmethod
    def artifact_bytes(stage: str, params: dict[str, Any]) -> float:
        fixed, per_second = ARTIFACT_BYTES.get(stage, (1e6, 0.0))
        return fixed + per_second * (shot_seconds(params) or (3.0 if per_second else 0.0))

    @staticmethod
    def transfer_seconds(nbytes: float, latency: float, bandwidth: float) -> float:
        """``latency + bytes / bandwidth``; zero bytes cost nothing."""
        return 0.0 if nbytes <= 0 else latency + nbytes / bandwidth

    @staticmethod
    def load_seconds(
        model: str | None,
        local: bool,
        link_bandwidth: float | None = None,
        read_bandwidth: float = WEIGHTS_READ_BANDWIDTH,
    ) -> float:
        """Seconds to get a model onto a GPU: from the zone's disk, or over the link from another zone."""
        if not model:
            return 0.0
        facts = MODELS.get(model)
        nbytes = facts.weights_bytes if facts else 10e9
        bandwidth = read_bandwidth if local or not link_bandwidth else min(read_bandwidth, link_bandwidth)
        return MODEL_INIT_SECONDS + nbytes / bandwidth


DEFAULT_COST_MODEL = CostModel()


def estimate_seconds(
    stage: str, backend: str, params: dict[str, Any], gpu_kind: str | None = None, *, model: str | None = None
) -> float:
    """Interface 4: the default cost model's run time for one node (``kaipai plan``'s critical path)."""
    return DEFAULT_COST_MODEL.estimate(stage, backend, params, gpu_kind, model=model)
