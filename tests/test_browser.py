"""Pages in a real browser: Playwright driving Debian's Chromium against the live server."""

from __future__ import annotations

from datetime import date

import pytest

from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey
from tests.conftest import browser_login as _login
from tests.conftest import make_user
from tests.conftest import measured_key as _key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_steering_group_approves_a_proposed_key_in_the_browser(volumes, live_server, browser, finance_user):
    steering = make_user("sg.browser", "steering_group", staff=True)
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    page = browser.new_page(locale="en-US")
    _login(page, live_server.url, "sg.browser")
    assert "Välkommen" in page.content()  # Swedish although the browser asks for English
    page.click("text=Fördelningsnycklar: granska, jämför och godkänn")
    page.click(f"text={key.name}")
    assert page.locator("#shares tbody tr").count() == 3
    page.fill("#decision-form input[name=comment]", "Godkänd i webbläsaren")
    page.click("#decision-form button[value=approved]")
    page.wait_for_selector("#key-status")
    assert page.inner_text("#key-status") == "godkänd"
    key.refresh_from_db()
    assert (key.status, key.decided_by) == ("approved", steering)
    assert key.decisions.get(to_status="approved").comment == "Godkänd i webbläsaren"
    assert key.valid_from == date(2027, 1, 1)


def test_finance_uploads_a_file_and_sees_the_progress_reach_done(org, live_server, browser, finance_user, tmp_path):
    from tests.conftest import csv_bytes, good_rows

    path = tmp_path / "mars.csv"
    path.write_bytes(csv_bytes(good_rows(n=25)))
    page = browser.new_page()
    _login(page, live_server.url, "ekonom")
    page.goto(f"{live_server.url}/admin/imports/importbatch/upload/")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_source", "Telefoni")
    page.click("input[type=submit]")
    page.wait_for_function("document.getElementById('import-progress')?.value == 100")
    assert "inläst" in page.inner_text("#import-state")
    assert "25 rader laddades" in page.inner_text("#import-message")
    assert AllocationKey.objects.count() == 0


