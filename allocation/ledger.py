"""Writes for the ledger: the posting profile and the export of a charging run's vouchers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation import postings
from allocation.models import AllocationRun, PostingExport, PostingProfile
from allocation.runs import run_amounts
from cases.models import Administration
from cases.services import audit_record, audited_save

PROFILE_FIELDS = [
    "organisation",
    "charge_account",
    "charge_account_name",
    "credit_account",
    "credit_account_name",
    "centre_cost_centre",
    "series",
    "text",
    "per_month",
    "project",
    "activity",
]
FORMATS = {
    "sie": ("text/plain; charset=cp437", "se"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@transaction.atomic
def posting_profile_save(*, profile: PostingProfile, user: Any) -> PostingProfile:
    """Save the posting profile (one row), audited like everything that moves money."""
    if profile.pk is None and PostingProfile.objects.exists():
        profile.pk = PostingProfile.objects.values_list("pk", flat=True).first()
    return audited_save(profile, fields=PROFILE_FIELDS, user=user, action="posting_profile", obj_type="posting_profile")


def _settings() -> postings.PostingSettings:
    profile = PostingProfile.objects.first()
    if profile is None:
        raise ValidationError(
            _(
                "The posting profile is missing: give the accounts, the contact centre's cost centre and the "
                "voucher series under Posting profile first."
            )
        )
    missing = [
        str(label)
        for label, value in (
            (_("debit account"), profile.charge_account),
            (_("credit account"), profile.credit_account),
            (_("the contact centre's cost centre"), profile.centre_cost_centre),
        )
        if not value
    ]
    if missing:
        raise ValidationError(_("The posting profile lacks %(fields)s.") % {"fields": ", ".join(missing)})
    return postings.PostingSettings(**{f: getattr(profile, f) for f in PROFILE_FIELDS})


@dataclass(frozen=True)
class PostingFile:
    content: bytes
    filename: str
    content_type: str
    corrects: int | None


def run_postings(*, run: AllocationRun, fmt: str, month: int | None = None) -> PostingFile:
    """The run's vouchers as a file. Only charging runs are posted. If the run supersedes a run
    whose vouchers were exported, only the differences are posted (correction vouchers)."""
    if fmt not in FORMATS:
        raise ValidationError(_("Unknown format %(format)r; choose sie, csv or xlsx.") % {"format": fmt})
    if not run.is_charging:
        raise ValidationError(_("Run #%(run)s is a simulation and is never posted.") % {"run": run.pk})
    settings = _settings()
    assert run.pool is not None
    year = run.pool.year
    _annual, months = run_amounts(run)
    previous: dict[int, dict[str, Decimal]] | None = None
    corrects = None
    earlier = run.supersedes
    while earlier is not None:
        if earlier.posting_exports.exists():
            previous, corrects = run_amounts(earlier)[1], earlier.pk
            break
        earlier = earlier.supersedes
    admins = {a.code: a for a in Administration.objects.all()}
    try:
        vouchers = postings.make_vouchers(
            settings=settings,
            year=year,
            months=months,
            cost_centres={c: a.cost_centre for c, a in admins.items()},
            names={c: a.name for c, a in admins.items()},
            previous=previous,
            only_month=month,
            correction_of=corrects,
        )
    except postings.PostingError as exc:
        raise ValidationError(str(exc)) from exc
    content = _posting_content(vouchers, settings=settings, fmt=fmt, year=year, stamp=run.created_at)
    suffix = f"-{year}-{month:02d}" if month else ""
    content_type, extension = FORMATS[fmt]
    return PostingFile(content, f"kontering-korning-{run.pk}{suffix}.{extension}", content_type, corrects)


def _posting_content(
    vouchers: list[postings.Voucher], *, settings: postings.PostingSettings, fmt: str, year: int, stamp: Any
) -> bytes:
    """Vouchers as SIE 4, CSV or Excel, dated by the record (`stamp`) so they are byte-identical."""
    if fmt == "sie":
        names = {a.cost_centre: f"{a.code} {a.name}" for a in Administration.objects.exclude(cost_centre="")}
        names.setdefault(settings.centre_cost_centre, "Kontaktcenter")
        return postings.sie(vouchers, settings=settings, year=year, generated=stamp.date(), cost_centre_names=names)
    if fmt == "csv":
        return postings.csv_bytes(vouchers, settings)
    return postings.xlsx_bytes(vouchers, settings, stamp=stamp)


@transaction.atomic
def run_postings_export(*, run: AllocationRun, fmt: str, month: int | None = None, user: Any = None) -> PostingFile:
    """Make the run's vouchers and record that they were handed to the ledger (audited)."""
    posted = run_postings(run=run, fmt=fmt, month=month)
    digest = hashlib.sha256(posted.content).hexdigest()
    export = PostingExport.objects.create(
        run=run,
        format=fmt,
        month=month,
        corrects_id=posted.corrects,
        sha256=digest,
        exported_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit_record(
        user=user,
        action="postings.export",
        obj_type="allocation_run",
        obj_id=run.pk,
        after={"format": fmt, "month": month, "corrects": posted.corrects, "sha256": digest, "export": export.pk},
    )
    return posted


# --- Year-end settlement (avräkning) -------------------------------------------------------------


@transaction.atomic
def settlement_create(*, pool: Any, tolerance_pp: Decimal = Decimal(0), user: Any = None) -> Any:
    """Settle a co-financing pool's year: the charged amounts (the pool's newest charging run)
    against what the year's measured volume says (same basis, the map the key used), so that
    settlement = measured − charged per administration and the settlements add up to zero.
    With a tolerance, administrations whose measured share is within it of their key share are
    not settled; the rest share what remains by measured volume. Largest remainder throughout."""
    from datetime import date

    from allocation import calculation
    from allocation.models import AllocationKey, CostPool, Settlement, SettlementLine
    from allocation.runs import UNITS
    from allocation.selectors import (
        latest_charging_run,
        map_owners,
        months_with_data,
        own_source_ids,
        window_volumes,
    )

    if not pool.is_co_financing:
        raise ValidationError(
            _("Settlement is made for the year's co-financing pool; %(pool)s is not one.") % {"pool": pool}
        )
    run = latest_charging_run(pool)
    if run is None:
        raise ValidationError(_("The cost pool %(pool)s has no charging run to settle.") % {"pool": pool})
    key = run.key
    if key.kind != AllocationKey.Kind.MEASURED or key.map_version is None:
        raise ValidationError(_("Settlement needs a measured key (with a basis and a grouping map)."))
    if tolerance_pp < 0 or tolerance_pp > 100:
        raise ValidationError(_("The tolerance is given in percentage points between 0 and 100."))
    start, end = date(pool.year, 1, 1), date(pool.year, 12, 1)
    sources = own_source_ids()
    charged, _months = run_amounts(run)
    codes = sorted(charged)
    try:
        result = calculation.measured_loads(
            cells=window_volumes(window_from=start, window_to=end, source_ids=sources),
            grouping_map=map_owners(key.map_version),
            basis=key.basis,
            channel_weights={c: Decimal(w) for c, w in key.channel_weights.items()},
            administrations=codes,
        )
        calculation.check_loads(result)
    except calculation.AllocationError as exc:
        raise ValidationError(_("The year's measured volume cannot be used: %(error)s") % {"error": exc}) from exc
    measured_loads = {c: result.loads.get(c, Decimal(0)) for c in codes}
    key_loads = dict(key.shares.values_list("administration__code", "load"))
    key_pct = calculation.percentages({c: key_loads.get(c, Decimal(0)) for c in codes})
    measured_pct = calculation.percentages(measured_loads)
    net = sum(charged.values(), Decimal(0))
    unit = UNITS[CostPool.Unit(run.unit)]
    inside = {c for c in codes if tolerance_pp and abs(measured_pct[c] - key_pct[c]) <= tolerance_pp}
    outside = [c for c in codes if c not in inside]
    measured_amounts = {c: charged[c] for c in inside}
    remaining = net - sum((charged[c] for c in inside), Decimal(0))
    if outside:
        loads_outside = {c: measured_loads[c] for c in outside}
        if not any(loads_outside.values()):
            measured_amounts.update({c: charged[c] for c in outside})
        else:
            measured_amounts.update(calculation.largest_remainder(remaining, loads_outside, unit))
    present = months_with_data(window_from=start, window_to=end, source_ids=sources)
    seen = set().union(*present.values()) if present else set()
    missing = [f"{m:%Y-%m}" for m in (date(pool.year, k, 1) for k in range(1, 13)) if m not in seen]
    settlement = Settlement(
        pool=pool,
        run=run,
        tolerance_pp=tolerance_pp,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "run": run.pk,
            "key": key.pk,
            "basis": key.basis,
            "map_version": key.map_version_id,
            "net": str(net),
            "measured_loads": {c: str(v) for c, v in measured_loads.items()},
            "months_without_data": missing,
        },
    )
    settlement.save()
    admins = dict(Administration.objects.values_list("code", "id"))
    SettlementLine.objects.bulk_create(
        [
            SettlementLine(
                settlement=settlement,
                administration_id=admins[c],
                charged=charged[c],
                measured=measured_amounts[c],
                key_percent=key_pct[c],
                measured_percent=measured_pct[c],
                amount=measured_amounts[c] - charged[c],
            )
            for c in codes
        ]
    )
    assert sum((measured_amounts[c] - charged[c] for c in codes), Decimal(0)) == 0
    audit_record(
        user=user,
        action="settlement.create",
        obj_type="settlement",
        obj_id=settlement.pk,
        after={"pool": pool.pk, "run": run.pk, "amounts": {c: str(measured_amounts[c] - charged[c]) for c in codes}},
    )
    return settlement


