"""The ``card`` backend: character sheets and storyboard panels drawn with PIL (an animatic, 动态分镜).

A panel shows the setting (room or outdoors, lit by time of day), the people in the shot as framed
figures sized by shot size (a close-up fills the frame, a wide shot is small), each in their stable
colour with their badge, and the scene heading, shot id, size, camera, action and first line as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from stages.base import Artifact, Inputs, Resources, Stage
from stages.media.drawing import draw_figure, draw_setting, draw_text_block, vertical_gradient
from stages.media.fonts import cjk_font_path, load_font
from stages.media.palette import character_badge, character_colour, hex_colour, parse_hex_colour
from stages.models import Character, Scene, Shot
from stages.motion.kenburns import MOVES, REVERSE_SHOT_ZOOM
from stages.params import JobContext
from stages.subtitles.layout import CAPTION_ROWS, text_layout

# Figure height as a fraction of the frame height, and where the head's top sits (fraction of height).
FIGURE_SCALE = {
    "close-up": (1.6, 0.22),
    "medium close-up": (1.2, 0.25),
    "medium": (0.95, 0.28),
    "full": (0.56, 0.30),
    "wide": (0.24, 0.52),
}
BADGE_CLEARANCE = 0.004  # of the frame's height, kept between the lowest a badge may reach and the text
GROUND_LINE = {"close-up": 0.92, "medium close-up": 0.86, "medium": 0.84, "full": 0.86, "wide": 0.76}


def _unit(job: JobContext) -> float:
    """One hundredth of the frame's short side: sizes scale with resolution and aspect."""
    return min(job.width, job.height) / 100


class CharacterCard(Stage):
    """A character sheet: name, badge in the character's stable colour, figure and appearance."""

    name = "character"
    backend = "card"
    version = "1"
    resources = Resources(num_cpus=1)

    def setup(self) -> None:
        cjk_font_path()  # fail early, with the install hint, when no CJK font exists

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        person = Character.model_validate(params["character"])
        colour = character_colour(person.name, person.seed)
        badge = character_badge(person.name)
        w, h, u = job.width, job.height, _unit(job)
        image = Image.new("RGBA", (w, h))
        draw = ImageDraw.Draw(image)
        vertical_gradient(draw, (0, 0, w, h), (40, 42, 50), (16, 16, 22))
        draw.rectangle([0, 0, w, round(h * 0.012)], fill=colour)

        heading = "角色" if job.language == "zh" else "CHARACTER"
        draw.text((6 * u, 5 * u), heading, font=load_font(round(5 * u)), fill=(200, 200, 200))
        draw.text((6 * u, 11 * u), person.name, font=load_font(round(11 * u)), fill=colour)
        figure_h = h * 0.5
        draw_figure(image, w * 0.5, h * 0.2 + 8 * u, figure_h, colour, badge)
        notes = person.appearance or ("（未描述）" if job.language == "zh" else "(not described)")
        draw_text_block(
            image,
            (round(5 * u), round(h * 0.72), round(w - 5 * u), round(h - 4 * u)),
            [(notes, round(4.5 * u), (236, 236, 236), 8)],
            pad=round(2 * u),
        )
        image.convert("RGB").save(out / "sheet.png", optimize=False)
        return {
            "file": "sheet.png",
            "name": person.name,
            "colour": hex_colour(colour),
            "badge": badge,
            "width": w,
            "height": h,
        }


class KeyframeCard(Stage):
    """A storyboard panel for one shot at the job's resolution."""

    name = "keyframe"
    backend = "card"
    version = "6"  # 6: a badge raised to the face drops its name and shrinks, clear of the text bands
    resources = Resources(num_cpus=1)

    def setup(self) -> None:
        cjk_font_path()

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        scene = Scene.model_validate(params["scene"])
        shot = Shot.model_validate(params["shot"])
        colours = _character_colours(params.get("characters") or [], inputs.get("characters") or [])
        image, badges = render_panel(job, scene, shot, colours)
        image.convert("RGB").save(out / "keyframe.png", optimize=False)
        people = [[name, round(cx, 1), round(top, 1)] for name, cx, top, _, dim in _blocking(job, shot) if not dim]
        return {
            "file": "keyframe.png",
            "width": job.width,
            "height": job.height,
            "shot": shot.id,
            "badges": badges,
            "people": people,  # [name, centre x, head top y]: where a reverse shot frames each speaker
        }


def _character_colours(characters: list[dict], sheets: Artifact | list[Artifact]) -> dict[str, tuple]:
    """Name -> colour: from the character sheets' metas (so sheet and panel agree), else from the seed."""
    colours = {}
    for data in characters:
        person = Character.model_validate(data)
        colours[person.name] = character_colour(person.name, person.seed)
    for sheet in sheets if isinstance(sheets, list) else [sheets]:
        if "name" in sheet.meta and "colour" in sheet.meta:
            colours[sheet.meta["name"]] = parse_hex_colour(sheet.meta["colour"])
    return colours


