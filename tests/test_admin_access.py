"""Every admin add, change and delete URL, for every role, against a table of what each role may do.

Inside the admin a role's Django model permissions decide first (finance: the models of its apps;
the steering group: view only; department heads: not staff), then each admin's own rule (generated
data is read-only, approved keys and used pools are kept, tokens are for superusers). A model
registered without a row in TABLE fails the walk, so a new admin cannot be added without deciding.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from tests.conftest import measured_key

pytestmark = pytest.mark.django_db(transaction=True)

ROOT, FINANCE, STEERING, HEAD = "superuser", "finance", "steering", "head"
ROLES = (ROOT, FINANCE, STEERING, HEAD)
WRITERS = {ROOT, FINANCE}
ONLY_ROOT = {ROOT}
NOBODY: set[str] = set()
READ_ONLY = (NOBODY, NOBODY, NOBODY)

# model: (who may add, who may change, who may delete) the sample object of that model.
TABLE: dict[str, tuple[set[str], set[str], set[str]]] = {
    "cases.Administration": (WRITERS, WRITERS, NOBODY),  # ended by a date, never deleted
    "cases.Grouping": (WRITERS, WRITERS, WRITERS),  # a grouping nothing refers to
    "cases.GroupingMapVersion": READ_ONLY,  # written by the import and the what-if; this one a key uses
    "cases.GroupingMapEntry": READ_ONLY,
    "cases.Channel": (WRITERS, WRITERS, NOBODY),
    "cases.DataSource": (WRITERS, WRITERS, NOBODY),
    "cases.CaseRecord": READ_ONLY,
    "cases.MonthlyAggregate": READ_ONLY,
    "cases.AuditEntry": READ_ONLY,
    "cases.Notification": READ_ONLY,
    "cases.ApiToken": (ONLY_ROOT, ONLY_ROOT, ONLY_ROOT),
    "auth.Group": (ONLY_ROOT, ONLY_ROOT, ONLY_ROOT),
    "auth.User": (ONLY_ROOT, ONLY_ROOT, ONLY_ROOT),
    "imports.ImportBatch": (NOBODY, WRITERS, NOBODY),  # change: the re-run action's page
    "allocation.AllocationKey": (NOBODY, NOBODY, WRITERS),  # a draft key
    "allocation.CostPool": (WRITERS, WRITERS, WRITERS),  # a pool no run used
    "allocation.AllocationRun": READ_ONLY,
    "allocation.Publication": READ_ONLY,
    "allocation.PublicationRequest": (NOBODY, WRITERS, NOBODY),
    "allocation.PublicationSchedule": (WRITERS, WRITERS, WRITERS),  # add: while there is none
    "allocation.KeyDecision": READ_ONLY,
    "allocation.PostingExport": READ_ONLY,
    "allocation.Posting": READ_ONLY,  # the ledger journal: made only by posting
    "allocation.JournalLine": READ_ONLY,
    "allocation.PoolPrice": READ_ONLY,  # decided on the pool's page
    "allocation.PostingProfile": READ_ONLY,
    "allocation.CentreCost": READ_ONLY,
    "allocation.Settlement": READ_ONLY,
}


def _samples(world: Any) -> dict[str, Any]:
    """One object of every registered model, of the kind the table speaks of."""
    from allocation.models import (
        AllocationRun,
        CentreCost,
        CostPool,
        JournalLine,
        KeyDecision,
        PoolPrice,
        Posting,
        PostingExport,
        PostingProfile,
        Publication,
        PublicationRequest,
        Settlement,
    )
    from cases.models import (
        Administration,
        ApiToken,
        AuditEntry,
        CaseRecord,
        Channel,
        DataSource,
        Grouping,
        GroupingMapEntry,
        GroupingMapVersion,
        MonthlyAggregate,
        Notification,
    )
    from imports.models import ImportBatch

    users, samples = world
    run = AllocationRun.objects.get(pk=samples["run_id"])
    return {
        "cases.Administration": Administration.objects.get(code="UF"),
        "cases.Grouping": Grouping.objects.create(code="NY-01", name="Ny"),
        "cases.GroupingMapVersion": GroupingMapVersion.objects.first(),
        "cases.GroupingMapEntry": GroupingMapEntry.objects.first(),
        "cases.Channel": Channel.objects.first(),
        "cases.DataSource": DataSource.objects.first(),
        "cases.CaseRecord": CaseRecord.objects.first(),
        "cases.MonthlyAggregate": MonthlyAggregate.objects.first(),
        "cases.AuditEntry": AuditEntry.objects.first(),
        "cases.Notification": Notification.objects.create(
            event="walk", kind="failure", recipient=users["finance"], subject="x", body="x"
        ),
        "cases.ApiToken": ApiToken.objects.create(user=users["finance"], prefix="walkwk", key_hash="0" * 64),
        "auth.Group": Group.objects.get(name="finance"),
        "auth.User": users["head"],
        "imports.ImportBatch": ImportBatch.objects.get(pk=samples["batch_id"]),
        "allocation.AllocationKey": measured_key(),
        "allocation.CostPool": CostPool.objects.create(name="Utan körning", year=2027, gross_amount=Decimal(100)),
        "allocation.AllocationRun": run,
        "allocation.Publication": Publication.objects.first(),
        "allocation.PublicationRequest": PublicationRequest.objects.create(month=date(2026, 4, 1)),
        "allocation.KeyDecision": KeyDecision.objects.first(),
        "allocation.PostingExport": PostingExport.objects.create(run=run, format="csv", sha256="0" * 64),
        "allocation.Posting": Posting.objects.get(pk=samples["posting_id"]),
        "allocation.JournalLine": JournalLine.objects.filter(posting_id=samples["posting_id"]).first(),
        "allocation.PoolPrice": PoolPrice.objects.create(
            pool=CostPool.objects.create(
                name="Pris", year=2026, gross_amount=Decimal(100), pricing="per_case", price=Decimal(1)
            ),
            pricing="per_case",
            price=Decimal(1),
        ),
        "allocation.PostingProfile": PostingProfile.objects.create(centre_cost_centre="1050"),
        "allocation.CentreCost": CentreCost.objects.create(
            month=date(2026, 3, 1), staff=Decimal(10), hours_per_person=Decimal(160), staff_cost=Decimal(100000)
        ),
        "allocation.Settlement": Settlement.objects.create(pool=run.pool, run=run),
    }


def _may(response: Any, marker: str) -> bool:
    """A page that lets the user act: 200 with the form's button; view-only pages lack it."""
    return response.status_code == 200 and marker in response.content.decode()


