"""The yearly evaluation's part on the models weighed against each other: the co-financing key,
buy and sell and frame adjustment, per administration for the evaluated year (issue 31, part 4)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from allocation.evaluation.sections import Cell, Column, Section, Table
from allocation.frames.comparison import model_meanings, models_compared

SLUG = "frames"


def section(*, year: int) -> Section:
    compared = models_compared(year)
    title = _("Co-financing, buy and sell and frame adjustment")
    if not compared.rows:
        return Section(
            slug=SLUG,
            title=title,
            summary=_(
                "%(year)s has neither a co-financing pool with an approved key nor a price-based pool, so the "
                "models cannot be compared. Approve the year's co-financing key first."
            )
            % {"year": year},
        )
    rows: list[tuple[Cell, ...]] = [
        (f"{r.code} {r.name}".strip(), r.co_financing, r.buy_and_sell, r.frame_change) for r in compared.rows
    ]
    if compared.centre_frame_change is not None:
        rows.append((_("Contact centre"), None, None, compared.centre_frame_change))
    meanings = " ".join(f"{name}: {words}" for name, words in model_meanings())
    return Section(
        slug=SLUG,
        title=title,
        summary=meanings,
        tables=(
            Table(
                caption=_("Per administration %(year)s (kr)") % {"year": year},
                columns=(
                    Column(_("Administration"), "text"),
                    Column(_("Co-financing key"), "kronor"),
                    Column(_("Buy and sell"), "kronor"),
                    Column(_("Frame adjustment"), "kronor"),
                ),
                rows=tuple(rows),
            ),
        ),
    )
