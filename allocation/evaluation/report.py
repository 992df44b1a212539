"""The yearly evaluation assembled: the sections in the order the decision lists them, the text
finance staff write above them (or a draft generated from the sections until they do), and the
years a report can be made for. The page, the PDF and the workbook all render one `Report`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.evaluation import costs, shares, volumes
from allocation.evaluation.sections import Section
from allocation.forecast import evaluation_part as forecast_part
from allocation.frames import evaluation_part as frames_part
from allocation.funding import evaluation_part as funding_part
from allocation.goals import evaluation_part as goals_part
from allocation.models import EvaluationText
from allocation.selectors import co_financing_pools
from allocation.transfers import evaluation_part as transfers_part
from cases import formats, roles
from cases.models import MonthlyAggregate
from cases.services import audited_save

# The most the text above the report may hold (the page, the PDF's first page).
TEXT_MAX_LENGTH = 8000

# The report's parts, in the order of the decision's evaluation: volumes and channels, shares and
# keys, costs, the effect goals, the transfers and their benefit, funding by source (and the frame
# comparison), and next year's forecast. Each capability states its own part (evaluation_part).
SECTION_PROVIDERS: tuple[Callable[..., Section], ...] = (
    volumes.section,
    shares.section,
    costs.section,
    goals_part.section,
    transfers_part.section,
    funding_part.section,
    frames_part.section,
    forecast_part.section,
)


@dataclass(frozen=True)
class ReportText:
    """The text at the top: finance staff's own, or the generated draft (`edited_by` None)."""

    text: str
    edited_by: str | None
    edited_at: datetime | None

    @property
    def is_draft(self) -> bool:
        return self.edited_by is None and self.edited_at is None


@dataclass(frozen=True)
class Report:
    year: int
    text: ReportText
    sections: tuple[Section, ...]


def report_years() -> list[int]:
    """The years a report can be made for: every year with the centre's own cases or a co-financing
    pool, newest first."""
    months = MonthlyAggregate.objects.filter(source__is_reference=False).dates("month", "year")
    years = {m.year for m in months} | set(co_financing_pools().values_list("year", flat=True))
    return sorted(years, reverse=True)


def draft_text(*, year: int, sections: tuple[Section, ...]) -> str:
    """A first version of the year's text, from what the sections say: one paragraph each."""
    lines = [_("The evaluation of the contact centre %(year)s, generated from the data.") % {"year": year}]
    lines += [f"{s.title}: {s.summary}" for s in sections if s.summary]
    return "\n\n".join(lines)


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def evaluation_report(*, year: int) -> Report:
    sections = tuple(provider(year=year) for provider in SECTION_PROVIDERS)
    stored = EvaluationText.objects.select_related("edited_by").filter(year=year).first()
    if stored is None:
        text = ReportText(draft_text(year=year, sections=sections), None, None)
    else:
        text = ReportText(stored.text, _person(stored.edited_by) or _("unknown"), stored.edited_at)
    return Report(year=year, text=text, sections=sections)


@transaction.atomic
def evaluation_text_save(*, year: int, text: str, user: Any) -> EvaluationText:
    """Finance staff's text for the year's evaluation, audited (before and after) like every edit."""
    if not roles.is_finance(user):
        raise PermissionDenied(_("Only finance staff may edit the evaluation's text."))
    text = text.replace("\r\n", "\n").strip()  # a browser's textarea sends CRLF
    if len(text) > TEXT_MAX_LENGTH:  # a TextField's max_length is not enforced by Django itself
        raise ValidationError(
            _("The text is %(length)s characters long; the evaluation holds at most %(most)s.")
            % {"length": formats.number(len(text)), "most": formats.number(TEXT_MAX_LENGTH)}
        )
    record = EvaluationText.objects.select_for_update().filter(year=year).first() or EvaluationText(year=year)
    record.text = text
    record.edited_by = user
    return audited_save(
        record, fields=["year", "text"], user=user, action="evaluation_text", obj_type="evaluation_text"
    )
