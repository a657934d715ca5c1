"""Settings: the production configuration passes `check --deploy` clean, refuses to start
without its required variables, and every variable is documented in the README."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

from tests.foundation.test_docker_compose import settings_variables

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "socialapp.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "api.example.org",
    "DATABASE_URL": "postgres://socialapp:socialapp@127.0.0.1:5432/socialapp",
    "READ_DATABASE_URL": "postgres://socialapp:socialapp@127.0.0.1:5432/socialapp_read",
    "CELERY_BROKER_URL": "amqp://socialapp:socialapp@127.0.0.1:5672/socialapp",
    "ELASTICSEARCH_URL": "http://127.0.0.1:9200",
    "PATH": "/usr/bin:/bin",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_every_setting_variable_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text()
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    missing = settings_variables() - table - {"TEST_CELERY_BROKER_URL", "SOCIALAPP_TEST_TAG"}
    assert not missing, f"README settings table lacks {sorted(missing)}"
