from django.db import migrations


class Migration(migrations.Migration):
    """One sequence for every search document version: monotonic per document by construction."""

    dependencies = [("read_search", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS search_doc_version_seq",
            "DROP SEQUENCE IF EXISTS search_doc_version_seq",
        ),
    ]
