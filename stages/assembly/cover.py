"""Episode covers: the lead's best shot, with the series title and the episode name inside the
platform's safe area, at the job's size and at each of the preset's cover sizes (PIL draws the text,
so any character renders literally and CJK wraps)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from stages.media.drawing import fit_rows
from stages.media.fonts import load_font
from stages.params import JobContext
from stages.platforms.presets import PLATFORM_PRESETS, safe_margins

SIZE_RANK = {"close-up": 0, "medium close-up": 1, "medium": 2, "full": 3, "wide": 4}


def episode_label(job: JobContext, number: int, title: str) -> str:
    label = f"第{number}集" if job.language == "zh" else f"Episode {number}"
    return f"{label} {title}".strip() if title else label


def lead_shot(shots: list[dict]) -> int:
    """Index of the cover shot: the episode's lead (most lines) alone and closest, else the first shot."""
    lines: dict[str, int] = {}
    for shot in shots:
        for line in shot.get("lines", []):
            if line.get("character"):
                lines[line["character"]] = lines.get(line["character"], 0) + 1
    if not lines:
        return 0
    lead = max(lines, key=lambda name: (lines[name], -list(lines).index(name)))
    candidates = [i for i, s in enumerate(shots) if lead in s.get("characters", [])]
    if not candidates:
        return 0
    return min(candidates, key=lambda i: (len(shots[i]["characters"]) != 1, SIZE_RANK.get(shots[i]["size"], 9), i))


def _cropped(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` scaled to cover ``size`` and centre-cropped to it."""
    w, h = size
    scale = max(w / image.width, h / image.height)
    resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    left, top = (resized.width - w) // 2, (resized.height - h) // 2
    return resized.crop((left, top, left + w, top + h))


def render_cover(picture: Image.Image, job: JobContext, number: int, title: str, size: tuple[int, int]) -> Image.Image:
    """One cover at ``size``: a dark gradient at the bottom, title and episode name above the safe bottom."""
    image = _cropped(picture.convert("RGBA"), size)
    w, h = size
    aspect = "9:16" if h > w else "16:9"
    x0, y0, x1, y1 = safe_margins(job.platform, aspect).box(w, h)
    u = min(w, h) / 100
    blocks = [
        (job.title, round(11 * u), (255, 236, 170)),
        (episode_label(job, number, title), round(6 * u), (255, 255, 255)),
    ]
    laid = [(fit_rows(text, size_px, x1 - x0, 2), size_px, colour) for text, size_px, colour in blocks]
    height = sum(len(rows) * size_px * 1.25 for rows, size_px, _ in laid) + 1.5 * u
    top = max(y0, y1 - height)
    shade = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shade)
    band = max(0, round(top - 8 * u))
    for y in range(band, h):  # a gradient to dark, so the title reads over any picture
        draw.line([(0, y), (w, y)], fill=(0, 0, 0, round(220 * min(1.0, (y - band) / max(1, y1 - band)))))
    image.alpha_composite(shade)
    draw = ImageDraw.Draw(image)
    y, centre = top, (x0 + x1) / 2
    for rows, size_px, colour in laid:
        font = load_font(size_px)
        for row in rows:
            stroke = max(1, round(size_px / 14))
            draw.text((centre, y), row, font=font, fill=colour, anchor="ma", stroke_width=stroke, stroke_fill=(0, 0, 0))
            y += size_px * 1.25
        y += 1.5 * u
    return image.convert("RGB")


def draw_covers(keyframe: Path, job: JobContext, number: int, title: str, out: Path) -> list[str]:
    """``cover.jpg`` at the job's size and ``cover-WxH.jpg`` per preset cover size; the file names."""
    preset = PLATFORM_PRESETS.get(job.platform, PLATFORM_PRESETS["none"])
    with Image.open(keyframe) as picture:
        picture.load()
    names = []
    for size in [(job.width, job.height), *preset.cover_sizes]:
        name = "cover.jpg" if size == (job.width, job.height) and not names else f"cover-{size[0]}x{size[1]}.jpg"
        render_cover(picture, job, number, title, size).save(out / name, "JPEG", quality=90)
        names.append(name)
    return names
