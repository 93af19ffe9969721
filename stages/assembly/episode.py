"""The ``ffmpeg`` assembly backend: one finished episode, its picture joined without re-encoding.

1. The shots' pictures (each encoded once, text burned in, by the mux) are joined with the concat
   demuxer and copied as they are, so editing one line re-encodes only its shot.
2. Their sounds (exact sample counts) are concatenated sample for sample: the episode's audio is as
   long as its picture by construction, with no per-shot AAC padding to accumulate.
3. An optional music bed loops under it, ducked while anyone speaks (``sidechaincompress``).
4. The mix is normalised to the platform preset's loudness (measured once, one gain and a true-peak
   limiter on the samples: ``stages.media.loudness``) and encoded to AAC once, with the AI-content
   label in the file's metadata.
5. The episode's SRT goes in as a soft subtitle track (mov_text, tagged with its language), so a
   player can show or hide it; a release's track is its language. The sound is tagged with the
   language its voices speak (a dubbed release's, else the original's).
The episode's render is a function of (pictures, audio, subtitles) only, so a second language can
reuse the pictures.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ffmpeg
import numpy as np
from pydantic import Field

from stages.assembly.cover import draw_covers
from stages.assembly.labels import aigc_metadata
from stages.assembly.peaks import episode_peaks
from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.errors import InputError
from stages.hashing import digest_hex
from stages.media.concat import concat_list
from stages.media.ffmpeg_run import FFMPEG, MediaError, run_ffmpeg, run_tool
from stages.media.loudness import LoudnessTarget, SilentAudio, normalise
from stages.media.probe import probe
from stages.params import JobContext, MusicParams
from stages.parts import Parts, link_into
from stages.platforms.presets import PLATFORM_PRESETS
from stages.store import canonical_json
from stages.translations import track_language
from stages.voice.speech import write_wav

SAMPLE_RATE = 48_000
COVERS_VERSION = "1"  # bump when stages.assembly.cover draws differently


def read_stereo(path: Path) -> np.ndarray:
    """A 16-bit stereo WAV as float32 (samples x 2)."""
    with wave.open(str(path), "rb") as w:
        channels, raw = w.getnchannels(), w.readframes(w.getnframes())
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32).reshape(-1, channels) / 32768.0
    return data if channels == 2 else np.repeat(data[:, :1], 2, axis=1)


def shot_sounds(shots: list[Artifact]) -> list[np.ndarray]:
    """The shots' sounds, each checked against the sample count its meta promises."""
    parts = []
    for shot in shots:
        audio = read_stereo(shot.file(shot.meta.get("audio", "shot.wav")))
        expected = int(shot.meta.get("samples", len(audio)))
        if len(audio) != expected:
            raise ValueError(f"{shot.meta.get('shot')}: {len(audio)} audio samples, {expected} expected")
        parts.append(audio)
    return parts


def shot_pcm_sha256(shot: Artifact) -> str:
    """The sha256 of a mux's sound as 16-bit PCM (its WAV's frames)."""
    with wave.open(str(shot.file(shot.meta.get("audio", "shot.wav"))), "rb") as w:
        return hashlib.sha256(w.readframes(w.getnframes())).hexdigest()


def episode_sound(
    sounds: list[np.ndarray],
    lengths: list[int],
    music: MusicParams | None,
    job: JobContext,
    work: Path,
    what: str,
    parts: Parts,
) -> dict[str, Any]:
    """Steps 2-4 up to the encode: the shots' sounds joined, the music under them, the loudness; a
    PCM file of exactly ``sum(lengths)`` samples. Returns it (``file``), the loudness figures and how
    many shots' true peaks had to be oversampled (``peaks_oversampled``)."""
    samples = sum(lengths)
    audio = np.concatenate(sounds) if sounds else np.zeros((0, 2), dtype=np.float32)
    if music is not None:
        joined, mixed = work / "joined.wav", work / "mixed.wav"
        write_wav(joined, audio, SAMPLE_RATE)
        bed = music_bed(music, ffmpeg.input(str(joined)).audio, samples / SAMPLE_RATE)
        run_ffmpeg(ffmpeg.output(bed, str(mixed), acodec="pcm_s16le", ar=SAMPLE_RATE), f"{what} music")
        audio = read_stereo(mixed)
    audio = exact_length(audio, samples).astype(np.float32)
    peaks, oversampled = episode_peaks(audio, lengths, parts)
    try:
        loud, figures = normalise(audio, SAMPLE_RATE, loudness_target(job), peaks)
    except SilentAudio as exc:
        raise MediaError(f"{what}: {exc}") from None
    final = work / "final.wav"
    write_wav(final, loud, SAMPLE_RATE)
    return {"file": final, **figures, "peaks_oversampled": oversampled}


def exact_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """Cut or pad (silence) to exactly ``samples`` frames."""
    if len(audio) >= samples:
        return audio[:samples]
    return np.concatenate([audio, np.zeros((samples - len(audio), audio.shape[1]), dtype=audio.dtype)])


