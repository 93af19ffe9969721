"""One preset per platform: resolution, fps, loudness, safe margins, cover sizes, maximum length.

Safe margins are fractions of the frame that the platform's player covers with its own interface
(status bar and search on top, the caption and user name at the bottom, the like/comment/share column
on the right of vertical feeds). Our text stays inside what is left. The vertical figures follow the
platforms' creator guides for a 1080x1920 frame (TikTok: 150 px top, 440 px bottom, 120 px right;
Douyin and Kuaishou put a similar button column and caption block in the same places); horizontal
players only need the broadcast title-safe 5%. The overseas platforms (TikTok, YouTube) add an
English release to every job (``languages``, merged with the spec's). Loudness: the -14 LUFS integrated / -1 dBTP that
streaming players normalise to (ITU-R BS.1770 measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SafeMargins:
    """Fractions of width (left, right) and height (top, bottom) kept free of our text."""

    top: float
    bottom: float
    left: float
    right: float

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle in pixels: (x0, y0, x1, y1)."""
        return (
            round(width * self.left),
            round(height * self.top),
            round(width * (1 - self.right)),
            round(height * (1 - self.bottom)),
        )


VERTICAL_FEED = SafeMargins(top=0.10, bottom=0.22, left=0.06, right=0.15)
TITLE_SAFE = SafeMargins(top=0.05, bottom=0.05, left=0.05, right=0.05)


@dataclass(frozen=True)
class PlatformPreset:
    """What an upload to one platform should be. A job spec's own fields win over these."""

    name: str
    aspect: str = "9:16"
    resolution: tuple[int, int] | None = None  # None: from the aspect (720x1280 or 1280x720)
    fps: int = 30
    loudness_lufs: float = -14.0
    true_peak_dbtp: float = -1.0
    safe: SafeMargins = VERTICAL_FEED
    cover_sizes: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    max_seconds: float | None = None  # the platform's longest upload of this kind
    ai_label_corner: str = "top-left"  # where the visible AI-content mark sits, inside the safe area
    languages: tuple[str, ...] = ()  # releases every job for this platform gets (merged with the spec's)


PLATFORM_PRESETS: dict[str, PlatformPreset] = {
    preset.name: preset
    for preset in (
        PlatformPreset("none", aspect="9:16", fps=24),
        PlatformPreset("douyin", cover_sizes=((1080, 1920), (1080, 1440)), max_seconds=15 * 60),
        PlatformPreset("kuaishou", cover_sizes=((1080, 1920), (1080, 1440)), max_seconds=15 * 60),
        PlatformPreset("wechat-channels", cover_sizes=((1080, 1260),), max_seconds=30 * 60),
        PlatformPreset(
            "tiktok",
            safe=SafeMargins(top=0.08, bottom=0.23, left=0.06, right=0.12),
            cover_sizes=((1080, 1920),),
            max_seconds=10 * 60,
            languages=("en",),
        ),
        PlatformPreset(
            "youtube-shorts",
            safe=SafeMargins(top=0.10, bottom=0.20, left=0.06, right=0.14),
            cover_sizes=((1080, 1920),),
            max_seconds=3 * 60,
            languages=("en",),
        ),
        PlatformPreset("bilibili", aspect="16:9", safe=TITLE_SAFE, cover_sizes=((1146, 717), (1920, 1080))),
        PlatformPreset("youtube", aspect="16:9", safe=TITLE_SAFE, cover_sizes=((1280, 720),), languages=("en",)),
    )
}


def preset_for(name: str) -> PlatformPreset:
    """The named preset; an unknown name is refused by the job spec before it gets here."""
    return PLATFORM_PRESETS[name]


def safe_margins(platform: str, aspect: str) -> SafeMargins:
    """The preset's margins, or title-safe when a vertical preset is rendered at 16:9 (and back)."""
    preset = PLATFORM_PRESETS.get(platform, PLATFORM_PRESETS["none"])
    if preset.aspect == aspect:
        return preset.safe
    return VERTICAL_FEED if aspect == "9:16" else TITLE_SAFE
