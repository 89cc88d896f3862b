from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "updated_at"]
    raw_id_fields = ["user"]
    search_fields = ["user__username", "display_name"]
