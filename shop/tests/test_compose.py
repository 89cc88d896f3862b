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
