"""Who speaks a line: a cue (the text before the colon) resolved against the known cast.

A script supervisor reads ``沈乐惊喜OS：`` as 沈乐 speaking in voice-over, pleased; ``字幕：三年后``
as on-screen text; ``画外音：`` as an unseen voice. The same reading is needed by the Chinese
parser and by the LLM storyboard backend (which must map a model's ``林晚（冷笑）`` back to 林晚), so
it lives here. Resolution order, first match wins:

1. the cue is a known name exactly (whatever characters it contains);
2. a known name followed by a bracketed note (``林晚（冷笑）``);
3. a label that is not a speaker (字幕, 插入画面, 特效, 镜头语言, 本集死亡 …): on-screen text, action,
   transition or a crew note;
4. a speaker-less voice (旁白, 画外音, 系统音 …): narration, with a voice of its own;
5. voice-over marks at the end (OS, VO, V.O., 内心OS, 画外音 …) are taken off;
6. a known name at the start followed by manner words (``林芳温柔摸沈乐头打断``) is that name, the rest
   becoming the parenthetical; a known name followed by an index (``男同学2``) is a new person;
7. otherwise a new speaker; a long one is flagged as ambiguous so the user sees the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

CueKind = Literal["dialogue", "voiceover", "narration", "caption", "action", "transition", "note"]

MAX_NEW_NAME = 16  # longer unknown cues are not speakers at all
AMBIGUOUS_NAME = 6  # unknown cues longer than this are read as a speaker, with a warning


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VOICEOVER_MARKS = _words(
    "内心OS 内心独白 内心VO OS O.S. O.S VO V.O. V.O 画外音 画外 内心 心声 独白 电话 电话音 语音 旁白"
)
NARRATORS = ("旁白", "解说", "叙述", "叙述者", "NARRATOR", "VO", "OS")
# Speaker-less voices that get a voice of their own (the character is the label).
OWN_VOICES = {"画外音": "画外音", "系统音": "系统", "系统": "系统", "系统提示音": "系统", "系统提示": "系统",
              "广播": "广播", "电话音": "电话音", "电台": "电台", "画外": "画外音"}  # fmt: skip
CAPTIONS = _words("字幕 屏幕字幕 画面字幕 屏幕文字 文字 标题 弹幕 字卡 花字 提示字幕 大字 片头字幕 片尾字幕")
TRANSITIONS = _words("转场 黑场 黑屏 切 切至 切到 淡入 淡出 闪白 闪黑 叠化 硬切 渐隐 渐显")
ACTION_LABELS = _words(
    "插入画面 插入 特效 音效 音乐 BGM SFX 镜头 镜头语言 画面 空镜 特写 景别 道具 服装 时间 地点 场景"
    " 剧情 梗概 简介 内容 主题 背景 本集 配乐 分镜 机位 运镜 动作 环境 氛围 闪回 回忆"
    " 人物 角色 出场人物 剧名 片名 标题名"
)
# Production notes for the crew: neither filmed nor voiced.
NOTE_LABELS = _words(
    "本集死亡 死亡 本集新增 新增人物 新人物 本集出场 备注 注 注释 提示 编剧 导演 集数 卡点 钩子 付费点 时长 说明 作者"
)
# A compound label: 手机画面, 回忆画面, 字幕条, 特效字 … (never a name in practice).
LABEL_PARTS = ("画面", "镜头", "字幕", "特效", "音效", "空镜", "特写", "配乐", "黑场", "转场", "插入")
INDEX = re.compile(r"^(?:[0-9０-９]{1,2}|[A-Za-zＡ-Ｚ]|[甲乙丙丁戊己庚辛壬癸]|[一二三四五六七八九十]号?)$")
NOTE = re.compile(r"^(?P<base>.*?)\s*(?P<notes>(?:[（(][^（()）]*[）)]\s*)+)$")
SENTENCE = re.compile(r"[，,。！？!?；;“”\"…、\s]")


@dataclass(frozen=True)
class Cue:
    """How a cue was read: the line's kind, its speaker and parenthetical, and why."""

    kind: CueKind
    character: str | None
    parenthetical: str | None
    why: str
    ambiguous: bool = False


def _is_label(base: str) -> CueKind | None:
    upper = base.upper()
    if base in NOTE_LABELS:
        return "note"
    if base in CAPTIONS or (base.endswith("字幕") and len(base) <= 6):
        return "caption"
    if base in TRANSITIONS:
        return "transition"
    if upper in ACTION_LABELS or base in ACTION_LABELS:
        return "action"
    if len(base) <= 8 and any(base.startswith(p) or base.endswith(p) for p in LABEL_PARTS):
        return "action"
    return None


def _split_notes(cue: str) -> tuple[str, list[str]]:
    """``林晚（冷笑）(OS)`` -> ``("林晚", ["冷笑", "OS"])``."""
    m = NOTE.match(cue)
    if not m or not m.group("base").strip():
        return cue.strip(), []
    notes = re.findall(r"[（(]([^（()）]*)[）)]", m.group("notes"))
    return m.group("base").strip(), [n.strip() for n in notes if n.strip()]


