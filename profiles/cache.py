"""What profiles declare to the cache layer: the rendered profile of each user, in L2."""
from __future__ import annotations

import orjson
from django.contrib.auth import get_user_model

from caching import DataType, ModelRule, edge, register

from .models import Profile


def profile_payload(user_id: int) -> bytes:
    from .selectors import profile_for_user
    from .serializers import ProfileSerializer

    user = get_user_model()._default_manager.get(pk=user_id)
    return orjson.dumps(ProfileSerializer(profile_for_user(user=user)).data, default=str)


PROFILE = register(DataType(
    name="profile",
    loader=profile_payload,
    serializer="raw",
    ttl=900,
    jitter=0.10,
    levels=("l2",),  # private: keyed by its user, never in a shared entry
    invalidated_by=(
        ModelRule(Profile, ids=lambda profile, previous: [profile.user_id]),
        ModelRule(get_user_model(), ids=lambda user, previous: [user.pk]),
    ),
))

edge.private("/api/v1/profile/")
