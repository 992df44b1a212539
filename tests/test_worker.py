"""A real `celery worker` process against the real Redis broker and PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
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
from config.celery import queue_names
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
    log = _worker_log(settings)
    proc = _start_worker(queue, {**os.environ, **_worker_env_from(settings)}, log)
    with _producer_sending_to(redis_url, queue):
        try:
            yield proc, log
        finally:
            _stop(proc)


def _worker_log(settings) -> Path:  # type: ignore[no-untyped-def]
    """An empty log file for this test's workers (a replacement worker appends to it)."""
    log = Path(settings.MEDIA_ROOT).parent / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    return log


@contextlib.contextmanager
def _producer_sending_to(broker_url: str, queue: str):  # type: ignore[no-untyped-def]
    """Within the block, tasks sent by this process go to a real broker and queue, not eagerly."""
    old = (celery_app.conf.task_always_eager, celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_default_queue = queue
    _reset_connections()
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url, celery_app.conf.task_default_queue = old
        _reset_connections()


def _stop(proc: subprocess.Popen[bytes]) -> None:
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


def _start_worker(queue: str, env: dict[str, str], log: Path, queues: str = "") -> subprocess.Popen[bytes]:
    """A worker of the deployment whose default queue is `queue`: every one of its queues, or only
    `queues` (comma-separated) to run a worker per kind of work."""
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
                queues or ",".join(queue_names(queue)),
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


def _backend_waiting_on(table: str, timeout: float = 60) -> None:
    """Wait until some backend is blocked on a lock while writing to the table."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
                [f"%{table}%"],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail(f"no backend ever waited on {table}")


def _blocker(table: str):  # type: ignore[no-untyped-def]
    """A separate connection holding a lock that makes writers of `table` wait inside their transaction."""
    import psycopg

    conn = psycopg.connect(_database_url())
    conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
    return conn


def test_a_worker_killed_in_the_middle_of_a_publication_publishes_it_exactly_once(org, worker, settings):
    """SIGKILL while the publication's transaction is open: nothing is published; the sweeper
    resends the request; the new worker publishes it once, as version 1."""
    import signal

    from allocation.models import Publication, PublicationRequest
    from allocation.publications.publishing import publication_request_create, publication_requests_sweep
    from cases.models import Administration

    proc, log = worker
    batch = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=30))), filename="p.csv")
    assert _wait_for(batch.pk, log).status == "loaded"
    month = CaseRecord.objects.values_list("month", flat=True).first()
    blocker = _blocker("allocation_publicationfile")
    try:
        request = publication_request_create(month=month, reason="test")  # sent to the worker on commit
        _backend_waiting_on("allocation_publicationfile")  # the publication row is written, not committed
        assert PublicationRequest.objects.get(pk=request.pk).status == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        blocker.close()
    time.sleep(2)  # the dead worker's backend finds its client gone and rolls back
    assert not Publication.objects.exists()
    assert PublicationRequest.objects.get(pk=request.pk).status == "running"
    env = {**os.environ, **_worker_env_from(settings)}
    replacement = _start_worker(celery_app.conf.task_default_queue, env, log)
    try:
        assert publication_requests_sweep(stale_seconds=0) == [request.pk]
        deadline = time.monotonic() + 90
        while PublicationRequest.objects.get(pk=request.pk).status == "running" and time.monotonic() < deadline:
            time.sleep(0.3)
        done = PublicationRequest.objects.get(pk=request.pk)
        assert done.status == "done", (done.status, done.message, log.read_text()[-2000:])
        assert done.attempts == 2
        # Resent again by an impatient sweeper: still the one publication.
        assert publication_requests_sweep(stale_seconds=0) == []
        publication = Publication.objects.get()
        assert (publication.month, publication.version) == (month, 1)
        assert publication.files.count() == 4 + 3 * Administration.objects.count()
        assert float(publication.figures["overview"]["kpis"]["cases"]) == 30
    finally:
        replacement.terminate()
        replacement.wait(timeout=30)


def _pg_restart_command() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW cluster_name")
        cluster = cursor.fetchone()[0]  # Debian names it "15/main"
    if not (shutil.which("pg_ctlcluster") and "/" in cluster and os.geteuid() == 0):
        from tests.conftest import service_missing

        service_missing(f"cannot restart PostgreSQL here (pg_ctlcluster as root, cluster {cluster!r})")
    version, name = cluster.split("/", 1)
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart", "-m", "fast"]


def test_postgresql_restarted_during_a_recompute_the_run_is_retried_and_completes(org, worker, settings):
    """The worker's run is inside its transaction when PostgreSQL restarts (fast: every
    connection is cut). The task retries; exactly one run is recorded, and it adds up."""
    from decimal import Decimal

    from django.db import connections

    from allocation.models import AllocationKey, AllocationRun, CostPool, KeyShare, RunAmount
    from allocation.tasks import run_pool

    restart = _pg_restart_command()
    _proc, log = worker
    key = AllocationKey.objects.create(name="Fast", kind="fixed", valid_from="2026-01-01")
    for code, share in [("UF", "0.5"), ("SOF", "0.3"), ("TF", "0.2")]:
        KeyShare.objects.create(key=key, administration=org[code], load=Decimal(share), share=Decimal(share))
    from tests.conftest import approve_key

    approve_key(key)
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1000000.00"), key=key)
    blocker = _blocker("allocation_runamount")
    try:
        run_pool.delay(pool.pk)
        _backend_waiting_on("allocation_runamount")  # the run row is written, its amounts wait
        subprocess.run(restart, check=True, timeout=120, capture_output=True)
    finally:
        with contextlib.suppress(Exception):  # the restart already cut it
            blocker.close()
        connections.close_all()
    deadline = time.monotonic() + 120
    runs = 0
    while time.monotonic() < deadline:
        try:
            runs = AllocationRun.objects.filter(pool=pool).count()
        except Exception:  # PostgreSQL still starting up
            connections.close_all()
        if runs:
            break
        time.sleep(0.5)
    assert runs == 1, log.read_text()[-3000:]
    run = AllocationRun.objects.get(pool=pool)
    annual = dict(RunAmount.objects.filter(run=run, month=None).values_list("administration__code", "amount"))
    assert annual == {"UF": Decimal("500000.00"), "SOF": Decimal("300000.00"), "TF": Decimal("200000.00")}
    assert RunAmount.objects.filter(run=run).exclude(month=None).count() == 36
    text = log.read_text()
    assert "allocation.run_pool" in text and "Retry in" in text, text[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_connect_timeout=1).ping()
            return proc
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("a private redis-server did not start")


def test_redis_stopped_while_a_user_uploads_the_upload_waits_and_is_processed_when_it_is_back(
    org, postgres, settings, finance_user
):
    """A Redis server of the test's own (the shared one is left alone) is stopped for real while
    a finance officer uploads: the file is kept, the page says it waits, and once Redis is back
    the sweeper sends it and the worker loads it."""
    from rest_framework.test import APIClient

    from imports.services import BROKER_DOWN_MESSAGE, import_batches_sweep
    from tests.conftest import uploaded_file

    if not shutil.which("redis-server"):
        from tests.conftest import service_missing

        service_missing("redis-server is not installed")
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port)
    settings.WORKER_QUEUE = f"test-{uuid.uuid4().hex[:8]}"
    settings.WORKER_REDIS_URL = broker
    log = _worker_log(settings)
    proc = _start_worker(settings.WORKER_QUEUE, {**os.environ, **_worker_env_from(settings)}, log)
    try:
        with _producer_sending_to(broker, settings.WORKER_QUEUE):
            server.terminate()  # Redis stops
            server.wait(timeout=10)
            client = APIClient()
            client.force_authenticate(finance_user)
            started = time.monotonic()
            response = client.post(
                "/api/v1/imports/upload/",
                {"file": uploaded_file(csv_bytes(good_rows(n=12))), "source": "Telefoni"},
                format="multipart",
            )
            waited = time.monotonic() - started
            assert response.status_code == 202, response.content
            assert waited < 30, f"the upload hung for {waited:.0f} s while Redis was down"
            status = client.get(response.json()["url"]).json()
            assert status["status"] == "pending" and status["message"] == str(BROKER_DOWN_MESSAGE)
            batch_id = response.json()["id"]
            assert ImportBatch.objects.get(pk=batch_id).file  # the file itself is kept
            server = _redis_server(port)  # Redis is back, on the same address
            _reset_connections()
            assert import_batches_sweep(stale_seconds=0) == [batch_id]
            batch = _wait_for(batch_id, log, timeout=120)
            assert batch.status == "loaded", batch.message
            assert CaseRecord.objects.count() == 12
    finally:
        _stop(proc)
        server.terminate()
        server.wait(timeout=10)


def test_a_publication_does_not_wait_behind_a_long_import(org, postgres, redis_url, settings):
    """Two real workers as in production, one on the imports queue and one on the publications
    (and default and mail) queues: a month is published while a 1,000,000-row import is still
    being read. With one queue the publication would wait until the import had finished."""
    from allocation.models import PublicationRequest
    from allocation.publications.publishing import publication_request_create
    from cases.months import parse_year_month

    base = f"test-{uuid.uuid4().hex[:8]}"
    settings.WORKER_QUEUE, settings.WORKER_REDIS_URL = base, redis_url
    log = _worker_log(settings)
    env = {**os.environ, **_worker_env_from(settings)}
    importer = _start_worker(base, env, log, queues=f"{base}.imports")
    publisher = _start_worker(base, env, log, queues=f"{base},{base}.publications,{base}.mail")
    try:
        with _producer_sending_to(redis_url, base):
            small = import_batch_create(
                source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=30))), filename="mars.csv"
            )
            assert _wait_for(small.pk, log).status == "loaded"
            rows = [
                f"L{i},2026-04-{(i % 28) + 1:02d} 09:{i % 60:02d},phone,UF-01,{i % 500},,," for i in range(1_000_000)
            ]
            big = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(rows)), filename="april.csv")
            deadline = time.monotonic() + 120
            while ImportBatch.objects.get(pk=big.pk).status != "processing" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert ImportBatch.objects.get(pk=big.pk).status == "processing", log.read_text()[-2000:]
            march = parse_year_month(ImportBatch.objects.get(pk=small.pk).months[0])
            assert march is not None
            request = publication_request_create(month=march, reason="test")
            deadline = time.monotonic() + 120
            while PublicationRequest.objects.get(pk=request.pk).status != "done" and time.monotonic() < deadline:
                time.sleep(0.1)
            published = PublicationRequest.objects.get(pk=request.pk)
            import_then = ImportBatch.objects.get(pk=big.pk)
            assert published.status == "done", (published.status, published.message, log.read_text()[-2000:])
            assert import_then.status == "processing", "the import finished first: nothing was shown"
            done = _wait_for(big.pk, log, timeout=300)
            assert done.status == "loaded", done.message
            assert published.finished_at < done.finished_at
    finally:
        _stop(importer)
        _stop(publisher)
