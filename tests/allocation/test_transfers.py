"""The transfer register and benefit realisation with a database: the register's audited writes,
the file import that changes nothing when a row is wrong, the year's benefit per administration
and month, the pages per role, the publication's block and sheet, and the evaluation's part."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

from allocation.models import AdministrationHourCost, GroupingTransfer
from allocation.transfers.evaluation_part import section
from allocation.transfers.register import (
    TransferImportRefused,
    grouping_transfer_delete,
    grouping_transfer_save,
    hour_cost_save,
    transfers_import,
)
from allocation.transfers.selectors import year_benefit
from cases import roles
from cases.models import AuditEntry, Grouping
from tests.conftest import csv_bytes, make_user

pytestmark = pytest.mark.django_db(transaction=True)
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The services' messages in English, whatever the catalogue says (pages choose their own)."""
    with translation.override("en"):
        yield


@pytest.fixture
def cases_handled(org):  # type: ignore[no-untyped-def]
    """March: UF-01 ×4 (3 solved, 1 forwarded to UF), SPLIT-01 ×5 (all solved, 60 s each; SOF 60 %,
    TF 40 %), SOF-01 ×2 (1 solved), CEN-01 ×3 (central). April: UF-01 ×2 (both solved)."""
    from tests.imports.helpers import run_import

    rows = [f"U{i},2026-03-02 10:00,phone,UF-01,120,,{int(i < 3)},{'' if i < 3 else 'UF'}" for i in range(4)]
    rows += [f"S{i},2026-03-03 10:00,phone,SPLIT-01,60,,1," for i in range(5)]
    rows += [f"O{i},2026-03-04 10:00,email,SOF-01,600,,{int(i == 0)}," for i in range(2)]
    rows += [f"C{i},2026-03-05 10:00,phone,CEN-01,30,,1," for i in range(3)]
    rows += [f"A{i},2026-04-02 10:00,phone,UF-01,120,,1," for i in range(2)]
    batch = run_import(org["source"], csv_bytes(rows), name="mars-april.csv")
    assert batch.status == "loaded", batch.message
    return org


@pytest.fixture
def registered(cases_handled, finance_user):  # type: ignore[no-untyped-def]
    """UF-01 moved in April at 30 minutes a case; SPLIT-01 on 15 March with no minutes entered
    (its measured handle time, 1 minute, counts); UF states 600 kr an hour, SOF 500 kr, TF nothing."""
    org = cases_handled
    grouping_transfer_save(
        transfer=GroupingTransfer(
            grouping=Grouping.objects.get(code="UF-01"),
            administration=org["UF"],
            wave=1,
            transferred_on=APRIL,
            minutes_before=Decimal(30),
        ),
        user=finance_user,
    )
    grouping_transfer_save(
        transfer=GroupingTransfer(
            grouping=Grouping.objects.get(code="SPLIT-01"),
            administration=org["SOF"],
            wave=2,
            transferred_on=date(2026, 3, 15),
        ),
        user=finance_user,
    )
    hour_cost_save(administration=org["UF"], year=2026, cost_per_hour=Decimal("600.00"), user=finance_user)
    hour_cost_save(administration=org["SOF"], year=2026, cost_per_hour=Decimal("500.00"), user=finance_user)
    return org


def _row(benefit, code, month):  # type: ignore[no-untyped-def]
    return next(r for r in benefit.rows if r.administration == code and r.month == month)


