"""RabbitMQ vhosts of their own for a test run or a benchmark, through the management API."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from socialapp.events.status import management_api


def recreate_vhost(vhost: str) -> None:
    """A fresh, empty RabbitMQ vhost (an earlier one of that name is deleted), open to the broker user."""
    base, auth = management_api()
    user = urlsplit(settings.CELERY_BROKER_URL).username or "guest"
    requests.delete(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10)
    requests.put(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10).raise_for_status()
    requests.put(
        f"{base}/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        auth=auth,
        timeout=10,
    ).raise_for_status()


def delete_vhost(vhost: str) -> None:
    base, auth = management_api()
    requests.delete(f"{base}/api/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10)
