"""0005 rebuilt the SQLite case table (SQLite alters by copying), which drops the raw unique
index of 0004. Recreate it. PostgreSQL keeps its deferred unique constraint and needs nothing."""

from django.db import migrations

from cases.migrations import _sqlite_index


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(_sqlite_index.CREATE)


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(_sqlite_index.DROP)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_references_checked_by_loader")]
    operations = [migrations.RunPython(create_index, drop_index)]
