"""The ledger journal (DESIGN §4): posting is explicit, a posting carries the newest charging run
minus what the journal holds, and for every cost centre and month the journal's sum is the newest
charging run's amount to the öre."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.keys.compute import allocation_key_create_from_values
from allocation.ledger import postings
from allocation.ledger.journal import posting_profile_save, run_postings, run_postings_export
from allocation.models import CostPool, JournalLine, PostingProfile
from allocation.runs.allocate import allocation_run_create, run_amounts
from allocation.runs.pools import cost_pool_save
from cases.models import Administration
from tests.conftest import approve_key

pytestmark = pytest.mark.django_db(transaction=True)
CC = {"UF": "3100", "SOF": "5100", "TF": "4800"}


@pytest.fixture
def key(org, finance_user):  # type: ignore[no-untyped-def]
    posting_profile_save(
        profile=PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050", series="I"),
        user=finance_user,
    )
    return approve_key(
        allocation_key_create_from_values(
            name="Fast",
            kind="fixed",
            valid_from=date(2027, 1, 1),
            values={"UF": Decimal(50), "SOF": Decimal(30), "TF": Decimal(20)},
        )
    )


def _journal(pool: CostPool) -> dict[tuple[int, str], Decimal]:
    """The journal's charge sum per (month, cost centre) of the debited administrations."""
    out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for line in JournalLine.objects.filter(posting__pool=pool, kind="charge", account="7691"):
        out[(line.month, line.cost_centre)] += line.amount
    return {k: v for k, v in out.items() if v}


def _run_cells(run) -> dict[tuple[int, str], Decimal]:  # type: ignore[no-untyped-def]
    return {(m, CC[code]): a for m, row in run_amounts(run)[1].items() for code, a in row.items() if a}


def _tokens(text: str) -> list[str]:
    """SIE tokens: quoted strings (with \\" and \\\\ escapes), braces, and bare words."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == " ":
            i += 1
        elif ch in "{}":
            out.append(ch)
            i += 1
        elif ch == '"':
            i += 1
            word = ""
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                word += text[i]
                i += 1
            out.append(word)
            i += 1
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
    return out


def _read_trans(content: bytes) -> list[list[str]]:
    """A strict reader of #TRANS: exactly `kontonr {objektlista} belopp transdat transtext`."""
    rows = []
    for line in content.decode("cp437").split("\r\n"):
        if line.strip().startswith("#TRANS"):
            tokens = _tokens(line.strip()[len("#TRANS ") :])
            close = tokens.index("}")
            assert tokens[1] == "{" and len(tokens) == close + 4, line
            account, objects, (amount, when, _text) = tokens[0], tokens[2:close], tokens[close + 1 :]
            assert (account.isdigit() and when == "") or (len(when) == 8 and when.isdigit()), line
            Decimal(amount)
            rows.append([account, " ".join(objects), amount, when])
    return rows


def test_a_one_month_posting_leaves_the_other_months_for_a_later_posting(key, finance_user):
    # The audit's case: January of run 1 posted, the pool changed, run 2 posted as a whole.
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("587774.00"), key=key)
    first = allocation_run_create(pool=pool, user=finance_user)
    january = run_postings_export(run=first, fmt="sie", month=1, user=finance_user)
    assert january.vouchers == 1
    pool.gross_amount = Decimal("600000.00")
    cost_pool_save(pool=pool, user=finance_user)
    second = allocation_run_create(pool=pool, user=finance_user)
    whole = run_postings_export(run=second, fmt="sie", user=finance_user)
    assert whole.vouchers == 12  # January corrected, February–December posted in full
    assert _journal(pool) == _run_cells(second)
    assert sum(_journal(pool).values()) == Decimal("600000.00")


def test_a_later_posting_of_the_same_run_posts_the_other_months_and_then_nothing(key, finance_user):
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1200.00"), key=key)
    run = allocation_run_create(pool=pool, user=finance_user)
    assert run_postings_export(run=run, fmt="csv", month=3, user=finance_user).vouchers == 1
    rest = run_postings_export(run=run, fmt="csv", user=finance_user)
    assert rest.vouchers == 11 and _journal(pool) == _run_cells(run)
    again = run_postings_export(run=run, fmt="sie", user=finance_user)
    assert again.vouchers == 0 and again.posting is None and pool.postings.count() == 2
    assert _read_trans(again.content) == []


def test_a_superseded_run_is_not_posted(key, finance_user):
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1200.00"), key=key)
    first = allocation_run_create(pool=pool, user=finance_user)
    second = allocation_run_create(pool=pool, user=finance_user)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=f"#{second.pk}"):
        run_postings_export(run=first, fmt="sie", user=finance_user)


