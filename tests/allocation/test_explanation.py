"""Why the shares moved (DESIGN §4): the contributions of each grouping, exact for any keys and maps."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.calculation import MapOwner, VolumeCell, measured_loads
from allocation.keys.comparison import drivers, explain_change

ADMINS = ["AVF", "SBF", "SOF", "TF", "UF"]
CHANNELS = {"phone": Decimal(1), "email": Decimal("0.5"), "chat": Decimal("0.75")}


@st.composite
def owners(draw: st.DrawFn) -> list[MapOwner]:
    """One grouping's owners: central, one administration, or a split in hundredths."""
    if draw(st.integers(0, 9)) == 0:
        return [MapOwner(None, Decimal(1))]
    chosen = draw(st.lists(st.sampled_from(ADMINS), min_size=1, max_size=3, unique=True))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=len(chosen) - 1, max_size=len(chosen) - 1, unique=True)))
    bounds = [0, *cuts, 100]
    return [MapOwner(a, Decimal(bounds[i + 1] - bounds[i]) / 100) for i, a in enumerate(chosen)]


@st.composite
def keys(draw: st.DrawFn) -> tuple[list[tuple[str, str | None, Decimal]], dict[str, Decimal]]:
    """A measured key's load lines and loads, made by the real calculation from a random map and volumes."""
    groupings = [f"G-{i:02d}" for i in range(draw(st.integers(1, 8)))]
    grouping_map = {g: draw(owners()) for g in groupings}
    cells = [
        VolumeCell(g, ch, draw(st.integers(0, 500)), draw(st.integers(0, 50_000)))
        for g in groupings
        for ch in draw(st.lists(st.sampled_from(sorted(CHANNELS)), min_size=1, max_size=3, unique=True))
    ]
    result = measured_loads(
        cells=cells,
        grouping_map=grouping_map,
        basis=draw(st.sampled_from(["cases", "minutes", "weighted"])),
        channel_weights=CHANNELS,
        administrations=ADMINS,
    )
    return [(line.grouping, line.administration, line.load) for line in result.lines], result.loads


def _shares(loads: dict[str, Decimal]) -> dict[str, Fraction]:
    total = sum((Fraction(v) for v in loads.values()), Fraction(0))
    return {a: Fraction(v) / total for a, v in loads.items()}


@settings(max_examples=300, deadline=None)
@given(keys(), keys())
def test_contributions_add_up_exactly_to_each_change_in_share(a, b):
    (lines_a, loads_a), (lines_b, loads_b) = a, b
    if not any(loads_a.values()) or not any(loads_b.values()):
        return  # a key with no co-financed load is refused before it can be compared
    explanation = explain_change(lines_a, lines_b)
    share_a, share_b = _shares(loads_a), _shares(loads_b)
    for admin in ADMINS:
        parts = [c for (_g, code), c in explanation.contributions.items() if code == admin]
        assert sum((c.total for c in parts), Fraction(0)) == share_b[admin] - share_a[admin]
        assert explanation.change(admin) == share_b[admin] - share_a[admin]
    for c in explanation.contributions.values():
        assert c.owner + c.volume == c.total
    # The drivers cover every contribution that is not zero, the largest first.
    ordered = drivers(explanation, top=None)
    assert [d.weight for d in ordered] == sorted((d.weight for d in ordered), reverse=True)
    assert sum((d.weight for d in ordered), Fraction(0)) == sum(
        (abs(c.total) for c in explanation.contributions.values()), Fraction(0)
    )


def _lines(grouping_map: dict[str, list[MapOwner]], cells: list[VolumeCell]) -> list[tuple[str, str | None, Decimal]]:
    result = measured_loads(
        cells=cells, grouping_map=grouping_map, basis="cases", channel_weights=CHANNELS, administrations=ADMINS
    )
    return [(line.grouping, line.administration, line.load) for line in result.lines]


def test_a_grouping_that_changes_owner_but_not_volume_drives_the_change():
    # given the same volumes, and TF-07 moved from TF to SBF
    cells = [
        VolumeCell("TF-07", "phone", 185, 0),
        VolumeCell("TF-01", "phone", 400, 0),
        VolumeCell("SBF-01", "phone", 300, 0),
        VolumeCell("SPLIT", "phone", 115, 0),
    ]
    old = {
        "TF-07": [MapOwner("TF", Decimal(1))],
        "TF-01": [MapOwner("TF", Decimal(1))],
        "SBF-01": [MapOwner("SBF", Decimal(1))],
        "SPLIT": [MapOwner("SBF", Decimal("0.5")), MapOwner("TF", Decimal("0.5"))],
    }
    new = {**old, "TF-07": [MapOwner("SBF", Decimal(1))]}
    explanation = explain_change(_lines(old, cells), _lines(new, cells))
    first, *rest = drivers(explanation)
    # then it comes first, moved from TF to SBF, all owner and no volume, with the right signs
    assert (first.grouping, first.moved_from, first.moved_to) == ("TF-07", ("TF",), ("SBF",))
    parts = {p.administration: p for p in first.parts}
    assert parts["SBF"].total == Fraction(185, 1000) == parts["SBF"].owner
    assert parts["TF"].total == -Fraction(185, 1000) and parts["TF"].volume == 0
    assert explanation.change("SBF") == Fraction(185, 1000)
    assert rest == []  # nothing else moved


def test_a_grouping_with_more_volume_is_explained_as_volume():
    old_cells = [VolumeCell("A-1", "phone", 100, 0), VolumeCell("B-1", "phone", 100, 0)]
    new_cells = [VolumeCell("A-1", "phone", 118, 0), VolumeCell("B-1", "phone", 100, 0)]
    grouping_map = {"A-1": [MapOwner("AVF", Decimal(1))], "B-1": [MapOwner("SBF", Decimal(1))]}
    explanation = explain_change(_lines(grouping_map, old_cells), _lines(grouping_map, new_cells))
    a_one = next(d for d in drivers(explanation) if d.grouping == "A-1")
    assert a_one.volume_change == Fraction(118, 109) - 1  # its part of all volume: 118/218 against 1/2
    assert all(p.owner == 0 for p in a_one.parts)
    assert a_one.moved_from == a_one.moved_to == ()


def test_a_new_grouping_counts_as_volume_and_a_vanished_one_too():
    grouping_map = {"A-1": [MapOwner("AVF", Decimal(1))], "N-1": [MapOwner("SBF", Decimal(1))]}
    old = _lines(grouping_map, [VolumeCell("A-1", "phone", 10, 0)])
    new = _lines(grouping_map, [VolumeCell("A-1", "phone", 10, 0), VolumeCell("N-1", "phone", 10, 0)])
    for explanation in (explain_change(old, new), explain_change(new, old)):
        for c in explanation.contributions.values():
            assert c.owner == 0 and c.volume == c.total
