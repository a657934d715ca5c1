"""Development: debug on, safe defaults for the local services of `scripts/services`."""

from socialapp.settings.base import *  # noqa: F403
from socialapp.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
