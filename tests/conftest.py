"""Shared fixtures: services, users per role, a small organisation, files to upload."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import roles
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.models import Administration, Channel, DataSource, Grouping

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_missing(reason: str) -> None:
    """Under CI a missing service is a failure; elsewhere the test is skipped with the reason."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(db):  # type: ignore[no-untyped-def]
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/costshare")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    return str(url)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()  # rendered statistics pages are cached per publication


def make_user(username: str, role: str | None, *, staff: bool = False, admins: list[Administration] = ()) -> User:  # type: ignore[assignment]
    roles.roles_ensure()
    user = User.objects.create_user(username=username, password="pw-for-tests-only", is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    for admin in admins:
        admin.heads.add(user)
    return user


def ensure_channels() -> None:
    """Transactional tests flush the tables, including the channels the data migration made."""
    from importlib import import_module

    for code, name in import_module("cases.migrations.0002_standard_channels").CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "weight": Decimal(1)})


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    """Three administrations, five groupings (one split, one central), a map and a source."""
    ensure_channels()
    uf = Administration.objects.create(code="UF", name="Utbildningsförvaltningen", cost_centre="3100")
    sof = Administration.objects.create(code="SOF", name="Socialförvaltningen", cost_centre="5100")
    tf = Administration.objects.create(code="TF", name="Tekniska förvaltningen", cost_centre="4800")
    for code, name in [
        ("UF-01", "Förskola – ansökan"),
        ("SOF-01", "Ekonomiskt bistånd"),
        ("TF-01", "Snöröjning"),
        ("SPLIT-01", "Parkeringstillstånd"),
        ("CEN-01", "Växeln"),
    ]:
        Grouping.objects.create(code=code, name=name)
    grouping_map_version_create(
        valid_from=date(2025, 1, 1),
        rows=[
            MapRow(2, "UF-01", "", "UF", Decimal(1), False),
            MapRow(3, "SOF-01", "", "SOF", Decimal(1), False),
            MapRow(4, "TF-01", "", "TF", Decimal(1), False),
            MapRow(5, "SPLIT-01", "", "SOF", Decimal("0.6"), False),
            MapRow(6, "SPLIT-01", "", "TF", Decimal("0.4"), False),
            MapRow(7, "CEN-01", "", "", Decimal(1), True),
        ],
    )
    source = DataSource.objects.create(name="Telefoni")
    Channel.objects.filter(code="email").update(weight=Decimal("0.5"))
    return {"UF": uf, "SOF": sof, "TF": tf, "source": source}


@pytest.fixture
def finance_user(db):  # type: ignore[no-untyped-def]
    return make_user("ekonom", roles.FINANCE, staff=True)


@pytest.fixture
def steering_user(db):  # type: ignore[no-untyped-def]
    return make_user("styrgrupp", roles.STEERING_GROUP, staff=True)


@pytest.fixture
def head_user(org):  # type: ignore[no-untyped-def]
    return make_user("chef.uf", roles.DEPARTMENT_HEAD, admins=[org["UF"]])


