"""Moving one grouping between two administrations and computing the key again puts that grouping
first in the comparison page, the memo and the API, with both administrations and the right signs:
on the test organisation, on a generated municipality and on the demo."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from allocation.keys.compute import allocation_key_compute_measured
from allocation.models import AllocationKey, CostPool
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import Administration, DataSource, Grouping
from cases.services import AdministrationRow, administrations_upsert
from tests.conftest import approve_key, csv_bytes, ensure_channels, make_user

pytestmark = pytest.mark.django_db(transaction=True)

MOVED_FROM = date(2027, 6, 1)


def _move(grouping: str, to: str) -> None:
    name = Grouping.objects.get(code=grouping).name
    grouping_map_version_create(valid_from=MOVED_FROM, rows=[MapRow(2, grouping, name, to, Decimal(1), False)])


def _key_again(a: AllocationKey) -> AllocationKey:
    assert a.window_from and a.window_to
    return allocation_key_compute_measured(
        name="Omräknad", window_from=a.window_from, window_to=a.window_to, basis=a.basis, valid_from=MOVED_FROM
    )


def _first_driver_row(page: str) -> str:
    table = page[page.index('id="drivers"') :]
    start = table.index("<tr data-grouping=")
    return table[start : table.index("</tr>", start)]


def _assert_first_everywhere(a: AllocationKey, b: AllocationKey, grouping: str, old: str, new: str) -> None:
    """The moved grouping leads the API's, the page's and the memo's drivers, with both administrations."""
    names = dict(Administration.objects.values_list("code", "name"))
    user = make_user("styr.forklaring", "steering_group", staff=True)
    api = APIClient()
    api.force_authenticate(user)
    doc = api.get(f"/api/v1/keys/compare/?a={a.pk}&b={b.pk}").json()
    first = doc["groupings"][0]
    assert first["grouping"] == grouping, doc["groupings"][:3]
    assert [m["administration"] for m in first["moved_from"]] == [old]
    assert [m["administration"] for m in first["moved_to"]] == [new]
    parts = {p["administration"]: p for p in first["administrations"]}
    assert Decimal(parts[new]["contribution_pp"]) > 0 > Decimal(parts[old]["contribution_pp"])
    assert Decimal(parts[new]["owner_pp"]) > 0 > Decimal(parts[old]["owner_pp"])
    rows = {r["administration"]: r for r in doc["administrations"]}
    assert Decimal(rows[new]["diff_pp"]) > 0 > Decimal(rows[old]["diff_pp"])  # B − A, "nytt − gällande"
    client = Client()
    client.force_login(user)
    for url in (f"/allocation/keys/compare/?a={a.pk}&b={b.pk}", f"/allocation/keys/{b.pk}/memo/"):
        page = client.get(url).content.decode()
        row = _first_driver_row(page)
        assert f'data-grouping="{grouping}"' in row, url
        assert f"{old} {names[old]}" in row and f"{new} {names[new]}" in row, row
        moved = re.search(r"flyttad från (.+?) till (.+?)<", row)
        assert moved and old in moved.group(1) and new in moved.group(2), row
        assert "+" in row and "\u2212" in row, row  # the gainer's plus and the loser's minus


def _in_force(key: AllocationKey, year: int) -> None:
    """Approve `key` and make it the co-financing pool's key of `year` (the memo's "gällande")."""
    approve_key(key)
    pool = CostPool.objects.filter(year=year, is_co_financing=True).first()
    if pool is None:
        CostPool.objects.create(name="KC", year=year, gross_amount=Decimal("1200.00"), key=key, is_co_financing=True)
    else:
        CostPool.objects.filter(pk=pool.pk).update(key=key)


def test_a_moved_grouping_comes_first_on_the_test_organisation(volumes):
    from tests.conftest import measured_key

    a = measured_key()
    _move("TF-01", "UF")
    _in_force(a, 2027)
    b = _key_again(a)
    _assert_first_everywhere(a, b, "TF-01", "TF", "UF")


