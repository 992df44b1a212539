"""Effect goals: target sets decided with four eyes and audited, the monthly follow-up against
target and baseline, its block on the statistics page and sheet in the workbook, its pages per
role, and its part of the yearly evaluation."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from allocation.goals.follow_up import follow_up, month_goals_doc
from allocation.goals.targets import goal_target_set_decide, goal_target_set_save
from allocation.models import GoalTargetSet
from cases import roles
from cases.models import AuditEntry, Notification
from cases.months import month_range
from tests.conftest import csv_bytes, make_user
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)

TARGETS_2026 = {
    ("service_level_60", None): Decimal("0.8000"),
    ("first_contact_resolution", None): Decimal("0.6000"),
    ("first_contact_resolution", "phone"): Decimal("0.7000"),
    ("forwarded_rate", None): Decimal("0.1500"),
    ("average_wait_seconds", None): Decimal("45.0"),
}


def phone_month(month: date, *, cases: int, within_60: int, resolved: int, prefix: str) -> list[str]:
    """`cases` phone calls in `month`: `within_60` answered after 30 s (the rest after 90 s),
    the first `resolved` resolved at first contact, the unresolved forwarded to UF."""
    rows = []
    for i in range(cases):
        wait = 30 if i < within_60 else 90
        ok = i < resolved
        rows.append(
            f"{prefix}{i},{month:%Y-%m}-03 10:{i % 60:02d},phone,UF-01,120,{wait},{int(ok)},{'' if ok else 'UF'}"
        )
    return rows


@pytest.fixture(autouse=True)
def channels(db):  # type: ignore[no-untyped-def]
    from tests.conftest import ensure_channels

    ensure_channels()


@pytest.fixture
def measured(org):  # type: ignore[no-untyped-def]
    """2025 in full (the baseline): 60 % within 60 s, half resolved; 2026: January 90 %, February
    70 %, March 75 %."""
    rows: list[str] = []
    for n, month in enumerate(month_range(date(2025, 1, 1), date(2025, 12, 1))):
        rows += phone_month(month, cases=10, within_60=6, resolved=5, prefix=f"B{n}-")
    rows += phone_month(date(2026, 1, 1), cases=10, within_60=9, resolved=8, prefix="J")
    rows += phone_month(date(2026, 2, 1), cases=10, within_60=7, resolved=7, prefix="F")
    rows += phone_month(date(2026, 3, 1), cases=20, within_60=15, resolved=14, prefix="M")
    batch = run_import(org["source"], csv_bytes(rows), name="ar.csv")
    assert batch.status == "loaded", batch.message
    return org


@pytest.fixture
def approved_2026(finance_user, steering_user):  # type: ignore[no-untyped-def]
    target_set = goal_target_set_save(year=2026, values=TARGETS_2026, user=finance_user)
    goal_target_set_decide(target_set=target_set, status="proposed", user=finance_user)
    return goal_target_set_decide(target_set=target_set, status="approved", user=steering_user, comment="Ok")


# --- four eyes, audit, immutability ----------------------------------------------------------


def test_the_proposer_never_approves_their_own_targets_whatever_groups_they_are_in(finance_user):
    both = make_user("båda", roles.FINANCE)
    both.groups.add(*roles_groups(roles.STEERING_GROUP))
    target_set = goal_target_set_save(year=2026, values=TARGETS_2026, user=both)
    goal_target_set_decide(target_set=target_set, status="proposed", user=both)
    with pytest.raises(PermissionDenied, match="fyra ögon"):
        goal_target_set_decide(target_set=target_set, status="approved", user=both)
    target_set.refresh_from_db()
    assert target_set.status == GoalTargetSet.Status.PROPOSED


def test_a_command_user_cannot_approve_from_the_account_that_proposed(finance_user, steering_user):
    target_set = goal_target_set_save(year=2026, values=TARGETS_2026, user=finance_user)
    finance_user.command_os_account = "kalle"
    goal_target_set_decide(target_set=target_set, status="proposed", user=finance_user)
    steering_user.command_os_account = "kalle"
    with pytest.raises(PermissionDenied, match="operativsystemkontot"):
        goal_target_set_decide(target_set=target_set, status="approved", user=steering_user)


def roles_groups(*names: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    return [Group.objects.get(name=n) for n in names]


def test_only_finance_staff_propose_and_only_the_steering_group_decides(finance_user, steering_user):
    with pytest.raises(PermissionDenied):
        goal_target_set_save(year=2026, values=TARGETS_2026, user=steering_user)
    target_set = goal_target_set_save(year=2026, values=TARGETS_2026, user=finance_user)
    with pytest.raises(PermissionDenied):
        goal_target_set_decide(target_set=target_set, status="proposed", user=steering_user)
    goal_target_set_decide(target_set=target_set, status="proposed", user=finance_user)
    other_finance = make_user("ekonom2", roles.FINANCE)
    with pytest.raises(PermissionDenied):
        goal_target_set_decide(target_set=target_set, status="approved", user=other_finance)
    with pytest.raises(ValidationError):  # a draft step cannot be skipped or repeated
        goal_target_set_decide(target_set=target_set, status="proposed", user=finance_user)


def test_a_newer_approved_set_supersedes_the_old_one_and_every_step_is_audited(
    finance_user, steering_user, approved_2026
):
    newer = goal_target_set_save(
        year=2026, values={("service_level_60", None): Decimal("0.85")}, user=finance_user, comment="Skärpt"
    )
    goal_target_set_decide(target_set=newer, status="proposed", user=finance_user)
    goal_target_set_decide(target_set=newer, status="approved", user=steering_user)
    approved_2026.refresh_from_db()
    assert approved_2026.status == GoalTargetSet.Status.SUPERSEDED
    assert list(GoalTargetSet.objects.filter(year=2026, status="approved")) == [newer]
    actions = list(
        AuditEntry.objects.filter(object_type="goal_target_set").order_by("pk").values_list("action", "object_id")
    )
    old, new = str(approved_2026.pk), str(newer.pk)
    assert actions == [
        ("goal_targets.create", old),
        ("goal_targets.proposed", old),
        ("goal_targets.approved", old),
        ("goal_targets.create", new),
        ("goal_targets.proposed", new),
        ("goal_targets.superseded", old),
        ("goal_targets.approved", new),
    ]
    created = (
        AuditEntry.objects.filter(object_type="goal_target_set", action="goal_targets.create").order_by("pk").first()
    )
    assert created is not None and created.after["targets"]["service_level_60"] == "0.8000"


def test_an_approved_set_never_changes(finance_user, approved_2026):
    with pytest.raises(ValidationError, match="bara ett utkast"):
        goal_target_set_save(
            year=2026, values={("service_level_60", None): Decimal("0.5")}, user=finance_user, target_set=approved_2026
        )
    assert approved_2026.targets.get(measure="service_level_60").value == Decimal("0.8000")


def test_targets_outside_their_range_are_refused(finance_user):
    with pytest.raises(ValidationError):
        goal_target_set_save(year=2026, values={("service_level_60", None): Decimal("1.2")}, user=finance_user)
    with pytest.raises(ValidationError):
        goal_target_set_save(year=2026, values={("forwarded_rate", "phone"): Decimal("0.1")}, user=finance_user)
    assert not GoalTargetSet.objects.exists()


def test_a_proposal_tells_the_steering_group_and_waits_on_their_start_page(finance_user, steering_user):
    steering_user.email = "styr@example.se"
    steering_user.save()
    target_set = goal_target_set_save(year=2027, values=TARGETS_2026, user=finance_user)
    goal_target_set_decide(target_set=target_set, status="proposed", user=finance_user)
    assert Notification.objects.filter(recipient=steering_user, kind="key_proposed").exists()
    client = Client()
    client.force_login(steering_user)
    page = client.get("/").content.decode()
    assert f"/allocation/mal/malvarden/{target_set.pk}/" in page and 'id="goal-targets-awaiting"' in page


# --- the follow-up -------------------------------------------------------------------------------


def test_each_month_is_measured_against_the_target_and_the_calendar_year_baseline(measured, approved_2026):
    result = follow_up(year=2026)
    assert result.baseline is not None and result.baseline.calendar_year
    assert result.months == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    service = next(ln for ln in result.lines if ln.measure == "service_level_60")
    assert service.baseline == Decimal("0.6000") and service.target == Decimal("0.8000")
    # band: a quarter of the 20 points between baseline and target
    assert [(p.value, p.level) for p in service.points] == [
        (Decimal("0.9000"), "green"),
        (Decimal("0.7000"), "red"),
        (Decimal("0.7500"), "amber"),
    ]
    assert service.year_value == Decimal("0.7750")  # 31 of 40 calls, pooled
    phone = next(ln for ln in result.lines if ln.measure == "first_contact_resolution" and ln.channel == "phone")
    assert phone.target == Decimal("0.7000") and phone.points[1].level == "green"
    forwarded = next(ln for ln in result.lines if ln.measure == "forwarded_rate")
    assert forwarded.baseline == Decimal("0.5000") and forwarded.points[0].value == Decimal("0.2000")
    # lower is better: 20 % against 15 % is 5 points short, inside the band (a quarter of 50 − 15 points)
    assert forwarded.points[0].level == "amber"
    abandoned = [ln for ln in result.lines if ln.measure == "abandonment_rate"]
    assert abandoned == []  # no source reports abandoned calls and no target: not shown


def test_the_month_is_published_with_its_goals_and_the_workbook_has_their_sheet(measured, approved_2026):
    from openpyxl import load_workbook

    from allocation.models import PublicationFile
    from allocation.publications.publishing import publication_create

    publication = publication_create(month=date(2026, 3, 1))
    goals = publication.figures["overview"]["goals"]
    assert goals["target_set"] == approved_2026.pk and goals["baseline_from"] == "2025-01"
    service = next(line for line in goals["lines"] if line["measure"] == "service_level_60")
    assert (service["value"], service["target"], service["baseline"], service["level"]) == (
        "0.7500",
        "0.8000",
        "0.6000",
        "amber",
    )
    stored = PublicationFile.objects.get(publication=publication, name="kommun.xlsx")
    wb = load_workbook(io.BytesIO(stored.file.read()))
    with translation.override(settings.LANGUAGE_CODE):
        from django.utils.translation import gettext as _

        ws = wb[_("Effect goals")]
        close = _("Close to the target")
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    row = next(r for r in rows if r[2] == 75)
    assert row[3] == 80 and row[4] == 60 and row[6].startswith(close)
    assert "75,0" in row[6] and "80,0" in row[6]  # the status in words carries the figures


def test_the_statistics_page_shows_the_goals_in_words_and_figures(measured, approved_2026, finance_user):
    from allocation.publications.publishing import publication_create

    publication_create(month=date(2026, 3, 1))
    client = Client()
    client.force_login(finance_user)
    page = client.get("/statistik/2026-03/").content.decode()
    block = page[page.index('id="effect-goals"') :]
    assert "Nära målet" in block and "75,0" in block and "80,0" in block and "60,0" in block
    assert "januari 2025" in block and "december 2025" in block


def test_a_month_before_any_data_or_target_has_an_empty_goals_block(org):
    doc = month_goals_doc(date(2026, 3, 1))
    assert doc["lines"] == [] and doc["target_set"] is None and doc["baseline_from"] is None


# --- pages per role ------------------------------------------------------------------------------


def test_the_follow_up_page_shows_the_baseline_the_statuses_and_a_chart_per_measure(measured, approved_2026, head_user):
    client = Client()
    client.force_login(head_user)  # a department head reads it like the overview
    page = client.get("/allocation/mal/?year=2026").content.decode()
    assert "kalenderåret 2025" in page
    assert page.count('data-level="amber"') >= 1 and "Ej uppnått" in page and "Uppnått" in page
    assert page.count("data:image/png;base64,") >= 4
    assert 'id="target-sets-link"' not in page  # the targets' pages are for finance and the steering group
    assert client.get("/allocation/mal/malvarden/").status_code == 403


def test_finance_staff_set_targets_on_the_web_and_the_steering_group_approves_them(finance_user, steering_user):
    finance = Client()
    finance.force_login(finance_user)
    response = finance.post(
        "/allocation/mal/malvarden/ny/",
        {"year": "2026", "t_service_level_60": "80,5", "t_average_wait_seconds": "45", "comment": "Första"},
    )
    target_set = GoalTargetSet.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/malvarden/{target_set.pk}/")
    assert target_set.targets.get(measure="service_level_60").value == Decimal("0.8050")
    steering = Client()
    steering.force_login(steering_user)
    assert steering.get("/allocation/mal/malvarden/ny/").status_code == 403
    finance.post(f"/allocation/mal/malvarden/{target_set.pk}/beslut/", {"status": "proposed"})
    page = steering.get(f"/allocation/mal/malvarden/{target_set.pk}/").content.decode()
    assert 'value="approved"' in page and "80,5" in page
    steering.post(f"/allocation/mal/malvarden/{target_set.pk}/beslut/", {"status": "approved"})
    target_set.refresh_from_db()
    assert target_set.status == "approved"
    assert finance.get(f"/allocation/mal/malvarden/{target_set.pk}/beslut/").status_code == 302  # GET: to the page


def test_the_form_refuses_a_percentage_above_100(finance_user):
    client = Client()
    client.force_login(finance_user)
    response = client.post("/allocation/mal/malvarden/ny/", {"year": "2026", "t_service_level_60": "180"})
    assert response.status_code == 200 and not GoalTargetSet.objects.exists()


def test_the_pages_have_helpful_empty_states(finance_user):
    client = Client()
    client.force_login(finance_user)
    assert 'id="no-goals"' in client.get("/allocation/mal/").content.decode()
    assert 'id="no-target-sets"' in client.get("/allocation/mal/malvarden/").content.decode()


# --- the evaluation ------------------------------------------------------------------------------


def test_the_evaluation_section_states_the_year_against_targets_with_real_figures(measured, approved_2026):
    from allocation.evaluation.sections import Status
    from allocation.goals.evaluation_part import section

    with translation.override("sv"):
        part = section(year=2026)
    assert part.slug == "goals" and "kalenderåret 2025" in part.summary
    rates = part.tables[0]
    service = next(r for r in rates.rows if r[0] == "Besvarade inom 60 s")
    assert service[2:5] == (Decimal("0.7750"), Decimal("0.8000"), Decimal("0.6000"))
    assert isinstance(service[5], Status) and service[5].level == "amber" and "77,5" in service[5].words
    months = part.tables[-1]
    assert [r[0] for r in months.rows] == ["2026-01", "2026-02", "2026-03"]
    assert part.chart_png is not None and part.chart_png.startswith(b"\x89PNG")


def test_the_evaluation_section_of_a_year_without_data_says_what_to_do(org):
    from allocation.goals.evaluation_part import section

    with translation.override("en"):
        part = section(year=2024)
    assert part.tables == () and part.chart_png is None
    assert "Import the year's case logs" in part.summary


# --- frozen in the database ----------------------------------------------------------------------


def test_raw_sql_cannot_change_a_decided_target_set_its_targets_or_its_decisions(approved_2026):
    from django.db import DatabaseError, connection, transaction

    attempts = [
        ("UPDATE allocation_goaltargetset SET year = 2030 WHERE id = %s", [approved_2026.pk]),
        ("UPDATE allocation_goaltargetset SET status = 'draft' WHERE id = %s", [approved_2026.pk]),
        ("DELETE FROM allocation_goaltargetset WHERE id = %s", [approved_2026.pk]),
        ("UPDATE allocation_goaltarget SET value = 0.1 WHERE target_set_id = %s", [approved_2026.pk]),
        ("DELETE FROM allocation_goaltarget WHERE target_set_id = %s", [approved_2026.pk]),
        ("UPDATE allocation_goaltargetdecision SET comment = 'x' WHERE target_set_id = %s", [approved_2026.pk]),
    ]
    if connection.vendor == "postgresql":  # emptying wholesale, which row triggers never see
        attempts += [
            (f"TRUNCATE {table} CASCADE", []) for table in ("allocation_goaltargetset", "allocation_goaltarget")
        ]
    for sql, params in attempts:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    approved_2026.refresh_from_db()
    assert approved_2026.year == 2026 and approved_2026.targets.count() == len(TARGETS_2026)
    # the one change allowed: approved → superseded, nothing else with it
    with connection.cursor() as cursor:
        cursor.execute("UPDATE allocation_goaltargetset SET status = 'superseded' WHERE id = %s", [approved_2026.pk])


def test_a_draft_stays_free_to_change(finance_user):
    draft = goal_target_set_save(year=2026, values=TARGETS_2026, user=finance_user)
    changed = goal_target_set_save(
        year=2027, values={("service_level_60", None): Decimal("0.7")}, user=finance_user, target_set=draft
    )
    assert changed.pk == draft.pk and changed.year == 2027 and changed.targets.count() == 1


def test_the_command_keeps_four_eyes_whatever_name_the_proposer_gives(finance_user, steering_user):
    from django.core.management import CommandError, call_command

    target_set = goal_target_set_save(year=2026, values=TARGETS_2026, user=finance_user)
    out = io.StringIO()
    call_command(
        "decide_goal_targets", "--target-set", target_set.pk, "--decision", "proposed", "--user", "ekonom", stdout=out
    )
    # the same operating-system account now names a member of the steering group: refused
    with pytest.raises(CommandError, match="operativsystemkontot") as refused:
        call_command(
            "decide_goal_targets", "--target-set", target_set.pk, "--decision", "approved", "--user", "styrgrupp"
        )
    assert refused.value.returncode == 1
    target_set.refresh_from_db()
    assert target_set.status == "proposed"
    with pytest.raises(CommandError) as unknown:
        call_command("decide_goal_targets", "--target-set", 999999, "--decision", "approved", "--user", "styrgrupp")
    assert unknown.value.returncode == 2


def test_the_demo_approves_its_years_targets_by_another_person_and_starts_over(finance_user, steering_user):
    from config.demo.goals import seed_goals

    months = month_range(date(2025, 11, 1), date(2026, 10, 1))
    seed_goals(finance=finance_user, steering=steering_user, months=months)
    made = seed_goals(finance=finance_user, steering=steering_user, months=months)  # again: past the freeze
    assert [(s.year, s.status) for s in made] == [(2025, "approved"), (2026, "approved"), (2027, "proposed")]
    assert GoalTargetSet.objects.count() == 3
    for target_set in made[:2]:
        proposer = target_set.decisions.get(to_status="proposed").user
        approver = target_set.decisions.get(to_status="approved").user
        assert proposer == finance_user and approver == steering_user


def test_the_audit_log_says_the_targets_decision_in_words(approved_2026, finance_user):
    client = Client()
    client.force_login(finance_user)
    page = client.get("/andringslogg/").content.decode()
    assert "Godkände målvärden för effektmålen" in page and "effektmålens målvärden" in page
    assert "2 026" not in page  # a year is not a number with thousands
