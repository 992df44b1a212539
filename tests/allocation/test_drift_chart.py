"""The drift chart: small multiples, one administration in colour per panel against the others in
grey, so no two coloured lines share a colour (issue 28: AVF and UF were both blue)."""

from __future__ import annotations

import base64
import re

from allocation.analysis.views import drift_chart


def test_every_panel_draws_one_coloured_line_and_the_rest_in_grey():
    codes = [f"A{i:02d}" for i in range(11)]
    series = {code: [float(i + k) / 10 for k in range(12)] for i, code in enumerate(codes)}
    svg = base64.b64decode(drift_chart([f"2026-{m:02d}" for m in range(1, 13)], series).split(",", 1)[1]).decode()
    strokes = re.findall(r"stroke:\s*(#[0-9a-fA-F]{6})", svg)
    coloured = {s.lower() for s in strokes} - {"#c8c8c8", "#333333", "#000000", "#ffffff", "#b0b0b0"}
    assert coloured == {"#1f5f99"}  # one colour, used once per panel
    # 11 panels, each with its administration's line in colour and 10 grey lines beside it
    assert sum(1 for s in strokes if s.lower() == "#c8c8c8") == 11 * 10
    assert all(code in svg for code in codes) or svg.count('<g id="axes_') >= 11
