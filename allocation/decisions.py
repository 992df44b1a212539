"""Deciding keys and settlements: who may move a reviewed record to which status (four eyes:
finance staff propose, the steering group decides, never the proposer), each decision recorded,
audited and told to the people concerned."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from allocation.models import (
    AllocationKey,
    KeyDecision,
)
from cases.services import audit_record

_REFUSALS = {
    "key": {
        "anonymous": gettext_lazy("A decision on a key needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on keys."),
        "propose": gettext_lazy("Only finance staff (finance) propose keys."),
        "decide": gettext_lazy("Only the steering group approves or rejects keys."),
        "own": gettext_lazy(
            "You proposed key #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
    },
    "settlement": {
        "anonymous": gettext_lazy("A decision on a settlement needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on settlements."),
        "propose": gettext_lazy("Only finance staff (finance) propose settlements."),
        "decide": gettext_lazy("Only the steering group approves or rejects settlements."),
        "own": gettext_lazy(
            "You proposed settlement #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
    },
}


def decision_refusal(*, obj: Any, kind: str, status: str, user: Any) -> str | None:
    """Why `user` may not move a reviewed record (a key, a settlement) to `status`, or None. The
    one rule for the web, the API and the commands: finance staff propose; the steering group
    approves or rejects; whoever proposed it never approves or rejects it (four eyes), whatever
    groups they are in. `kind` ("key" or "settlement") chooses the messages."""
    from cases import roles

    says = _REFUSALS[kind]
    if not getattr(user, "is_authenticated", False):
        return str(says["anonymous"])
    if roles.is_service_account(user):
        return str(says["service"])
    if status == "proposed":
        return None if roles.is_finance(user) else str(says["propose"])
    if status in ("approved", "rejected"):
        if not roles.is_steering(user):
            return str(says["decide"])
        proposer = obj.decisions.filter(to_status="proposed").order_by("-at", "-id").first()
        if proposer is not None and proposer.user_id == user.pk:
            return str(says["own"]) % {"id": obj.pk}
        return None
    return _("Unknown decision %(status)r; choose proposed, approved or rejected.") % {"status": status}


def key_decision_refusal(*, key: AllocationKey, status: str, user: Any) -> str | None:
    return decision_refusal(obj=key, kind="key", status=status, user=user)


def _notify_decision(*, kind: str, obj: Any, decision: Any, url: str, name: str) -> None:
    """The steering group is told of a proposal; the proposer of the decision, with the comment."""
    from cases.notifications import link, notify, people_in
    from cases.roles import STEERING_GROUP

    with translation.override(settings.LANGUAGE_CODE):  # mail goes out in the site's language
        comment = "\n" + _("Comment: %(comment)s") % {"comment": decision.comment} if decision.comment else ""
        words = {"id": obj.pk, "name": name, "actor": decision.actor}
        if decision.to_status == "proposed":
            subject = (
                _("Key proposed for decision: #%(id)s %(name)s")
                if kind == "key"
                else _("Settlement proposed for decision: #%(id)s %(name)s")
            )
            body = (
                _("%(actor)s proposes key #%(id)s %(name)s for the steering group's decision.")
                if kind == "key"
                else _("%(actor)s proposes settlement #%(id)s %(name)s for the steering group's decision.")
            )
            notify(
                kind="key_proposed",
                event=f"{kind}:{obj.pk}:proposed:{decision.pk}",
                recipients=[u for u in people_in(STEERING_GROUP) if u.pk != decision.user_id],
                subject=subject % words,
                body=body % words + f"{comment}\n{link(url)}",
            )
            return
        proposal = obj.decisions.filter(to_status="proposed").order_by("-at", "-id").first()
        if proposal is not None:
            words["verdict"] = (
                pgettext("decision", "approved")
                if decision.to_status == "approved"
                else pgettext("decision", "rejected")
            )
            subject = (
                _("Key #%(id)s %(name)s is %(verdict)s")
                if kind == "key"
                else _("Settlement #%(id)s %(name)s is %(verdict)s")
            )
            notify(
                kind="key_decided",
                event=f"{kind}:{obj.pk}:{decision.to_status}:{decision.pk}",
                recipients=[proposal.user],
                subject=subject % words,
                body=_("%(actor)s has decided: %(verdict)s.") % words + f"{comment}\n{link(url)}",
            )


def allocation_key_decide(*, key: AllocationKey, status: str, user: Any, comment: str = "") -> AllocationKey:
    """Move a key through draft → proposed → approved/rejected. Each step is its own record
    (KeyDecision: who, when, comment) and an audit entry; refused with a reason (ValidationError,
    or PermissionDenied for who may not) when the step or the person is not allowed."""
    from django.core.exceptions import PermissionDenied

    allowed = {
        AllocationKey.Status.DRAFT: {AllocationKey.Status.PROPOSED},
        AllocationKey.Status.PROPOSED: {AllocationKey.Status.APPROVED, AllocationKey.Status.REJECTED},
    }
    with transaction.atomic():
        key = AllocationKey.objects.select_for_update().get(pk=key.pk)
        refusal = key_decision_refusal(key=key, status=status, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        if status not in allowed.get(AllocationKey.Status(key.status), set()):
            raise ValidationError(
                _("The key has status %(status)s and cannot become %(new)s.")
                % {"status": key.get_status_display(), "new": AllocationKey.Status(status).label}
            )
        before = key.status
        if status == AllocationKey.Status.APPROVED:
            # A new approved key for the same pools and valid-from supersedes the old one.
            AllocationKey.objects.filter(
                status=AllocationKey.Status.APPROVED, name=key.name, valid_from__year=key.valid_from.year
            ).exclude(pk=key.pk).update(status=AllocationKey.Status.SUPERSEDED)
        key.status = status
        if status != AllocationKey.Status.PROPOSED:
            key.decided_by = user
            key.decided_at = timezone.now()
        key.save()
        decision = KeyDecision.objects.create(
            key=key, from_status=before, to_status=status, user=user, actor=user.get_username(), comment=comment
        )
        _notify_decision(kind="key", obj=key, decision=decision, url=f"/allocation/keys/{key.pk}/", name=key.name)
        audit_record(
            user=user,
            action=f"key.{status}",
            obj_type="allocation_key",
            obj_id=key.pk,
            before={"status": before},
            after={"status": status, "comment": comment},
        )
    return key
