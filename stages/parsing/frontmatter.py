"""Front matter: what a studio writes before the first episode (title, notes, bios, synopsis).

It is series metadata, never dialogue: ``【人物小传】`` lines ``名字：bio`` give the cast (and a
look for characters the spec does not describe), ``【故事梗概】``/大纲 the synopsis, ``备注`` notes.
The body starts at the first episode heading, or at ``【正文】``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stages.models import SeriesInfo
from stages.parsing.text import clean_name, split_names

BIOS = ("人物小传", "人物介绍", "角色介绍", "人物设定", "角色设定", "主要人物", "人物简介", "角色小传", "人物关系")
SYNOPSIS = ("故事梗概", "梗概", "大纲", "故事大纲", "剧情简介", "剧情大纲", "简介", "故事简介", "分集大纲")
NOTES = ("备注", "说明", "注", "创作说明", "题材", "类型", "集数", "时长", "编剧", "作者", "受众")
BODY = ("正文", "剧本正文", "剧本")
TITLE_LABELS = ("剧名", "片名", "标题", "剧本名", "作品名")
_ALL = (*BIOS, *SYNOPSIS, *NOTES, *BODY)
SECTION = re.compile(rf"^[【\[《]?\s*({'|'.join(sorted(_ALL, key=len, reverse=True))})\s*[】\]》]?\s*[：:]?\s*(.*)$")
LABELLED = re.compile(r"^(?P<label>[^：:，。！？\s]{1,12})\s*[：:]\s*(?P<text>.*)$")
TITLE = re.compile(rf"^(?:{'|'.join(TITLE_LABELS)})\s*[：:]\s*(.+)$")
BOOK_TITLE = re.compile(r"^《([^》]{1,60})》$")
BODY_MARK = re.compile(rf"^[【\[]\s*(?:{'|'.join(BODY)})\s*[】\]]$|^(?:{'|'.join(BODY)})\s*[：:]?$")
CAST = re.compile(r"^(?:人物|人|出场人物|登场人物|角色|主要角色)\s*[：:]\s*(.*)$")


def strip_title(text: str) -> str:
    """``《城墙之上》`` / ``：城墙之上`` -> ``城墙之上``."""
    return text.strip().strip('《》<>「」『』"“”：: ')


def is_front_mark(line: str) -> bool:
    """A line that only front matter has (a section of bios or synopsis, or the body mark)."""
    m = SECTION.match(line)
    return bool(BODY_MARK.match(line) or (m and m.group(1) in (*BIOS, *SYNOPSIS) and not m.group(2)))


@dataclass
class FrontMatter:
    """Reads front-matter lines one by one; ``read`` says what each line was."""

    info: SeriesInfo = field(default_factory=SeriesInfo)
    section: str = "notes"
    cast: list[str] = field(default_factory=list)

    def read(self, line: str) -> str:
        if BODY_MARK.match(line):
            return "the body starts here (【正文】)"
        if not self.info.title and (m := TITLE.match(line) or BOOK_TITLE.match(line)):
            self.info.title = strip_title(m.group(1))
            return "series title"
        if m := CAST.match(line):
            self.cast.extend(n for n in split_names(m.group(1)) if n not in self.cast)
            return "series cast list"
        if m := SECTION.match(line):
            label, rest = m.group(1), m.group(2)
            self.section = "bios" if label in BIOS else "synopsis" if label in SYNOPSIS else "notes"
            if rest:
                self._add(rest if self.section != "notes" else line)
            return f"front matter: {label}"
        return self._add(line)

    def _add(self, text: str) -> str:
        if self.section == "bios" and (m := LABELLED.match(text)):
            name = clean_name(m.group("label"))
            if name and name not in self.info.bios:
                self.info.bios[name] = m.group("text").strip()
                if name not in self.cast:
                    self.cast.append(name)
                return f"character bio of {name}"
        if self.section == "bios" and self.info.bios:
            last = list(self.info.bios)[-1]
            self.info.bios[last] = (self.info.bios[last] + " " + text).strip()
            return f"character bio of {last} (continued)"
        if self.section == "synopsis":
            self.info.synopsis = (self.info.synopsis + "\n" + text).strip()
            return "synopsis"
        self.info.notes.append(text)
        return "series note"
