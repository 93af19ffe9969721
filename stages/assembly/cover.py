"""The episode cover: its keyframe with the series title and episode number drawn on (PIL, not drawtext,
so any character renders literally and CJK wraps)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from stages.media.drawing import fit_rows
from stages.media.fonts import load_font
from stages.params import JobContext


def episode_label(job: JobContext, number: int, title: str) -> str:
    label = f"第{number}集" if job.language == "zh" else f"Episode {number}"
    return f"{label} {title}".strip() if title else label


def draw_cover(keyframe: Path, job: JobContext, number: int, title: str, path: Path) -> None:
    image = Image.open(keyframe).convert("RGBA").resize((job.width, job.height), Image.Resampling.LANCZOS)
    w, h = image.size
    u = min(w, h) / 100
    band_top = round(h * 0.58)
    shade = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shade)
    for y in range(band_top, h):  # a gradient to dark, so the title reads over any picture
        draw.line([(0, y), (w, y)], fill=(0, 0, 0, round(220 * (y - band_top) / max(1, h - band_top))))
    image.alpha_composite(shade)
    draw = ImageDraw.Draw(image)
    y = h * 0.72
    for text, size, colour, rows in (
        (job.title, round(11 * u), (255, 236, 170), 2),
        (episode_label(job, number, title), round(6 * u), (255, 255, 255), 2),
    ):
        font = load_font(size)
        for row in fit_rows(text, size, round(w - 10 * u), rows):
            draw.text(
                (w / 2, y),
                row,
                font=font,
                fill=colour,
                anchor="ma",
                stroke_width=max(1, round(size / 14)),
                stroke_fill=(0, 0, 0),
            )
            y += size * 1.25
        y += 1.5 * u
    image.convert("RGB").save(path, "JPEG", quality=90)
