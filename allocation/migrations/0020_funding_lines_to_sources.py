"""Free-text funding lines become register records: each distinct label (trimmed, case ignored)
becomes a funding source, and every line is linked to its source. Reversed, the links are undone
and the sources this migration made (those without yearly amounts) are removed."""

from django.db import migrations


def lines_to_sources(apps, schema_editor):
    FundingLine = apps.get_model("allocation", "FundingLine")
    FundingSource = apps.get_model("allocation", "FundingSource")
    by_name = {s.name.casefold(): s for s in FundingSource.objects.all()}
    for line in FundingLine.objects.filter(source__isnull=True).order_by("id"):
        name = line.label.strip()[:200]
        source = by_name.get(name.casefold())
        if source is None:
            source = FundingSource.objects.create(name=name, description="")
            by_name[name.casefold()] = source
        FundingLine.objects.filter(pk=line.pk).update(source=source)


def sources_to_lines(apps, schema_editor):
    FundingLine = apps.get_model("allocation", "FundingLine")
    FundingSource = apps.get_model("allocation", "FundingSource")
    FundingLine.objects.update(source=None)
    FundingSource.objects.filter(amounts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("allocation", "0019_funding_sources_extensions_frames")]

    operations = [migrations.RunPython(lines_to_sources, sources_to_lines)]