def badge_floor(job: JobContext) -> float:
    """The lowest y a badge may reach so that no camera move brings it under the caption or subtitles.

    The text bands start at the caption's top; a move zooms about the frame's middle by up to the
    deepest zoom of :data:`stages.motion.kenburns.MOVES` (or a reverse shot's), which pushes points
    below the middle down.
    """
    layout = text_layout(job)
    top = layout.caption_bottom - layout.box_height(layout.caption_size, CAPTION_ROWS)  # as drawn, outline too
    middle = job.height / 2
    deepest = max(REVERSE_SHOT_ZOOM, *(max(z0, z1) for z0, z1, _, _ in MOVES.values()))
    floor = middle + (top - middle) / deepest if top > middle else float(top)
    return floor - BADGE_CLEARANCE * job.height  # the window's whole-pixel rounding cannot bring it onto the text


def render_panel(
    job: JobContext, scene: Scene, shot: Shot, colours: dict[str, tuple]
) -> tuple[Image.Image, list[list[int]]]:
    """Compose the panel: setting, figures and camera marks (text comes later, in the mux); the image
    and the box of every badge, each kept above the text bands (:func:`badge_floor`)."""
    w, h, u = job.width, job.height, _unit(job)
    image = Image.new("RGBA", (w, h))
    ground_y = round(h * GROUND_LINE[shot.size])
    draw_setting(image, scene.time, scene.interior, ground_y, salt=scene.id)

    floor, badges = badge_floor(job), []
    for person, cx, head_top, height, dim in _blocking(job, shot):
        colour = colours.get(person) or character_colour(person, 0)
        if dim:
            colour = tuple(round(c * 0.55) for c in colour)
        label = person if shot.size in ("medium", "full") else None
        box = draw_figure(image, cx, head_top, height, colour, character_badge(person), label, floor)
        badges.append(list(box))
    _draw_camera_marks(image, shot.camera, u)

    return image, badges


def _blocking(job: JobContext, shot: Shot) -> list[tuple[str, float, float, float, bool]]:
    """Where each person stands: (name, centre x, head top y, figure height, in the background?).

    In close shots the speaker (or the first person) is the subject, centred; anyone else is an
    over-the-shoulder shape at the edge, drawn first so the subject is in front.
    """
    w, h = job.width, job.height
    scale, head = FIGURE_SCALE[shot.size]
    height = h * scale * (0.75 if job.aspect == "16:9" else 1.0)
    people = list(shot.characters)
    if not people:
        return []
    if shot.size in ("close-up", "medium close-up") and len(people) > 1:
        speaker = next((ln.character for ln in shot.lines if ln.character in people), people[0])
        others = [p for p in people if p != speaker]
        placed = [(p, w * (-0.05 if i % 2 else 1.05), h * head * 0.8, height * 0.9, True) for i, p in enumerate(others)]
        return [*placed, (speaker, w * 0.5, h * head, height, False)]
    spread = 0.56 if len(people) > 1 else 0.0
    step = spread / max(1, len(people) - 1)
    return [(p, w * (0.5 - spread / 2 + i * step), h * head, height, False) for i, p in enumerate(people)]


def _draw_camera_marks(image: Image.Image, camera: str, u: float) -> None:
    """Storyboard marks: corner brackets pointing in (push) or out (pull), an arrow for lateral moves."""
    draw = ImageDraw.Draw(image)
    w, h = image.size
    ink = (255, 255, 255, 200)
    width = max(2, round(0.6 * u))
    if camera in ("push-in", "pull-out"):
        inset_x, inset_y = w * 0.14, h * 0.14
        arm = 8 * u
        for sx, sy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            x = inset_x if sx == 0 else w - inset_x
            y = inset_y if sy == 0 else h - inset_y
            dx = arm if sx == 0 else -arm
            dy = arm if sy == 0 else -arm
            draw.line([(x, y), (x + dx, y)], fill=ink, width=width)
            draw.line([(x, y), (x, y + dy)], fill=ink, width=width)
            # the arrow: from the frame corner toward (push) or away from (pull) the inner bracket
            corner = (x - dx * 0.8, y - dy * 0.8)
            start, end = (corner, (x, y)) if camera == "push-in" else ((x, y), corner)
            draw.line([start, end], fill=ink, width=width)
    elif camera in ("pan", "track", "follow"):
        y = h * 0.5 if camera != "follow" else h * 0.62
        x0, x1 = w * 0.12, w * 0.88
        if camera == "track":
            x0, x1 = x1, x0
        draw.line([(x0, y), (x1, y)], fill=ink, width=width)
        head = 3 * u * (1 if x1 > x0 else -1)
        draw.polygon([(x1, y), (x1 - head, y - 2 * u), (x1 - head, y + 2 * u)], fill=ink)