def split_marks(note: str) -> tuple[bool, str | None]:
    """``OS`` / ``冷笑，OS`` -> (is voice-over, the rest of the note)."""
    parts = [p.strip() for p in re.split(r"[，,、/／\s]+", note.strip()) if p.strip()]
    marks = {m.upper() for m in VOICEOVER_MARKS}
    rest = [p for p in parts if p.upper() not in marks]
    if len(rest) == len(parts):
        return False, note.strip() or None
    return True, "，".join(rest) or None


def _strip_trailing_marks(base: str) -> tuple[str, bool]:
    """``沈乐惊喜OS`` -> (``沈乐惊喜``, True); longest mark first, repeated (``林晚内心OS``)."""
    found = False
    changed = True
    while changed:
        changed = False
        for mark in sorted(VOICEOVER_MARKS, key=len, reverse=True):
            if base.upper().endswith(mark.upper()) and len(base) > len(mark):
                base, found, changed = base[: -len(mark)].rstrip(" .·-—"), True, True
                break
    return base, found


def _known_prefix(base: str, cast: Iterable[str]) -> str | None:
    """The longest known name (two characters or more) that ``base`` starts with."""
    names = sorted((n for n in cast if len(n) >= 2 and base.startswith(n)), key=len, reverse=True)
    return names[0] if names else None


def _join(*parts: str | None) -> str | None:
    return "，".join(p for p in parts if p) or None


def _notes(notes: list[str]) -> tuple[bool, str | None]:
    voiceover, rest = False, []
    for note in notes:
        vo, remaining = split_marks(note)
        voiceover |= vo
        if remaining:
            rest.append(remaining)
    return voiceover, _join(*rest)


def resolve_cue(cue: str, cast: Iterable[str] = ()) -> Cue | None:
    """Read a cue against the known cast; None when it cannot be a cue (a sentence, too long)."""
    cue = cue.strip()
    known = list(dict.fromkeys(n for n in cast if n))
    if not cue:
        return None
    if cue.upper() in NARRATORS:  # even when the spec describes the narrator: it narrates
        return Cue("narration", None, None, f"{cue}: narration")
    if cue in known:
        return Cue("dialogue", cue, None, "a known cast name")
    base, notes = _split_notes(cue)
    voiceover, paren = _notes(notes)
    kind: CueKind = "voiceover" if voiceover else "dialogue"
    if base in known:
        return Cue(kind, base, paren, "a known cast name with a note" if notes else "a known cast name")
    bare = re.sub(r"[（(][^（()）]*[）)]", "", base)
    if SENTENCE.search(bare):
        return None
    if label := _is_label(base):
        return Cue(label, None, paren, f"{base} is a label, not a speaker")
    if base.upper() in NARRATORS:
        return Cue("narration", None, paren, f"{base}: narration")
    if base in OWN_VOICES:
        return Cue("narration", OWN_VOICES[base], paren, f"{base}: an unseen voice with a voice of its own")
    stem, marked = _strip_trailing_marks(base)
    if marked:
        kind = "voiceover"
    if stem in known:
        return Cue(kind, stem, paren, f"{stem} with a voice-over mark")
    return _by_prefix(cue, stem, kind, paren, marked, known)


def _by_prefix(cue: str, stem: str, kind: CueKind, paren: str | None, marked: bool, known: list[str]) -> Cue | None:
    """Steps 6 and 7: a known name with manner words or an index, else a new speaker."""
    mark_note = " with a voice-over mark" if marked else ""
    if name := _known_prefix(stem, known):
        rest = stem[len(name) :].strip(" ·-—")
        if INDEX.match(rest):
            return Cue(kind, stem, paren, f"{name} numbered: a person of their own{mark_note}")
        why = f"{name} (a known name) followed by manner words '{rest}'{mark_note}"
        return Cue(kind, name, _join(rest, paren), why)
    if len(stem) > MAX_NEW_NAME:
        return None
    if len(stem) > AMBIGUOUS_NAME:
        why = f"'{cue}' starts with no known name; read as a new speaker '{stem}'{mark_note}"
        return Cue(kind, stem, paren, why, ambiguous=True)
    return Cue(kind, stem, paren, f"a new speaker (in no cast list){mark_note}")


def resolve_name(name: str, cast: Iterable[str]) -> str | None:
    """A name as a model or a user wrote it, mapped to the cast's spelling; None when it is nobody known."""
    known = list(dict.fromkeys(cast))
    if name in known:
        return name
    folded = {n.casefold(): n for n in known}
    if name.casefold() in folded:
        return folded[name.casefold()]
    cue = resolve_cue(name, known)
    if cue and cue.character in known:
        return cue.character
    return None
