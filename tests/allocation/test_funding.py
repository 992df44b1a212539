"""Funding sources over the years (issue 31, part 3): the register, pools' funding lines taken
from it, the overview beside the co-financing, the switchboard's extension register as a driver
key, and the evaluation's part."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.funding.evaluation_part import section
from allocation.funding.extensions import extension_register_import
from allocation.funding.sources import funding_overview, funding_source_save, register_funding
from allocation.models import AllocationKey, CostPool, ExtensionRegister, FundingSource
from allocation.runs.allocate import allocation_run_create, cost_pool_net_amount
from allocation.runs.pools import FundingInput, cost_pool_fill_funding, cost_pool_save
from cases.models import AuditEntry
from tests.conftest import approve_key, measured_key

pytestmark = pytest.mark.django_db


def _source(name: str, amounts: dict[int, str], user, last_year: int | None = None) -> FundingSource:  # type: ignore[no-untyped-def]
    return funding_source_save(
        source=FundingSource(name=name, last_year=last_year),
        user=user,
        amounts={y: Decimal(a) for y, a in amounts.items()},
    )


@pytest.fixture
def register(finance_user):  # type: ignore[no-untyped-def]
    """The citizen office, the switchboard and a start-up grant stepping down and ending after 2027."""
    return [
        _source("Medborgarkontoret", {2026: "2100000", 2027: "2350000"}, finance_user),
        _source("Växeln", {2026: "1250000", 2027: "1250000"}, finance_user),
        _source("Startbidrag", {2025: "750000", 2026: "500000", 2027: "250000"}, finance_user, last_year=2027),
    ]


def test_a_source_and_each_change_of_its_amounts_is_audited(finance_user):
    source = _source("Startbidrag", {2026: "500000"}, finance_user, last_year=2027)
    funding_source_save(source=source, user=finance_user, amounts={2026: Decimal("500000"), 2027: Decimal("250000")})
    created, changed = AuditEntry.objects.filter(object_type="funding_source").order_by("id")
    assert created.action == "funding_source.create" and created.after["amounts"] == {"2026": "500000.00"}
    assert changed.action == "funding_source.change" and changed.before["amounts"] == {"2026": "500000.00"}
    assert changed.after["amounts"] == {"2026": "500000.00", "2027": "250000.00"}
    assert changed.user == finance_user


def test_funding_after_the_planned_last_year_is_refused_and_nothing_changes(finance_user):
    source = _source("Startbidrag", {2026: "500000"}, finance_user, last_year=2026)
    with pytest.raises(ValidationError, match="2027"):
        funding_source_save(source=source, user=finance_user, amounts={2027: Decimal("1")})
    assert list(source.amounts.values_list("year", flat=True)) == [2026]


def test_the_register_for_a_year_leaves_out_a_grant_that_has_ended(register):
    assert [(s.name, a) for s, a in register_funding(2027)] == [
        ("Medborgarkontoret", Decimal("2350000.00")),
        ("Startbidrag", Decimal("250000.00")),
        ("Växeln", Decimal("1250000.00")),
    ]
    assert [s.name for s, _a in register_funding(2028)] == []


def test_a_pool_line_is_linked_to_its_source_and_an_unknown_name_registers_one(register, finance_user):
    pool = cost_pool_save(
        pool=CostPool(name="KC", year=2026, gross_amount=Decimal("10000000")),
        user=finance_user,
        funding=[FundingInput("växeln", Decimal("100")), FundingInput("Bidrag från regionen", Decimal("50"))],
    )
    lines = {line.label: line.source for line in pool.funding_lines.select_related("source")}
    assert lines["Växeln"] == register[1]  # the register's spelling, whatever case was typed
    assert lines["Bidrag från regionen"].name == "Bidrag från regionen"
    assert AuditEntry.objects.filter(action="funding_source.create_from_pool").count() == 1


def test_a_pool_filled_from_the_register_has_the_register_s_amounts_for_its_year(register, finance_user):
    pool = cost_pool_save(pool=CostPool(name="KC", year=2027, gross_amount=Decimal("18400000")), user=finance_user)
    cost_pool_fill_funding(pool=pool, user=finance_user)
    assert sorted((f.source.name, f.amount) for f in pool.funding_lines.all()) == [
        ("Medborgarkontoret", Decimal("2350000.00")),
        ("Startbidrag", Decimal("250000.00")),
        ("Växeln", Decimal("1250000.00")),
    ]
    assert cost_pool_net_amount(pool) == Decimal("14550000.00")
    assert AuditEntry.objects.filter(action="pool.change", object_id=str(pool.pk)).exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=0, max_size=4),
    extra=st.decimals(min_value=0, max_value=10**7, places=2),
)
def test_a_pool_s_net_is_its_gross_minus_the_register_s_funding(finance_user, amounts, extra):
    CostPool.objects.all().delete()
    FundingSource.objects.all().delete()
    for i, amount in enumerate(amounts):
        _source(f"Källa {i}", {2026: str(amount)}, finance_user)
    gross = sum(amounts, Decimal(0)) + extra
    pool = cost_pool_save(pool=CostPool(name="KC", year=2026, gross_amount=gross), user=finance_user)
    cost_pool_fill_funding(pool=pool, user=finance_user)
    assert cost_pool_net_amount(pool) == gross - sum((a for _s, a in register_funding(2026)), Decimal(0))
    assert cost_pool_net_amount(pool) == extra


@pytest.mark.django_db(transaction=True)
def test_the_funding_lines_of_a_pool_a_charging_run_used_are_frozen(volumes, register, finance_user):
    key = approve_key(measured_key())
    pool = cost_pool_save(
        pool=CostPool(name="KC", year=2027, gross_amount=Decimal("5000000"), key=key),
        user=finance_user,
        funding=[FundingInput("Växeln", Decimal("1000"))],
    )
    allocation_run_create(pool=pool)
    with pytest.raises(ValidationError, match=r"frozen|låsta"):
        cost_pool_fill_funding(pool=pool, user=finance_user)
    cost_pool_save(pool=pool, user=finance_user, funding=[FundingInput("Växeln", Decimal("1000.00"))])  # unchanged
    assert [(f.label, f.amount) for f in pool.funding_lines.all()] == [("Växeln", Decimal("1000.00"))]


@pytest.mark.django_db(transaction=True)
def test_create_pool_takes_its_funding_from_the_register_when_asked(volumes, register, finance_user):
    key = measured_key()
    out = io.StringIO()
    call_command(
        "create_pool", "--year", "2027", "--name", "KC", "--gross", "18400000", "--key", str(key.pk),
        "--funding-from-register", "--user", "ekonom", "--json", stdout=out,
    )  # fmt: skip
    pool = CostPool.objects.get(pk=int(out.getvalue().split(":")[1].strip(" }\n")))
    assert cost_pool_net_amount(pool) == Decimal("14550000.00")


def test_the_free_text_lines_become_register_records_in_the_data_migration(finance_user):
    from importlib import import_module

    from django.apps import apps

    from allocation.models import FundingLine

    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("100"))
    FundingLine.objects.create(pool=pool, label="Växeln ", amount=Decimal("10"))
    FundingLine.objects.create(pool=pool, label="växeln", amount=Decimal("5"))
    FundingLine.objects.create(pool=pool, label="Startbidrag", amount=Decimal("1"))
    migration = import_module("allocation.migrations.0020_funding_lines_to_sources")
    migration.lines_to_sources(apps, None)
    assert sorted(FundingSource.objects.values_list("name", flat=True)) == ["Startbidrag", "Växeln"]
    assert not FundingLine.objects.filter(source__isnull=True).exists()
    migration.sources_to_lines(apps, None)
    assert not FundingSource.objects.exists() and not FundingLine.objects.filter(source__isnull=False).exists()


def test_the_overview_sets_each_source_beside_the_co_financing_net(register, finance_user):
    pool = cost_pool_save(
        pool=CostPool(name="KC", year=2026, gross_amount=Decimal("17600000"), is_co_financing=True), user=finance_user
    )
    cost_pool_fill_funding(pool=pool, user=finance_user)
    overview = funding_overview()
    assert [s.name for s in overview.sources] == ["Medborgarkontoret", "Startbidrag", "Växeln"]
    years = {y.year: y for y in overview.years}
    assert sorted(years) == [2025, 2026, 2027]
    assert years[2026].by_source == (Decimal("2100000.00"), Decimal("500000.00"), Decimal("1250000.00"))
    assert years[2026].central == Decimal("3850000.00")
    assert years[2026].co_financing_net == Decimal("13750000.00")
    assert years[2025].co_financing_net is None and years[2025].by_source == (None, Decimal("750000.00"), None)


# --- The switchboard's extension register ---------------------------------------------------------


def _list(*rows: str, header: str = "förvaltning;anknytning") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_an_extension_list_becomes_a_draft_driver_key_of_the_counts(org, finance_user):
    register = extension_register_import(
        year=2027, data=_list("UF;2001", "UF;2002", "SOF;2003", "UF;2004"), filename="ank.csv", user=finance_user
    )
    key = register.key
    assert key is not None and key.kind == AllocationKey.Kind.DRIVER and key.status == AllocationKey.Status.DRAFT
    assert key.valid_from == date(2027, 1, 1)
    assert dict(key.shares.values_list("administration__code", "load")) == {
        "UF": Decimal(3),
        "SOF": Decimal(1),
        "TF": Decimal(0),
    }
    entry = AuditEntry.objects.get(action="extension_register.import")
    assert entry.after["counts"] == {"SOF": 1, "UF": 3} and entry.user == finance_user


def test_an_extension_list_in_excel_is_read_like_a_csv(org, finance_user):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Administration", "Extension"])
    wb.active.append(["TF", 4711])
    wb.active.append(["UF", "4712"])
    out = io.BytesIO()
    wb.save(out)
    register = extension_register_import(year=2027, data=out.getvalue(), filename="ank.xlsx", user=finance_user)
    assert sorted(register.extensions.values_list("administration__code", "number")) == [
        ("TF", "4711"),
        ("UF", "4712"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_list("UF;2001", "SOF;2001"), "row 3, column extension, value ”2001”: the extension is also on row 2"),
        (_list("XX;2001"), "row 2, column administration, value ”XX”: no administration has this code"),
        (_list("UF;"), "row 2, column extension, empty value: the extension is missing"),
        (_list("UF;abc"), "row 2, column extension, value ”abc”"),
        (_list("UF;2001", header="förvaltning;telefon"), "The column extension is missing"),
        (b"", "The file is empty."),
    ],
)
def test_a_bad_extension_list_is_refused_row_by_row_and_changes_nothing(org, finance_user, data, expected):
    from django.utils import translation

    before = extension_register_import(year=2027, data=_list("UF;1"), filename="ok.csv", user=finance_user)
    keys = AllocationKey.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        extension_register_import(year=2027, data=data, filename="bad.csv", user=finance_user)
    assert any(expected in message for message in caught.value.messages), caught.value.messages
    assert ExtensionRegister.objects.get(year=2027).pk == before.pk and AllocationKey.objects.count() == keys


# --- The pages --------------------------------------------------------------------------------------


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_finance_registers_a_source_on_the_page_and_the_steering_group_only_reads(
    finance_user, steering_user, head_user
):
    response = _client(finance_user).post(
        "/allocation/finansiering/",
        {"name": "Startbidrag", "last_year": "2027", "amounts": "2026; 500 000\n2027; 250 000,00"},
    )
    assert response.status_code == 302
    source = FundingSource.objects.get(name="Startbidrag")
    assert dict(source.amounts.values_list("year", "amount")) == {2026: Decimal("500000"), 2027: Decimal("250000")}
    steering = _client(steering_user)
    page = steering.get("/allocation/finansiering/")
    assert page.status_code == 200 and "Startbidrag" in page.content.decode()
    assert steering.post("/allocation/finansiering/", {"name": "X"}).status_code == 403
    assert steering.get("/allocation/finansiering/diagram.png").content.startswith(b"\x89PNG")
    assert _client(head_user).get("/allocation/finansiering/").status_code == 403


def test_a_bad_extension_list_uploaded_on_the_page_names_the_rows(org, finance_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _client(finance_user).post(
        "/allocation/finansiering/anknytningar/",
        {"year": "2027", "file": SimpleUploadedFile("a.csv", _list("UF;2001", "UF;2001"))},
    )
    assert response.status_code == 200 and "2001" in response.content.decode()
    assert not ExtensionRegister.objects.exists()


# --- The evaluation's part ----------------------------------------------------------------------------


def test_the_evaluation_part_gives_the_register_s_figures_for_the_years_up_to_the_year(register, finance_user):
    result = section(year=2026)
    (table,) = result.tables
    assert [row[0] for row in table.rows] == ["2025", "2026"]
    assert table.rows[1][1:4] == (Decimal("2100000.00"), Decimal("500000.00"), Decimal("1250000.00"))
    assert result.chart_png is not None and result.chart_png.startswith(b"\x89PNG")
    assert "2027" in result.summary  # the start-up grant's end is told


def test_the_evaluation_part_without_funding_says_what_to_do(db):
    result = section(year=2026)
    assert not result.tables and result.chart_png is None and result.summary


def test_the_pool_page_fills_the_funding_lines_from_the_register_for_finance_only(
    register, finance_user, steering_user
):
    pool = cost_pool_save(pool=CostPool(name="KC", year=2026, gross_amount=Decimal("17600000")), user=finance_user)
    assert _client(steering_user).post(f"/allocation/pools/{pool.pk}/", {"fill_funding": "1"}).status_code == 403
    assert not pool.funding_lines.exists()
    response = _client(finance_user).post(f"/allocation/pools/{pool.pk}/", {"fill_funding": "1"})
    assert response.status_code == 302
    assert cost_pool_net_amount(pool) == Decimal("13750000.00")
    page = _client(finance_user).get(f"/allocation/pools/{pool.pk}/").content.decode()
    assert "fill-funding" in page and "Startbidrag" in page


@pytest.mark.django_db(transaction=True)
def test_the_demo_seeds_the_three_sources_with_the_start_up_grant_phased_out(tmp_path):
    from tests.conftest import ensure_channels

    ensure_channels()
    call_command(
        "seed_demo", "--cases-per-year", "3000", "--months", "3", "--out", str(tmp_path), "--json", stdout=io.StringIO()
    )
    grant = FundingSource.objects.get(name="Startbidrag")
    amounts = list(grant.amounts.order_by("year").values_list("amount", flat=True))
    assert amounts == sorted(amounts, reverse=True) and grant.last_year == 2027
    assert [s.name for s, _a in register_funding(2028)] == ["Medborgarkontoret", "Växeln"]
    for pool in CostPool.objects.filter(is_co_financing=True):
        assert cost_pool_net_amount(pool) == pool.gross_amount - Decimal("3850000.00")
        assert not pool.funding_lines.filter(source__isnull=True).exists()
    register = ExtensionRegister.objects.get(year=2027)
    assert register.key is not None and register.key.status == AllocationKey.Status.PROPOSED
    assert register.extensions.count() == 1655
    assert CostPool.objects.filter(year=2026, pricing="per_minute").exists()


# --- Review fixes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["proposed", "approved", "superseded"])
def test_a_decided_extension_key_keeps_its_register_when_the_list_is_imported_again(
    org, finance_user, steering_user, status
):
    from django.utils import translation

    from allocation.keys.decisions import allocation_key_decide
    from allocation.models import Extension

    first = extension_register_import(year=2027, data=_list("UF;2001", "SOF;2002"), filename="a.csv", user=finance_user)
    key = first.key
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    if status != "proposed":
        allocation_key_decide(key=key, status="approved", user=steering_user)
    if status == "superseded":
        AllocationKey.objects.filter(pk=key.pk).update(status=status)
    keys, extensions = AllocationKey.objects.count(), Extension.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        extension_register_import(year=2027, data=_list("UF;3001"), filename="b.csv", user=finance_user)
    message = " ".join(caught.value.messages)
    assert f"#{key.pk}" in message and status in message, message
    assert ExtensionRegister.objects.get(year=2027).pk == first.pk
    assert AllocationKey.objects.count() == keys and Extension.objects.count() == extensions


@pytest.mark.parametrize("status", ["draft", "rejected"])
def test_an_undecided_extension_key_is_replaced_by_the_new_list(org, finance_user, steering_user, status):
    from allocation.keys.decisions import allocation_key_decide

    first = extension_register_import(year=2027, data=_list("UF;2001"), filename="a.csv", user=finance_user)
    if status == "rejected":
        allocation_key_decide(key=first.key, status="proposed", user=finance_user)
        allocation_key_decide(key=first.key, status="rejected", user=steering_user)
    second = extension_register_import(year=2027, data=_list("SOF;3001"), filename="b.csv", user=finance_user)
    assert ExtensionRegister.objects.get(year=2027).pk == second.pk
    assert list(second.extensions.values_list("number", flat=True)) == ["3001"]


def _xlsx(*rows: list[object]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _truncated_sheet(data: bytes) -> bytes:
    """The workbook with its first sheet's XML cut off in the middle (a broken download)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) * 2 // 3]
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_truncated_sheet(_xlsx(["förvaltning", "anknytning"], *[["UF", 1000 + i] for i in range(200)])), "Excel"),
        (_list("UF;" + "1" * 200_000), "CSV"),
    ],
)
def test_a_broken_extension_file_is_refused_with_a_reason_not_an_error_page(org, finance_user, data, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        extension_register_import(year=2027, data=data, filename="bad", user=finance_user)
    assert any(expected in message for message in caught.value.messages), caught.value.messages
    assert not ExtensionRegister.objects.exists()
    response = _client(finance_user).post(
        "/allocation/finansiering/anknytningar/",
        {"year": "2027", "file": SimpleUploadedFile("bad", data)},
    )
    assert response.status_code == 200 and not ExtensionRegister.objects.exists()


def test_an_excel_extension_file_that_unpacks_too_large_is_refused_before_it_is_read(org, finance_user, monkeypatch):
    from allocation.funding import extensions

    data = _xlsx(["förvaltning", "anknytning"], ["UF", 2001])
    monkeypatch.setattr(extensions, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(extensions.ExtensionFileError, match="MB"):
        extensions.read_extension_list(data, codes={"UF"})


def test_a_renamed_source_stays_one_source_when_its_pool_is_saved_again(register, finance_user):
    pool = cost_pool_save(
        pool=CostPool(name="KC", year=2026, gross_amount=Decimal("10000000")),
        user=finance_user,
        funding=[FundingInput("Växeln", Decimal("100"))],
    )
    switchboard = register[1]
    switchboard.name = "Växeln (kontaktcenter)"
    funding_source_save(source=switchboard, user=finance_user)
    # The pool is saved again with the lines it shows (the admin's inline sends them back as they are).
    cost_pool_save(
        pool=pool, user=finance_user, funding=[FundingInput(f.label, f.amount) for f in pool.funding_lines.all()]
    )
    (line,) = pool.funding_lines.select_related("source")
    assert line.source == switchboard and line.label == "Växeln"  # the name the line was made with
    assert FundingSource.objects.count() == 3
    assert not AuditEntry.objects.filter(action="funding_source.create_from_pool").exists()
