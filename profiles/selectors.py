"""Profile reads."""
from .models import Profile


def profile_for_user(*, user) -> Profile:
    """The user's profile, or an unsaved empty one: reading never writes."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)
