"""The text burned onto one shot, as an ASS file for libass: subtitles, caption, scene heading, AI label.

Text is drawn here, after the camera move, so no push-in or pan crops it, and only here, in the
boxes of :mod:`stages.subtitles.layout`. Every event's box is returned with it (measured with the
same font), for the quality gate. Internal ids and camera notes appear only in a review cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import pysubs2

from stages.media.fonts import CJK_FONT_FAMILY, load_font
from stages.models import Scene, Shot
from stages.params import JobContext
from stages.subtitles.breaking import break_cues
from stages.subtitles.cues import Cue
from stages.subtitles.escape import ass_join
from stages.subtitles.layout import LINE_HEIGHT, Box, TextLayout, outline_width, text_layout

AI_LABEL = {"zh": "AI生成", "en": "AI-generated"}
# The review cut's camera notes.
SIZE_LABEL = {
    "zh": {"close-up": "特写", "medium close-up": "近景", "medium": "中景", "full": "全景", "wide": "远景"},
    "en": {"close-up": "CU", "medium close-up": "MCU", "medium": "MS", "full": "FS", "wide": "WS"},
}
CAMERA_LABEL = {
    "zh": {"static": "固定", "push-in": "推", "pull-out": "拉", "pan": "摇", "track": "移", "follow": "跟"},
    "en": {
        "static": "static",
        "push-in": "push in",
        "pull-out": "pull out",
        "pan": "pan",
        "track": "track",
        "follow": "follow",
    },
}


@dataclass(frozen=True)
class Placed:
    """One drawn text: its kind, when it shows (seconds in the shot) and where (pixels)."""

    kind: str  # subtitle | caption | header | label
    start: float
    end: float
    box: Box


def _style(size: int, alignment: pysubs2.Alignment, margins: tuple[int, int, int]) -> pysubs2.SSAStyle:
    left, right, vertical = margins
    return pysubs2.SSAStyle(
        fontname=CJK_FONT_FAMILY,
        fontsize=size,
        primarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(0, 0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 128),
        outline=outline_width(size),
        shadow=max(0.0, round(size * 0.03, 1)),
        alignment=alignment,
        marginl=left,
        marginr=right,
        marginv=vertical,
    )


def overlay_styles(layout: TextLayout) -> dict[str, pysubs2.SSAStyle]:
    """The four styles, their margins put on the layout's boxes."""
    w, h = layout.width, layout.height
    x0, y0, x1, y1 = layout.safe
    bottom_centre, top_left = pysubs2.Alignment.BOTTOM_CENTER, pysubs2.Alignment.TOP_LEFT
    label = _style(layout.label_size, top_left, (x0, w - x1, y0))
    label.primarycolor = pysubs2.Color(255, 255, 255, 60)
    return {
        "Default": _style(layout.subtitle_size, bottom_centre, (x0, w - x1, h - y1)),
        "Caption": _style(layout.caption_size, bottom_centre, (x0, w - x1, h - layout.caption_bottom)),
        "Header": _style(layout.header_size, top_left, (x0, w - x1, layout.header_top)),
        "Label": label,
    }


def text_box(rows: tuple[str, ...] | list[str], style: pysubs2.SSAStyle, layout: TextLayout) -> Box:
    """The pixels ``rows`` cover when libass draws them in ``style`` (outline included)."""
    font = load_font(round(style.fontsize))
    width = max((font.getlength(r) for r in rows), default=0.0) + 2 * style.outline
    height = round(style.fontsize * LINE_HEIGHT * len(rows)) + 2 * style.outline
    left, right = style.marginl, layout.width - style.marginr
    if style.alignment == pysubs2.Alignment.BOTTOM_CENTER:
        cx, bottom = (left + right) / 2, layout.height - style.marginv
        return (round(cx - width / 2), round(bottom - height), round(cx + width / 2), bottom)
    top = style.marginv
    return (left, top, round(left + width), round(top + height))


def shot_overlay(
    job: JobContext,
    shot: Shot,
    scene: Scene | None,
    cues: list[Cue],
    seconds: float,
    ai_label: bool = True,
    script_text: bool = True,
) -> tuple[pysubs2.SSAFile, list[Placed]]:
    """The shot's ASS file (times from the shot's start) and the box of every event in it.

    ``script_text``: draw the scene heading and the action caption, which are in the script's own
    language (a release in another language leaves them off: they have no translation).
    """
    layout = text_layout(job)
    styles = overlay_styles(layout)
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(job.width), "PlayResY": str(job.height), "WrapStyle": "2"})
    subs.info.update({"ScaledBorderAndShadow": "yes", "YCbCr Matrix": "TV.709"})
    subs.styles = styles
    placed: list[Placed] = []

    def add(kind: str, style: str, start: float, end: float, rows: tuple[str, ...] | list[str]) -> None:
        if not rows or end <= start:
            return
        ms = (round(start * 1000), round(end * 1000))
        subs.append(pysubs2.SSAEvent(start=ms[0], end=ms[1], text=ass_join(list(rows)), style=style))
        placed.append(Placed(kind, round(start, 3), round(end, 3), text_box(rows, styles[style], layout)))

    if ai_label:
        add("label", "Label", 0.0, seconds, [AI_LABEL[job.language]])
    columns = layout.columns(layout.header_size)
    heading = (scene.heading or scene.location) if scene and script_text else ""
    header_rows = _one_row(heading, job.language, columns) if heading else []
    if job.review:  # the shot's id and camera note on a row of their own, never cut off by the heading
        header_rows.append(_review_note(job, shot))
    if header_rows:
        add("header", "Header", 0.0, seconds, header_rows)
    if shot.action and script_text:
        caption_rows = _caption_rows(shot.action, job.language, layout.columns(layout.caption_size))
        add("caption", "Caption", 0.0, seconds, caption_rows)
    for cue in cues:
        add("subtitle", "Default", cue.start, min(cue.end, seconds), cue.rows)
    return subs, placed


def _review_note(job: JobContext, shot: Shot) -> str:
    return f"{shot.id} {SIZE_LABEL[job.language][shot.size]}·{CAMERA_LABEL[job.language][shot.camera]}"


def _one_row(text: str, language: str, columns: int) -> list[str]:
    cues = break_cues(text, language, columns)
    if not cues:
        return []
    first = cues[0][0]
    return [first if len(cues) == 1 and len(cues[0]) == 1 else first.rstrip("，,。.") + "…"]


def _caption_rows(text: str, language: str, columns: int) -> list[str]:
    """The action as at most two rows; what does not fit ends in an ellipsis."""
    prefix = "△ " if language == "zh" else ""
    cues = break_cues(prefix + text, language, columns)
    rows = list(cues[0]) if cues else []
    if len(cues) > 1:
        rows[-1] = rows[-1].rstrip("，,。.") + "…"
    return rows
