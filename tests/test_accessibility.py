"""WCAG 2.1 AA: axe-core (tests/a11y/axe.min.js, from the npm package axe-core) in Chromium on
every HTML page of the access walk, for each role; and keyboard-only use of upload and approval."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.test_access import _url as url_for
from tests.test_access import all_urls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
AXE = (Path(__file__).resolve().parent / "a11y" / "axe.min.js").read_text(encoding="utf-8")
# The Django admin's own pages beyond those finance staff use for their work are not ours to restyle.
ADMIN_PAGES = {"admin:index", "admin:imports_importbatch_upload", "admin:imports_importbatch_changelist"}
PASSWORD = "pw-for-tests-only"


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.evaluate(AXE)
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
        ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return list(found)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ["finance", "steering", "head"])
def test_every_page_meets_wcag_2_1_aa_for_each_role(world, live_server, browser, role, width):
    users, samples = world
    # a desktop screen and a phone (the menu, tables and forms reflow at 390 px); axe is injected as
    # a script, which the pages' CSP forbids
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, users[role].username)
    failures, checked = [], 0
    for name, pattern in all_urls():
        if name.startswith("admin:") and name not in ADMIN_PAGES:
            continue
        if name in ("logout", "admin:logout", "set_language", "allocation:key-decision"):
            continue
        if name == "api-docs":
            continue  # Swagger UI's own markup (a developer's tool, not a page staff work in)
        path = url_for(name, pattern, samples)
        if path is None:
            continue
        try:
            response = page.goto(live_server.url + path)
        except PlaywrightError:  # a download (CSV, workbook, chart file), not a page
            continue
        if response is None or response.status >= 300 or "text/html" not in response.headers.get("content-type", ""):
            continue
        checked += 1
        failures += [f"{path}: {v}" for v in _violations(page)]
    assert checked >= (5 if role == "head" else 25), checked
    assert not failures, "\n".join(failures)


def test_upload_and_approval_work_with_the_keyboard_alone(
    volumes,
    live_server,
    browser,
    finance_user,
    steering_user,
    tmp_path,
):
    from allocation.keys.compute import allocation_key_compute_measured
    from allocation.keys.decisions import allocation_key_decide
    from allocation.models import AllocationKey
    from tests.conftest import csv_bytes, good_rows

    path = tmp_path / "maj.csv"
    path.write_bytes(csv_bytes(good_rows(month="2026-05", n=5, prefix="K")))
    page = browser.new_page()
    _login(page, live_server.url, "ekonom")
    page.goto(f"{live_server.url}/admin/imports/importbatch/upload/")
    page.set_input_files("#id_file", str(path))  # the file chooser itself is the operating system's
    page.focus("#id_source")
    page.keyboard.press("ArrowDown")  # the first source
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    # the batch page may not be there yet while the form's navigation is under way
    page.wait_for_function("document.getElementById('import-progress')?.value == 100")
    assert "5 rader laddades" in page.inner_text("#import-message")

    key = allocation_key_compute_measured(
        name="Tangentbord",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 3, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    other = browser.new_page()
    _login(other, live_server.url, "styrgrupp")
    other.goto(f"{live_server.url}/allocation/keys/{key.pk}/")
    other.keyboard.press("Tab")
    assert other.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(200):
        other.keyboard.press("Tab")
        if other.evaluate("document.activeElement.value") == "approved":
            break
    other.keyboard.press("Enter")
    other.wait_for_selector("#key-status")
    assert AllocationKey.objects.get(pk=key.pk).status == "approved"


def test_the_import_batch_list_fits_a_1280_px_screen_and_a_phone(world, live_server, browser):
    """No column of the import list is cut off at 1280 px; on a phone its table scrolls inside the page."""
    from imports.models import ImportBatch

    ImportBatch.objects.update(original_name="telefoni-export-helar-kommunen-2026-03-slutlig-version-2.csv")
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _login(page, live_server.url, "ekonom")
        page.goto(f"{live_server.url}/admin/imports/importbatch/")
        fits = page.evaluate(
            """() => {
              const table = document.getElementById('result_list');
              const box = table.closest('.results') || table.parentElement;
              const style = getComputedStyle(box);
              const scrolls = ['auto', 'scroll'].includes(style.overflowX);
              return {
                page: document.documentElement.scrollWidth <= window.innerWidth,
                table: table.getBoundingClientRect().right <= window.innerWidth,
                scrolls: scrolls,
                right: table.getBoundingClientRect().right,
                cols: [...table.querySelectorAll('thead th')]
                  .map(th => th.className + ':' + Math.round(th.getBoundingClientRect().width)),
              };
            }"""
        )
        if width >= 1280:
            assert fits["page"] and fits["table"], repr((width, fits))[:3000]
        else:
            assert fits["page"] and fits["scrolls"], (width, fits)
        context.close()


def test_the_key_page_with_another_key_to_compare_meets_wcag_for_the_steering_group(world, live_server, browser):
    """The comparison's key chooser shows only when there is another key (the walk's world has one)."""
    from allocation.keys.compute import allocation_key_compute_measured

    users, samples = world
    allocation_key_compute_measured(
        name="Andra",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 3, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    page = browser.new_context(bypass_csp=True).new_page()
    _login(page, live_server.url, users["steering"].username)
    page.goto(f"{live_server.url}/allocation/keys/{samples['key_id']}/")
    assert page.query_selector("select[name=b]") is not None
    assert _violations(page) == []
