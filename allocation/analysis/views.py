"""Pages where finance staff and the steering group look before they decide: what-if on a key
(move or split groupings, see shares and amounts move) and the drift of measured shares from the
approved co-financing key, month by month."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.amounts import AmountError, parse_amount
from allocation.analysis.whatif import allocation_what_if, grouping_map_what_if_save, rolling_shares
from allocation.models import AllocationKey
from cases import roles
from cases.models import Administration, MonthlyAggregate
from cases.months import months_back, parse_day, parse_year_month
from cases.selectors import administration_names


def parse_changes(text: str) -> dict[str, list[calculation.MapOwner]]:
    """'GROUPING: ADMIN=fraction, ADMIN=fraction' or 'GROUPING: central', one grouping a line."""
    changes: dict[str, list[calculation.MapOwner]] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        grouping, sep, rest = line.partition(":")
        if not sep or not grouping.strip():
            errors.append(
                _("Row %(row)s: write ”GROUPING: ADMINISTRATION=fraction, …” or ”GROUPING: central”.") % {"row": number}
            )
            continue
        owners = []
        if rest.strip().lower() == "central":
            owners.append(calculation.MapOwner(None, Decimal(1)))
        else:
            for part in rest.split(","):
                admin, eq, raw = part.partition("=")
                try:
                    fraction = Decimal(raw.strip().replace(",", ".")) if eq else Decimal(1)
                except InvalidOperation:
                    errors.append(
                        _("Row %(row)s: the fraction %(value)r is not a number.")
                        % {"row": number, "value": raw.strip()}
                    )
                    continue
                if not fraction.is_finite():
                    errors.append(
                        _("Row %(row)s: the fraction %(value)r is not a number.")
                        % {"row": number, "value": raw.strip()}
                    )
                    continue
                if admin.strip():
                    owners.append(calculation.MapOwner(admin.strip(), fraction))
        if not owners:
            errors.append(_("Row %(row)s: no owner given for %(code)s.") % {"row": number, "code": grouping.strip()})
            continue
        changes[grouping.strip()] = owners
    if errors:
        raise ValidationError(errors)
    if not changes:
        raise ValidationError(_("Give at least one grouping to move or split."))
    return changes


def _share_chart(rows: list[Any]) -> str:
    """Old and new shares side by side as an SVG data URI (the page allows data: images)."""
    from allocation.axes import figures_axis
    from allocation.publications.renderers import pyplot, svg_bytes

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [float(r.percent_a) for r in rows], width=0.4, label=_("The key"), color="#4a90b8")
    ax.bar([i + 0.2 for i in x], [float(r.percent_b) for r in rows], width=0.4, label=_("What if"), color="#e08a00")
    ax.set_xticks(list(x), [r.code for r in rows], rotation=45, fontsize=8)
    ax.set_ylabel(_("Share (%)"))
    figures_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return "data:image/svg+xml;base64," + base64.b64encode(svg_bytes(fig)).decode()


@login_required
def key_what_if(request: HttpRequest, key_id: int) -> HttpResponse:
    roles.require_reader(request)
    key = get_object_or_404(AllocationKey, pk=key_id)
    text = request.POST.get("changes", "") if request.method == "POST" else request.GET.get("changes", "")
    raw_amount = request.POST.get("amount", "") if request.method == "POST" else ""
    rows: list[Any] = []
    drivers: list[Any] = []
    amount = None
    errors: list[str] = []
    chart = None
    if request.method == "POST":
        try:
            changes = parse_changes(text)
            amount = parse_amount(raw_amount) if raw_amount.strip() else None
            if "save" in request.POST:
                if not roles.is_finance(request.user):
                    raise PermissionDenied
                valid_from = parse_day(request.POST.get("valid_from", ""))
                if valid_from is None:
                    raise ValidationError(_("Give the date from which the change applies (YYYY-MM-DD)."))
                allocation_what_if(key=key, changes=changes)  # the same checks before saving
                draft = grouping_map_what_if_save(key=key, changes=changes, valid_from=valid_from, user=request.user)
                messages.success(
                    request,
                    _("Saved as draft map change #%(id)s from %(from)s. Make it real under Grouping map.")
                    % {"id": draft.pk, "from": f"{valid_from:%Y-%m-%d}"},
                )
                return HttpResponseRedirect(reverse("organisation:map") + f"?draft={draft.pk}")
            _loads, rows, drivers = allocation_what_if(key=key, changes=changes, amount=amount)
            chart = _share_chart(rows)
        except (ValidationError, AmountError) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    names = administration_names()
    return render(
        request,
        "allocation/what_if.html",
        {
            "key": key,
            "changes": text,
            "amount": raw_amount,
            "rows": [(r, names.get(r.code, "")) for r in rows],
            "drivers": drivers,
            "amount_value": amount,
            "errors": errors,
            "chart": chart,
            "is_finance": roles.is_finance(request.user),
        },
    )


def drift_chart(months: list[str], series: dict[str, list[float | None]]) -> str:
    """Small multiples: one panel per administration, its drift in colour against the others in
    grey, so no two coloured lines ever share a colour or need a legend to tell apart."""
    import math

    from allocation.axes import figures_axis
    from allocation.publications.renderers import pyplot, svg_bytes
    from cases.formats import month_short

    plt = pyplot()
    codes = list(series)
    columns = 4
    rows = max(1, math.ceil(len(codes) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(10, 2.1 * rows), sharex=True, sharey=True, squeeze=False)
    x = list(range(len(months)))

    def values(code: str) -> list[float]:
        return [v if v is not None else float("nan") for v in series[code]]

    for index, ax in enumerate(axes.flat):
        if index >= len(codes):
            ax.axis("off")
            continue
        code = codes[index]
        for other in codes:
            if other != code:
                ax.plot(x, values(other), color="#c8c8c8", linewidth=0.8)
        ax.plot(x, values(code), color="#1f5f99", linewidth=2, marker=".")
        ax.axhline(0, color="#333", linewidth=0.6)
        ax.set_title(code, fontsize=9)
        ax.grid(alpha=0.3)
        ends = [month_short(months[0]), month_short(months[-1])] if months else []
        ax.set_xticks([x[0], x[-1]] if x else [], ends, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        figures_axis(ax.yaxis)
    fig.supylabel(_("Drift (percentage points)"), fontsize=8)
    fig.tight_layout()
    return "data:image/svg+xml;base64," + base64.b64encode(svg_bytes(fig)).decode()


@login_required
def drift(request: HttpRequest) -> HttpResponse:
    """Per administration: the measured rolling-12-month share against the approved co-financing
    key's share, for each of the 12 months ending with ?month= (default: the newest month)."""
    roles.require_reader(request)
    latest = MonthlyAggregate.objects.filter(source__is_reference=False).order_by("-month").first()
    end = parse_year_month(request.GET.get("month", "")) or (latest.month if latest else None)
    if end is None:
        return render(request, "allocation/drift.html", {"empty": True})
    months = months_back(end, 12)
    docs: list[dict[str, Any] | None] = []
    error = None
    for m in months:
        try:
            docs.append(rolling_shares(month=m))
        except ValidationError as exc:
            error = " ".join(exc.messages)
            docs.append(None)
    codes = list(Administration.objects.order_by("code").values_list("code", "name"))
    table = []
    series: dict[str, list[float | None]] = {}
    for code, name in codes:
        cells = []
        for doc in docs:
            entry = doc["administrations"].get(code) if doc else None
            cells.append(entry)
        series[code] = [float(c["drift_pp"]) if c and c["drift_pp"] is not None else None for c in cells]
        table.append((code, name, cells))
    # Cases without an owner in their month's map: their own row, so nothing is dropped.
    unowned = [doc["unowned"] if doc else None for doc in docs]
    labels = [f"{m:%Y-%m}" for m in months]
    has_key = any(doc and doc["approved_key"] for doc in docs)
    return render(
        request,
        "allocation/drift.html",
        {
            "months": labels,
            "end": end,
            "table": table,
            "unowned": unowned,
            "chart": drift_chart(labels, series) if has_key else None,
            "has_key": has_key,
            "keys": sorted({doc["approved_key"] for doc in docs if doc and doc["approved_key"]}),
            "error": error,
            "today": date.today(),
        },
    )
