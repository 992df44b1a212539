"""400, 403, 404 and 500 in the site's layout, in Swedish and in English, each saying what to do."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

# (status, how to get it, a Swedish sentence, an English sentence)
SWEDISH = {
    400: "Begäran kunde inte förstås",
    403: "Du har inte behörighet till sidan",
    404: "Sidan finns inte",
    500: "Något gick fel hos oss",
}
ENGLISH = {
    400: "The request could not be understood",
    403: "You do not have access to this page",
    404: "The page does not exist",
    500: "Something went wrong on our side",
}
BARE = ("Not Found", "Forbidden", "Bad Request (400)", "Server Error (500)", "The requested resource")


def _client(user, language: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    if language != "sv":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _responses(user, language, monkeypatch):  # type: ignore[no-untyped-def]
    import config.start

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(config.start, "administrations_visible_to", broken)
    client = _client(user, language)
    yield 404, client.get("/finns-inte/")
    yield 403, client.get("/allocation/keys/new/measured/")  # finance only
    yield 400, client.get("/", HTTP_HOST="evil.example")  # a host the site does not serve
    yield 500, _client(user, language).get("/")


@pytest.mark.parametrize(("language", "expected"), [("sv", SWEDISH), ("en", ENGLISH)])
def test_error_pages_are_in_the_site_layout_in_the_readers_language(language, expected, head_user, monkeypatch):
    head_user.is_superuser = False
    for status, response in _responses(head_user, language, monkeypatch):
        page = response.content.decode()
        assert response.status_code == status
        assert expected[status] in page, (status, page[:2000])
        assert 'id="main"' in page and 'href="/"' in page, status  # the layout, with the way home
        assert f'<html lang="{language}"' in page
        for bare in BARE:
            assert bare not in page, (status, bare)


def test_the_500_page_tells_what_to_do_even_without_a_logged_in_user():
    from django.test import RequestFactory
    from django.utils import translation

    from config.errors import server_error

    with translation.override("sv"):
        response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert SWEDISH[500] in page and "Försök igen" in page


def test_the_403_page_tells_a_logged_out_reader_to_log_in():
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.utils import translation

    from config.errors import permission_denied

    request = RequestFactory().get("/statistik/")
    request.user = AnonymousUser()
    with translation.override("sv"):
        page = permission_denied(request, PermissionDenied()).content.decode()
    assert "Logga in" in page and 'href="/login/?next=/statistik/"' in page


def test_a_form_sent_without_its_security_token_says_it_expired_and_changed_nothing(finance_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance_user)
    response = client.post("/statistik/publicera/", {"month": "2026-03"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Formuläret har gått ut" in page and "Ingenting ändrades" in page and 'id="main"' in page
