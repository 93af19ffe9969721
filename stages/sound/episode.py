"""The ``ffmpeg`` sound backend: an episode's finished sound, encoded and measured, beside its pictures.

A one-line edit re-runs its voice, its shot's mux, the assembly and the gates one after another; the
sound of the episode (loudness over all of it, one AAC encode, the gates' decode of it) was most of
the assembly's and the gates' work, though it needs no picture. This stage makes it from the voices
alone, so it runs while the muxes encode:

1. Each shot's sound as the mux makes it (``stages.mux.audio``: the voices at the offsets
   ``stages.timing.shot_layout`` gives, over the scene's ambience, 16-bit), kept as a part
   (``stages.parts``) keyed by its voices, layout and scene: an edit makes only its shot's again.
   The meta records each shot's sample count and the sha256 of its PCM, so the assembly can prove
   the sound is made of exactly its muxes' sounds.
2. Joined, the music under it, normalised (``stages.assembly.episode``: one gain and a true-peak
   limiter, the peaks kept per shot) and encoded to AAC once (``sound.m4a``).
3. The encoded file is decoded and measured as the gates measure a delivered episode
   (``stages.gates.measure``: loudness, true peak, digital silence, 16 kHz speech samples), and
   fingerprinted (``stages.media.packets``: its packets' md5 and how they decode). The assembly copies
   these packets into the episode; the gates fingerprint the delivered file and use this
   measurement only when the fingerprints agree, else measure the file themselves.
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from stages.assembly.episode import SAMPLE_RATE, episode_sound
from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.gates.measure import measure
from stages.hashing import digest_hex
from stages.media.ffmpeg_run import FFMPEG, run_tool
from stages.media.packets import audio_fingerprint
from stages.models import Scene
from stages.mux.audio import shot_audio, shot_samples
from stages.params import JobContext, MusicParams
from stages.parts import Parts
from stages.store import canonical_json
from stages.timing import shot_layout

SHOT_SOUND_VERSION = "1"  # bump when stages.mux.audio mixes a shot's sound differently


class EpisodeSoundOptions(StageOptions):
    audio_bitrate: str = Field("192k", pattern=r"^\d{2,3}k$", description="AAC bitrate of the one audio encode.")
    aac_coder: Literal["fast", "twoloop"] = Field(
        "fast", description="ffmpeg's AAC coder: fast is half the CPU of twoloop, the same SNR at 192k (34 dB)."
    )


def shot_pcm(voices: list[Artifact], shot: dict[str, Any], job: JobContext, ambience: bool, parts: Parts) -> np.ndarray:
    """Step 1: one shot's sound as the mux makes it, 16-bit stereo (samples x 2), from its part or made."""
    durations = [float(v.meta["duration"]) for v in voices]
    seconds, offsets = shot_layout(float(shot["duration"]), durations, job.fps)
    samples = shot_samples(max(1, round(seconds * job.fps)), job.fps)
    what = {
        "shot sound": SHOT_SOUND_VERSION,
        "voices": [v.key for v in voices],
        "offsets": offsets,
        "samples": samples,
        "scene": shot.get("scene"),
        "shot": shot["id"],
        "ambience": ambience,
    }
    key = digest_hex(canonical_json(what))
    part = parts.find(key)
    if part is not None:
        return np.load(part.file("sound.npy"))
    scene = Scene.model_validate(shot["scene"]) if shot.get("scene") else None
    mix = shot_audio([v.file() for v in voices], offsets, samples, scene, shot["id"], ambience)
    pcm = (np.clip(mix, -1.0, 1.0) * 32767.0).round().astype("<i2")  # as stages.voice.speech.write_wav
    with tempfile.TemporaryDirectory(prefix="kaipai-shot-sound-") as scratch:
        folder = parts.new_folder(key, Path(scratch))
        np.save(folder / "sound.npy", pcm)
        parts.keep(key, folder, {"file": "sound.npy", "samples": samples})
    return pcm


class EpisodeSound(Stage):
    name = "sound"
    backend = "ffmpeg"
    version = "1"
    resources = Resources(num_cpus=1)
    Options = EpisodeSoundOptions
    options: EpisodeSoundOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        music = MusicParams.model_validate(params["music"]) if params.get("music") else None
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        shots, ep = params["shots"], params["episode"]["id"]
        if sum(int(s["lines"]) for s in shots) != len(voices):
            raise ValueError(f"sound {ep}: {sum(int(s['lines']) for s in shots)} lines but {len(voices)} voices")
        parts, pcms, start = Parts(self.store_root, self.name), [], 0
        for shot in shots:
            own = voices[start : start + int(shot["lines"])]
            pcms.append(shot_pcm(own, shot, job, bool(params.get("ambience")), parts))
            start += int(shot["lines"])
        stereo = [p.astype(np.float32) / 32768.0 for p in pcms]  # as stages.assembly.episode.read_stereo
        lengths = [len(p) for p in pcms]
        with tempfile.TemporaryDirectory(prefix="kaipai-sound-") as work_dir:
            work = Path(work_dir)
            sound = episode_sound(stereo, lengths, music, job, work, f"sound {ep}", parts)
            self._encode(sound["file"], out / "sound.m4a", f"sound {ep}")
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sound-fingerprint") as side:
            fingerprint = side.submit(audio_fingerprint, out / "sound.m4a", f"sound {ep}")  # while it decodes
            analysis, speech = measure(out / "sound.m4a", f"sound {ep}")
            np.save(out / "speech.npy", speech.astype(np.float32))
            fingerprint = fingerprint.result()
        return {
            "file": "sound.m4a",
            "speech": "speech.npy",
            "samples": sum(lengths),
            "shots": [
                {"id": s["id"], "samples": n, "pcm_sha256": hashlib.sha256(p.tobytes()).hexdigest()}
                for s, n, p in zip(shots, lengths, pcms, strict=True)
            ],
            "loudness_input_lufs": sound["input_lufs"],
            "loudness_output_lufs": sound["output_lufs"],
            "peaks_oversampled": sound["peaks_oversampled"],
            "analysis": analysis.to_json(),
            "fingerprint": fingerprint,
            "episode": ep,
        }

    def _encode(self, wav: Path, path: Path, what: str) -> None:
        """The sound's one lossy encode: AAC in an MP4 (the assembly copies its packets)."""
        args = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(wav), "-map", "0:a:0"]
        args += ["-c:a", "aac", "-aac_coder", self.options.aac_coder, "-b:a", self.options.audio_bitrate]
        args += ["-ar", str(SAMPLE_RATE), "-y", str(path)]
        run_tool(args, what)
