from django.urls import path

from . import api

urlpatterns = [
    path("orders/", api.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<int:pk>/", api.OrderDetailView.as_view(), name="order-detail"),
]
