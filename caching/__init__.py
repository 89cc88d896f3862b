"""The cache layer: knows no shop model, only what apps register with it."""
