"""Stage ``stem``, backend ``ffmpeg``: the episode's M&E stem (music and effects, no dialogue).

Dubbing houses mix their own voices over it. kaipai's shots carry no sound effects of their own
(their audio is the voices), so the stem is the music bed, never ducked, at the
episode's exact length — or silence of that length when the job has no music (``meta.music``
says which), so a dub always lines up with the picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import ffmpeg

from stages.base import Inputs, Resources, Stage
from stages.errors import InputError
from stages.media.ffmpeg_run import run_ffmpeg
from stages.params import MusicParams

SAMPLE_RATE = 48_000


class MEStem(Stage):
    name: ClassVar[str] = "stem"
    backend: ClassVar[str] = "ffmpeg"
    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1)

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        shots = inputs["shots"] if isinstance(inputs["shots"], list) else [inputs["shots"]]
        seconds = sum(float(s.meta["duration"]) for s in shots)
        music = MusicParams.model_validate(params["music"]) if params.get("music") else None
        if music is None:
            bed = ffmpeg.input(f"anullsrc=r={SAMPLE_RATE}:cl=stereo", f="lavfi").audio
        else:
            if not Path(music.path).is_file():
                raise InputError(f"music file not found: {music.path}", field="music.path")
            bed = ffmpeg.input(music.path, stream_loop=-1).audio.filter("volume", music.volume)
        bed = bed.filter("atrim", duration=f"{seconds:.6f}").filter(
            "aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo"
        )
        wav = out / "me.wav"
        run_ffmpeg(ffmpeg.output(bed, str(wav), acodec="pcm_s16le", t=f"{seconds:.6f}"), f"stem {params['episode']}")
        return {
            "file": "me.wav",
            "duration": round(seconds, 3),
            "music": music is not None,
            "episode": params["episode"],
        }
