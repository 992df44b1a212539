"""The register's forms: a transfer, a transfer file, an administration's hour cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.amounts import AmountError, parse_amount
from allocation.models import GroupingTransfer
from allocation.transfers.files import parse_minutes
from allocation.transfers.register import TRANSFER_FIELDS
from cases import formats
from cases.models import Administration


class TransferForm(forms.ModelForm):
    class Meta:
        model = GroupingTransfer
        fields = TRANSFER_FIELDS
        widgets = {
            "transferred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "comment": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "transferred_on": _("A date after today is a planned transfer: it counts from its month."),
            "wave": _("The priority wave of the decision the grouping moved in (1, 2, …)."),
        }

    minutes_before = forms.CharField(
        label=_("minutes per case before the transfer"),
        required=False,
        help_text=_(
            "The administration's own handling time per case before the move. Leave it empty to use the "
            "grouping's measured handle time at the contact centre (the 12 months up to the transfer)."
        ),
    )

    def clean_minutes_before(self) -> Decimal | None:
        ok, value = parse_minutes((self.cleaned_data.get("minutes_before") or "").strip())
        if not ok:
            raise forms.ValidationError(_("Write minutes per case, 0 or more with at most two decimals."))
        return value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.minutes_before is not None and not self.is_bound:
            self.initial["minutes_before"] = formats.number(self.instance.minutes_before, 2)
        self.fields["grouping"].queryset = self.fields["grouping"].queryset.order_by("code")  # type: ignore[attr-defined]


class TransferFileForm(forms.Form):
    file = forms.FileField(
        label=_("Transfer file (CSV or XLSX)"),
        help_text=_(
            "Columns grouping, administration, wave, transferred_on (YYYY-MM-DD), optional minutes_before, "
            "expected_cases_per_year and comment. A row for a grouping already in the register changes it."
        ),
    )


class HourCostForm(forms.Form):
    """A plain form, not a model form: the administration and year name a stored cost that the
    service changes (audited), and a model form without that instance would refuse it as a second
    cost of the year. The service's full_clean checks the model's rules."""

    administration = forms.ModelChoiceField(queryset=Administration.objects.order_by("code"), label=_("administration"))
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    # Kronor as people write them (612,50 or 612.50), read by the one amount parser.
    cost_per_hour = forms.CharField(
        label=_("cost per case-officer hour"),
        help_text=_("What the administration states one hour of a case officer's time costs (kronor)."),
    )
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_cost_per_hour(self) -> Decimal:
        try:
            return parse_amount(self.cleaned_data["cost_per_hour"])
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc
