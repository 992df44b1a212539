"""The department head's "Varför betalar vi detta?": the key in force, the amounts and the kronor
each grouping carries, adding up to the charge, on the page and in the workbook."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from allocation.models import RunAmount
from cases import roles
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_head_sees_which_key_and_groupings_carry_the_charge_and_the_kronor_add_up(published, volumes):
    why = published.figures["administrations"]["SOF"]["why"]
    charged = RunAmount.objects.filter(administration__code="SOF", month=3, run__is_charging=True).get().amount
    assert Decimal(why["month_amount"]) == charged == Decimal(published.figures["administrations"]["SOF"]["charged"])
    assert sum(Decimal(g["kronor_month"]) for g in why["groupings"]) == charged
    year = sum(
        RunAmount.objects.filter(administration__code="SOF", run__is_charging=True).values_list("amount", flat=True)
    )
    assert sum(Decimal(g["kronor_year"]) for g in why["groupings"]) == Decimal(why["year_amount"]) == year
    rows = {g["code"]: g for g in why["groupings"]}
    # SPLIT-01: 5 whole cases, 60 % of them SOF's; SOF-01: 1 case, all SOF's. SOF's load is 3 + 1.
    assert (rows["SPLIT-01"]["cases"], Decimal(rows["SPLIT-01"]["fraction"])) == ("5", Decimal("0.6"))
    assert (rows["SOF-01"]["cases"], Decimal(rows["SOF-01"]["fraction"])) == ("1", Decimal(1))
    # 872.74 kr by 3:1 is 654.555 and 218.185: equal remainders, so the spare öre goes to the lower code.
    assert (year, rows["SPLIT-01"]["kronor_year"], rows["SOF-01"]["kronor_year"]) == (
        Decimal("872.74"),
        "654.55",
        "218.19",
    )
    assert why["key"]["name"] == "2026" and why["key"]["approved_by"] == "styrgrupp"

    head = make_user("chef.sof", roles.DEPARTMENT_HEAD, admins=[volumes["SOF"]])
    client = Client()
    client.force_login(head)
    page = client.get("/statistik/2026-03/SOF/").content.decode()
    assert "Varför betalar vi detta?" in page and "nyckeln ”2026”" in page
    assert "60\u00a0%" in page and "den del som räknas för er" in page
    assert "/allocation/keys/" not in page  # a head cannot open key pages: no link to one
    month_total = page[page.index('id="why-month-total"') :]
    assert f"{charged}".replace(".", ",") in month_total[:80].replace("\u00a0", " ")

    data = b"".join(client.get(f"/statistik/2026-03/v{published.version}/SOF.xlsx").streaming_content)
    sheet = load_workbook(io.BytesIO(data))["Varför vi betalar"]
    values = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] and r[0] not in ("Summa",)]
    kronor = [Decimal(str(r[4])) for r in values if isinstance(r[4], (int, float, Decimal))]
    assert sum(kronor) == charged


def test_whole_cases_and_the_part_that_counts_on_the_groupings_of_the_month(published, volumes):
    groupings = {g["code"]: g for g in published.figures["administrations"]["TF"]["groupings"]}
    assert Decimal(groupings["SPLIT-01"]["whole"]) == 5 and Decimal(groupings["SPLIT-01"]["fraction"]) == Decimal("0.4")
    assert Decimal(groupings["SPLIT-01"]["cases"]) == 2
