"""Create (or reset) the Locust users `loadtest-1` … `loadtest-N` with the given password."""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402


def main(count: int, password: str) -> None:
    User = get_user_model()
    hashed = make_password(password)
    for n in range(1, count + 1):
        User.objects.update_or_create(username=f"loadtest-{n}", defaults={"password": hashed})
    print(f"{count} load-test users ready", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]), os.environ["LOADTEST_PASSWORD"])
