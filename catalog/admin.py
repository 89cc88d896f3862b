"""Admin for catalog edits: price and stock editable in the product list."""
from django.contrib import admin

from .models import Category, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price", "stock", "is_active", "updated_at"]
    list_editable = ["price", "stock"]
    list_filter = ["is_active", "category"]
    # Prefix and exact matches can use the indexes on a million-row table.
    search_fields = ["=sku", "^name"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    # COUNT(*) over a million rows on every page view is not worth it.
    show_full_result_count = False
    list_per_page = 50
    actions = ["activate", "deactivate"]

    @admin.action(description="Mark selected products active")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Mark selected products inactive")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, is_active: bool) -> None:
        # Saved one by one (not queryset.update) so every change sends the
        # model signals the cache layer listens to.
        changed = 0
        for product in queryset.select_related(None):
            if product.is_active != is_active:
                product.is_active = is_active
                product.save(update_fields=["is_active", "updated_at"])
                changed += 1
        self.message_user(request, f"{changed} product(s) updated.")
