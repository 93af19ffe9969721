"""Platform presets: what each platform expects of an upload, and where its own UI covers the picture."""

from stages.platforms.presets import PLATFORM_PRESETS, PlatformPreset, SafeMargins, preset_for

__all__ = ["PLATFORM_PRESETS", "PlatformPreset", "SafeMargins", "preset_for"]
