"""Settings shared by every environment. Every value a deployment may tune comes from an
environment variable; the rest are fixed by design (Django's structure, the pipeline's safety
settings such as late acks and publisher confirms, the relay's NOTIFY channel), so they are
plain constants here.

The README's settings table lists each variable; `tests/foundation/test_settings.py` keeps the
two in step. Development defaults point at the services that `scripts/services up` starts.
"""

from pathlib import Path

import environ

from socialapp.events.catalogue import AggregateType  # a plain enum (no Django): the audit routes' types

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
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets, pinned and served by us (no CDN)
    "corsheaders",  # CORS for browser clients of both APIs (CORS_* below)
    "django_filters",
    # Shared plumbing (no models of either side).
    "socialapp.common",
    # COMMAND SIDE: the write model, on the `default` database.
    "socialapp.write.accounts",
    "socialapp.write.posts",
    "socialapp.write.comments",
    "socialapp.write.follows",
    "socialapp.write.oauth",  # OAuth 2 for Mastodon clients (apps, codes; tokens are sessions)
    "socialapp.write.relations",  # blocks, mutes, follow requests (docs/privacy.md)
    "socialapp.write.moderation",  # reports and their resolution
    "socialapp.write.audit",  # staff: an aggregate's events and past states, folded from the log (no models)
    # THE EVENT LOG and its transport: the log lives with the write model.
    "socialapp.events",
    "socialapp.events.tracking",  # what each projector applied: plumbing, stored on `read`
    # QUERY SIDE: disposable read models, on the `read` database and Elasticsearch.
    "socialapp.read.feeds",
    "socialapp.read.profiles",
    "socialapp.read.notifications",
    "socialapp.read.search",
    "socialapp.read.relations",  # blocks, mutes, follow requests: who may see whom (docs/privacy.md)
    "socialapp.read.trends",  # trending tags and posts, tag history (docs/analytics.md)
    "socialapp.read.activity",  # the staff dashboard's counters (docs/analytics.md)
    # The Mastodon-compatible face of both sides (no models): socialapp/mastodon/.
    "socialapp.mastodon",
]

