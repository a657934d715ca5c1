"""WSGI entry point (gunicorn socialapp.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
application = get_wsgi_application()
