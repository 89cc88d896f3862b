from django.contrib import admin

from .models import Cart, CartItem


class CartItemInline(admin.TabularInline):
    model = CartItem
    raw_id_fields = ["product"]
    extra = 0


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "version", "updated_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["session_key", "version"]
    inlines = [CartItemInline]
