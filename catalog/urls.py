from django.urls import path

from . import api

urlpatterns = [
    path("products/", api.ProductListView.as_view(), name="product-list"),
    path("products/<int:pk>/", api.ProductDetailView.as_view(), name="product-detail"),
    path("categories/", api.CategoryListView.as_view(), name="category-list"),
    path("categories/<slug:slug>/products/", api.CategoryProductListView.as_view(), name="category-products"),
    path("search/", api.SearchView.as_view(), name="search"),
]
