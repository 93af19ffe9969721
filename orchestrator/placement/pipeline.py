"""kaipai's pipeline shape, in one place for the planner and the simulator's workload generator.

A job has character sheets; each episode a storyboard, shots and an assembly; each shot a keyframe
(from the storyboard and the characters), a motion clip (from the keyframe), its voices (from the
storyboard) and a mux (clip + voices); the assembly takes every shot's mux. ``DEPENDS`` is that
shape by stage name; the simulator's integer kinds index ``STAGES``.
"""

from __future__ import annotations

STAGES = ("storyboard", "character", "keyframe", "motion", "voice", "mux", "assembly")
STORYBOARD, CHARACTER, KEYFRAME, MOTION, VOICE, MUX, ASSEMBLY = range(len(STAGES))
SHOT_KINDS = (KEYFRAME, MOTION, VOICE, MUX)  # a shot's four tasks, in the order they are generated

# stage -> the stages whose outputs it reads (the planner adds subtitles and covers per episode)
DEPENDS: dict[str, tuple[str, ...]] = {
    "storyboard": (),
    "character": (),
    "keyframe": ("storyboard", "character"),
    "motion": ("keyframe",),
    "voice": ("storyboard",),
    "mux": ("motion", "voice"),
    "assembly": ("mux",),
}

CPU_MUX_PER_SECOND = 0.6  # ffmpeg mux of a mezzanine clip with voices, per second of shot, one core
CPU_ASSEMBLY_PER_SHOT = 1.5  # concat + burn-in + encode per shot of the episode, one core
LINES_PER_SHOT = 1.4  # a shot's voice task synthesises its lines in one batch
