"""What both parsers share: building episodes and scenes in order, and tidying names."""

from __future__ import annotations

import re
from pathlib import Path

from stages.errors import InputError
from stages.models import Beat, EpisodeScript, SceneScript

LINE_BREAK = re.compile(r"\r\n|\n|\r")
_EDGE_NOTES = re.compile(r"^(?:\s*[（(【\[][^）)】\]]*[）)】\]])+|(?:[（(【\[][^）)】\]]*[）)】\]]\s*)+$")
_OPENERS, _CLOSERS = "（([【{《", "）)]】}》"
_SEPARATORS = "、，,/／;； \t\u3000"


def source_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (``str.splitlines`` would also split on form feeds and U+2028)."""
    return LINE_BREAK.split(text)


def clean_name(name: str) -> str:
    """A speaker or cast name without notes in brackets, quotes or surrounding space."""
    name = _EDGE_NOTES.sub("", name.strip())
    return name.strip().strip("\u3000\"'“”‘’「」").strip()


# A note after the names ends the list: ``人物：林晚、陈砚  本集死亡：无``.
_CAST_NOTE = re.compile(r"[\s、，,;；]*(?:本集)?(?:死亡|新增|新人物|退场|下线|备注|注|说明)\s*[：:].*$")
# A count or a crowd after a name: ``男同学*4``, ``保镖×2``, ``群演若干``, ``路人3名``.
_COUNT = re.compile(r"\s*(?:[*×xX＊]\s*[0-9０-９]+|若干|等人|等|[0-9０-９]+\s*[名位个人])$")


def split_names(text: str) -> list[str]:
    """``林晚、陈默(保安)，男同学*4  本集死亡：无`` -> ``["林晚", "陈默", "男同学"]``."""
    names = (clean_name(_COUNT.sub("", n)) for n in _split_outside_brackets(_CAST_NOTE.sub("", text)))
    return [n for n in names if n and len(n) <= 24]


def _split_outside_brackets(text: str) -> list[str]:
    """Split at separators that are not inside brackets (a name may hold ``(0,0)``)."""
    parts, current, depth = [], [], 0
    for ch in text:
        depth += (ch in _OPENERS) - (ch in _CLOSERS and depth > 0)
        if ch in _SEPARATORS and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


class Builder:
    """Collects episodes, scenes and beats as a parser meets them, filling in what is implicit.

    No episode heading at all means one episode (number 1). A beat before any scene heading goes
    into an implicit scene (``line == 0``). When the script has episode headings, text before the
    first one (synopses, character bios) is not part of any episode and is left out.
    """

    def __init__(self, implicit_heading: str, episode_headings: bool = False) -> None:
        self.implicit_heading = implicit_heading
        self.episode_headings = episode_headings
        self.episodes: list[EpisodeScript] = []
        self.cast: list[str] = []
        self.pending_cast: list[str] = []
        self._episode_lines: dict[int, int] = {}

    @property
    def started(self) -> bool:
        return bool(self.episodes)

    @property
    def in_preamble(self) -> bool:
        return self.episode_headings and not self.episodes

    def _current_episode(self) -> EpisodeScript:
        if not self.episodes:
            self.episodes.append(EpisodeScript(number=1))
        return self.episodes[-1]

    def _current_scene(self) -> SceneScript:
        episode = self._current_episode()
        if not episode.scenes:
            episode.scenes.append(SceneScript(heading=self.implicit_heading, cast=self._take_cast()))
        return episode.scenes[-1]

    def _take_cast(self) -> list[str]:
        cast, self.pending_cast = self.pending_cast, []
        return cast

    def _meet(self, name: str | None) -> None:
        if name and name not in self.cast:
            self.cast.append(name)

    def episode(self, number: int, title: str, line: int, file: Path | str) -> None:
        if number in self._episode_lines:
            raise InputError(
                f"episode {number} appears twice (first on line {self._episode_lines[number]})",
                file=file,
                line=line,
            )
        self._episode_lines[number] = line
        self.pending_cast = []
        self.episodes.append(EpisodeScript(number=number, title=title, line=line))

    def scene(self, scene: SceneScript) -> None:
        if self.in_preamble:
            return
        scene.cast = self._take_cast()
        for name in scene.cast:
            self._meet(name)
        self._current_episode().scenes.append(scene)

    def cast_list(self, names: list[str]) -> None:
        if self.in_preamble:
            return
        episode = self._current_episode()
        scene = episode.scenes[-1] if episode.scenes else None
        if scene is None:
            self.pending_cast.extend(n for n in names if n not in self.pending_cast)
            return
        for name in names:
            if name not in scene.cast:
                scene.cast.append(name)
            self._meet(name)

    def beat(self, beat: Beat) -> None:
        if self.in_preamble:
            return
        scene = self._current_scene()
        for name in scene.cast:
            self._meet(name)
        if beat.spoken:
            self._meet(beat.character)
        scene.beats.append(beat)

    def scene_has_beats(self) -> bool:
        return bool(self.episodes and self.episodes[-1].scenes and self.episodes[-1].scenes[-1].beats)

    def has_open_scene(self) -> bool:
        return bool(self.episodes and self.episodes[-1].scenes)

    def mark_flashback(self) -> None:
        """The scene just opened (no beats yet) is a flashback."""
        if self.has_open_scene():
            self.episodes[-1].scenes[-1].flashback = True

    def finish(self, file: Path | str) -> list[EpisodeScript]:
        for episode in self.episodes:
            # A scene heading with nothing under it is kept only if it is the episode's one scene.
            episode.scenes = [s for s in episode.scenes if s.beats] or episode.scenes[:1]
            if not episode.scenes:
                raise InputError(
                    f"episode {episode.number} has no scenes or lines", file=file, line=episode.line or None
                )
        return self.episodes
