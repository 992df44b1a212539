"""Publication requests: published exactly once however often delivered; lost ones swept up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from allocation.models import Publication, PublicationRequest
from allocation.publications.publishing import (
    PUBLISH_BROKER_DOWN_MESSAGE,
    publication_request_create,
    publication_request_process,
    publication_requests_sweep,
)
from allocation.tasks import publish_request, sweep_stuck_publications
from tests.allocation.conftest import MARCH

pytestmark = pytest.mark.django_db(transaction=True)


def _age(request: PublicationRequest, *, minutes: int, field: str = "requested_at") -> None:
    PublicationRequest.objects.filter(pk=request.pk).update(**{field: timezone.now() - timedelta(minutes=minutes)})


def test_a_request_delivered_three_times_publishes_once(volumes):
    request = publication_request_create(month=MARCH, reason="test", send=False)
    first = publication_request_process(request_id=request.pk)
    again = publication_request_process(request_id=request.pk)
    third = publish_request.delay(request.pk).get()
    assert first is not None and again == first and third == first.pk
    assert Publication.objects.filter(month=MARCH).count() == 1
    request.refresh_from_db()
    assert (request.status, request.publication_id, request.attempts) == ("done", first.pk, 1)
    assert request.finished_at is not None


def test_a_request_is_sent_on_commit_and_published(volumes):
    request = publication_request_create(month=MARCH)  # tasks run in-process in the test settings
    request.refresh_from_db()
    assert request.status == "done"
    assert request.publication is not None and request.publication.files.count() > 0


def test_two_deliveries_at_the_same_moment_publish_once(volumes, postgres):
    request = publication_request_create(month=MARCH, send=False)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(publication_request_process(request_id=request.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and results[0] == results[1]
    assert Publication.objects.filter(month=MARCH).count() == 1


def test_a_lost_message_is_found_by_the_sweeper_and_published_once(volumes):
    request = publication_request_create(month=MARCH, send=False)  # created, but its message never arrives
    assert publication_requests_sweep(stale_seconds=600) == []  # not late yet
    _age(request, minutes=11)
    assert sweep_stuck_publications.delay().get() == [request.pk]
    request.refresh_from_db()
    assert request.status == "done"
    assert publication_requests_sweep(stale_seconds=0) == []  # nothing left behind
    assert Publication.objects.filter(month=MARCH).count() == 1


def test_a_worker_that_died_while_publishing_is_found_by_the_sweeper(volumes):
    request = publication_request_create(month=MARCH, send=False)
    # What a SIGKILLed worker leaves: running, one attempt, no publication (its transaction died).
    PublicationRequest.objects.filter(pk=request.pk).update(
        status="running", attempts=1, started_at=timezone.now() - timedelta(minutes=30)
    )
    assert publication_requests_sweep(stale_seconds=600) == [request.pk]
    request.refresh_from_db()
    assert (request.status, request.attempts) == ("done", 2)
    assert Publication.objects.filter(month=MARCH).count() == 1


def test_a_request_waits_while_the_broker_is_down_and_says_so(volumes, finance_user, monkeypatch):
    from kombu.exceptions import OperationalError

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as m:
        m.setattr(publish_request, "delay", broker_down)
        request = publication_request_create(month=MARCH, user=finance_user, reason="test")
    request.refresh_from_db()
    assert (request.status, request.message) == ("pending", PUBLISH_BROKER_DOWN_MESSAGE)
    client = Client()
    client.force_login(finance_user)
    page = client.get("/statistik/").content.decode()
    assert "2026-03" in page and "väntar" in page.lower() and str(PUBLISH_BROKER_DOWN_MESSAGE) in page
    assert 'http-equiv="refresh"' in page  # the page follows the work by itself
    # A second ask for the same month while the first waits is the same request.
    assert publication_request_create(month=MARCH, send=False).pk == request.pk
    _age(request, minutes=11)
    assert publication_requests_sweep() == [request.pk]  # the broker is back
    request.refresh_from_db()
    assert request.status == "done"
    page = client.get("/statistik/").content.decode()
    assert "publication-requests" not in page and 'http-equiv="refresh"' not in page


def test_a_failure_is_recorded_shown_and_not_retried_by_the_sweeper(volumes, finance_user, monkeypatch):
    import allocation.publications.publishing

    def broken(month: object) -> dict[str, object]:
        raise ValueError("figurerna kunde inte räknas")

    request = publication_request_create(month=MARCH, send=False)
    with monkeypatch.context() as m:
        m.setattr(allocation.publications.publishing, "month_figures", broken)
        with pytest.raises(ValueError):
            publication_request_process(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "failed" and "figurerna kunde inte räknas" in request.message
    assert not Publication.objects.exists()
    _age(request, minutes=60, field="started_at")
    assert publication_requests_sweep(stale_seconds=0) == []  # a failure waits for a person
    assert publication_request_process(request_id=request.pk) is None
    client = Client()
    client.force_login(finance_user)
    page = client.get("/statistik/").content.decode()
    assert "Publiceringen misslyckades" in page and 'http-equiv="refresh"' not in page
    # Asking again makes a new request, which publishes.
    again = publication_request_create(month=MARCH)
    again.refresh_from_db()
    assert again.pk != request.pk and again.status == "done"


def test_the_command_publishes_through_a_request(published):
    call_command("publish_month", "2026-03")
    request = PublicationRequest.objects.get(reason="publish_month")
    assert request.status == "done" and request.publication is not None
    assert request.publication.version == 2


def test_a_corrected_import_asks_for_the_month_to_be_republished(published, volumes):
    from tests.conftest import csv_bytes
    from tests.imports.helpers import run_import

    batch = run_import(
        volumes["source"], csv_bytes(["R1,2026-03-09 10:00,phone,UF-01,10,,,"]), name="r.csv", replace=True
    )
    request = PublicationRequest.objects.get(month=MARCH)
    assert request.status == "done" and f"batch {batch.pk}" in request.reason
    assert request.publication is not None and request.publication.version == 2


def test_a_publication_that_rolls_back_leaves_no_stray_files(volumes, settings, monkeypatch):
    from pathlib import Path

    import allocation.publications.publishing

    folder = Path(settings.MEDIA_ROOT) / "publications"
    before = set(folder.glob("*")) if folder.exists() else set()

    def audit_fails(**kwargs: object) -> None:
        raise RuntimeError("the audit log is full")

    request = publication_request_create(month=MARCH, send=False)
    with monkeypatch.context() as m:
        m.setattr(allocation.publications.publishing, "audit_record", audit_fails)
        with pytest.raises(RuntimeError):
            publication_request_process(request_id=request.pk)
    assert not Publication.objects.exists()
    assert (set(folder.glob("*")) if folder.exists() else set()) == before
    request.refresh_from_db()
    assert request.status == "failed" and "the audit log is full" in request.message
