"""In-process cost of one `GET feed` (Django test client, test read database): a measurement,
not a check, so it runs only when asked, and prints its figures.

    SOCIALAPP_FEED_TIMING=1 DJANGO_SETTINGS_MODULE=socialapp.settings.test \\
      .venv/bin/pytest -q -s tests/read/test_feed_timing.py

`SOCIALAPP_FEED_TIMING_REQUESTS` (default 300) sets the timed requests; with
`SOCIALAPP_FEED_PROFILE=path` a pyinstrument profile of as many more requests is written there.
The HTTP benchmark (bench/) is what the targets are judged on; this isolates the view's own work.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.read.api_support import make_site

pytestmark = [
    pytest.mark.django_db(databases=["default", "read"]),
    pytest.mark.skipif(not os.environ.get("SOCIALAPP_FEED_TIMING"), reason="a measurement: SOCIALAPP_FEED_TIMING=1"),
]


def test_feed_request_time(clean_read_models) -> None:
    site = make_site("reader", *[f"author{n}" for n in range(10)])
    w, i = site.world, site.ids
    for n in range(10):
        w.follow(i["reader"], i[f"author{n}"])
    for k in range(30):
        for n in range(10):
            post = w.post(i[f"author{n}"], f"post {k} by @author{n} #tag{k % 3} ünïcode")
            if k % 2:
                w.like(i["reader"], post)
    site.apply()
    client = site.client("reader")
    response = client.get("/api/socialapp/v1/feed")
    assert response.status_code == 200 and len(response.json()["results"]) == 20
    for _ in range(50):  # warm-up: connections, caches, code paths
        client.get("/api/socialapp/v1/feed")
    requests = int(os.environ.get("SOCIALAPP_FEED_TIMING_REQUESTS", "300"))
    started = time.perf_counter()
    for _ in range(requests):
        client.get("/api/socialapp/v1/feed")
    print(f"\nGET feed: {(time.perf_counter() - started) / requests * 1000:.2f} ms per request ({requests} requests)")
    if path := os.environ.get("SOCIALAPP_FEED_PROFILE"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(requests):
                client.get("/api/socialapp/v1/feed")
        with open(path, "w") as out:
            out.write(profiler.output_text(unicode=False, color=False))
