"""Settings of the read benchmark's server: the development settings (DEBUG from DJANGO_DEBUG,
which the bench sets to false) with bench/urls.py as the root URLconf."""

from socialapp.settings.dev import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
