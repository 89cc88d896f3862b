"""Edge caching declared once: each public path's HTTP cache policy and cache key, each private path.

Apps declare their paths in their `cache.py`, next to their data types; the views send
the `Cache-Control` of what is declared here, and `manage.py render_edge_config` renders
the same declarations as CloudFront cache behaviours and API Gateway method settings
(caching.edge_templates). A path declared nowhere is not cached at the edge.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class CachePolicy:
    """How shared caches (CDN, proxies) and browsers may keep a response."""

    public: bool
    max_age: int = 0
    s_maxage: int = 0

    @property
    def header(self) -> str:
        """The Cache-Control value of a fresh response."""
        if not self.public:
            return "private, no-store"
        return f"public, max-age={self.max_age}, s-maxage={self.s_maxage}"

    def header_for(self, status: str) -> str:
        """A value served stale (its refresh under way) is not kept by shared caches: the CDN
        asks for it again right after a purge, and must not keep the old one for s-maxage."""
        if self.public and status == "STALE":
            return "public, max-age=0, s-maxage=0"
        return self.header


PRIVATE = CachePolicy(public=False)


@dataclass(frozen=True)
class EdgeRoute:
    """One path as the edges see it.

    `path` is the request path with `{name}` for a path parameter (`/api/v1/products/{id}/`);
    a private path may end in `*` for everything under it. `query` and `headers` are the
    cache key: exactly the query parameters the view reads (the edge forwards no other),
    and the request headers its body depends on. Cookies are never part of a public key.
    """

    path: str
    policy: CachePolicy
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ImproperlyConfigured(f"edge path {self.path!r} must start with '/'")
        if not self.policy.public and (self.query or self.headers):
            raise ImproperlyConfigured(f"{self.path}: a private path has no cache key")
        if self.policy.public and "*" in self.path:
            raise ImproperlyConfigured(f"{self.path}: a public path names its parameters, not '*'")
        if self.policy.public and self.policy.s_maxage <= 0:
            raise ImproperlyConfigured(f"{self.path}: a public path needs an s-maxage")
        object.__setattr__(self, "query", tuple(sorted(set(self.query))))
        object.__setattr__(self, "headers", tuple(sorted(set(self.headers))))

    @property
    def cacheable(self) -> bool:
        return self.policy.public


class EdgeRegistry:
    """Every declared path, by path; a path declared twice, differently, is an error."""

    def __init__(self) -> None:
        self._routes: dict[str, EdgeRoute] = {}

    def register(self, route: EdgeRoute) -> EdgeRoute:
        known = self._routes.get(route.path)
        if known is not None and known != route:
            raise ImproperlyConfigured(f"edge path {route.path} declared twice: {known} and {route}")
        self._routes[route.path] = route
        return route

    def replace(self, route: EdgeRoute) -> EdgeRoute:
        """Swap a declaration (what a test does to show that the rendered files follow it)."""
        self._routes[route.path] = route
        return route

    def get(self, path: str) -> EdgeRoute:
        return self._routes[path]

    def all(self) -> list[EdgeRoute]:
        """Every route of every installed app's `cache.py`, sorted by path."""
        autodiscover_modules("cache")
        return [self._routes[path] for path in sorted(self._routes)]


edge_registry = EdgeRegistry()


def public(path: str, *, max_age: int, s_maxage: int, query: tuple[str, ...] = (),
           headers: tuple[str, ...] = ()) -> EdgeRoute:
    """Declare a public path: browsers keep it `max_age`, shared caches `s_maxage` seconds."""
    policy = CachePolicy(public=True, max_age=max_age, s_maxage=s_maxage)
    return edge_registry.register(EdgeRoute(path, policy, query=query, headers=headers))


def private(*paths: str) -> tuple[EdgeRoute, ...]:
    """Declare private paths: never cached at an edge; cookies and Authorization reach the origin."""
    return tuple(edge_registry.register(EdgeRoute(path, PRIVATE)) for path in paths)


# The project's own paths, outside any app: the admin, the staff cache API, metrics, health
# and the schema. Not cached at the edge either.
private("/admin/*", "/api/v1/cache/*", "/metrics", "/healthz", "/readyz", "/api/schema/", "/api/docs/*")