def test_the_sie_transaction_date_is_empty_quotes_and_a_strict_reader_accepts_the_file(key, finance_user):
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1200.00"), key=key)
    run = allocation_run_create(pool=pool, user=finance_user)
    content = run_postings_export(run=run, fmt="sie", user=finance_user).content
    rows = _read_trans(content)
    assert len(rows) == 48 and all(r[3] == "" for r in rows)
    assert " {} " not in content.decode("cp437")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("gross"), st.integers(min_value=0, max_value=10**9)),
            st.tuples(st.just("post"), st.one_of(st.none(), st.integers(min_value=1, max_value=12))),
        ),
        min_size=1,
        max_size=7,
    )
)
def test_the_journal_always_holds_the_newest_charging_run_to_the_ore(key, finance_user, steps):
    pool = CostPool.objects.create(
        name=f"KC {CostPool.objects.count()}", year=2027, gross_amount=Decimal("1000.00"), key=key
    )
    run = allocation_run_create(pool=pool, user=finance_user)
    posted_months: set[int] = set()
    for action, value in steps:
        if action == "gross":
            pool.gross_amount = Decimal(value) / 100
            cost_pool_save(pool=pool, user=finance_user)
            run = allocation_run_create(pool=pool, user=finance_user)
            posted_months = set()
        else:
            run_postings_export(run=run, fmt="sie", month=value, user=finance_user)
            posted_months |= {value} if value else set(range(1, 13))
            # The months posted since the newest run hold exactly what it says.
            journal, cells = _journal(pool), _run_cells(run)
            for month in posted_months:
                assert {k: v for k, v in journal.items() if k[0] == month} == {
                    k: v for k, v in cells.items() if k[0] == month
                }
    run_postings_export(run=run, fmt="csv", user=finance_user)
    assert _journal(pool) == _run_cells(run)
    for posting in pool.postings.all():
        per_voucher: dict[int, Decimal] = defaultdict(Decimal)
        for line in posting.lines.all():
            per_voucher[line.voucher] += line.amount
        assert all(total == 0 for total in per_voucher.values())  # every voucher balances


cells = st.tuples(st.integers(1, 12), st.sampled_from(["7691", "3691"]), st.sampled_from(["3100", "5100", "1050"]))
amounts = st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(
    target=st.dictionaries(cells, amounts), held=st.dictionaries(cells, amounts), month=st.none() | st.integers(1, 12)
)
def test_a_journal_difference_brings_the_journal_to_the_target(target, held, month):
    difference = postings.journal_difference(target=target, held=held, only_month=month)
    after = dict(held)
    for cell, amount in difference.items():
        after[cell] = after.get(cell, Decimal(0)) + amount
    for cell in set(target) | set(held):
        wanted = target.get(cell, Decimal(0)) if month in (None, cell[0]) else held.get(cell, Decimal(0))
        assert after.get(cell, Decimal(0)) == wanted


HOSTILE = 'Utbildningsförvaltningen\r\n   #TRANS 7691 {1 5100} 500000.00\r\n   #TRANS 7691 {1 3100} -500000.00 {} x"\\'


def test_hostile_values_in_the_database_never_forge_a_voucher_line(key, finance_user):
    # Written straight into the database, past every form's validation.
    from django.core.exceptions import ValidationError

    Administration.objects.filter(code="UF").update(name=HOSTILE)
    Administration.objects.filter(code="SOF").update(cost_centre="5100\r\n#TRANS 7691 {} 1.00")
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1200.00"), key=key)
    with pytest.raises(ValidationError, match="SOF"):  # a cost centre a ledger would not accept
        run_postings_export(run=allocation_run_create(pool=pool, user=finance_user), fmt="sie")
    Administration.objects.filter(code="SOF").update(cost_centre="5100")
    PostingProfile.objects.update(
        text="Medfinansiering\n#VER I 99 20270101 x", organisation="K\r\n#KONTO 9999 x", series="I\n#X"
    )
    run = allocation_run_create(pool=pool, user=finance_user)
    csv_text = run_postings(run=run, fmt="csv").content.decode("utf-8-sig")
    assert csv_text.count("\r\n") == 49 and "\n#" not in csv_text  # a header and 48 lines, one record each
    assert all(not field.startswith(("=", "+", "@")) for row in csv_text.split("\r\n") for field in row.split(";")[8:])
    content = run_postings_export(run=run, fmt="sie", user=finance_user).content
    lines = content.decode("cp437").split("\r\n")
    assert lines[-1] == ""
    records = [line.strip() for line in lines[:-1]]
    assert all(r.startswith("#") or r in ("{", "}") for r in records), records
    assert all("\n" not in r and "\r" not in r for r in records)
    rows = _read_trans(content)
    assert len(rows) == 48  # 12 vouchers × (3 administrations + the centre): nothing forged
    assert {r[0] for r in rows} == {"7691", "3691"}
    assert sum(Decimal(r[2]) for r in rows) == 0


def test_names_cost_centres_and_accounts_are_validated_where_they_are_entered(org, finance_user):
    from django.core.exceptions import ValidationError

    admin = Administration.objects.get(code="UF")
    admin.name = "UF\r\n#TRANS 7691 {} 1.00"
    with pytest.raises(ValidationError):
        admin.full_clean()
    admin.name, admin.cost_centre = "UF", "31 00\n"
    with pytest.raises(ValidationError):
        admin.full_clean()
    for field, value in [("charge_account", "76 91"), ("credit_account", "3691\n"), ("series", "I\r\n#VER")]:
        profile = PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050", series="I")
        setattr(profile, field, value)
        with pytest.raises(ValidationError):
            posting_profile_save(profile=profile, user=finance_user)
