"""PIL drawing primitives for animatic cards: backgrounds by time of day, figure silhouettes, text blocks.

Everything is a pure function of its arguments so the same shot always draws the same pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from stages.hashing import stable_unit
from stages.media.fonts import load_font
from stages.media.palette import text_colour_on
from stages.media.text import display_width, wrap_text

RGB = tuple[int, int, int]

# (top, bottom) gradient colours of the sky (exteriors) or the wall (interiors) per time of day.
SKY: dict[str, tuple[RGB, RGB]] = {
    "day": ((118, 174, 226), (214, 232, 246)),
    "night": ((10, 16, 40), (38, 52, 92)),
    "dawn": ((92, 110, 170), (246, 184, 150)),
    "dusk": ((60, 52, 110), (236, 130, 84)),
    "unknown": ((96, 104, 118), (168, 174, 184)),
}
WALL: dict[str, tuple[RGB, RGB]] = {
    "day": ((226, 214, 192), (196, 180, 156)),
    "night": ((58, 52, 64), (34, 30, 40)),
    "dawn": ((222, 196, 180), (182, 152, 140)),
    "dusk": ((190, 150, 120), (120, 90, 80)),
    "unknown": ((170, 170, 172), (130, 130, 134)),
}
GROUND: dict[str, RGB] = {
    "day": (112, 128, 96),
    "night": (24, 28, 30),
    "dawn": (110, 96, 90),
    "dusk": (82, 64, 60),
    "unknown": (96, 96, 96),
}
FLOOR: dict[str, RGB] = {
    "day": (150, 112, 80),
    "night": (44, 34, 32),
    "dawn": (140, 104, 84),
    "dusk": (104, 72, 56),
    "unknown": (110, 104, 100),
}


def lerp(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def darker(c: RGB, f: float = 0.6) -> RGB:
    return tuple(round(x * f) for x in c)  # type: ignore[return-value]


Box = tuple[int, int, int, int]


def vertical_gradient(draw: ImageDraw.ImageDraw, box: Box, top: RGB, bottom: RGB) -> None:
    x0, y0, x1, y1 = box
    span = max(1, y1 - y0 - 1)
    for y in range(y0, y1):
        draw.line([(x0, y), (x1, y)], fill=lerp(top, bottom, (y - y0) / span))


def unit_random(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts`` (stars, window positions)."""
    return stable_unit(*parts)