def music_bed(music: MusicParams, voice: Any, seconds: float) -> Any:
    """Voice plus looped music, the music ducked under speech when ``music.duck``."""
    if not Path(music.path).is_file():
        raise InputError(f"music file not found: {music.path}", field="music.path")
    bed = (
        ffmpeg.input(music.path, stream_loop=-1)
        .audio.filter("atrim", duration=f"{seconds:.6f}")
        .filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo")
        .filter("volume", music.volume)
    )
    if music.duck:
        voice_split = voice.filter_multi_output("asplit")
        voice, key = voice_split[0], voice_split[1]
        bed = ffmpeg.filter([bed, key], "sidechaincompress", threshold=0.02, ratio=10, attack=15, release=400)
    return ffmpeg.filter([voice, bed], "amix", inputs=2, normalize=0, duration="first", dropout_transition=0)


def loudness_target(job: JobContext) -> LoudnessTarget:
    preset = PLATFORM_PRESETS.get(job.platform, PLATFORM_PRESETS["none"])
    return LoudnessTarget(preset.loudness_lufs, preset.true_peak_dbtp)


class EpisodeAssemblyOptions(StageOptions):
    audio_bitrate: str = Field("192k", pattern=r"^\d{2,3}k$", description="AAC bitrate of the one audio encode.")
    aac_coder: Literal["fast", "twoloop"] = Field(
        "fast", description="ffmpeg's AAC coder: fast is half the CPU of twoloop, the same SNR at 192k (34 dB)."
    )


class EpisodeAssembly(Stage):
    name = "assembly"
    backend = "ffmpeg"
    # 4: the subtitles as a soft track; 5: loudness measured on the samples, AAC fast coder; 6: badges
    version = "6"
    resources = Resources(num_cpus=2)
    Options = EpisodeAssemblyOptions
    options: EpisodeAssemblyOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        episode = params["episode"]
        music = MusicParams.model_validate(params["music"]) if params.get("music") else None
        shots = inputs["shots"] if isinstance(inputs["shots"], list) else [inputs["shots"]]
        subtitles, cover = inputs["subtitles"], inputs["cover"]
        assert isinstance(subtitles, Artifact) and isinstance(cover, Artifact)
        if not shots:
            raise ValueError(f"assembly {episode['id']}: no shots")
        frames = sum(int(s.meta["frames"]) for s in shots)
        samples = sum(int(s.meta["samples"]) for s in shots)
        video_path = out / "episode.mp4"
        made = inputs.get("sound")  # the episode's sound, encoded beside the pictures (stages.sound)
        with tempfile.TemporaryDirectory(prefix="kaipai-assembly-") as work_dir:
            work = Path(work_dir)
            if isinstance(made, Artifact):
                sound = made_sound(made, shots, episode["id"])
            else:
                sound = self._sound(shots, music, samples, job, work, episode["id"])
            track = SubtitleTrack(subtitles.file("episode.srt"), str(params.get("language") or job.language))
            spoken = (
                str(params["language"]) if params.get("dub") else job.language
            )  # a subtitled release: the original voices
            self._join(
                shots, sound["file"], video_path, work, episode["id"], track, spoken, sound.get("encoded", False)
            )
        number, title = int(episode.get("number", 1)), episode.get("title", "")
        covers = self._covers(cover, job, number, title, out)
        shutil.copyfile(subtitles.file("episode.srt"), out / "episode.srt")
        info = probe(video_path)
        return {
            "file": "episode.mp4",
            "duration": round(info.duration, 3),
            "planned": round(frames / job.fps, 6),
            "frames": frames,
            "samples": samples,
            "shots": len(shots),
            "subtitles": "episode.srt",
            "cover": "cover.jpg",
            "covers": covers,
            "width": info.width,
            "height": info.height,
            "episode": episode["id"],
            "loudness_input_lufs": sound["input_lufs"],
            "loudness_output_lufs": sound["output_lufs"],
            "peaks_oversampled": sound["peaks_oversampled"],  # shots whose true peaks were not kept
            "sound": made.key if isinstance(made, Artifact) else None,  # the sound stage's, copied
            **episode_text_and_speech(shots),
        }

    def _covers(self, cover: Artifact, job: JobContext, number: int, title: str, out: Path) -> list[str]:
        """The covers, drawn once per picture, job and episode name (kept as a part, ``stages.parts``):
        an edited line redraws none of them."""
        parts = Parts(self.store_root, self.name)
        what = {
            "covers": COVERS_VERSION,
            "picture": cover.key,
            "job": job.model_dump(mode="json"),
            "episode": [number, title],
        }
        key = digest_hex(canonical_json(what))
        with tempfile.TemporaryDirectory(prefix="kaipai-covers-") as scratch:
            part = parts.find(key)
            if part is None:
                folder = parts.new_folder(key, Path(scratch))
                names = draw_covers(cover.file(), job, number, title, folder)
                part = parts.keep(key, folder, {"file": names[0], "covers": names})
            for name in part.meta["covers"]:
                link_into(part.file(name), out / name)
        return list(part.meta["covers"])

    def _sound(
        self, shots: list[Artifact], music: MusicParams | None, samples: int, job: JobContext, work: Path, what: str
    ) -> dict[str, Any]:
        """Steps 2-4 up to the encode (:func:`episode_sound`) from the muxes' sounds."""
        lengths = [int(s.meta["samples"]) for s in shots]
        parts = Parts(self.store_root, self.name)
        return episode_sound(shot_sounds(shots), lengths, music, job, work, f"assembly {what}", parts)

    def _join(
        self,
        shots: list[Artifact],
        audio: Path,
        path: Path,
        work: Path,
        what: str,
        track: SubtitleTrack,
        spoken: str,
        encoded: bool = False,
    ) -> None:
        """Step 1 and the one audio encode: pictures copied, sound to AAC (copied when ``encoded``
        already), the subtitles as a soft track (mov_text, tagged with their language), the AIGC
        label in the metadata."""
        listing = work / "shots.txt"
        listing.write_text(concat_list([s.file() for s in shots]), encoding="utf-8")
        label = aigc_metadata([s.path.name for s in shots])
        args = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0"]
        args += ["-i", str(listing), "-i", str(audio)]
        args += track.input_args()
        args += ["-map", "0:v:0", "-map", "1:a:0", *track.map_args(2), "-c:v", "copy"]
        args += ["-metadata:s:a:0", f"language={track_language(spoken)}"]  # the language the voices speak
        if encoded:
            args += ["-c:a", "copy"]
        else:
            args += ["-c:a", "aac", "-aac_coder", self.options.aac_coder, "-b:a", self.options.audio_bitrate]
            args += ["-ar", str(SAMPLE_RATE)]
        args += ["-metadata", f"AIGC={label}", "-metadata", "comment=AI生成 (AI-generated)"]
        args += ["-movflags", "+faststart+use_metadata_tags", "-y", str(path)]
        run_tool(args, f"assembly {what}")


