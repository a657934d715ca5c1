"""Tests: isolated databases, vhost and index prefix per run, so parallel runs never meet.

SOCIALAPP_TEST_TAG (default: "") is appended to every name; tests/conftest.py creates the
RabbitMQ vhost and removes the Elasticsearch indexes of the run.
"""

from socialapp.settings.base import *  # noqa: F403
from socialapp.settings.base import CACHES, DATABASES, REST_FRAMEWORK, env

TEST_TAG = env.str("SOCIALAPP_TEST_TAG", default="")
for _alias, _db in DATABASES.items():
    _db["CONN_MAX_AGE"] = 0
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}{TEST_TAG}"}

TEST_AMQP_VHOST = f"socialapp_test{TEST_TAG}"
CELERY_BROKER_URL = env.str(
    "TEST_CELERY_BROKER_URL", default=f"amqp://socialapp:socialapp@127.0.0.1:5672/{TEST_AMQP_VHOST}"
)
ELASTICSEARCH_INDEX_PREFIX = f"test_socialapp{TEST_TAG}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        scope: "100000/min"
        for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # tests set their own
    },
}
# One Redis for every run: each run's keys under its own prefix (never `cache.clear()`: FLUSHDB).
CACHES["default"]["KEY_PREFIX"] = f"test_socialapp{TEST_TAG}"
METRICS_TOKEN = "test-metrics-token"
