"""Built-in plugin: H5P activities (placeholder while building)."""
