"""The demo municipality, the roles and the pages a person logs into."""

from __future__ import annotations

import hashlib
import io
import json
import random

import pytest
from django.core.management import call_command
from django.test import Client

from cases.models import Administration, CaseRecord, Grouping, GroupingMapEntry, MonthlyAggregate
from config.demo import data as demo_data
from tests.conftest import ensure_channels

pytestmark = pytest.mark.django_db(transaction=True)


def _fingerprint() -> str:
    """A digest of the domain data, independent of database ids."""
    digest = hashlib.sha256()
    for row in CaseRecord.objects.order_by("source__name", "case_id").values_list(
        "source__name",
        "case_id",
        "opened_at",
        "channel__code",
        "grouping__code",
        "handle_seconds",
        "wait_seconds",
        "resolved_first_contact",
        "forwarded_to__code",
    ):
        digest.update(repr(row).encode())
    for row in MonthlyAggregate.objects.order_by(
        "source__name", "month", "grouping__code", "channel__code"
    ).values_list(
        "source__name",
        "month",
        "grouping__code",
        "channel__code",
        "cases",
        "handle_seconds",
    ):
        digest.update(repr(row).encode())
    for row in GroupingMapEntry.objects.order_by("grouping__code", "administration__code").values_list(
        "grouping__code",
        "administration__code",
        "fraction",
        "is_central",
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _seed(tmp_path, seed: int = 11) -> dict:  # type: ignore[type-arg]
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        call_command(
            "seed_demo",
            "--seed",
            str(seed),
            "--cases-per-year",
            "3000",
            "--months",
            "3",
            "--out",
            str(tmp_path / "logs"),
            "--json",
            stdout=out,
        )
    return json.loads(out.getvalue())


def test_the_demo_has_the_municipality_a_finance_officer_expects(tmp_path):
    ensure_channels()
    summary = _seed(tmp_path)
    assert summary["groupings"] == 235 == Grouping.objects.count()
    names = set(Administration.objects.values_list("name", flat=True))
    assert {"Utbildningsförvaltningen", "Socialförvaltningen", "Tekniska förvaltningen"} <= names
    assert GroupingMapEntry.objects.filter(is_central=True).exists()
    assert GroupingMapEntry.objects.filter(fraction__lt=1).exists()
    assert summary["cases"] == CaseRecord.objects.count() > 500
    phone = CaseRecord.objects.filter(channel__code="phone").count() / CaseRecord.objects.count()
    assert 0.5 < phone < 0.7


def test_seed_demo_twice_with_the_same_seed_gives_identical_data(tmp_path):
    ensure_channels()
    _seed(tmp_path / "a")
    first = _fingerprint()
    _seed(tmp_path / "b")
    assert _fingerprint() == first
    _seed(tmp_path / "c", seed=12)
    assert _fingerprint() != first


def test_the_demo_files_are_byte_identical_for_a_seed(tmp_path):
    groupings = demo_data.demo_groupings(random.Random(5))
    months = demo_data.months_back(demo_data.date(2026, 8, 1), 1)
    a = demo_data.write_month_files(
        seed=5, groupings=groupings, months=months, cases_per_year=5000, folder=tmp_path / "a"
    )
    b = demo_data.write_month_files(
        seed=5, groupings=groupings, months=months, cases_per_year=5000, folder=tmp_path / "b"
    )
    assert [p.read_bytes() for _, _, p in a] == [p.read_bytes() for _, _, p in b]


def test_the_main_job_prints_shares_and_amounts_that_add_up(tmp_path, capsys):
    ensure_channels()
    _seed(tmp_path)
    call_command("run_demo_job")
    out = capsys.readouterr().out
    assert "Summa" in out and "100,00" in out  # written the Swedish way (tests/test_demo_summary.py)
    assert "14\u00a0550\u00a0000,00" in out


def test_the_demo_starts_over_after_months_were_published_on_request(tmp_path):
    from allocation.models import Publication, PublicationRequest

    ensure_channels()
    _seed(tmp_path / "a")
    call_command("run_demo_job", stdout=io.StringIO())
    month = Publication.objects.values_list("month", flat=True).first()
    call_command("publish_month", f"{month:%Y-%m}", stdout=io.StringIO())
    assert PublicationRequest.objects.filter(status="done").exists()
    _seed(tmp_path / "b")  # the requests, which protect their publications, go first
    assert not PublicationRequest.objects.exists() and not Publication.objects.exists()


@pytest.mark.parametrize(
    ("username", "sees_admin", "sees_upload"),
    [("admin", True, True), ("ekonom", True, True), ("styrgrupp", True, False), ("chef.uf", False, False)],
)
def test_every_demo_user_can_log_in_and_sees_what_their_role_allows(tmp_path, username, sees_admin, sees_upload):
    ensure_channels()
    _seed(tmp_path)
    client = Client()
    response = client.post("/login/", {"username": username, "password": "kontaktcenter-demo"})
    assert response.status_code == 302, response.content.decode()[:500]
    home = client.get("/").content.decode()
    assert "Välkommen" in home
    assert (client.get("/admin/").status_code == 200) is sees_admin
    assert ("Ladda upp en ärendelogg" in home) is sees_upload
    if username == "chef.uf":
        assert "Utbildningsförvaltningen" in home and "Socialförvaltningen" not in home


def test_the_interface_is_swedish_by_default_and_english_on_request(tmp_path):
    client = Client()
    # Swedish even for a browser that prefers English …
    assert "Logga in" in client.get("/login/", headers={"accept-language": "en-US,en"}).content.decode()
    # … until the user picks English in the language menu.
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    english = client.get("/login/").content.decode()
    assert "Log in" in english and "Logga in" not in english


def test_anonymous_users_are_sent_to_the_login_page():
    client = Client()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/administrations/").status_code in (401, 403)


def test_the_api_schema_and_docs_are_served(tmp_path):
    ensure_channels()
    _seed(tmp_path)
    client = Client()
    client.post("/login/", {"username": "ekonom", "password": "kontaktcenter-demo"})
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/imports/upload/" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200