def test_a_department_head_reads_their_month_sees_charts_and_downloads_matching_excel(
    volumes,
    live_server,
    browser,
    head_user,
    tmp_path,
):
    from decimal import Decimal

    from openpyxl import load_workbook

    from allocation.publications.publishing import publication_create

    publication_create(month=date(2026, 3, 1))
    page = browser.new_page()
    _login(page, live_server.url, "chef.uf")
    links = page.locator("a[href^='/statistik/2026-03/']").all_inner_texts()
    assert "UF" in links and "SOF" not in links  # only their own administration
    page.click("#latest-statistics")
    page.wait_for_selector("#administrations")
    # Every chart image loaded and has a size.
    # Every chart image loads and has a size (waiting for the images, not only the page).
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=15000,
    )
    page.click("text=UF Utbildningsförvaltningen")
    page.wait_for_selector("#charge")
    shown_share = page.get_attribute("#share-month", "data-value")
    # Every chart image loads and has a size (waiting for the images, not only the page).
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=15000,
    )
    with page.expect_download() as download_info:
        page.click("#download-administration")
    path = tmp_path / "uf.xlsx"
    download_info.value.save_as(path)
    summary = {r[0]: r[1] for r in load_workbook(path)["Sammanfattning"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert Decimal(str(summary["Andel av samfinansierade ärenden, månaden (%)"])) == Decimal(shown_share)
    assert page.goto(f"{live_server.url}/statistik/2026-03/SOF/").status == 403


def test_every_page_carries_a_csp_without_inline_script_and_the_api_docs_render_under_it(
    org, live_server, browser, finance_user
):
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    _login(page, live_server.url, "ekonom")
    response = page.goto(f"{live_server.url}/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    page.goto(f"{live_server.url}/admin/imports/importbatch/upload/")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    assert "Kontaktcenter" in page.inner_text(".swagger-ui .info")
    assert violations == []


def test_the_whole_finance_cycle_runs_in_the_browser(org, live_server, browser, finance_user, steering_user, tmp_path):
    """Source with a profile → two months uploaded → measured key computed and proposed →
    approved by the steering group → pool and charging run → the run's workbook downloaded.
    No terminal, no API call, no raw admin form."""
    from openpyxl import load_workbook

    from allocation.models import AllocationRun, CostPool

    base = live_server.url
    GROUPINGS = ["UF-01", "SOF-01", "TF-01", "SPLIT-01"]
    page = browser.new_page()
    _login(page, base, "ekonom")
    # 1. A new export system whose headers and dates are its own.
    page.click("text=Datakällor")
    page.fill("#id_name", "Nya telefonin")
    page.fill(
        "#id_profile",
        '{"columns": {"case_id": "Ref", "opened_at": "Tid", "grouping": "Typ", "channel": "Väg"}, '
        '"date_format": "%d/%m/%Y %H:%M"}',
    )
    page.click("#source-form button[type=submit]")
    page.wait_for_selector("text=Nya telefonin")
    # 2. Two months of its log, uploaded on the upload page.
    for month, count in (("03", 12), ("04", 9)):
        path = tmp_path / f"tele-2026-{month}.csv"
        rows = [
            f"R{month}{i},{(i % 27) + 1:02d}/{month}/2026 09:{i:02d},{GROUPINGS[i % 4]},phone" for i in range(count)
        ]
        path.write_text("Ref,Tid,Typ,Väg\n" + "\n".join(rows) + "\n", encoding="utf-8")
        page.goto(f"{base}/")
        page.click("text=Ladda upp en ärendelogg")
        page.set_input_files("#id_file", str(path))
        page.select_option("#id_source", "Nya telefonin")
        page.click("#upload-submit")  # the site's own upload page, not the admin's
        page.wait_for_function("document.getElementById('import-progress')?.value == 100")
        assert f"{count} rader laddades" in page.inner_text("#import-message")
    # 3. A measured key: checked first, then saved, then proposed.
    page.goto(f"{base}/")
    page.click("text=Beräkna en uppmätt nyckel")
    page.fill("#id_name", "Uppmätt 2027")
    page.fill("#id_window_from", "2026-03")
    page.fill("#id_window_to", "2026-04")
    page.select_option("#id_basis", "cases")
    page.fill("#id_valid_from", "2027-01-01")
    page.click("#key-form button[name=check]")
    page.wait_for_selector("#key-preview")
    page.click("#save-key")
    page.wait_for_selector("#key-status")
    page.fill("#decision-form input[name=comment]", "Förslag inför 2027")
    page.click("#decision-form button[value=proposed]")
    page.wait_for_selector("#key-status")
    assert page.inner_text("#key-status") == "föreslagen"
    key_url = page.url
    # 4. The steering group approves (the proposer could not).
    other = browser.new_page()
    _login(other, base, "styrgrupp")
    other.click("#awaiting-decision a")
    other.click("#decision-form button[value=approved]")
    other.wait_for_selector("#key-status")
    assert other.inner_text("#key-status") == "godkänd"
    # 5. The pool, a preview of its charging run, the run, its workbook.
    page.goto(key_url)
    page.goto(f"{base}/")
    page.click("text=Kostnadspooler och debiteringar")
    page.fill("#id_name", "Medfinansiering")
    page.fill("#id_year", "2027")
    page.fill("#id_gross", "1 200 000,00")
    page.fill("#id_funding", "Växeln; 200 000")
    page.select_option("#id_key", label=page.locator("#id_key option", has_text="Uppmätt 2027").inner_text())
    page.check("#id_is_co_financing")
    page.click("#pool-form button[type=submit]")
    page.wait_for_selector("#pool-net")
    assert "1\u00a0000\u00a0000,00" in page.inner_text("#pool-net") or "1 000 000,00" in page.inner_text("#pool-net")
    page.click("#run-preview-link")
    page.wait_for_selector("#preview")
    page.click("#run-form button")
    page.wait_for_selector("#run-amounts")
    run = AllocationRun.objects.get()
    assert run.is_charging and run.pool == CostPool.objects.get(name="Medfinansiering")
    with page.expect_download() as download:
        page.click("#run-excel")
    path = tmp_path / "run.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet.max_row > 1
    # 6. The posting profile, then the run's vouchers as the SIE file the ledger imports.
    run_url = page.url
    page.goto(f"{base}/allocation/konteringsprofil/")
    page.fill("#id_charge_account", "7691")
    page.fill("#id_credit_account", "3691")
    page.fill("#id_centre_cost_centre", "1050")
    page.click("#posting-profile-form button[type=submit]")
    page.goto(run_url)
    with page.expect_download() as download:
        page.click("#postings-sie")
    sie_path = tmp_path / "run.se"
    download.value.save_as(sie_path)
    from tests.allocation.test_postings import read_sie

    vouchers = read_sie(sie_path.read_bytes())["vouchers"]
    assert len(vouchers) == 12 and all(sum(a for _acc, _cc, a in v["rows"]) == 0 for v in vouchers)


def test_the_decision_memo_prints_to_pdf(volumes, live_server, browser, steering_user, tmp_path):
    """Chromium prints the memo: A4 pages, every table's header repeated, the decision field last."""
    from allocation.keys.compute import allocation_key_compute_measured

    key = allocation_key_compute_measured(
        name="Till mötet",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 4, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    page = browser.new_page()
    _login(page, live_server.url, "styrgrupp")
    page.goto(f"{live_server.url}/allocation/keys/{key.pk}/memo/")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 3, pages
    # Every table fits the page width: nothing wider than the printable area.
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.clientWidth + 1).length"
    )
    assert overflow == 0
    assert "Beslutsunderlag" in page.content()


def test_finance_publishes_a_month_from_the_start_page_and_reads_it(volumes, live_server, browser, finance_user):
    from allocation.models import Publication

    page = browser.new_page()
    _login(page, live_server.url, "ekonom")
    page.goto(f"{live_server.url}/statistik/2026-04/")
    assert "april 2026 är inte publicerad" in page.inner_text("h1")
    page.goto(f"{live_server.url}/")
    page.click("#publish-months button[value='2026-04']")
    page.wait_for_url(f"{live_server.url}/statistik/2026-04/")
    assert "april 2026 är publicerad (version 1)" in page.inner_text("main")
    page.click("#republish button")
    page.wait_for_url(f"{live_server.url}/statistik/2026-04/")
    assert "version 2" in page.inner_text("main")
    assert sorted(Publication.objects.filter(month=date(2026, 4, 1)).values_list("version", flat=True)) == [1, 2]


def test_the_error_pages_speak_swedish_and_english_in_the_sites_layout(org, live_server, browser, head_user):
    page = browser.new_page()
    _login(page, live_server.url, "chef.uf")
    response = page.goto(f"{live_server.url}/finns-inte/")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "Sidan finns inte" and page.locator("a[href='/']").count() >= 1
    response = page.goto(f"{live_server.url}/allocation/keys/new/measured/")
    assert response is not None and response.status == 403
    assert page.inner_text("h1") == "Du har inte behörighet till sidan"
    page.select_option("select[name=language]", "en")
    page.click("header form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "You do not have access to this page"
    page.goto(f"{live_server.url}/finns-inte/")
    assert page.inner_text("h1") == "The page does not exist"
    assert "Go to the start page" in page.inner_text("main")
