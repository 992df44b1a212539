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
