"""Finance pages for cost pools and allocation runs: create and edit pools, run a pool (preview,
then create), a run's amounts per year and month beside the run it supersedes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allocation.forms import PoolForm
from allocation.ledger.journal import PROFILE_FIELDS
from allocation.models import AllocationRun, CostPool, Posting, PostingProfile
from allocation.runs.allocate import allocation_run_create, cost_pool_net_amount, run_amounts, run_preview
from allocation.runs.pools import FundingInput, cost_pool_save
from allocation.selectors import pools_listed
from cases import roles
from cases.models import Administration
from cases.selectors import administration_names


def _save_pool(request: HttpRequest, form: PoolForm, pool: CostPool) -> CostPool | None:
    data = form.cleaned_data
    pool.name, pool.year, pool.gross_amount = data["name"], data["year"], data["gross"]
    pool.key, pool.unit, pool.is_co_financing = data["key"], data["unit"], data["is_co_financing"]
    pool.pricing = data.get("pricing") or CostPool.Pricing.KEY
    pool.price = data.get("price")
    try:
        return cost_pool_save(
            pool=pool, user=request.user, funding=[FundingInput(label, amount) for label, amount in data["funding"]]
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    form = PoolForm(request.POST or None) if roles.is_finance(request.user) else None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if form.is_valid() and (pool := _save_pool(request, form, CostPool())) is not None:
            messages.success(request, _("The cost pool %(pool)s is created.") % {"pool": pool})
            return HttpResponseRedirect(reverse("allocation:pool-detail", args=[pool.pk]))
    pools = pools_listed()
    return render(
        request,
        "allocation/pool_list.html",
        {"pools": [(p, cost_pool_net_amount(p)) for p in pools], "form": form},
    )


@login_required
def pool_detail(request: HttpRequest, pool_id: int) -> HttpResponse:
    roles.require_reader(request)
    pool = get_object_or_404(CostPool.objects.select_related("key"), pk=pool_id)
    is_finance = roles.is_finance(request.user)
    form = PoolForm(initial=PoolForm.initial_for(pool)) if is_finance else None
    preview = preview_error = None
    if request.method == "POST":
        roles.require_finance(request)
        if "fill_funding" in request.POST:
            from allocation.runs.pools import cost_pool_fill_funding

            try:
                cost_pool_fill_funding(pool=pool, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The funding lines are filled from the register."))
            return HttpResponseRedirect(reverse("allocation:pool-detail", args=[pool.pk]))
        elif "run" in request.POST:
            try:
                run = allocation_run_create(pool=pool, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Charging run #%(id)s is created.") % {"id": run.pk})
                return HttpResponseRedirect(reverse("allocation:run-detail", args=[run.pk]))
        else:
            form = PoolForm(request.POST)
            if form.is_valid() and _save_pool(request, form, pool) is not None:
                messages.success(request, _("The cost pool %(pool)s is saved.") % {"pool": pool})
                return HttpResponseRedirect(reverse("allocation:pool-detail", args=[pool.pk]))
    if request.GET.get("preview") and is_finance:
        try:
            preview = run_preview(pool)
        except ValidationError as exc:
            preview_error = " ".join(exc.messages)
    names = administration_names()
    return render(
        request,
        "allocation/pool_detail.html",
        {
            "pool": pool,
            "net": cost_pool_net_amount(pool),
            "form": form,
            "runs": pool.runs.select_related("key").order_by("-created_at"),
            "preview": [(code, names.get(code, ""), amount) for code, amount in (preview or {}).items()],
            "preview_total": sum((preview or {}).values(), Decimal(0)),
            "preview_error": preview_error,
            "prices": pool.prices.prefetch_related("decisions").order_by("-created_at")[:10],
            "can_propose_price": is_finance and pool.pricing != CostPool.Pricing.KEY and pool.price is not None,
            "can_decide_price": roles.is_steering(request.user) and pool.prices.filter(status="proposed").exists(),
        },
    )


@login_required
def pool_price_decision(request: HttpRequest, pool_id: int) -> HttpResponse:
    """Propose (finance) or approve/reject (the steering group, not the proposer) the pool's price."""
    from django.core.exceptions import PermissionDenied

    from allocation.runs.prices import pool_price_decide

    roles.require_reader(request)
    pool = get_object_or_404(CostPool, pk=pool_id)
    if request.method != "POST":  # a decision is a button on the pool's page, never a link
        return HttpResponseRedirect(reverse("allocation:pool-detail", args=[pool.pk]) + "#pool-prices")
    try:
        price = pool_price_decide(
            pool=pool,
            status=request.POST.get("status", ""),
            user=request.user,
            comment=request.POST.get("comment", "")[:2000],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The price is %(status)s.") % {"status": price.get_status_display()})
    return HttpResponseRedirect(reverse("allocation:pool-detail", args=[pool.pk]))


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    roles.require_reader(request)
    run = get_object_or_404(AllocationRun.objects.select_related("key", "pool", "supersedes", "created_by"), pk=run_id)
    annual, months = run_amounts(run)
    names = administration_names()
    old: dict[str, Decimal] = run_amounts(run.supersedes)[0] if run.supersedes else {}
    rows: list[dict[str, Any]] = [
        {
            "code": code,
            "name": names.get(code, ""),
            "amount": amount,
            "months": [months.get(m, {}).get(code, Decimal(0)) for m in range(1, 13)],
            "before": old.get(code) if run.supersedes else None,
            "difference": amount - old.get(code, Decimal(0)) if run.supersedes else None,
        }
        for code, amount in annual.items()
    ]
    month_totals = [sum(row["months"][i] for row in rows) for i in range(12)]
    return render(
        request,
        "allocation/run_detail.html",
        {
            "run": run,
            "rows": rows,
            "month_totals": month_totals,
            "total": sum(annual.values(), Decimal(0)),
            "year": run.pool.year if run.pool else run.key.valid_from.year if run.key else "",
            "exports": run.posting_exports.select_related("exported_by", "corrects"),
            "postings": run.postings.select_related("posted_by").annotate(
                debits=Sum("lines__amount", filter=Q(lines__amount__gt=0))
            ),
            "month_choices": range(1, 13),
            "is_finance": roles.is_finance(request.user),
        },
    )


def _month_param(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 12 else None


def _file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def run_postings(request: HttpRequest, run_id: int, fmt: str) -> HttpResponse:
    """A preview of the vouchers posting the run would carry now: a download to look at, which
    records nothing (DESIGN §4: posting is an explicit action, never a page view)."""
    from allocation.ledger.journal import FORMATS, run_postings

    roles.require_finance(request)
    run = get_object_or_404(AllocationRun.objects.select_related("pool"), pk=run_id)
    if fmt not in FORMATS:
        raise Http404
    try:
        preview = run_postings(run=run, fmt=fmt, month=_month_param(request.GET.get("month", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("allocation:run-detail", args=[run.pk]))
    return _file_response(preview.content, preview.content_type, preview.filename)


@login_required
def run_post(request: HttpRequest, run_id: int) -> HttpResponse:
    """ "Överför till redovisningen": post what the run says minus what the journal holds (CSRF-
    protected POST), then show the posting with its file."""
    from allocation.ledger.journal import run_postings_export

    roles.require_finance(request)
    run = get_object_or_404(AllocationRun.objects.select_related("pool"), pk=run_id)
    if request.method != "POST":  # posting is a button on the run's page, never a link
        return HttpResponseRedirect(reverse("allocation:run-detail", args=[run.pk]) + "#postings")
    try:
        posted = run_postings_export(
            run=run,
            fmt=request.POST.get("format", "sie"),
            month=_month_param(request.POST.get("month", "")),
            user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if posted.posting is None:
            messages.info(
                request, _("Nothing to post: the ledger already holds what run #%(run)s says.") % {"run": run.pk}
            )
        else:
            messages.success(
                request,
                ngettext(
                    "Posting #%(posting)s: %(count)s voucher handed to the ledger. Download its file below.",
                    "Posting #%(posting)s: %(count)s vouchers handed to the ledger. Download its file below.",
                    posted.vouchers,
                )
                % {"posting": posted.posting, "count": posted.vouchers},
            )
    return HttpResponseRedirect(reverse("allocation:run-detail", args=[run.pk]) + "#postings")


@login_required
def posting_file(request: HttpRequest, posting_id: int) -> HttpResponse:
    """The file a posting handed to the ledger, exactly as it was posted."""
    from allocation.ledger.journal import posted_file

    roles.require_finance(request)
    posted = posted_file(get_object_or_404(Posting, pk=posting_id))
    return _file_response(posted.content, posted.content_type, posted.filename)


class PostingProfileForm(forms.ModelForm):
    class Meta:
        model = PostingProfile
        fields = PROFILE_FIELDS  # the fields the ledger reads and audits


@login_required
def posting_profile(request: HttpRequest) -> HttpResponse:
    from allocation.ledger.journal import posting_profile_save

    roles.require_reader(request)
    profile = PostingProfile.objects.first() or PostingProfile()
    form = PostingProfileForm(request.POST or None, instance=profile) if roles.is_finance(request.user) else None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if form.is_valid():
            try:
                posting_profile_save(profile=form.instance, user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The posting profile is saved."))
                return HttpResponseRedirect(reverse("allocation:posting-profile"))
    missing = Administration.objects.filter(cost_centre="").order_by("code")
    return render(
        request, "allocation/posting_profile.html", {"form": form, "profile": profile, "missing_cost_centres": missing}
    )
