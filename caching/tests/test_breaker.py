"""The circuit breaker's states."""
from caching.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


def test_breaker_opens_after_repeated_failures_and_probes_to_close():
    breaker = CircuitBreaker(failures=3, reset_seconds=10)
    now = [0.0]
    breaker.clock = lambda: now[0]
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN and not breaker.allow()
    now[0] = 10.0
    assert breaker.allow() is True  # the probe
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is False  # one probe at a time
    breaker.record_failure()
    assert breaker.state == OPEN and not breaker.allow()
    now[0] = 20.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow()


def test_a_success_resets_the_failure_count():
    breaker = CircuitBreaker(failures=2, reset_seconds=1)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == CLOSED
