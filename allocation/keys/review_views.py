"""The steering group's review of a measured key: how robust it is (leave one month out, unusual
months), trying it without chosen months, and the decision memo for the meeting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation.analysis.review import robustness_rows
from allocation.keys import comparison
from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.printing import MemoPdfUnavailable, memo_pdf
from allocation.keys.robustness import unusual_reasons
from allocation.models import AllocationKey
from allocation.runs.explanations import explanation_amount, key_explanation
from allocation.selectors import co_financing_key, key_loads
from cases import roles
from cases.months import month_range, parse_year_month
from cases.selectors import administration_names


@login_required
def key_try_without(request: HttpRequest, key_id: int) -> HttpResponse:
    """A draft key on the same window with chosen months left out (or another window), then the
    comparison with the original."""
    if not roles.is_finance(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseRedirect(reverse("allocation:key-detail", args=[key_id]))
    key = get_object_or_404(AllocationKey, pk=key_id, kind=AllocationKey.Kind.MEASURED)
    assert key.window_from is not None and key.window_to is not None
    window_from = parse_year_month(request.POST.get("window_from", "")) or key.window_from
    window_to = parse_year_month(request.POST.get("window_to", "")) or key.window_to
    months = [m for m in (parse_year_month(t) for t in request.POST.getlist("leave_out")) if m is not None]
    try:
        trial = allocation_key_compute_measured(
            name=_("%(name)s – trial without %(months)s")
            % {"name": key.name, "months": ", ".join(f"{m:%Y-%m}" for m in months) or _("changed period")},
            window_from=window_from,
            window_to=window_to,
            basis=key.basis,
            valid_from=key.valid_from,
            source_names=key.sources or None,
            user=request.user,
            exclude_months=months,
        )
    except ValidationError as exc:
        from django.contrib import messages

        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("allocation:key-detail", args=[key.pk]))
    return HttpResponseRedirect(reverse("allocation:key-compare") + f"?a={key.pk}&b={trial.pk}")


def _memo_summary(rows: list[Any], drivers: list[Any], robust_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The memo's first page: who pays more and who less (kronor when there are any, else points),
    the three groupings that explain most, and the largest leave-one-month-out swing."""
    by = "diff_kr" if rows and rows[0][0].diff_kr is not None else "diff_pp"
    # A change of an öre or two is the rounding of two largest-remainder splits, not a change.
    changed = [(r, name) for r, name in rows if abs(getattr(r, by)) >= (1 if by == "diff_kr" else Decimal("0.01"))]
    more = sorted((x for x in changed if getattr(x[0], by) > 0), key=lambda x: -getattr(x[0], by))
    less = sorted((x for x in changed if getattr(x[0], by) < 0), key=lambda x: getattr(x[0], by))
    swings = [r for r in robust_rows if r["swing_kr"] is not None] or robust_rows
    widest = max(swings, key=lambda r: r["swing_kr"] if r["swing_kr"] is not None else r["swing_pp"], default=None)
    return {"by_kronor": by == "diff_kr", "more": more[:3], "less": less[:3], "drivers": drivers[:3], "widest": widest}


@login_required
def key_memo(request: HttpRequest, key_id: int) -> HttpResponse:
    """A printable decision memo (beslutsunderlag) for the steering group's meeting: a one-page
    summary, then the shares, the groupings behind the change, robustness and unusual months."""
    if not roles.reads_everything(request.user):
        raise PermissionDenied
    key = get_object_or_404(AllocationKey.objects.select_related("map_version", "created_by"), pk=key_id)
    in_force = co_financing_key(year=key.valid_from.year) or co_financing_key(year=key.valid_from.year - 1)
    if in_force is not None and in_force.pk == key.pk:
        in_force = None
    source = explanation_amount(key)
    amount = source.amount
    names = administration_names()
    drivers: list[Any] = []
    if in_force is not None:
        explained = key_explanation(in_force, key, amount, top=15)
        rows = [(r, names.get(r.code, "")) for r in explained.rows]
        drivers = explained.drivers
    else:
        loads = key_loads(key)
        rows = [(r, names.get(r.code, "")) for r in comparison.compare_loads(loads, loads, amount)]
    robust_rows, _amount = robustness_rows(key)
    unusual = unusual_reasons((key.robustness or {}).get("unusual_reasons"))
    context = {
        "key": key,
        "in_force": in_force,
        "pool": source.pool,
        "amount": amount,
        "amount_label": source.label,
        "this_year": source.this_year,
        "rows": rows,
        "drivers": drivers,
        "summary": _memo_summary(rows if in_force is not None else [], drivers, robust_rows),
        "robust_rows": robust_rows,
        "unusual": unusual,
        "window": month_range(key.window_from, key.window_to) if key.window_from and key.window_to else [],
    }
    if request.GET.get("format") == "pdf":
        html = render(request, "allocation/key_memo.html", {**context, "for_pdf": True}).content.decode()
        try:
            pdf = memo_pdf(html)
        except MemoPdfUnavailable as exc:
            from django.contrib import messages

            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("allocation:key-memo", args=[key.pk]))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="beslutsunderlag-nyckel-{key.pk}.pdf"'
        return response
    return render(request, "allocation/key_memo.html", context)
