from django.contrib import admin

from .models import Order, OrderItem


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    raw_id_fields = ["product"]
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "status", "item_count", "total", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["user"]
    inlines = [OrderItemInline]
