"""The demo's summaries in the terminal are Swedish, their figures too: thousands with a space,
decimals with a comma, months by name (the number scan of the pages, on the commands' output)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from allocation.calculation import format_amount
from tests.conftest import ensure_channels
from tests.test_language import unswedish_numbers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_commands_amount_is_written_the_swedish_way():
    from decimal import Decimal

    assert format_amount(Decimal("14550000")) == "14\u00a0550\u00a0000,00"
    assert format_amount(Decimal("-0.5")) == "-0,50"


def test_seed_demo_and_run_demo_job_print_swedish_figures(tmp_path):
    ensure_channels()
    out = io.StringIO()
    call_command(
        "seed_demo", "--cases-per-year", "12000", "--months", "13", "--out", str(tmp_path / "logs"), stdout=out
    )
    call_command("run_demo_job", stdout=out)
    text = out.getvalue()
    assert "Demokommun skapad" in text and "Summa" in text and "100,00\u00a0%" in text
    # the run's URL keeps its ISO month; everything a person reads has none
    readable = re.sub(r"http://\S+", "", text)
    assert not re.findall(r"(?<![\w/-])\d{4}-\d{2}(?![\w/-])", readable), readable
    assert not unswedish_numbers(readable), unswedish_numbers(readable)
