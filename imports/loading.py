"""Moving validated rows into the database: staging, duplicate checks, the atomic replace.

PostgreSQL gets `COPY` into an unlogged staging table; SQLite (the embedded demo) gets
`executemany` into the same table. The replace step is one SQL statement on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from cases.partitions import cross_month_duplicate, partitions_ensure
from imports.parsing import STOCKHOLM, References, RowError, binary

STAGE = "imports_stagedcase"
CASES = "cases_caserecord"
STAGE_COLUMNS = (
    "batch_id, row_no, case_id, opened_at, month, channel_id, grouping_id, "
    "handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id, outcome"
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def staging_clear(batch_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {STAGE} WHERE batch_id = %s", [batch_id])


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_payload(prefix: str, rows: Sequence[tuple[Any, ...]], *, with_row_no: bool) -> str:
    """COPY text format for validated rows; only the case id is free text and may need escaping."""
    esc = _copy_text
    if with_row_no:
        return "".join(
            f"{prefix}{r[0]}\t{esc(r[1])}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t"
            f"{esc(r[6])}\t{esc(r[7])}\t{esc(r[8])}\t{esc(r[9])}\t{esc(r[10])}\n"
            for r in rows
        )
    return "".join(
        f"{prefix}{esc(r[1])}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{esc(r[6])}\t{esc(r[7])}\t{esc(r[8])}\t"
        f"{esc(r[9])}\t{esc(r[10])}\n"
        for r in rows
    )


def cases_copy_prefix(source_id: int, batch_id: int) -> str:
    """The first two columns of every COPY line into the case table."""
    return f"{source_id}\t{batch_id}\t"


def cases_copy(
    *,
    batch_id: int,
    source_id: int,
    chunks: Iterable[Sequence[Any]],
    before_months: Callable[[list[date]], None] = lambda months: None,
) -> tuple[int, dict[date, int]]:
    """PostgreSQL: COPY validated rows straight into the case table. Call inside a transaction.

    A chunk brings the column-checked rows as one binary COPY `payload` (parsing.binary) and the
    rows the row validator passed as tuples, which go in COPY's text format; a COPY is in one
    format, so the loader switches between the two where a chunk has both. Returns (the number
    of rows the server took, the source's rows each month the rows brought had before, 0
    included). Naive timestamps in the text format are Stockholm time (SET LOCAL lasts only for
    this transaction and is reset right after). A chunk that brings a month the batch has not
    reached yet (its `months`) ends the running COPY; `before_months` may refuse those months (it
    raises); the month's partition is made, the source's old rows of the month are deleted (and
    counted), and a new COPY goes on. The new rows therefore never meet the old ones in the
    unique index: no row waits for the deferred uniqueness check, which only rows repeated
    within the file reach.
    """
    prefix = cases_copy_prefix(source_id, batch_id)
    written = 0
    claimed: set[date] = set()
    old: dict[date, int] = {}
    with connection.cursor() as cur:
        cur.execute("SET LOCAL TIME ZONE 'Europe/Stockholm'")
        stream = _CopyStream(cur.cursor)
        try:
            for chunk in chunks:
                months = sorted(_new_months(chunk, claimed))
                if months:
                    stream.close()
                    before_months(months)
                    partitions_ensure(set(months))
                    old.update(dict.fromkeys(months, 0))
                    old.update(cases_delete_months(source_id=source_id, months=months))
                    claimed.update(months)
                payload = getattr(chunk, "payload", None)
                if payload:
                    stream.write("binary", payload)
                    written += chunk.payload_rows  # type: ignore[attr-defined]
                if chunk:
                    stream.write("text", _copy_payload(prefix, chunk, with_row_no=False).encode())
                    written += len(chunk)
            stream.close()
        except BaseException as exc:
            stream.abort(exc)
            raise
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
    if stream.copied != written:
        raise IntegrityError(f"COPY took {stream.copied} rows of the {written} sent")
    return stream.copied, old


# The COPY of case rows into the case table, in each of its two formats.
CASES_COPY_SQL = {
    "binary": f"COPY {CASES} ({binary.COLUMNS}) FROM STDIN (FORMAT BINARY)",
    "text": f"COPY {CASES} ({binary.COLUMNS}) FROM STDIN",
}


class _CopyStream:
    """The COPY into the case table in progress, in the binary or the text format, or none; the
    rows the server took (its own count, COPY's command tag) summed over every COPY."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.kind: str | None = None
        self.context: Any = None
        self.copy: Any = None
        self.copied = 0

    def write(self, kind: str, data: bytes | memoryview) -> None:
        if kind != self.kind:
            self.close()
            self.context = self.cursor.copy(CASES_COPY_SQL[kind])
            self.copy = self.context.__enter__()
            self.kind = kind
            if kind == "binary":
                self.copy.write(binary.SIGNATURE)
        self.copy.write(data)

    def close(self) -> None:
        if self.context is None:
            return
        if self.kind == "binary":
            self.copy.write(binary.TRAILER)
        context, self.context, self.copy, self.kind = self.context, None, None, None
        context.__exit__(None, None, None)
        self.copied += self.cursor.rowcount

    def abort(self, exc: BaseException) -> None:
        """End a COPY cut short by `exc` (the server discards it; the transaction rolls back)."""
        if self.context is not None:
            context, self.context = self.context, None
            context.__exit__(type(exc), exc, exc.__traceback__)


def _new_months(chunk: Sequence[Any], claimed: set[date]) -> set[date]:
    return {date.fromisoformat(m) for m in getattr(chunk, "months", ())} - claimed


def cases_delete_months(*, source_id: int, months: list[date]) -> dict[date, int]:
    """Remove the source's rows of `months`; returns how many each month had (the numbers the
    replacement check compares the file with). Inside the loading transaction: a refusal later
    on rolls the delete back with the rest.

    Row by row, never TRUNCATE, even where a month's partition seems to hold this source's rows
    alone: another source's import of the same month may be writing into it uncommitted, and a
    TRUNCATE waiting for its lock would then empty that source's rows the moment they commit.
    """
    if not months:
        return {}
    placeholders = ", ".join(["%s"] * len(months))
    with connection.cursor() as cur:
        cur.execute(
            f"WITH gone AS (DELETE FROM {CASES} WHERE source_id = %s AND month IN ({placeholders}) "
            "RETURNING month) SELECT month, COUNT(*) FROM gone GROUP BY month",
            [source_id, *months],
        )
        return {as_date(m): int(n) for m, n in cur.fetchall()}


def cases_check_unique(*, source_id: int, months: list[date]) -> None:
    """Check case-id uniqueness now rather than at commit: raises IntegrityError when a case id
    repeats in the file or exists in another month of the source.

    The constraint covers a month (on PostgreSQL each month is a partition with its own unique
    index); across months the check is cross_month_duplicate's.
    """
    if not is_postgres():
        return  # SQLite: a plain unique index on (source, case id) checks every row as it goes in
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS case_id_unique_per_source IMMEDIATE")
    repeated = cross_month_duplicate(source_id=source_id, months=months)
    if repeated is not None:
        raise IntegrityError(f"case id {repeated!r} of source {source_id} lies in more than one month")


def references_lock(refs: References) -> None:
    """PostgreSQL: share-lock every code a file may name until commit, and prove they exist.

    This is the foreign-key check of the case table, done once per code instead of once per
    row: nothing the rows refer to can be deleted before the rows are committed.
    """
    with connection.cursor() as cur:
        for table, ids in (
            ("cases_channel", refs.channels.values()),
            ("cases_grouping", refs.groupings.values()),
            ("cases_administration", refs.administrations.values()),
        ):
            wanted = sorted(set(ids))
            cur.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) FOR KEY SHARE", [wanted])
            if len(cur.fetchall()) != len(wanted):
                raise IntegrityError(f"{table}: a referenced row disappeared during the import")


