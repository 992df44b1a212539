"""Production settings, login lockout and audit, upload throttling, and the OpenAPI schema."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from cases.models import AuditEntry
from tests.conftest import csv_bytes, good_rows, migrate_to, uploaded_file

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_SECURE": "true",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "q8#Zr!v2Lw@9pX$e7Tb^Kd3&Nf6*Hj1(Ms4)Ua5_Yc0+Gi=Oo-Ql;Vt:Wx",
    "DJANGO_ALLOWED_HOSTS": "kontaktcenter.example.se",
}


def test_check_deploy_is_clean_with_production_settings():
    env = {**os.environ, **PRODUCTION_ENV}
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update({**PRODUCTION_ENV, "DATABASE_URL": "postgres://x@127.0.0.1/none"})
    del env["DJANGO_SECRET_KEY"]
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in proc.stderr


def test_a_bad_boolean_setting_stops_start_up_with_its_name():
    env = {**os.environ, "DJANGO_DEBUG": "kanske"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0 and "DJANGO_DEBUG must be true or false" in proc.stderr


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_and_are_audited(finance_user):
    client = Client()
    for _ in range(5):
        assert client.post("/login/", {"username": "ekonom", "password": "fel"}).status_code == 200
    # Even the right password is refused while the account is locked.
    response = client.post("/login/", {"username": "ekonom", "password": "pw-for-tests-only"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_failed", object_id="ekonom").count() == 5
    assert AuditEntry.objects.filter(action="auth.locked_out", object_id="ekonom").exists()


@pytest.mark.django_db
def test_a_successful_login_and_logout_are_audited_and_reset_the_counter(finance_user):
    client = Client()
    client.post("/login/", {"username": "ekonom", "password": "fel"})
    assert client.post("/login/", {"username": "ekonom", "password": "pw-for-tests-only"}).status_code == 302
    client.post("/logout/")
    signing = AuditEntry.objects.filter(object_type="user", action__startswith="auth.")
    actions = list(signing.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["auth.login_failed", "auth.login", "auth.logout"]
    for _ in range(4):
        client.post("/login/", {"username": "ekonom", "password": "fel"})
    assert client.post("/login/", {"username": "ekonom", "password": "pw-for-tests-only"}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_uploads_are_throttled(org, finance_user, settings):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    client = APIClient()
    client.force_authenticate(finance_user)
    codes = [
        client.post(
            "/api/v1/imports/upload/",
            {"file": uploaded_file(csv_bytes(good_rows(prefix=f"T{i}"))), "source": "Telefoni"},
            format="multipart",
        ).status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]


@pytest.mark.django_db
def test_the_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/imports/upload/", "/api/v1/keys/compute/", "/api/v1/statistics/{month}/"):
        assert path in text


@pytest.mark.django_db
def test_a_person_creates_their_own_token_on_their_account_page_sees_it_once_and_revokes_it(head_user):
    from cases.models import ApiToken

    client = Client()
    client.force_login(head_user)
    response = client.post("/konto/", {"name": "Rapportverktyg"})
    page = response.content.decode()
    key = re.search(r'<code id="new-token">([0-9a-f]{40})</code>', page)
    assert key, page[:2000]  # shown once, in the page itself
    key = key.group(1)
    assert response["Cache-Control"] == "private, no-store"
    assert all(key not in morsel.value for morsel in response.cookies.values())  # never in a cookie
    token = ApiToken.objects.get(user=head_user)
    assert token.created_by == head_user
    # Only the hash is stored: the key is nowhere in the database row.
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:6]
    again = client.get("/konto/").content.decode()
    assert key not in again and f"{key[:6]}…" in again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/administrations/").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    client.post("/konto/", {"revoke": token.pk})
    response = api.get("/api/v1/administrations/")
    assert response.status_code == 401 and "återkallad" in response.json()["detail"]
    assert AuditEntry.objects.filter(action__in=["token.create", "token.revoke"]).count() == 2


@pytest.mark.django_db
def test_guessing_api_tokens_from_one_address_is_stopped(finance_user, settings):
    from cases.tokens import api_token_create

    settings.TOKEN_FAILURE_LIMIT = 3
    _token, key = api_token_create(user=finance_user, created_by=finance_user)
    api = APIClient(REMOTE_ADDR="10.1.2.3")
    codes = []
    for guess in ["0" * 40, "1" * 40, "2" * 40, "3" * 40]:
        api.credentials(HTTP_AUTHORIZATION=f"Token {guess}")
        codes.append(api.get("/api/v1/administrations/").status_code)
    assert codes == [401, 401, 401, 429]
    api.credentials(HTTP_AUTHORIZATION=f"Token 9{'0' * 39}")
    refused = api.get("/api/v1/administrations/")
    assert refused.status_code == 429 and "För många felaktiga API-token" in refused.json()["detail"]
    # A valid key from the same address still gets in: only unknown keys are throttled.
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/administrations/").status_code == 200
    # Another address is not affected.
    other = APIClient(REMOTE_ADDR="10.9.9.9")
    other.credentials(HTTP_AUTHORIZATION=f"Token {'4' * 40}")
    assert other.get("/api/v1/administrations/").status_code == 401


@pytest.mark.django_db
def test_a_user_made_inactive_loses_api_access(finance_user):
    from cases.tokens import api_token_create

    _token, key = api_token_create(user=finance_user, created_by=finance_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/administrations/").status_code == 200
    finance_user.is_active = False
    finance_user.save()
    assert api.get("/api/v1/administrations/").status_code == 401


@pytest.mark.django_db
def test_nul_characters_are_a_400_not_a_database_error(org, finance_user):
    client = APIClient()
    client.force_authenticate(finance_user)
    assert client.get("/api/v1/imports/?source=a\x00b").status_code == 400
    response = client.post(
        "/api/v1/imports/upload/",
        {"file": uploaded_file(csv_bytes(good_rows())), "source": "Tele\x00foni"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "otillåtna tecken" in str(response.json())


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_hashing_keep_working_and_their_clear_text_is_gone(finance_user):
    Token = migrate_to([("cases", "0007_api_token_proxy")]).get_model("authtoken", "Token")
    Token.objects.create(key="a1" * 20, user_id=finance_user.pk)
    migrate_to()

    from rest_framework.authtoken.models import Token as PlainToken

    from cases.models import ApiToken

    assert not PlainToken.objects.exists()  # no key in clear text is left in the database
    moved = ApiToken.objects.get(user=finance_user)
    assert moved.prefix == "a1a1a1" and moved.key_hash == hashlib.sha256(("a1" * 20).encode()).hexdigest()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {'a1' * 20}")
    assert api.get("/api/v1/administrations/").status_code == 200