def test_the_year_shows_cases_solved_forwarded_and_relieved_time_per_administration_and_month(registered):
    benefit = year_benefit(year=2026, codes=["SOF", "TF", "UF"])
    assert benefit.months == [date(2026, 1, 1), date(2026, 2, 1), MARCH, APRIL]
    uf_march, uf_april = _row(benefit, "UF", MARCH), _row(benefit, "UF", APRIL)
    # UF-01 moved in April: March's 3 solved cases relieve nothing, April's 2 × 30 min = 1 h = 600 kr
    assert (uf_march.cases, uf_march.resolved_first, uf_march.forwarded) == (4, 3, 1)
    assert uf_march.relieved_minutes == 0 and uf_march.relieved_kronor == Decimal("0.00")
    assert uf_april.relieved_minutes == 60 and uf_april.relieved_kronor == Decimal("600.00")
    # SPLIT-01 moved in March at its measured minute: SOF 60 % of 5 solved = 3 min = 25 kr at 500 kr/h
    sof, tf = _row(benefit, "SOF", MARCH), _row(benefit, "TF", MARCH)
    assert (sof.cases, sof.resolved_first, sof.relieved_minutes) == (Decimal(5), Decimal(4), Decimal(3))
    assert sof.relieved_kronor == Decimal("25.00")
    # TF states no hour cost: 2 relieved minutes in hours, not in kronor
    assert tf.relieved_minutes == 2 and tf.relieved_kronor is None
    total = benefit.total()
    assert total.cases == 13 and total.relieved_kronor == Decimal("625.00") and total.missing_hour_cost


