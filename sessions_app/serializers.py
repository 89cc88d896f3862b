from rest_framework import serializers

from shop.api.bodies import StrictJSONTypes


class LoginInput(StrictJSONTypes, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # Not an EmailField: Django's users may have no email (an empty string).
    email = serializers.CharField(help_text="The user's email address; empty when none is set.")


class SessionSerializer(serializers.Serializer):
    """The current session (sessions_app.api.session_body)."""

    authenticated = serializers.BooleanField()
    user = UserSerializer(allow_null=True, help_text="Null when not logged in.")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null while there is no session yet.")
    csrf_token = serializers.CharField(
        help_text="Send it back in `X-CSRFToken` on every unsafe request; the response also sets the "
                  "`csrftoken` cookie.")
