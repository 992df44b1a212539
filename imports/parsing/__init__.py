"""Reading and validating uploaded files. Pure: no database access.

Everything here streams: a file is read row by row and memory does not grow with its size.
Problems come back as `RowError` (row, column, value, reason in the reader's language) or, for a
file that cannot be read at all, as `FileRejected`. The modules:

- `errors`: FileRejected, RowError and how an error is told (describe_error, COLUMN_LABELS);
- `columns`: canonical column names and their synonyms, channel names;
- `files`: opening CSV and XLSX by content, with the limits that keep a hostile file out;
- `headers`: finding the header row, directly or through a source profile, and profiled rows;
- `rows`: the case-row validator (CaseRowValidator);
- `values`: durations, dates, months, decimals and yes/no, one value at a time.
"""

from imports.parsing.columns import (
    ADMIN_COLUMNS,
    ADMIN_REQUIRED,
    AGGREGATE_COLUMNS,
    AGGREGATE_REQUIRED,
    CASE_COLUMNS,
    CASE_REQUIRED,
    CHANNEL_WORDS,
    MAP_COLUMNS,
    MAP_REQUIRED,
    channel_code,
)
from imports.parsing.errors import COLUMN_LABELS, FileRejected, RowError, describe_error
from imports.parsing.files import STOCKHOLM, CsvLimits, XlsxLimits, open_table
from imports.parsing.headers import Header, Skipped, cell, locate_header, locate_profiled_header, profile_row
from imports.parsing.rows import CaseRowValidator, References
from imports.parsing.values import date_parser, is_blank, parse_bool, parse_date, parse_decimal, parse_month

__all__ = [
    "ADMIN_COLUMNS",
    "ADMIN_REQUIRED",
    "AGGREGATE_COLUMNS",
    "AGGREGATE_REQUIRED",
    "CASE_COLUMNS",
    "CASE_REQUIRED",
    "CHANNEL_WORDS",
    "COLUMN_LABELS",
    "MAP_COLUMNS",
    "MAP_REQUIRED",
    "STOCKHOLM",
    "CaseRowValidator",
    "CsvLimits",
    "FileRejected",
    "Header",
    "References",
    "RowError",
    "Skipped",
    "XlsxLimits",
    "cell",
    "channel_code",
    "date_parser",
    "describe_error",
    "is_blank",
    "locate_header",
    "locate_profiled_header",
    "open_table",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_month",
    "profile_row",
]
