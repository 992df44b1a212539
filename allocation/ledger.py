"""Writes for the ledger: the posting profile and the export of a charging run's vouchers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from allocation import postings
from allocation.models import AllocationRun, PostingExport, PostingProfile
from allocation.services import run_amounts
from cases.models import Administration
from cases.services import _audited_save, audit_record

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
    return _audited_save(
        profile, fields=PROFILE_FIELDS, user=user, action="posting_profile", obj_type="posting_profile"
    )


def _settings() -> postings.PostingSettings:
    profile = PostingProfile.objects.first()
    if profile is None:
        raise ValidationError(
            "Konteringsprofilen saknas: ange konton, kontaktcentrets kostnadsställe och verifikationsserie under "
            "Konteringsprofil först."
        )
    missing = [
        label
        for label, value in (
            ("debetkonto", profile.charge_account),
            ("kreditkonto", profile.credit_account),
            ("kontaktcentrets kostnadsställe", profile.centre_cost_centre),
        )
        if not value
    ]
    if missing:
        raise ValidationError("Konteringsprofilen saknar " + ", ".join(missing) + ".")
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
        raise ValidationError(f"Okänt format {fmt!r}; välj sie, csv eller xlsx.")
    if not run.is_charging:
        raise ValidationError(f"Körning #{run.pk} är en simulering och bokförs aldrig.")
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
    if fmt == "sie":
        names = {a.cost_centre: f"{a.code} {a.name}" for a in admins.values() if a.cost_centre}
        names.setdefault(settings.centre_cost_centre, "Kontaktcenter")
        content = postings.sie(
            vouchers, settings=settings, year=year, generated=run.created_at.date(), cost_centre_names=names
        )
    elif fmt == "csv":
        content = postings.csv_bytes(vouchers, settings)
    else:
        content = postings.xlsx_bytes(vouchers, settings, stamp=run.created_at)
    suffix = f"-{year}-{month:02d}" if month else ""
    content_type, extension = FORMATS[fmt]
    return PostingFile(content, f"kontering-korning-{run.pk}{suffix}.{extension}", content_type, corrects)


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
