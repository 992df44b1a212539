"""Finance pages for the organisation: administrations, data sources and the grouping map (in
force on a date, a grouping's history, the differences between two dates, editing a grouping
from a date with a preview, upload and download in the import format)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import roles
from cases.downloads import table_response
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import Administration, DataSource, Grouping, GroupingMapVersion, MonthlyAggregate
from cases.months import months_back, parse_day
from cases.numbers import NumberError, parse_number
from cases.selectors import MapLine, grouping_map_history, grouping_map_on
from cases.services import administration_save, data_source_save
from cases.source_profiles import ProfileJSONField

# --- Administrations ------------------------------------------------------------------------


class AdministrationForm(forms.ModelForm):
    class Meta:
        model = Administration
        fields = ["code", "name", "cost_centre", "valid_from", "valid_to"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
        }


def _save_form(request: HttpRequest, form: forms.ModelForm, save: Any) -> bool:
    if not form.is_valid():
        return False
    try:
        save(form.instance)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return False
    return True


@login_required
def administration_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    form = AdministrationForm(request.POST or None) if roles.is_finance(request.user) else None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if _save_form(request, form, lambda a: administration_save(administration=a, user=request.user)):
            messages.success(request, _("The administration %(name)s is created.") % {"name": form.instance})
            return HttpResponseRedirect(reverse("organisation:administrations"))
    today = timezone.localdate()
    administrations = Administration.objects.order_by("code")
    return render(
        request,
        "organisation/administrations.html",
        {"administrations": administrations, "form": form, "today": today},
    )


@login_required
def administration_edit(request: HttpRequest, code: str) -> HttpResponse:
    roles.require_finance(request)
    administration = get_object_or_404(Administration, code=code)
    form = AdministrationForm(request.POST or None, instance=administration)
    if request.method == "POST" and _save_form(
        request, form, lambda a: administration_save(administration=a, user=request.user)
    ):
        messages.success(request, _("The administration %(name)s is saved.") % {"name": administration.code})
        return HttpResponseRedirect(reverse("organisation:administrations"))
    return render(request, "organisation/administration_edit.html", {"form": form, "administration": administration})


# --- Data sources ---------------------------------------------------------------------------


class SourceForm(forms.ModelForm):
    profile = ProfileJSONField(
        label=_("profile"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "Advanced: how the export is read, as JSON (the profile form builds it from a sample file), "
            'e.g. {"columns": {"case_id": "Ärendenummer"}, "date_format": "%d/%m/%Y %H:%M"}. '
            "Empty: the standard columns."
        ),
    )

    class Meta:
        model = DataSource
        fields = ["name", "is_reference", "delivers_monthly", "profile"]

    def clean_profile(self) -> Any:
        return self.cleaned_data.get("profile") or {}


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    # A new source does not claim monthly deliveries until finance says so (the model's default).
    form = SourceForm(request.POST or None) if roles.is_finance(request.user) else None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if _save_form(request, form, lambda s: data_source_save(source=s, user=request.user)):
            messages.success(request, _("The source %(name)s is registered.") % {"name": form.instance})
            return HttpResponseRedirect(reverse("organisation:sources"))
    from django.db.models import Max

    stats = {
        row["source_id"]: (row["cases"], row["last"])
        for row in MonthlyAggregate.objects.values("source_id").annotate(cases=Sum("cases"), last=Max("month"))
    }
    sources = []
    for source in DataSource.objects.order_by("name"):
        source.profile_text = json.dumps(source.profile, ensure_ascii=False)  # type: ignore[attr-defined]
        sources.append((source, *stats.get(source.pk, (0, None))))
    return render(request, "organisation/sources.html", {"sources": sources, "form": form})


@login_required
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    roles.require_finance(request)
    source = get_object_or_404(DataSource, pk=source_id)
    form = SourceForm(request.POST or None, instance=source)
    if request.method == "POST" and _save_form(request, form, lambda s: data_source_save(source=s, user=request.user)):
        messages.success(request, _("The source %(name)s is saved.") % {"name": source.name})
        return HttpResponseRedirect(reverse("organisation:sources"))
    return render(request, "organisation/source_edit.html", {"form": form, "source": source})


# --- The grouping map -----------------------------------------------------------------------


def _on(request: HttpRequest, name: str = "on") -> date:
    return parse_day(request.GET.get(name, "")) or timezone.localdate()


@login_required
def map_in_force(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    on = _on(request)
    query = request.GET.get("q", "").strip().lower()[:100]
    admin = request.GET.get("administration", "").strip()[:20]
    in_force = grouping_map_on(on=on)
    names = dict(Grouping.objects.values_list("code", "name"))
    rows = []
    for code, lines in in_force.items():
        if query and query not in code.lower() and query not in names.get(code, "").lower():
            continue
        if admin and not any(line.administration == admin for line in lines):
            continue
        rows.append((code, names.get(code, ""), lines))
    draft = None
    draft_id = request.GET.get("draft", "")
    if draft_id.isdigit():
        draft = GroupingMapVersion.objects.filter(pk=int(draft_id), is_draft=True).first()
    return render(
        request,
        "organisation/map.html",
        {
            "on": on,
            "q": query,
            "administration": admin,
            "rows": rows,
            "total": len(in_force),
            "administrations": Administration.objects.order_by("code"),
            "draft": draft,
            "draft_rows": list(draft.entries.select_related("grouping", "administration").order_by("grouping__code"))
            if draft
            else [],
            "is_finance": roles.is_finance(request.user),
            "unmapped": sorted(set(names) - set(in_force)),
        },
    )


@login_required
def map_draft_apply(request: HttpRequest, version_id: int) -> HttpResponse:
    """Make a what-if's draft real: its rows go through the normal map change (checks, audit)."""
    roles.require_finance(request)
    if request.method != "POST":
        return HttpResponseRedirect(reverse("organisation:map") + f"?draft={version_id}")
    draft = get_object_or_404(GroupingMapVersion, pk=version_id, is_draft=True)
    rows = [
        MapRow(
            i,
            e.grouping.code,
            "",
            e.administration.code if e.administration else "",
            e.fraction,
            e.is_central,
            e.is_ended,
        )
        for i, e in enumerate(draft.entries.select_related("grouping", "administration").order_by("grouping__code"), 1)
    ]
    try:
        grouping_map_version_create(valid_from=draft.valid_from, rows=rows, name=draft.name, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("organisation:map") + f"?draft={draft.pk}")
    messages.success(request, _("The change applies from %(from)s.") % {"from": f"{draft.valid_from:%Y-%m-%d}"})
    return HttpResponseRedirect(reverse("organisation:map") + f"?on={draft.valid_from:%Y-%m-%d}")


