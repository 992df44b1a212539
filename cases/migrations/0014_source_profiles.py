"""A data source's profile (DESIGN.md §6) replaces its column renames and date format: every
existing rename (the file's header → our column) becomes `columns` (our column → the header),
and the date format carries over, so every source reads its files exactly as before."""

from django.db import migrations, models


def to_profile(apps, schema_editor):
    DataSource = apps.get_model("cases", "DataSource")
    for source in DataSource.objects.all():
        profile = {}
        if source.column_map:
            profile["columns"] = {canonical: header for header, canonical in source.column_map.items()}
        if source.date_format:
            profile["date_format"] = source.date_format
        source.profile = profile
        source.save(update_fields=["profile"])


def from_profile(apps, schema_editor):
    DataSource = apps.get_model("cases", "DataSource")
    for source in DataSource.objects.all():
        columns = (source.profile or {}).get("columns", {})
        source.column_map = {h: c for c, h in columns.items() if isinstance(h, str)}
        source.date_format = (source.profile or {}).get("date_format", "")
        source.save(update_fields=["column_map", "date_format"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_map_versions_per_grouping")]

    operations = [
        migrations.AddField(
            model_name="datasource",
            name="profile",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='How the export is read, as JSON (DESIGN.md §6), e.g. {"columns": {"case_id": "call_id"}}.',
                verbose_name="profile",
            ),
        ),
        migrations.RunPython(to_profile, from_profile),
        migrations.RemoveField(model_name="datasource", name="column_map"),
        migrations.RemoveField(model_name="datasource", name="date_format"),
    ]
