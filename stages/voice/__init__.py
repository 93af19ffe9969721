"""Voices per spoken line: ``espeak`` (espeak-ng, no weights) and ``tts`` (a transformers TTS model)."""
