"""Built-in plugin module (being implemented)."""