def made_sound(sound: Artifact, shots: list[Artifact], what: str) -> dict[str, Any]:
    """The sound stage's encoded sound, once it is proven to be made of exactly these shots' sounds:
    as many, in order, each the same sample count and the same 16-bit PCM (sha256) as its mux's."""
    made = sound.meta.get("shots") or []
    if len(made) != len(shots):
        raise ValueError(f"assembly {what}: the sound has {len(made)} shots, the picture {len(shots)}")
    for shot, part in zip(shots, made, strict=True):
        name = shot.meta.get("shot")
        if part.get("id") != name or int(part["samples"]) != int(shot.meta["samples"]):
            raise ValueError(
                f"assembly {what}: the sound's shot {part.get('id')} ({part.get('samples')} samples) "
                f"is not the picture's {name} ({shot.meta['samples']})"
            )
        if part.get("pcm_sha256") != shot_pcm_sha256(shot):
            raise ValueError(f"assembly {what}: the sound of shot {name} is not its mux's")
    return {
        "file": sound.file(),
        "encoded": True,
        "input_lufs": sound.meta["loudness_input_lufs"],
        "output_lufs": sound.meta["loudness_output_lufs"],
        "peaks_oversampled": sound.meta["peaks_oversampled"],
    }


@dataclass(frozen=True)
class SubtitleTrack:
    """The episode's SRT as a selectable subtitle stream: mov_text, with its ISO 639-2 language tag."""

    srt: Path
    language: str

    @property
    def present(self) -> bool:
        return self.srt.is_file() and "-->" in self.srt.read_text(encoding="utf-8")  # an empty SRT makes no track

    def input_args(self) -> list[str]:
        return ["-f", "srt", "-i", str(self.srt)] if self.present else []

    def map_args(self, index: int) -> list[str]:
        if not self.present:
            return []
        tag = track_language(self.language)
        return ["-map", f"{index}:s:0", "-c:s", "mov_text", "-metadata:s:s:0", f"language={tag}"]


def episode_text_and_speech(shots: list[Artifact]) -> dict[str, Any]:
    """Every burned text box, every badge's place, every voice's speech span, every black run and
    every frozen run of a moving shot, moved to episode time (for the gates)."""
    found: dict[str, list] = {"text": [], "badges": [], "speech": [], "black": [], "frozen": []}
    start = 0.0
    for shot in shots:
        for kind in ("text", "badges"):
            for placed in shot.meta.get(kind, []):
                moved = {"start": round(start + placed["start"], 3), "end": round(start + placed["end"], 3)}
                found[kind].append({**placed, **moved})
        for kind in ("speech", "black", "frozen"):
            found[kind] += [[round(start + a, 3), round(start + b, 3)] for a, b in shot.meta.get(kind, [])]
        start += float(shot.meta["duration"])  # frames / fps, as the picture
    return found
