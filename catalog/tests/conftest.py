"""Catalog test fixtures: each test starts with no request counted in this process."""
import pytest

from catalog.popularity import request_counts


@pytest.fixture(autouse=True)
def _no_counts_from_earlier_tests():
    """Counts another test left unsent would otherwise reach this test's store Redis."""
    request_counts.forget()
    yield
    request_counts.forget()
