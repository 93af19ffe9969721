"""The model code model-backed stages call: loading from the HF cache or a local path (offline),
tiny random models built from configs (tests, CI), and the image, video, speech and chat pipelines.

The lowest layer: imports nothing of kaipai's, so stages, workers and the driver may all use it.
"""
