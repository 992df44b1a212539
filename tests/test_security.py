"""Production settings, login lockout and audit, upload throttling, and the OpenAPI schema."""

from __future__ import annotations

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
from tests.conftest import csv_bytes, good_rows, uploaded_file

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
    actions = list(AuditEntry.objects.filter(object_type="user").order_by("at", "id").values_list("action", flat=True))
    assert actions == ["auth.login_failed", "auth.login", "auth.logout"]
    for _ in range(4):
        client.post("/login/", {"username": "ekonom", "password": "fel"})
    assert client.post("/login/", {"username": "ekonom", "password": "pw-for-tests-only"}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_uploads_are_throttled(org, finance_user, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates once at import; patch them for this test only.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/minute"})
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
def test_finance_creates_a_token_sees_it_once_and_can_revoke_it(finance_user, head_user):
    from rest_framework.authtoken.models import Token

    client = Client()
    client.force_login(finance_user)
    response = client.post("/admin/cases/apitoken/add/", {"user": head_user.pk}, follow=True)
    token = Token.objects.get(user=head_user)
    assert token.key in response.content.decode()  # shown once, in the message

    def visible(html: bytes) -> str:
        # DRF's Token uses the key as primary key, so it is in the admin's link addresses;
        # what a person reads on the page never shows it again.
        return re.sub(r"<[^>]*>", " ", html.decode())

    listing = visible(client.get("/admin/cases/apitoken/").content)
    assert token.key not in listing and f"{token.key[:4]}…" in listing
    change = client.get(f"/admin/cases/apitoken/{token.pk}/change/")
    assert change.status_code == 200 and token.key not in visible(change.content)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/administrations/").status_code == 200
    assert token.key not in visible(client.get(f"/admin/cases/apitoken/{token.pk}/delete/").content)
    client.post(f"/admin/cases/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert api.get("/api/v1/administrations/").status_code in (401, 403)
    assert AuditEntry.objects.filter(action__in=["token.create", "token.revoke"]).count() == 2


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
