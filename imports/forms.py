from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import DataSource
from imports.models import ImportBatch
from imports.parsing import parse_month


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    source = forms.ModelChoiceField(queryset=DataSource.objects.all(), label=_("Source"), to_field_name="name")
    kind = forms.ChoiceField(choices=ImportBatch.Kind.choices, initial=ImportBatch.Kind.CASES, label=_("Format"))
    month = forms.CharField(
        required=False,
        label=_("Month the file covers (YYYY-MM)"),
        help_text=_("Optional. Rows outside this month are then errors."),
    )
    load_valid_rows = forms.BooleanField(
        required=False, label=_("Load the valid rows and set the erroneous ones aside")
    )
    replace = forms.BooleanField(
        required=False,
        label=_("Confirm replacement"),
        help_text=_(
            "Only when the file is meant to replace a loaded month whose case count it changes by more than 20 %."
        ),
    )

    def clean_month(self) -> date | None:
        raw = self.cleaned_data.get("month") or ""
        if not raw.strip():
            return None
        month = parse_month(raw)
        if month is None or len(raw.strip()) != 7:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-03."))
        return month
