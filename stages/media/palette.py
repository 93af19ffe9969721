"""A stable colour and badge per character, so a person is recognisable on every card of every shot."""

from __future__ import annotations

import colorsys
import re

from stages.hashing import NUL_SEPARATOR, parts_digest


def character_colour(name: str, seed: int = 0) -> tuple[int, int, int]:
    """A saturated, mid-bright colour from the name and seed (the same inputs always give the same colour)."""
    digest = parts_digest(name, seed, sep=NUL_SEPARATOR)
    hue = int.from_bytes(digest[:2], "big") / 65536.0
    saturation = 0.55 + digest[2] / 255.0 * 0.3
    value = 0.70 + digest[3] / 255.0 * 0.2
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def parse_hex_colour(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def character_badge(name: str) -> str:
    """A badge: a Chinese name's first 汉字 (林晚 -> 林), else initials (Mary Jane -> MJ)."""
    name = name.strip()
    if not name:
        return "?"
    words = re.findall(r"[A-Za-z0-9]+", name)
    if words and name.isascii():
        return "".join(w[0] for w in words[:2]).upper()
    return name[0]


def text_colour_on(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb``."""
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (20, 20, 20) if luminance > 150 else (255, 255, 255)
