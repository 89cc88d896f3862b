"""gunicorn settings for the fork test: --preload, and the master uses the cache layer (its
listener thread running, its locks in use) before it forks the workers."""
preload_app = True


def when_ready(server):
    import caching

    caching.fetch("categories", "all")
