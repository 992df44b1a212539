"""The explanation in a real browser on the demo: the memo, the comparison page and the department
head's page at 1280 px. With WRITE_SCREENSHOTS=1 the pictures go to docs/ (the README shows them)."""

from __future__ import annotations

import io
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import CostPool
from allocation.publications.publishing import publication_create
from allocation.runs.allocate import allocation_run_create
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import Grouping
from config.demo.management.commands.seed_demo import DEMO_PASSWORD
from tests.conftest import ensure_channels

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_memo_the_comparison_and_the_head_page_explain_in_the_browser(tmp_path, live_server, browser):
    from django.contrib.auth.models import User

    ensure_channels()
    call_command(
        "seed_demo", "--cases-per-year", "40000", "--months", "3", "--out", str(tmp_path / "logs"), stdout=io.StringIO()
    )
    finance, steering = User.objects.get(username="ekonom"), User.objects.get(username="styrgrupp")
    # The key in force this year, charged and published; then TF's parking fees move to SBF next year.
    a = allocation_key_compute_measured(
        name="Nyckel 2026",
        window_from=date(2026, 8, 1),
        window_to=date(2026, 10, 1),
        basis="cases",
        valid_from=date(2026, 1, 1),
        user=finance,
    )
    pool = CostPool.objects.get(year=2026, is_co_financing=True)
    allocation_key_decide(key=a, status="proposed", user=finance, pool=pool)
    allocation_key_decide(key=a, status="approved", user=steering)
    pool.refresh_from_db()
    allocation_run_create(key=a, pool=pool)
    publication_create(month=date(2026, 10, 1))
    moved = Grouping.objects.get(code="TF-07")
    grouping_map_version_create(
        valid_from=date(2027, 1, 1), rows=[MapRow(2, moved.code, moved.name, "SBF", Decimal(1), False)]
    )
    b = allocation_key_compute_measured(
        name="Nyckel 2027",
        window_from=date(2026, 8, 1),
        window_to=date(2026, 10, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
        user=finance,
    )
    out = Path(settings.BASE_DIR) / "docs" if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, live_server.url, "styrgrupp")
    page.goto(f"{live_server.url}/allocation/keys/{b.pk}/memo/")
    assert "TF-07" in page.inner_text("#drivers tbody tr:first-child")
    page.screenshot(path=str(out / "explain-memo.png"), full_page=True)
    page.goto(f"{live_server.url}/allocation/keys/compare/?a={a.pk}&b={b.pk}")
    assert "flyttad från TF" in page.inner_text("#drivers tbody tr:first-child")
    page.screenshot(path=str(out / "explain-compare.png"), full_page=True)
    head = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(head, live_server.url, "chef.uf")
    head.goto(f"{live_server.url}/statistik/2026-10/UF/")
    assert "Varför betalar vi detta?" in head.inner_text("#why")
    head.screenshot(path=str(out / "explain-department-head.png"), full_page=True)
