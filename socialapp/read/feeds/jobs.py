"""Fanning a post out to a range of followers, and the chunk jobs of large fan-outs.

The home-feed projector (socialapp.read.feeds.projectors.home_feed) fans a small author's post
out inline (`fan_out_range` over all followers) and a large one's as `feed_fanout_job` rows, one
per chunk of followers, written in its transaction. After the commit each job is sent as the
Celery task `feeds.fanout_chunk` (socialapp.read.feeds.tasks), which runs `run_fanout_job`; the
periodic sweep `feeds.resend_stale_fanout` resends jobs whose message was lost
(`resend_stale_jobs`). Tasks are sent by name, so this module never imports the tasks module
(which imports it).
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction

from socialapp.read.common.sql import READ, execute, fetchall, fetchone
from socialapp.read.feeds.maintenance import trim

#: The Celery task that runs one chunk job (socialapp.read.feeds.tasks.fanout_chunk).
FANOUT_CHUNK_TASK = "feeds.fanout_chunk"

# A fan-out trims each touched feed on about one insert in TRIM_EVERY (deterministically by
# reader and post), because trimming costs an index walk of the whole capped feed (~97% of the
# fan-out time when trimmed on every insert). A feed may so hold a few entries past the cap
# between trims; follow merges and regeneration trim exactly.
TRIM_EVERY = 16


def _due_for_trim(reader_ids: list[int], post_id: int) -> list[int]:
    mix = (post_id >> 12) + post_id
    return [r for r in reader_ids if (r * 40503 + mix) % TRIM_EVERY == 0]


def fan_out_range(post_id: int, author_id: int, after: int | None, upto: int | None) -> int:
    """One set-based multi-row insert for the followers in (after, upto]; returns rows added."""
    rows = fetchall(
        "INSERT INTO feed_entry (reader_id, post_id, author_id) SELECT follower_id, %s, %s FROM feed_follow"
        " WHERE followee_id = %s AND active AND (%s::bigint IS NULL OR follower_id > %s)"
        " AND (%s::bigint IS NULL OR follower_id <= %s) ON CONFLICT DO NOTHING RETURNING reader_id",
        [post_id, author_id, author_id, after, after, upto, upto],
    )
    readers = [r[0] for r in rows]
    trim(_due_for_trim(readers, post_id))
    return len(readers)


def send_fanout_tasks(job_ids: list[int]) -> None:
    """One `feeds.fanout_chunk` task per job (default queue)."""
    for job_id in job_ids:
        current_app.send_task(FANOUT_CHUNK_TASK, args=[job_id])


def run_fanout_job(job_id: int) -> int:
    """Run one chunk; idempotent (the job row is consumed in the same transaction)."""
    with transaction.atomic(using=READ):
        job = fetchone(
            "SELECT post_id, author_id, after_follower, upto_follower FROM feed_fanout_job"
            " WHERE id = %s FOR UPDATE SKIP LOCKED",
            [job_id],
        )
        if job is None:
            return 0
        post_id, author_id, after, upto = job
        post = fetchone("SELECT deleted FROM feed_post WHERE post_id = %s FOR SHARE", [post_id])
        added = 0
        if post is not None and not post[0]:
            added = fan_out_range(post_id, author_id, after, upto)
        execute("DELETE FROM feed_fanout_job WHERE id = %s", [job_id])
        return added


def resend_stale_jobs(older_than_seconds: float = 60.0) -> list[int]:
    """Jobs whose task message was lost (crash between commit and send): send them again.

    `created_at` is moved to now for the jobs resent (it means "last sent"), so that a backlog of
    slow chunk tasks is not multiplied by every sweep; jobs a task is running are skipped."""
    ids = [
        r[0]
        for r in fetchall(
            "UPDATE feed_fanout_job SET created_at = now() WHERE id IN (SELECT id FROM feed_fanout_job"
            " WHERE created_at < now() - %s * interval '1 second' ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING id",
            [older_than_seconds],
        )
    ]
    send_fanout_tasks(sorted(ids))
    return ids


def fanout_status() -> dict[str, int]:
    """Chunk jobs waiting, and those of them older than FEED_FANOUT_STALE_SECONDS (lost messages
    the next sweep resends; a steady non-zero figure means the task workers or beat are down)."""
    pending, stale = fetchone(
        "SELECT count(*), count(*) FILTER (WHERE created_at < now() - %s * interval '1 second') FROM feed_fanout_job",
        [settings.FEED_FANOUT_STALE_SECONDS],
    )
    return {"fanout_jobs_pending": int(pending), "fanout_jobs_stale": int(stale)}