def staging_check_references(batch_id: int) -> None:
    """The staged rows' codes must still exist (the SQL twin of references_lock)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT COUNT(*) FROM {STAGE} s
            LEFT JOIN cases_channel ch ON ch.id = s.channel_id
            LEFT JOIN cases_grouping g ON g.id = s.grouping_id
            LEFT JOIN cases_administration a ON a.id = s.forwarded_to_id
            WHERE s.batch_id = %s
              AND (ch.id IS NULL OR g.id IS NULL OR (s.forwarded_to_id IS NOT NULL AND a.id IS NULL))
            """,
            [batch_id],
        )
        if cur.fetchone()[0]:
            raise IntegrityError("a channel, grouping or administration disappeared during the import")


def _utc_text(opened_at: str) -> str:
    # SQLite keeps Django datetimes as naive UTC text; naive input means Stockholm time.
    dt = datetime.fromisoformat(opened_at)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=STOCKHOLM)
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def staging_write(batch_id: int, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append validated rows (CaseRowValidator's tuples) to the staging table."""
    if not rows:
        return
    if is_postgres():
        payload = _copy_payload(f"{batch_id}\t", rows, with_row_no=True)
        with connection.cursor() as cur:
            raw = cur.cursor  # the psycopg 3 cursor underneath Django's wrapper
            with raw.copy(f"COPY {STAGE} ({STAGE_COLUMNS}) FROM STDIN") as copy:
                copy.write(payload)
        return
    # One transaction per chunk: in autocommit SQLite would sync the disk after every row.
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {STAGE} ({STAGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(batch_id, r[0], r[1], _utc_text(r[2]), *r[3:]) for r in rows],
        )


def staging_duplicate_errors(
    *, batch_id: int, source_id: int, months: list[date], limit: int
) -> tuple[list[RowError], int, list[int]]:
    """Case ids repeated within the file, or already loaded for the source in another month.

    Returns (errors to store, total number of refused rows, their row numbers). The first
    occurrence of a repeated id in the file is kept; later ones are refused.
    """
    month_list = ", ".join(["%s"] * len(months)) or "NULL"
    errors: list[RowError] = []
    refused: list[int] = []
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT s.row_no, s.case_id, d.first_row
            FROM {STAGE} s
            JOIN (SELECT case_id, MIN(row_no) AS first_row FROM {STAGE}
                  WHERE batch_id = %s GROUP BY case_id HAVING COUNT(*) > 1) d ON d.case_id = s.case_id
            WHERE s.batch_id = %s AND s.row_no <> d.first_row
            ORDER BY s.row_no
            """,
            [batch_id, batch_id],
        )
        for row_no, case_id, first_row in cur.fetchall():
            refused.append(row_no)
            if len(errors) < limit:
                errors.append(
                    RowError(
                        row_no,
                        "case_id",
                        case_id,
                        _("case id already appears on row %(row)s of the file") % {"row": first_row},
                    )
                )
        cur.execute(
            f"""
            SELECT s.row_no, s.case_id, c.month, c.batch_id
            FROM {STAGE} s JOIN {CASES} c ON c.source_id = %s AND c.case_id = s.case_id
            WHERE s.batch_id = %s AND c.month NOT IN ({month_list})
            ORDER BY s.row_no
            """,
            [source_id, batch_id, *months],
        )
        for row_no, case_id, month, other_batch in cur.fetchall():
            refused.append(row_no)
            if len(errors) < limit:
                month_text = month if isinstance(month, str) else f"{month:%Y-%m}"
                errors.append(
                    RowError(
                        row_no,
                        "case_id",
                        case_id,
                        _("case id already exists for the source in month %(month)s (batch #%(batch)s)")
                        % {"month": month_text[:7], "batch": other_batch},
                    )
                )
    return errors, len(refused), refused


def staging_drop_rows(batch_id: int, row_numbers: list[int]) -> None:
    with connection.cursor() as cur:
        for start in range(0, len(row_numbers), 5000):
            chunk = row_numbers[start : start + 5000]
            cur.execute(
                f"DELETE FROM {STAGE} WHERE batch_id = %s AND row_no IN ({', '.join(['%s'] * len(chunk))})",
                [batch_id, *chunk],
            )


def cases_replace_from_staging(*, batch_id: int, source_id: int, months: list[date]) -> int:
    """Replace the source's cases for `months` with the staged rows. Call inside a transaction."""
    placeholders = ", ".join(["%s"] * len(months))
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {CASES} WHERE source_id = %s AND month IN ({placeholders})", [source_id, *months])
        partitions_ensure(months)
        if is_postgres():
            # Naive timestamps in the file are Stockholm time; SET LOCAL ends with the transaction.
            cur.execute("SET LOCAL TIME ZONE 'Europe/Stockholm'")
            opened = "CAST(opened_at AS timestamptz)"
        else:
            opened = "opened_at"
        cur.execute(
            f"""
            INSERT INTO {CASES} (source_id, case_id, opened_at, month, channel_id, grouping_id,
                handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id, batch_id, outcome)
            SELECT %s, case_id, {opened}, month, channel_id, grouping_id,
                handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id, batch_id, outcome
            FROM {STAGE} WHERE batch_id = %s
            """,
            [source_id, batch_id],
        )
        inserted = cur.rowcount
        if is_postgres():
            cur.execute("SET LOCAL TIME ZONE 'UTC'")
    return inserted


def try_lock_batch(batch_id: int) -> bool:
    """A session-level advisory lock: held while a worker processes the batch, freed if it dies."""
    if not is_postgres():
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(4711, %s)", [batch_id])
        return bool(cur.fetchone()[0])


def unlock_batch(batch_id: int) -> None:
    if is_postgres():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(4711, %s)", [batch_id])


def staged_replacement_counts(*, batch_id: int, source_id: int, months: list[date]) -> list[tuple[date, int, int]]:
    """(month, cases the source has now, cases this batch brings) for each covered month, read
    before the replace from the case table and the staging table."""
    placeholders = ", ".join(["%s"] * len(months))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT month, COUNT(*) FROM {CASES} WHERE source_id = %s AND month IN ({placeholders}) GROUP BY month",
            [source_id, *months],
        )
        old = {as_date(m): int(n) for m, n in cur.fetchall()}
        cur.execute(f"SELECT month, COUNT(*) FROM {STAGE} WHERE batch_id = %s GROUP BY month", [batch_id])
        new = {as_date(m): int(n) for m, n in cur.fetchall()}
    return [(m, old.get(m, 0), new.get(m, 0)) for m in months]


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
