"""Production: no defaults for secrets or hosts; `manage.py check --deploy` passes clean.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, READ_DATABASE_URL,
CELERY_BROKER_URL, ELASTICSEARCH_URL. TLS is expected to end at a proxy that sets
X-Forwarded-Proto.
"""

from django.core.exceptions import ImproperlyConfigured

from socialapp.settings.base import *  # noqa: F403
from socialapp.settings.base import BASE_DIR, env

for _name in (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "READ_DATABASE_URL",
    "CELERY_BROKER_URL",
    "ELASTICSEARCH_URL",
):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in production")

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes come from inside the cluster over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Static files (admin, API docs) are served by WhiteNoise (base MIDDLEWARE) from STATIC_ROOT, which
# `manage.py collectstatic` fills (docker/Dockerfile does at build time): hashed, compressed
# names, cached forever by browsers; no finder scans at run time.
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
