"""Analysis for the steering group: what a changed grouping map would do to a key (what-if, and
saving it as a draft map change), and the rolling 12-month shares beside the key (drift)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.calculation import AllocationError
from allocation.models import (
    AllocationKey,
)
from allocation.publications.figures import rolling_share
from allocation.selectors import (
    co_financing_key,
    map_owners,
    window_volumes,
)
from cases import formats
from cases.models import Administration, DataSource, Grouping


def allocation_what_if(
    *, key: AllocationKey, changes: dict[str, list[calculation.MapOwner]], amount: Decimal | None = None
) -> tuple[dict[str, Decimal], list[Any], list[Any]]:
    """The shares (and amounts) a measured key would give with some groupings moved or split.

    Nothing is saved. `changes` maps a grouping code to its new owners (an owner of None
    makes it central). Returns the new loads, the comparison with the key, and the groupings
    that drive the change (allocation.runs.explanations, as on the comparison page).
    """
    from allocation.keys.comparison import compare_loads
    from allocation.runs.explanations import lines_explanation
    from allocation.selectors import key_lines

    if key.kind != AllocationKey.Kind.MEASURED or key.map_version is None:
        raise ValidationError(_("A what-if analysis needs a measured key."))
    errors = []
    admins = set(Administration.objects.values_list("code", flat=True))
    for grouping, owners in changes.items():
        total = sum((o.fraction for o in owners), Decimal(0))
        if total != 1:
            errors.append(
                _("Grouping %(code)s: the fractions add up to %(total)s, not 1.")
                % {"code": grouping, "total": formats.decimal(total.normalize())}
            )
        bad = [o.administration for o in owners if o.administration is not None and o.administration not in admins]
        if bad:
            errors.append(
                _("Grouping %(code)s: unknown administrations %(codes)s.") % {"code": grouping, "codes": ", ".join(bad)}
            )
    if errors:
        raise ValidationError(errors)
    grouping_map = map_owners(key.map_version)
    grouping_map.update(changes)
    source_ids = list(DataSource.objects.filter(name__in=key.sources).values_list("id", flat=True))
    assert key.window_from is not None and key.window_to is not None
    cells = window_volumes(window_from=key.window_from, window_to=key.window_to, source_ids=source_ids)
    weights = {code: Decimal(w) for code, w in key.channel_weights.items()}
    try:
        result = calculation.measured_loads(
            cells=cells,
            grouping_map=grouping_map,
            basis=key.basis,
            channel_weights=weights,
            administrations=sorted(admins),
        )
        calculation.check_loads(result)
        comparison = compare_loads(dict(key.shares.values_list("administration__code", "load")), result.loads, amount)
        drivers = lines_explanation(
            key_lines(key), [(line.grouping, line.administration, line.load) for line in result.lines], amount
        )
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    return result.loads, comparison, drivers


@transaction.atomic
def grouping_map_what_if_save(
    *, key: AllocationKey, changes: dict[str, list[calculation.MapOwner]], valid_from: date, user: Any = None
) -> Any:
    """Save the what-if's changed groupings as a draft map change dated `valid_from` (never in
    force; finance staff make it real through the map editing, which checks and audits it)."""
    from cases.grouping_maps import MapRow, grouping_map_version_create

    if key.map_version is None:
        raise ValidationError(_("The key has no grouping map to start from."))
    names = dict(Grouping.objects.values_list("code", "name"))
    rows = [
        MapRow(i, code, names.get(code, code), o.administration or "", o.fraction, o.administration is None)
        for i, (code, group) in enumerate(sorted(changes.items()), start=1)
        for o in group
    ]
    return grouping_map_version_create(
        valid_from=valid_from,
        rows=rows,
        name=(_("What-if – starting from key #%(key)s") % {"key": key.pk}),
        is_draft=True,
        user=user,
    )


def rolling_shares(*, month: date) -> dict[str, Any]:
    """The measured share over the 12 months ending with `month` (figures.rolling_share: each month
    with its own map, unowned cases shown beside the administrations), beside the share in the
    approved key in force then: the drift the steering group watches. The drift page and the API
    read this; the published statistics read the same rolling_share."""
    end = month.replace(day=1)
    admins = sorted(Administration.objects.values_list("code", flat=True))
    rolling = rolling_share(month=end, administrations=admins)
    measured = rolling.percent
    approved = co_financing_key(year=end.year)
    in_key = {}
    if approved is not None:
        loads = dict(approved.shares.values_list("administration__code", "load"))
        in_key = calculation.percentages(loads) if any(loads.values()) else {}
    return {
        "month": f"{end:%Y-%m}",
        "window": [f"{rolling.window[0]:%Y-%m}", f"{rolling.window[1]:%Y-%m}"],
        "basis": AllocationKey.Basis.CASES,
        "approved_key": approved.pk if approved else None,
        "administrations": {
            code: {
                "rolling_percent": str(measured.get(code, Decimal(0))),
                "key_percent": str(in_key[code]) if code in in_key else None,
                "drift_pp": str(measured.get(code, Decimal(0)) - in_key[code]) if code in in_key else None,
            }
            for code in admins
        },
        "unowned": {
            "cases": str(rolling.unowned_cases),
            "rolling_percent": str(rolling.unowned_percent) if rolling.unowned_percent is not None else None,
        },
    }
