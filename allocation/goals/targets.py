"""Target sets of the effect goals, decided like keys (DESIGN §4): finance staff draft a year's
targets and propose them; another person of the steering group approves or rejects them (never
the proposer, also through a command's --user). An approved set never changes; approving a newer
set for the same year marks the old one superseded. Every step is recorded and audited, and the
steering group is told of a proposal."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.goals.measures import BY_CODE, Line
from allocation.keys.decisions import decision_record, decision_refusal, notify_decision
from allocation.models import GoalTarget, GoalTargetDecision, GoalTargetSet
from cases.models import Channel
from cases.services import audit_record


def target_set_refusal(*, target_set: GoalTargetSet | None, status: str, user: Any) -> str | None:
    """Why `user` may not move the set to `status`, or None: the rule of keys (four eyes)."""
    return decision_refusal(obj=target_set, kind="goal_targets", status=status, user=user)


def _targets_snapshot(target_set: GoalTargetSet) -> dict[str, str]:
    return {
        f"{t.measure}:{t.channel.code}" if t.channel else t.measure: str(t.value)
        for t in target_set.targets.select_related("channel")
    }


def _check_values(values: Mapping[Line, Decimal]) -> None:
    channels = set(Channel.objects.values_list("code", flat=True))
    for (code, channel), value in values.items():
        measure = BY_CODE.get(code)
        if measure is None:
            raise ValidationError(_("Unknown measure %(code)s.") % {"code": code})
        if channel is not None and (not measure.per_channel or channel not in channels):
            raise ValidationError(
                _("%(measure)s has no target per channel %(channel)s.") % {"measure": measure.label, "channel": channel}
            )
        if value < 0 or (measure.unit == "rate" and value > 1):
            raise ValidationError(
                _("The target of %(measure)s must lie between 0 and 100 %%.") % {"measure": measure.label}
                if measure.unit == "rate"
                else _("The target of %(measure)s cannot be negative.") % {"measure": measure.label}
            )
    if not values:
        raise ValidationError(_("Give at least one target."))


def _write_targets(target_set: GoalTargetSet, values: Mapping[Line, Decimal]) -> None:
    channels = dict(Channel.objects.values_list("code", "pk"))
    target_set.targets.all().delete()
    for (code, channel), value in sorted(values.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        target = GoalTarget(
            target_set=target_set, measure=code, channel_id=channels[channel] if channel else None, value=value
        )
        target.full_clean()
        target.save()


@transaction.atomic
def goal_target_set_save(
    *, year: int, values: Mapping[Line, Decimal], user: Any, target_set: GoalTargetSet | None = None, comment: str = ""
) -> GoalTargetSet:
    """A new draft of the year's targets, or a draft's targets replaced (finance staff only). `values`
    maps (measure, channel or None) to the target: a rate as a fraction, the wait in seconds."""
    refusal = target_set_refusal(target_set=None, status="proposed", user=user)
    if refusal:
        raise PermissionDenied(refusal)
    _check_values(values)
    if target_set is None:
        target_set = GoalTargetSet(year=year, created_by=user, comment=comment)
        before = None
    else:
        target_set = GoalTargetSet.objects.select_for_update().get(pk=target_set.pk)
        if target_set.status != GoalTargetSet.Status.DRAFT:
            raise ValidationError(
                _("Target set #%(id)s is %(status)s: only a draft can be changed; make a new set.")
                % {"id": target_set.pk, "status": target_set.get_status_display()}
            )
        before = {"year": str(target_set.year), "targets": _targets_snapshot(target_set)}
        target_set.year, target_set.comment = year, comment
    target_set.full_clean()
    target_set.save()
    _write_targets(target_set, values)
    audit_record(
        user=user,
        action="goal_targets.change" if before else "goal_targets.create",
        obj_type="goal_target_set",
        obj_id=target_set.pk,
        before=before,
        after={"year": str(target_set.year), "targets": _targets_snapshot(target_set)},
    )
    return target_set


ALLOWED = {
    GoalTargetSet.Status.DRAFT: {GoalTargetSet.Status.PROPOSED},
    GoalTargetSet.Status.PROPOSED: {GoalTargetSet.Status.APPROVED, GoalTargetSet.Status.REJECTED},
}


def goal_target_set_decide(*, target_set: GoalTargetSet, status: str, user: Any, comment: str = "") -> GoalTargetSet:
    """draft → proposed (finance) → approved/rejected (the steering group, never the proposer).
    Approving supersedes the year's previously approved set. Refused with PermissionDenied (who)
    or ValidationError (which step)."""
    with transaction.atomic():
        target_set = GoalTargetSet.objects.select_for_update().get(pk=target_set.pk)
        refusal = target_set_refusal(target_set=target_set, status=status, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        before = target_set.status
        if status not in ALLOWED.get(GoalTargetSet.Status(before), set()):
            raise ValidationError(
                _("Target set #%(id)s is %(status)s and cannot become %(new)s.")
                % {
                    "id": target_set.pk,
                    "status": target_set.get_status_display(),
                    "new": GoalTargetSet.Status(status).label,
                }
            )
        if status == GoalTargetSet.Status.APPROVED:
            for old in GoalTargetSet.objects.filter(year=target_set.year, status=GoalTargetSet.Status.APPROVED):
                GoalTargetSet.objects.filter(pk=old.pk).update(status=GoalTargetSet.Status.SUPERSEDED)
                audit_record(
                    user=user,
                    action="goal_targets.superseded",
                    obj_type="goal_target_set",
                    obj_id=old.pk,
                    before={"status": "approved"},
                    after={"status": "superseded", "by": target_set.pk},
                )
        GoalTargetSet.objects.filter(pk=target_set.pk).update(status=status)
        target_set.status = status
        decision = decision_record(
            GoalTargetDecision, target_set=target_set, user=user, before=before, status=status, comment=comment
        )
        notify_decision(
            kind="goal_targets",
            obj=target_set,
            decision=decision,
            url=f"/allocation/mal/malvarden/{target_set.pk}/",
            name=str(_("targets %(year)s") % {"year": str(target_set.year)}),
        )
        audit_record(
            user=user,
            action=f"goal_targets.{status}",
            obj_type="goal_target_set",
            obj_id=target_set.pk,
            before={"status": before},
            after={"status": status, "comment": comment, "year": str(target_set.year)},
        )
    return target_set
