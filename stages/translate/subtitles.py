"""Subtitles in another language, timed by the original voices (a subtitled release of the master).

Stage ``localise``, backend ``ass``: the subtitles stage run again with each line's text replaced by
its translation (one ``translate`` artifact per line, in line order). The timing comes from the same
voice artifacts as the original's, so the pictures and the mix are those of the master: only the
text changes, and only the translations of an edited line are made again.

Its meta also carries, per shot, the cues a release's mux burns into that shot (``shot_cues``: shot id
-> ``[start, end, line, rows]`` in seconds from the shot's start, never led by speaker names) and the
script family they are set in (``script``), so the burned text and the release's SRT always agree.
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from stages.base import Artifact, Inputs
from stages.params import JobContext
from stages.subtitles.ass import AssSubtitles, episode_shot_cues


def script_family(language: str) -> str:
    """The subtitle style to use: Chinese fonts and punctuation for zh*, Latin for the rest."""
    return "zh" if language.startswith("zh") else "en"


class LocalisedSubtitles(AssSubtitles):
    name: ClassVar[str] = "localise"
    backend: ClassVar[str] = "ass"
    version: ClassVar[str] = "2"  # 2: the burned cues per shot in the meta

    def run(self, params: dict[str, Any], inputs: Inputs, out: Any) -> dict[str, Any]:
        target = str(params["language"])
        translations = inputs.get("translations") or []
        translations = translations if isinstance(translations, list) else [translations]
        texts = {}
        for artifact in translations:
            assert isinstance(artifact, Artifact)
            record = json.loads(artifact.file().read_text(encoding="utf-8"))
            texts[record["id"]] = record["subtitle"]
        localised = copy.deepcopy({k: v for k, v in params.items() if k != "language"})
        localised["job"]["language"] = script_family(target)
        for shot in localised["shots"]:
            for line in shot["lines"]:
                if line["id"] not in texts:
                    raise ValueError(f"localise {target}: no translation of line {line['id']}")
                line["text"] = texts[line["id"]]
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        meta = super().run(localised, {"voices": voices}, out)
        job = JobContext.model_validate(localised["job"])
        burned, _ = episode_shot_cues(job, localised["shots"], [v.meta for v in voices])
        per_shot = {shot: [[c.start, c.end, c.line, list(c.rows)] for c in cues] for shot, _, cues in burned}
        return {**meta, "language": target, "script": job.language, "shot_cues": per_shot}