def _lines_text(lines: list[MapLine]) -> str:
    if not lines:
        return "–"
    if lines[0].central:
        return "central"
    return ", ".join(f"{line.administration} {format(line.fraction.normalize(), 'f')}" for line in lines)


@login_required
def map_diff(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    first, second = _on(request, "from"), _on(request, "to")
    a, b = grouping_map_on(on=first), grouping_map_on(on=second)
    names = dict(Grouping.objects.values_list("code", "name"))
    rows = [
        (code, names.get(code, ""), _lines_text(a.get(code, [])), _lines_text(b.get(code, [])))
        for code in sorted(set(a) | set(b))
        if _lines_text(a.get(code, [])) != _lines_text(b.get(code, []))
    ]
    return render(request, "organisation/map_diff.html", {"first": first, "second": second, "rows": rows})


class GroupingChangeForm(forms.Form):
    valid_from = forms.DateField(label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    owners = forms.CharField(
        label=_("owners"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per owner: administration; fraction (fractions add up to exactly 1)."),
    )
    central = forms.BooleanField(label=_("central (not co-financed)"), required=False)
    ended = forms.BooleanField(label=_("not in use from this date"), required=False)

    def rows(self, grouping: Grouping) -> list[MapRow]:
        data = self.cleaned_data
        if data["central"] and data["ended"]:
            raise ValidationError(_("Choose either central or ended."))
        if data["central"] or data["ended"]:
            return [MapRow(1, grouping.code, grouping.name, "", Decimal(1), data["central"], data["ended"])]
        rows = []
        errors = []
        for number, line in enumerate((data.get("owners") or "").splitlines(), start=1):
            if not line.strip():
                continue
            admin, _sep, raw = line.replace("\t", ";").partition(";")
            try:
                fraction = parse_number(raw.strip() or "1")
            except NumberError as exc:
                errors.append(_("Row %(row)s, column fraction: %(reason)s") % {"row": number, "reason": exc})
                continue
            rows.append(MapRow(number, grouping.code, grouping.name, admin.strip(), fraction, False))
        if errors:
            raise ValidationError(errors)
        if not rows:
            raise ValidationError(_("Give at least one owner, or mark the grouping as central or ended."))
        return rows


def load_move(
    grouping: str, before: list[MapLine], rows: list[MapRow], end: date
) -> list[tuple[str, Decimal, Decimal]]:
    """How the grouping's co-financed cases of the 12 months ending `end` would move between
    administrations: (administration, cases before, cases after), split groupings fractionally."""
    start = months_back(end.replace(day=1), 12)[0]
    cases = (
        MonthlyAggregate.objects.filter(
            grouping__code=grouping, source__is_reference=False, month__gte=start, month__lte=end
        ).aggregate(n=Sum("cases"))["n"]
        or 0
    )
    old: dict[str, Decimal] = defaultdict(Decimal)
    new: dict[str, Decimal] = defaultdict(Decimal)
    for line in before:
        if line.administration:
            old[line.administration] += cases * line.fraction
    for row in rows:
        if not row.central and not row.ended and row.administration:
            new[row.administration] += cases * row.fraction
    return [(code, old.get(code, Decimal(0)), new.get(code, Decimal(0))) for code in sorted(set(old) | set(new))]


@login_required
def grouping_detail(request: HttpRequest, code: str) -> HttpResponse:
    roles.require_reader(request)
    grouping = get_object_or_404(Grouping, code=code)
    form = GroupingChangeForm(request.POST or None) if roles.is_finance(request.user) else None
    preview = None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if form.is_valid():
            try:
                rows = form.rows(grouping)
                valid_from = form.cleaned_data["valid_from"]
                if "save" in request.POST:
                    version = grouping_map_version_create(valid_from=valid_from, rows=rows, user=request.user)
                    if version is None:
                        messages.info(request, _("The owners are already the same from that date: no change was made."))
                    else:
                        messages.success(
                            request,
                            (
                                _("%(code)s changed from %(from)s.")
                                % {"code": grouping.code, "from": f"{valid_from:%Y-%m-%d}"}
                            ),
                        )
                    return HttpResponseRedirect(reverse("organisation:grouping", args=[grouping.code]))
                before = grouping_map_on(on=valid_from).get(grouping.code, [])
                end = timezone.localdate() - timedelta(days=timezone.localdate().day)
                preview = load_move(grouping.code, before, rows, end)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
    today = timezone.localdate()
    return render(
        request,
        "organisation/grouping.html",
        {
            "grouping": grouping,
            "history": grouping_map_history(grouping_code=grouping.code),
            "in_force": grouping_map_on(on=today).get(grouping.code, []),
            "today": today,
            "form": form,
            "preview": preview,
        },
        status=400 if form is not None and form.errors else 200,  # refused input: a 400 with the reason
    )


MAP_EXPORT_HEADER = ["grouping", "name", "administration", "fraction", "central", "ended", "valid_from"]


def map_rows_for_export(on: date) -> list[list[Any]]:
    """The map in force on `on` in the import format (DESIGN.md §6): loading it again changes
    nothing, since every row restates an owner already in force."""
    names = dict(Grouping.objects.values_list("code", "name"))
    rows = []
    for code, lines in grouping_map_on(on=on).items():
        for line in lines:
            rows.append(
                [
                    code,
                    names.get(code, ""),
                    line.administration or "",
                    line.fraction.normalize(),  # a number cell in the workbook; "0.6" in the CSV
                    1 if line.central else 0,
                    0,
                    line.since.isoformat(),
                ]
            )
    return rows


@login_required
def map_export(request: HttpRequest, fmt: str) -> HttpResponse:
    roles.require_reader(request)
    on = _on(request)
    rows = map_rows_for_export(on)
    # Commas in the CSV: the file is a grouping map file that can be uploaded again as it is.
    return table_response(
        name=f"fordelning-av-grupperingar-{on:%Y-%m-%d}",
        fmt=fmt,
        header=MAP_EXPORT_HEADER,
        rows=rows,
        sheet=_("Map"),
        delimiter=",",
    )
