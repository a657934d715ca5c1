"""The Celery application: configuration comes from Django settings (CELERY_* names).

Projector workers are Celery workers started on projector queues:
`celery -A socialapp worker -P solo -Q projector.<name>` (docs/pipeline.md). The consumer step
that runs projectors is installed here, with the search worker's hashtag timer.
"""

import os

from celery import Celery

from socialapp.events.worker import install
from socialapp.read.search.timer import install as install_search_timer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")

app = Celery("socialapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
install(app)
install_search_timer(app)  # hashtag documents pushed on a timer (docs/search.md)
