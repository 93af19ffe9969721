"""Finding a font that has CJK glyphs: cards and burned-in subtitles must render 汉字, not boxes."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

CJK_FONT_FAMILY = "WenQuanYi Micro Hei"  # the family name libass asks fontconfig for
KNOWN_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


class FontMissing(RuntimeError):
    """No CJK-capable font is installed."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The WenQuanYi Micro Hei file (or another CJK font): fontconfig first, then well-known paths."""
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "--format=%{file}", f"{CJK_FONT_FAMILY}:lang=zh-cn"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout.strip()
        except subprocess.TimeoutExpired:
            found = ""
        if found and Path(found).exists() and _has_cjk(found):
            return Path(found)
    for candidate in KNOWN_CJK_FONTS:
        if Path(candidate).exists():
            return Path(candidate)
    raise FontMissing("no CJK font found: install fonts-wqy-microhei (apt-get install fonts-wqy-microhei)")


def _has_cjk(path: str) -> bool:
    """fc-match always answers something; make sure the answer can draw 汉字."""
    try:
        font = ImageFont.truetype(path, 32)
    except OSError:
        return False
    return font.getbbox("汉")[2] > 0 and font.getmask("汉").getbbox() is not None


@lru_cache(maxsize=64)
def load_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), max(6, int(size)))
