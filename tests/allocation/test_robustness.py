"""How robust a key is: leave one month out, unusual months, trying without, the memo."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from allocation import calculation
from allocation.calculation import MapOwner, VolumeCell
from allocation.keys import robustness
from allocation.models import AllocationKey
from tests.conftest import csv_bytes
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)
OWNERS = {
    "UF-01": [MapOwner("UF", Decimal(1))],
    "SOF-01": [MapOwner("SOF", Decimal(1))],
    "TF-01": [MapOwner("TF", Decimal(1))],
}


def _window() -> dict[date, list[VolumeCell]]:
    """Twelve months of UF 30, SOF 20, TF 10 cases; March at a third of the volume, and UF's cases
    doubled in August."""
    out = {}
    for number in range(1, 13):
        month = date(2026, number, 1)
        uf, sof, tf = 30, 20, 10
        if number == 3:
            uf, sof, tf = 10, 7, 3
        if number == 8:
            uf = 60
        out[month] = [
            VolumeCell("UF-01", "phone", uf, 0),
            VolumeCell("SOF-01", "phone", sof, 0),
            VolumeCell("TF-01", "phone", tf, 0),
        ]
    return out


def test_exactly_the_unusual_months_are_flagged():
    window = _window()
    totals = {m: Decimal(sum(c.cases for c in cells)) for m, cells in window.items()}
    shares = {
        m: calculation.shares(
            calculation.measured_loads(
                cells=cells, grouping_map=OWNERS, basis="cases", channel_weights={}, administrations=["UF", "SOF", "TF"]
            ).loads
        )
        for m, cells in window.items()
    }
    unusual = robustness.unusual_months(totals=totals, shares=shares)
    assert sorted(unusual) == [date(2026, 3, 1), date(2026, 8, 1)]
    march = [robustness.describe_unusual(r).replace("\u00a0", " ") for r in unusual[date(2026, 3, 1)]]
    august = [robustness.describe_unusual(r) for r in unusual[date(2026, 8, 1)]]
    assert any(r.startswith("ovanlig månad: 20") and " ärenden mot normalt " in r for r in march), march
    reasons = [robustness.describe_unusual(r) for m in unusual.values() for r in m]
    assert all("z-värde" not in r and "z-värde" in r.score_text for r in reasons)  # the figure: a tooltip
    assert any(r.startswith("UFs andel") for r in august), august


def test_leave_one_out_equals_an_independent_recomputation():
    window = _window()
    left = robustness.leave_one_out(
        by_month=window, grouping_map=OWNERS, basis="cases", channel_weights={}, administrations=["UF", "SOF", "TF"]
    )
    for month, shares in left.items():
        # By hand: sum every other month's cases per administration.
        totals = {"UF": 0, "SOF": 0, "TF": 0}
        for m, cells in window.items():
            if m == month:
                continue
            for c in cells:
                totals[{"UF-01": "UF", "SOF-01": "SOF", "TF-01": "TF"}[c.grouping]] += c.cases
        whole = sum(totals.values())
        for code, n in totals.items():
            assert abs(shares[code] - Decimal(n) / Decimal(whole)) < Decimal("1e-12")


@pytest.fixture
def twelve_months(org):  # type: ignore[no-untyped-def]
    rows = []
    for number, (month_cells) in enumerate(_window().values(), start=1):
        for cell in month_cells:
            for i in range(cell.cases):
                rows.append(f"R{number}-{cell.grouping}-{i},2026-{number:02d}-05 10:00,phone,{cell.grouping},60,,,")
    run_import(org["source"], csv_bytes(rows), name="ar.csv")
    return org


def test_compute_key_json_and_the_key_page_show_the_robustness(twelve_months, finance_user):
    out = StringIO()
    call_command(
        "compute_key",
        "--name",
        "2027",
        "--from",
        "2026-01",
        "--to",
        "2026-12",
        "--basis",
        "cases",
        "--valid-from",
        "2027-01-01",
        "--json",
        stdout=out,
    )
    doc = json.loads(out.getvalue())
    assert sorted(doc["robustness"]["unusual_months"]) == ["2026-03", "2026-08"]
    assert len(doc["robustness"]["leave_one_out"]) == 12
    key = AllocationKey.objects.get(pk=doc["key"])
    client = Client()
    client.force_login(finance_user)
    page = client.get(f"/allocation/keys/{key.pk}/").content.decode()
    assert 'id="robustness-table"' in page and 'id="unusual-months"' in page and "2026-08" in page
    api = client.get(f"/api/v1/keys/{key.pk}/").json()
    assert api["robustness"]["unusual_months"] == ["2026-03", "2026-08"]
    # Try it without the unusual months: a draft on the same window, then the comparison.
    response = client.post(f"/allocation/keys/{key.pk}/try-without/", {"leave_out": ["2026-03", "2026-08"]})
    assert response.status_code == 302 and "/allocation/keys/compare/?a=" in response["Location"]
    trial = AllocationKey.objects.exclude(pk=key.pk).get()
    assert trial.excluded_months == ["2026-03", "2026-08"] and trial.status == "draft"
    # Ten ordinary months of 30:20:10.
    assert dict(trial.shares.values_list("administration__code", "load")) == {"UF": 300, "SOF": 200, "TF": 100}
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(client.get(f"/api/v1/keys/{key.pk}/excel/").content))
    sheet = workbook["Robusthet"]
    assert sheet.max_row == 13 and [c.value for c in sheet[4]][:2] == ["2026-03", "ja"]
    memo = client.get(f"/allocation/keys/{key.pk}/memo/").content.decode()
    assert "Beslutsunderlag" in memo or "Decision memo" in memo


def test_the_memo_downloads_as_a_pdf(twelve_months, steering_user):
    import os

    from django.conf import settings

    from tests.conftest import service_missing

    if not os.path.exists(settings.MEMO_PDF_CHROMIUM):
        service_missing("needs Debian's chromium to print the memo: apt-get install chromium")
    from allocation.keys.compute import allocation_key_compute_measured

    key = allocation_key_compute_measured(
        name="Till mötet",
        window_from=date(2026, 1, 1),
        window_to=date(2026, 12, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    client = Client()
    client.force_login(steering_user)
    response = client.get(f"/allocation/keys/{key.pk}/memo/?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 3, pages
