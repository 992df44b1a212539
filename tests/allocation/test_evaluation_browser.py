"""The yearly evaluation in a real browser (Playwright driving Debian's Chromium, the fixtures of
tests/conftest.py): finance staff open it, choose a year, write the text, and download the
workbook and the PDF."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_finance_chooses_a_year_edits_the_text_and_downloads_the_report(published, live_server, browser, tmp_path):
    from openpyxl import load_workbook

    from cases.models import AuditEntry

    page = browser.new_page(accept_downloads=True)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "ekonom")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.site-nav >> text=Årlig utvärdering")
    page.select_option("#evaluation-year", "2026")
    page.click("#year-chooser button")
    page.wait_for_url(f"{live_server.url}/allocation/utvardering/2026/")
    assert page.inner_text("h1") == "Utvärderingen av 2026"
    assert "Utkast framtaget ur data" in page.inner_text("#text-by")
    assert page.locator("#section-costs table").count() == 3
    page.fill("#id_text", "Kontaktcentret nådde sina mål 2026.\n\nStyrgruppen föreslås behålla modellen.")
    page.click("#text-form button[type=submit]")
    page.wait_for_selector("#text-by")
    assert "Kontaktcentret nådde sina mål 2026." in page.inner_text("#evaluation-text")
    assert "Skriven av ekonom" in page.inner_text("#text-by")
    assert AuditEntry.objects.filter(object_type="evaluation_text", action="evaluation_text.create").count() == 1

    with page.expect_download() as download:
        page.click("#evaluation-xlsx")
    workbook = tmp_path / "utvardering.xlsx"
    download.value.save_as(workbook)
    wb = load_workbook(workbook)
    assert wb.sheetnames[0] == "Text"
    assert wb["Text"]["A4"].value == "Kontaktcentret nådde sina mål 2026."

    with page.expect_download(timeout=90_000) as download:
        page.click("#evaluation-pdf")
    pdf = tmp_path / "utvardering.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
