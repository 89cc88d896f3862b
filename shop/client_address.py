"""The address a request came from, trusting X-Forwarded-For only as far as our own proxies."""
from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = N proxies in front of the app (a load
    balancer, a CDN), the address the outermost of them saw: the N-th entry of
    X-Forwarded-For from the right. Entries further left are set by the client and
    could be anything."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
