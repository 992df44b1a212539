"""The change log in the reader's words: "fält: före → efter" in Swedish, the codes, raw values,
addresses and browser strings one click away."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from cases.audit_labels import changes_in_words, value_shown
from cases.models import Channel
from tests.test_language import visible_text

pytestmark = pytest.mark.django_db


def test_a_change_is_shown_as_field_before_and_after_in_swedish(org, finance_user, steering_user):
    from cases.services import channel_save, user_email_change

    phone = Channel.objects.get(code="phone")
    phone.weight = Decimal("2.5")
    channel_save(channel=phone, user=finance_user)
    user_email_change(user=finance_user, email="ekonom@kommun.example.se")
    client = Client()
    client.force_login(steering_user)
    client.cookies["django_language"] = "sv"
    page = client.get("/andringslogg/").content.decode()
    shown = page.replace("<summary>", "<script>").replace("</details>", "</script>")  # the closed detail
    text = visible_text(shown)
    assert "Ändrade: kanal #" in text
    assert "vikt: 1,0000 → 2,5" in text or "vikt: 1,0000 → 2,5000" in text
    assert "Ändrade sin e-postadress: användare #" in text
    assert "e-postadress: – → ekonom@kommun.example.se" in text
    for technical in ("channel.change", "allocation_key", "auth.login", "{"):
        assert technical not in text, technical
    # one click away: the codes and the raw values
    assert "<summary>Teknisk detalj</summary>" in page and "<code>channel.change</code>" in page


def test_logins_show_no_browser_string_outside_the_detail():
    changes = changes_in_words(None, {"address": "10.0.0.1", "agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert changes == []


def test_values_read_as_a_person_reads_them():
    from django.utils import translation

    with translation.override("sv"):
        assert value_shown(True) == "ja" and value_shown(None) == "–"
        assert value_shown("14550000.00") == "14\u00a0550\u00a0000,00"
        assert value_shown(["UF", "SOF"]) == "UF, SOF"