def settlement_decision_refusal(*, settlement: Any, status: str, user: Any) -> str | None:
    from allocation.decisions import decision_refusal

    return decision_refusal(obj=settlement, kind="settlement", status=status, user=user)


def settlement_decide(*, settlement: Any, status: str, user: Any, comment: str = "") -> Any:
    from django.core.exceptions import PermissionDenied

    from allocation.models import Settlement, SettlementDecision

    allowed = {"draft": {"proposed"}, "proposed": {"approved", "rejected"}}
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement.pk)
        refusal = settlement_decision_refusal(settlement=settlement, status=status, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        if status not in allowed.get(settlement.status, set()):
            raise ValidationError(
                _("The settlement has status %(status)s and cannot become %(new)s.")
                % {"status": settlement.get_status_display(), "new": status}
            )
        before = settlement.status
        Settlement.objects.filter(pk=settlement.pk).update(status=status)
        settlement.status = status
        decision = SettlementDecision.objects.create(
            settlement=settlement,
            from_status=before,
            to_status=status,
            user=user,
            actor=user.get_username(),
            comment=comment,
        )
        from allocation.decisions import _notify_decision

        _notify_decision(
            kind="settlement",
            obj=settlement,
            decision=decision,
            url=f"/allocation/avrakning/{settlement.pk}/",
            name=str(settlement.pool),
        )
        audit_record(
            user=user,
            action=f"settlement.{status}",
            obj_type="settlement",
            obj_id=settlement.pk,
            before={"status": before},
            after={"status": status, "comment": comment},
        )
    return settlement


def settlement_postings(*, settlement: Any, fmt: str) -> PostingFile:
    """An approved settlement as one voucher dated 31 December: positive settlements debited and
    refunds credited on each administration's cost centre; it balances because they sum to zero."""
    if settlement.status != "approved":
        raise ValidationError(_("Only an approved settlement is posted."))
    if fmt not in FORMATS:
        raise ValidationError(_("Unknown format %(format)r; choose sie, csv or xlsx.") % {"format": fmt})
    from datetime import date

    settings = _settings()
    year = settlement.pool.year
    missing = [
        line.administration.code
        for line in settlement.lines.select_related("administration")
        if line.amount and not line.administration.cost_centre
    ]
    if missing:
        raise ValidationError(_("Cost centre missing for: %(codes)s.") % {"codes": ", ".join(missing)})
    # Voucher texts are the ledger's, in Swedish whatever the interface language (re-exports stay byte-identical).
    lines = [
        postings.Line(
            settings.charge_account,
            line.administration.cost_centre,
            line.amount,
            f"{line.administration.code} avräkning",
        )
        for line in settlement.lines.select_related("administration")
        if line.amount
    ]
    vouchers = [postings.Voucher(1, date(year, 12, 31), f"Avräkning medfinansiering {year}", lines)] if lines else []
    assert all(v.balance == 0 for v in vouchers)
    content = _posting_content(vouchers, settings=settings, fmt=fmt, year=year, stamp=settlement.created_at)
    content_type, extension = FORMATS[fmt]
    return PostingFile(content, f"avrakning-{settlement.pk}.{extension}", content_type, None)
