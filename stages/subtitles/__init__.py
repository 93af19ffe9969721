"""Subtitles per episode, timed from the real voice durations (``ass``: styled ASS plus SRT)."""
