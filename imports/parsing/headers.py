"""Finding the header row, by the canonical names and their synonyms or through a source's profile,
and shaping a profiled file's rows into canonical cells."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from imports.parsing.columns import normalise_header
from imports.parsing.errors import COLUMN_LABELS, FileRejected, RowError, too_few_columns
from imports.parsing.files import Table
from imports.parsing.values import clip

HEADER_SEARCH_ROWS = 20


# --- Header -------------------------------------------------------------------------------


@dataclass
class Header:
    row: int
    index: dict[str, int]
    width: int


def locate_header(
    table: Table,
    *,
    synonyms: dict[str, str],
    required: Iterable[str],
    renames: dict[str, str] | None = None,
) -> Header:
    """Find the header row (a title may stand above it) and map its cells to canonical names."""
    lookup = dict(synonyms)
    for file_name, target in (renames or {}).items():
        lookup[normalise_header(file_name)] = target
    required = tuple(required)
    best: tuple[int, list[str], dict[str, int]] | None = None
    for row_no, cells in table.rows:
        index: dict[str, int] = {}
        duplicates: list[str] = []
        for i, text in enumerate(cells):
            canonical = lookup.get(normalise_header(text))
            if canonical is None:
                continue
            if canonical in index:
                duplicates.append(str(text))
            index[canonical] = i
        if all(c in index for c in required):
            if duplicates:
                raise FileRejected(
                    _("Row %(row)s: the column %(column)r appears more than once in the header row.")
                    % {"row": row_no, "column": duplicates[0]}
                )
            return Header(row=row_no, index=index, width=len(cells))
        if best is None or len(index) > len(best[2]):
            best = (row_no, cells, index)
        if row_no >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FileRejected(_("The file contains no rows."))
    row_no, cells, index = best
    missing = [f"{c} ({COLUMN_LABELS.get(c, c)})" for c in required if c not in index]
    found = ", ".join(repr(c) for c in cells if str(c).strip()) or _("none")
    raise FileRejected(
        _(
            "The header row lacks required columns: %(missing)s. "
            "The nearest to a header row was row %(row)s with %(found)s."
        )
        % {"missing": ", ".join(missing), "row": row_no, "found": found}
    )


# --- Reading through a source profile (DESIGN.md §6) ----------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A row the profile's `skip` sets aside: counted and named in the batch summary."""

    header: str
    value: str


