"""The grouping map with per-grouping effective dating (DESIGN.md §4)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allocation.keys.compute import allocation_key_compute_measured
from allocation.selectors import map_owners
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import GroupingMapEntry, GroupingMapVersion
from cases.selectors import grouping_map_on
from imports.table_imports import grouping_map_import
from tests.conftest import approve_key, migrate_to

pytestmark = pytest.mark.django_db(transaction=True)
REORG = date(2026, 1, 1)


class _Rollback(Exception):
    pass


def _owners(on: date) -> dict[str, list[tuple[str | None, Decimal]]]:
    return {g: [(line.administration, line.fraction) for line in lines] for g, lines in grouping_map_on(on=on).items()}


def _map_file(rows: list[str]) -> io.BytesIO:
    return io.BytesIO(("grouping,name,administration,fraction,central,ended,valid_from\n" + "\n".join(rows)).encode())


def test_a_change_that_names_one_grouping_leaves_the_others_as_they_were(org):
    before = _owners(date(2025, 6, 1))
    grouping_map_version_create(valid_from=REORG, rows=[MapRow(2, "UF-01", "", "TF", Decimal(1), False)])
    after = _owners(date(2026, 6, 1))
    assert after["UF-01"] == [("TF", Decimal(1))]
    assert {g: o for g, o in after.items() if g != "UF-01"} == {g: o for g, o in before.items() if g != "UF-01"}
    assert _owners(date(2025, 12, 31)) == before  # the earlier map is unchanged


def test_a_reorganisation_stated_as_changes_gives_the_same_key_as_the_whole_map_restated(volumes):
    changes_only = ["UF-01,,TF,1,0,0,2026-01-01", "SOF-01,,UF,1,0,0,2026-01-01"]
    whole_map = [
        "UF-01,,TF,1,0,0,2026-01-01",
        "SOF-01,,UF,1,0,0,2026-01-01",
        "TF-01,,TF,1,0,0,2026-01-01",
        "SPLIT-01,,SOF,0.6,0,0,2026-01-01",
        "SPLIT-01,,TF,0.4,0,0,2026-01-01",
        "CEN-01,,,1,1,0,2026-01-01",
    ]
    shares = []
    for rows in (changes_only, whole_map):
        try:
            from django.db import transaction

            with transaction.atomic():
                grouping_map_import(stream=_map_file(rows))
                key = allocation_key_compute_measured(
                    name="Efter omorganisation",
                    window_from=date(2026, 3, 1),
                    window_to=date(2026, 4, 1),
                    basis="cases",
                    valid_from=date(2026, 6, 1),
                )
                shares.append(dict(key.shares.values_list("administration__code", "share")))
                raise _Rollback
        except _Rollback:
            pass
    assert shares[0] == shares[1]
    # UF-01's 3 cases now count for TF, SOF-01's 1 case for UF.
    assert shares[0]["UF"] == Decimal(1) / Decimal(11) or abs(shares[0]["UF"] - Decimal(1) / Decimal(11)) < Decimal(
        "1e-11"
    )


def test_restating_an_owner_changes_nothing_and_ended_retires_a_grouping(org):
    assert grouping_map_version_create(valid_from=REORG, rows=[MapRow(2, "UF-01", "", "UF", Decimal(1), False)]) is None
    assert not GroupingMapVersion.objects.filter(valid_from=REORG).exists()
    grouping_map_version_create(valid_from=REORG, rows=[MapRow(2, "TF-01", "", "", Decimal(1), False, ended=True)])
    assert "TF-01" not in grouping_map_on(on=date(2026, 2, 1))
    assert "TF-01" in grouping_map_on(on=date(2025, 12, 1))


def test_a_change_under_an_approved_keys_map_date_is_refused_and_names_the_key(volumes):
    key = approve_key(
        allocation_key_compute_measured(
            name="Godkänd",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 6, 1),
        )
    )
    with pytest.raises(ValidationError, match=f"#{key.pk} Godkänd"):
        grouping_map_version_create(valid_from=REORG, rows=[MapRow(2, "UF-01", "", "TF", Decimal(1), False)])
    # A change after the key's date is how the map changes.
    grouping_map_version_create(valid_from=date(2026, 7, 1), rows=[MapRow(2, "UF-01", "", "TF", Decimal(1), False)])
    assert _owners(date(2026, 6, 1))["UF-01"] == [("UF", Decimal(1))]


def test_an_ended_administration_cannot_be_given_groupings_after_its_end(org):
    org["TF"].valid_to = date(2025, 12, 31)
    org["TF"].save()
    with pytest.raises(ValidationError, match="upphörde 2025-12-31"):
        grouping_map_version_create(valid_from=REORG, rows=[MapRow(2, "UF-01", "", "TF", Decimal(1), False)])


BEFORE_PER_GROUPING_DATING = [("cases", "0012_map_rows_can_end_a_grouping")]


def test_complete_versions_from_before_keep_their_owners_after_the_migration(org):
    # Before: two complete maps, the second (2026) leaving out TF-01 (unowned from then).
    apps = migrate_to(BEFORE_PER_GROUPING_DATING)
    Version = apps.get_model("cases", "GroupingMapVersion")
    Entry = apps.get_model("cases", "GroupingMapEntry")
    first = Version.objects.get(valid_from=date(2025, 1, 1))
    second = Version.objects.create(valid_from=REORG, name="Komplett 2026")
    for e in Entry.objects.filter(version=first).exclude(grouping__code="TF-01"):
        Entry.objects.create(
            version=second,
            grouping_id=e.grouping_id,
            administration_id=e.administration_id,
            fraction=e.fraction,
            is_central=e.is_central,
        )
    old_meaning = {
        v.pk: {
            (e.grouping.code, e.administration.code if e.administration else None, e.fraction)
            for e in Entry.objects.filter(version=v).select_related("grouping", "administration")
        }
        for v in (first, second)
    }
    migrate_to()
    for version in GroupingMapVersion.objects.filter(pk__in=old_meaning):
        now = {(g, o.administration, o.fraction) for g, owners in map_owners(version).items() for o in owners}
        assert now == old_meaning[version.pk], version
    assert GroupingMapEntry.objects.filter(version_id=second.pk, grouping__code="TF-01", is_ended=True).exists()


def test_every_approved_key_computes_the_same_after_the_migration(volumes):
    """Cases loaded, then the map as it was before per-grouping dating: a complete 2026 version
    that leaves TF-01 out (so TF-01's cases had no owner, and a key would refuse them) and moves
    UF-01 to SOF. The key computed after the migration equals the old meaning computed by hand."""
    from allocation import calculation
    from allocation.selectors import own_source_ids, window_volumes

    apps = migrate_to(BEFORE_PER_GROUPING_DATING)
    Version = apps.get_model("cases", "GroupingMapVersion")
    Entry = apps.get_model("cases", "GroupingMapEntry")
    Admin = apps.get_model("cases", "Administration")
    first = Version.objects.get(valid_from=date(2025, 1, 1))
    second = Version.objects.create(valid_from=REORG, name="Komplett 2026")
    old_owners: dict[str, list[calculation.MapOwner]] = {}
    for e in Entry.objects.filter(version=first).select_related("grouping", "administration"):
        if e.grouping.code == "TF-01":
            continue  # left out: unowned from 2026
        admin = Admin.objects.get(code="SOF") if e.grouping.code == "UF-01" else e.administration
        Entry.objects.create(
            version=second,
            grouping_id=e.grouping_id,
            administration=admin,
            fraction=e.fraction,
            is_central=e.is_central,
        )
        old_owners.setdefault(e.grouping.code, []).append(
            calculation.MapOwner(None if e.is_central else admin.code, e.fraction)
        )
    migrate_to()

    # March only: TF-01's cases are in April, where the old map left them unowned.
    cells = window_volumes(window_from=date(2026, 3, 1), window_to=date(2026, 3, 1), source_ids=own_source_ids())
    expected = calculation.measured_loads(
        cells=cells, grouping_map=old_owners, basis="cases", channel_weights={}, administrations=["SOF", "TF", "UF"]
    )
    key = allocation_key_compute_measured(
        name="Efter migrering",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 3, 1),
        basis="cases",
        valid_from=date(2026, 6, 1),
    )
    assert dict(key.shares.values_list("administration__code", "load")) == expected.loads
    # And April's TF-01 cases are still unowned, as before: the key over April is refused.
    with pytest.raises(ValidationError, match="TF-01"):
        allocation_key_compute_measured(
            name="April",
            window_from=date(2026, 4, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 6, 1),
        )


def test_statistics_after_an_administrations_end_do_not_list_it(volumes):
    from allocation.publications.figures import month_figures
    from cases.models import Administration

    kff = Administration.objects.create(code="KFF", name="Kultur", valid_to=date(2026, 2, 28))
    march = {a["code"] for a in month_figures(date(2026, 3, 1))["overview"]["administrations"]}
    february = {a["code"] for a in month_figures(date(2026, 2, 1))["overview"]["administrations"]}
    assert "KFF" not in march and "KFF" in february and kff.pk
