"""SQLite (the demo) has no deferrable unique constraints: enforce (source, case id) with an index."""

from django.db import migrations


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS case_id_unique_per_source_sqlite "
            "ON cases_caserecord (source_id, case_id)"
        )


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS case_id_unique_per_source_sqlite")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_deferred_case_id_uniqueness")]
    operations = [migrations.RunPython(create_index, drop_index)]
