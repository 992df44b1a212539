"""E-mail notifications: who is told what, once. Writes the outbox (cases.Notification); the
Celery task cases.send_notifications sends it after the writing transaction commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from cases.models import Notification, NotificationOptOut

logger = logging.getLogger(__name__)

# A notification is tried this many times; then it is given up, logged and shown on the start page.
ATTEMPTS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str) -> str:
    """A text fit for a mail header: control characters (CR, LF: "\\r\\nBcc: …" in a key's name)
    become one space, so no name can add a header or make the message unsendable."""
    return _CONTROL.sub(" ", value).strip()


def notify(*, kind: str, event: str, recipients: Iterable[Any], subject: str, body: str) -> int:
    """Queue one e-mail per recipient for `event` (skipping those who turned `kind` off, those
    without an address, and any recipient already told of this event). Returns how many."""
    people = [u for u in recipients if getattr(u, "email", "") and getattr(u, "is_active", False)]
    off = set(NotificationOptOut.objects.filter(kind=kind, user__in=people).values_list("user_id", flat=True))
    queued = 0
    for person in people:
        if person.pk in off:
            continue
        try:
            with transaction.atomic():
                Notification.objects.create(
                    event=event[:200], kind=kind, recipient=person, subject=header_text(subject)[:200], body=body
                )
            queued += 1
        except IntegrityError:  # the same event reached this person before: told once
            continue
    if queued:
        from config.celery import registered

        # robust: a broker that is down must not undo or fail the change that was made; the
        # rows wait in the outbox and the beat schedule sends them (cases.send_notifications).
        transaction.on_commit(lambda: registered("cases.send_notifications").delay(), robust=True)
    return queued


def link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def people_in(group: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=group, is_active=True).distinct()


def notifications_send(*, limit: int = 200) -> int:
    """Send unsent notifications, each claimed under a row lock so that two senders (a task
    delivered twice, two workers) never send the same one. Returns how many were sent."""
    from django.core.mail import send_mail
    from django.utils import timezone

    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            note = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, attempts__lt=ATTEMPTS)
                .select_related("recipient")
                .order_by("id")
                .first()
            )
            if note is None:
                break
            try:
                # Every header is made safe here too, whatever the outbox holds.
                send_mail(
                    header_text(note.subject),
                    note.body,
                    header_text(settings.DEFAULT_FROM_EMAIL),
                    [header_text(note.recipient.email)],
                )
            except Exception as exc:  # an SMTP or network failure: kept, tried again later
                attempts = note.attempts + 1
                Notification.objects.filter(pk=note.pk).update(attempts=attempts, error=str(exc)[:2000])
                if attempts >= ATTEMPTS:  # given up: said in the log and on finance's start page
                    logger.error(
                        "notification %s to %s (%s) failed %s times and is given up: %s",
                        note.pk,
                        note.recipient.get_username(),
                        note.subject,
                        attempts,
                        exc,
                    )
                continue
            Notification.objects.filter(pk=note.pk).update(sent_at=timezone.now(), attempts=note.attempts + 1)
            sent += 1
    return sent
