"""The relay's work list moves from `event_log.published_at` (a whole-row update per published
event, through every index) to the narrow `event_outbox` table, filled by a statement trigger on
`event_log` and deleted from by the relay (docs/pipeline.md, "Relay")."""

from django.db import migrations, models

ENQUEUE = """
CREATE FUNCTION event_outbox_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_outbox (position) SELECT position FROM appended;
    RETURN NULL;
END $$;
CREATE TRIGGER event_log_outbox AFTER INSERT ON event_log
    REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION event_outbox_enqueue();
INSERT INTO event_outbox (position) SELECT position FROM event_log WHERE published_at IS NULL;
"""

DROP_ENQUEUE = """
UPDATE event_log SET published_at = now() WHERE position NOT IN (SELECT position FROM event_outbox);
DROP TRIGGER event_log_outbox ON event_log;
DROP FUNCTION event_outbox_enqueue();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_publish_failure"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxEntry",
            fields=[("position", models.BigIntegerField(primary_key=True, serialize=False))],
            options={"db_table": "event_outbox"},
        ),
        migrations.RunSQL(ENQUEUE, DROP_ENQUEUE),
        migrations.RemoveIndex(model_name="event", name="event_log_unpublished_idx"),
        migrations.RemoveField(model_name="event", name="published_at"),
    ]
