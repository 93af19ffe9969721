"""CLI commands, grouped by what they touch: the front (spec/script), running, placement."""
