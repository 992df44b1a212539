"""The contact channels of DESIGN.md §6 with neutral weights; finance staff adjust the weights."""

from decimal import Decimal

from django.db import migrations

CHANNELS = [
    ("phone", "Telefon"),
    ("email", "E-post"),
    ("chat", "Chatt"),
    ("visit", "Besök"),
    ("eservice", "E-tjänst"),
    ("social", "Sociala medier"),
    ("letter", "Brev"),
    ("unspecified", "Ospecificerad"),
]


def add_channels(apps, schema_editor):  # type: ignore[no-untyped-def]
    Channel = apps.get_model("cases", "Channel")
    for code, name in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "weight": Decimal(1)})


def remove_channels(apps, schema_editor):  # type: ignore[no-untyped-def]
    Channel = apps.get_model("cases", "Channel")
    Channel.objects.filter(code__in=[c for c, _ in CHANNELS], caserecord__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_organisation_and_cases")]
    operations = [migrations.RunPython(add_channels, remove_channels)]
