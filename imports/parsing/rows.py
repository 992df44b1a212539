"""Validating one case-log row at a time: the values to stage, or the row's errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from imports.parsing.columns import CHANNEL_SYNONYMS, CHANNEL_WORDS, FALSE_WORDS, TRUE_WORDS, normalise_header
from imports.parsing.errors import RowError, columns_phrase, too_few_columns
from imports.parsing.headers import Header
from imports.parsing.values import NULL, OUTCOMES, SUSPECT_START, clip, date_parser, duration_cell

STOCKHOLM = ZoneInfo("Europe/Stockholm")


# --- Case rows -----------------------------------------------------------------------------


@dataclass
class References:
    """Codes the file may name, mapped to database ids (passed in: this module reads no tables)."""

    groupings: dict[str, int]
    channels: dict[str, int]
    administrations: dict[str, int]


@dataclass
class CaseRowValidator:
    """Validates one case-log row and returns the values to stage, or the row's errors.

    The output tuple is (row, case_id, opened_at, month, channel_id, grouping_id,
    handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id), where
    opened_at is an ISO-8601 text (naive means Europe/Stockholm) and month is 'YYYY-MM-01'.
    """

    header: Header
    refs: References
    declared_month: date | None = None
    date_format: str = ""
    # When set, a clean row comes back as a ready PostgreSQL COPY text line starting with
    # this prefix (the loader's source and batch columns) instead of a tuple; its month is
    # then counted in `line_months` (month → rows). Rows needing the full check still come back
    # as tuples.
    copy_prefix: str | None = None
    # How a row's cells are shown back in an error about the row's shape: as in the file.
    cell_separator: str = ","
    # "minutes" when the source exports durations in minutes (DESIGN.md §6 duration_unit).
    duration_unit: str = "seconds"
    line_months: dict[str, int] = field(default_factory=dict)
    _months: dict[tuple[int, int], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        idx = self.header.index
        self._i_case = idx["case_id"]
        self._i_open = idx["opened_at"]
        self._i_chan = idx["channel"]
        self._i_grp = idx["grouping"]
        self._i_handle = idx.get("handle_seconds")
        self._i_wait = idx.get("wait_seconds")
        self._i_res = idx.get("resolved_first_contact")
        self._i_fwd = idx.get("forwarded_to")
        self._i_out = idx.get("outcome")
        self._needed = max(idx.values()) + 1
        self._channel_ids = {
            alias: self.refs.channels[code] for alias, code in CHANNEL_SYNONYMS.items() if code in self.refs.channels
        }
        # Caches for the fast path: exports repeat a handful of channel spellings a million times.
        self._raw_channels: dict[str, int] = {}
        self._month_text: dict[str, str] = {}
        self._declared_ym = f"{self.declared_month:%Y-%m}" if self.declared_month else None
        self._flags: dict[str, bool | None] = {
            "": None,
            **dict.fromkeys(TRUE_WORDS, True),
            **dict.fromkeys(FALSE_WORDS, False),
        }
        self._parse_date = date_parser(self.date_format) if self.date_format else datetime.fromisoformat

    def _fast(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | str | None:
        """The common case of a clean row, checked with cheap tests; None sends it to the full check.

        Anything unusual (whitespace, other date shapes, unknown codes) takes the slow path,
        which gives the same result for a valid row and the row's errors for a bad one.
        """
        if len(cells) != self.header.width or self.duration_unit != "seconds":
            return None
        case_id = cells[self._i_case]
        if not case_id or len(case_id) > 100 or case_id[0] in SUSPECT_START or case_id[-1] == " ":
            return None
        text = cells[self._i_open]
        if self.date_format:
            # A source's own date format (through its profile): parsed by the compiled parser.
            try:
                moment = self._parse_date(text)
            except ValueError:
                return None
            # A time with a UTC offset (%z) belongs to its Stockholm month: the full check converts.
            if moment.tzinfo is not None or not 1990 <= moment.year <= 2100:
                return None
            year_month = f"{moment.year:04d}-{moment.month:02d}"
            text = moment.isoformat(sep=" ")
        else:
            if len(text) not in (16, 19) or text[4] != "-" or text[10] not in " T" or not "2000" <= text[:4] <= "2100":
                return None
            year_month = text[:7]
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                return None
            # "2026-03-31 23:30-11" is 19 characters too, and lies in April in Stockholm: a time
            # with an offset goes to the full check, which converts before it takes the month.
            if moment.tzinfo is not None:
                return None
        if self._declared_ym is not None and year_month != self._declared_ym:
            return None
        outcome: str | None = None
        if self._i_out is not None:
            raw_outcome = cells[self._i_out]
            outcome = OUTCOMES.get(raw_outcome) if raw_outcome else "handled"
            if outcome is None:
                return None
        month = self._month_text.get(year_month)
        if month is None:
            month = self._month_text.setdefault(year_month, year_month + "-01")
        raw_channel = cells[self._i_chan]
        channel_id = self._raw_channels.get(raw_channel)
        if channel_id is None:
            channel_id = self._channel_ids.get(normalise_header(raw_channel))
            if channel_id is None:
                return None
            self._raw_channels[raw_channel] = channel_id
        grouping_id = self.refs.groupings.get(cells[self._i_grp])
        if grouping_id is None:
            return None
        if self.copy_prefix is not None:
            return self._fast_line(cells, case_id, text, month, channel_id, grouping_id, outcome)
        handle = wait = forwarded = None
        resolved: bool | None = None
        if self._i_handle is not None:
            raw = cells[self._i_handle]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                handle = int(raw)
        if self._i_wait is not None:
            raw = cells[self._i_wait]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                wait = int(raw)
        if self._i_res is not None:
            raw = cells[self._i_res]
            if raw not in self._flags:
                return None
            resolved = self._flags[raw]
        if self._i_fwd is not None:
            raw = cells[self._i_fwd]
            if raw:
                forwarded = self.refs.administrations.get(raw)
                if forwarded is None:
                    return None
        return (row_no, case_id, text, month, channel_id, grouping_id, handle, wait, resolved, forwarded, outcome)

    def _month(self, year: int, month: int) -> str:
        key = (year, month)
        text = self._months.get(key)
        if text is None:
            text = f"{year:04d}-{month:02d}-01"
            self._months[key] = text
        return text

    def _timestamp(self, raw: str) -> tuple[str, str] | str:
        """(opened_at text, month text), or a reason."""
        text = raw.strip()
        try:
            if self.date_format:
                dt = self._parse_date(text)
                out = dt.isoformat(sep=" ")
            else:
                dt = datetime.fromisoformat(text)
                # Only the plain shapes pass through verbatim; anything else is rewritten
                # so the database parses exactly what Python validated.
                plain = len(text) in (16, 19) and text[4] == "-" and text[10] in " T"
                out = text if plain else dt.isoformat(sep=" ")
        except ValueError:
            fmt = self.date_format or _("YYYY-MM-DD HH:MM[:SS] or ISO 8601")
            return _("the time cannot be read; expected format %(format)s") % {"format": fmt}
        if len(text) == 10 and not self.date_format:
            return _("the time has no time of day; expected YYYY-MM-DD HH:MM")
        if dt.tzinfo is not None:
            local = dt.astimezone(STOCKHOLM)
            year, month = local.year, local.month
            out = dt.isoformat(sep=" ")
        else:
            year, month = dt.year, dt.month
        if not 1990 <= year <= 2100:
            return _("the year %(year)s is implausible") % {"year": year}
        month_text = self._month(year, month)
        if self.declared_month is not None and (year, month) != (
            self.declared_month.year,
            self.declared_month.month,
        ):
            return _("the time lies outside the file's month %(month)s") % {"month": f"{self.declared_month:%Y-%m}"}
        return out, month_text

    def _fast_line(
        self,
        cells: list[str],
        case_id: str,
        text: str,
        month: str,
        channel_id: int,
        grouping_id: int,
        outcome: str | None = None,
    ) -> str | None:
        if "\\" in case_id or "\t" in case_id or "\n" in case_id or "\r" in case_id:
            return None  # needs COPY escaping: the tuple path does it
        handle = wait = forwarded = "\\N"
        resolved = "\\N"
        if self._i_handle is not None:
            raw = cells[self._i_handle]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                handle = raw
        if self._i_wait is not None:
            raw = cells[self._i_wait]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                wait = raw
        if self._i_res is not None:
            raw = cells[self._i_res]
            if raw not in self._flags:
                return None
            flag = self._flags[raw]
            if flag is not None:
                resolved = "t" if flag else "f"
        if self._i_fwd is not None:
            raw = cells[self._i_fwd]
            if raw:
                admin_id = self.refs.administrations.get(raw)
                if admin_id is None:
                    return None
                forwarded = str(admin_id)
        months = self.line_months
        months[month] = months.get(month, 0) + 1
        return (
            f"{self.copy_prefix}{case_id}\t{text}\t{month}\t{channel_id}\t{grouping_id}\t"
            f"{handle}\t{wait}\t{resolved}\t{forwarded}\t{outcome or NULL}\n"
        )

    def __call__(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | str | list[RowError]:
        fast = self._fast(row_no, cells)
        if fast is not None:
            return fast
        return self._full(row_no, cells)

    def _full(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | list[RowError]:
        if len(cells) < self._needed:
            return [
                RowError(
                    row_no,
                    "",
                    clip(self.cell_separator.join(cells)),
                    too_few_columns(len(cells), self.header.width),
                )
            ]
        if len(cells) > self.header.width and any(c.strip() for c in cells[self.header.width :]):
            return [
                RowError(
                    row_no,
                    "",
                    clip(self.cell_separator.join(cells)),
                    _("the row has %(columns)s but the header row has %(width)s")
                    % {"columns": columns_phrase(len(cells)), "width": self.header.width},
                )
            ]
        errors: list[RowError] = []
        case_id = cells[self._i_case].strip()
        if not case_id:
            errors.append(RowError(row_no, "case_id", "", _("case id missing")))
        elif len(case_id) > 100:
            errors.append(RowError(row_no, "case_id", clip(case_id), _("case id longer than 100 characters")))
        elif case_id[0] in "=+-@\t\r" and not case_id[1:].replace("-", "").isalnum():
            errors.append(RowError(row_no, "case_id", clip(case_id), _("case id looks like a formula")))
        opened = cells[self._i_open]
        stamp = self._timestamp(opened) if opened.strip() else _("time missing")
        if isinstance(stamp, str):
            errors.append(RowError(row_no, "opened_at", clip(opened), stamp))
        raw_channel = cells[self._i_chan]
        channel_id = self._raw_channels.get(raw_channel)
        if channel_id is None:
            channel_id = self._channel_ids.get(normalise_header(raw_channel))
            if channel_id is not None:
                self._raw_channels[raw_channel] = channel_id
        if channel_id is None:
            reason = (
                _("channel missing")
                if not raw_channel.strip()
                else _("unknown channel; allowed: %(channels)s")
                % {"channels": ", ".join(sorted(str(CHANNEL_WORDS.get(c, c)) for c in self.refs.channels))}
            )
            errors.append(RowError(row_no, "channel", clip(raw_channel), reason))
        raw_grouping = cells[self._i_grp].strip()
        grouping_id = self.refs.groupings.get(raw_grouping)
        if grouping_id is None:
            reason = _("grouping missing") if not raw_grouping else _("unknown grouping code")
            errors.append(RowError(row_no, "grouping", clip(raw_grouping), reason))
        handle = duration_cell(cells, self._i_handle, row_no, "handle_seconds", errors, self.duration_unit)
        wait = duration_cell(cells, self._i_wait, row_no, "wait_seconds", errors, self.duration_unit)
        resolved: bool | None = None
        if self._i_res is not None:
            raw = cells[self._i_res].strip().lower()
            if raw in TRUE_WORDS:
                resolved = True
            elif raw in FALSE_WORDS:
                resolved = False
            elif raw:
                errors.append(
                    RowError(row_no, "resolved_first_contact", clip(raw), _("expected 1/0, ja/nej or true/false"))
                )
        forwarded: int | None = None
        if self._i_fwd is not None:
            raw = cells[self._i_fwd].strip()
            if raw:
                forwarded = self.refs.administrations.get(raw)
                if forwarded is None:
                    errors.append(RowError(row_no, "forwarded_to", clip(raw), _("unknown administration code")))
        outcome: str | None = None
        if self._i_out is not None:
            raw = cells[self._i_out].strip()
            outcome = OUTCOMES.get(raw.lower()) if raw else "handled"
            if outcome is None:
                errors.append(
                    RowError(
                        row_no,
                        "outcome",
                        clip(raw),
                        _("unknown outcome; allowed: handled (besvarad) or abandoned (avbruten)"),
                    )
                )
        if errors:
            return errors
        assert not isinstance(stamp, str)
        return (
            row_no,
            case_id,
            stamp[0],
            stamp[1],
            channel_id,
            grouping_id,
            handle,
            wait,
            resolved,
            forwarded,
            outcome,
        )
