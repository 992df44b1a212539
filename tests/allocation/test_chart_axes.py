"""Chart axes write numbers and months as the reader does (5 000, jan 2026), through cases.formats."""

from __future__ import annotations

import re

from django.utils import translation

from allocation.publications.renderers import chart_channels, chart_trend


def _texts(svg: bytes) -> set[str]:
    return set(re.findall(r"<!-- (.*?) -->", svg.decode()))


def test_the_trend_axis_groups_thousands_and_names_the_months():
    trend = [{"month": f"2026-0{i}", "cases": 5000 * i} for i in range(1, 8)]
    with translation.override("sv"):
        texts = _texts(chart_trend(trend, "Ärenden"))
    assert "10\u00a0000" in texts and "jan 2026" in texts
    assert not {t for t in texts if re.fullmatch(r"\d{4,}|\d{4}-\d\d", t)}


def test_the_channel_axis_in_english_uses_commas_for_thousands():
    with translation.override("en"):
        texts = _texts(chart_channels([{"name": "Phone", "cases": 12000}, {"name": "E-mail", "cases": 3000}], "x"))
    assert "10,000" in texts
