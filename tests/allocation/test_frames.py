"""Frame adjustment (issue 31, part 4): budget-frame changes that add up to zero, by the
co-financing pool's approved key; never posted; its workbook; the comparison of the three models;
the evaluation's part; the pages per role."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from allocation.calculation import KRONA, ORE
from allocation.frames.adjustments import adjustment_changes, frame_adjustment_create, frame_changes
from allocation.frames.comparison import models_compared
from allocation.frames.evaluation_part import section
from allocation.models import CostPool, FrameAdjustment, Posting
from allocation.runs.allocate import allocation_run_create, run_amounts
from allocation.runs.pools import FundingInput, cost_pool_save
from cases.models import AuditEntry
from tests.conftest import approve_key, measured_key

pytestmark = pytest.mark.django_db(transaction=True)

CODES = st.sampled_from(["AF", "KF", "SOF", "TF", "UF", "VOF"])


@given(
    net=st.decimals(min_value=0, max_value=10**9, places=2),
    loads=st.dictionaries(CODES, st.decimals(min_value=0, max_value=10**6, places=4), min_size=1).filter(
        lambda d: sum(d.values()) > 0
    ),
    whole=st.booleans(),
)
@pytest.mark.django_db(transaction=False)
def test_frame_changes_add_up_to_zero_and_no_administration_s_frame_grows(net, loads, whole):
    unit = KRONA if whole else ORE
    net = net.quantize(unit)
    centre, changes = frame_changes(net, loads, unit)
    assert centre + sum(changes.values(), Decimal(0)) == 0
    assert centre == net and all(change <= 0 for change in changes.values())
    assert all(change % unit == 0 for change in changes.values())
    assert set(changes) == set(loads)


@pytest.fixture
def year_2027(volumes, finance_user):  # type: ignore[no-untyped-def]
    """2027's co-financing pool with an approved measured key and central funding."""
    key = approve_key(measured_key())
    return cost_pool_save(
        pool=CostPool(name="KC", year=2027, gross_amount=Decimal("1000000.00"), key=key, is_co_financing=True),
        user=finance_user,
        funding=[FundingInput("Växeln", Decimal("100000.00"))],
    )


def test_a_frame_adjustment_moves_the_net_cost_to_the_centre_s_frame_by_the_key(year_2027, finance_user):
    adjustment = frame_adjustment_create(year=2027, user=finance_user)
    centre, changes = adjustment_changes(adjustment)
    assert centre == Decimal("900000.00") == adjustment.net_amount
    assert centre + sum(changes.values()) == 0
    # Each administration's frame shrinks by exactly what a charging run would charge it.
    charged = run_amounts(allocation_run_create(pool=year_2027))[0]
    assert changes == {code: -amount for code, amount in charged.items()}
    assert not Posting.objects.exists()  # never posted
    entry = AuditEntry.objects.get(action="frame_adjustment.create")
    assert entry.after["centre"] == "900000.00" and entry.user == finance_user


def test_a_frame_adjustment_without_an_approved_key_is_refused(volumes, finance_user):
    key = measured_key()  # a draft
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("100"), key=key, is_co_financing=True)
    with pytest.raises(ValidationError, match=f"#{key.pk}"):
        frame_adjustment_create(year=2027, user=finance_user)
    with pytest.raises(ValidationError, match="2030"):
        frame_adjustment_create(year=2030, user=finance_user)
    assert not FrameAdjustment.objects.exists()


def test_a_frame_adjustment_is_never_changed(year_2027, finance_user):
    adjustment = frame_adjustment_create(year=2027, user=finance_user)
    adjustment.net_amount = Decimal("1")
    with pytest.raises(ValidationError):
        adjustment.save()


def test_the_comparison_sets_the_three_models_side_by_side(year_2027, finance_user):
    cost_pool_save(
        pool=CostPool(
            name="Köp och sälj", year=2027, gross_amount=Decimal("0"), pricing="per_case", price=Decimal("10.00")
        ),
        user=finance_user,
        funding=[],
    )
    compared = models_compared(2027)
    rows = {r.code: r for r in compared.rows}
    assert set(rows) == {"SOF", "TF", "UF"}
    assert compared.total("co_financing") == Decimal("900000.00")
    assert compared.total("frame_change") == Decimal("-900000.00") and compared.centre_frame_change == Decimal(
        "900000.00"
    )
    assert all(r.frame_change == -r.co_financing for r in compared.rows if r.co_financing is not None)
    # No case is measured in 2027: buy and sell charges nothing yet, and says so.
    assert compared.total("buy_and_sell") == Decimal("0") and "Köp och sälj" in compared.notes["buy_and_sell"]


