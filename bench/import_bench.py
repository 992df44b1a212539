"""Import throughput and memory (issue: case-log import), side by side with a bare COPY.

Run: make bench-import   (needs PostgreSQL on 127.0.0.1:5432; uses a scratch database costshare_bench)
Options: --rows 1000000 --big-rows 3000000 --xlsx-rows 200000
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from datetime import date

from common import (
    BENCH_DB,
    OUT,
    ROOT,
    django_env,
    recreate_database,
    run_measured,
    setup_organisation,
    write_canonical_csv,
)

REFERENCE_TABLE = """
DROP TABLE IF EXISTS bench_copy;
CREATE TABLE bench_copy (
    id bigserial PRIMARY KEY, case_id text NOT NULL, opened_at timestamptz NOT NULL, channel text NOT NULL,
    grouping text NOT NULL, handle_seconds integer, wait_seconds integer, resolved_first_contact boolean,
    forwarded_to text);
CREATE UNIQUE INDEX bench_copy_case ON bench_copy (case_id);
CREATE INDEX bench_copy_month ON bench_copy (opened_at);
"""


def psql(sql: str) -> None:
    import subprocess

    subprocess.run(["psql", BENCH_DB, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def bare_copy(path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    psql(REFERENCE_TABLE)
    cols = "case_id, opened_at, channel, grouping, handle_seconds, wait_seconds, resolved_first_contact, forwarded_to"
    wall, rss, _ = run_measured(
        [
            "psql",
            BENCH_DB,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\copy bench_copy ({cols}) FROM '{path}' WITH (FORMAT csv, HEADER true)",
        ],
        django_env({"PGTZ": "Europe/Stockholm"}),  # naive timestamps are Stockholm time, as in the import
    )
    return wall, rss


def import_file(path, *options: str, source: str = "Bench") -> tuple[float, float, dict]:  # type: ignore[no-untyped-def, type-arg]
    """`import_cases` of the file, timed from process start to loaded: (wall s, peak MB, its JSON)."""
    wall, rss, out = run_measured(
        [sys.executable, "manage.py", "import_cases", str(path), "--source", source, *options, "--wait", "--json"],
        django_env(),
    )
    doc = json.loads(out)
    if doc["status"] != "loaded":
        raise RuntimeError(doc)
    return wall, rss, doc


def our_import(path, source: str = "Bench") -> tuple[float, float, dict]:  # type: ignore[no-untyped-def, type-arg]
    """The import into an empty case table, as the bare COPY gets an empty table."""
    psql("TRUNCATE cases_caserecord, cases_monthlyaggregate, imports_importrowerror, imports_importbatch CASCADE")
    return import_file(path, source=source)


BANK_FILE = ROOT.parent / "shared" / "realdata" / "anonymous-bank-callcentre" / "data_anonymous_bank_february.txt"
BANK_PROFILE = json.loads((ROOT / "docs" / "profiles" / "anonymous-bank-callcentre.json").read_text())
BANK_REFERENCE_TABLE = """
DROP TABLE IF EXISTS bench_bank_copy;
CREATE TABLE bench_bank_copy (
    vru_line text, call_id bigint, customer_id text, priority int, type text, date text, vru_entry text,
    vru_exit text, vru_time int, q_start text, q_exit text, q_time int, outcome text, ser_start text,
    ser_exit text, ser_time int, server text);
CREATE UNIQUE INDEX bench_bank_copy_case ON bench_bank_copy (vru_line, call_id);
CREATE INDEX bench_bank_copy_date ON bench_bank_copy (date);
"""


def bank_file(rows: int):  # type: ignore[no-untyped-def]
    """The real bank log repeated (call ids shifted to stay unique) up to `rows` rows: the real
    export's shape, joined columns, clock times, value maps and skipped PHANTOM rows, at scale."""
    path = OUT / f"bank-{rows}.txt"
    if path.exists():
        return path
    lines = BANK_FILE.read_text(encoding="ascii").splitlines()
    header, body = lines[0], lines[1:]
    with path.open("w", encoding="ascii", newline="\n") as fh:
        fh.write(header + "\n")
        written = 0
        copy = 0
        while written < rows:
            for line in body:
                cells = line.split("\t")
                cells[1] = str(int(cells[1]) + copy * 10_000_000)
                fh.write("\t".join(cells) + "\n")
                written += 1
                if written >= rows:
                    break
            copy += 1
    return path


def bank_setup() -> None:
    from common import manage

    code = f"""
from cases.models import DataSource, Grouping
for t in ("PS", "PE", "IN", "NE", "NW", "TT"):
    Grouping.objects.get_or_create(code="BANK-" + t, defaults={{"name": "Bank " + t}})
source, _ = DataSource.objects.get_or_create(name="Bank")
source.profile = {BANK_PROFILE!r}
source.full_clean()
source.save()
"""
    manage("shell", "-c", code)


def bank_bare_copy(path) -> float:  # type: ignore[no-untyped-def]
    psql(BANK_REFERENCE_TABLE)
    wall, _rss, _ = run_measured(
        [
            "psql",
            BENCH_DB,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\copy bench_bank_copy FROM '{path}' WITH (FORMAT csv, DELIMITER E'\\t', HEADER true)",
        ],
        django_env(),
    )
    return wall


