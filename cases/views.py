"""HTML pages of the organisation side: the start page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases import roles
from cases.selectors import administrations_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "is_finance": roles.is_finance(user),
        "is_steering": roles.is_steering(user),
        "is_head": roles.is_department_head(user),
        "administrations": administrations_visible_to(user),
        "latest": _latest_publication(),
    }
    return render(request, "cases/home.html", context)


def _latest_publication() -> object | None:
    # cases must not import allocation: look the model up by name.
    from django.apps import apps

    return apps.get_model("allocation", "Publication").objects.order_by("-month", "-version").first()


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: their roles and administrations, and their API tokens.

    A new token's key is written into this one response (never stored, never in a cookie);
    the response is private and not stored by the browser (Cache-Control: no-store).
    """
    from django.contrib.auth.models import User
    from django.core.exceptions import ValidationError

    from cases.models import ApiToken
    from cases.services import api_token_create, api_token_revoke

    user = request.user
    assert isinstance(user, User)  # login_required
    new_key = None
    error = None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                raw = str(request.POST.get("revoke", ""))
                token = (
                    ApiToken.objects.select_related("user").filter(pk=int(raw), user=user).first()
                    if raw.isdigit() and len(raw) < 19
                    else None
                )
                if token is None:
                    error = "Ingen sådan token."
                else:
                    api_token_revoke(token=token, user=user)
            else:
                name = (request.POST.get("name") or "").strip()[:100]
                _token, new_key = api_token_create(user=user, name=name, created_by=user)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    context = {
        "tokens": ApiToken.objects.filter(user=user).order_by("-created"),
        "new_key": new_key,
        "error": error,
        "groups": sorted(request.user.groups.values_list("name", flat=True)),
        "administrations": administrations_visible_to(request.user),
    }
    return render(request, "cases/account.html", context)
