"""Money records frozen in the database on PostgreSQL and SQLite alike (allocation.migrations._frozen):
runs and their amounts (sealed), approved keys with their shares and load lines, settlements that are
not drafts and their lines, postings and journal lines, decisions, decided prices, and the map
versions an approved key depends on. Replaces the triggers of migrations 0002 and 0007."""

from importlib import import_module

from django.db import migrations

from allocation.migrations import _frozen


def forward(apps, schema_editor):
    _frozen.install(schema_editor)


def backward(apps, schema_editor):
    _frozen.remove(schema_editor)
    import_module("allocation.migrations.0002_approved_keys_immutable").forward(apps, schema_editor)
    import_module("allocation.migrations.0007_charging_runs_and_decisions_data").triggers_forward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0014_seal_runs_and_journal_from_exports"), ("cases", "0017_partition_case_table_by_month")]
    operations = [migrations.RunPython(forward, backward)]
