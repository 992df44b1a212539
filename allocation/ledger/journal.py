"""The ledger: the posting profile, previews and postings of a charging run's vouchers into the
journal (DESIGN §4 "Ledger journal"), and the year-end settlement with its decisions and posting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from allocation.ledger import postings
from allocation.models import AllocationRun, CostPool, JournalLine, Posting, PostingProfile
from allocation.runs.allocate import run_amounts
from allocation.selectors import latest_charging_run
from cases.models import Administration
from cases.services import audit_actor, audit_record, audited_save

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


def posting_settings() -> postings.PostingSettings:
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
    vouchers: int = 0
    posting: int | None = None  # the journal's posting, when this file was posted


@dataclass(frozen=True)
class _Plan:
    difference: dict[postings.Cell, Decimal]
    vouchers: list[postings.Voucher]
    corrects: int | None
    year: int


def journal_held(*, pool: CostPool, kind: str, settlement: Any = None) -> dict[postings.Cell, Decimal]:
    """What the journal already holds for a pool, per month, account and cost centre."""
    lines = JournalLine.objects.filter(posting__pool=pool, kind=kind)
    if settlement is not None:
        lines = lines.filter(posting__settlement=settlement)
    held: dict[postings.Cell, Decimal] = {}
    for month, account, cost_centre, amount in lines.values_list("month", "account", "cost_centre").annotate(
        total=Sum("amount")
    ):
        held[(month, account, cost_centre)] = amount
    return held


def _labels(settings: postings.PostingSettings) -> dict[str, str]:
    labels = {a.cost_centre: f"{a.code} {a.name}" for a in Administration.objects.exclude(cost_centre="")}
    labels.setdefault(settings.centre_cost_centre, "Kontaktcenter")
    return labels


def _run_plan(*, run: AllocationRun, settings: postings.PostingSettings, month: int | None) -> _Plan:
    """What posting `run` now would carry: per month and cost centre, the run minus the journal."""
    if not run.is_charging:
        raise ValidationError(_("Run #%(run)s is a simulation and is never posted.") % {"run": run.pk})
    assert run.pool is not None
    newest = latest_charging_run(run.pool)
    if newest is not None and newest.pk != run.pk:
        raise ValidationError(
            _(
                "Run #%(run)s has been superseded by run #%(newest)s of the same pool; the ledger takes the "
                "newest run, so post run #%(newest)s (it corrects what was posted before)."
            )
            % {"run": run.pk, "newest": newest.pk}
        )
    _annual, months = run_amounts(run)
    admins = {a.code: a for a in Administration.objects.all()}
    try:
        target = postings.charge_targets(
            settings=settings, months=months, cost_centres={c: a.cost_centre for c, a in admins.items()}
        )
    except postings.PostingError as exc:
        raise ValidationError(str(exc)) from exc
    held = journal_held(pool=run.pool, kind=JournalLine.Kind.CHARGE)
    difference = postings.journal_difference(target=target, held=held, only_month=month)
    corrected = {cell[0] for cell in held if held[cell]}
    earlier = (
        JournalLine.objects.filter(posting__pool=run.pool, kind=JournalLine.Kind.CHARGE, month__in=corrected)
        .exclude(posting__run=run)
        .order_by("-posting__run_id")
        .values_list("posting__run_id", flat=True)
        .first()
    )
    vouchers = postings.make_vouchers(
        settings=settings,
        year=run.pool.year,
        difference=difference,
        labels=_labels(settings),
        corrected_months=corrected,
        correction_of=earlier,
    )
    return _Plan(difference, vouchers, earlier if any(c[0] in corrected for c in difference) else None, run.pool.year)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError(_("Unknown format %(format)r; choose sie, csv or xlsx.") % {"format": fmt})


def run_postings(*, run: AllocationRun, fmt: str, month: int | None = None) -> PostingFile:
    """A preview: the vouchers that posting the run now would carry (the run minus what the ledger
    journal holds). Records nothing; looking at a file never changes what a later posting posts."""
    check_format(fmt)
    settings = posting_settings()
    plan = _run_plan(run=run, settings=settings, month=month)
    content = posting_content(plan.vouchers, settings=settings, fmt=fmt, year=plan.year, stamp=run.created_at)
    suffix = f"-{plan.year}-{month:02d}" if month else ""
    content_type, extension = FORMATS[fmt]
    return PostingFile(
        content,
        f"forhandsvisning-kontering-korning-{run.pk}{suffix}.{extension}",
        content_type,
        plan.corrects,
        len(plan.vouchers),
    )


def posting_content(
    vouchers: list[postings.Voucher], *, settings: postings.PostingSettings, fmt: str, year: int, stamp: Any
) -> bytes:
    """Vouchers as SIE 4, CSV or Excel, dated by the record (`stamp`) so they are byte-identical."""
    try:
        if fmt == "sie":
            return postings.sie(
                vouchers, settings=settings, year=year, generated=stamp.date(), cost_centre_names=_labels(settings)
            )
        if fmt == "csv":
            return postings.csv_bytes(vouchers, settings)
        return postings.xlsx_bytes(vouchers, settings, stamp=stamp)
    except postings.PostingError as exc:
        raise ValidationError(str(exc)) from exc


def journal_write(
    *,
    pool: CostPool,
    run: AllocationRun | None,
    settlement: Any,
    kind: str,
    fmt: str,
    month: int | None,
    vouchers: list[postings.Voucher],
    content: bytes,
    user: Any,
    settings: postings.PostingSettings,
) -> Posting:
    """Record a posting and its lines in the journal, and audit it."""
    admin_of = {a.cost_centre: a.pk for a in Administration.objects.exclude(cost_centre="")}
    centre = (settings.credit_account, settings.centre_cost_centre)
    posting = Posting.objects.create(
        pool=pool,
        run=run,
        settlement=settlement,
        format=fmt,
        month=month,
        vouchers=len(vouchers),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        posted_by=user if getattr(user, "is_authenticated", False) else None,
        actor=audit_actor(user),
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                posting=posting,
                kind=kind,
                voucher=v.number,
                month=line.month,
                account=line.account,
                cost_centre=line.cost_centre,
                administration_id=None
                if (line.account, line.cost_centre) == centre
                else admin_of.get(line.cost_centre),
                amount=line.amount,
            )
            for v in vouchers
            for line in v.lines
        ]
    )
    audit_record(
        user=user,
        action="postings.post",
        obj_type="settlement" if settlement is not None else "allocation_run",
        obj_id=settlement.pk if settlement is not None else run.pk if run is not None else "",
        after={
            "posting": posting.pk,
            "format": fmt,
            "month": month,
            "vouchers": len(vouchers),
            "total_debits": str(sum((ln.amount for v in vouchers for ln in v.lines if ln.amount > 0), Decimal(0))),
            "sha256": posting.sha256,
        },
    )
    return posting


def posted_file(posting: Posting) -> PostingFile:
    """The file a posting handed to the ledger, byte for byte, with its name and content type."""
    content_type, extension = FORMATS.get(posting.format, ("application/octet-stream", "bin"))
    return PostingFile(
        bytes(posting.content), f"bokforing-{posting.pk}.{extension}", content_type, None, posting.vouchers, posting.pk
    )


def run_postings_export(*, run: AllocationRun, fmt: str, month: int | None = None, user: Any = None) -> PostingFile:
    """Post the run to the ledger ("Överför till redovisningen"): the journal takes, per month and
    cost centre, what the run says minus what it already held, and the file carries exactly those
    lines. Nothing to post: no voucher, no posting, and the file says so by being empty of vouchers."""
    check_format(fmt)
    with transaction.atomic():
        assert run.pool is not None or not run.is_charging
        if run.pool is not None:
            CostPool.objects.select_for_update().get(pk=run.pool.pk)  # one posting of a pool at a time
        settings = posting_settings()
        plan = _run_plan(run=run, settings=settings, month=month)
        content = posting_content(plan.vouchers, settings=settings, fmt=fmt, year=plan.year, stamp=run.created_at)
        suffix = f"-{plan.year}-{month:02d}" if month else ""
        content_type, extension = FORMATS[fmt]
        posting = None
        if plan.vouchers:
            assert run.pool is not None
            posting = journal_write(
                pool=run.pool,
                run=run,
                settlement=None,
                kind=JournalLine.Kind.CHARGE,
                fmt=fmt,
                month=month,
                vouchers=plan.vouchers,
                content=content,
                user=user,
                settings=settings,
            )
    name = f"kontering-korning-{run.pk}{suffix}" + (f"-bokforing-{posting.pk}" if posting else "")
    return PostingFile(
        content, f"{name}.{extension}", content_type, plan.corrects, len(plan.vouchers), posting.pk if posting else None
    )
