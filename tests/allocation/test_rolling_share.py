"""One rolling 12-month share for the published statistics, the drift page and the API (issue 26, part 6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from allocation.publications.figures import month_figures
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import DataSource, Grouping
from tests.conftest import csv_bytes
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)
APRIL = date(2026, 4, 1)


@pytest.fixture
def reorganised(volumes):  # type: ignore[no-untyped-def]
    """The volumes of March and April, UF-01 moved to TF from April, and two April e-mails in a
    grouping that has no owner in the map."""
    grouping_map_version_create(valid_from=APRIL, rows=[MapRow(2, "UF-01", "", "TF", Decimal(1), False)])
    Grouping.objects.create(code="NY-01", name="Ny fråga")
    mail = DataSource.objects.create(name="E-post")
    rows = ["Y1,2026-04-03 10:00,email,NY-01,60,,,", "Y2,2026-04-06 10:00,email,NY-01,60,,,"]
    assert run_import(mail, csv_bytes(rows)).status == "loaded"
    return volumes


def test_the_drift_page_and_the_api_show_the_published_rolling_share(reorganised, steering_user):
    published = month_figures(APRIL)
    # each month counted with its own map: UF has March's 3 cases of the 13 co-financed ones,
    # of which 2 have no owner; unowned volume is shown, never dropped
    assert published["administrations"]["UF"]["share_rolling"] == "23.08"
    assert published["overview"]["unowned_rolling"] == {"cases": "2", "share": "15.38"}

    client = Client()
    client.force_login(steering_user)
    page = client.get("/allocation/drift/?month=2026-04")
    rows = {code: cells for code, _name, cells in page.context["table"]}
    api = APIClient()
    api.force_authenticate(steering_user)
    doc = api.get("/api/v1/keys/rolling/?month=2026-04").json()
    for code in ("UF", "SOF", "TF"):
        figure = published["administrations"][code]["share_rolling"]
        assert rows[code][-1]["rolling_percent"] == figure, code
        assert doc["administrations"][code]["rolling_percent"] == figure, code
    assert doc["unowned"] == {"cases": "2", "rolling_percent": "15.38"}
    assert page.context["unowned"][-1] == {"cases": "2", "rolling_percent": "15.38"}
    assert "15,38" in page.content.decode()
    shares = [Decimal(a["rolling_percent"]) for a in doc["administrations"].values()]
    assert sum(shares) + Decimal(doc["unowned"]["rolling_percent"]) == Decimal("100.00")
