"""Settings shared by every environment. Every value comes from an environment variable.

The README's settings table lists each variable; `tests/test_settings_documented.py` keeps the
two in step. Development defaults point at the services that `scripts/services up` starts.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    # Shared plumbing (no models of either side).
    "socialapp.common",
    # COMMAND SIDE: the write model, on the `default` database.
    "socialapp.write.accounts",
    "socialapp.write.posts",
    "socialapp.write.comments",
    "socialapp.write.follows",
    # THE EVENT LOG and its transport: the log lives with the write model.
    "socialapp.events",
    "socialapp.events.tracking",  # what each projector applied: plumbing, stored on `read`
    # QUERY SIDE: disposable read models, on the `read` database and Elasticsearch.
    "socialapp.read.feeds",
    "socialapp.read.profiles",
    "socialapp.read.notifications",
    "socialapp.read.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "socialapp.urls"
WSGI_APPLICATION = "socialapp.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --------------------------------------------------------------------------- databases
# `default` holds the write model and the event log; `read` holds the read models. The router
# sends each app to the side its AppConfig declares (socialapp/common/db_router.py).
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://socialapp:socialapp@127.0.0.1:5432/socialapp"),
    "read": env.db("READ_DATABASE_URL", default="postgres://socialapp:socialapp@127.0.0.1:5432/socialapp_read"),
}
for _db in DATABASES.values():
    _db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DATABASE_ROUTERS = ["socialapp.common.db_router.SideRouter"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --------------------------------------------------------------------------- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["socialapp.common.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socialapp.common.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "socialapp API",
    "DESCRIPTION": "Commands change the write model and answer with an X-Consistency-Token; "
    "queries read the read models only.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Throttle counters live in a cache; a local-memory cache is per process (documented).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --------------------------------------------------------------------------- Celery / RabbitMQ
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="amqp://socialapp:socialapp@127.0.0.1:5672/socialapp")
RABBITMQ_MANAGEMENT_URL = env.str("RABBITMQ_MANAGEMENT_URL", default="http://socialapp:socialapp@127.0.0.1:15672")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Safety: ack after the effect, requeue when a worker process dies, confirm every publish.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --------------------------------------------------------------------------- Elasticsearch
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="http://127.0.0.1:9200")
ELASTICSEARCH_INDEX_PREFIX = env.str("ELASTICSEARCH_INDEX_PREFIX", default="socialapp")
ELASTICSEARCH_TIMEOUT = env.float("ELASTICSEARCH_TIMEOUT", default=5.0)

# --------------------------------------------------------------------------- product knobs
FEED_MAX_ENTRIES = env.int("FEED_MAX_ENTRIES", default=1000)
FEED_FANOUT_CHUNK = env.int("FEED_FANOUT_CHUNK", default=500)
FEED_CELEBRITY_THRESHOLD = env.int("FEED_CELEBRITY_THRESHOLD", default=10000)
# A like or follow repeated by the same actor on the same target (a like/unlike or follow/unfollow
# loop) notifies once per window of this many seconds (0: every time). docs/read-models.md.
NOTIFICATIONS_DEDUP_WINDOW_SECONDS = env.int("NOTIFICATIONS_DEDUP_WINDOW_SECONDS", default=3600)
CONSISTENCY_WAIT_SECONDS = env.float("CONSISTENCY_WAIT_SECONDS", default=2.0)
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"elastic_transport": {"level": "WARNING"}},
}

# --------------------------------------------------------------------------- command side (issue 3)

# --------------------------------------------------------------------------- event pipeline (issue 4)
# docs/pipeline.md explains each value. Celery's own safety settings are in the Celery section.
# Redeliveries of one message (requeues, lost workers) before it is dead-lettered.
EVENTS_DELIVERY_LIMIT = env.int("EVENTS_DELIVERY_LIMIT", default=5)
# Unacknowledged messages a projector worker holds (measured: bench/pipeline.py, docs/pipeline.md).
EVENTS_PREFETCH = env.int("EVENTS_PREFETCH", default=16)
# A projector that takes batches (Projector.batch_size > 1) applies a partial batch after this long
# without a full one; its prefetch is raised to twice its batch size.
EVENTS_BATCH_WAIT_MS = env.int("EVENTS_BATCH_WAIT_MS", default=20)
# The relay publishes on every commit (LISTEN/NOTIFY) and sweeps at this interval regardless.
EVENTS_RELAY_SWEEP_SECONDS = env.float("EVENTS_RELAY_SWEEP_SECONDS", default=1.0)
EVENTS_RELAY_BATCH = 500
EVENTS_RELAY_NOTIFY = True  # NOTIFY the relay after each commit that appended events
EVENTS_NOTIFY_CHANNEL = "socialapp_events"
EVENTS_BROKER_HEARTBEAT = 30
# Transient errors (DB or Elasticsearch unreachable): in-place retries with exponential backoff
# and full jitter, then the message goes back to the tail of its queue (never dead-lettered).
EVENTS_RETRY_ATTEMPTS = 6
EVENTS_RETRY_BASE_SECONDS = 0.2
EVENTS_RETRY_MAX_SECONDS = 10.0
# Extra modules that register projectors (tests' probe projector, the benchmark's no-op one).
EVENTS_EXTRA_PROJECTOR_MODULES = env.list("EVENTS_EXTRA_PROJECTOR_MODULES", default=[])
# Port of a projector worker's Prometheus exporter (0: none). honcho sets one per process.
PROJECTOR_METRICS_PORT = env.int("PROJECTOR_METRICS_PORT", default=0)
# Celery task workers too: keep reconnecting through a broker outage of any length, and cancel
# late-ack tasks on connection loss (they are redelivered anyway; Celery 6 makes it the default).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# --------------------------------------------------------------------------- query side (issue 5)
# Shared command/query paths (socialapp.common.dispatch) are documented per method.
SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"] = "socialapp.common.schema.DispatchAwareSchemaGenerator"

# --------------------------------------------------------------------------- search (issue 6)
SEARCH_INDEX_SHARDS = env.int("SEARCH_INDEX_SHARDS", default=1)
SEARCH_INDEX_REPLICAS = env.int("SEARCH_INDEX_REPLICAS", default=0)
SEARCH_REFRESH_INTERVAL = env.str("SEARCH_REFRESH_INTERVAL", default="1s")
SEARCH_GC_DELETES = env.str("SEARCH_GC_DELETES", default="60s")
SEARCH_BULK_CHUNK = env.int("SEARCH_BULK_CHUNK", default=500)  # documents per bulk request
SEARCH_BATCH_SIZE = env.int("SEARCH_BATCH_SIZE", default=200)  # events the search worker applies per commit
SEARCH_MAX_QUERY_LENGTH = env.int("SEARCH_MAX_QUERY_LENGTH", default=512)  # characters of `q`
SEARCH_MAX_TERMS = env.int("SEARCH_MAX_TERMS", default=32)  # clauses parsed from `q`
# Full image only (analysis-common), e.g. "english": a ranking sub-field; see docs/search.md.
SEARCH_LANGUAGE_ANALYZER = env.str("SEARCH_LANGUAGE_ANALYZER", default="")
