"""The in-app notification centre every part of Quarter writes to (SMS optional)."""
