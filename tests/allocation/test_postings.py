"""From a charging run to the ledger: vouchers read back by an SIE reader written here."""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from allocation.keys.compute import allocation_key_create_from_values
from allocation.ledger.journal import posting_profile_save, run_postings, run_postings_export
from allocation.models import CostPool, PostingProfile
from allocation.runs.allocate import allocation_run_create, run_amounts
from tests.conftest import approve_key

pytestmark = pytest.mark.django_db(transaction=True)


def read_sie(data: bytes) -> dict[str, object]:
    """A small SIE 4 reader, independent of the exporter: labels, vouchers and their rows."""
    text = data.decode("cp437")
    assert "\r\n" in text
    labels: dict[str, list[str]] = defaultdict(list)
    vouchers: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line in ("{", "}"):
            continue
        tag, _sep, rest = line.partition(" ")
        if tag == "#VER":
            parts = shlex.split(rest)
            current = {"series": parts[0], "number": int(parts[1]), "date": parts[2], "text": parts[3], "rows": []}
            vouchers.append(current)
        elif tag == "#TRANS":
            match = re.match(r'(\S+) \{1 "([^"]*)"[^}]*\} (-?\d+\.\d{2})', rest)
            assert match, line
            assert current is not None
            current["rows"].append((match.group(1), match.group(2), Decimal(match.group(3))))  # type: ignore[union-attr]
        else:
            labels[tag].append(rest)
    return {"labels": labels, "vouchers": vouchers}


@pytest.fixture
def charged(org, finance_user):  # type: ignore[no-untyped-def]
    key = approve_key(
        allocation_key_create_from_values(
            name="Fast",
            kind="fixed",
            valid_from=date(2027, 1, 1),
            values={"UF": Decimal(50), "SOF": Decimal(30), "TF": Decimal(20)},
        )
    )
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1200000.00"), key=key)
    posting_profile_save(
        profile=PostingProfile(
            organisation="Exempelkommunen",
            charge_account="7691",
            credit_account="3691",
            centre_cost_centre="1050",
            series="I",
        ),
        user=finance_user,
    )
    return allocation_run_create(pool=pool, user=finance_user)


def test_the_sie_file_balances_and_charges_each_cost_centre_what_the_run_says(charged):
    posted = run_postings(run=charged, fmt="sie")
    sie = read_sie(posted.content)
    labels = sie["labels"]
    assert labels["#SIETYP"] == ["4"] and labels["#FORMAT"] == ["PC8"] and labels["#FLAGGA"] == ["0"]
    assert labels["#FNAMN"] == ['"Exempelkommunen"'] and labels["#PROGRAM"] and labels["#GEN"]
    assert '1 "Kostnadsställe"' in labels["#DIM"]
    assert {shlex.split(o)[1] for o in labels["#OBJEKT"]} == {"3100", "5100", "4800", "1050"}
    vouchers = sie["vouchers"]
    assert len(vouchers) == 12 and [v["date"] for v in vouchers][:2] == ["20270131", "20270228"]
    debits: dict[str, Decimal] = defaultdict(Decimal)
    for v in vouchers:
        assert sum(amount for _a, _cc, amount in v["rows"]) == 0  # every voucher balances
        for account, cc, amount in v["rows"]:
            if account == "7691":
                debits[cc] += amount
            else:
                assert account == "3691" and cc == "1050" and amount < 0
    annual, _months = run_amounts(charged)
    assert debits == {"3100": annual["UF"], "5100": annual["SOF"], "4800": annual["TF"]}
    assert run_postings(run=charged, fmt="sie").content == posted.content  # byte-identical when made again
    for fmt in ("csv", "xlsx"):
        assert run_postings(run=charged, fmt=fmt).content == run_postings(run=charged, fmt=fmt).content


def test_a_superseding_run_after_an_export_posts_only_the_differences(charged, finance_user):
    run_postings_export(run=charged, fmt="sie", user=finance_user)
    pool = charged.pool
    pool.gross_amount = Decimal("1212000.00")
    from allocation.runs.pools import cost_pool_save

    cost_pool_save(pool=pool, user=finance_user)
    second = allocation_run_create(pool=pool, user=finance_user)
    posted = run_postings(run=second, fmt="sie")
    assert posted.corrects == charged.pk
    sie = read_sie(posted.content)
    debits: dict[str, Decimal] = defaultdict(Decimal)
    for v in sie["vouchers"]:
        assert "rättelse av körning" in v["text"]
        assert sum(a for _acc, _cc, a in v["rows"]) == 0
        for account, cc, amount in v["rows"]:
            if account == "7691":
                debits[cc] += amount
    new, old = run_amounts(second)[0], run_amounts(charged)[0]
    assert debits == {"3100": new["UF"] - old["UF"], "5100": new["SOF"] - old["SOF"], "4800": new["TF"] - old["TF"]}
    assert sum(debits.values()) == Decimal("12000.00")


def test_postings_are_refused_for_simulations_and_missing_cost_centres(charged, org):
    simulation = allocation_run_create(key=charged.key, amount=Decimal("100.00"))
    with pytest.raises(ValidationError, match="simulering"):
        run_postings(run=simulation, fmt="sie")
    org["TF"].cost_centre = ""
    org["TF"].save()
    with pytest.raises(ValidationError, match="Kostnadsställe saknas för: TF"):
        run_postings(run=charged, fmt="csv")


def test_export_postings_command_and_the_run_page_download(charged, finance_user, tmp_path):
    out = tmp_path / "jan.se"
    call_command(
        "export_postings",
        "--run",
        str(charged.pk),
        "--format",
        "sie",
        "--out",
        str(out),
        "--month",
        "2027-01",
        stdout=StringIO(),
    )
    vouchers = read_sie(out.read_bytes())["vouchers"]
    assert len(vouchers) == 1 and vouchers[0]["date"] == "20270131"
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_postings",
            "--run",
            str(charged.pk),
            "--format",
            "sie",
            "--out",
            str(out),
            "--month",
            "2026-01",
            stdout=StringIO(),
        )
    assert refused.value.returncode == 2
    client = Client()
    client.force_login(finance_user)
    assert charged.postings.count() == 1  # the command's January
    response = client.get(f"/allocation/runs/{charged.pk}/kontering.csv")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.csv"')
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("serie;verifikation;datum;konto")
    assert not any(";2027-01-31;" in row for row in rows)  # the preview shows what is left: February on
    # Looking is not posting: a GET (a download, a cross-site link) records nothing.
    assert charged.postings.count() == 1
    posted = client.post(f"/allocation/runs/{charged.pk}/overfor/", {"format": "csv"})
    assert posted.status_code == 302 and charged.postings.count() == 2
    page = client.get(f"/allocation/runs/{charged.pk}/").content.decode()
    assert 'id="postings-journal"' in page and 'id="post-form"' in page
