from django.db import migrations

from socialapp.common.ids import DROP_NEXT_ID_SQL, NEXT_ID_SQL


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunSQL(NEXT_ID_SQL, DROP_NEXT_ID_SQL)]
