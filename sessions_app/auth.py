"""The user behind a session, looked up through the cache layer: a cached private
request then costs no database query at all."""
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

import caching


def load_user(user_id: int):
    return get_user_model()._default_manager.filter(pk=user_id).first()


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = caching.get_or_load("auth_user", user_id)
        return user if self.user_can_authenticate(user) else None
