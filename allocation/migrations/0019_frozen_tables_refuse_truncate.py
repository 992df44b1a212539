"""A frozen table cannot be emptied wholesale either: on PostgreSQL a TRUNCATE, which row triggers
never see, is refused unless the operator empties the whole database (allocation.migrations._frozen)."""

from django.db import migrations

from allocation.migrations import _frozen


def forward(apps, schema_editor):
    _frozen.install_truncate_guard(schema_editor)


def backward(apps, schema_editor):
    _frozen.remove_truncate_guard(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0018_grouping_transfer_register")]
    operations = [migrations.RunPython(forward, backward)]
