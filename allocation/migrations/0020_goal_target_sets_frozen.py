"""Decided effect-goal target sets, their targets and decisions frozen in the database
(allocation.migrations._frozen_goals), like approved keys."""

from django.db import migrations

from allocation.migrations import _frozen_goals


def forward(apps, schema_editor):
    _frozen_goals.install(schema_editor)


def backward(apps, schema_editor):
    _frozen_goals.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0019_goal_target_sets")]
    operations = [migrations.RunPython(forward, backward)]
