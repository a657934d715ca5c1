"""We have no Docker engine, so docker/ is checked statically: the Compose file parses, uses the
official images with health checks, and its environment agrees with what the settings read."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, svc in SERVICES.items() if svc.get("image") == "socialapp:latest"]
WEB_SERVICES = ["web-commands", "web-queries"]


def settings_variables() -> set[str]:
    source = "\n".join(p.read_text() for p in (REPO / "socialapp" / "settings").glob("*.py"))
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source)) | {"DJANGO_SETTINGS_MODULE"}


def test_infrastructure_uses_official_images_with_health_checks():
    expected = {"postgres": "postgres:", "rabbitmq": "rabbitmq:", "elasticsearch": "elasticsearch:", "redis": "redis:"}
    for name, prefix in expected.items():
        svc = SERVICES[name]
        assert svc["image"].startswith(prefix), name
        assert "/" not in svc["image"], f"{name}: use the official library image"
        assert svc["healthcheck"]["test"], name
    assert "management" in SERVICES["rabbitmq"]["image"]
    es_env = SERVICES["elasticsearch"]["environment"]
    assert es_env["discovery.type"] == "single-node"
    assert es_env["xpack.security.enabled"] == "false"
    assert re.search(r"-Xmx\d+[mg]", es_env["ES_JAVA_OPTS"]), "cap the Elasticsearch heap"


def test_app_services_share_one_environment_known_to_the_settings():
    assert {"web-commands", "web-queries", "web-streaming", "migrate", "relay"} <= set(APP_SERVICES)
    known = settings_variables()
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"
        assert env["DJANGO_SETTINGS_MODULE"] == "socialapp.settings.production"


@pytest.mark.parametrize("web", WEB_SERVICES)
def test_app_environment_points_at_the_compose_services(web):
    env = SERVICES[web]["environment"]
    pg = SERVICES["postgres"]["environment"]
    write, read = urlsplit(env["DATABASE_URL"]), urlsplit(env["READ_DATABASE_URL"])
    assert write.hostname == read.hostname == "postgres"
    assert (write.username, write.password) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
    assert write.path.lstrip("/") == pg["POSTGRES_DB"]
    init_sql = (REPO / "docker" / "postgres-init.sql").read_text()
    assert f"CREATE DATABASE {read.path.lstrip('/')}" in init_sql
    assert read.path != write.path
    rmq = SERVICES["rabbitmq"]["environment"]
    broker = urlsplit(env["CELERY_BROKER_URL"])
    assert broker.hostname == "rabbitmq"
    assert (broker.username, broker.password) == (rmq["RABBITMQ_DEFAULT_USER"], rmq["RABBITMQ_DEFAULT_PASS"])
    assert broker.path.lstrip("/") == rmq["RABBITMQ_DEFAULT_VHOST"]
    assert urlsplit(env["ELASTICSEARCH_URL"]).hostname == "elasticsearch"
    assert urlsplit(env["RABBITMQ_MANAGEMENT_URL"]).hostname == "rabbitmq"
    assert urlsplit(env["CACHE_URL"]).hostname == "redis"


def test_app_services_wait_for_healthy_dependencies():
    for name in APP_SERVICES:
        deps = SERVICES[name]["depends_on"]
        for infra in ("postgres", "elasticsearch"):
            assert deps[infra]["condition"] == "service_healthy", (name, infra)
        if name != "migrate":
            assert deps["migrate"]["condition"] == "service_completed_successfully", name
    for web in WEB_SERVICES:
        assert "gunicorn socialapp.wsgi" in " ".join(SERVICES[web].get("command", [])), web
        assert "/readyz" in " ".join(SERVICES[web]["healthcheck"]["test"]), web


def _dockerfile() -> str:
    return (REPO / "docker" / "Dockerfile").read_text()


def test_dockerfile_is_multi_stage_and_runs_as_non_root():
    text = _dockerfile()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "gunicorn socialapp.wsgi" in text
    assert "requirements.txt" in text


@pytest.mark.parametrize("name", ["postgres", "rabbitmq", "elasticsearch"])
def test_infrastructure_keeps_data_in_volumes(name):
    assert any(":" in v for v in SERVICES[name]["volumes"])


def test_every_registered_projector_has_a_worker_service_on_its_own_queue():
    from socialapp.events.projector import REGISTRY

    commands = {name: " ".join(SERVICES[name].get("command", [])) for name in APP_SERVICES}
    # The application's projectors; tests and benchmarks register probes of their own.
    app_projectors = [n for n, p in REGISTRY.items() if type(p).__module__.startswith("socialapp.")]
    assert len(app_projectors) >= 4, app_projectors
    for projector in app_projectors:
        consuming = [n for n, cmd in commands.items() if f"-Q projector.{projector} " in cmd + " "]
        assert len(consuming) == 1, f"projector {projector}: worker services {consuming}"
    assert any("-Q celery" in cmd for cmd in commands.values()), "no worker for plain Celery tasks"


def test_exactly_one_beat_sends_the_periodic_tasks_and_a_worker_runs_them():
    """Periodic tasks (the fan-out sweep) need one beat: two would send each of them twice."""
    from django.conf import settings

    from socialapp.celery import app

    beats = [n for n in APP_SERVICES if SERVICES[n].get("command", [])[:4] == ["celery", "-A", "socialapp", "beat"]]
    assert beats == ["beat"], beats
    assert "deploy" not in SERVICES["beat"] or SERVICES["beat"]["deploy"].get("replicas", 1) == 1
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry
    assert "feeds.resend_stale_fanout" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    procfile = (REPO / "Procfile").read_text().splitlines()
    assert sum(line.startswith("beat: ") and " beat " in line for line in procfile) == 1


def test_commands_and_queries_are_separate_process_types_each_sized_and_ready_on_its_own():
    """docs/ops.md: each side its own workers/threads (compose interpolates WEB_<SIDE>_* from the
    shell or .env) and its own READINESS_CHECKS, so a read-side outage does not take commands out."""
    checks = {web: set(SERVICES[web]["environment"]["READINESS_CHECKS"].split(",")) for web in WEB_SERVICES}
    assert checks["web-commands"] == {"postgres_write", "cache"}
    assert checks["web-queries"] == {"postgres_read", "elasticsearch", "cache"}
    for web in WEB_SERVICES:
        command = " ".join(SERVICES[web]["command"])
        side = web.removeprefix("web-").upper()
        assert f"--workers ${{WEB_{side}_WORKERS:-" in command and f"--threads ${{WEB_{side}_THREADS:-" in command
        assert "--bind 0.0.0.0:8000" in command
        assert "ports" not in SERVICES[web], f"{web}: reached through the proxy only"
        assert SERVICES[web]["environment"]["API_TRUSTED_PROXIES"] == "1", "nginx appends one X-Forwarded-For hop"


def test_proxy_routes_to_both_web_services_with_the_checked_config():
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("nginx:") and "/" not in proxy["image"]
    assert proxy["ports"] == ["8000:8000"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    for web in [*WEB_SERVICES, "web-streaming"]:
        assert proxy["depends_on"][web]["condition"] == "service_healthy"
    assert proxy["healthcheck"]["test"]
    conf = (REPO / "docker" / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+) \{\s*server ([\w.-]+:\d+);", conf))
    assert upstreams == {
        "commands": "web-commands:8000",
        "queries": "web-queries:8000",
        "streaming": "web-streaming:8000",
    }
    assert re.search(r"^\s*listen 8000;", conf, re.M)


def test_queries_read_a_streaming_standby_of_the_postgres_service():
    """docs/ops.md, "Read replicas": `postgres-replica` is cloned from `postgres` (pg_basebackup -R,
    the role and pg_hba line come from the primary's init script) and only web-queries reads it."""
    replica = SERVICES["postgres-replica"]
    assert replica["image"] == SERVICES["postgres"]["image"], "a physical standby runs the primary's major version"
    script = replica["command"][-1]
    assert "pg_basebackup -h postgres -U replicator" in script and " -R " in script
    assert "hot_standby=on" in script
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in replica["volumes"])
    init = (REPO / "docker" / "postgres-replication.sh").read_text()
    assert "REPLICATION LOGIN" in init and "host replication replicator" in init
    assert any("postgres-replication.sh:/docker-entrypoint-initdb.d/" in v for v in SERVICES["postgres"]["volumes"])
    queries = SERVICES["web-queries"]
    url = urlsplit(queries["environment"]["READ_REPLICA_URLS"])
    read = urlsplit(queries["environment"]["READ_DATABASE_URL"])
    assert url.hostname == "postgres-replica" and url.path == read.path
    assert queries["depends_on"]["postgres-replica"]["condition"] == "service_healthy"
    assert set(queries["depends_on"]) > {"postgres", "migrate"}, "the merge kept the shared dependencies"
    others = [n for n in APP_SERVICES if n != "web-queries"]
    assert not [n for n in others if "READ_REPLICA_URLS" in SERVICES[n]["environment"]], "queries only"


