"""What an attack on the demo found (issue "Security: close what an attack on the demo found").

Each test reproduces one finding; every one of them failed on the code before the fix.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from allocation.amounts import AmountError, parse_amount
from allocation.models import Publication, PublicationRequest
from cases import roles
from cases.models import ApiToken, AuditEntry, DataSource
from cases.tokens import TokenNotAllowed, api_token_create
from config.auth import LockoutModelBackend
from imports.models import ImportBatch
from tests.conftest import csv_bytes, good_rows, make_user, migrate_to, uploaded_file
from tests.imports.helpers import run_import

# --- High: impersonation by API token -------------------------------------------------------


@pytest.mark.django_db
def test_finance_cannot_make_a_token_for_a_steering_group_member(finance_user, steering_user):
    client = Client()
    client.force_login(finance_user)
    response = client.post("/admin/cases/apitoken/add/", {"user": steering_user.pk, "name": "x"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
    # Nor through the service, whatever path calls it.
    with pytest.raises(TokenNotAllowed, match="skapas bara av personen själv"):
        api_token_create(user=steering_user, name="x", created_by=finance_user)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_superuser_makes_tokens_for_service_accounts_but_not_for_people(steering_user):
    from django.contrib.auth.models import Group, User

    root = User.objects.create_superuser("rot", password="pw-for-tests-only")
    robot = make_user("telefonisystemet", roles.FINANCE)
    robot.groups.add(Group.objects.get(name=roles.SERVICE_ACCOUNT))
    with pytest.raises(TokenNotAllowed):
        api_token_create(user=steering_user, created_by=root)
    token, _key = api_token_create(user=robot, name="uppladdning", created_by=root)
    assert token.created_by == root
    # A "service account" that is also in the steering group is a person: refused.
    robot.groups.add(Group.objects.get(name=roles.STEERING_GROUP))
    robot._role_cache = None  # type: ignore[attr-defined]
    del robot._role_cache  # type: ignore[attr-defined]
    with pytest.raises(TokenNotAllowed):
        api_token_create(user=User.objects.get(pk=robot.pk), created_by=root)
    # The admin's add form offers service accounts only.
    client = Client()
    client.force_login(root)
    page = client.get("/admin/cases/apitoken/add/").content.decode()
    assert "styrgrupp" not in page


@pytest.mark.django_db(transaction=True)
def test_tokens_made_for_another_person_are_revoked_by_migration_and_audited(finance_user, steering_user):
    apps = migrate_to([("cases", "0008_hashed_api_tokens")])
    OldToken = apps.get_model("cases", "ApiToken")
    OldAudit = apps.get_model("cases", "AuditEntry")
    stolen = OldToken.objects.create(user_id=steering_user.pk, prefix="aaaaaa", key_hash="a" * 64)
    OldAudit.objects.create(user_id=finance_user.pk, action="token.create", object_type="token", object_id=stolen.pk)
    own = OldToken.objects.create(user_id=finance_user.pk, prefix="bbbbbb", key_hash="b" * 64)
    OldAudit.objects.create(user_id=finance_user.pk, action="token.create", object_type="token", object_id=own.pk)
    migrate_to()

    assert list(ApiToken.objects.values_list("pk", flat=True)) == [own.pk]
    assert ApiToken.objects.get().created_by_id == finance_user.pk
    revoked = AuditEntry.objects.get(action="token.revoke", object_id=str(stolen.pk))
    assert "annan person" in revoked.after["reason"]


# --- Medium ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_steering_group_cannot_run_admin_actions_that_write(finance_user, steering_user):
    from django.contrib import admin

    factory = RequestFactory()
    for model in (Publication, PublicationRequest, ImportBatch):
        model_admin = admin.site._registry[model]
        for user, expected in ((steering_user, set()), (finance_user, {"republish", "ask_again", "requeue"})):
            request = factory.get("/")
            request.user = user
            actions = set(model_admin.get_actions(request)) - {"delete_selected"}
            assert actions == (expected & set(model_admin.actions)), (model.__name__, user.username, actions)
    # And posting the action by hand does nothing.
    Publication.objects.create(month=date(2026, 3, 1), version=1, figures={})
    client = Client()
    client.force_login(steering_user)
    client.post(
        "/admin/allocation/publication/",
        {"action": "republish", "_selected_action": [Publication.objects.get().pk]},
    )
    assert not PublicationRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_aggregated_file_is_refused_into_an_own_source(org):
    before = ImportBatch.objects.count()
    with pytest.raises(ValidationError, match="bara ärendeloggar"):
        run_import(org["source"], b"month,grouping,cases\n2026-03,UF-01,1000000\n", kind="aggregated")
    assert ImportBatch.objects.count() == before
    reference = DataSource.objects.create(name="Annan stad", is_reference=True)
    batch = run_import(reference, b"month,grouping,cases\n2026-03,UF-01,1000\n", kind="aggregated")
    assert batch.status == "loaded"


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_logins_lock_the_account(finance_user, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    from django.contrib.auth.hashers import MD5PasswordHasher

    # A slow password check widens the window the race needs, as a real hasher does.
    original = MD5PasswordHasher.verify

    def slow_verify(self, password, encoded):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return original(self, password, encoded)

    MD5PasswordHasher.verify = slow_verify  # type: ignore[method-assign]
    try:
        barrier = threading.Barrier(20)

        def attempt() -> None:
            from django.db import connection

            barrier.wait()
            LockoutModelBackend().authenticate(None, username="ekonom", password="fel")
            connection.close()

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert LockoutModelBackend().authenticate(None, username="ekonom", password="pw-for-tests-only") is None
        assert authenticate(None, username="ekonom", password="pw-for-tests-only") is None
    finally:
        MD5PasswordHasher.verify = original  # type: ignore[method-assign]


@pytest.mark.django_db
def test_the_client_address_comes_from_the_configured_proxy_header(finance_user, settings):
    settings.TOKEN_FAILURE_LIMIT = 2
    settings.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    _token, key = api_token_create(user=finance_user, created_by=finance_user)
    # Everybody comes through the same proxy (one REMOTE_ADDR); the header tells them apart.
    attacker = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    for guess in "0123":
        attacker.credentials(HTTP_AUTHORIZATION=f"Token {guess * 40}")
        last = attacker.get("/api/v1/administrations/")
    assert last.status_code == 429
    honest = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    honest.credentials(HTTP_AUTHORIZATION=f"Token {'5' * 40}")
    assert honest.get("/api/v1/administrations/").status_code == 401  # not 429: another client
    honest.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert honest.get("/api/v1/administrations/").status_code == 200


@pytest.mark.parametrize("raw", ["1e999999", "NaN", "Infinity", "-Infinity", "1e3", "-5", "12.345", "abc", "1" * 14])
def test_amounts_that_are_not_kronor_are_refused(raw):
    with pytest.raises(AmountError):
        parse_amount(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("14 550 000,00", "14550000.00"), ("14550000.00", "14550000.00"), ("12", "12.00"), ("0,5", "0.50")],
)
def test_amounts_as_people_write_them(raw, value):
    assert parse_amount(raw) == Decimal(value)


@pytest.mark.django_db
def test_the_comparison_refuses_huge_and_undefined_amounts_at_once(org, steering_user):
    from allocation.keys.compute import allocation_key_create_from_values

    a = allocation_key_create_from_values(
        name="A", kind="fixed", valid_from=date(2026, 1, 1), values={"UF": Decimal(50), "SOF": Decimal(50)}
    )
    b = allocation_key_create_from_values(
        name="B", kind="fixed", valid_from=date(2026, 1, 1), values={"UF": Decimal(40), "SOF": Decimal(60)}
    )
    client = APIClient()
    client.force_authenticate(steering_user)
    for raw in ("1e999999", "NaN", "Infinity"):
        started = time.monotonic()
        response = client.get(f"/api/v1/keys/compare/?a={a.pk}&b={b.pk}&amount={raw}")
        assert response.status_code == 400, (raw, response.status_code)
        assert time.monotonic() - started < 5
    ok = client.get(f"/api/v1/keys/compare/?a={a.pk}&b={b.pk}&amount=14 550 000,00")
    assert ok.status_code == 200 and ok.json()["amount"] == "14550000.00"
    page = Client()
    page.force_login(steering_user)
    assert page.get(f"/allocation/keys/compare/?a={a.pk}&b={b.pk}&amount=NaN").status_code == 200


# --- Low ------------------------------------------------------------------------------------


def _xlsx_with_shared_strings(count: int) -> bytes:
    strings = "".join(f"<si><t>s{i}</t></si>" for i in range(count))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", f'<sst count="1" uniqueCount="1">{strings}</sst>')
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_xlsx_with_too_many_shared_strings_is_refused_before_it_is_read(org, settings):
    settings.IMPORT_MAX_XLSX_SHARED_STRINGS = 1000
    batch = run_import(org["source"], _xlsx_with_shared_strings(1500), name="bomb.xlsx")
    assert batch.status == "rejected"
    assert "fler än 1\u00a0000 delade texter" in batch.message  # grouped as every figure (cases.formats)


@pytest.mark.django_db(transaction=True)
def test_an_xlsx_whose_shared_strings_are_too_large_is_refused(org, settings):
    settings.IMPORT_MAX_XLSX_SHARED_STRINGS_BYTES = 1024
    batch = run_import(org["source"], _xlsx_with_shared_strings(200), name="bomb.xlsx")
    assert batch.status == "rejected" and "delade texter" in batch.message


@pytest.mark.django_db(transaction=True)
def test_admin_uploads_are_throttled_too(org, finance_user, settings):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    client = Client()
    client.force_login(finance_user)
    answers = []
    for i in range(3):
        response = client.post(
            "/admin/imports/importbatch/upload/",
            {"file": uploaded_file(csv_bytes(good_rows(prefix=f"T{i}"))), "source": "Telefoni", "kind": "cases"},
        )
        answers.append(response.status_code)
    assert answers == [302, 302, 200]
    assert "Vänta en stund" in response.content.decode()
    assert ImportBatch.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_dollar_in_an_administration_name_does_not_break_the_charts(org):
    from allocation.publications.publishing import publication_create

    org["UF"].name = "Kultur $x^2$ & $-fonden"
    org["UF"].save()
    run_import(org["source"], csv_bytes(good_rows()))
    publication = publication_create(month=date(2026, 3, 1))
    assert publication.files.filter(name__endswith=".svg").exists()


@pytest.mark.django_db
def test_people_outside_finance_see_a_plain_message_for_a_failed_publication(org, head_user, finance_user):
    PublicationRequest.objects.create(
        month=date(2026, 3, 1), status="failed", message="Publiceringen misslyckades: ParseException: Expected end"
    )
    head = Client()
    head.force_login(head_user)
    page = head.get("/statistik/").content.decode()
    assert "ParseException" not in page and "ekonomipersonalen har fått veta det" in page
    finance = Client()
    finance.force_login(finance_user)
    assert "ParseException" in finance.get("/statistik/").content.decode()


def test_messages_are_kept_in_the_session_not_in_a_cookie(settings):
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"


@pytest.mark.django_db(transaction=True)
def test_a_superusers_new_service_token_is_not_in_any_cookie():
    from django.contrib.auth.models import Group, User

    root = User.objects.create_superuser("rot", password="pw-for-tests-only")
    robot = make_user("telefonisystemet", None)
    robot.groups.add(Group.objects.get(name=roles.SERVICE_ACCOUNT))
    client = Client()
    client.force_login(root)
    response = client.post("/admin/cases/apitoken/add/", {"user": robot.pk, "name": "x"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=robot)
    for morsel in response.cookies.values():
        assert token.prefix not in morsel.value
    shown = client.get(response["Location"]).content.decode()
    assert token.prefix in shown  # the message is read once from the session


@pytest.fixture
def a_publication(org):  # type: ignore[no-untyped-def]
    from allocation.publications.publishing import publication_create

    run_import(org["source"], csv_bytes(good_rows()))
    return publication_create(month=date(2026, 3, 1))


@pytest.mark.django_db(transaction=True)
def test_a_version_that_is_not_a_number_is_404(a_publication, steering_user):
    client = Client()
    client.force_login(steering_user)
    for url in ("/statistik/2026-03/?version=abc", "/statistik/2026-03/UF/?version=abc"):
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(steering_user)
    assert api.get("/api/v1/statistics/2026-03/?version=abc").status_code == 404
    assert api.get("/api/v1/statistics/2026-03/UF/?version=abc").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_private_responses_are_not_stored_and_sessions_expire_when_idle(a_publication, steering_user, settings):
    client = Client()
    client.force_login(steering_user)
    xlsx = a_publication.files.filter(name__endswith=".xlsx").first().name
    for url in ("/statistik/2026-03/", "/statistik/2026-03/UF/", f"/statistik/2026-03/v1/{xlsx}", "/allocation/keys/"):
        assert client.get(url)["Cache-Control"] == "private, no-store", url
    api = APIClient()
    api.force_authenticate(steering_user)
    assert api.get("/api/v1/statistics/2026-03/")["Cache-Control"] == "private, no-store"
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    response = Client().post("/login/", {"username": "styrgrupp", "password": "pw-for-tests-only"})
    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie


@pytest.mark.django_db(transaction=True)
def test_a_user_without_a_role_cannot_tell_published_from_unpublished_months(a_publication):
    nobody = make_user("ingen.roll", None)
    client = Client()
    client.force_login(nobody)
    api = APIClient()
    api.force_authenticate(nobody)
    xlsx = a_publication.files.filter(administration__isnull=True, name__endswith=".xlsx").first().name
    for month in ("2026-03", "2019-01"):
        assert client.get(f"/statistik/{month}/").status_code == 403
        assert client.get(f"/statistik/{month}/v1/{xlsx}").status_code == 403
        assert api.get(f"/api/v1/statistics/{month}/").status_code == 403
