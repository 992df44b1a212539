"""Monthly publications: a month's figures (allocation.publications.figures) and files
(allocation.publications.renderers) stored as a new version, the department heads told; and the
publication requests that make sure each asked-for publication happens exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.models import Publication, PublicationFile, PublicationRequest
from allocation.publications.figures import month_figures
from allocation.publications.renderers import publication_files
from cases import formats
from cases.models import Administration
from cases.services import audit_record

logger = logging.getLogger(__name__)


def _notify_heads(publication: Publication) -> None:
    """Each department head is told when their administration's month is published: a link and
    three headline figures (after commit, once per publication and person)."""
    from cases.notifications import link, notify

    with translation.override(settings.LANGUAGE_CODE):  # mail goes out in the site's language
        month = formats.month(publication.month)
        revised = " " + _("(revised)") if publication.version > 1 else ""
        for admin in Administration.objects.prefetch_related("heads"):
            doc = publication.figures["administrations"].get(admin.code)
            if doc is None:
                continue
            body = (
                _("The monthly statistics for %(code)s %(name)s, %(month)s%(revised)s, are published:")
                % {"code": admin.code, "name": admin.name, "month": month, "revised": revised}
                + f"\n{link(f'/statistik/{publication.month:%Y-%m}/{admin.code}/')}\n\n"
                + _("Cases: %(cases)s") % {"cases": formats.cases(doc["kpis"]["cases"])}
                + "\n"
                + _("Share of the co-financed cases: %(share)s") % {"share": formats.share(doc.get("share_month"))}
                + "\n"
                + _("Charged this month: %(amount)s") % {"amount": formats.kronor(doc.get("charged"))}
                + "\n"
            )
            notify(
                kind="month_published",
                event=f"publication:{publication.pk}:{admin.code}",
                recipients=list(admin.heads.all()),
                subject=_("Monthly statistics %(month)s%(revised)s: %(code)s")
                % {"month": month, "revised": revised, "code": admin.code},
                body=body,
            )


def publication_create(*, month: date, user: Any = None, request: PublicationRequest | None = None) -> Publication:
    """Publish the month as a new version (a revision if one exists). Never edits an older one.

    With a request, the publication and the request's "done" are committed together, and a
    request already done returns its publication instead of publishing again.
    """
    month = month.replace(day=1)
    figures = month_figures(month)
    files = publication_files(figures)
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    for attempt in range(3):
        written: list[Any] = []  # files stored by this attempt, removed again if it rolls back
        try:
            with transaction.atomic():
                if request is not None:
                    locked = PublicationRequest.objects.select_for_update().get(pk=request.pk)
                    if locked.status == PublicationRequest.Status.DONE:
                        assert locked.publication is not None
                        return locked.publication  # another delivery of the same request won
                last = Publication.objects.filter(month=month).aggregate(v=Max("version"))["v"] or 0
                publication = Publication.objects.create(
                    month=month, version=last + 1, figures=figures, created_by=_user(user)
                )
                for code, name, data in files:
                    f = PublicationFile(
                        publication=publication,
                        administration_id=admin_ids.get(code) if code else None,
                        name=name,
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                    f.file.save(f"{month:%Y-%m}-v{publication.version}-{name}", ContentFile(data), save=False)
                    written.append(f.file)
                    f.save()
                audit_record(
                    user=user,
                    action="publication.create",
                    obj_type="publication",
                    obj_id=publication.pk,
                    after={"month": f"{month:%Y-%m}", "version": publication.version},
                )
                if request is not None:
                    PublicationRequest.objects.filter(pk=request.pk).update(
                        status=PublicationRequest.Status.DONE,
                        publication=publication,
                        finished_at=timezone.now(),
                        message="",
                    )
                _notify_heads(publication)
                return publication
        except IntegrityError:
            _remove(written)
            if attempt == 2:
                raise  # two publishers raced for the same version three times: give up loudly
        except BaseException:
            _remove(written)
            raise
    raise AssertionError("unreachable")


def _remove(files: list[Any]) -> None:
    """Delete the stored files of a rolled-back attempt (file storage is not transactional)."""
    for f in files:
        try:
            f.storage.delete(f.name)
        except OSError:  # the rollback matters more than a stray file
            logger.warning("could not remove %s after a rolled-back publication", f.name)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# --- Publication requests: queued, swept, published exactly once ----------------------------

PUBLISH_BROKER_DOWN_MESSAGE = gettext_lazy(
    "Waiting: the processing queue cannot be reached just now. The publication starts by itself when the queue is back."
)


def publication_request_create(
    *, month: date, user: Any = None, reason: str = "", send: bool = True
) -> PublicationRequest:
    """Ask for the month to be published. A request for the month that has not started yet is
    reused (it will read the newest data anyway); the task is sent once the row is committed."""
    month = month.replace(day=1)
    with transaction.atomic():
        waiting = (
            PublicationRequest.objects.select_for_update()
            .filter(month=month, status=PublicationRequest.Status.PENDING)
            .order_by("pk")
            .first()
        )
        if waiting is not None:
            return waiting
        request = PublicationRequest.objects.create(month=month, requested_by=_user(user), reason=reason[:200])
        if send:
            transaction.on_commit(lambda: _send_publication(request.pk))
    return request


def _send_publication(request_id: int) -> None:
    from config.celery import send_or_wait

    if not send_or_wait("allocation.publish_request", request_id):
        PublicationRequest.objects.filter(pk=request_id, status=PublicationRequest.Status.PENDING).update(
            message=str(PUBLISH_BROKER_DOWN_MESSAGE)
        )


def publication_request_process(*, request_id: int) -> Publication | None:
    """Publish a request's month (the worker's task). Safe to deliver any number of times."""
    with transaction.atomic():
        request = (
            PublicationRequest.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=request_id)
        )
        if request.status == PublicationRequest.Status.DONE:
            return request.publication
        if request.status == PublicationRequest.Status.FAILED:
            return None  # a finance officer asks again after reading the message
        request.status = PublicationRequest.Status.RUNNING
        request.started_at = timezone.now()
        request.attempts += 1
        request.message = ""
        request.save(update_fields=["status", "started_at", "attempts", "message"])
    try:
        return publication_create(month=request.month, user=request.requested_by, request=request)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries; if it never gets through, the sweeper finds it running
    except Exception as exc:
        PublicationRequest.objects.filter(pk=request_id).exclude(status=PublicationRequest.Status.DONE).update(
            status=PublicationRequest.Status.FAILED,
            finished_at=timezone.now(),
            message=_("The publication failed: %(error)s") % {"error": exc},
        )
        from cases.notifications import notify, people_in
        from cases.roles import FINANCE

        notify(
            kind="failure",
            event=f"publication-request:{request_id}:failed:{request.attempts}",
            recipients=people_in(FINANCE),
            subject=_("The publication of %(month)s failed") % {"month": f"{request.month:%Y-%m}"},
            body=_("The publication of %(month)s failed: %(error)s") % {"month": f"{request.month:%Y-%m}", "error": exc}
            + "\n\n"
            + _("Ask for it again under Publications."),
        )
        raise


def publication_requests_sweep(*, stale_seconds: int = 600) -> list[int]:
    """Resend requests whose work was lost: waiting too long (a lost message, or the broker was
    down) or publishing without finishing (a killed worker). Resending one that is in fact still
    running costs a second computation but never a second publication."""
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    stale = list(
        PublicationRequest.objects.filter(
            Q(status=PublicationRequest.Status.PENDING, requested_at__lt=cutoff)
            | Q(status=PublicationRequest.Status.RUNNING, started_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for request_id in stale:
        _send_publication(request_id)
    if stale:
        logger.warning("resent publication requests left behind: %s", stale)
    return stale
