"""The yearly evaluation's pages: the year chooser, the report (page, PDF, workbook) and the
text finance staff edit. The evaluation is the steering group's: finance staff and the steering
group read it; department heads are refused (their own figures are on the monthly statistics)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.evaluation.cells import shown_section
from allocation.evaluation.report import evaluation_report, evaluation_text_save, report_years
from allocation.evaluation.workbook import report_workbook
from allocation.keys.printing import MemoPdfUnavailable, memo_pdf
from cases import roles

FIRST_YEAR, LAST_YEAR = 2000, 2200


def _require_reader(request: HttpRequest) -> None:
    if not roles.reads_everything(request.user):
        raise PermissionDenied


@login_required
def evaluation_index(request: HttpRequest) -> HttpResponse:
    """The years with data; choosing one opens its report."""
    _require_reader(request)
    years = report_years()
    chosen = request.GET.get("year", "")
    if chosen.isdigit() and int(chosen) in years:
        return HttpResponseRedirect(reverse("allocation:evaluation-year", args=[int(chosen)]))
    return render(request, "evaluation/index.html", {"years": years})


@login_required
def evaluation_year(request: HttpRequest, year: int) -> HttpResponse:
    """The year's report; `?format=pdf` prints it like the decision memo, `?format=xlsx` is the workbook."""
    _require_reader(request)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    report = evaluation_report(year=year)
    shown = [shown_section(s) for s in report.sections]
    fmt = request.GET.get("format")
    if fmt == "xlsx":
        stamp = report.text.edited_at or datetime(year, 12, 31)
        response = HttpResponse(
            report_workbook(report, stamp=stamp),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="utvardering-{year}.xlsx"'
        return response
    if fmt == "pdf":
        html = render(request, "evaluation/print.html", {"report": report, "sections": shown}).content.decode()
        try:
            pdf = memo_pdf(html)
        except MemoPdfUnavailable as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("allocation:evaluation-year", args=[year]))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="utvardering-{year}.pdf"'
        return response
    context = {
        "report": report,
        "sections": shown,
        "years": report_years(),
        "may_edit": roles.is_finance(request.user),
    }
    return render(request, "evaluation/report.html", context)


@login_required
def evaluation_text(request: HttpRequest, year: int) -> HttpResponse:
    """Finance staff save the year's text (POST); a GET goes to the report with the form."""
    if not roles.is_finance(request.user):
        raise PermissionDenied
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    target = reverse("allocation:evaluation-year", args=[year])
    if request.method != "POST":
        return HttpResponseRedirect(target)
    try:
        evaluation_text_save(year=year, text=request.POST.get("text", ""), user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The text is saved (%(when)s).") % {"when": f"{timezone.localtime():%Y-%m-%d %H:%M}"}
        )
    return HttpResponseRedirect(target + "#text")
