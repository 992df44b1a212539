"""The effect goals' pages: the follow-up month by month with a chart per measure (everyone who
reads the overview), the target sets (finance staff and the steering group), a set's form
(finance staff) and its decisions (POST only: finance proposes, the steering group decides)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.goals.charts import chart_png_cached
from allocation.goals.follow_up import follow_up, goal_years, set_targets, target_sets_listed
from allocation.goals.forms import TargetSetForm, initial_values
from allocation.goals.measures import MEASURES
from allocation.goals.targets import goal_target_set_decide, goal_target_set_save, target_set_refusal
from allocation.models import GoalTargetSet
from cases import roles
from cases.models import Channel

ORDER = {m.code: i for i, m in enumerate(MEASURES)}


@login_required
def goals_follow_up(request: HttpRequest) -> HttpResponse:
    if not roles.may_see_overview(request.user):
        raise PermissionDenied
    years = goal_years()
    try:
        year = int(request.GET.get("year") or (years[-1] if years else timezone.localdate().year))
    except ValueError:
        year = years[-1] if years else timezone.localdate().year
    result = follow_up(year=year)
    # A chart for every measure over all channels, and for the channels that have a target.
    charts = [
        (line, "data:image/png;base64," + base64.b64encode(chart_png_cached(line)).decode())
        for line in result.lines
        if any(p.value is not None for p in line.points) and (line.channel is None or line.target is not None)
    ]
    return render(
        request,
        "goals/follow_up.html",
        {"result": result, "years": years, "charts": charts, "reads_everything": roles.reads_everything(request.user)},
    )


@login_required
def target_set_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    return render(
        request,
        "goals/target_sets.html",
        {"target_sets": target_sets_listed(), "is_finance": roles.is_finance(request.user)},
    )


def _channels() -> list[tuple[str, str]]:
    return list(Channel.objects.order_by("code").values_list("code", "name"))


@login_required
def target_set_edit(request: HttpRequest, target_set_id: int | None = None) -> HttpResponse:
    """A new draft of a year's targets, or a draft changed (finance staff)."""
    roles.require_finance(request)
    target_set = get_object_or_404(GoalTargetSet, pk=target_set_id) if target_set_id else None
    if target_set is not None and target_set.status != GoalTargetSet.Status.DRAFT:
        messages.info(request, _("Only a draft can be changed; make a new target set for the year."))
        return HttpResponseRedirect(reverse("allocation:goals:target-set", args=[target_set.pk]))
    initial: dict[str, Any] = {"year": timezone.localdate().year + 1}
    if target_set is not None:
        initial = {"year": target_set.year, "comment": target_set.comment}
        initial |= initial_values(set_targets(target_set), _channels())
    form = TargetSetForm(request.POST or None, initial=initial, channels=_channels())
    if request.method == "POST" and form.is_valid():
        try:
            saved = goal_target_set_save(
                year=form.cleaned_data["year"],
                values=form.cleaned_data["values"],
                comment=form.cleaned_data["comment"],
                user=request.user,
                target_set=target_set,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The targets for %(year)s are saved as a draft.") % {"year": saved.year})
            return HttpResponseRedirect(reverse("allocation:goals:target-set", args=[saved.pk]))
    return render(request, "goals/target_set_form.html", {"form": form, "target_set": target_set})


@login_required
def target_set_detail(request: HttpRequest, target_set_id: int) -> HttpResponse:
    roles.require_reader(request)
    target_set = get_object_or_404(GoalTargetSet.objects.select_related("created_by"), pk=target_set_id)
    result = follow_up(year=target_set.year)
    targets = set_targets(target_set)
    channel_names = dict(_channels())
    rows = [
        {
            "measure": code,
            "channel_name": channel_names.get(channel, channel) if channel else None,
            "unit": MEASURES[ORDER[code]].unit,
            "target": value,
        }
        for (code, channel), value in sorted(targets.items(), key=lambda kv: (ORDER[kv[0][0]], kv[0][1] or ""))
    ]
    steps = {
        status: target_set_refusal(target_set=target_set, status=status, user=request.user) is None
        for status in ("proposed", "approved", "rejected")
    }
    return render(
        request,
        "goals/target_set_detail.html",
        {
            "target_set": target_set,
            "rows": rows,
            "baseline": result.baseline,
            "decisions": target_set.decisions.all(),
            "may_edit": roles.is_finance(request.user) and target_set.status == GoalTargetSet.Status.DRAFT,
            "may_propose": steps["proposed"] and target_set.status == GoalTargetSet.Status.DRAFT,
            "may_decide": steps["approved"] and target_set.status == GoalTargetSet.Status.PROPOSED,
            # A steering-group member who proposed the set is told why there is no button (four eyes).
            "decide_refusal": target_set_refusal(target_set=target_set, status="approved", user=request.user)
            if roles.is_steering(request.user) and target_set.status == GoalTargetSet.Status.PROPOSED
            else None,
        },
    )


@login_required
def target_set_decision(request: HttpRequest, target_set_id: int) -> HttpResponse:
    """Propose (finance) or approve/reject (the steering group, never the proposer): POST only."""
    roles.require_reader(request)
    target_set = get_object_or_404(GoalTargetSet, pk=target_set_id)
    page = reverse("allocation:goals:target-set", args=[target_set.pk])
    if request.method != "POST":  # a decision is a button on the set's page, never a link
        return HttpResponseRedirect(page)
    try:
        decided = goal_target_set_decide(
            target_set=target_set,
            status=request.POST.get("status", ""),
            user=request.user,
            comment=request.POST.get("comment", "")[:2000],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("The targets are %(status)s.") % {"status": decided.get_status_display()})
    return HttpResponseRedirect(page)
