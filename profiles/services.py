"""Profile writes."""
from django.db import transaction

from .models import Profile

PROFILE_FIELDS = ("display_name", "addresses", "preferences")


def profile_update(*, user, data: dict) -> Profile:
    """Apply validated fields; preferences merge into the stored ones, the rest replace."""
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        for field in PROFILE_FIELDS:
            if field not in data:
                continue
            if field == "preferences":
                profile.preferences = {**profile.preferences, **data["preferences"]}
            else:
                setattr(profile, field, data[field])
        profile.save()
        return profile
