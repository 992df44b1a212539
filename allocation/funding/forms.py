"""Forms of the funding pages: a source with its amounts per year as text, an extension list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.amounts import AmountError, parse_amount
from allocation.models import FundingSource


def parse_year_amounts(text: str) -> dict[int, Decimal]:
    """'YYYY; amount' per line → {year: amount}; every bad line is named."""
    out: dict[int, Decimal] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        year_text, _sep, raw = line.replace("\t", ";").replace("=", ";").partition(";")
        year_text = year_text.strip()
        if not year_text.isdigit() or not raw.strip():
            errors.append(_("Row %(row)s: write ”year; amount”, e.g. ”2026; 500 000”.") % {"row": number})
            continue
        try:
            amount = parse_amount(raw)
        except AmountError as exc:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": exc})
            continue
        if int(year_text) in out:
            errors.append(_("Row %(row)s: the year %(year)s is given twice.") % {"row": number, "year": year_text})
        out[int(year_text)] = amount
    if errors:
        raise forms.ValidationError(errors)
    return out


class FundingSourceForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    last_year = forms.IntegerField(
        label=_("last year with funding"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("The planned phase-out: no funding after this year. Empty: no end decided."),
    )
    amounts = forms.CharField(
        label=_("amounts per year"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One line per year: year; amount (e.g. 2026; 500 000). A stepping-down grant has smaller amounts."),
    )

    def clean_amounts(self) -> dict[int, Decimal]:
        return parse_year_amounts(self.cleaned_data.get("amounts") or "")

    @staticmethod
    def initial_for(source: FundingSource) -> dict[str, Any]:
        return {
            "name": source.name,
            "description": source.description,
            "last_year": source.last_year,
            "amounts": "\n".join(
                f"{a.year}; {str(a.amount).replace('.', ',')}" for a in source.amounts.order_by("year")
            ),
        }


class ExtensionListForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    file = forms.FileField(
        label=_("the telephony system's list (CSV or XLSX)"),
        help_text=_("Columns: administration (code) and extension. A new list for a year replaces the year's."),
    )
