"""The month's effect goals as a workbook sheet (pure: from the publication's stored figures alone,
so the same figures give the same bytes). The monthly workbook builder calls `goals_sheet`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from allocation.goals.measures import measure_label
from allocation.goals.status import status_words


def _shown(value: str | None, unit: str) -> Decimal | None:
    """A rate as percent (81.2), the wait as seconds: the sheet's columns hold numbers, not text."""
    if value is None:
        return None
    return Decimal(value) * 100 if unit == "rate" else Decimal(value)


def goals_sheet(*, write: Callable[..., Any], doc: dict[str, Any] | None) -> None:
    """One sheet "Effect goals": each measure's value, the year's target, the baseline and the
    status in words. `write(title, header, rows, formats)` is the workbook's sheet writer. A
    publication made before goals were followed up has no `doc`: no sheet."""
    if doc is None:
        return
    rows = [
        [
            measure_label(line["measure"], line.get("channel_name")),
            _("%") if line["unit"] == "rate" else _("s"),
            _shown(line["value"], line["unit"]),
            _shown(line["target"], line["unit"]),
            _shown(line["baseline"], line["unit"]),
            _("higher is better") if line["higher_is_better"] else _("lower is better"),
            status_words(level=line["level"], value=line["value"], target=line["target"], unit=line["unit"]),
        ]
        for line in doc["lines"]
    ]
    ws = write(
        _("Effect goals"),
        [_("Measure"), _("Unit"), _("The month"), _("Target"), _("Baseline"), _("Direction"), _("Status")],
        rows,
        {3: "#,##0.0", 4: "#,##0.0", 5: "#,##0.0"},
    )
    ws.append([])
    if doc["baseline_from"]:
        ws.append([_("Baseline"), f"{doc['baseline_from']} – {doc['baseline_to']}"])
    else:
        ws.append([_("Baseline"), _("not yet: it needs 12 consecutive months with data")])
    if doc["target_set"] is None:
        ws.append([_("Targets"), _("no approved targets for %(year)s") % {"year": doc["year"]}])
    else:
        ws.append([_("Targets"), _("approved target set #%(id)s") % {"id": doc["target_set"]}])
