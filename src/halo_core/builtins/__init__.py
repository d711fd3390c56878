"""Built-in components, registered as default plugins through the same hooks as any plugin."""