def draw_setting(image: Image.Image, time: str, interior: bool | None, ground_y: int, salt: str) -> None:
    """The scene behind the people: a room (wall, window, floor) or outdoors (sky, stars, ground)."""
    draw = ImageDraw.Draw(image)
    w, h = image.size
    time = time if time in SKY else "unknown"
    if interior:
        vertical_gradient(draw, (0, 0, w, ground_y), *WALL[time])
        window = (round(w * 0.58), round(ground_y * 0.18), round(w * 0.9), round(ground_y * 0.62))
        outside = SKY[time]
        vertical_gradient(draw, window, *outside)
        draw.rectangle(window, outline=darker(WALL[time][1], 0.7), width=max(2, w // 120))
        mid_x = (window[0] + window[2]) // 2
        draw.line([(mid_x, window[1]), (mid_x, window[3])], fill=darker(WALL[time][1], 0.7), width=max(1, w // 200))
        vertical_gradient(draw, (0, ground_y, w, h), FLOOR[time], darker(FLOOR[time], 0.7))
    else:
        vertical_gradient(draw, (0, 0, w, ground_y), *SKY[time])
        if time == "night":
            for i in range(40):
                x = unit_random(salt, "star-x", i) * w
                y = unit_random(salt, "star-y", i) * ground_y * 0.8
                r = max(1, round(w / 400))
                draw.ellipse([x - r, y - r, x + r, y + r], fill=(236, 236, 210))
        vertical_gradient(draw, (0, ground_y, w, h), GROUND[time], darker(GROUND[time], 0.6))
    draw.line([(0, ground_y), (w, ground_y)], fill=darker(GROUND[time], 0.5), width=max(1, h // 300))


def draw_figure(
    image: Image.Image,
    cx: float,
    head_top: float,
    height: float,
    colour: RGB,
    badge: str,
    label: str | None = None,
    badge_floor: float | None = None,
) -> tuple[int, int, int, int]:
    """A framed figure: head and shoulders/body in the character's colour, the badge on the chest.

    ``badge_floor``: the lowest y the badge (and its name label) may reach; in a close shot the chest
    lies where the subtitles go, so the badge moves up (onto the collar, or the chin) to stay clear,
    and where even the chin is too low, it drops the name and shrinks (the gates check the result).
    Returns the box the badge and its label cover."""
    draw = ImageDraw.Draw(image)
    outline = darker(colour, 0.45)
    line = max(2, round(height / 90))
    r = height * 0.11
    draw.ellipse([cx - r, head_top, cx + r, head_top + 2 * r], fill=colour, outline=outline, width=line)
    neck = head_top + 2 * r
    shoulder = height * 0.17
    hip = height * 0.12
    body_bottom = head_top + height
    draw.polygon(
        [
            (cx - shoulder * 0.45, neck + r * 0.1),
            (cx + shoulder * 0.45, neck + r * 0.1),
            (cx + shoulder, neck + r * 0.6),
            (cx + hip, body_bottom),
            (cx - hip, body_bottom),
            (cx - shoulder, neck + r * 0.6),
        ],
        fill=colour,
        outline=outline,
        width=line,
    )
    badge_r = r * 0.62
    label_size = round(max(10, r * 0.55)) if label else 0
    by = neck + r * 1.5
    bottom = by + (badge_r * 1.35 + label_size * 1.2 if label else badge_r)
    if badge_floor is not None and bottom > badge_floor:
        by = max(head_top + r, by - (bottom - badge_floor))
        if by + (badge_r * 1.35 + label_size * 1.2 if label else badge_r) > badge_floor:
            # Raised as far as the face: no room for the name, and the badge shrinks to fit.
            label, label_size = None, 0
            badge_r = max(r * 0.3, min(badge_r, badge_floor - by))
            by = min(by, badge_floor - badge_r)  # at its smallest and still too low: up onto the face
        bottom = by + (badge_r * 1.35 + label_size * 1.2 if label else badge_r)
    draw.ellipse(
        [cx - badge_r, by - badge_r, cx + badge_r, by + badge_r], fill=(250, 250, 246), outline=outline, width=line
    )
    font = load_font(round(badge_r * (1.1 if display_width(badge) <= 2 else 0.8)))
    draw.text((cx, by), badge, font=font, fill=darker(colour, 0.55), anchor="mm")
    if label:
        label_font = load_font(label_size)
        draw.text(
            (cx, by + badge_r * 1.35),
            label,
            font=label_font,
            fill=text_colour_on(colour),
            anchor="ma",
            stroke_width=max(1, line // 2),
            stroke_fill=outline,
        )
    half = max(badge_r, load_font(label_size).getlength(label) / 2 if label else 0.0)
    return (round(cx - half), round(by - badge_r), round(cx + half), round(bottom))


def draw_text_block(
    image: Image.Image,
    box: Box,
    rows: Sequence[tuple[str, int, RGB, int]],
    *,
    pad: int = 8,
    background: tuple[int, int, int, int] = (0, 0, 0, 150),
    from_bottom: bool = False,
) -> None:
    """Draw paragraphs of (text, font size, colour, max rows) into ``box`` on a translucent panel.

    ``image`` must be RGBA. Paragraphs are wrapped by us; a cut paragraph ends in an ellipsis, and
    what does not fit the box's height is left out. ``from_bottom`` shrinks the panel to its text,
    keeping its bottom edge (a caption panel that covers no more of the picture than it must).
    """
    x0, y0, x1, y1 = box
    if from_bottom:
        needed = (
            sum(round(size * 1.3) * len(fit_rows(text, size, x1 - x0 - 2 * pad, n)) for text, size, _, n in rows)
            + 2 * pad
        )
        y0 = max(y0, y1 - needed)
        box = (x0, y0, x1, y1)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rounded_rectangle(box, radius=pad, fill=background)
    image.alpha_composite(overlay)
    draw = ImageDraw.Draw(image)
    y = y0 + pad
    for text, size, colour, max_rows in rows:
        font = load_font(size)
        for row in fit_rows(text, size, x1 - x0 - 2 * pad, max_rows):
            if y + size * 1.2 > y1:
                return
            draw.text((x0 + pad, y), row, font=font, fill=colour)
            y += round(size * 1.3)


def fit_rows(text: str, size: int, max_width: int, max_rows: int) -> list[str]:
    """``text`` wrapped to ``max_width`` pixels, at most ``max_rows`` rows (the last ends in … if cut)."""
    columns = max(4, int(max_width / (size * 0.55)))
    rows = [r for r in wrap_text(text, columns) if r]
    if len(rows) > max_rows:
        rows = rows[:max_rows]
        rows[-1] = rows[-1][: max(1, len(rows[-1]) - 1)] + "…"
    return rows
