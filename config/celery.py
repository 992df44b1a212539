"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# DjangoTask gives every task delay_on_commit(): a worker never sees an uncommitted row.
app = Celery("costshare", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_or_wait(task: Any, *args: Any) -> bool:
    """Send a task; if the broker cannot be reached, log it and return False so the caller can
    mark its row as waiting (a beat sweeper sends it once the broker is back)."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(*args)
    except BrokerError as exc:
        logging.getLogger(__name__).warning("broker unreachable, %s%r waits for the sweeper: %s", task.name, args, exc)
        return False
    return True
