"""Root URLs: the versioned API, admin, schema and docs, health."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from caching.admin import cache_dashboard

from . import cache_api, health
from .metrics import metrics_view

api_v1 = [
    path("", include("catalog.urls")),
    path("", include("carts.urls")),
    path("", include("sessions_app.urls")),
    path("", include("profiles.urls")),
    path("", include("orders.urls")),
    path("", include("runtime_config.urls")),
    path("cache/stats/", cache_api.CacheStatsView.as_view(), name="cache-stats"),
    path("cache/invalidate/", cache_api.CacheInvalidateView.as_view(), name="cache-invalidate"),
    path("cache/warm/", cache_api.CacheWarmView.as_view(), name="cache-warm"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/cache/", admin.site.admin_view(cache_dashboard), name="cache-dashboard"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "shop.api.errors.handler400"
handler403 = "shop.api.errors.handler403"
handler404 = "shop.api.errors.handler404"
handler500 = "shop.api.errors.handler500"
