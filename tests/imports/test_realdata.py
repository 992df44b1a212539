"""Real exports nobody here wrote (../shared/realdata/, never copied into the project), loaded
through a source profile alone, with every figure computed again from the raw file by code that
shares nothing with the service."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import Administration, CaseRecord, DataSource, MonthlyAggregate
from tests.conftest import ensure_channels, service_missing
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
BANK = REALDATA / "anonymous-bank-callcentre" / "data_anonymous_bank_february.txt"
BALTIMORE = REALDATA / "baltimore-311" / "311_sample.csv"

# How the bank's export is read: the profile file is the README's example (add_source --profile).
PROFILE_FILE = Path(__file__).resolve().parents[2] / "docs" / "profiles" / "anonymous-bank-callcentre.json"
BANK_PROFILE = json.loads(PROFILE_FILE.read_text(encoding="utf-8"))


def _need(path: Path) -> None:
    if not path.exists():
        service_missing(f"needs the real export {path} (../shared/realdata beside the project)")


def _bank_organisation() -> None:
    ensure_channels()
    private = Administration.objects.create(code="PRIV", name="Privatkunder", valid_from=date(1990, 1, 1))
    Administration.objects.create(code="FORE", name="Företag och börs", valid_from=date(1990, 1, 1))
    rows = [
        MapRow(i, code, code, "PRIV" if code in ("BANK-PS", "BANK-PE", "BANK-TT") else "FORE", Decimal(1), False)
        for i, code in enumerate(sorted(BANK_PROFILE["values"]["grouping"].values()), start=2)  # type: ignore[index]
    ]
    grouping_map_version_create(valid_from=date(1999, 1, 1), rows=rows)
    assert private.pk


def _independent_bank_figures() -> dict[str, object]:
    """From the raw file with the csv module alone."""
    with BANK.open(newline="", encoding="ascii") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    agent = [r for r in rows if r["outcome"] == "AGENT"]
    hang = [r for r in rows if r["outcome"] == "HANG"]
    offered = len(agent) + len(hang)

    def mean(values: list[int]) -> Decimal:
        return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    return {
        "handled": len(agent),
        "abandoned": len(hang),
        "skipped": sum(1 for r in rows if r["outcome"] == "PHANTOM"),
        "average_handle": mean([int(r["ser_time"]) for r in agent]),
        "average_speed_of_answer": mean([int(r["q_time"]) for r in agent]),
        "service_level": (Decimal(sum(1 for r in agent if int(r["q_time"]) <= 60)) / offered).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        ),
        "abandonment_rate": (Decimal(len(hang)) / offered).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        "offered": offered,
        "by_type": Counter(r["type"] for r in agent),
    }


def test_the_bank_log_loads_through_its_profile_and_the_published_month_equals_the_raw_file():
    from allocation.publications.publishing import publication_create

    _need(BANK)
    _bank_organisation()
    source = DataSource(name="Bankens telefoni", profile=BANK_PROFILE)
    source.full_clean()
    source.save()
    batch = run_import(source, BANK.read_bytes(), name=BANK.name)
    expected = _independent_bank_figures()
    assert batch.status == "loaded", batch.message
    assert batch.rows_skipped == expected["skipped"] == 278
    assert batch.skipped == {"outcome=PHANTOM": 278}
    assert "278 rader hoppades över" in batch.message
    assert batch.months == ["1999-02"]
    assert (
        MonthlyAggregate.objects.filter(source=source).aggregate(
            n=__import__("django.db.models").db.models.Sum("cases")
        )["n"]
        == expected["handled"]
    )
    assert CaseRecord.objects.filter(source=source, outcome="abandoned").count() == expected["abandoned"]

    ov = publication_create(month=date(1999, 2, 1)).figures["overview"]
    access = ov["accessibility"]
    assert Decimal(ov["kpis"]["cases"]) == expected["handled"]  # abandoned calls are no cases
    assert Decimal(access["offered"]) == expected["offered"]
    assert Decimal(access["abandoned"]) == expected["abandoned"]
    assert Decimal(access["abandonment_rate"]) == expected["abandonment_rate"]
    assert Decimal(access["average_speed_of_answer_seconds"]) == expected["average_speed_of_answer"]
    assert Decimal(access["service_level_60"]) == expected["service_level"]
    assert Decimal(ov["kpis"]["average_handle_seconds"]) == expected["average_handle"]
    by_type: Counter = expected["by_type"]  # type: ignore[assignment]
    admins = {a["code"]: Decimal(a["cases"]) for a in ov["administrations"]}
    assert admins["PRIV"] == by_type["PS"] + by_type["PE"] + by_type["TT"]
    assert admins["FORE"] == by_type["IN"] + by_type["NE"] + by_type["NW"]


@pytest.mark.parametrize("basis", ["cases", "minutes", "weighted"])
def test_abandoned_calls_never_count_in_a_keys_load(basis):
    from allocation.keys.compute import allocation_key_compute_measured

    _need(BANK)
    _bank_organisation()
    source = DataSource(name="Bankens telefoni", profile=BANK_PROFILE)
    source.full_clean()
    source.save()
    run_import(source, BANK.read_bytes(), name=BANK.name)
    expected = _independent_bank_figures()
    key = allocation_key_compute_measured(
        name="Bank", window_from=date(1999, 2, 1), window_to=date(1999, 2, 1), basis=basis, valid_from=date(1999, 3, 1)
    )
    cases = {line.grouping.code: line.cases for line in key.lines.select_related("grouping")}
    by_type: Counter = expected["by_type"]  # type: ignore[assignment]
    assert {code: int(n) for code, n in cases.items()} == {f"BANK-{t}": n for t, n in by_type.items()}
    loads = dict(key.shares.values_list("administration__code", "load"))
    if basis == "minutes":
        with BANK.open(newline="") as fh:
            agent = [r for r in csv.DictReader(fh, delimiter="\t") if r["outcome"] == "AGENT"]
        private = sum(int(r["ser_time"]) for r in agent if r["type"] in ("PS", "PE", "TT"))
        assert loads["PRIV"] == private  # kept in seconds: the same shares as minutes
    else:
        assert loads["PRIV"] == by_type["PS"] + by_type["PE"] + by_type["TT"]  # phone weight 1


BALTIMORE_CHANNELS = {
    "Phone": "phone",
    "API": "eservice",
    "Web": "eservice",
    "Email": "email",
    "Mail": "letter",
    "Internal": "unspecified",
    "System": "unspecified",
    "Other": "unspecified",
}


def test_the_baltimore_311_sample_loads_through_its_profile():
    _need(BALTIMORE)
    ensure_channels()
    with BALTIMORE.open(newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    types = sorted({r["SRType"] for r in raw})
    codes = {t: f"BAL-{i:03d}" for i, t in enumerate(types, start=1)}
    Administration.objects.create(code="BAL", name="Baltimore City")
    grouping_map_version_create(
        valid_from=date(2010, 1, 1),
        rows=[MapRow(i, code, t[:200], "BAL", Decimal(1), False) for i, (t, code) in enumerate(codes.items(), 2)],
    )
    source = DataSource(
        name="Baltimore 311",
        profile={
            "columns": {
                "case_id": "ServiceRequestNum",
                "opened_at": "CreatedDate",
                "channel": "MethodReceived",
                "grouping": "SRType",
            },
            "date_format": "%m/%d/%Y %I:%M:%S %p",
            "values": {"channel": BALTIMORE_CHANNELS, "grouping": codes},
        },
    )
    source.full_clean()
    source.save()
    batch = run_import(source, BALTIMORE.read_bytes(), name=BALTIMORE.name)
    assert batch.status == "loaded", batch.message
    assert batch.rows_loaded == len(raw) == 10_000
    # Independently: months from the US dates, channels from the intake methods.
    from datetime import datetime

    months = Counter(datetime.strptime(r["CreatedDate"], "%m/%d/%Y %I:%M:%S %p").strftime("%Y-%m") for r in raw)
    assert sorted(batch.months) == sorted(months)
    channels = Counter(BALTIMORE_CHANNELS[r["MethodReceived"]] for r in raw)
    stored = dict(
        MonthlyAggregate.objects.filter(source=source)
        .values("channel__code")
        .annotate(n=Sum("cases"))
        .values_list("channel__code", "n")
    )
    assert stored == dict(channels)
    pm = next(r for r in raw if r["CreatedDate"].endswith("PM") and r["CreatedDate"][11:13] != "12")
    stamp = CaseRecord.objects.get(source=source, case_id=pm["ServiceRequestNum"]).opened_at
    assert stamp.astimezone(ZoneInfo("Europe/Stockholm")).hour == int(pm["CreatedDate"][11:13]) + 12


def test_a_profile_that_leaves_a_baltimore_intake_method_unmapped_names_the_rows(tmp_path):
    _need(BALTIMORE)
    ensure_channels()
    Administration.objects.create(code="BAL", name="Baltimore City")
    head = BALTIMORE.read_text(encoding="utf-8").splitlines()[:40]
    data = io.StringIO("\n".join(head) + "\n")
    raw = list(csv.DictReader(io.StringIO(data.getvalue())))
    types = sorted({r["SRType"] for r in raw})
    codes = {t: f"BAL-{i:03d}" for i, t in enumerate(types, start=1)}
    grouping_map_version_create(
        valid_from=date(2010, 1, 1),
        rows=[MapRow(i, code, t[:200], "BAL", Decimal(1), False) for i, (t, code) in enumerate(codes.items(), 2)],
    )
    source = DataSource(
        name="Baltimore 311",
        profile={
            "columns": {
                "case_id": "ServiceRequestNum",
                "opened_at": "CreatedDate",
                "channel": "MethodReceived",
                "grouping": "SRType",
            },
            "date_format": "%m/%d/%Y %I:%M:%S %p",
            "values": {"channel": {"Phone": "phone"}, "grouping": codes},
        },
    )
    source.full_clean()
    source.save()
    batch = run_import(source, data.getvalue().encode(), name="baltimore-40.csv")
    assert batch.status == "rejected" and not CaseRecord.objects.exists()
    not_phone = [i for i, r in enumerate(raw, start=2) if r["MethodReceived"] != "Phone"]
    first = batch.errors.order_by("row_number").first()
    assert first.row_number == not_phone[0] and first.column == "channel" and "values" in first.reason


def test_finance_tries_the_bank_profile_on_the_file_before_saving_it(finance_user):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    _need(BANK)
    _bank_organisation()
    client = Client()
    client.force_login(finance_user)
    sample = SimpleUploadedFile("bank.txt", BANK.read_bytes()[:20_000])
    page = client.post(
        "/organisation/kallor/prova/", {"profile": json.dumps(BANK_PROFILE), "file": sample}
    ).content.decode()
    assert 'id="preview-rows"' in page and "AA0101-34536" in page and "BANK-PS" in page
    assert not DataSource.objects.exists()  # nothing saved
    broken = {**BANK_PROFILE, "values": {"outcome": {"AGENT": "handled"}}}  # HANG left unmapped
    sample = SimpleUploadedFile("bank.txt", BANK.read_bytes()[:20_000])
    page = client.post("/organisation/kallor/prova/", {"profile": json.dumps(broken), "file": sample}).content.decode()
    assert 'id="preview-errors"' in page and "HANG" in page
    sample = SimpleUploadedFile("bank.txt", BANK.read_bytes()[:2_000])
    page = client.post(
        "/organisation/kallor/prova/", {"profile": json.dumps({"columns": {"case_id": "samtals_id"}}), "file": sample}
    ).content.decode()
    assert "samtals_id" in page and 'id="preview-file-error"' in page


def test_durations_from_excel_time_cells_and_minutes_exports(org):
    from datetime import time, timedelta

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["case_id", "opened_at", "channel", "grouping", "handle_seconds", "wait_seconds"])
    ws.append(["X1", "2026-03-02 09:00", "phone", "UF-01", time(0, 5, 12), timedelta(minutes=1, seconds=5)])
    ws["E2"].number_format = "hh:mm:ss"
    ws["F2"].number_format = "[h]:mm:ss"
    ws.append(["X2", "2026-03-02 09:10", "phone", "UF-01", "0:04:00", "1:30"])
    buffer = io.BytesIO()
    wb.save(buffer)
    batch = run_import(org["source"], buffer.getvalue(), name="tider.xlsx")
    assert batch.status == "loaded", batch.message
    got = dict(CaseRecord.objects.values_list("case_id", "handle_seconds"))
    assert got == {"X1": 312, "X2": 240}
    assert dict(CaseRecord.objects.values_list("case_id", "wait_seconds")) == {"X1": 65, "X2": 90}
    minutes = DataSource(name="Minuter", profile={"duration_unit": "minutes"})
    minutes.full_clean()
    minutes.save()
    data = (
        b"case_id,opened_at,channel,grouping,handle_seconds\n"
        b'M1,2026-03-02 09:00,phone,UF-01,"2,5"\n'
        b"M2,2026-03-02 09:00,phone,UF-01,3\n"
    )
    batch = run_import(minutes, data, name="minuter.csv")
    assert batch.status == "loaded", batch.message
    assert dict(CaseRecord.objects.filter(source=minutes).values_list("case_id", "handle_seconds")) == {
        "M1": 150,
        "M2": 180,
    }
