from django.urls import path

from . import api

urlpatterns = [
    path("config-sync/s3-events/", api.S3EventView.as_view(), name="config-sync-s3-events"),
    path("config/<slug:name>/", api.PublicConfigView.as_view(), name="config-detail"),
]
