"""Staging rows need no crash safety (a dead attempt is redone from the kept file): skip the WAL."""

from django.db import migrations


def set_unlogged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE imports_stagedcase SET UNLOGGED")


def set_logged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE imports_stagedcase SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_import_batches")]
    operations = [migrations.RunPython(set_unlogged, set_logged)]
