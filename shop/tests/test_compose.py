"""docker-compose.yml cannot run here (no Docker engine): check it by reading."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_parses_and_names_the_stack_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"mysql", "redis", "web", "worker", "beat"}
    assert services["mysql"]["image"].startswith("mysql:8")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("mysql", "redis", "web", "worker", "beat"):
        assert "test" in services[name]["healthcheck"], name
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["mysql"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DATABASE_URL"].startswith("mysql://")
    assert (ROOT / "Dockerfile").exists()


def test_compose_redis_requires_a_password_that_every_app_url_carries():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    password = "${REDIS_PASSWORD:?set REDIS_PASSWORD}"  # compose refuses to start without it

    redis = services["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--requirepass") + 1] == password
    # The health check authenticates (redis-cli reads REDISCLI_AUTH) and wants a PONG:
    # redis-cli exits 0 on NOAUTH too.
    assert redis["environment"]["REDISCLI_AUTH"] == password
    check = " ".join(redis["healthcheck"]["test"])
    assert "redis-cli" in check and "PONG" in check

    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["REDIS_URL"] == f"redis://:{password}@redis:6379/0", name
        for variable, db in (("REDIS_STORE_URL", 0), ("CELERY_BROKER_URL", 1), ("CELERY_RESULT_BACKEND", 2)):
            assert environment[variable] == f"redis://:{password}@redis-store:6379/{db}", (name, variable)
    assert "redis://redis" not in (ROOT / "docker-compose.yml").read_text()  # no URL without the password


def test_compose_keeps_sessions_and_the_broker_on_a_redis_that_never_evicts():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    cache, store = services["redis"]["command"], services["redis-store"]["command"]
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert store[store.index("--maxmemory-policy") + 1] == "noeviction"
    assert store[store.index("--requirepass") + 1] == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    assert "test" in services["redis-store"]["healthcheck"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["redis-store"]["condition"] == "service_healthy"


def test_compose_gives_invalidations_and_warming_workers_of_their_own():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    invalidations, warming = services["worker"]["command"], services["worker-warming"]["command"]
    assert "-Q invalidations,default" in invalidations and "warming" not in invalidations.split("-Q")[1].split()[0]
    assert "-Q warming " in warming
    for name in ("worker", "worker-warming"):
        assert services[name]["depends_on"]["redis-store"]["condition"] == "service_healthy"
    environment = services["web"]["environment"]
    assert environment["CLOUDFRONT_DISTRIBUTION_ID"] == "${CLOUDFRONT_DISTRIBUTION_ID:-}"  # off unless set
    assert environment["AWS_ACCESS_KEY_ID"] is None  # passed through, never written here
    assert services["moto"]["profiles"] == ["local-aws"]
