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
    CostPool,
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
        "own_account": gettext_lazy(
            "Key #%(id)s was proposed from the operating-system account %(account)s, which now gives another "
            "name (four eyes). Another person decides, from their own account or on the web."
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
        "own_account": gettext_lazy(
            "Settlement #%(id)s was proposed from the operating-system account %(account)s, which now gives "
            "another name (four eyes). Another person decides, from their own account or on the web."
        ),
    },
    "price": {
        "anonymous": gettext_lazy("A decision on a price needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on prices."),
        "propose": gettext_lazy("Only finance staff (finance) propose prices."),
        "decide": gettext_lazy("Only the steering group approves or rejects prices."),
        "own": gettext_lazy(
            "You proposed price #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
        "own_account": gettext_lazy(
            "Price #%(id)s was proposed from the operating-system account %(account)s, which now gives "
            "another name (four eyes). Another person decides, from their own account or on the web."
        ),
    },
    "goal_targets": {
        "anonymous": gettext_lazy("A decision on targets needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on targets."),
        "propose": gettext_lazy("Only finance staff (finance) propose targets."),
        "decide": gettext_lazy("Only the steering group approves or rejects targets."),
        "own": gettext_lazy(
            "You proposed target set #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
        "own_account": gettext_lazy(
            "Target set #%(id)s was proposed from the operating-system account %(account)s, which now gives "
            "another name (four eyes). Another person decides, from their own account or on the web."
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
        # --user takes no password: one account proposing as one name and deciding as another is
        # still one person.
        account = getattr(user, "command_os_account", "")
        if proposer is not None and account and proposer.os_account == account:
            return str(says["own_account"]) % {"id": obj.pk, "account": account}
        return None
    return _("Unknown decision %(status)r; choose proposed, approved or rejected.") % {"status": status}


def decision_record(model: Any, *, user: Any, before: str, status: str, comment: str, **target: Any) -> Any:
    """One step of a review as its own record (KeyDecision, SettlementDecision, PriceDecision): who
    (the name, and the operating-system account behind a command's --user), when, from, to, why."""
    return model.objects.create(
        from_status=before,
        to_status=status,
        user=user,
        actor=user.get_username(),
        os_account=getattr(user, "command_os_account", ""),
        comment=comment,
        **target,
    )


def key_decision_refusal(*, key: AllocationKey, status: str, user: Any) -> str | None:
    return decision_refusal(obj=key, kind="key", status=status, user=user)


# What the steering group and the proposer are told, per kind of reviewed record.
_PROPOSED = {
    "key": (
        gettext_lazy("Key proposed for decision: #%(id)s %(name)s"),
        gettext_lazy("%(actor)s proposes key #%(id)s %(name)s for the steering group's decision."),
    ),
    "settlement": (
        gettext_lazy("Settlement proposed for decision: #%(id)s %(name)s"),
        gettext_lazy("%(actor)s proposes settlement #%(id)s %(name)s for the steering group's decision."),
    ),
    "price": (
        gettext_lazy("Price proposed for decision: #%(id)s %(name)s"),
        gettext_lazy("%(actor)s proposes price #%(id)s %(name)s for the steering group's decision."),
    ),
    "goal_targets": (
        gettext_lazy("Targets proposed for decision: #%(id)s %(name)s"),
        gettext_lazy("%(actor)s proposes target set #%(id)s %(name)s for the steering group's decision."),
    ),
}
_DECIDED = {
    "key": gettext_lazy("Key #%(id)s %(name)s is %(verdict)s"),
    "settlement": gettext_lazy("Settlement #%(id)s %(name)s is %(verdict)s"),
    "price": gettext_lazy("Price #%(id)s %(name)s is %(verdict)s"),
    "goal_targets": gettext_lazy("Target set #%(id)s %(name)s is %(verdict)s"),
}


def notify_decision(*, kind: str, obj: Any, decision: Any, url: str, name: str) -> None:
    """The steering group is told of a proposal; the proposer of the decision, with the comment."""
    from cases.notifications import link, notify, people_in
    from cases.roles import STEERING_GROUP

    with translation.override(settings.LANGUAGE_CODE):  # mail goes out in the site's language
        comment = "\n" + _("Comment: %(comment)s") % {"comment": decision.comment} if decision.comment else ""
        words = {"id": obj.pk, "name": name, "actor": decision.actor}
        if decision.to_status == "proposed":
            subject, body = _PROPOSED[kind]
            notify(
                kind="key_proposed",
                event=f"{kind}:{obj.pk}:proposed:{decision.pk}",
                recipients=[u for u in people_in(STEERING_GROUP) if u.pk != decision.user_id],
                subject=str(subject) % words,
                body=str(body) % words + f"{comment}\n{link(url)}",
            )
            return
        proposal = obj.decisions.filter(to_status="proposed").order_by("-at", "-id").first()
        if proposal is not None:
            words["verdict"] = (
                pgettext("decision", "approved")
                if decision.to_status == "approved"
                else pgettext("decision", "rejected")
            )
            notify(
                kind="key_decided",
                event=f"{kind}:{obj.pk}:{decision.to_status}:{decision.pk}",
                recipients=[proposal.user],
                subject=str(_DECIDED[kind]) % words,
                body=_("%(actor)s has decided: %(verdict)s.") % words + f"{comment}\n{link(url)}",
            )


def key_pool_refusal(*, key: AllocationKey, pool: CostPool) -> str | None:
    """Why `key` cannot be proposed for `pool`, or None: the pool shares by a key (not a price), a
    co-financing pool takes a measured key, and the key is valid in the pool's year."""
    if pool.pricing != CostPool.Pricing.KEY:
        return _("The cost pool %(pool)s charges by price; its prices are decided, not a key.") % {"pool": pool}
    if pool.is_co_financing and key.kind != AllocationKey.Kind.MEASURED:
        return _("The co-financing pool is allocated by a measured key; key #%(key)s is %(kind)s.") % {
            "key": key.pk,
            "kind": key.get_kind_display(),
        }
    if key.valid_from.year > pool.year:
        return _("Key #%(key)s is valid from %(from)s, after the pool's budget year %(year)s.") % {
            "key": key.pk,
            "from": f"{key.valid_from:%Y-%m-%d}",
            "year": pool.year,
        }
    return None


def _key_take_pool(*, key: AllocationKey, user: Any) -> None:
    """An approved key becomes its pool's key; the pool's previous key and every other approved key
    proposed for the pool are superseded, whatever their names (DESIGN §4). A previous key that
    another pool still uses stays approved there."""
    assert key.pool_id is not None
    pool = CostPool.objects.select_for_update().get(pk=key.pool_id)
    old_key_id = pool.key_id
    superseded = set(
        AllocationKey.objects.filter(pool=pool, status=AllocationKey.Status.APPROVED)
        .exclude(pk=key.pk)
        .values_list("pk", flat=True)
    )
    if (
        old_key_id is not None
        and old_key_id != key.pk
        and not CostPool.objects.filter(key_id=old_key_id).exclude(pk=pool.pk).exists()
        and AllocationKey.objects.filter(pk=old_key_id, status=AllocationKey.Status.APPROVED).exists()
    ):
        superseded.add(old_key_id)
    for pk in sorted(superseded):
        AllocationKey.objects.filter(pk=pk).update(status=AllocationKey.Status.SUPERSEDED)
        audit_record(
            user=user,
            action="key.superseded",
            obj_type="allocation_key",
            obj_id=pk,
            before={"status": "approved"},
            after={"status": "superseded", "by": key.pk, "pool": pool.pk},
        )
    if old_key_id != key.pk:
        CostPool.objects.filter(pk=pool.pk).update(key=key)
        audit_record(
            user=user,
            action="pool.key",
            obj_type="cost_pool",
            obj_id=pool.pk,
            before={"key": old_key_id},
            after={"key": key.pk},
        )


def allocation_key_decide(
    *, key: AllocationKey, status: str, user: Any, comment: str = "", pool: CostPool | None = None
) -> AllocationKey:
    """Move a key through draft → proposed → approved/rejected. Each step is its own record
    (KeyDecision: who, when, comment) and an audit entry; refused with a reason (ValidationError,
    or PermissionDenied for who may not) when the step or the person is not allowed.

    A key is proposed for a pool (`pool`); on approval it becomes that pool's key and supersedes the
    pool's previous key. A key proposed without a pool supersedes nothing."""
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
        if pool is not None and status != AllocationKey.Status.PROPOSED:
            raise ValidationError(_("The pool is chosen when the key is proposed."))
        if pool is not None:
            pool_refusal = key_pool_refusal(key=key, pool=pool)
            if pool_refusal:
                raise ValidationError(pool_refusal)
            key.pool = pool
        before = key.status
        key.status = status
        if status != AllocationKey.Status.PROPOSED:
            key.decided_by = user
            key.decided_at = timezone.now()
        key.save()
        if status == AllocationKey.Status.APPROVED and key.pool_id is not None:
            _key_take_pool(key=key, user=user)
        decision = decision_record(KeyDecision, key=key, user=user, before=before, status=status, comment=comment)
        notify_decision(kind="key", obj=key, decision=decision, url=f"/allocation/keys/{key.pk}/", name=key.name)
        audit_record(
            user=user,
            action=f"key.{status}",
            obj_type="allocation_key",
            obj_id=key.pk,
            before={"status": before},
            after={"status": status, "comment": comment, "pool": key.pool_id},
        )
    return key
