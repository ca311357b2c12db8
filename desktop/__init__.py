"""The pywebview launcher for a laptop. Grows with the desktop issue."""