def test_the_evaluation_part_gives_the_comparison_or_says_what_is_missing(year_2027):
    result = section(year=2027)
    (table,) = result.tables
    assert [row[0].split()[0] for row in table.rows][:3] == ["SOF", "TF", "UF"]
    assert sum(row[3] for row in table.rows) == 0  # the frame changes, the centre's included
    empty = section(year=2030)
    assert not empty.tables and "2030" in empty.summary


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_finance_makes_a_frame_adjustment_on_the_page_and_downloads_its_workbook(
    year_2027, finance_user, steering_user, head_user
):
    steering = _client(steering_user)
    page = steering.get("/allocation/ramjustering/?year=2027")
    assert page.status_code == 200 and "frame-adjustment-create" not in page.content.decode()
    assert steering.post("/allocation/ramjustering/ny/", {"year": "2027"}).status_code == 403
    assert _client(head_user).get("/allocation/ramjustering/?year=2027").status_code == 403
    finance = _client(finance_user)
    assert finance.get("/allocation/ramjustering/ny/").status_code == 302  # the button is on the page
    response = finance.post("/allocation/ramjustering/ny/", {"year": "2027"})
    adjustment = FrameAdjustment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/ramjustering/{adjustment.pk}/")
    assert steering.get(f"/allocation/ramjustering/{adjustment.pk}/").status_code == 200
    workbook = steering.get(f"/allocation/ramjustering/{adjustment.pk}/?format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    values = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0] == 900000 and values[-1] == 0  # the centre first, the total last


def test_the_budget_frames_page_still_reads_the_co_financing_amounts(year_2027, steering_user):
    page = _client(steering_user).get("/allocation/budgetramar/?year=2027")
    assert page.status_code == 200 and "ramjustering" in page.content.decode()


# --- Review fixes -----------------------------------------------------------------------------------


def test_a_pool_with_a_frame_adjustment_is_kept_and_the_refusal_names_the_adjustment(year_2027, finance_user):
    from django.contrib.admin import site
    from django.db.models import ProtectedError
    from django.test import RequestFactory

    from allocation.runs.pools import cost_pool_delete

    adjustment = frame_adjustment_create(year=2027, user=finance_user)
    with pytest.raises(ValidationError, match=f"#{adjustment.pk}"):
        cost_pool_delete(pool=year_2027, user=finance_user)
    with pytest.raises(ProtectedError):  # the database keeps it too, whatever path tries
        CostPool.objects.filter(pk=year_2027.pk).delete()
    request = RequestFactory().get("/")
    request.user = finance_user
    finance_user.is_superuser = True
    assert not site._registry[CostPool].has_delete_permission(request, year_2027)
    assert FrameAdjustment.objects.filter(pk=adjustment.pk, pool=year_2027).exists()
    assert not AuditEntry.objects.filter(action="pool.delete").exists()


def test_the_workbook_holds_the_kronor_as_the_decimals_decided_not_as_floats(volumes, finance_user, monkeypatch):
    from openpyxl import load_workbook

    from cases import spreadsheet

    written = []
    original = spreadsheet.workbook_bytes

    def keep(wb, **kwargs):  # type: ignore[no-untyped-def]
        written.append(wb)
        return original(wb, **kwargs)

    monkeypatch.setattr(spreadsheet, "workbook_bytes", keep)
    key = approve_key(measured_key())
    gross, funding = Decimal("1000000.10"), Decimal("0.30")  # neither is a float exactly
    cost_pool_save(
        pool=CostPool(name="KC", year=2027, gross_amount=gross, key=key, is_co_financing=True),
        user=finance_user,
        funding=[FundingInput("Växeln", funding)],
    )
    adjustment = frame_adjustment_create(year=2027, user=finance_user)
    centre, changes = adjustment_changes(adjustment)
    response = _client(finance_user).get(f"/allocation/ramjustering/{adjustment.pk}/?format=xlsx")
    (book,) = written
    frames, inputs = book.worksheets
    amounts = [row[2] for row in frames.iter_rows(min_row=2, values_only=True)]
    assert amounts == [centre, *(changes[code] for code in sorted(changes)), Decimal(0)]
    assert all(isinstance(a, Decimal) for a in amounts)
    facts = [row[1] for row in inputs.iter_rows(min_row=2, values_only=True) if isinstance(row[1], Decimal)]
    assert facts == [gross, funding, adjustment.net_amount] == [gross, funding, gross - funding]
    saved = load_workbook(io.BytesIO(response.content))
    assert all("kr" in row[2].number_format for row in saved.worksheets[0].iter_rows(min_row=2))
    money = [row[1] for row in saved.worksheets[1].iter_rows(min_row=2) if isinstance(row[1].value, float)]
    assert len(money) == 3 and all("kr" in cell.number_format for cell in money)
