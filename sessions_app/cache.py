"""What sessions declare to the cache layer: their paths are private (the session engine is in engine.py)."""
from caching import edge

edge.private("/api/v1/auth/login/", "/api/v1/auth/logout/", "/api/v1/session/")
