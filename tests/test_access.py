"""Every URL of the service, for every role, against the access table (README: *Access*).

A URL without a rule in ACCESS fails `test_every_url_has_a_rule`, so a new page, download or
endpoint cannot be added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from allocation.models import AllocationRun
from imports.models import ImportBatch

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("anonymous", "finance", "steering", "head", "head_none")
EVERYONE = set(ROLES)
LOGGED_IN = {"finance", "steering", "head", "head_none"}
READERS = {"finance", "steering"}
FINANCE = {"finance"}
HEADS_TOO = READERS | {"head", "head_none"}
OWN_ADMIN = READERS | {"head"}  # the head is linked to UF, the administration used in the URLs
STAFF = "staff"  # the Django admin: staff only; what a staff user may do there is the admin's own rule

ACCESS: dict[str, set[str] | str] = {
    "login": EVERYONE,
    "accessibility": EVERYONE,
    "logout": EVERYONE,
    "set_language": EVERYONE,
    "home": LOGGED_IN,
    "account": LOGGED_IN,
    "audit": READERS,
    "schema": LOGGED_IN,
    "api-docs": LOGGED_IN,
    "imports:errors": FINANCE,
    "imports:upload": FINANCE,
    "imports:batches": FINANCE,
    "imports:batch": FINANCE,
    "allocation:key-list": READERS,
    "allocation:key-detail": READERS,
    "allocation:key-compare": READERS,
    "allocation:key-decision": LOGGED_IN,  # POST only; the view then allows finance/steering per step
    "allocation:key-new-measured": FINANCE,
    "allocation:key-new-values": FINANCE,
    "allocation:key-what-if": READERS,
    "allocation:key-try-without": FINANCE,
    "allocation:key-memo": READERS,
    "allocation:drift": READERS,
    "allocation:centre-cost": READERS,
    "allocation:settlement-list": READERS,
    "allocation:settlement-detail": READERS,
    "allocation:budget-frames": READERS,
    "allocation:pool-list": READERS,
    "allocation:pool-detail": READERS,
    "allocation:run-detail": READERS,
    "allocation:run-postings": FINANCE,
    "allocation:run-post": FINANCE,  # POST only: the role is checked before the method
    "allocation:posting-file": FINANCE,
    "allocation:pool-price-decision": READERS,  # POST only; the service then allows finance/steering per step
    "allocation:posting-profile": READERS,
    "allocation:funding:overview": READERS,
    "allocation:funding:chart": READERS,
    "allocation:funding:source": READERS,
    "allocation:funding:extensions": READERS,  # uploading a list: finance only (the view checks)
    "allocation:frames:comparison": READERS,
    "allocation:frames:adjustment-create": FINANCE,  # POST only: the role is checked before the method
    "allocation:frames:adjustment": READERS,
    "allocation:forecast-default": READERS,
    "allocation:forecast": READERS,
    "allocation:forecast-assumption": FINANCE,  # POST only: the role is checked before the method
    "allocation:evaluation": READERS,  # the steering group's evaluation: department heads are refused
    "allocation:evaluation-year": READERS,
    "allocation:evaluation-text": FINANCE,  # POST only: the role is checked before the method
    "allocation:transfer-register": HEADS_TOO,  # a head sees their own administrations' transfers
    "allocation:transfer-new": FINANCE,
    "allocation:transfer-edit": FINANCE,
    "allocation:transfer-delete": FINANCE,  # POST only: the role is checked first, a GET goes to the button
    "allocation:transfer-import": FINANCE,
    "allocation:hour-cost": FINANCE,
    "allocation:benefit": HEADS_TOO,  # a head sees the municipality's total and their own rows
    "allocation:benefit-administration": OWN_ADMIN,
    "allocation:goals:follow-up": HEADS_TOO,
    "allocation:goals:target-sets": READERS,
    "allocation:goals:target-set": READERS,
    "allocation:goals:target-set-new": FINANCE,
    "allocation:goals:target-set-edit": FINANCE,
    "allocation:goals:target-set-decision": READERS,  # POST only; a GET goes to the set's page
    "organisation:administrations": READERS,
    "organisation:administration": FINANCE,
    "organisation:sources": READERS,
    "organisation:source": FINANCE,
    "organisation:map": READERS,
    "organisation:map-diff": READERS,
    "organisation:map-export": READERS,
    "organisation:map-draft-apply": FINANCE,
    "organisation:grouping": READERS,
    "imports:map-upload": FINANCE,
    "imports:source-preview": FINANCE,
    "imports:source-profile": FINANCE,
    "imports:source-profile-live": FINANCE,  # POST only: the role first; a GET leads to the form
    "statistics:list": HEADS_TOO,
    "statistics:publish": FINANCE,  # POST only; a GET from finance staff answers 405
    "statistics:overview": HEADS_TOO,
    "statistics:administration": OWN_ADMIN,
    "statistics:file": OWN_ADMIN,
    "api:administration-list": LOGGED_IN,  # a head gets only their own administrations
    "api:grouping-list": READERS,
    "api:channel-list": READERS,
    "api:grouping-map": READERS,
    "api:import-list": FINANCE,
    "api:import-upload": FINANCE,
    "api:import-detail": FINANCE,
    "api:import-errors": FINANCE,
    "api:key-list": READERS,
    "api:key-compute": FINANCE,
    "api:key-from-values": FINANCE,
    "api:key-compare": READERS,
    "api:key-rolling": READERS,
    "api:key-detail": READERS,
    "api:key-decision": READERS,
    "api:key-what-if": READERS,
    "api:key-excel": READERS,
    "api:run-list": READERS,
    "api:run-create": FINANCE,
    "api:run-postings": FINANCE,
    "api:posting-file": FINANCE,
    "api:run-detail": READERS,
    "api:run-excel": READERS,
    "api:forecast": READERS,
    "api:statistics-overview": HEADS_TOO,
    "api:statistics-administration": OWN_ADMIN,
    # The admin's own login and logout pages are public; every other admin URL is STAFF.
    "admin:login": EVERYONE,
    "admin:logout": EVERYONE,
}


def all_urls() -> list[tuple[str, URLPattern]]:
    def walk(patterns, ns):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, inner)
            elif p.name:
                yield (f"{ns}:{p.name}" if ns else p.name), p

    return list(walk(get_resolver().url_patterns, None))


def rule_for(name: str) -> set[str] | str | None:
    if name in ACCESS:
        return ACCESS[name]
    return STAFF if name.startswith("admin:") else None


def test_every_url_has_a_rule():
    missing = sorted(name for name, _ in all_urls() if rule_for(name) is None)
    assert not missing, f"URLs without an access rule: {missing}"


def _url(name: str, pattern: URLPattern, samples: dict[str, object]) -> str | None:
    params = list(pattern.pattern.regex.groupindex)
    try:
        return reverse(name, kwargs={p: samples[p] for p in params})
    except Exception:  # a pattern whose parameters we cannot fill is reported, not skipped silently
        return None


def _denied(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "login" in response.get("Location", "")


@pytest.mark.slow
def test_every_url_for_every_role_follows_the_table(world):
    users, samples = world
    failures = []
    unreachable = []
    for name, pattern in all_urls():
        url = _url(name, pattern, samples)
        if url is None:
            unreachable.append(name)
            continue
        rule = rule_for(name)
        for role in ROLES:
            client = Client()
            if users[role] is not None:
                client.force_login(users[role])
            if name == "allocation:key-decision":
                response = client.post(url, {"status": "proposed"})
                allowed = role in FINANCE
            else:
                response = client.get(url)
                allowed = role in (READERS if rule == STAFF else rule)  # type: ignore[operator]
            if response.status_code >= 500:
                failures.append(f"{role} {url}: {response.status_code}")
            elif allowed and rule == STAFF and response.status_code == 403:
                pass  # inside the admin, a staff member's model permissions decide (view-only, etc.)
            elif allowed and _denied(response):
                failures.append(f"{role} {url}: denied ({response.status_code}) but the table allows it")
            elif not allowed and not _denied(response):
                failures.append(f"{role} {url}: answered {response.status_code} but the table denies it")
    assert not unreachable, f"URLs the walk could not build: {unreachable}"
    assert not failures, "\n".join(failures)
    assert AllocationRun.objects.count() == 1 and ImportBatch.objects.count() >= 1