def test_the_streaming_server_is_its_own_service_behind_the_proxy():
    """docs/streaming.md: uvicorn serving the ASGI app, sized by WEB_STREAMING_WORKERS like the
    Procfile's `web-streaming`, healthy when its own health route answers, reached through the
    proxy only (which routes the streams to it: tests/foundation/test_proxy.py)."""
    streaming = SERVICES["web-streaming"]
    command = " ".join(streaming["command"])
    assert command.startswith("uvicorn socialapp.streaming.asgi:application ")
    assert "--host 0.0.0.0 --port 8000" in command and "--workers ${WEB_STREAMING_WORKERS:-1}" in command
    assert "--lifespan on" in command
    assert "ports" not in streaming, "reached through the proxy only"
    assert "/api/v1/streaming/health" in " ".join(streaming["healthcheck"]["test"])
    for infra in ("postgres", "rabbitmq", "redis"):
        assert streaming["depends_on"][infra]["condition"] == "service_healthy", infra
    assert "READ_REPLICA_URLS" not in streaming["environment"], "streams read the read primary (docs/streaming.md)"
    assert "STREAMING_API_URL" not in streaming["environment"], "empty: the request's own origin, i.e. the proxy"
    procfile = [line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("web-streaming: ")]
    assert len(procfile) == 1 and "uvicorn socialapp.streaming.asgi:application" in procfile[0]