def _generated_municipality(rng: random.Random) -> tuple[list[str], dict[str, list[tuple[str, Decimal]]]]:
    """Eight administrations, forty groupings (some split, some central) and 600 cases in two months."""
    ensure_channels()
    codes = [f"F{i}" for i in range(8)]
    administrations_upsert(
        rows=[AdministrationRow(code=c, name=f"Förvaltning {c}", cost_centre=f"9{i}00") for i, c in enumerate(codes)]
    )
    owners: dict[str, list[tuple[str, Decimal]]] = {}
    rows = []
    for i in range(40):
        code = f"G-{i:02d}"
        Grouping.objects.create(code=code, name=f"Gruppering {i}")
        roll = rng.random()
        if roll < 0.1:
            owners[code] = []
            rows.append(MapRow(i + 2, code, "", "", Decimal(1), True))
        elif roll < 0.3:
            first, second = rng.sample(codes, 2)
            cut = Decimal(rng.randint(1, 9)) / 10
            owners[code] = [(first, cut), (second, 1 - cut)]
            rows += [MapRow(i + 2, code, "", first, cut, False), MapRow(i + 2, code, "", second, 1 - cut, False)]
        else:
            owner = rng.choice(codes)
            owners[code] = [(owner, Decimal(1))]
            rows.append(MapRow(i + 2, code, "", owner, Decimal(1), False))
    grouping_map_version_create(valid_from=date(2025, 1, 1), rows=rows)
    source = DataSource.objects.create(name="Genererad")
    from tests.imports.helpers import run_import

    for month in ("2026-03", "2026-04"):
        lines = [
            f"{month}-{n},{month}-{rng.randint(1, 28):02d} 10:00,{rng.choice(['phone', 'email', 'chat'])},"
            f"G-{min(int(rng.expovariate(0.12)), 39):02d},{rng.randint(30, 900)},,,"
            for n in range(300)
        ]
        assert run_import(source, csv_bytes(lines)).status == "loaded"
    return codes, owners


def test_a_moved_grouping_comes_first_on_a_generated_municipality(finance_user):
    codes, owners = _generated_municipality(random.Random(28))
    a = allocation_key_compute_measured(
        name="Gällande",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 4, 1),
        basis="minutes",
        valid_from=date(2027, 1, 1),
    )
    # The grouping with the most load that one administration owns alone moves to another.
    loads: dict[str, Decimal] = {}
    for g, admin, load in a.lines.values_list("grouping__code", "administration__code", "load"):
        if admin is not None and len(owners[g]) == 1:
            loads[g] = loads.get(g, Decimal(0)) + load
    grouping = max(sorted(loads), key=lambda g: loads[g])
    old = owners[grouping][0][0]
    new = next(c for c in codes if c != old)
    _move(grouping, new)
    _in_force(a, 2027)
    _assert_first_everywhere(a, _key_again(a), grouping, old, new)


def _seed(tmp_path: Any) -> None:
    import io

    out = io.StringIO()
    call_command(
        "seed_demo", "--cases-per-year", "4000", "--months", "3", "--out", str(tmp_path / "logs"), "--json", stdout=out
    )
    json.loads(out.getvalue())


def test_a_moved_grouping_comes_first_on_the_demo(tmp_path):
    ensure_channels()
    _seed(tmp_path)
    a = allocation_key_compute_measured(
        name="Gällande",
        window_from=date(2026, 8, 1),
        window_to=date(2026, 10, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    # The demo's parking grouping moves from TF to SBF, as in the issue.
    grouping = Grouping.objects.filter(code__startswith="TF-", name__startswith="Parkering").order_by("code").first()
    assert grouping is not None and a.lines.filter(grouping=grouping).exists()
    _move(grouping.code, "SBF")
    _in_force(a, 2027)
    _assert_first_everywhere(a, _key_again(a), grouping.code, "TF", "SBF")


def test_the_memo_has_kronor_before_the_key_has_a_pool_and_the_pools_own_once_proposed(volumes, finance_user):
    from datetime import date as day

    from allocation.keys.decisions import allocation_key_decide
    from tests.conftest import measured_key

    a = measured_key()
    _move("TF-01", "UF")
    approve_key(a)
    # This year's pool holds the key in force; next year's pool does not exist yet.
    this_year = CostPool.objects.create(
        name="KC i år", year=day.today().year, gross_amount=Decimal("1100.00"), key=a, is_co_financing=True
    )
    b = _key_again(a)
    assert b.valid_from.year - 1 == this_year.year, "the memo compares with last year's key in force"
    client = Client()
    client.force_login(make_user("styr.kronor", "steering_group", staff=True))
    memo = client.get(f"/allocation/keys/{b.pk}/memo/").content.decode()
    assert "med årets belopp" in memo and "1\u00a0100,00\u00a0kr" in memo
    # TF-01 (2 of 11 cases) moves from TF to UF: 200 kr of this year's 1 100 kr.
    assert "+200,00&nbsp;kr" in _first_driver_row(memo) and "\u2212200,00&nbsp;kr" in _first_driver_row(memo)
    pool = CostPool.objects.create(name="KC nästa år", year=2027, gross_amount=Decimal("2200.00"))
    allocation_key_decide(key=b, status="proposed", user=finance_user, pool=pool)
    memo = client.get(f"/allocation/keys/{b.pk}/memo/").content.decode()
    assert "med årets belopp" not in memo and "2\u00a0200,00\u00a0kr" in memo
    assert "+400,00&nbsp;kr" in _first_driver_row(memo)
    assert this_year.pk  # still there, no longer used
