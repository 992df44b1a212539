"""Map versions become per-grouping changes (DESIGN.md §4): a grouping that a version does not
mention keeps its earlier owners. Until now a version was a complete map, and a grouping missing
from it had no owner from its date. So that no existing key or statistic changes, every
grouping that an earlier (non-draft) version owned and a later one leaves out gets an explicit
`ended` row in that later version: the map in force on every date stays exactly what it was."""

from django.db import migrations


def end_groupings_left_out(apps, schema_editor):
    Version = apps.get_model("cases", "GroupingMapVersion")
    Entry = apps.get_model("cases", "GroupingMapEntry")
    seen: set[int] = set()
    for version in Version.objects.filter(is_draft=False).order_by("valid_from"):
        here = set(Entry.objects.filter(version=version).values_list("grouping_id", flat=True))
        Entry.objects.bulk_create(
            [
                Entry(version=version, grouping_id=g, administration=None, fraction=1, is_central=False, is_ended=True)
                for g in sorted(seen - here)
            ]
        )
        seen |= here


def restore_complete_versions(apps, schema_editor):
    Entry = apps.get_model("cases", "GroupingMapEntry")
    Entry.objects.filter(is_ended=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_map_rows_can_end_a_grouping")]

    operations = [migrations.RunPython(end_groupings_left_out, restore_complete_versions)]
