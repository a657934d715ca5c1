"""Tests: isolated databases, vhost and index prefix per run, so parallel runs never meet.

SOCIALAPP_TEST_TAG (default: "") is appended to every name; tests/conftest.py creates the
RabbitMQ vhost and removes the Elasticsearch indexes of the run.
"""

from socialapp.settings.base import *  # noqa: F403
from socialapp.settings.base import CACHES, DATABASES, REST_FRAMEWORK, env

TEST_TAG = env.str("SOCIALAPP_TEST_TAG", default="")
for _alias in [a for a in DATABASES if a.startswith("read_replica_")]:
    del DATABASES[_alias]  # READ_REPLICA_URLS of the environment: never in tests (see below)
for _alias, _db in DATABASES.items():
    _db["CONN_MAX_AGE"] = 0
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}{TEST_TAG}"}

# The hot standby of the test server (`scripts/services up --replica`, which `make test` runs):
# it MIRRORS `read`, so Django creates no database on it; the test read database reaches it by
# physical replication. No query is routed to it unless a test says so (READ_REPLICAS): most
# tests write inside a transaction that no other server can see. tests/read/test_replica.py
# turns routing on in transactional tests, and skips when the standby is not running.
DATABASES["read_replica_0"] = {
    **DATABASES["read"],
    **env.db_url_config(
        env.str("TEST_READ_REPLICA_URL", default="postgres://socialapp:socialapp@127.0.0.1:5433/socialapp_read")
    ),
    "CONN_MAX_AGE": 0,
    "TEST": {"MIRROR": "read"},
}
READ_REPLICAS: list[str] = []

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
# Revocation at once on the query side too, as most tests expect right after a logout or a
# suspension; tests/read/test_query_auth.py turns the one-second reuse on where it tests it.
QUERY_AUTH_CACHE_SECONDS = 0.0
