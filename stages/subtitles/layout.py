"""Where text goes on the picture, per platform preset: one layout shared by every text drawer.

From the bottom of the preset's safe area up: the subtitle band (two rows, always reserved, so the
caption above it never moves and never meets a subtitle), the action caption, and at the top the AI
label with the scene heading under it. Everything is in pixels of the job's frame, and every box a
drawer fills is recorded, so the quality gate can check that text stays inside the safe area and
off other text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from stages.params import JobContext
from stages.platforms.presets import safe_margins

Box = tuple[int, int, int, int]
LINE_HEIGHT = 1.25  # row pitch as a multiple of the font size (the CJK font's ascent + descent + gap)
SUBTITLE_ROWS = 2
CAPTION_ROWS = 2
# Font sizes as fractions of the frame's height, per aspect.
SIZES = {
    "9:16": {"subtitle": 0.038, "caption": 0.027, "header": 0.024, "label": 0.03},
    "16:9": {"subtitle": 0.055, "caption": 0.040, "header": 0.036, "label": 0.05},
}


@dataclass(frozen=True)
class TextLayout:
    width: int
    height: int
    safe: Box
    subtitle_size: int
    caption_size: int
    header_size: int
    label_size: int

    @property
    def gap(self) -> int:
        return max(2, round(self.subtitle_size * 0.35))

    @property
    def subtitle_band(self) -> Box:
        x0, _, x1, y1 = self.safe
        return (x0, y1 - self.rows_height(self.subtitle_size, SUBTITLE_ROWS), x1, y1)

    @property
    def caption_bottom(self) -> int:
        return self.subtitle_band[1] - self.gap

    @property
    def label_box_top(self) -> int:
        return self.safe[1]

    @property
    def header_top(self) -> int:
        return self.safe[1] + self.rows_height(self.label_size, 1) + self.gap

    def rows_height(self, size: int, rows: int) -> int:
        return round(size * LINE_HEIGHT * rows)

    def box_height(self, size: int, rows: int) -> float:
        """What ``rows`` at ``size`` px cover when drawn: the rows and the outline above and below."""
        return self.rows_height(size, rows) + 2 * outline_width(size)

    def columns(self, size: int) -> int:
        """Display columns (a 汉字 is two) that fit across the safe area at ``size`` px."""
        x0, _, x1, _ = self.safe
        return max(8, int((x1 - x0) / (size * 0.5)) - 1)


def outline_width(size: int) -> float:
    """The outline libass draws around text of ``size`` px (the overlay's styles use it)."""
    return max(1.0, round(size * 0.08, 1))


@lru_cache(maxsize=32)
def _layout(width: int, height: int, aspect: str, platform: str) -> TextLayout:
    sizes = SIZES[aspect]
    px = {name: max(10, round(height * frac)) for name, frac in sizes.items()}
    # A 5% text height of the short side is the least the AI label may have (GB 45438-2025, 6.1).
    px["label"] = max(px["label"], round(min(width, height) * 0.05))
    return TextLayout(
        width,
        height,
        safe_margins(platform, aspect).box(width, height),
        px["subtitle"],
        px["caption"],
        px["header"],
        px["label"],
    )


def text_layout(job: JobContext) -> TextLayout:
    return _layout(job.width, job.height, job.aspect, job.platform)


def inside(inner: Box, outer: Box) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
