"""Forms of the finance pages: amounts through the one amount parser, funding lines as text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.amounts import AmountError, parse_amount
from allocation.models import AllocationKey, CostPool
from cases.numbers import NumberError, parse_number


class AmountFormField(forms.CharField):
    """Kronor as people write them ("14 550 000,00"), read by allocation.amounts.parse_amount."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_amount(text)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc


def parse_funding(text: str) -> list[tuple[str, Decimal]]:
    """'Label; amount' per line (a tab or the last ';' or '=' separates) → [(label, amount)]."""
    out: list[tuple[str, Decimal]] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        for sep in ("\t", ";", "="):
            if sep in line:
                label, _sep, raw = line.rpartition(sep)
                break
        else:
            errors.append(_("Row %(row)s: write ”label; amount”, e.g. ”Switchboard; 1 250 000”.") % {"row": number})
            continue
        try:
            amount = parse_amount(raw)
        except AmountError as exc:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": exc})
            continue
        if not label.strip():
            errors.append(_("Row %(row)s: the label is missing.") % {"row": number})
            continue
        out.append((label.strip()[:200], amount))
    if errors:
        raise forms.ValidationError(errors)
    return out


class PoolForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    year = forms.IntegerField(label=_("budget year"), min_value=2000, max_value=2100)
    gross = AmountFormField(label=_("gross cost (kr)"))
    funding = forms.CharField(
        label=_("central funding"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One line per funding source: name; amount. These parts are not co-financed. A name the funding "
            "register does not hold is registered as a new source."
        ),
    )
    key = forms.ModelChoiceField(
        label=_("key"), queryset=AllocationKey.objects.exclude(status="rejected"), required=False
    )
    unit = forms.ChoiceField(label=_("rounding unit"), choices=CostPool.Unit.choices, initial=CostPool.Unit.ORE)
    pricing = forms.ChoiceField(
        label=_("charging"), choices=CostPool.Pricing.choices, initial=CostPool.Pricing.KEY, required=False
    )
    price = AmountFormField(label=_("price (kr) per minute or case"), required=False)
    is_co_financing = forms.BooleanField(
        label=_("co-financing pool"),
        required=False,
        help_text=_("The year's co-financing pool: its approved key is the one the statistics compare with."),
    )

    def clean_funding(self) -> list[tuple[str, Decimal]]:
        return parse_funding(self.cleaned_data.get("funding") or "")

    @staticmethod
    def initial_for(pool: CostPool) -> dict[str, Any]:
        return {
            "name": pool.name,
            "year": pool.year,
            "gross": str(pool.gross_amount).replace(".", ","),
            "funding": "\n".join(f"{f.label}; {str(f.amount).replace('.', ',')}" for f in pool.funding_lines.all()),
            "key": pool.key_id,
            "unit": pool.unit,
            "is_co_financing": pool.is_co_financing,
            "pricing": pool.pricing,
            "price": str(pool.price).replace(".", ",") if pool.price is not None else "",
        }


class MeasuredKeyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    window_from = forms.CharField(label=_("window from (YYYY-MM)"), max_length=7)
    window_to = forms.CharField(label=_("window to (YYYY-MM)"), max_length=7)
    basis = forms.ChoiceField(label=_("basis"), choices=AllocationKey.Basis.choices)
    valid_from = forms.DateField(label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    sources = forms.MultipleChoiceField(
        label=_("sources"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all of the municipality's own sources."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from cases.models import DataSource

        super().__init__(*args, **kwargs)
        self.fields["sources"].choices = [  # type: ignore[attr-defined]
            (s, s) for s in DataSource.objects.values_list("name", flat=True)
        ]

    def _month(self, field: str) -> Any:
        from cases.months import parse_year_month

        month = parse_year_month(self.cleaned_data.get(field) or "")
        if month is None:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-03."))
        return month

    def clean_window_from(self) -> Any:
        return self._month("window_from")

    def clean_window_to(self) -> Any:
        return self._month("window_to")


class ValuesKeyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(AllocationKey.Kind.DRIVER, _("driver")), (AllocationKey.Kind.FIXED, _("fixed percentages"))],
    )
    valid_from = forms.DateField(label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    values = forms.CharField(
        label=_("values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One line per administration: code; value (e.g. UF; 120). Or upload a file below."),
    )
    file = forms.FileField(label=_("or a file (administration, value)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("values") or ""
        upload = data.get("file")
        if upload is not None:
            raw = upload.read(1_000_000)
            text = raw.decode("utf-8-sig", errors="replace")
        values: dict[str, Decimal] = {}
        errors = []
        for number, line in enumerate(text.splitlines(), start=1):
            cells = [c.strip() for c in line.replace("\t", ";").replace(",", ";", 1).split(";")]
            if not line.strip() or (
                number == 1 and cells[0].lower() in ("administration", "förvaltning", "code", "kod")
            ):
                continue
            if len(cells) < 2:
                errors.append(_("Row %(row)s: write ”code; value”.") % {"row": number})
                continue
            try:
                value = parse_number(cells[1])
            except NumberError as exc:
                errors.append(_("Row %(row)s, column value: %(reason)s") % {"row": number, "reason": exc})
                continue
            if abs(value) > Decimal(10) ** 12:
                errors.append(
                    _("Row %(row)s, column value: %(value)r is not a plausible number.")
                    % {"row": number, "value": cells[1]}
                )
                continue
            if cells[0] in values:
                errors.append(
                    _("Row %(row)s: the administration %(code)s appears twice.") % {"row": number, "code": cells[0]}
                )
            values[cells[0]] = value
        if errors:
            raise forms.ValidationError(errors)
        if not values:
            raise forms.ValidationError(_("Give at least one administration's value."))
        data["parsed_values"] = values
        return data
