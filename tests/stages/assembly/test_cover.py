"""Covers: the lead's best shot, the preset's sizes, the text inside the safe area."""

import numpy as np
from PIL import Image

from stages.assembly.cover import draw_covers, lead_shot, render_cover
from stages.params import JobContext
from stages.platforms.presets import safe_margins

JOB = JobContext(title="城墙之上", width=180, height=320, fps=12, aspect="9:16", platform="douyin")


def _shot(size, characters, speakers=()):
    return {"size": size, "characters": list(characters), "lines": [{"character": c} for c in speakers]}


def test_cover_is_the_leads_closest_shot_alone():
    shots = [
        _shot("wide", []),
        _shot("medium", ["林晚", "陈砚"], ["林晚", "林晚", "陈砚"]),
        _shot("close-up", ["陈砚"], ["陈砚"]),
        _shot("medium close-up", ["林晚"], ["林晚"]),
    ]
    assert lead_shot(shots) == 3  # 林晚 speaks most; her closest shot alone
    assert lead_shot([_shot("wide", [])]) == 0


def test_covers_at_the_presets_sizes(tmp_path):
    picture = tmp_path / "k.png"
    Image.new("RGB", (180, 320), (90, 120, 160)).save(picture)
    names = draw_covers(picture, JOB, 1, "砖上的字", tmp_path)
    assert names == ["cover.jpg", "cover-1080x1920.jpg", "cover-1080x1440.jpg"]
    assert Image.open(tmp_path / "cover-1080x1440.jpg").size == (1080, 1440)


def test_cover_text_stays_inside_the_safe_area():
    plain = Image.new("RGB", (720, 1280), (90, 120, 160))
    cover = np.asarray(render_cover(plain, JOB, 1, "砖上的字", (720, 1280))).astype(int)
    x0, y0, x1, y1 = safe_margins("douyin", "9:16").box(720, 1280)
    bright = cover.min(axis=2) > 235  # white and gold text is brighter than the picture or the shade
    assert bright.sum() > 500
    ys, xs = np.nonzero(bright)
    assert ys.min() >= y0 and ys.max() <= y1 and xs.min() >= x0 - 4 and xs.max() <= x1 + 4
