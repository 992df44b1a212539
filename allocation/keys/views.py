"""HTML pages for reviewing keys: list, detail with decision form, side-by-side comparison."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocation import calculation
from allocation.amounts import AmountError, parse_amount
from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide, key_decision_refusal
from allocation.keys.robustness import unusual_reasons
from allocation.models import AllocationKey, CostPool
from allocation.runs.explanations import explanation_amount, key_explanation
from allocation.selectors import keys_listed, keys_other_than, pools_for_key
from cases import roles


@login_required
def key_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    keys = keys_listed()
    return render(request, "allocation/key_list.html", {"keys": keys, "is_finance": roles.is_finance(request.user)})


@login_required
def key_detail(request: HttpRequest, key_id: int) -> HttpResponse:
    roles.require_reader(request)
    key = get_object_or_404(AllocationKey.objects.select_related("map_version", "created_by", "decided_by"), pk=key_id)
    shares = list(key.shares.select_related("administration").order_by("administration__code"))
    loads = {s.administration.code: s.load for s in shares}
    percent = calculation.percentages(loads) if any(loads.values()) else {}
    top_groupings = (
        key.lines.values("grouping__code", "grouping__name", "administration__code")
        .annotate(load=Sum("load"), cases=Sum("cases"))
        .order_by("-load")[:25]
    )
    context = {
        "key": key,
        "rows": [(s, percent.get(s.administration.code)) for s in shares],
        "top_groupings": top_groupings,
        "others": keys_other_than(key),
        "can_propose": key.status == AllocationKey.Status.DRAFT
        and key_decision_refusal(key=key, status="proposed", user=request.user) is None,
        "can_decide": key.status == AllocationKey.Status.PROPOSED
        and key_decision_refusal(key=key, status="approved", user=request.user) is None,
        "decide_refusal": key_decision_refusal(key=key, status="approved", user=request.user)
        if key.status == AllocationKey.Status.PROPOSED and roles.is_steering(request.user)
        else None,
        "decisions": key.decisions.order_by("at", "id"),
        "is_finance": roles.is_finance(request.user),
        # The pools the key may be proposed for: key-shared pools of its year or later (DESIGN §4).
        "pools": pools_for_key(key),
    }
    if key.kind == AllocationKey.Kind.MEASURED:
        from allocation.analysis.review import robustness_chart, robustness_rows
        from cases.months import month_range

        robust_rows, amount = robustness_rows(key)
        context.update(
            {
                "robust_rows": robust_rows,
                "robust_amount": amount,
                "robust_chart": robustness_chart(robust_rows),
                "unusual": unusual_reasons((key.robustness or {}).get("unusual_reasons")),
                "window_months": month_range(key.window_from, key.window_to)
                if key.window_from and key.window_to
                else [],
            }
        )
    return render(request, "allocation/key_detail.html", context)


@login_required
@require_POST
def key_decision(request: HttpRequest, key_id: int) -> HttpResponse:
    wanted = request.POST.get("status", "")
    if not roles.reads_everything(request.user):
        raise PermissionDenied
    key = get_object_or_404(AllocationKey, pk=key_id)
    raw_pool = request.POST.get("pool", "")
    pool = get_object_or_404(CostPool, pk=raw_pool) if raw_pool.isdigit() else None
    try:
        allocation_key_decide(
            key=key, status=wanted, user=request.user, comment=request.POST.get("comment", ""), pool=pool
        )
        messages.success(
            request, (_("Key #%(id)s: %(status)s.") % {"id": key.pk, "status": AllocationKey.Status(wanted).label})
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    # PermissionDenied (the service's rule: roles, four eyes) is a 403; the key's page already
    # says why the buttons are not there.
    return HttpResponseRedirect(reverse("allocation:key-detail", args=[key.pk]))


@login_required
def key_compare(request: HttpRequest) -> HttpResponse:
    """Key B against key A ("nytt − gällande"): shares, points and kronor per administration, and
    the groupings that drive the change. Without ?amount= the kronor are those of B's pool, or
    this year's co-financing pool's ("med årets belopp")."""
    roles.require_reader(request)
    a = get_object_or_404(AllocationKey, pk=request.GET.get("a") or 0)
    b = get_object_or_404(AllocationKey, pk=request.GET.get("b") or 0)
    error = ""
    raw = request.GET.get("amount") or ""
    source = explanation_amount(b)
    amount, amount_label, this_year = source.amount, source.label, source.this_year
    if raw.strip():
        amount_label, this_year = "", False
        try:
            amount = parse_amount(raw)
        except AmountError as exc:
            amount, error = None, str(exc)
    try:
        explained = key_explanation(a, b, amount)
        rows, drivers, names = explained.rows, explained.drivers, explained.names
    except calculation.AllocationError as exc:
        rows, drivers, names, error = [], [], {}, str(exc)
    context = {
        "a": a,
        "b": b,
        "amount": amount,
        "amount_label": amount_label,
        "this_year": this_year,
        "rows": [(r, names.get(r.code, "")) for r in rows],
        "comparisons": rows,  # for the total row (the `total` filter)
        "drivers": drivers,
        "explained": bool(drivers) or a.kind == b.kind == AllocationKey.Kind.MEASURED,
        "error": error,
    }
    return render(request, "allocation/key_compare.html", context)


class _KeyPreview(Exception):
    def __init__(self, shares: list[tuple[str, str, Any]], warnings: list[str], central: Any) -> None:
        self.shares, self.warnings, self.central = shares, warnings, central


def _measured_preview(**arguments: Any) -> _KeyPreview:
    """The key the form would save, computed by the saving service itself in a transaction that
    is rolled back: its checks (unowned volume, zero base, months without data) are the real ones."""
    try:
        with transaction.atomic():
            key = allocation_key_compute_measured(**arguments)
            shares = list(key.shares.select_related("administration").order_by("administration__code"))
            loads = {s.administration.code: s.load for s in shares}
            percent = calculation.percentages(loads) if any(loads.values()) else {}
            raise _KeyPreview(
                [(s.administration.code, s.administration.name, percent.get(s.administration.code)) for s in shares],
                list(key.warnings),
                key.central_load,
            )
    except _KeyPreview as preview:
        return preview


@login_required
def key_new_measured(request: HttpRequest) -> HttpResponse:
    """Compute a measured key in a form: the checks are shown before anything is saved."""
    from allocation.forms import MeasuredKeyForm

    if not roles.is_finance(request.user):
        raise PermissionDenied
    form = MeasuredKeyForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "name": data["name"],
            "window_from": data["window_from"],
            "window_to": data["window_to"],
            "basis": data["basis"],
            "valid_from": data["valid_from"],
            "source_names": data["sources"] or None,
            "user": request.user,
        }
        try:
            if "save" in request.POST:
                key = allocation_key_compute_measured(**arguments)
                messages.success(request, _("Key #%(id)s is saved as a draft.") % {"id": key.pk})
                return HttpResponseRedirect(reverse("allocation:key-detail", args=[key.pk]))
            preview = _measured_preview(**arguments)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
    return render(request, "allocation/key_new_measured.html", {"form": form, "preview": preview})


@login_required
def key_new_values(request: HttpRequest) -> HttpResponse:
    """A driver key (quantities per administration) or a fixed key (percentages) by form or file."""
    from allocation.forms import ValuesKeyForm
    from allocation.keys.compute import allocation_key_create_from_values

    if not roles.is_finance(request.user):
        raise PermissionDenied
    form = ValuesKeyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key = allocation_key_create_from_values(
                name=data["name"],
                kind=data["kind"],
                valid_from=data["valid_from"],
                values=data["parsed_values"],
                user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Key #%(id)s is saved as a draft.") % {"id": key.pk})
            return HttpResponseRedirect(reverse("allocation:key-detail", args=[key.pk]))
    return render(request, "allocation/key_new_values.html", {"form": form})
