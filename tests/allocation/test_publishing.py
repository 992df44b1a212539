"""Monthly publications: figures against the database, versions, access for every role, files."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from allocation.models import Publication
from allocation.publications.publishing import publication_create
from allocation.tasks import publish_due, working_day_of_month
from cases.models import CaseRecord, Grouping
from tests.conftest import csv_bytes, make_user
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = date(2026, 3, 1)


def test_the_figures_agree_with_the_case_records(published):
    ov = published.figures["overview"]
    assert Decimal(ov["kpis"]["cases"]) == CaseRecord.objects.filter(month=MARCH).count() == 19
    admins = {a["code"]: a for a in ov["administrations"]}
    # UF 3; SOF 1 + 5 × 0.6; TF 5 × 0.4; CEN-01's 10 cases are central.
    assert {c: Decimal(a["cases"]) for c, a in admins.items()} == {"UF": 3, "SOF": 4, "TF": 2}
    assert Decimal(ov["central_cases"]) == 10
    assert sum(Decimal(a["share_month"]) for a in admins.values()) == Decimal("100.00")
    assert admins["UF"]["share_key"] == "27.27"
    # 1200.00 a year by 3:4:4 → UF 327.27; 327.27 / 12 = 27.2725, and the 3 spare öre go to
    # January–March, so March is 27.28.
    assert admins["UF"]["charged"] == "27.28"
    assert Decimal(ov["charged_total"]) == sum(Decimal(a["charged"]) for a in admins.values())
    phone = next(c for c in ov["channels"] if c["channel"] == "phone")
    assert Decimal(phone["cases"]) == CaseRecord.objects.filter(month=MARCH, channel__code="phone").count()
    assert [t["month"] for t in ov["trend"]][-1] == "2026-03" and len(ov["trend"]) == 13
    uf = published.figures["administrations"]["UF"]
    assert [(g["code"], Decimal(g["cases"])) for g in uf["groupings"]] == [("UF-01", 3)]
    assert Decimal(uf["kpis"]["average_handle_seconds"]) == Decimal("120.0")


def test_republishing_makes_a_revised_version_and_keeps_the_first(published):
    again = publication_create(month=MARCH)
    assert (again.version, again.is_revision) == (2, True)
    assert Publication.objects.filter(month=MARCH).count() == 2
    published.figures = {}
    with pytest.raises(ValidationError):
        published.save()
    client = Client()
    client.force_login(make_user("sg.v", "steering_group", staff=True))
    assert "reviderad" in client.get("/statistik/2026-03/").content.decode()
    assert "reviderad" not in client.get("/statistik/2026-03/?version=1").content.decode()


def test_a_corrected_import_republishes_the_month(published, volumes):
    run_import(
        volumes["source"], csv_bytes(["R1,2026-03-09 10:00,phone,UF-01,10,,,"]), name="rattelse.csv", replace=True
    )
    latest = Publication.objects.filter(month=MARCH).order_by("-version").first()
    assert latest is not None and latest.version == 2
    assert Decimal(latest.figures["overview"]["kpis"]["cases"]) == 1


ROLES = ["finance", "steering", "head_uf", "head_none", "anonymous"]
PAGES = [
    # path, who may see it
    ("/statistik/", {"finance", "steering", "head_uf", "head_none"}),
    ("/statistik/2026-03/", {"finance", "steering", "head_uf", "head_none"}),
    ("/statistik/2026-03/UF/", {"finance", "steering", "head_uf"}),
    ("/statistik/2026-03/SOF/", {"finance", "steering"}),
    ("/statistik/2026-03/v1/kommun.xlsx", {"finance", "steering", "head_uf", "head_none"}),
    ("/statistik/2026-03/v1/trend.svg", {"finance", "steering", "head_uf", "head_none"}),
    ("/statistik/2026-03/v1/UF.xlsx", {"finance", "steering", "head_uf"}),
    ("/statistik/2026-03/v1/UF-trend.svg", {"finance", "steering", "head_uf"}),
    ("/statistik/2026-03/v1/SOF.xlsx", {"finance", "steering"}),
    ("/statistik/2026-03/v1/SOF-kanaler.svg", {"finance", "steering"}),
    ("/api/v1/statistics/2026-03/", {"finance", "steering", "head_uf", "head_none"}),
    ("/api/v1/statistics/2026-03/UF/", {"finance", "steering", "head_uf"}),
    ("/api/v1/statistics/2026-03/SOF/", {"finance", "steering"}),
]


@pytest.mark.parametrize(("path", "allowed"), PAGES, ids=[p for p, _ in PAGES])
def test_every_role_sees_exactly_what_it_may(published, finance_user, steering_user, head_user, path, allowed):
    users = {
        "finance": finance_user,
        "steering": steering_user,
        "head_uf": head_user,
        "head_none": make_user("chef.ingen", "department_head"),
        "anonymous": None,
    }
    for role in ROLES:
        client = Client()
        if users[role] is not None:
            client.force_login(users[role])
        status = client.get(path).status_code
        if role in allowed:
            assert status == 200, (role, path, status)
        else:
            assert status in (302, 401, 403), (role, path, status)


def test_the_workbook_holds_the_figures_of_the_page_and_formula_text_is_inert(published, steering_user):
    Grouping.objects.filter(code="UF-01").update(name='=HYPERLINK("http://evil")')
    publication = publication_create(month=MARCH)
    client = Client()
    client.force_login(steering_user)
    data = b"".join(client.get(f"/statistik/2026-03/v{publication.version}/UF.xlsx").streaming_content)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Sammanfattning", "Kanaler", "Trend", "Grupperingar", "Varför vi betalar", "Nytta"]
    summary = {row[0]: row[1] for row in wb["Sammanfattning"].iter_rows(min_row=3, values_only=True) if row[0]}
    uf = publication.figures["administrations"]["UF"]
    assert Decimal(str(summary["Ärenden"])) == Decimal(uf["kpis"]["cases"])
    assert Decimal(str(summary["Andel i godkänd nyckel (%)"])) == Decimal(uf["share_key"])
    name_cell = wb["Grupperingar"]["B2"].value
    assert name_cell.startswith("'=")  # text, never a formula
    assert wb["Trend"]._charts and wb["Kanaler"]._charts  # native Excel charts
    assert wb["Grupperingar"].freeze_panes == "A2"


def test_publish_month_and_export_month_commands(published, tmp_path, capsys):
    call_command("publish_month", "2026-03")
    assert "version 2 (reviderad)" in capsys.readouterr().out
    out = tmp_path / "kommun.xlsx"
    call_command("export_month", "2026-03", "--out", str(out))
    wb = load_workbook(out)
    assert "Förvaltningar" in wb.sheetnames
    call_command("export_month", "2026-03", "--out", str(tmp_path / "uf.xlsx"), "--administration", "UF")
    assert "Grupperingar" in load_workbook(tmp_path / "uf.xlsx").sheetnames


def test_working_days_and_the_beat_task_publish_last_month_once(published, monkeypatch):
    assert working_day_of_month(date(2026, 12, 1)) == 1  # a Tuesday
    assert working_day_of_month(date(2026, 12, 3)) == 3
    assert working_day_of_month(date(2026, 12, 5)) is None  # Saturday
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 4, 3))  # the 3rd weekday of April
    assert publish_due.delay().get() is None  # March is already published
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 5, 5))  # 3rd weekday of May
    assert publish_due.delay().get() == "2026-04-01"
    assert Publication.objects.filter(month=date(2026, 4, 1)).count() == 1
    assert publish_due.delay().get() is None  # once only
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 5, 6))  # 4th weekday: not the day
    from allocation.models import PublicationFile, PublicationRequest

    PublicationRequest.objects.filter(month=date(2026, 4, 1)).delete()
    PublicationFile.objects.filter(publication__month=date(2026, 4, 1)).delete()
    Publication.objects.filter(month=date(2026, 4, 1)).delete()
    assert publish_due.delay().get() is None
    assert not Publication.objects.filter(month=date(2026, 4, 1)).exists()


def test_exports_are_byte_identical_whenever_they_are_made(published, monkeypatch):
    """Stored publication files can be made again from the stored figures, and a key's or a
    run's workbook is the same file tomorrow: no clock in the bytes."""
    import hashlib
    import time

    from allocation.models import AllocationKey, AllocationRun, PublicationFile
    from allocation.publications.renderers import publication_files
    from allocation.publications.workbooks import key_workbook, run_workbook

    key = AllocationKey.objects.get()
    run = AllocationRun.objects.get()
    before = (key_workbook(key), run_workbook(run))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 * 400)  # the zip writer's clock
    time.sleep(2.1)  # and the clocks of the document properties and of temporary files move on
    assert (key_workbook(key), run_workbook(run)) == before
    stored = {f.name: f.sha256 for f in PublicationFile.objects.filter(publication=published)}
    again = {
        name: hashlib.sha256(data).hexdigest()
        for _code, name, data in publication_files(Publication.objects.get(pk=published.pk).figures)
    }
    assert again == stored
    with PublicationFile.objects.get(publication=published, name="kommun.xlsx").file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == stored["kommun.xlsx"]
    book = load_workbook(io.BytesIO(before[0]))
    assert book.properties.created == key.decided_at.replace(tzinfo=None, microsecond=0)


