"""Retire DRF's `authtoken` app: carry its plain-text tokens over as hashed sessions, then drop it.

Existing clients stay logged in (their token becomes a session with the default lifetime from
now); the plain-text keys leave the database with the old table. Runs only where that table
exists (a fresh database never had it).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("accounts", "AuthToken")
    now = timezone.now()
    expires = now + timedelta(seconds=getattr(settings, "AUTH_TOKEN_TTL_SECONDS", 30 * 86400))
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    AuthToken.objects.using(connection.alias).bulk_create(
        AuthToken(
            user_id=user_id,
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            label="carried over",
            created_at=created,
            last_used_at=now,
            expires_at=expires,
        )
        for key, user_id, created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_auth_tokens_and_suspension")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
