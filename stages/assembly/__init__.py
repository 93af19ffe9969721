"""Episode assembly: the shots in order, subtitles burned in, music under the voices, a cover."""
