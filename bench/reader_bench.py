"""The import's reader with pyarrow's CSV reader (as shipped) beside pandas with its pyarrow engine.

Run: cd bench && ../.venv/bin/python reader_bench.py [--rows 1000000] [--repeat 3]

Each run is a fresh process that starts Python, imports what the reader needs, and reads the
canonical case log of `--rows` rows (bench/out, made by common.write_canonical_csv) block by
block, checking every block column by column as the import does (imports.parsing.columnar), with
no database. The `pandas` runs swap the block splitter for `pandas.read_csv(engine="pyarrow")`
into pyarrow-backed columns (ArrowDtype), the way issue 32 proposed; everything else is the same.
pandas is not in the project's requirements: the bench installs its pinned PANDAS into
bench/out/pandas (pip --target) and only the pandas runs see it (where pandas is installed at
all, pyarrow imports it at its first array, which the pyarrow runs would then pay too).
Wall time (median) and peak memory of each; writes bench/reader_bench_result.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import date

from common import OUT, ROOT, run_measured, write_canonical_csv

PANDAS = "pandas==3.1.1"

CHILD = """
import io, os, sys
sys.path.insert(0, {root!r})
import pyarrow as pa
from imports.parsing import CASE_COLUMNS, CASE_REQUIRED, References, locate_header, open_table
from imports.parsing import blocks
from imports.parsing.columnar import ColumnChecker
from imports.parsing.files import CsvLimits

if {engine!r} == "pandas":
    import pandas as pd

    def split(block, delimiter, width):
        names = [f"c{{i}}" for i in range(width)]
        frame = pd.read_csv(io.BytesIO(block), engine="pyarrow", header=None, names=names, sep=delimiter,
                            dtype=pd.ArrowDtype(pa.string()), keep_default_na=False, skip_blank_lines=True)
        return [pa.array(frame[n].array).combine_chunks().cast(pa.string()) for n in names]

    blocks._split = split

import random
from config.demo import data as demo_data
from config.demo import names as demo_names

path = {path!r}
codes = [g.code for g in demo_data.demo_groupings(random.Random(1))]
channels = ["phone", "email", "chat", "eservice", "visit", "social"]
refs = References(groupings={{c: i for i, c in enumerate(codes)}}, channels={{c: i for i, c in enumerate(channels)}},
    administrations={{a[0]: i for i, a in enumerate(demo_names.ADMINISTRATIONS)}})
valid = 0
size = os.path.getsize(path)
limits = CsvLimits()
with open(path, "rb") as stream:
    table = open_table(stream, size=size, max_xlsx_bytes=1, xlsx_limits=None, csv_limits=limits, sheet="")
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    checker = ColumnChecker(header=header, refs=refs)
    start = blocks.header_end(stream, header.row)
    rows = 0
    for batch in blocks.CsvBlocks(stream, table, start=start, first_row=header.row + 1, width=header.width,
                                  size=size, limits=limits):
        rows += len(batch)
        valid += checker.check(batch).valid
print(rows, valid)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = write_canonical_csv(OUT / f"cases-{args.rows}.csv", args.rows)
    site = OUT / "pandas"
    if not (site / "pandas").is_dir():
        import subprocess

        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), PANDAS]
        subprocess.run(pip, check=True)
    runs: dict[str, dict[str, list[float]]] = {e: {"wall": [], "rss": []} for e in ("pyarrow", "pandas")}
    for _ in range(args.repeat):  # alternated: the machine is shared
        for engine in runs:
            code = CHILD.format(root=str(ROOT), engine=engine, path=str(path))
            paths = [str(ROOT)] + ([str(site)] if engine == "pandas" else [])
            wall, rss, out = run_measured([sys.executable, "-c", code], {"PYTHONPATH": ":".join(paths)})
            if out.split() != [str(args.rows)] * 2:
                raise RuntimeError(f"{engine} read and passed {out.strip()} rows, not {args.rows}")
            runs[engine]["wall"].append(wall)
            runs[engine]["rss"].append(rss)
    result = {
        "date": date.today().isoformat(),
        "rows": args.rows,
        "pandas_version": PANDAS,
        "command": f"cd bench && ../.venv/bin/python reader_bench.py --rows {args.rows} --repeat {args.repeat}",
        **{
            engine: {
                "read_and_check_s": round(statistics.median(r["wall"]), 2),
                "all_s": [round(x, 2) for x in r["wall"]],
                "peak_rss_mb": round(max(r["rss"])),
            }
            for engine, r in runs.items()
        },
    }
    (ROOT / "bench" / "reader_bench_result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
