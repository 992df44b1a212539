"""A finance officer's whole month in a real browser, without the admin and without a terminal:
a new export system connected through the profile form from a sample of the anonymous bank
export, its log uploaded, the error summary of the refused file read, the grouping map fixed on
the map upload page, the log uploaded again, the month published, and the department head's page."""

from __future__ import annotations

import pytest

from cases.models import DataSource
from imports.models import ImportBatch
from tests.conftest import browser_login
from tests.imports.test_profile_form import BANK, fill_bank_form, read_bank_sample_in_the_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The bank's call types, placed under this municipality's administrations (the map file's Swedish headers).
MAP_FILE = "ärendegruppering;namn;förvaltning;giltig_från\n" + "".join(
    f"BANK-{code};Banken {code};{admin};2026-01-01\n"
    for code, admin in (("PS", "UF"), ("NW", "SOF"), ("NE", "TF"), ("PE", "TF"), ("IN", "TF"), ("TT", "TF"))
)


def _upload(page, base: str, path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/")
    page.click("text=Ladda upp en ärendelogg")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_source", "Banken")
    page.click("#upload-submit")
    page.wait_for_selector("#batch-facts")
    page.wait_for_function(
        "() => ['inläst', 'avvisad'].some(w => document.getElementById('import-state').innerText.includes(w))"
        " && document.getElementById('import-progress').value == 100",
        timeout=30_000,
    )


def test_a_finance_officer_does_the_whole_month_in_the_browser_and_the_head_reads_it(
    org, live_server, browser, finance_user, head_user, tmp_path
):
    base = live_server.url
    # A cut of the real export: its header and the first 300 calls (1–4 February), moved from
    # 1999 to 2026, when this municipality's administrations exist.
    with BANK.open(encoding="utf-8") as fh:
        lines = [fh.readline() for _ in range(301)]
    cut = [lines[0]] + ["\t".join([*f[:5], "26" + f[5][2:], *f[6:]]) for f in (line.split("\t") for line in lines[1:])]
    log = tmp_path / "bank-februari.txt"
    log.write_text("".join(cut), encoding="utf-8")
    page = browser.new_page()
    browser_login(page, base, "ekonom")

    # 1. The export system registered on Datakällor; it does not claim monthly deliveries.
    page.click("text=Datakällor")
    page.fill("#id_name", "Banken")
    assert not page.is_checked("#id_delivers_monthly")
    page.click("#source-form button[type=submit]")
    page.click("#sources a:text-is('Banken')")
    # 2. Its profile built from a sample: drop-downs of the sample's headers, no JSON written.
    page.click("#profile-form-link")
    read_bank_sample_in_the_form(page, tmp_path)
    fill_bank_form(page)
    page.click("#profile-save")
    page.wait_for_selector("text=Profilen för Banken är sparad.")
    assert DataSource.objects.get(name="Banken").profile["columns"]["grouping"] == "type"

    # 3. The log uploaded: refused, every row's grouping unknown, told as a summary by kind and value.
    _upload(page, base, log)
    assert "avvisad" in page.inner_text("#import-state")
    page.wait_for_selector("#error-summary")
    summary = page.inner_text("#error-summary")
    assert "okänd ärendegrupperingskod" in summary and "299 rader" in summary
    assert "BANK-PS" in summary and "224 rader" in summary  # the phantom call is skipped, not an error
    assert page.locator("#error-rows tbody tr").count() >= 1

    # 4. The map fixed in the web: the summary leads to the map upload page.
    page.click("#error-summary .fix-map a")
    map_path = tmp_path / "karta.csv"
    map_path.write_text(MAP_FILE, encoding="utf-8")
    page.set_input_files("#map-file", str(map_path))
    with page.expect_navigation():
        page.click("#map-upload-submit")
    page.wait_for_selector("#map-upload-result")
    assert "6 rader" in page.inner_text("#map-upload-result")

    # 5. The same log uploaded again: loaded.
    _upload(page, base, log)
    assert "inläst" in page.inner_text("#import-state")
    assert ImportBatch.objects.filter(status="loaded").count() == 1

    # 6. The month published from the start page; its statistics page says so.
    page.goto(f"{base}/")
    page.click("#publish-months button[value='2026-02']")
    page.wait_for_url(f"{base}/statistik/2026-02/")
    assert "februari 2026 är publicerad (version 1)" in page.inner_text("main")

    # 7. The department head of UF reads their month: the bank's answered PS calls are theirs.
    head = browser.new_page()
    browser_login(head, base, "chef.uf")
    head.click("a[href='/statistik/2026-02/UF/']")
    head.wait_for_selector("#charge")
    text = head.inner_text("main")
    assert "Utbildningsförvaltningen" in text and "februari 2026" in text
    groupings = head.inner_text("#groupings")
    assert "BANK-PS" in groupings and "181" in groupings and "BANK-NW" not in groupings
