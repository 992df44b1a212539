"""Finance staff publish a month from the web (the statistics list, the start page, the month's own
URL); everyone else reads that an unpublished month is not out yet, in Swedish."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from allocation.models import Publication, PublicationRequest
from cases.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_statistics_list_offers_finance_staff_to_publish_each_unpublished_month(volumes, finance):
    page = finance.get("/statistik/").content.decode()
    assert 'id="unpublished"' in page
    assert "Publicera mars 2026" in page and "Publicera april 2026" in page


def test_finance_publishes_a_month_from_the_web_through_a_publication_request(volumes, finance, finance_user):
    response = finance.post("/statistik/publicera/", {"month": "2026-04"}, follow=True)
    assert response.status_code == 200
    publication = Publication.objects.get(month=date(2026, 4, 1))
    assert publication.version == 1 and publication.created_by == finance_user
    request = PublicationRequest.objects.get(month=date(2026, 4, 1))
    assert (request.status, request.requested_by) == ("done", finance_user)
    assert AuditEntry.objects.filter(action="publication.create", object_id=str(publication.pk)).exists()
    page = response.content.decode()
    assert "april 2026 är publicerad (version 1)" in page
    # and again: a new version, never an edit of the first
    page = finance.post("/statistik/publicera/", {"month": "2026-04"}, follow=True).content.decode()
    assert "Publicera april 2026 igen" in page
    assert sorted(Publication.objects.filter(month=date(2026, 4, 1)).values_list("version", flat=True)) == [1, 2]


def test_the_start_page_has_a_publish_button_for_every_unpublished_month(volumes, finance):
    page = finance.get("/").content.decode()
    assert 'id="publish-months"' in page
    assert page.count('action="/statistik/publicera/"') == 2


def test_publishing_a_month_without_data_is_refused_with_a_reason_and_changes_nothing(volumes, finance):
    page = finance.post("/statistik/publicera/", {"month": "2025-01"}, follow=True).content.decode()
    assert "januari 2025 har inga inlästa ärenden" in page
    page = finance.post("/statistik/publicera/", {"month": "jan"}, follow=True).content.decode()
    assert "Välj en månad att publicera" in page
    assert not PublicationRequest.objects.exists() and not Publication.objects.exists()


def test_only_finance_staff_may_publish(volumes, steering_user, head_user):
    for user in (steering_user, head_user):
        client = Client()
        client.force_login(user)
        assert client.post("/statistik/publicera/", {"month": "2026-03"}).status_code == 403
        assert client.get("/statistik/publicera/").status_code in (403, 405)
    assert not Publication.objects.exists()


def test_an_unpublished_months_url_says_so_in_swedish_with_the_action_for_finance(volumes, finance, head_user):
    response = finance.get("/statistik/2026-04/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "april 2026 är inte publicerad" in page and "Not Found" not in page
    assert "Publicera april 2026" in page
    head = Client()
    head.force_login(head_user)
    response = head.get("/statistik/2026-04/UF/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "april 2026 är inte publicerad" in page and "Publicera" not in page
    assert "Ekonomienheten publicerar" in page


def test_a_published_month_offers_finance_staff_to_publish_it_again(volumes, finance):
    from allocation.publications.publishing import publication_create

    publication_create(month=date(2026, 3, 1))
    page = finance.get("/statistik/2026-03/").content.decode()
    assert 'id="republish"' in page and "Publicera mars 2026 igen" in page