def test_months_without_data_are_gaps_in_the_trend_not_zeros(published):
    trend = published.figures["overview"]["trend"]
    assert trend[0]["cases"] is None and int(trend[-1]["cases"]) == 19
    uf = published.figures["administrations"]["UF"]["trend"]
    assert uf[0]["cases"] is None and Decimal(uf[-1]["cases"]) == 3


def test_the_charts_have_their_figures_in_tables_beside_them(published, steering_user):
    client = Client()
    client.force_login(steering_user)
    for path, last in (("/statistik/2026-03/", "19"), ("/statistik/2026-03/UF/", "3")):
        page = client.get(path).content.decode()
        table = page[page.index('id="trend-table"') : page.index("</table>", page.index('id="trend-table"'))]
        assert table.count("<tr>") == 14, table  # the header and 13 months
        assert '<th scope="row">mars 2025</th><td class="num">–</td>' in table  # no data: a dash, not 0
        assert f'<th scope="row">mars 2026</th><td class="num">{last}</td>' in table
        assert 'id="channels"' in page


def test_pages_write_numbers_the_swedish_way(published, steering_user):
    client = Client()
    client.force_login(steering_user)
    page = client.get("/statistik/2026-03/").content.decode()
    assert "27,27" in page and "27.27" not in page  # shares with a decimal comma
    assert "27,28\u00a0kr" in page  # amounts in kronor
    uf = client.get("/statistik/2026-03/UF/").content.decode()
    assert "2\u00a0min 0\u00a0s" in uf  # durations in minutes and seconds
    assert "mars 2026" in page and "mars 2026" in uf  # months by name where they are read
    # The overview's table has a total row: every co-financed case, 100 % of them, the month's charge.
    total = page[page.index('id="administrations-total"') :]
    total = total[: total.index("</tr>")]
    cases = sum(Decimal(a["cases"]) for a in published.figures["overview"]["administrations"])
    assert f">{cases:.0f}<" in total and "100,00" in total, total
    client.cookies["django_language"] = "en"
    english = client.get("/statistik/2026-03/").content.decode()
    assert "March 2026" in english and "27.27" in english  # the English interface writes English


def test_every_sheet_of_the_workbooks_prints_on_a4_one_page_wide(published, steering_user):
    """Print areas hold the data and the charts, fitted to the page width, header rows repeated."""
    client = Client()
    client.force_login(steering_user)
    for name in ("kommun.xlsx", "UF.xlsx"):
        data = b"".join(client.get(f"/statistik/2026-03/v1/{name}").streaming_content)
        wb = load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            setup = ws.page_setup
            assert ws.print_area, (name, ws.title)
            assert str(setup.paperSize) == ws.PAPERSIZE_A4 and int(setup.fitToWidth) == 1, (name, ws.title)
            assert int(setup.fitToHeight) == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
            if ws.freeze_panes == "A2":
                assert ws.print_title_rows.replace("$", "") == "1:1", (name, ws.title)
        # The trend chart sits from D2: the print area reaches past its right edge and bottom.
        trend_area = wb["Trend"].print_area
        last = trend_area.split(":")[-1].replace("$", "")
        assert last[0] >= "M" and int("".join(c for c in last if c.isdigit())) >= 17, trend_area
        assert wb["Trend"].page_setup.orientation == "landscape"
