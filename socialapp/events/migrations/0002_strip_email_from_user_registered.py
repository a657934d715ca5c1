"""Personal data off the log: `user.registered` no longer carries the e-mail (docs/events.md,
"What the log keeps and why"); strip it from the events appended before that change too.

The log is append-only for the domain; this is a one-off redaction of data it should never
have held (no projector read it any more). Messages already in queues or dead letters are
not reached by it: docs/events.md says how to drain them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "UPDATE event_log SET payload = payload - 'email'"
            " WHERE event_type = 'user.registered' AND payload ? 'email'",
            migrations.RunSQL.noop,
        )
    ]