MIDDLEWARE = [
    # First: a preflight (OPTIONS) is answered here, and every answer under CORS_URLS_REGEX,
    # errors included, carries the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's, the API docs') in every mode: gunicorn serves none itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "socialapp.common.middleware.RejectNulMiddleware",  # a NUL in a URL is a 400, for every view
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
# Hot standbys of the read database that serve queries (comma-separated URLs; empty: queries read
# `read`): aliases `read_replica_0`, `read_replica_1`, ... One is pinned per query request;
# projectors, jobs and every write use `read` (docs/read-models.md, "Read replicas").
READ_REPLICA_URLS = env.list("READ_REPLICA_URLS", default=[])
for _index, _url in enumerate(READ_REPLICA_URLS):
    DATABASES[f"read_replica_{_index}"] = env.db_url_config(_url)
# The replicas queries may use (socialapp/common/replicas.py); tests narrow it.
READ_REPLICAS = [alias for alias in DATABASES if alias.startswith("read_replica_")]
# A replica that could not be reached is skipped this long (per process); queries then use another
# replica, or the primary `read` when none answers.
READ_REPLICA_RETRY_SECONDS = env.float("READ_REPLICA_RETRY_SECONDS", default=5.0)
# Server-side limits on every connection of both databases (PostgreSQL duration syntax, "0"
# disables one): a runaway query, a lock queue or a forgotten open transaction ends with an error
# instead of holding connections and locks forever. Long maintenance (migrations on big tables)
# can run with DATABASE_STATEMENT_TIMEOUT=0.
DATABASE_STATEMENT_TIMEOUT = env.str("DATABASE_STATEMENT_TIMEOUT", default="30s")
DATABASE_LOCK_TIMEOUT = env.str("DATABASE_LOCK_TIMEOUT", default="10s")
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT = env.str("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default="60s")
for _db in DATABASES.values():
    _db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    _db["OPTIONS"]["options"] = " ".join(
        f"-c {name}={value}"
        for name, value in (
            ("statement_timeout", DATABASE_STATEMENT_TIMEOUT),
            ("lock_timeout", DATABASE_LOCK_TIMEOUT),
            ("idle_in_transaction_session_timeout", DATABASE_IDLE_IN_TRANSACTION_TIMEOUT),
        )
    )
# The read side's statements (queries and projectors) are prepared once per connection of `read` and
# its replicas instead of planned on every request (socialapp/read/common/sql.py, PreparingCursor).
# false for a transaction-pooling proxy (PgBouncer in transaction mode) in front of the read
# database: prepared statements live in a server connection such a proxy does not keep for us.
READ_DATABASE_PREPARED = env.bool("READ_DATABASE_PREPARED", default=True)
if READ_DATABASE_PREPARED:
    for _alias in ["read", *READ_REPLICAS]:
        # psycopg's threshold for preparing on its own: only PreparingCursor asks (Django's cursors
        # bind on the client and never prepare); without a threshold psycopg prepares nothing.
        DATABASES[_alias]["OPTIONS"]["prepare_threshold"] = 1_000_000
# The command path's written-out statements (socialapp/common/rows.py, the token lookup, the
# locks, the block check, the relay's NOTIFY: socialapp/common/prepared.py) are prepared once per
# connection of `default` too; the ORM's statements are not (Django's cursors bind on the client).
# false behind a transaction-pooling proxy in front of the write database, as above.
WRITE_DATABASE_PREPARED = env.bool("WRITE_DATABASE_PREPARED", default=True)
if WRITE_DATABASE_PREPARED:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1_000_000
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
# WhiteNoise (first middleware after SecurityMiddleware) serves /static/ from the same process.
# Here it finds the files in the apps' static/ folders, so `make run` and the tests need no
# collectstatic (and no STATIC_ROOT); DEBUG re-scans them on each request. Production serves the
# collectstatic output instead (hashed, compressed names; settings/production.py, docker/Dockerfile).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --------------------------------------------------------------------------- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["socialapp.write.accounts.authentication.BearerTokenAuthentication"],
    # TokenScope: a safe method needs the `read` scope, any other `write` (socialapp/common/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "socialapp.common.permissions.TokenScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["socialapp.common.parsers.JSONParser"],  # deep nesting: 400, not 500
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socialapp.common.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "socialapp.common.throttling.AnonThrottle",
        "socialapp.common.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        # Credential endpoints, per client address and per submitted username (socialapp/common/throttling.py).
        "login": env.str("API_THROTTLE_LOGIN", default="20/min"),
        "login_username": env.str("API_THROTTLE_LOGIN_USERNAME", default="10/min"),
        "register": env.str("API_THROTTLE_REGISTER", default="10/hour"),
        "register_username": env.str("API_THROTTLE_REGISTER_USERNAME", default="5/hour"),
        "admin_login": env.str("API_THROTTLE_LOGIN", default="20/min"),
        "admin_login_username": env.str("API_THROTTLE_LOGIN_USERNAME", default="10/min"),
    },
    # Proxies in front of the app that append to X-Forwarded-For. 0: the socket address is the
    # client and the header is ignored (anyone can write it); N: the Nth address from the right.
    "NUM_PROXIES": env.int("API_TRUSTED_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# --------------------------------------------------------------------------- Mastodon API
# Registration through an application (`POST /api/v1/accounts`, socialapp/mastodon/commands/
# registration.py); the instance documents' `registrations` follow it. false: 403, as Mastodon.
MASTODON_REGISTRATIONS_OPEN = env.bool("MASTODON_REGISTRATIONS_OPEN", default=True)
# --------------------------------------------------------------------------- CORS
# Browser clients (Mastodon web clients such as Elk or Phanpy, our own front ends) call both APIs
# from other origins. As Mastodon does (config/initializers/cors.rb), any origin may call them,
# without credentials: both APIs authenticate by bearer token, never by cookie, so a page of
# another origin gains nothing a script of its own could not do with the user's token, and
# browsers send no cookies cross-origin without CORS_ALLOW_CREDENTIALS. CORS_ALLOWED_ORIGINS
# narrows it: `*` (default) any origin, a comma-separated list of origins only those, empty none.
# Only the APIs, OAuth and /.well-known/ answer CORS; the admin and the docs pages never do.
_CORS_ORIGINS = [o.strip() for o in env.str("CORS_ALLOWED_ORIGINS", default="*").split(",") if o.strip()]
CORS_ALLOW_ALL_ORIGINS = _CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api|oauth|\.well-known)/"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "user-agent",
    "x-consistency-token",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = (
    "Link",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "ETag",
    "X-Consistency-Token",
    "X-Consistency-Satisfied",
    "X-Read-Lag",
)
CORS_PREFLIGHT_MAX_AGE = 86400

SPECTACULAR_SETTINGS = {
    "TITLE": "socialapp API",
    "DESCRIPTION": "Commands change the write model and answer with an X-Consistency-Token; "
    "queries read the read models only.",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's own path converters (socialapp/common/converters.py), documented as they match.
    # /api/socialapp/v1/docs loads Swagger UI from drf-spectacular-sidecar (pinned in requirements.txt) via
    # our static files: no CDN, no unpinned `@latest`, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two `window` choice sets: trends rank whole hours (1h..7d), the dashboard also shows 15m.
    "ENUM_NAME_OVERRIDES": {
        "TrendsWindowEnum": ["1h", "6h", "24h", "7d"],
        "DashboardWindowEnum": ["15m", "1h", "6h", "24h", "7d"],
    },
    "PATH_CONVERTER_OVERRIDES": {
        # A string, as ids are in every body: a JSON/JavaScript number loses precision past 2^53, and a
        # generated TypeScript client typed the path id as `number` (API 2.0.0; docs/api.md). Ids past
        # the bigint range match no resource (404, socialapp/common/converters.py).
        "id": {"type": "string", "pattern": "^[0-9]{1,19}$", "minLength": 1, "maxLength": 19},
        "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,30}$", "minLength": 3, "maxLength": 30},
        "tag": {"type": "string", "pattern": "^#?[^/#]{1,100}$", "minLength": 1, "maxLength": 101},
        # The audit routes' (socialapp/write/audit/converters.py).
        "aggregate_type": {
            "type": "string",
            "enum": [t.value for t in AggregateType],
        },
        "aggregate_id": {
            "type": "string",
            "pattern": "^[0-9]{1,19}(:[0-9]{1,19})?$",
            "minLength": 1,
            "maxLength": 39,
            "description": "an id, or `<a>:<b>` for a pair aggregate (like, follow, block, mute, follow_request)",
        },
    },
    # Paths shared by both sides (socialapp.common.dispatch.by_method) are documented per method,
    # each with the DRF view that serves it.
    "PREPROCESSING_HOOKS": ["socialapp.common.schema.document_shared_paths"],
    # An operation's description is its view's docstring, never that of a view base (view_base).
    "GET_LIB_DOC_EXCLUDES": "socialapp.common.viewdocs.doc_excludes",
    # Every operation tagged by area: ours by area, Mastodon's as `mastodon: <area>`; every
    # operation's error responses (problem+json; Mastodon's shape on its routes) and the headers
    # they set, by rules read from the view; `security: []` where no credentials are taken
    # (socialapp/common/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "socialapp.common.schema.tag_by_area",
        "socialapp.common.schema.document_errors",
        # The OAuth routes at the paths clients call, and the HTML authorize page (after the
        # errors, which are derived from views found by their generated paths).
        "socialapp.write.oauth.schema.document_oauth",
        # Rules over several fields (minProperties, oneOf) and links between operations
        # (socialapp/common/contract.py).
        "socialapp.common.contract.state_serializer_rules",
        "socialapp.common.contract.link_operations",
        "socialapp.common.schema.anonymous_security",
    ],
}
# Throttle counters and cached metrics live in a cache shared by every process: Redis, started
# by `scripts/services up` and the Compose file. Short socket timeouts: a cache outage must not
# hang requests (throttles then let requests through and log a warning).
CACHES = {"default": env.cache("CACHE_URL", default="redis://127.0.0.1:6379/0")}
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="socialapp")
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 1, "socket_timeout": 1})
    # Django's backend, keeping one Redis client per pool (socialapp/common/cache.py: cheaper per call).
    CACHES["default"]["BACKEND"] = "socialapp.common.cache.RedisCache"

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
# A larger fan-out's chunks grow from FEED_FANOUT_CHUNK, doubling, up to this many followers each
# (docs/feeds.md; at or below FEED_FANOUT_CHUNK: equal chunks).
FEED_FANOUT_CHUNK_MAX = env.int("FEED_FANOUT_CHUNK_MAX", default=2000)
# Amortised trimming (docs/feeds.md): a fan-out probes about one added feed row in
# FEED_TRIM_CHECK_EVERY, and trims that feed back to FEED_MAX_ENTRIES only once it holds more than
# FEED_MAX_ENTRIES + FEED_TRIM_SLACK entries.
FEED_TRIM_SLACK = env.int("FEED_TRIM_SLACK", default=250)
FEED_TRIM_CHECK_EVERY = env.int("FEED_TRIM_CHECK_EVERY", default=128)
FEED_CELEBRITY_THRESHOLD = env.int("FEED_CELEBRITY_THRESHOLD", default=10000)
# A home-feed rebuild fills the feeds on this many connections at once (docs/feeds.md).
FEED_REBUILD_WORKERS = env.int("FEED_REBUILD_WORKERS", default=2)
# Celery beat sends `feeds.resend_stale_fanout` every FEED_FANOUT_SWEEP_SECONDS: fan-out chunk
# jobs not run FEED_FANOUT_STALE_SECONDS after they were (re)sent lost their task message.
FEED_FANOUT_SWEEP_SECONDS = env.float("FEED_FANOUT_SWEEP_SECONDS", default=30.0)
FEED_FANOUT_STALE_SECONDS = env.float("FEED_FANOUT_STALE_SECONDS", default=60.0)
# A like or follow repeated by the same actor on the same target (a like/unlike or follow/unfollow
# loop) notifies once per window of this many seconds (0: every time). docs/read-models.md.
NOTIFICATIONS_DEDUP_WINDOW_SECONDS = env.int("NOTIFICATIONS_DEDUP_WINDOW_SECONDS", default=3600)
CONSISTENCY_WAIT_SECONDS = env.float("CONSISTENCY_WAIT_SECONDS", default=2.0)
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# What /readyz checks in this process (docs/ops.md says which to wire where), and how: each name
# maps to a callable that raises when the dependency is unusable. Injected here so that the
# shared health module imports neither side.
READINESS_CHECK_FUNCTIONS = {
    "postgres_write": "socialapp.common.health.check_write_database",
    "postgres_read": "socialapp.common.health.check_read_database",
    "rabbitmq": "socialapp.common.health.check_rabbitmq",
    "elasticsearch": "socialapp.read.search.client.check_health",
    "cache": "socialapp.common.health.check_cache",
}
READINESS_CHECKS = env.list("READINESS_CHECKS", default=list(READINESS_CHECK_FUNCTIONS))
# A broker check's result is reused this long (one reused connection, not one per probe).
READINESS_BROKER_CACHE_SECONDS = env.float("READINESS_BROKER_CACHE_SECONDS", default=5.0)
# /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; empty: /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The pipeline gauges are computed at most once per this many seconds across all web processes
# (a shared cache entry); scrapes in between get the cached figures.
METRICS_CACHE_SECONDS = env.float("METRICS_CACHE_SECONDS", default=15.0)
# The rebuild's table swap waits at most this long for its locks per attempt, then retries.
REBUILD_SWITCH_LOCK_TIMEOUT = env.str("REBUILD_SWITCH_LOCK_TIMEOUT", default="2s")
REBUILD_SWITCH_ATTEMPTS = env.int("REBUILD_SWITCH_ATTEMPTS", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Expected transient errors (a service down, a reconnect) log one line, not a traceback.
    "filters": {"one_line_transient": {"()": "socialapp.events.logfilter.OneLineTransientErrors"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["one_line_transient"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # ERROR: its per-request "retrying"/"node failed" warnings repeat what the caller logs once.
    "loggers": {"elastic_transport": {"level": "ERROR"}},
}

# --------------------------------------------------------------------------- accounts
# API tokens (docs/commands.md): lifetime since last use, how often a use moves it forward (one
# write per token per interval, not per request), and sessions kept per user (oldest dropped).
AUTH_TOKEN_TTL_SECONDS = env.int("AUTH_TOKEN_TTL_SECONDS", default=30 * 86400)
AUTH_TOKEN_TOUCH_SECONDS = env.int("AUTH_TOKEN_TOUCH_SECONDS", default=60)
AUTH_MAX_SESSIONS = env.int("AUTH_MAX_SESSIONS", default=50)
# Query views authenticate from session records in the shared cache (docs/read-models.md); Celery
# beat runs `accounts.sync_sessions` this often: last uses seen by queries reach the table (the
# sliding expiry commands check), and records missing from the cache (restart, eviction) return.
AUTH_SESSION_SYNC_SECONDS = env.float("AUTH_SESSION_SYNC_SECONDS", default=60.0)
# Our API's query views reuse a session record their process read from the cache for this long
# (0: every request reads it), so a session ended by a command stops answering queries within
# this bound instead of at once (socialapp/read/common/authentication.py, docs/read-models.md).
QUERY_AUTH_CACHE_SECONDS = env.float("QUERY_AUTH_CACHE_SECONDS", default=1.0)
# Rows one admin action may touch at once (deactivate, suspend, ...).
ADMIN_BULK_ACTION_LIMIT = env.int("ADMIN_BULK_ACTION_LIMIT", default=50)

# --------------------------------------------------------------------------- event pipeline
# docs/pipeline.md explains each value. Celery's own safety settings are in the Celery section.
# Redeliveries of one message (requeues, lost workers) before it is dead-lettered.
EVENTS_DELIVERY_LIMIT = env.int("EVENTS_DELIVERY_LIMIT", default=5)
# Unacknowledged messages a projector worker holds (measured: bench/pipeline.py, docs/pipeline.md).
EVENTS_PREFETCH = env.int("EVENTS_PREFETCH", default=16)
# Messages a projector worker applies per transaction (one commit, one tracking insert, one
# advisory lock, one `multiple` ack), unless the projector sets its own `batch_size` (search).
EVENTS_BATCH_SIZE = env.int("EVENTS_BATCH_SIZE", default=100)
# A partial batch is applied at once when the broker has nothing more buffered, at the latest
# after this long; a batching projector's prefetch is raised to twice its batch size.
EVENTS_BATCH_WAIT_MS = env.int("EVENTS_BATCH_WAIT_MS", default=20)
# A partial batch waits at least this long for more before it is applied (projectors that set no
# `batch_wait_ms` of their own; 0: applied as soon as the broker's socket is empty). Under a
# trickle each event otherwise costs a whole transaction, ack and wake-up in every projector:
# this trades that much latency for CPU (docs/pipeline.md, "Collecting batches"; the whole-system
# benchmark's posts/s rose by about a third with 20 ms here and 5 ms in the relay).
EVENTS_BATCH_COLLECT_MS = env.int("EVENTS_BATCH_COLLECT_MS", default=20)
# A projector worker checks its database connections (Django's CONN_HEALTH_CHECKS `SELECT 1`,
# CONN_MAX_AGE) at most this often, not before every batch; a connection that broke in between
# fails that batch as a transient error (closed, retried).
EVENTS_CONNECTION_CHECK_SECONDS = env.float("EVENTS_CONNECTION_CHECK_SECONDS", default=1.0)
# The relay publishes on every commit (LISTEN/NOTIFY) and sweeps at this interval regardless.
EVENTS_RELAY_SWEEP_SECONDS = env.float("EVENTS_RELAY_SWEEP_SECONDS", default=1.0)
# Log rows the relay publishes per batch (then waits for the broker's confirms).
EVENTS_RELAY_BATCH = env.int("EVENTS_RELAY_BATCH", default=500)
# After a NOTIFY the relay waits this long before it publishes, so that the commits of that
# moment go in one batch (one confirm round trip and one DELETE) instead of one pass each; 0: at once.
EVENTS_RELAY_COLLECT_MS = env.int("EVENTS_RELAY_COLLECT_MS", default=5)
# The relay re-checks (passive declare) that a subscriber's queue exists at most this often; a
# queue deleted by hand sends its events to events.unrouted until the next check re-declares it.
EVENTS_RELAY_QUEUE_CHECK_SECONDS = env.float("EVENTS_RELAY_QUEUE_CHECK_SECONDS", default=1.0)
# NOTIFY the relay after each commit that appended events (off: it publishes on its sweeps only).
EVENTS_RELAY_NOTIFY = env.bool("EVENTS_RELAY_NOTIFY", default=True)
# The channel the app NOTIFYs and the relay LISTENs on: one per database already, so fixed.
EVENTS_NOTIFY_CHANNEL = "socialapp_events"
# AMQP heartbeat (seconds) of the relay's broker connection and of the topology and deadletters tools'.
EVENTS_BROKER_HEARTBEAT = env.int("EVENTS_BROKER_HEARTBEAT", default=30)
# A row the broker refuses (nack) or returns is retried after RETRY_BASE * 2^(attempts-1) seconds,
# capped at RETRY_MAX, while the rows behind it flow (event_publish_failure; an error is logged).
EVENTS_RELAY_RETRY_BASE_SECONDS = env.float("EVENTS_RELAY_RETRY_BASE_SECONDS", default=1.0)
EVENTS_RELAY_RETRY_MAX_SECONDS = env.float("EVENTS_RELAY_RETRY_MAX_SECONDS", default=300.0)
# Bound of the `events.unrouted` queue (events no projector queue is bound for); beyond it the
# oldest are dropped (the log keeps every event). Changing it needs the queue deleted first.
EVENTS_UNROUTED_MAX_LENGTH = env.int("EVENTS_UNROUTED_MAX_LENGTH", default=100000)
# Transient errors (DB or Elasticsearch unreachable): in-place retries with exponential backoff
# and full jitter, then the message goes back to the tail of its queue (never dead-lettered).
EVENTS_RETRY_ATTEMPTS = env.int("EVENTS_RETRY_ATTEMPTS", default=6)
EVENTS_RETRY_BASE_SECONDS = env.float("EVENTS_RETRY_BASE_SECONDS", default=0.2)
EVENTS_RETRY_MAX_SECONDS = env.float("EVENTS_RETRY_MAX_SECONDS", default=10.0)
# Trips of one message through the tail of its queue after its in-place retries failed; beyond
# this it is dead-lettered (reason transient_retries). One trip is ~6 s of backoff, so the
# default outlasts an outage of ten minutes or more; `deadletters retry` resends them.
EVENTS_TRANSIENT_RETRIES = env.int("EVENTS_TRANSIENT_RETRIES", default=100)
# Extra modules that register projectors (tests' probe projector, the benchmark's no-op one).
EVENTS_EXTRA_PROJECTOR_MODULES = env.list("EVENTS_EXTRA_PROJECTOR_MODULES", default=[])
# Port of a projector worker's Prometheus exporter (0: none). honcho sets one per process.
PROJECTOR_METRICS_PORT = env.int("PROJECTOR_METRICS_PORT", default=0)
# Celery task workers too: keep reconnecting through a broker outage of any length, and cancel
# late-ack tasks on connection loss (they are redelivered anyway; Celery 6 makes it the default).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# --------------------------------------------------------------------------- trends (docs/analytics.md)
# How often the refresh job rescores tags and posts into the rank tables that the trends endpoints
# read: rankings are at most this much older than the counters (plus X-Read-Lag). A refresh over a
# million uses a day takes about 12 s (bench/results/trends.json): 60 s keeps it a fifth of a core.
TRENDS_REFRESH_SECONDS = env.int("TRENDS_REFRESH_SECONDS", default=60)
# A tag trends only when at least this many distinct (shown) accounts used it in the window.
TRENDS_MIN_ACCOUNTS = env.int("TRENDS_MIN_ACCOUNTS", default=3)
# Tags and posts kept per window by the refresh (the deepest `offset + limit` a client can page to).
TRENDS_RANK_SIZE = env.int("TRENDS_RANK_SIZE", default=200)
# Periodic tasks, sent by exactly one `celery -A socialapp beat` process (Procfile, Compose) and
# run by the task workers. A sweep that nobody ran within its interval expires (the next one comes).
# --------------------------------------------------------------------------- the staff dashboard
# (docs/analytics.md, "The dashboard".) Celery beat samples every projector's lag and dead letters
# this often (task `activity.sample_projections`, which also prunes what is past retention).
ACTIVITY_SAMPLE_SECONDS = env.float("ACTIVITY_SAMPLE_SECONDS", default=15.0)
# Per-minute counters, per-hour active users and projection samples are kept this long (the
# dashboard's longest window is 7 days).
ACTIVITY_RETENTION_DAYS = env.int("ACTIVITY_RETENTION_DAYS", default=8)
# Per-minute active-user rows (one per account per minute it acted: the largest table) are kept
# this long; windows up to 24 hours use them, the 7-day window uses the per-hour rows.
ACTIVITY_ACTOR_MINUTE_RETENTION_HOURS = env.int("ACTIVITY_ACTOR_MINUTE_RETENTION_HOURS", default=25)
# Chart.js for the dashboard page, from Debian's `libjs-chart.js` (scripts/services, scripts/browser
# and docker/Dockerfile install it), served as our own static files under /static/vendor/chart.js/
# when the directory exists: no CDN. Without it the page says so instead of drawing charts.
CHARTJS_DIR = env.str("CHARTJS_DIR", default="/usr/share/javascript/chart.js")
STATICFILES_DIRS = [("vendor/chart.js", CHARTJS_DIR)] if Path(CHARTJS_DIR, "chart.min.js").is_file() else []

CELERY_BEAT_SCHEDULE = {
    "feeds-resend-stale-fanout": {
        "task": "feeds.resend_stale_fanout",
        "schedule": FEED_FANOUT_SWEEP_SECONDS,
        "options": {"expires": FEED_FANOUT_SWEEP_SECONDS},
    },
    "accounts-sync-sessions": {
        "task": "accounts.sync_sessions",
        "schedule": AUTH_SESSION_SYNC_SECONDS,
        "options": {"expires": AUTH_SESSION_SYNC_SECONDS},
    },
    # Trends' rank tables, recomputed from the counters (socialapp.read.trends.ranking).
    "trends-refresh": {
        "task": "trends.refresh",
        "schedule": TRENDS_REFRESH_SECONDS,
        "options": {"expires": TRENDS_REFRESH_SECONDS},
    },
    # Status-creation Idempotency-Keys live an hour (socialapp.write.posts.idempotency).
    "posts-prune-idempotency-keys": {
        "task": "posts.prune_idempotency_keys",
        "schedule": 600,
        "options": {"expires": 600},
    },
    # The dashboard's projection lag and dead letters over time (socialapp.read.activity.sampling).
    "activity-sample-projections": {
        "task": "activity.sample_projections",
        "schedule": ACTIVITY_SAMPLE_SECONDS,
        "options": {"expires": ACTIVITY_SAMPLE_SECONDS},
    },
}

# --------------------------------------------------------------------------- search
SEARCH_INDEX_SHARDS = env.int("SEARCH_INDEX_SHARDS", default=1)
SEARCH_INDEX_REPLICAS = env.int("SEARCH_INDEX_REPLICAS", default=0)
SEARCH_REFRESH_INTERVAL = env.str("SEARCH_REFRESH_INTERVAL", default="1s")
SEARCH_GC_DELETES = env.str("SEARCH_GC_DELETES", default="60s")
SEARCH_BULK_CHUNK = env.int("SEARCH_BULK_CHUNK", default=500)  # documents per bulk request
SEARCH_BATCH_SIZE = env.int("SEARCH_BATCH_SIZE", default=200)  # events the search worker applies per commit
# How long the search worker lets a partial batch collect (fewer commits and bulk requests under a
# steady stream; 0: apply as soon as the broker has nothing more to deliver).
SEARCH_BATCH_WAIT_MS = env.int("SEARCH_BATCH_WAIT_MS", default=50)
# The search worker pushes a batch to Elasticsearch on a thread of its own while it applies the next
# batch (acks after the push); off: each batch waits for its own push.
SEARCH_OVERLAP_PUSHES = env.bool("SEARCH_OVERLAP_PUSHES", default=True)
# Hashtag documents are pushed at most this often, at most this long after their change (by the
# next batch or the search worker's timer); 0: with every batch.
SEARCH_HASHTAG_PUSH_SECONDS = env.float("SEARCH_HASHTAG_PUSH_SECONDS", default=1.0)
SEARCH_MAX_QUERY_LENGTH = env.int("SEARCH_MAX_QUERY_LENGTH", default=512)  # characters of `q`
SEARCH_MAX_TERMS = env.int("SEARCH_MAX_TERMS", default=32)  # tokens of `q` (words, phrases, operators)
# sort=relevance: a post this old gets half the recency boost of a new one (an Elasticsearch time
# unit; docs/search.md "Ranking").
SEARCH_RECENCY_HALF_LIFE = env.str("SEARCH_RECENCY_HALF_LIFE", default="7d")
# Stemming and language detection in Python (socialapp/read/search/language.py, docs/search.md):
# the languages lingua tells apart and query words are stemmed in (ISO 639-1, with a Snowball
# stemmer); a post whose language is neither given nor detected with this confidence is indexed
# in the default language.
SEARCH_LANGUAGES = env.list(
    "SEARCH_LANGUAGES", default=["en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "ru"]
)
SEARCH_DEFAULT_LANGUAGE = env.str("SEARCH_DEFAULT_LANGUAGE", default="en")
SEARCH_LANGUAGE_MIN_CONFIDENCE = env.float("SEARCH_LANGUAGE_MIN_CONFIDENCE", default=0.5)
# A push's language detections (16 posts or more) run in a process of their own (detector.py), beside
# the search worker's threads rather than holding their GIL; off: in the worker's process.
SEARCH_DETECT_PROCESS = env.bool("SEARCH_DETECT_PROCESS", default=True)

# --------------------------------------------------------------------------- streaming (docs/streaming.md)
# Projectors publish a small message to the streams exchange after each feed, notification or
# deletion effect commits (socialapp.read.push); off: nothing is published (streams stay quiet).
STREAMING_PUSH = env.bool("STREAMING_PUSH", default=True)
# What the instance documents advertise as `urls.streaming_api` (v1) and
# `configuration.urls.streaming` (v2). Empty: the request's own origin as ws:// or wss:// (a proxy
# in front sends /api/v1/streaming* and /api/socialapp/v1/stream to `web-streaming`, as
# docker/nginx.conf does); `make run` sets it to the streaming process's own address.
STREAMING_API_URL = env.str("STREAMING_API_URL", default="")
# The origin of the `uri`/`url` of statuses the streams render, when the streams are served from
# another origin than the API (`make run` sets the API's); empty: the stream request's own origin.
STREAMING_WEB_URL = env.str("STREAMING_WEB_URL", default="")
STREAMING_HEARTBEAT_SECONDS = env.float("STREAMING_HEARTBEAT_SECONDS", default=15.0)  # `:thump` when idle
# A connection's token is checked again this often; a revoked or expired one ends the stream.
STREAMING_AUTH_RECHECK_SECONDS = env.float("STREAMING_AUTH_RECHECK_SECONDS", default=30.0)
# Messages waiting for one connection; a client that falls this far behind is disconnected.
STREAMING_CONNECTION_QUEUE = env.int("STREAMING_CONNECTION_QUEUE", default=256)
# Recent message keys remembered per connection: a redelivered effect is not pushed twice.
STREAMING_DEDUP_KEYS = env.int("STREAMING_DEDUP_KEYS", default=1024)
# Statuses rendered per streaming process, kept for the connections that receive them next.
STREAMING_RENDER_CACHE = env.int("STREAMING_RENDER_CACHE", default=4096)
# A pushed status or notification whose row the posts projector has not committed yet (the pushing
# projector runs independently of it) is rendered again, backing off, for up to this long.
STREAMING_RENDER_WAIT_SECONDS = env.float("STREAMING_RENDER_WAIT_SECONDS", default=2.0)
STREAMING_MAX_CONNECTIONS = env.int("STREAMING_MAX_CONNECTIONS", default=10000)  # per process; then 503
STREAMING_BROKER_RETRY_MAX_SECONDS = env.float("STREAMING_BROKER_RETRY_MAX_SECONDS", default=5.0)
# A stream opened while the process has no broker queue (starting, or the broker restarting) waits
# this long for it, then gets 503: once admitted, its keys are bound (the resume protocol needs it).
STREAMING_BROKER_WAIT_SECONDS = env.float("STREAMING_BROKER_WAIT_SECONDS", default=5.0)
# Threads of a streaming process that run its synchronous work (session checks, relations,
# rendering through the query side's selectors): at most this many read-database connections.
STREAMING_DB_THREADS = env.int("STREAMING_DB_THREADS", default=8)
# Deliveries the broker may have in flight to one streaming process before it reads them.
STREAMING_BROKER_PREFETCH = env.int("STREAMING_BROKER_PREFETCH", default=1000)
# The resume of a home feed (`GET /api/socialapp/v1/feed?since=<post id>`, socialapp.read.feeds.
# resume) also returns entries of OLDER posts written to the feed since this long before the
# `since` post was created: a chunked fan-out or a lagging projector adds an older post after a
# newer one was pushed. It must cover a statement's run to its commit, a push in flight at the
# disconnect, and the clock difference between the write database (ids) and the read database
# (milliseconds each, in practice); larger only costs duplicates the client drops by id.
FEED_RESUME_OVERLAP_SECONDS = env.float("FEED_RESUME_OVERLAP_SECONDS", default=10.0)