@dataclass
class ProfiledHeader:
    """Where the profile's columns are in the file, and the canonical header the validator sees."""

    row: int
    width: int
    sources: dict[str, tuple[int, ...]]
    profile: Any
    skip: list[tuple[int, str, frozenset[str]]]
    canonical: Header
    order: tuple[str, ...]
    # Worked out once for the hot loop (about a million rows): how many cells a row needs, and
    # per output column its constant or file indices, joiner and value map.
    needed: int = 0
    plan: list[tuple[str, str | None, tuple[int, ...], str, dict[str, str] | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from cases.source_profiles import JOINERS

        used = [i for indices in self.sources.values() for i in indices] + [i for i, _h, _v in self.skip]
        self.needed = max(used) + 1 if used else 0
        self.plan = [
            (
                c,
                self.profile.constants.get(c),
                self.sources.get(c, ()),
                JOINERS.get(c, " "),
                self.profile.values.get(c),
            )
            for c in self.order
        ]


def locate_profiled_header(
    table: Table, *, profile: Any, synonyms: dict[str, str], required: Iterable[str]
) -> ProfiledHeader:
    """Find the header row holding every header the profile names (and the required columns
    it does not map or set as constants), case- and space-insensitively. A header the profile
    names but the file lacks is refused, naming it and the headers the file has."""
    from cases.source_profiles import CANONICAL_COLUMNS

    named = {normalise_header(h) for headers in profile.columns.values() for h in headers} | {
        normalise_header(h) for h in profile.skip
    }
    required = tuple(c for c in required if c not in profile.columns and c not in profile.constants)
    best: tuple[int, list[str]] | None = None
    for row_no, cells in table.rows:
        positions = {normalise_header(text): i for i, text in enumerate(cells) if str(text).strip()}
        by_synonym: dict[str, int] = {}
        for text, i in positions.items():
            canonical = synonyms.get(text)
            if canonical is not None and canonical not in profile.columns and canonical not in by_synonym:
                by_synonym[canonical] = i
        if named <= set(positions) and all(c in by_synonym for c in required):
            sources: dict[str, tuple[int, ...]] = {
                c: tuple(positions[normalise_header(h)] for h in headers) for c, headers in profile.columns.items()
            }
            for canonical, i in by_synonym.items():
                sources.setdefault(canonical, (i,))
            order = tuple(c for c in CANONICAL_COLUMNS if c in sources or c in profile.constants)
            return ProfiledHeader(
                row=row_no,
                width=len(cells),
                sources=sources,
                profile=profile,
                skip=[(positions[normalise_header(h)], h, v) for h, v in profile.skip.items()],
                canonical=Header(row=row_no, index={c: i for i, c in enumerate(order)}, width=len(order)),
                order=order,
            )
        if best is None or len(named & set(positions)) > len(named & {normalise_header(c) for c in best[1]}):
            best = (row_no, cells)
        if row_no >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FileRejected(_("The file contains no rows."))
    row_no, cells = best
    have = {normalise_header(c) for c in cells}
    missing = [h for headers in profile.columns.values() for h in headers if normalise_header(h) not in have]
    missing += [h for h in profile.skip if normalise_header(h) not in have]
    found = ", ".join(repr(c) for c in cells if str(c).strip()) or _("none")
    if missing:
        raise FileRejected(
            _(
                "The source's profile names headers the file lacks: %(missing)s. "
                "The file's headers (row %(row)s): %(found)s. Correct the profile or choose the right source."
            )
            % {"missing": ", ".join(repr(h) for h in missing), "row": row_no, "found": found}
        )
    absent = [f"{c} ({COLUMN_LABELS.get(c, c)})" for c in required]
    raise FileRejected(
        _(
            "The header row lacks required columns: %(missing)s. "
            "The nearest to a header row was row %(row)s with %(found)s."
        )
        % {"missing": ", ".join(absent), "row": row_no, "found": found}
    )


def profile_row(ph: ProfiledHeader, row_no: int, cells: list[str], separator: str = ",") -> Any:
    """A file row as the canonical cells the validator reads, a Skipped mark, or row errors."""

    if len(cells) < ph.needed:
        return [
            RowError(
                row_no,
                "",
                clip(separator.join(cells)),
                too_few_columns(len(cells), ph.width),
            )
        ]
    for index, header, values in ph.skip:
        if cells[index].strip() in values:
            return Skipped(header, cells[index].strip())
    out: list[str] = []
    errors: list[RowError] | None = None
    for canonical, constant, indices, joiner, mapping in ph.plan:
        if constant is not None:
            value = constant
        elif len(indices) == 1:
            value = cells[indices[0]].strip()
        else:
            parts = [cells[i].strip() for i in indices]
            if all(parts) or not any(parts):
                value = joiner.join(parts) if any(parts) else ""
            else:
                empty = [ph.profile.columns[canonical][k] for k, part in enumerate(parts) if not part]
                errors = errors or []
                errors.append(
                    RowError(
                        row_no,
                        canonical,
                        clip(joiner.join(parts)),
                        _("a part of the joined column is missing (header %(headers)s)")
                        % {"headers": ", ".join(empty)},
                    )
                )
                value = ""
        if mapping is not None and value:
            mapped = mapping.get(value)
            if mapped is None:
                errors = errors or []
                errors.append(
                    RowError(
                        row_no,
                        canonical,
                        clip(value),
                        _(
                            "the value is not in the source's profile (values); "
                            "add it to the profile or correct the file"
                        ),
                    )
                )
            else:
                value = mapped
        out.append(value)
    return errors if errors else out


def cell(cells: list[str], header: Header, column: str) -> str:
    i = header.index.get(column)
    if i is None or i >= len(cells):
        return ""
    return cells[i]
