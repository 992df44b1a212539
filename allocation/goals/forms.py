"""The form of a year's targets: one field per measure, and per channel for first-contact
resolution; a rate is entered in percent (80 or 80,5), the wait in seconds; empty means no target."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.goals.measures import MEASURES, Line, measure_label


def field_name(line: Line) -> str:
    return f"t_{line[0]}" if line[1] is None else f"t_{line[0]}__{line[1]}"


def form_lines(channels: list[tuple[str, str]]) -> list[tuple[Line, str, str]]:
    """(line, label, unit) for every field: each measure, then first contact per channel."""
    out: list[tuple[Line, str, str]] = []
    for m in MEASURES:
        out.append(((m.code, None), measure_label(m.code), m.unit))
        if m.per_channel:
            out += [((m.code, code), measure_label(m.code, name), m.unit) for code, name in channels]
    return out


class TargetSetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, channels: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = form_lines(channels)
        for line, label, unit in self.lines:
            self.fields[field_name(line)] = forms.CharField(
                label=f"{label} ({'%' if unit == 'rate' else _('seconds')})",
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values: dict[Line, Decimal] = {}
        for line, _label, unit in self.lines:
            text = str(data.get(field_name(line)) or "").strip().replace("\u00a0", "").replace(" ", "")
            if not text:
                continue
            try:
                number = Decimal(text.replace(",", ".").rstrip("%"))
            except InvalidOperation:
                self.add_error(field_name(line), _("Write a number, e.g. 80 or 80,5."))
                continue
            if not number.is_finite() or number < 0 or (unit == "rate" and number > 100) or number > 100_000:
                self.add_error(field_name(line), _("Write a number between 0 and 100 for a percentage."))
                continue
            values[line] = (
                (number / 100).quantize(Decimal("0.0001")) if unit == "rate" else number.quantize(Decimal("0.1"))
            )
        if not values and not self.errors:
            raise forms.ValidationError(_("Give at least one target."))
        data["values"] = values
        return data


def initial_values(targets: dict[Line, Decimal], channels: list[tuple[str, str]]) -> dict[str, str]:
    """A saved set's targets as the form shows them (percent for rates)."""
    units = {line: unit for line, _label, unit in form_lines(channels)}
    return {
        field_name(line): f"{((value * 100) if units.get(line) == 'rate' else value).normalize():f}"
        for line, value in targets.items()
    }
