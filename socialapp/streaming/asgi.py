"""ASGI entry point of the streaming server (`web-streaming`):

    uvicorn socialapp.streaming.asgi:application --loop uvloop --http httptools --ws websockets

Django is set up first (settings, database aliases, the session cache), then the Starlette app
(socialapp.streaming.app) is built; it never serves a Django view.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from socialapp.streaming.app import build  # noqa: E402 - needs django.setup() first

application = build()
