"""Subtitles in another language, timed by the original voices (a subtitled release of the master).

Stage ``localise``, backend ``ass``: the subtitles stage run again with each line's text replaced by
its translation (one ``translate`` artifact per line, in line order). The timing comes from the same
voice artifacts as the original's, so the pictures and the mix are those of the master: only the
text changes, and only the translations of an edited line are made again.

Its meta also carries, per shot, the cues of that shot (``shot_cues``: shot id -> ``[start, end, line,
rows]`` in seconds from the shot's start, never led by speaker names) and the script family they
are set in (``script``). A release mux lays out the very same cues from its own lines' translations
(``stages.translations``, ``stages.subtitles.cues.shot_cues``), so the burned text, the soft track
and the SRT agree.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from stages.base import Inputs
from stages.models import Line
from stages.params import JobContext
from stages.subtitles.ass import AssSubtitles, episode_shot_cues
from stages.translations import script_family, translated_lines


class LocalisedSubtitles(AssSubtitles):
    name: ClassVar[str] = "localise"
    backend: ClassVar[str] = "ass"
    version: ClassVar[str] = "3"  # 2: the burned cues per shot in the meta; 3: lines start on whole frames

    def run(self, params: dict[str, Any], inputs: Inputs, out: Any) -> dict[str, Any]:
        target = str(params["language"])
        localised = copy.deepcopy({k: v for k, v in params.items() if k != "language"})
        localised["job"]["language"] = script_family(target)
        translations = inputs.get("translations") or []
        every_line = [Line.model_validate(line) for shot in localised["shots"] for line in shot["lines"]]
        texts = {line.id: line.text for line in translated_lines(every_line, translations, f"localise {target}")}
        for shot in localised["shots"]:
            for line in shot["lines"]:
                line["text"] = texts[line["id"]]
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        meta = super().run(localised, {"voices": voices}, out)
        job = JobContext.model_validate(localised["job"])
        burned, _ = episode_shot_cues(job, localised["shots"], [v.meta for v in voices])
        per_shot = {shot: [[c.start, c.end, c.line, list(c.rows)] for c in cues] for shot, _, cues in burned}
        return {**meta, "language": target, "script": job.language, "shot_cues": per_shot}
