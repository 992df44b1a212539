"""One rounding rule for kronor (issue 26, part 7): every amount shown or stored is rounded by
calculation.round_kronor (half an öre away from zero) or, where parts must add up, by
calculation.largest_remainder; no module quantizes money on its own."""

from __future__ import annotations

import ast
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from allocation.calculation import KRONA, ORE, round_kronor
from allocation.ledger.capacity import capacity
from cases import formats

ROOT = Path(__file__).resolve().parents[2]
APPS = ("allocation", "cases", "imports", "config")

# quantize calls that round something other than kronor, each with the reason. A new call on a
# money amount belongs in calculation.round_kronor; a new call on something else is added here.
NOT_MONEY = {
    ("allocation/calculation.py", "round_kronor"): "the one rounding of kronor",
    ("allocation/calculation.py", "_decimal"): "shares to 12 decimals, never an amount",
    ("allocation/keys/comparison.py", "points"): "a change of share in percentage points, to 10 decimals",
    ("allocation/runs/explanations.py", "words"): "whether a volume change shows as a whole percent",
    ("allocation/ledger/views.py", "budget_frames"): "a change in percent",
    ("cases/statistics.py", "_ratio"): "rates and seconds of the statistics",
    ("cases/formats.py", "_group"): "display to the places shown, the same half-up rule (test below)",
    ("cases/formats.py", "duration"): "seconds to whole seconds",
    ("imports/parsing/values.py", "parse_duration"): "a duration to whole seconds",
    ("allocation/goals/forms.py", "clean"): "a target rate or number of seconds as entered",
    ("allocation/transfers/benefit.py", "hours"): "relieved minutes shown as hours (kronor come from the minutes)",
    ("allocation/transfers/benefit.py", "measured_minutes"): "a measured handle time in minutes",
    ("allocation/transfers/files.py", "parse_minutes"): "whether minutes have at most two decimals",
}


class _Calls(ast.NodeVisitor):
    """Each quantize call, named by the innermost function around it."""

    def __init__(self, path: str) -> None:
        self.path, self.stack, self.found = path, ["<module>"], set[tuple[str, str]]()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "quantize":
            self.found.add((self.path, self.stack[-1]))
        self.generic_visit(node)


def _quantize_calls() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            calls = _Calls(str(path.relative_to(ROOT)))
            calls.visit(ast.parse(path.read_text(encoding="utf-8")))
            found |= calls.found
    return found


def test_no_module_rounds_kronor_by_itself():
    # every quantize call lies in a function known to round something other than kronor
    unknown = sorted(_quantize_calls() - set(NOT_MONEY))
    assert unknown == [], f"money rounded outside calculation.round_kronor: {unknown}"
    # and the list names no call that is gone
    assert set(NOT_MONEY) - {("allocation/calculation.py", "round_kronor")} <= _quantize_calls()


def test_half_an_ore_rounds_away_from_zero_and_a_whole_krona_pool_rounds_to_kronor():
    assert round_kronor(Decimal("0.125")) == Decimal("0.13")
    assert round_kronor(Decimal("0.135")) == Decimal("0.14")  # not half-even's 0.14/0.12 see-saw
    assert round_kronor(Decimal("0.145")) == Decimal("0.15")
    assert round_kronor(Decimal("-0.125")) == Decimal("-0.13")
    assert round_kronor(Decimal("2.5"), KRONA) == Decimal("3")
    assert round_kronor(Decimal("12")) == Decimal("12.00")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False))
def test_round_kronor_is_within_half_an_ore_and_the_pages_show_the_same_figure(value):
    rounded = round_kronor(value)
    assert rounded == value.quantize(ORE, rounding=ROUND_HALF_UP)
    assert abs(rounded - value) <= Decimal("0.005") and rounded.as_tuple().exponent == -2
    # what a page shows of the unrounded value is the rounded amount
    assert formats.kronor(value) == formats.kronor(rounded)


def test_capacity_figures_round_like_every_other_amount():
    # 1,000.05 kr over 2 cases is 500.025: half an öre up, as round_kronor does
    figures = capacity(
        staff=Decimal(1),
        hours_per_person=Decimal(1),
        utilisation=Decimal(1),
        monthly_cost=Decimal("1000.05"),
        minutes_used=Decimal(60),
        cases=2,
    )
    assert figures.cost_per_case == round_kronor(Decimal("500.025")) == Decimal("500.03")
