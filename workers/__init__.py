"""Long-lived Ray actors that hold loaded models."""