def migrate_to(target: list[tuple[str, str]] | None = None) -> Any:
    """Migrate the test database to `target` (None: every app's latest) and return the models
    of that state, for a test that writes data the way an older version of the code did."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)  # a new loader each time: an older one keeps its state
    nodes = target or executor.loader.graph.leaf_nodes()
    executor.migrate(nodes)
    return executor.loader.project_state(nodes).apps


HEADER = "case_id,opened_at,channel,grouping,handle_seconds,wait_seconds,resolved_first_contact,forwarded_to"


def csv_bytes(rows: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def good_rows(month: str = "2026-03", n: int = 6, prefix: str = "A") -> list[str]:
    groupings = ["UF-01", "SOF-01", "TF-01", "SPLIT-01", "CEN-01", "UF-01"]
    channels = ["phone", "email", "telefon", "chat", "phone", "E-post"]
    return [
        f"{prefix}{i},{month}-{(i % 27) + 1:02d} 09:{i % 60:02d},{channels[i % 6]},{groupings[i % 6]},"
        f"{60 + i},{i % 90},{i % 2},"
        for i in range(n)
    ]


@pytest.fixture
def upload() -> Callable[..., io.BytesIO]:
    def _make(data: bytes) -> io.BytesIO:
        return io.BytesIO(data)

    return _make


def uploaded_file(data: bytes, name: str = "logg.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def lost_messages(monkeypatch):  # type: ignore[no-untyped-def]
    """Within `with lost_messages():` batches are created but their task message never arrives."""
    from contextlib import contextmanager

    import imports.services

    @contextmanager
    def _lost():  # type: ignore[no-untyped-def]
        with monkeypatch.context() as m:
            m.setattr(imports.services, "_enqueue", lambda batch_id: None)
            yield

    return _lost


def approve_key(key):  # type: ignore[no-untyped-def]
    """Propose (a finance officer) and approve (another person, in the steering group) a key."""
    from django.contrib.auth.models import User

    from allocation.keys.decisions import allocation_key_decide

    proposer = User.objects.filter(username="föreslår").first() or make_user("föreslår", roles.FINANCE)
    approver = User.objects.filter(username="beslutar").first() or make_user("beslutar", roles.STEERING_GROUP)
    allocation_key_decide(key=key, status="proposed", user=proposer)
    return allocation_key_decide(key=key, status="approved", user=approver)


# --- Shared data and tools of many test modules -------------------------------------------


@pytest.fixture
def volumes(org):  # type: ignore[no-untyped-def]
    """March: UF-01 ×3 phone, SOF-01 ×1 email, SPLIT-01 ×5 phone, CEN-01 ×10 phone; April: TF-01 ×2."""
    from tests.imports.helpers import run_import

    rows = []
    n = 0
    for grouping, channel, count, handle in [
        ("UF-01", "phone", 3, 120),
        ("SOF-01", "email", 1, 600),
        ("SPLIT-01", "phone", 5, 60),
        ("CEN-01", "phone", 10, 30),
    ]:
        for _ in range(count):
            n += 1
            rows.append(f"M{n},2026-03-02 10:00,{channel},{grouping},{handle},,,")
    run_import(org["source"], csv_bytes(rows), name="mars.csv")
    run_import(
        org["source"], csv_bytes(["P1,2026-04-01 10:00,phone,TF-01,10,,,", "P2,2026-04-02 10:00,phone,TF-01,10,,,"])
    )
    return org


def measured_key(basis: str = "cases", **kwargs) -> Any:  # type: ignore[no-untyped-def]
    """A measured key over March–April 2026 of the `volumes` fixture, valid from 2027."""
    from allocation.keys.compute import allocation_key_compute_measured

    return allocation_key_compute_measured(
        name="Test",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 4, 1),
        basis=basis,
        valid_from=date(2027, 1, 1),
        **kwargs,
    )


@pytest.fixture
def world(volumes, finance_user, steering_user, head_user):  # type: ignore[no-untyped-def]
    """The access walk's world: an approved key, a pool with a charging run, a rejected import, a
    publication, and a user per role; with the sample values that fill every URL's parameters."""
    from allocation.keys.compute import allocation_key_compute_measured
    from allocation.models import CostPool
    from allocation.publications.publishing import publication_create
    from allocation.runs.allocate import allocation_run_create
    from tests.imports.helpers import run_import

    key = allocation_key_compute_measured(
        name="K", window_from=date(2026, 3, 1), window_to=date(2026, 4, 1), basis="cases", valid_from=date(2026, 1, 1)
    )
    approve_key(key)
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1000.00"), key=key)
    run = allocation_run_create(key=key, pool=pool)
    from allocation.ledger.journal import posting_profile_save, run_postings_export
    from allocation.models import PostingProfile

    posting_profile_save(
        profile=PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050"),
        user=finance_user,
    )
    posting = run_postings_export(run=run, fmt="csv", month=3, user=finance_user).posting
    bad = run_import(volumes["source"], csv_bytes(["B1,2026-05-01 10:00,fax,UF-01,1,,,"]), name="fel.csv")
    publication_create(month=date(2026, 3, 1))
    users = {
        "anonymous": None,
        "finance": finance_user,
        "steering": steering_user,
        "head": head_user,
        "head_none": make_user("chef.utan", "department_head"),
    }
    samples = {
        "batch_id": bad.pk,
        "key_id": key.pk,
        "run_id": run.pk,
        "pool_id": pool.pk,
        "posting_id": posting,
        "source_id": volumes["source"].pk,
        "version_id": 1,
        "settlement_id": 1,
        "adjustment_id": 1,
        "transfer_id": 1,
        "target_set_id": 1,
        "fmt": "csv",
        "month": "2026-03",
        "year": 2026,
        "code": "UF",
        "version": 1,
        "name": "UF.xlsx",
        "object_id": "1",
        "id": "1",
        "app_label": "cases",
        "content_type_id": "1",
        "uidb64": "x",
        "token": "y",
    }
    return users, samples


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail("CI=true but Chromium is missing (apt-get install chromium)")
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # ordinary synchronous ones between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def browser_login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the login page as a person does (every test user has the same password)."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
