"""The Celery application, configured from Django settings (CELERY_* names)."""

import contextlib
import logging
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# DjangoTask gives every task delay_on_commit(): a worker never sees an uncommitted row.
app = Celery("costshare", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Work that must not wait behind other work has a queue of its own, named after the default
# queue (CELERY_QUEUE, "costshare"): costshare.imports, costshare.publications, costshare.mail.
# Production runs a worker per queue (README), so a long import never delays a publication or mail.
TASK_QUEUES = {
    "imports.process_batch": "imports",
    "allocation.publish_request": "publications",
    "cases.send_notifications": "mail",
}
QUEUE_KINDS = tuple(dict.fromkeys(TASK_QUEUES.values()))


def queue_names(base: str) -> list[str]:
    """Every queue of a deployment whose default queue is `base` (the default first)."""
    return [base, *(f"{base}.{kind}" for kind in QUEUE_KINDS)]


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **rest: Any) -> dict[str, str] | None:
    """Celery router (CELERY_TASK_ROUTES): imports, publications and mail to their own queues,
    the rest (sweepers, runs) to the default queue."""
    kind = TASK_QUEUES.get(name)
    return {"queue": f"{app.conf.task_default_queue}.{kind}"} if kind else None


def registered(name: str) -> Any:
    """The task registered under `name` ("<app>.<task>"), importing its app's tasks module first
    if needed (only that one: every app's would cost a command 0.7 s of imports, charts and
    workbooks included, before an import could start), or every app's if the name is not there."""
    if name not in app.tasks:
        from importlib import import_module

        with contextlib.suppress(ImportError):
            import_module(f"{name.partition('.')[0]}.tasks")
    if name not in app.tasks:
        app.loader.import_default_modules()  # autodiscovers every app's tasks module
    return app.tasks[name]


def send_or_wait(task: Any, *args: Any) -> bool:
    """Send a task (the task or its registered name); if the broker cannot be reached, log it and
    return False so the caller can mark its row as waiting (a beat sweeper sends it once the broker
    is back). By name, a service sends its app's task without importing the tasks module, which
    imports the service: no import cycle."""
    from kombu.exceptions import OperationalError as BrokerError

    if isinstance(task, str):
        task = registered(task)
    try:
        task.delay(*args)
    except BrokerError as exc:
        logging.getLogger(__name__).warning("broker unreachable, %s%r waits for the sweeper: %s", task.name, args, exc)
        return False
    return True
