from __future__ import annotations

from celery import shared_task


@shared_task(name="cases.send_notifications", acks_late=True)
def send_notifications() -> int:
    """Send the outbox; safe to deliver twice (rows are claimed one at a time under a lock)."""
    from cases.notifications import notifications_send

    return notifications_send()
