"""E-mail notifications through a real SMTP server started by the test (aiosmtpd), each event
sent once however often the sending task runs."""

from __future__ import annotations

import socket
from datetime import date
from email import message_from_bytes
from unittest.mock import patch

import pytest
from django.contrib.auth.models import User
from django.test import Client

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from cases import roles
from cases.models import Notification, NotificationOptOut
from cases.notifications import notifications_send
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _subject(message) -> str:  # type: ignore[no-untyped-def]
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server on a free loopback port, and Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.SITE_URL = "https://kontaktcenter.example.se"
    try:
        yield inbox
    finally:
        controller.stop()


def _people() -> tuple[User, User, User]:
    finance = make_user("ekonom.mail", roles.FINANCE)
    finance.email = "ekonom@example.se"
    finance.save()
    steering = make_user("styr.mail", roles.STEERING_GROUP)
    steering.email = "styr@example.se"
    steering.save()
    other = make_user("styr.utan", roles.STEERING_GROUP)  # no address: nobody to tell
    return finance, steering, other


def test_a_proposal_and_its_decision_are_mailed_once_each(volumes, smtp):
    finance, steering, _other = _people()
    key = allocation_key_compute_measured(
        name="Mejl",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 4, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    allocation_key_decide(key=key, status="proposed", user=finance, comment="Inför mötet")
    allocation_key_decide(key=key, status="approved", user=steering, comment="Bra underlag")
    assert notifications_send() == 0  # the task already sent them (after commit); a second run sends nothing
    recipients = sorted(tuple(r) for r, _m in smtp.messages)
    assert recipients == [("ekonom@example.se",), ("styr@example.se",)]
    by_to = {r[0]: m for r, m in smtp.messages}
    assert "Föreslagen nyckel" in _subject(by_to["styr@example.se"])
    approved = by_to["ekonom@example.se"]
    assert "godkänd" in _subject(approved)
    body = approved.get_payload(decode=True).decode()
    assert "Bra underlag" in body and f"https://kontaktcenter.example.se/allocation/keys/{key.pk}/" in body


def test_duplicate_delivery_of_the_task_sends_nothing_twice(volumes, smtp):
    from cases.notifications import notify

    finance, _steering, other = _people()
    for _ in range(2):  # the same event announced twice (a redelivered task)
        notify(kind="failure", event="import:99:failed:1", recipients=[finance, other], subject="Fel", body="x")
    notifications_send()
    notifications_send()
    assert [r for r, _m in smtp.messages] == [["ekonom@example.se"]]
    assert Notification.objects.count() == 1 and Notification.objects.get().sent_at is not None


def test_department_heads_are_told_their_month_is_published_unless_they_turned_it_off(volumes, smtp):
    from allocation.publications.publishing import publication_create

    head = make_user("chef.mail", roles.DEPARTMENT_HEAD, admins=[volumes["UF"]])
    head.email = "chef@example.se"
    head.save()
    quiet = make_user("chef.tyst", roles.DEPARTMENT_HEAD, admins=[volumes["SOF"]])
    quiet.email = "tyst@example.se"
    quiet.save()
    client = Client()
    client.force_login(quiet)
    kinds = [k for k in Notification.Kind.values if k != "month_published"]
    client.post("/konto/", {"notifications": "1", "kind": kinds})
    assert NotificationOptOut.objects.filter(user=quiet, kind="month_published").exists()
    from cases.models import AuditEntry

    chosen = AuditEntry.objects.get(action="user.notifications", object_id=str(quiet.pk))  # audited
    assert chosen.after == {"opted_out": ["month_published"]} and chosen.actor == "chef.tyst"
    publication_create(month=date(2026, 3, 1))
    assert [r for r, _m in smtp.messages] == [["chef@example.se"]]
    body = smtp.messages[0][1].get_payload(decode=True).decode()
    assert "https://kontaktcenter.example.se/statistik/2026-03/UF/" in body and "Ärenden: 3" in body


def test_a_failed_import_tells_finance_staff(org, smtp):
    from imports.models import ImportBatch
    from imports.services import import_batch_mark_failed
    from tests.conftest import csv_bytes, good_rows
    from tests.imports.helpers import run_import

    _finance, _steering, _other = _people()
    with patch("imports.services._enqueue"):
        batch = run_import(org["source"], csv_bytes(good_rows()))
    assert batch.status == ImportBatch.Status.PENDING
    import_batch_mark_failed(batch_id=batch.pk, reason="arbetaren stoppades")
    import_batch_mark_failed(batch_id=batch.pk, reason="arbetaren stoppades")  # already failed: nothing new
    assert [r for r, _m in smtp.messages] == [["ekonom@example.se"]]
    assert "misslyckades" in _subject(smtp.messages[0][1])


def test_finance_staff_hear_of_a_monthly_source_missing_on_the_publication_day(volumes, smtp):
    from allocation.tasks import notify_missing_sources
    from cases.models import DataSource

    _people()
    DataSource.objects.create(name="E-post", delivers_monthly=True)  # nothing for March
    notify_missing_sources(date(2026, 3, 1))
    notify_missing_sources(date(2026, 3, 1))  # the beat runs again: no second mail
    subjects = [_subject(m) for _r, m in smtp.messages]
    assert subjects == ["Källan E-post har inte levererat mars 2026"]
