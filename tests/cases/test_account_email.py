"""A user adds or changes their own e-mail address on "Mitt konto" (audited), and reads who
receives which notification."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_user_adds_their_own_email_address_and_the_change_is_audited(head_user):
    head_user.email = ""
    head_user.save()
    client = _client(head_user)
    page = client.get("/konto/").content.decode()
    assert "Lägg till en nedan" in page and 'id="email-form"' in page
    page = client.post("/konto/", {"email": " chef.uf@kommun.example.se "}).content.decode()
    head_user.refresh_from_db()
    assert head_user.email == "chef.uf@kommun.example.se"
    assert "Din e-postadress är sparad" in page
    entry = AuditEntry.objects.get(action="user.email")
    assert (entry.object_id, entry.before, entry.after) == (
        str(head_user.pk),
        {"email": ""},
        {"email": "chef.uf@kommun.example.se"},
    )
    assert entry.actor.startswith(head_user.username)


def test_an_address_that_is_not_one_is_refused_with_a_message_and_changes_nothing(head_user):
    head_user.email = "gammal@kommun.example.se"
    head_user.save()
    page = _client(head_user).post("/konto/", {"email": "chef.uf(at)kommun"}).content.decode()
    head_user.refresh_from_db()
    assert head_user.email == "gammal@kommun.example.se"
    assert "”chef.uf(at)kommun” är ingen e-postadress" in page
    assert not AuditEntry.objects.filter(action="user.email").exists()


def test_the_account_page_says_who_receives_what_and_names_roles_in_swedish(head_user):
    head_user.email = "chef.uf@kommun.example.se"
    head_user.save()
    page = _client(head_user).get("/konto/").content.decode()
    assert 'id="notification-recipients"' in page
    assert "Förvaltningscheferna för varje förvaltning i publiceringen" in page
    assert "Roller: förvaltningschef" in page and "department_head" not in page
    rows = page.split('id="notification-recipients"')[1].split("</table>")[0].split("<tr>")[2:]
    # a head receives the month's publication only
    assert ["ja" in r.split("<td>")[-1] for r in rows] == [False, False, True, False]
