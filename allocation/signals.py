"""Allocation listens to imports: months whose data changed make open measured keys stale."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def on_batch_loaded(sender: Any, batch: Any, months: list[Any], **kwargs: Any) -> None:
    from allocation.models import Publication
    from allocation.tasks import flag_stale_keys

    flag_stale_keys.delay([m.isoformat() for m in months])
    # A month already published is republished as a revised version with the corrected data.
    published = list(Publication.objects.filter(month__in=months).values_list("month", flat=True).distinct())
    if not published:
        return  # (and the publishing module, charts and workbooks, is not even imported)
    from allocation.publications.publishing import publication_request_create

    for month in published:
        publication_request_create(month=month, reason=_("corrected import (batch %(id)s)") % {"id": batch.pk})