def test_every_change_to_the_register_and_the_hour_costs_is_audited(registered, finance_user):
    transfer = GroupingTransfer.objects.get(grouping__code="UF-01")
    transfer.minutes_before = Decimal(25)
    grouping_transfer_save(transfer=transfer, user=finance_user)
    hour_cost_save(administration=registered["UF"], year=2026, cost_per_hour=Decimal("610.00"), user=finance_user)
    grouping_transfer_delete(transfer=transfer, user=finance_user)
    actions = list(
        AuditEntry.objects.filter(object_type__in=["grouping_transfer", "hour_cost"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "grouping_transfer.create",
        "grouping_transfer.create",
        "hour_cost.create",
        "hour_cost.create",
        "grouping_transfer.change",
        "hour_cost.change",
        "grouping_transfer.delete",
    ]
    change = AuditEntry.objects.get(action="grouping_transfer.change")
    assert (change.before["minutes_before"], change.after["minutes_before"]) == ("30.00", "25")
    assert AuditEntry.objects.filter(actor="ekonom").count() == len(actions)


def test_an_administration_that_does_not_own_the_grouping_cannot_have_handed_it_over(org, finance_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="SOF-01 is not owned by UF"):
        grouping_transfer_save(
            transfer=GroupingTransfer(
                grouping=Grouping.objects.get(code="SOF-01"), administration=org["UF"], wave=1, transferred_on=MARCH
            ),
            user=finance_user,
        )
    assert not GroupingTransfer.objects.exists()


HEADER = "grouping,administration,wave,transferred_on,minutes_before,expected_cases_per_year"


def _state() -> tuple[object, ...]:
    return (
        sorted(GroupingTransfer.objects.values_list("grouping__code", "wave", "transferred_on", "minutes_before")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["UF-01,UF,1,2026-13-01,,"], "Row 3, column transferred_on, value '2026-13-01'"),
        (["UF-01,UF,0,2026-03-01,,"], "Row 3, column wave, value '0'"),
        (["UF-01,UF,1,2026-03-01,-5,"], "Row 3, column minutes_before, value '-5'"),
        (["UF-01,UF,1,2026-03-01,12.345,"], "Row 3, column minutes_before, value '12.345'"),
        (["UF-01,UF,1,2026-03-01,,many"], "Row 3, column expected_cases_per_year, value 'many'"),
        (["NOPE-01,UF,1,2026-03-01,,"], "Row 3, column grouping, value 'NOPE-01': no grouping has this code"),
        (["UF-01,XX,1,2026-03-01,,"], "Row 3, column administration, value 'XX': no administration has this code"),
        (["UF-01,SOF,1,2026-03-01,,"], "Row 3, column administration, value 'SOF': The grouping UF-01 is not owned"),
        (["UF-01,UF,1,2026-03-01,,", "UF-01,UF,2,2026-04-01,,"], "Row 4, column grouping, value 'UF-01'"),
        ([",UF,1,2026-03-01,,"], "Row 3, column grouping, value '': a code is required"),
    ],
)
def test_a_file_with_a_wrong_row_is_refused_with_row_column_value_and_reason_and_changes_nothing(
    registered, finance_user, lines, expected
):
    before = _state()
    with pytest.raises(TransferImportRefused) as refused:
        transfers_import(data=csv_bytes(["TF-01,TF,3,2026-03-01,8,", *lines], header=HEADER), user=finance_user)
    assert any(expected in e for e in refused.value.errors), refused.value.errors
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"grouping,wave\nUF-01,1\n", "lacks the column(s) administration, transferred_on"),
        (b"%PDF-1.4 binary", "PDF or an old Excel file"),
        (b"grouping,administration,wave,transferred_on\n" + b"x" * 5_000_000, "larger than 5 MB"),
        (b"", "contains no rows"),
        (HEADER.encode() + b"\n", "contains no rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_changes_nothing(registered, finance_user, data, expected):
    before = _state()
    with pytest.raises(TransferImportRefused, match=re.escape(expected)):
        transfers_import(data=data, user=finance_user)
    assert _state() == before


def test_a_swedish_csv_and_an_xlsx_load_and_restating_the_register_changes_nothing(cases_handled, finance_user):
    swedish = "Gruppering;Förvaltning;Våg;Överförd;Minuter_före\nUF-01;UF;1;2026-03-01;12,5\n".encode("cp1252")
    first = transfers_import(data=swedish, user=finance_user)
    book = Workbook()
    sheet = book.active
    sheet.append(["grouping", "administration", "wave", "transferred_on", "minutes_before"])
    sheet.append(["UF-01", "UF", 1, date(2026, 3, 1), 12.5])
    sheet.append(["TF-01", "TF", 2, date(2026, 4, 1), None])
    out = io.BytesIO()
    book.save(out)
    second = transfers_import(data=out.getvalue(), user=finance_user)
    assert (first.created, second.created, second.changed, second.unchanged) == (1, 1, 0, 1)
    assert GroupingTransfer.objects.get(grouping__code="UF-01").minutes_before == Decimal("12.50")
    assert GroupingTransfer.objects.get(grouping__code="TF-01").minutes_before is None
    assert AuditEntry.objects.filter(object_type="grouping_transfer").count() == 2


def test_the_import_command_exits_0_when_loaded_1_when_refused_and_2_for_a_missing_file(
    cases_handled, finance_user, tmp_path, capsys
):
    good, bad = tmp_path / "ok.csv", tmp_path / "fel.csv"
    good.write_bytes(csv_bytes(["UF-01,UF,1,2026-03-01,20,"], header=HEADER))
    bad.write_bytes(csv_bytes(["UF-01,UF,x,2026-03-01,20,"], header=HEADER))
    call_command("import_transfers", str(good), "--user", "ekonom", "--json")
    assert '"created": 1' in capsys.readouterr().out
    with pytest.raises(CommandError, match="Row 2, column wave") as refused:
        call_command("import_transfers", str(bad), "--user", "ekonom")
    assert refused.value.returncode == 1
    with pytest.raises(CommandError) as missing:
        call_command("import_transfers", str(tmp_path / "saknas.csv"))
    assert missing.value.returncode == 2
    assert AuditEntry.objects.get(object_type="grouping_transfer").actor.startswith("ekonom")


def _client(user, language: str = "sv") -> Client:  # type: ignore[no-untyped-def]
    from django.conf import settings

    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_finance_staff_add_edit_and_delete_transfers_and_hour_costs_on_the_page(cases_handled, finance_user):
    client = _client(finance_user, "en")
    grouping = Grouping.objects.get(code="TF-01")
    response = client.post(
        "/allocation/overforingar/ny/",
        {"grouping": grouping.pk, "administration": cases_handled["TF"].pk, "wave": 1, "transferred_on": "2026-03-01"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    transfer = GroupingTransfer.objects.get(grouping=grouping)
    assert transfer.created_by == finance_user
    page = client.get("/allocation/overforingar/").content.decode()
    assert "TF-01" in page and 'id="add-transfer"' in page
    response = client.post(
        f"/allocation/overforingar/{transfer.pk}/",
        {"grouping": grouping.pk, "administration": cases_handled["TF"].pk, "wave": 2, "transferred_on": "2026-04-01"},
    )
    assert response.status_code == 302 and GroupingTransfer.objects.get().wave == 2
    wrong = client.post(
        f"/allocation/overforingar/{transfer.pk}/",
        {"grouping": grouping.pk, "administration": cases_handled["UF"].pk, "wave": 2, "transferred_on": "2026-04-01"},
    )
    assert wrong.status_code == 200 and "is not owned by UF" in wrong.content.decode()
    assert client.get(f"/allocation/overforingar/{transfer.pk}/ta-bort/").status_code == 302  # GET: to the button
    assert client.post(f"/allocation/overforingar/{transfer.pk}/ta-bort/").status_code == 302
    assert not GroupingTransfer.objects.exists()
    response = client.post(
        "/allocation/overforingar/timkostnad/",
        {"administration": cases_handled["UF"].pk, "year": 2026, "cost_per_hour": "612,50"},
    )
    assert response.status_code == 302
    assert AdministrationHourCost.objects.get().cost_per_hour == Decimal("612.50")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"grouping_transfer.create", "grouping_transfer.change", "grouping_transfer.delete"} <= actions
    assert "hour_cost.create" in actions


def test_the_steering_group_reads_the_register_and_cannot_change_it(registered, steering_user):
    client = _client(steering_user)
    page = client.get("/allocation/overforingar/")
    assert page.status_code == 200 and "UF-01" in page.content.decode() and "add-transfer" not in page.content.decode()
    transfer = GroupingTransfer.objects.first()
    assert client.post("/allocation/overforingar/ny/", {}).status_code == 403
    assert client.post(f"/allocation/overforingar/{transfer.pk}/ta-bort/").status_code == 403
    assert GroupingTransfer.objects.count() == 2
    assert client.get("/allocation/overforingar/nytta/UF/?year=2026").status_code == 200


def test_a_department_head_sees_only_their_own_administrations(registered, head_user):
    client = _client(head_user)  # the head of UF
    register = client.get("/allocation/overforingar/").content.decode()
    assert "UF-01" in register and "SPLIT-01" not in register
    overview = client.get("/allocation/overforingar/nytta/?year=2026").content.decode()
    assert "Utbildningsförvaltningen" in overview and "Socialförvaltningen" not in overview
    assert 'id="municipality-kronor"' in overview  # the municipality's total counts everyone
    assert client.get("/allocation/overforingar/nytta/UF/?year=2026").status_code == 200
    assert client.get("/allocation/overforingar/nytta/SOF/?year=2026").status_code == 403
    assert client.post("/allocation/overforingar/timkostnad/", {}).status_code == 403


def test_the_pages_say_when_no_transfer_or_no_hour_cost_is_registered(cases_handled, finance_user):
    client = _client(finance_user)
    page = client.get("/allocation/overforingar/nytta/TF/?year=2026").content.decode()
    assert 'id="no-transfers"' in page and 'id="no-hour-cost"' in page
    assert "/allocation/overforingar/ny/" in page  # the action for finance staff
    overview = client.get("/allocation/overforingar/nytta/?year=2026").content.decode()
    assert 'id="no-transfers"' in overview and 'id="no-hour-costs"' in overview
    assert 'id="no-transfers"' in client.get("/allocation/overforingar/").content.decode()


def test_the_published_administration_page_and_workbook_show_what_it_gets_for_its_money(registered, finance_user):
    from allocation.publications.publishing import publication_create

    publication = publication_create(month=APRIL)
    benefit = publication.figures["administrations"]["UF"]["benefit"]
    assert benefit["month"]["kronor"] == "600.00" and benefit["transfers"] == 1
    assert [m["month"] for m in benefit["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert publication.figures["administrations"]["TF"]["benefit"]["hour_cost"] is None
    head = make_user("chef.tf", roles.DEPARTMENT_HEAD, admins=[registered["TF"]])
    page = _client(head).get("/statistik/2026-04/TF/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'id="benefit"' in page and 'id="benefit-no-hour-cost"' in page
    uf_page = _client(finance_user).get("/statistik/2026-04/UF/").content.decode()
    assert 'id="benefit-year-kronor"' in uf_page and "600,00" in uf_page
    workbook = load_workbook(io.BytesIO(publication.files.get(name="UF.xlsx").file.read()))
    with translation.override("sv"):
        from django.utils.translation import gettext

        sheet = workbook[gettext("Benefit")]
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "2026-04"]
    assert values[0][4] == 1 and values[0][5] == 600


def test_the_evaluation_part_gives_the_years_figures_and_an_empty_state_without_data(registered, db):
    part = section(year=2026)
    waves, per_admin = part.tables
    assert waves.rows == ((1, 1, "2026-04-01", "2026-04-01"), (2, 1, "2026-03-15", "2026-03-15"))
    municipality = per_admin.rows[-1]
    assert municipality[1] == 13 and municipality[6] == Decimal("625.00")
    assert part.chart_png and part.chart_png.startswith(b"\x89PNG")
    empty = section(year=2020)  # before every transfer and every case log
    assert not empty.tables and empty.chart_png is None
    assert "No grouping is registered" in empty.summary and "Transfers and benefit" in empty.summary


@pytest.mark.slow
def test_a_department_head_reads_what_they_get_for_their_money_in_the_browser(
    registered, live_server, browser, head_user
):
    from django.conf import settings

    from allocation.publications.publishing import publication_create

    publication_create(month=APRIL)
    client = Client()
    client.force_login(head_user)  # the head of UF, signed in through the session cookie
    context = browser.new_context()
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/statistik/2026-04/UF/")
    block = page.locator("#benefit")
    assert "Vad får vi för pengarna?" in block.inner_text()
    assert page.inner_text("#benefit-year-kronor") == "600,00\u00a0kr"
    assert page.locator("#benefit-no-hour-cost").count() == 0
    page.click("#benefit-how summary")
    assert "gånger förvaltningens minuter per ärende" in page.inner_text("#benefit-how")
    page.click("text=Nyttosidan, med de överförda grupperingarna")
    page.wait_for_selector("#benefit-transfers")
    assert "UF-01" in page.inner_text("#benefit-transfers")
    assert page.inner_text("#total-kronor") == "600,00\u00a0kr"
    context.close()


def test_the_register_page_asks_the_same_number_of_queries_however_many_transfers(registered, finance_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(finance_user)
    client.get("/allocation/overforingar/")  # the session and the roles are read once
    with CaptureQueriesContext(connection) as two:
        assert client.get("/allocation/overforingar/").status_code == 200
    for code, admin in (("SOF-01", "SOF"), ("TF-01", "TF")):
        grouping_transfer_save(
            transfer=GroupingTransfer(
                grouping=Grouping.objects.get(code=code), administration=registered[admin], wave=3, transferred_on=APRIL
            ),
            user=finance_user,
        )
    with CaptureQueriesContext(connection) as four:
        page = client.get("/allocation/overforingar/")
    assert "TF-01" in page.content.decode()
    assert len(four.captured_queries) == len(two.captured_queries), [q["sql"] for q in four.captured_queries]


# Review findings: a wave beyond the column, unreadable files, changing an hour cost on the page,
# and the evaluation's hours column that must add up as shown.


def test_a_wave_beyond_what_the_register_holds_is_a_row_error_not_a_crash(registered, finance_user):
    before = _state()
    with pytest.raises(TransferImportRefused) as refused:
        transfers_import(data=csv_bytes(["TF-01,TF,40000,2026-03-01,,"], header=HEADER), user=finance_user)
    assert any("Row 2, column wave, value '40000'" in e for e in refused.value.errors), refused.value.errors
    assert _state() == before
    transfers_import(data=csv_bytes(["TF-01,TF,32767,2026-03-01,,"], header=HEADER), user=finance_user)
    assert GroupingTransfer.objects.get(grouping__code="TF-01").wave == 32767


def test_a_model_check_that_refuses_a_row_refuses_the_file_and_changes_nothing(registered, finance_user, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(self):  # type: ignore[no-untyped-def]
        raise ValidationError({"comment": "a check the reader does not know"})

    monkeypatch.setattr(GroupingTransfer, "clean", refuse)
    before = _state()
    with pytest.raises(TransferImportRefused) as refused:
        transfers_import(data=csv_bytes(["TF-01,TF,3,2026-03-01,8,"], header=HEADER), user=finance_user)
    assert "Row 2, column comment, value '': a check the reader does not know" in refused.value.errors
    assert _state() == before


def _truncated_xlsx() -> bytes:
    import zipfile

    book = Workbook()
    sheet = book.active
    sheet.append(["grouping", "administration", "wave", "transferred_on"])
    for _ in range(50):
        sheet.append(["UF-01", "UF", 1, date(2026, 3, 1)])
    whole = io.BytesIO()
    book.save(whole)
    broken = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # the sheet's XML ends in the middle of a row
            target.writestr(info, content)
    return broken.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_truncated_xlsx(), "The XLSX file is damaged"),
        (HEADER.encode() + b'\nUF-01,UF,1,2026-03-01,,"' + b"x" * 140_000 + b"\n", "The CSV file cannot be read"),
    ],
)
def test_a_damaged_file_is_refused_with_what_to_do_and_changes_nothing(registered, finance_user, data, expected):
    before = _state()
    with pytest.raises(TransferImportRefused, match=re.escape(expected)):
        transfers_import(data=data, user=finance_user)
    assert _state() == before
    page = _client(finance_user, "en").post(
        "/allocation/overforingar/importera/", {"file": io.BytesIO(data)}, format="multipart"
    )
    assert page.status_code == 200 and expected in page.content.decode()


def test_finance_staff_change_a_stored_hour_cost_on_the_page_and_the_change_is_audited(registered, finance_user):
    client = _client(finance_user, "en")
    form = client.get("/allocation/overforingar/timkostnad/?administration=UF&year=2026").content.decode()
    assert "600.00" in form
    response = client.post(
        "/allocation/overforingar/timkostnad/",
        {"administration": registered["UF"].pk, "year": 2026, "cost_per_hour": "650,25", "comment": "Ny budget"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    cost = AdministrationHourCost.objects.get(administration=registered["UF"], year=2026)
    assert (cost.cost_per_hour, cost.comment) == (Decimal("650.25"), "Ny budget")
    change = AuditEntry.objects.get(action="hour_cost.change")
    assert (change.before["cost_per_hour"], change.after["cost_per_hour"]) == ("600.00", "650.25")
    assert AdministrationHourCost.objects.count() == 2


def test_the_evaluations_relieved_hours_add_up_to_the_municipality_as_shown(registered, finance_user):
    from allocation.evaluation.cells import cell_text

    # SPLIT-01 at 0.9 minutes: SOF 2.7 min (0.045 h) and TF 1.8 min (0.03 h) each show 0.0 hours,
    # but with UF's hour the municipality's exact 1.075 h would show 1.1.
    transfer = GroupingTransfer.objects.get(grouping__code="SPLIT-01")
    transfer.minutes_before = Decimal("0.9")
    grouping_transfer_save(transfer=transfer, user=finance_user)
    rows = section(year=2026).tables[1].rows
    shown = [Decimal(cell_text(row[4], "hours").replace(",", "")) for row in rows]
    assert shown[-1] == sum(shown[:-1]) == Decimal("1.0")
