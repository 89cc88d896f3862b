"""Profile shapes, with addresses and preferences validated field by field."""
from rest_framework import serializers

from shop.api.bodies import StrictJSONTypes

from .models import Profile


class AddressSerializer(StrictJSONTypes, serializers.Serializer):
    label = serializers.CharField(max_length=40, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(r"^[A-Z]{2}$", help_text="ISO 3166-1 alpha-2 code, e.g. FR")


class PreferencesSerializer(StrictJSONTypes, serializers.Serializer):
    newsletter = serializers.BooleanField(required=False)
    currency = serializers.ChoiceField(choices=["EUR", "USD", "GBP"], required=False)
    language = serializers.ChoiceField(choices=["en", "fr", "de", "es"], required=False)


class ProfileSerializer(StrictJSONTypes, serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    # Not an EmailField: Django's users may have no email (an empty string).
    email = serializers.CharField(source="user.email", read_only=True)
    addresses = AddressSerializer(many=True, required=False, max_length=10)
    preferences = PreferencesSerializer(required=False)
    # Null until the profile is first saved: reading a profile never creates it.
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Profile
        fields = ["username", "email", "display_name", "addresses", "preferences", "updated_at"]