def _clients(world: Any) -> dict[str, Client]:
    users, _samples = world
    root = User.objects.create_superuser("rot", password="pw-for-tests-only")
    clients = {}
    for role, user in ((ROOT, root), (FINANCE, users["finance"]), (STEERING, users["steering"]), (HEAD, users["head"])):
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


@pytest.mark.slow
def test_every_admin_add_change_and_delete_url_follows_the_table(world):
    from allocation.models import PublicationSchedule

    registered = {model._meta.label for model in admin.site._registry}
    assert registered == set(TABLE), f"admin models without a row, or rows without a model: {registered ^ set(TABLE)}"
    clients = _clients(world)
    failures = []

    def check(role: str, url: str, allowed: bool, marker: str) -> None:
        response = clients[role].get(url)
        if response.status_code >= 500:
            failures.append(f"{role} {url}: {response.status_code}")
        elif _may(response, marker) != allowed:
            failures.append(f"{role} {url}: {'denied' if allowed else 'allowed'} ({response.status_code})")

    # Adding first, while there is no publication schedule (there may be one at most).
    assert not PublicationSchedule.objects.exists()
    for label, (add, _change, _delete) in TABLE.items():
        app, model = label.lower().split(".")
        for role in ROLES:
            check(role, reverse(f"admin:{app}_{model}_add"), role in add, 'name="_save"')
    samples = _samples(world)
    samples["allocation.PublicationSchedule"] = PublicationSchedule.objects.create(working_day=5)
    for label, (_add, change, delete) in TABLE.items():
        app, model = label.lower().split(".")
        pk = samples[label].pk
        for role in ROLES:
            check(role, reverse(f"admin:{app}_{model}_change", args=[pk]), role in change, 'name="_save"')
            check(role, reverse(f"admin:{app}_{model}_delete", args=[pk]), role in delete, 'name="post"')
    assert not failures, "\n".join(failures)


def test_the_steering_group_can_neither_add_a_schedule_nor_delete_a_draft_key(world):
    from allocation.models import AllocationKey, PublicationSchedule
    from cases.models import AuditEntry

    users, _samples = world
    key = measured_key()
    client = Client()
    client.force_login(users["steering"])
    added = client.post("/admin/allocation/publicationschedule/add/", {"working_day": 3, "enabled": "on"})
    deleted = client.post(f"/admin/allocation/allocationkey/{key.pk}/delete/", {"post": "yes"})
    assert (added.status_code, deleted.status_code) == (403, 403)
    assert not PublicationSchedule.objects.exists()
    assert AllocationKey.objects.filter(pk=key.pk).exists()
    assert not AuditEntry.objects.filter(action__in=["schedule.create", "key.delete"]).exists()
