"""What sessions declare to the cache layer: the user object authentication looks up."""
from django.contrib.auth import get_user_model

from caching import DataType, ModelRule, register

from .auth import load_user

AUTH_USER = register(DataType(
    name="auth_user",
    loader=load_user,
    serializer="pickle",
    ttl=300,
    jitter=0.10,
    levels=("l2",),  # keyed per user; holds the password hash, so never in a shared or public entry
    invalidated_by=(ModelRule(get_user_model(), ids=lambda user, previous: [user.pk]),),
))
