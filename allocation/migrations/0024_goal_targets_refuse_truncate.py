"""Decided effect-goal targets cannot be emptied wholesale either (allocation.migrations._frozen)."""

from django.db import migrations

from allocation.migrations import _frozen


def forward(apps, schema_editor):
    _frozen.install_truncate_guard(schema_editor, _frozen.GOAL_TRUNCATE_TABLES)


def backward(apps, schema_editor):
    _frozen.remove_truncate_guard(schema_editor, _frozen.GOAL_TRUNCATE_TABLES)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0023_merge_goals")]
    operations = [migrations.RunPython(forward, backward)]
