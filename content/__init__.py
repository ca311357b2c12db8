"""The content model and package format, as a library with no web in it."""
