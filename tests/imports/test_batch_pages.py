"""The upload and batch pages in the site's own look: a rejected file's errors summarised by kind
and value, a few example rows per kind, the rest paged, the full report offered."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from imports.models import ImportBatch, ImportRowError
from tests.conftest import csv_bytes, good_rows, uploaded_file
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finance(finance_user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(finance_user)
    return client


def _bad_file(unknown: int, wrong_channel: int) -> bytes:
    rows = [f"U{i},2026-03-02 10:00,phone,BANK-PS,60,,," for i in range(unknown)]
    rows += [f"C{i},2026-03-02 10:00,fax,UF-01,60,,," for i in range(wrong_channel)]
    rows += [f"K{i},2026-03-02 10:00,phone,KORT-{i % 3},60,,," for i in range(4)]
    return csv_bytes(rows)


def test_the_batch_page_summarises_errors_by_kind_and_value_with_examples(org, finance):
    batch = run_import(org["source"], _bad_file(1200, 3), name="bank.csv")
    assert batch.status == "rejected"
    page = finance.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert 'id="error-summary"' in page and "admin/css" not in page  # the site's look, not the admin's
    # the kinds, largest first, with thousands spaces and the value that causes them
    assert "ärendegruppering: okänd ärendegrupperingskod – 1\u00a0204 rader" in page
    assert "<q>BANK-PS</q>: 1\u00a0200 rader" in page
    assert "<q>KORT-0</q>: 2 rader" in page
    assert "kanal: " in page and "3 rader" in page
    assert page.index("1\u00a0204 rader") < page.index("kanal: ")
    # three example rows per kind, one page of 100 rows, and the full report
    assert page.count('class="error-kind"') == 2
    assert "rad 2 (<q>BANK-PS</q>), rad 3 (<q>BANK-PS</q>), rad 4 (<q>BANK-PS</q>)" in page
    assert page.count('<tr><td class="num">') == 100
    assert "sida 1 av 13" in page
    assert reverse("imports:errors", args=[batch.pk, "xlsx"]) in page
    # technical detail one click away, in Swedish
    assert "<summary>Tekniska uppgifter</summary>" in page and batch.sha256 in page


def test_one_kind_of_error_is_paged_on_its_own(org, finance):
    batch = run_import(org["source"], _bad_file(150, 3), name="bank.csv")
    page = finance.get(reverse("imports:batch", args=[batch.pk]) + "?kind=2").content.decode()
    assert "Rader med kanal: " in page
    assert page.count('<tr><td class="num">') == 3
    page = finance.get(reverse("imports:batch", args=[batch.pk]) + "?kind=1&page=2").content.decode()
    assert "sida 2 av 2" in page and page.count('<tr><td class="num">') == 54


def test_the_summary_says_when_fewer_errors_are_kept_than_rows_were_rejected(org, finance, settings):
    settings.IMPORT_STORED_ERRORS = 50
    batch = run_import(org["source"], _bad_file(200, 0), name="bank.csv")
    assert batch.rows_rejected == 204 and ImportRowError.objects.filter(batch=batch).count() == 50
    page = finance.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "de 50 rader vars fel sparas; 204 rader hade fel" in page


def test_finance_uploads_on_the_sites_own_page_and_lands_on_the_batch_page(org, finance):
    page = finance.get(reverse("imports:upload")).content.decode()
    assert "Ladda upp ärendelogg" in page and 'id="upload-form"' in page and "admin/css" not in page
    response = finance.post(
        reverse("imports:upload"),
        {"file": uploaded_file(csv_bytes(good_rows(n=4))), "source": "Telefoni", "kind": "cases", "month": ""},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch", args=[batch.pk])
    page = finance.get(response["Location"]).content.decode()
    assert batch.status == "loaded" and "import-progress" in page
    listing = finance.get(reverse("imports:batches")).content.decode()
    assert f'href="/import/{batch.pk}/"' in listing


def test_the_import_pages_are_for_finance_staff_only(org, head_user, steering_user):
    batch = run_import(org["source"], _bad_file(2, 0), name="bank.csv")
    for user in (head_user, steering_user):
        client = Client()
        client.force_login(user)
        for url in (reverse("imports:upload"), reverse("imports:batches"), reverse("imports:batch", args=[batch.pk])):
            assert client.get(url).status_code == 403
