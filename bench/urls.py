"""The shop's URLs plus the floor: a DRF view returning a constant body the size of a product."""
import os

from django.http import JsonResponse
from django.urls import path
from rest_framework.views import APIView

from shop.api.http_cache import cached_json_response
from shop.urls import urlpatterns as shop_urlpatterns

# bench/http.py sets the size to that of the product body it measures.
FLOOR_BODY = b'{"floor": "' + b"x" * max(0, int(os.environ.get("BENCH_FLOOR_BYTES", "1000")) - 13) + b'"}'


class FloorView(APIView):
    """Everything a cached product detail does but the cache look-up: the framework's floor."""

    authentication_classes = ()
    permission_classes = ()

    def get(self, request):
        from catalog.api import PRODUCT_POLICY

        return cached_json_response(request, FLOOR_BODY, status="FLOOR", policy=PRODUCT_POLICY)


def l1_stats(request):
    """Bench only: this worker process's L1 size and product loads (workload and stampede figures)."""
    from caching.handler import get_layer
    from caching.metrics import snapshot

    l1 = get_layer().l1
    counters = snapshot()
    return JsonResponse({"pid": os.getpid(), "entries": len(l1), "bytes": l1.bytes_used,
                         "loads": counters["loads"].get("product", 0),
                         "redis_errors": sum(counters["errors"].values())})


urlpatterns = [path("bench/floor/", FloorView.as_view()), path("bench/l1/", l1_stats), *shop_urlpatterns]
