"""The yearly evaluation: its own sections from the database (real figures, empty states), the
editable text (finance only, audited), the workbook (sheets, numbers as numbers, Swedish), the PDF
and the pages per role."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from allocation.evaluation import costs, shares, volumes
from allocation.evaluation.report import SECTION_PROVIDERS, evaluation_report, evaluation_text_save, report_years
from allocation.evaluation.sections import Section, Table
from cases.models import AuditEntry, DataSource
from tests.imports.helpers import run_import
from tests.test_language import unswedish_numbers, visible_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def evaluated(published):  # type: ignore[no-untyped-def]
    """`published` (2026: March and April cases, a co-financing pool of 1 200 kr charged by an
    approved key) with the reference statistics of May 2024 beside it."""
    reference = DataSource.objects.create(name="Referens", is_reference=True, delivers_monthly=False)
    run_import(reference, b"month,grouping,cases\n2024-05,UF-01,600\n2024-05,SPLIT-01,1000\n", kind="aggregated")
    return published


def table(section: Section, caption_start: str) -> Table:
    return next(t for t in section.tables if t.caption.startswith(caption_start))


def column(t: Table, title: str) -> list[object]:
    i = [c.title for c in t.columns].index(title)
    return [row[i] for row in t.rows]


def test_volumes_count_each_year_by_channel_with_the_reference_year_labelled(evaluated):
    with translation.override("en"):
        section = volumes.section(year=2026)
    per_channel = table(section, "Cases per channel")
    assert column(per_channel, "Year") == ["2024 (reference statistics)", "2026"]
    assert column(per_channel, "All channels") == [1600, 21]
    assert column(per_channel, "Months with data") == [1, 2]
    assert column(per_channel, "Telefon") == [0, 20] and column(per_channel, "E-post") == [0, 1]
    service = table(section, "Cases per month")
    # 3×120 + 600 + 5×60 + 10×30 + 2×10 seconds over 21 cases with a handle time
    assert column(service, "Average handle time (min)")[1] == Decimal(1580) / 60 / 21
    assert section.chart_png and section.chart_png.startswith(b"\x89PNG")
    assert "21 cases in 2 months" in section.summary
    with translation.override("sv"):
        assert "räknade 1\u00a0600 ärenden" in volumes.section(year=2026).summary


def test_shares_set_the_approved_key_beside_the_share_measured_on_the_year(evaluated):
    with translation.override("en"):
        section = shares.section(year=2026)
    keys = table(section, "The approved key")
    assert [row[0] for row in keys.rows] == ["2026"]
    t = table(section, "Each administration")
    assert [c.title for c in t.columns] == ["Administration", "Key 2026 (%)", "Measured 2026 (%)"]
    # UF 3, SOF 1 + 0.6 × 5, TF 2 + 0.4 × 5 cases: 3/11, 4/11, 4/11, the spare 0.01 to the lower code
    by_code = {row[0].split()[0]: row[1:] for row in t.rows}
    assert by_code["UF"] == (Decimal("27.27"), Decimal("27.27"))
    assert by_code["SOF"] == (Decimal("36.37"), Decimal("36.37"))
    assert by_code["TF"] == (Decimal("36.36"), Decimal("36.36"))
    assert section.chart_png and section.chart_png.startswith(b"\x89PNG")


def test_costs_give_the_pool_the_cost_per_case_and_minute_and_the_charges(evaluated):
    with translation.override("en"):
        section = costs.section(year=2026)
    figures = {}
    for t in (table(section, "The co-financing pool"), table(section, "What a case")):
        (row,) = t.rows
        figures.update(zip([c.title for c in t.columns], row, strict=True))
    assert figures["Gross cost"] == Decimal("1200.00") and figures["Co-financed (net)"] == Decimal("1200.00")
    # two months of data: 1 200 × 2/12 = 200 kr over 21 cases, 1 580/60 minutes and 11 co-financed cases
    assert figures["Cost per case"] == Decimal("9.52")
    assert figures["Cost per handled minute"] == Decimal("7.59")
    assert figures["Co-financed per co-financed case"] == Decimal("18.18")
    charged = table(section, "Charged per administration")
    assert charged.rows[-1] == ("Total", Decimal("1200.00"))
    assert sum(r[1] for r in charged.rows[:-1]) == Decimal("1200.00")


def test_a_year_without_data_gives_sections_that_say_what_to_do(org):
    with translation.override("sv"):
        report = evaluation_report(year=2019)
    assert [s.slug for s in report.sections] == [
        "volumes",
        "shares",
        "costs",
        "goals",
        "transfers",
        "funding",
        "frames",
        "forecast",
    ]
    assert all(not s.tables and s.summary for s in report.sections)
    assert "Importera" in report.sections[0].summary
    assert report.text.is_draft and "2019" in report.text.text
    assert report_years() == []


def test_every_provider_answers_for_the_year(evaluated):
    assert len(SECTION_PROVIDERS) == 8
    assert all(isinstance(provider(year=2026), Section) for provider in SECTION_PROVIDERS)
    assert report_years() == [2026]


def test_finance_edits_the_text_audited_and_nobody_else_may(evaluated, finance_user, steering_user):
    from django.core.exceptions import PermissionDenied

    record = evaluation_text_save(year=2026, text="  Året i korthet.  ", user=finance_user)
    assert record.text == "Året i korthet."
    assert evaluation_text_save(year=2026, text="Ett\r\nTvå\r\n", user=finance_user).text == "Ett\nTvå"
    evaluation_text_save(year=2026, text="Året i korthet, rättat.", user=finance_user)
    entries = AuditEntry.objects.filter(object_type="evaluation_text").order_by("id")
    assert [e.action for e in entries] == ["evaluation_text.create", "evaluation_text.change", "evaluation_text.change"]
    assert entries[2].before["text"] == "Ett\nTvå" and entries[2].after["text"] == "Året i korthet, rättat."
    with pytest.raises(PermissionDenied):
        evaluation_text_save(year=2026, text="Styrgruppen skriver", user=steering_user)
    report = evaluation_report(year=2026)
    assert report.text.text == "Året i korthet, rättat." and report.text.edited_by == "ekonom"


def _swedish_catalogue_msgids() -> set[str]:
    catalog = translation.trans_real.translation("sv")._catalog  # type: ignore[attr-defined]
    return {m for m, s in catalog.items() if isinstance(m, str) and m and isinstance(s, str) and s != m}


def test_the_workbook_has_a_text_sheet_and_a_swedish_sheet_per_section_with_numbers(evaluated, steering_user):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(steering_user)
    response = client.get("/allocation/utvardering/2026/?format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [
        "Text",
        "Volymer och kanaler över åren",
        "Andelar och nycklar",
        "Kostnader",
        "Effektmål mot målvärden",
        "Överföringar och nytta",
        "Finansiering per källa",
        "Medfinansiering, köp och sälj",
        "Prognos 2027 – debiteras aldrig",
    ]
    assert "Utkast" in " ".join(str(c.value) for row in wb["Text"].iter_rows() for c in row if c.value)
    cells = {c.value: c for row in wb["Kostnader"].iter_rows() for c in row if c.value is not None}
    gross = cells[1200]  # the number itself, not "1 200,00 kr"
    assert gross.data_type == "n" and gross.number_format == '#,##0.00 "kr"'
    per_case = cells[9.52]  # the cost per case, a number with the kronor format
    assert per_case.data_type == "n" and per_case.number_format == gross.number_format
    english = _swedish_catalogue_msgids()
    texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and not [t for t in texts if t in english]


def test_the_pages_follow_the_roles(evaluated, finance_user, steering_user, head_user):
    for user, status in ((finance_user, 200), (steering_user, 200), (head_user, 403)):
        client = Client()
        client.force_login(user)
        assert client.get("/allocation/utvardering/").status_code == status
        assert client.get("/allocation/utvardering/2026/").status_code == status
    client = Client()
    client.force_login(steering_user)
    page = client.get("/allocation/utvardering/2026/").content.decode()
    assert "Volymer och kanaler" in page and 'id="text-form"' not in page
    assert not unswedish_numbers(visible_text(page))  # 1 200,00 kr, 36,37 %, never 1200.00
    assert client.post("/allocation/utvardering/2026/text/", {"text": "x"}).status_code == 403
    assert client.get("/allocation/utvardering/?year=2026")["Location"] == "/allocation/utvardering/2026/"
    finance = Client()
    finance.force_login(finance_user)
    assert finance.get("/allocation/utvardering/2026/text/")["Location"] == "/allocation/utvardering/2026/"
    finance.post("/allocation/utvardering/2026/text/", {"text": "Ett bra år."})
    page = finance.get("/allocation/utvardering/2026/").content.decode()
    assert "Ett bra år." in page and 'id="text-form"' in page


def test_the_report_prints_to_a_real_pdf(evaluated, steering_user):
    import os

    from tests.conftest import CHROMIUM, service_missing

    if not os.path.exists(CHROMIUM):
        service_missing("needs Debian's chromium")
    client = Client()
    client.force_login(steering_user)
    response = client.get("/allocation/utvardering/2026/?format=pdf")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    pages = response.content.count(b"/Type /Page") - response.content.count(b"/Type /Pages")
    assert 1 <= pages <= 6, pages


def test_a_text_longer_than_the_page_holds_is_refused_and_nothing_changes(evaluated, finance_user):
    from django.core.exceptions import ValidationError

    evaluation_text_save(year=2026, text="Kort text.", user=finance_user)
    with pytest.raises(ValidationError):
        evaluation_text_save(year=2026, text="x" * 8001, user=finance_user)
    assert evaluation_report(year=2026).text.text == "Kort text."
    assert AuditEntry.objects.filter(object_type="evaluation_text").count() == 1
