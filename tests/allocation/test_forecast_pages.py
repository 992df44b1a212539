"""The forecast against the database: the page per role, the audited digitalisation assumptions,
planned transfers, the API, the evaluation's section, and that a forecast is never charged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import Client

from allocation.forecast.assumptions import digitalisation_assumption_save
from allocation.forecast.evaluation_part import section
from allocation.forecast.inputs import forecast_for_year
from allocation.models import (
    AllocationKey,
    AllocationRun,
    CostPool,
    DigitalisationAssumption,
    FundingLine,
    GroupingTransfer,
    JournalLine,
    Posting,
    RunAmount,
)
from cases.models import AuditEntry, Grouping

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "/allocation/prognos/2027/"


def logged_in(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def shares(year: int = 2027) -> dict[str, Fraction]:
    return {a.code: a.share for a in forecast_for_year(year=year).forecast.administrations}


def test_two_months_forecast_the_year_at_the_average_month_through_the_map(volumes):
    # March and April 2026: UF 3, SOF 1, split 5 (SOF 0.6, TF 0.4), TF 2 cases; the central 10 count nowhere.
    forecast = forecast_for_year(year=2027).forecast
    assert forecast.method == "mean" and forecast.months_used == 2
    loads = {a.code: a.load for a in forecast.administrations}
    assert loads == {"UF": Decimal(18), "SOF": Decimal(24), "TF": Decimal(24)}
    assert forecast.central == 60


def test_finance_and_the_steering_group_read_the_page_a_head_does_not(volumes, finance_user, steering_user, head_user):
    for user in (finance_user, steering_user):
        response = logged_in(user).get(PAGE)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="forecast-note"' in html and 'id="forecast-shares"' in html and "data:image/png;base64," in html
    assert 'id="assumption-form"' in logged_in(finance_user).get(PAGE).content.decode()
    assert 'id="assumption-form"' not in logged_in(steering_user).get(PAGE).content.decode()
    assert logged_in(head_user).get(PAGE).status_code == 403
    assert logged_in(finance_user).get("/allocation/prognos/").url == PAGE


def test_a_digitalisation_assumption_is_audited_and_counted(volumes, finance_user):
    client = logged_in(finance_user)
    url = "/allocation/prognos/2027/antaganden/"
    uf = Grouping.objects.get(code="UF-01")
    response = client.post(url, {"grouping": uf.pk, "percent": "50", "comment": "E-tjänst för ansökan"})
    assert response.status_code == 302
    assert shares()["UF"] == Fraction(9, 9 + 24 + 24)
    client.post(url, {"grouping": uf.pk, "percent": "25"})
    assumption = DigitalisationAssumption.objects.get()
    assert assumption.percent == Decimal("25.00") and assumption.created_by == finance_user
    client.post(url, {"delete": assumption.pk})
    assert not DigitalisationAssumption.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="digitalisation_assumption").order_by("id").values_list("action", "actor")
    )
    assert actions == [
        ("digitalisation_assumption.create", "ekonom"),
        ("digitalisation_assumption.change", "ekonom"),
        ("digitalisation_assumption.delete", "ekonom"),
    ]
    changed = AuditEntry.objects.get(action="digitalisation_assumption.change")
    assert Decimal(changed.before["percent"]) == 50 and Decimal(changed.after["percent"]) == 25


def test_only_finance_staff_set_assumptions_and_a_get_goes_to_the_page(volumes, steering_user, finance_user):
    uf = Grouping.objects.get(code="UF-01")
    url = "/allocation/prognos/2027/antaganden/"
    assert logged_in(steering_user).post(url, {"grouping": uf.pk, "percent": "50"}).status_code == 403
    assert logged_in(finance_user).get(url).url == PAGE
    assert logged_in(finance_user).post(url, {"grouping": uf.pk, "percent": "150"}).status_code == 302
    assert not DigitalisationAssumption.objects.exists()


def test_a_planned_transfer_counts_its_expected_cases_from_its_month(volumes, finance_user):
    GroupingTransfer.objects.create(
        grouping=Grouping.objects.get(code="UF-01"),
        administration=volumes["UF"],
        wave=2,
        transferred_on=date(2027, 7, 1),
        expected_cases_per_year=120,
    )
    forecast = forecast_for_year(year=2027).forecast
    # January–June from the series (1.5 a month), July–December 120 / 12 a month.
    assert forecast.grouping_volumes["UF-01"] == Decimal(9) + Decimal(60)
    assert forecast.transfers_counted == {"UF-01": Decimal(60)}


def test_the_amounts_come_from_next_years_pool_else_this_years_labelled(volumes, finance_user):
    this_year = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1000.00"), is_co_financing=True)
    context = forecast_for_year(year=2027)
    assert context.pool == this_year and context.pool_is_this_years
    assert sum(a.amount for a in context.forecast.administrations if a.amount) == Decimal("1000.00")
    html = logged_in(finance_user).get(PAGE).content.decode()
    assert "2026" in html and 'id="forecast-shares"' in html
    next_year = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("2000.00"), is_co_financing=True)
    FundingLine.objects.create(pool=next_year, label="Startbidrag", amount=Decimal("500.00"))
    context = forecast_for_year(year=2027)
    assert context.pool == next_year and not context.pool_is_this_years
    assert sum(a.amount for a in context.forecast.administrations if a.amount) == Decimal("1500.00")


def test_a_forecast_is_never_charged_stored_or_posted(volumes, finance_user):
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1000.00"), is_co_financing=True)
    models = (AllocationKey, AllocationRun, RunAmount, Posting, JournalLine)
    before = {m.__name__: m.objects.count() for m in models}
    client = logged_in(finance_user)
    assert client.get(PAGE).status_code == 200
    answer = client.get("/api/v1/forecast/2027/")
    assert answer.status_code == 200 and answer.json()["never_charged"] is True
    section(year=2026)
    assert {m.__name__: m.objects.count() for m in models} == before


def test_the_api_gives_shares_amounts_and_ranges(volumes, steering_user, head_user):
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("660.00"), is_co_financing=True)
    body = logged_in(steering_user).get("/api/v1/forecast/2027/").json()
    rows = {r["code"]: r for r in body["administrations"]}
    assert rows["UF"]["amount"] == "180.00" and rows["UF"]["percent"] == "27.27"
    assert Decimal(rows["UF"]["share_low"]) <= Decimal(rows["UF"]["share"]) <= Decimal(rows["UF"]["share_high"])
    assert body["method"] == "mean" and body["months_used"] == 2
    assert logged_in(head_user).get("/api/v1/forecast/2027/").status_code == 403
    assert logged_in(steering_user).get("/api/v1/forecast/99999/").status_code == 404


def test_the_evaluation_section_gives_next_years_forecast(volumes):
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("660.00"), is_co_financing=True)
    part = section(year=2026)
    assert part.slug == "forecast" and "2027" in part.title
    (table,) = part.tables
    rows = {row[0].split()[0]: row for row in table.rows}
    assert rows["UF"][1] == Decimal("27.27") and rows["UF"][4] == Decimal("180.00")
    assert part.chart_png is not None and part.chart_png.startswith(b"\x89PNG")


def test_the_evaluation_section_says_what_to_do_without_data(org):
    part = section(year=2026)
    assert part.tables == () and part.chart_png is None
    assert "2027" in part.summary


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_an_assumption_outside_0_to_100_is_refused_by_the_service(org, finance_user, percent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        digitalisation_assumption_save(
            grouping=Grouping.objects.get(code="UF-01"), year=2027, percent=Decimal(percent), user=finance_user
        )


def test_the_demo_enters_assumptions_for_next_year_and_starts_over(tmp_path, capsys):
    from django.core.management import call_command

    from tests.conftest import ensure_channels

    ensure_channels()
    args = ["--cases-per-year", "3000", "--months", "3", "--last-month", "2026-10", "--json"]
    call_command("seed_demo", *args, "--out", str(tmp_path / "a"))
    call_command("seed_demo", *args, "--out", str(tmp_path / "b"))  # the reset clears them first
    assert sorted(DigitalisationAssumption.objects.values_list("year", flat=True)) == [2027] * 4
    assert AuditEntry.objects.filter(action="digitalisation_assumption.create").count() == 4
    assert forecast_for_year(year=2027).forecast.digitalised > 0


def test_a_pool_whose_net_cannot_be_split_in_its_unit_keeps_the_shares_and_says_why(volumes, finance_user):
    CostPool.objects.create(
        name="KC", year=2027, gross_amount=Decimal("1000.50"), unit=CostPool.Unit.KRONA, is_co_financing=True
    )
    context = forecast_for_year(year=2027)
    assert context.amount_refusal and all(a.amount is None for a in context.forecast.administrations)
    assert sum(a.share for a in context.forecast.administrations) == 1
    response = logged_in(finance_user).get(PAGE)
    assert response.status_code == 200 and context.amount_refusal in response.content.decode()
    body = logged_in(finance_user).get("/api/v1/forecast/2027/").json()
    assert body["administrations"][0]["amount"] is None and context.amount_refusal in body["caveats"]


def test_removing_an_assumption_by_a_malformed_id_is_not_found(volumes, finance_user):
    client = logged_in(finance_user)
    client.raise_request_exception = False
    for bad in ("x", "1e3", "-1", "9" * 30):
        response = client.post("/allocation/prognos/2027/antaganden/", {"delete": bad})
        assert response.status_code == 404, bad
