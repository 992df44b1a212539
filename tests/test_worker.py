"""A real `celery worker` process against the real Redis broker and PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from cases.models import CaseRecord, MonthlyAggregate
from config.celery import app as celery_app
from imports.models import ImportBatch
from imports.services import import_batch_create
from tests.conftest import csv_bytes, good_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker(postgres, redis_url, settings):  # type: ignore[no-untyped-def]
    """Start a worker on a queue of its own; point this process's producer at it."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.WORKER_QUEUE = queue
    settings.WORKER_REDIS_URL = redis_url
    env = {**os.environ, **_worker_env_from(settings)}
    log = Path(settings.MEDIA_ROOT).parent / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--pool",
                "solo",
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    old = (celery_app.conf.task_always_eager, celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = redis_url
    celery_app.conf.task_default_queue = queue
    _reset_connections()
    try:
        yield proc, log
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url, celery_app.conf.task_default_queue = old
        _reset_connections()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _worker_env_from(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.WORKER_REDIS_URL,
        "CELERY_QUEUE": settings.WORKER_QUEUE,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SECRET_KEY": "worker-test-secret-key",
    }


def _reset_connections() -> None:
    """Drop pooled broker connections so the next send uses the current broker URL."""
    from kombu import pools

    pools.reset()  # kombu keeps connection pools in a global registry keyed by URL
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _wait_for(batch_id: int, log: Path, timeout: float = 90) -> ImportBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status not in ("pending", "processing"):
            return batch
        time.sleep(0.3)
    pytest.fail(f"batch {batch_id} still {batch.status} after {timeout}s; worker log:\n{log.read_text()[-3000:]}")


def test_a_real_worker_loads_an_upload_end_to_end(org, worker):
    _proc, log = worker
    assert django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    batch = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=40))), filename="w.csv")
    # Committed but not processed in this process: the worker does it.
    batch = _wait_for(batch.pk, log)
    assert batch.status == "loaded", batch.message
    assert batch.attempts == 1
    assert CaseRecord.objects.count() == 40
    assert sum(MonthlyAggregate.objects.values_list("cases", flat=True)) == 40
    assert "imports.process_batch" in log.read_text()


def test_a_message_delivered_twice_to_the_worker_loads_once(org, worker):
    _proc, log = worker
    batch = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=9))), filename="d.csv")
    from imports.tasks import process_batch

    process_batch.delay(batch.pk)  # a duplicate delivery of the same work
    batch = _wait_for(batch.pk, log)
    time.sleep(1.5)  # let the duplicate run too
    assert batch.status == "loaded"
    assert CaseRecord.objects.count() == 9
    assert ImportBatch.objects.get(pk=batch.pk).attempts == 1


def _start_worker(queue: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--pool",
                "solo",
                "-n",
                f"{queue}-{uuid.uuid4().hex[:4]}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_worker_killed_in_the_middle_of_an_import_loses_nothing_and_loads_once(org, worker, settings):
    """SIGKILL while the batch is half read: nothing half-loaded; the sweeper requeues it; a
    new worker loads it exactly once."""
    import signal

    from imports.services import import_batches_sweep

    proc, log = worker
    rows = [f"K{i},2026-03-{(i % 27) + 1:02d} 09:{i % 60:02d},phone,UF-01,{i % 500},,," for i in range(400_000)]
    batch = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(rows)), filename="stor.csv")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = ImportBatch.objects.get(pk=batch.pk)
        if current.status == "processing" and current.rows_read >= 50_000:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the worker never got going: {log.read_text()[-2000:]}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # The killed attempt's transaction died with its connection: not one row is visible.
    assert CaseRecord.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch.pk).status == "processing"
    time.sleep(2)  # PostgreSQL notices the dead connection and frees the batch's advisory lock
    env = {**os.environ, **_worker_env_from(settings)}
    replacement = _start_worker(celery_app.conf.task_default_queue, env, log)
    try:
        assert import_batches_sweep(stale_seconds=0) == [batch.pk]
        done = _wait_for(batch.pk, log, timeout=120)
        assert done.status == "loaded", done.message
        assert CaseRecord.objects.count() == 400_000
        assert sum(MonthlyAggregate.objects.values_list("cases", flat=True)) == 400_000
        assert done.attempts == 2
    finally:
        replacement.terminate()
        replacement.wait(timeout=30)


def test_an_upload_while_the_broker_is_down_is_kept_waiting_and_processed_when_it_is_back(
    org, worker, settings, finance_user
):
    from rest_framework.test import APIClient

    from imports.services import BROKER_DOWN_MESSAGE, import_batches_sweep
    from tests.conftest import uploaded_file

    _proc, log = worker
    real_broker = celery_app.conf.broker_url
    # Nothing listens on this port: the broker is "down" for the uploading web process.
    celery_app.conf.broker_url = "redis://127.0.0.1:6399/0"
    celery_app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
    _reset_connections()
    try:
        client = APIClient()
        client.force_authenticate(finance_user)
        response = client.post(
            "/api/v1/imports/upload/",
            {"file": uploaded_file(csv_bytes(good_rows(n=12))), "source": "Telefoni"},
            format="multipart",
        )
        assert response.status_code == 202
        status = client.get(response.json()["url"]).json()
        assert status["status"] == "pending" and status["message"] == BROKER_DOWN_MESSAGE
    finally:
        celery_app.conf.broker_url = real_broker
        celery_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        _reset_connections()
    # The broker is back: the sweeper sends the waiting batch and the worker loads it.
    batch_id = response.json()["id"]
    assert import_batches_sweep(stale_seconds=0) == [batch_id]
    assert _wait_for(batch_id, log).status == "loaded"
    assert CaseRecord.objects.count() == 12
