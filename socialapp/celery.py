"""The Celery application: configuration comes from Django settings (CELERY_* names).

Projector workers are Celery workers started on projector queues:
`celery -A socialapp worker -P solo -Q projector.<name>` (docs/pipeline.md). The consumer step
that runs projectors is installed here.
"""

import os

from celery import Celery

from socialapp.events.worker import install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")

app = Celery("socialapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
install(app)
