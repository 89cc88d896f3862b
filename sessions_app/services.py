"""Log in and out; an anonymous cart follows the visitor into their account."""
from django.contrib.auth import authenticate, login, logout

from carts.services import cart_merge_into_user
from shop.exceptions import InvalidRequest


def session_login(*, request, username: str, password: str):
    """Authenticate, start the user's session and merge the anonymous cart into theirs."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidRequest("Invalid username or password.")
    anonymous_key = request.session.session_key
    login(request, user)  # cycles the session key: keep the old one for the merge
    if anonymous_key:
        cart_merge_into_user(session_key=anonymous_key, user_id=user.id)
    return user


def session_logout(*, request) -> None:
    logout(request)
