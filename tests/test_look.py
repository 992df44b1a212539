"""The public-sector look in a real browser: every page wears Designsystemet (vendored, no CDN)
in the municipality's colours, figures stand right-aligned, statuses are tags. With
WRITE_SCREENSHOTS=1 the pictures of each role's pages at 1280 px go to docs/screenshots/
(the README links them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
PASSWORD = "pw-for-tests-only"
KOMMUN_BLUE_DARK = "rgb(0, 70, 110)"


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _pages(samples: dict[str, object], role: str) -> dict[str, str]:
    key, batch, month = samples["key_id"], samples["batch_id"], samples["month"]
    if role == "head":
        return {"start": "/", "statistics": f"/statistik/{month}/UF/"}
    pages = {"start": "/", "statistics": f"/statistik/{month}/", "key": f"/allocation/keys/{key}/"}
    if role == "finance":
        pages["upload-with-errors"] = f"/import/{batch}/"
        pages["source-profile"] = f"/organisation/kallor/{samples['source_id']}/"
    return pages


@pytest.mark.parametrize("role", ["finance", "steering", "head"])
def test_each_roles_pages_wear_the_design_system_in_the_municipalitys_colours(
    world, live_server, browser, role, tmp_path
):
    users, samples = world
    out = Path(settings.BASE_DIR) / "docs" / "screenshots" if os.environ.get("WRITE_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, live_server.url, users[role].username)
    for name, path in _pages(samples, role).items():
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        # the vendored stylesheets, from this site only
        sheets = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
        assert any("/vendor/designsystemet-css-1.22.0/" in s for s in sheets), sheets
        assert all(s.startswith(live_server.url) for s in sheets if s), sheets
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == (
            KOMMUN_BLUE_DARK
        )
        assert page.evaluate("document.querySelectorAll('style').length") == 0, f"{path} keeps its own styles"
        figures = page.query_selector_all("main td.num")
        for cell in figures[:5]:
            assert cell.evaluate("c => getComputedStyle(c).textAlign") == "right"
        if name == "key":
            tag = page.query_selector("#key-status .ds-tag")
            assert tag is not None and tag.get_attribute("data-color") == "success"
            assert tag.inner_text() == "godkänd"
            assert page.evaluate("getComputedStyle(document.querySelector('.ds-tag')).borderRadius") != "0px"
        page.screenshot(path=str(out / f"{role}-{name}.png"), full_page=False)
    if role == "finance":
        _profile_form_screenshot(page, live_server.url, samples, out, tmp_path)


def _profile_form_screenshot(page, base: str, samples: dict[str, object], out: Path, scratch: Path) -> None:  # type: ignore[no-untyped-def]
    """The profile form with the bank export's sample read, its columns chosen and the preview
    following them, scrolled to the date format and the preview."""
    from tests.imports.test_profile_form import fill_bank_form, read_bank_sample_in_the_form

    page.goto(f"{base}/organisation/kallor/{samples['source_id']}/profil/")
    read_bank_sample_in_the_form(page, scratch)
    fill_bank_form(page)
    page.locator("h1").scroll_into_view_if_needed()
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.screenshot(path=str(out / "finance-profile-form.png"), full_page=False)
    page.locator("#profile-preview").scroll_into_view_if_needed()
    page.screenshot(path=str(out / "finance-profile-form-preview.png"), full_page=False)