def xlsx_file(rows: int):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    path = OUT / f"cases-{rows}.xlsx"
    if path.exists():
        return path
    csv_path = write_canonical_csv(OUT / f"cases-{rows}.csv", rows, seed=3)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ärendelogg")
    with csv_path.open(encoding="utf-8") as fh:
        for line in fh:
            cells = line.rstrip("\n").split(",")
            ws.append([int(c) if c.isdigit() else c for c in cells])
    wb.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=3_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bank-rows", type=int, default=1_000_000, help="rows of the bank-format file (0: skip)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    recreate_database()
    setup_organisation()
    results: dict[str, object] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
    }

    small = write_canonical_csv(OUT / f"cases-{args.rows}.csv", args.rows)
    # Alternate the reference and the import, and report medians: one run is noisy on 2 cores.
    copies, imports, peaks = [], [], []
    for _ in range(args.repeat):
        copies.append(bare_copy(small)[0])
        wall, rss, doc = our_import(small)
        imports.append(wall)
        peaks.append(rss)
    copy_wall, ours_wall, ours_rss = statistics.median(copies), statistics.median(imports), max(peaks)
    # The machine is shared: each import is set against the bare COPY run just before it.
    ratios = [c / i for c, i in zip(copies, imports, strict=True)]
    results["csv"] = {
        "rows": args.rows,
        "bare_copy_s": round(copy_wall, 2),
        "bare_copy_rows_per_s": round(args.rows / copy_wall),
        "import_s": round(ours_wall, 2),
        "import_rows_per_s": round(args.rows / ours_wall),
        "ratio_to_copy": round(copy_wall / ours_wall, 2),
        "median_of_ratios": round(statistics.median(ratios), 2),
        "all_ratios": [round(r, 2) for r in ratios],
        "import_peak_rss_mb": round(ours_rss),
        "loaded": doc["rows_loaded"],
        "repeats": args.repeat,
        "all_bare_copy_s": [round(x, 2) for x in copies],
        "all_import_s": [round(x, 2) for x in imports],
    }
    print(json.dumps(results["csv"]), flush=True)

    if args.bank_rows and BANK_FILE.exists():
        bank_setup()
        bank = bank_file(args.bank_rows)
        bank_copies, bank_imports, bank_peaks = [], [], []
        for _ in range(args.repeat):
            bank_copies.append(bank_bare_copy(bank))
            wall, rss, bank_doc = our_import(bank, source="Bank")
            bank_imports.append(wall)
            bank_peaks.append(rss)
        b_copy, b_wall = statistics.median(bank_copies), statistics.median(bank_imports)
        bank_ratios = [c / i for c, i in zip(bank_copies, bank_imports, strict=True)]
        results["bank_profile"] = {
            "rows": args.bank_rows,
            "bare_copy_s": round(b_copy, 2),
            "import_s": round(b_wall, 2),
            "import_rows_per_s": round(args.bank_rows / b_wall),
            "ratio_to_copy": round(b_copy / b_wall, 2),
            "median_of_ratios": round(statistics.median(bank_ratios), 2),
            "all_ratios": [round(r, 2) for r in bank_ratios],
            "import_peak_rss_mb": round(max(bank_peaks)),
            "loaded": bank_doc["rows_loaded"],
            "skipped": bank_doc["rows_skipped"],
            "all_bare_copy_s": [round(x, 2) for x in bank_copies],
            "all_import_s": [round(x, 2) for x in bank_imports],
        }
        print(json.dumps(results["bank_profile"]), flush=True)

    if args.big_rows:
        big = write_canonical_csv(OUT / f"cases-{args.big_rows}.csv", args.big_rows, seed=2)
        big_copy_wall, _ = bare_copy(big)
        big_wall, big_rss, big_doc = our_import(big)
        results["csv_big"] = {
            "rows": args.big_rows,
            "bare_copy_s": round(big_copy_wall, 2),
            "import_s": round(big_wall, 2),
            "import_rows_per_s": round(args.big_rows / big_wall),
            "ratio_to_copy": round(big_copy_wall / big_wall, 2),
            "import_peak_rss_mb": round(big_rss),
            "loaded": big_doc["rows_loaded"],
        }
        print(json.dumps(results["csv_big"]), flush=True)

    if args.xlsx_rows:
        xlsx = xlsx_file(args.xlsx_rows)
        read_wall, _read_rss, _ = run_measured(
            [
                sys.executable,
                "-c",
                "import sys, openpyxl\n"
                "wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)\n"
                "n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))\n"
                "print(n)",
                str(xlsx),
            ],
            django_env(),
        )
        x_wall, x_rss, x_doc = our_import(xlsx)
        results["xlsx"] = {
            "rows": args.xlsx_rows,
            "openpyxl_read_only_pass_s": round(read_wall, 2),
            "import_s": round(x_wall, 2),
            "ratio_import_to_plain_read": round(x_wall / read_wall, 2),
            "import_peak_rss_mb": round(x_rss),
            "loaded": x_doc["rows_loaded"],
        }
        print(json.dumps(results["xlsx"]), flush=True)
    (OUT / "import_bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
