"""Shared helpers for the CPU media stages: running ffmpeg, probing files, fonts, text layout, colours."""

from stages.media.ffmpeg_run import MediaError, run_ffmpeg
from stages.media.fonts import CJK_FONT_FAMILY, cjk_font_path, load_font
from stages.media.palette import character_badge, character_colour
from stages.media.probe import MediaInfo, probe
from stages.media.text import display_width, wrap_text

__all__ = [
    "CJK_FONT_FAMILY",
    "MediaError",
    "MediaInfo",
    "character_badge",
    "character_colour",
    "cjk_font_path",
    "display_width",
    "load_font",
    "probe",
    "run_ffmpeg",
    "wrap_text",
]
