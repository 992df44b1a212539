"""Shared fixtures: services, users per role, a small organisation, files to upload."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal

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

    from allocation.decisions import allocation_key_decide

    proposer = User.objects.filter(username="föreslår").first() or make_user("föreslår", roles.FINANCE)
    approver = User.objects.filter(username="beslutar").first() or make_user("beslutar", roles.STEERING_GROUP)
    allocation_key_decide(key=key, status="proposed", user=proposer)
    return allocation_key_decide(key=key, status="approved", user=approver)
