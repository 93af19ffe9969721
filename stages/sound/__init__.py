"""An episode's finished sound, made beside its pictures: voices, ambience, music, loudness, one AAC encode."""
