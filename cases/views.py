"""HTML pages of the organisation side: the start page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import roles
from cases.downloads import table_response
from cases.selectors import administrations_visible_to


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: their roles and administrations, and their API tokens.

    A new token's key is written into this one response (never stored, never in a cookie);
    the response is private and not stored by the browser (Cache-Control: no-store).
    """
    from django.contrib.auth.models import User
    from django.core.exceptions import ValidationError

    from cases.models import ApiToken
    from cases.tokens import api_token_create, api_token_revoke

    user = request.user
    assert isinstance(user, User)  # login_required
    new_key = None
    error = None
    email_saved, email_error = False, ""
    if request.method == "POST" and "email" in request.POST:
        from cases.services import user_email_change

        try:
            email_saved = user_email_change(user=user, email=str(request.POST.get("email", "")))
        except ValidationError as exc:
            email_error = "; ".join(exc.messages)
    elif request.method == "POST" and "notifications" in request.POST:
        from cases.services import notification_choices_save

        notification_choices_save(user=user, wanted=set(request.POST.getlist("kind")))
    elif request.method == "POST":
        try:
            if "revoke" in request.POST:
                raw = str(request.POST.get("revoke", ""))
                token = (
                    ApiToken.objects.select_related("user").filter(pk=int(raw), user=user).first()
                    if raw.isdigit() and len(raw) < 19
                    else None
                )
                if token is None:
                    error = _("No such token.")
                else:
                    api_token_revoke(token=token, user=user)
            else:
                name = (request.POST.get("name") or "").strip()[:100]
                _token, new_key = api_token_create(user=user, name=name, created_by=user)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    from cases.models import Notification, NotificationOptOut

    off = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    context = {
        "notification_kinds": [(k, label, k not in off) for k, label in Notification.Kind.choices],
        "recipients": notification_recipients(user, off),
        "email_saved": email_saved,
        "email_error": email_error,
        "tokens": ApiToken.objects.filter(user=user).order_by("-created"),
        "new_key": new_key,
        "error": error,
        "groups": sorted(roles.role_label(name) for name in request.user.groups.values_list("name", flat=True)),
        "administrations": administrations_visible_to(request.user),
    }
    return render(request, "cases/account.html", context)


def notification_recipients(user: Any, off: set[str]) -> list[tuple[str, str, bool]]:
    """Who receives each kind of e-mail, and whether this user does (role, address, choice):
    the rules of `cases.notifications.notify`'s callers, said in words."""
    from cases.models import Notification

    kinds = Notification.Kind
    who: dict[str, tuple[str, bool]] = {
        kinds.KEY_PROPOSED: (_("the steering group, except the person who proposed"), roles.is_steering(user)),
        kinds.KEY_DECIDED: (_("the person who proposed the key or settlement"), roles.is_finance(user)),
        kinds.MONTH_PUBLISHED: (
            _("the department heads of each administration in the publication"),
            roles.is_department_head(user),
        ),
        kinds.FAILURE: (_("finance staff"), roles.is_finance(user)),
    }
    return [
        (str(label), str(who[kind][0]), bool(who[kind][1] and user.email and kind not in off))
        for kind, label in kinds.choices
    ]


AUDIT_PAGE_SIZE = 100


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log for finance staff and the steering group: filter by who, what, object and
    period; before and after side by side; the filtered entries as CSV or Excel."""
    from django.core.exceptions import PermissionDenied
    from django.core.paginator import Paginator

    from cases.audit_labels import action_label, changes_in_words, object_label
    from cases.months import parse_day
    from cases.selectors import audit_changes, audit_entries

    if not roles.reads_everything(request.user):
        raise PermissionDenied
    params = request.GET
    filters: dict[str, Any] = {
        "who": params.get("who", "").strip()[:100],
        "action": params.get("action", "").strip()[:100],
        "object_type": params.get("object_type", "").strip()[:100],
        "object_id": params.get("object_id", "").strip()[:100],
        "since": parse_day(params.get("since", "")),
        "until": parse_day(params.get("until", "")),
    }
    entries = audit_entries(**filters)
    fmt = params.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _audit_export(entries, fmt)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(params.get("page"))
    from cases.models import AuditEntry

    context = {
        "page": page,
        "rows": [
            (
                e,
                changes_in_words(e.before, e.after),
                audit_changes(e.before, e.after),
                f"{action_label(e.action)}: {object_label(e.object_type)}",
            )
            for e in page.object_list
        ],
        "filters": filters,
        "query": {k: v for k, v in params.items() if k not in ("page", "format") and v},
        "object_types": [
            (t, object_label(t))
            for t in AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
        ],
    }
    return render(request, "cases/audit.html", context)


def _audit_export(entries: Any, fmt: str) -> HttpResponse:
    """The entries in words (what was done to what, each change as "field: before → after"),
    with the stored record as JSON beside them for whoever needs the technical detail."""
    import json

    from cases.audit_labels import action_label, changes_in_words, object_label

    header = [
        _("time"),
        _("who"),
        _("action"),
        _("object type"),
        _("object id"),
        _("changes"),
        _("before"),
        _("after"),
    ]
    rows = (
        [
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            action_label(e.action),
            object_label(e.object_type),
            e.object_id,
            "; ".join(f"{field}: {old} → {new}" for field, old, new in changes_in_words(e.before, e.after)),
            "" if e.before is None else json.dumps(e.before, ensure_ascii=False),
            "" if e.after is None else json.dumps(e.after, ensure_ascii=False),
        ]
        for e in entries.iterator(chunk_size=2000)
    )
    return table_response(name="andringslogg", fmt=fmt, header=header, rows=rows, sheet=_("Audit log"))
