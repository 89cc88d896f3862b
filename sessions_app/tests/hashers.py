"""A real password hasher for the throttle tests: MD5 (fast) that counts its checks."""
from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    checks = 0

    def verify(self, password, encoded):
        CountingMD5PasswordHasher.checks += 1
        return super().verify(password, encoded)
