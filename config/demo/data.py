"""A believable demo municipality and a year of synthetic contact-centre logs. Pure: no database.

Everything is drawn from one `random.Random(seed)`, so the same seed always gives the
same organisation and byte-identical log files. The names are in config.demo.names.
"""

from __future__ import annotations

import calendar
import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cases.months import months_back
from config.demo.names import AREA_NAMES, CENTRAL, GROUPINGS, HIGH_VOLUME, SPLITS

__all__ = ["months_back"]  # the seed command takes it from here


CHANNEL_SHARES = [
    ("phone", 0.60),
    ("email", 0.20),
    ("chat", 0.07),
    ("eservice", 0.06),
    ("visit", 0.04),
    ("social", 0.02),
    ("letter", 0.01),
]
CHANNEL_WEIGHTS = {
    # Relative effort per case by channel, as finance staff set them in the demo.
    "phone": Decimal("1.00"),
    "email": Decimal("0.80"),
    "chat": Decimal("0.70"),
    "visit": Decimal("1.50"),
    "eservice": Decimal("0.30"),
    "social": Decimal("0.50"),
    "letter": Decimal("1.20"),
    "unspecified": Decimal("1.00"),
}
# Relative volume by month: summer dip, August school start, January peak of fees and decisions.
MONTH_FACTOR = {
    1: 1.12,
    2: 1.02,
    3: 1.0,
    4: 0.96,
    5: 0.98,
    6: 0.86,
    7: 0.58,
    8: 1.24,
    9: 1.1,
    10: 1.02,
    11: 1.0,
    12: 0.82,
}
WEEKDAY_FACTOR = [1.32, 1.08, 1.0, 0.97, 0.83, 0.09, 0.05]  # Monday … Sunday
# Seasonal pulls on particular areas.
SEASONAL = {
    "Snöröjning och halkbekämpning": {
        12: 4.0,
        1: 5.0,
        2: 4.0,
        3: 1.5,
        4: 0.2,
        5: 0.0,
        6: 0.0,
        7: 0.0,
        8: 0.0,
        9: 0.0,
        10: 0.2,
        11: 1.5,
    },
    "Feriearbete för ungdomar": {2: 2.5, 3: 3.0, 4: 2.0, 5: 1.5, 6: 1.5, 7: 0.8},
    "Sommarjobb – ansökan": {2: 3.0, 3: 3.0, 4: 2.0, 5: 1.0, 6: 0.5, 7: 0.3},
    "Gymnasieval och antagning": {1: 2.5, 2: 2.0, 3: 1.0, 6: 1.5, 7: 1.5, 8: 2.5},
    "Skolskjuts – ansökan": {5: 1.5, 6: 2.0, 8: 3.5, 9: 1.5},
    "Badplatser": {5: 1.5, 6: 3.0, 7: 4.0, 8: 2.0, 1: 0.1, 2: 0.1, 12: 0.1},
    "Bygglov – ansökan": {3: 1.5, 4: 1.8, 5: 1.8, 6: 1.4, 12: 0.6},
    "Val och valsedlar": {8: 2.0, 9: 2.0},
}
SOURCES = [
    # name, file header style, delimiter, encoding, channels it exports
    ("Telefoni", "sv", ";", "cp1252", {"phone"}),
    ("Ärendesystem", "en", ",", "utf-8", {"email", "chat", "eservice", "visit", "social", "letter"}),
]
HEADERS = {
    "en": [
        "case_id",
        "opened_at",
        "channel",
        "grouping",
        "handle_seconds",
        "wait_seconds",
        "resolved_first_contact",
        "forwarded_to",
    ],
    "sv": [
        "Ärende-id",
        "Öppnad",
        "Kanal",
        "Ärendegruppering",
        "Hanteringstid",
        "Väntetid",
        "Löst vid första kontakt",
        "Vidarebefordrad till",
    ],
}
CHANNEL_LABELS_SV = {
    "phone": "Telefon",
    "email": "E-post",
    "chat": "Chatt",
    "visit": "Besök",
    "eservice": "E-tjänst",
    "social": "Sociala medier",
    "letter": "Brev",
}


@dataclass(frozen=True)
class DemoGrouping:
    code: str
    name: str
    area: str
    owners: tuple[tuple[str, Decimal], ...]  # empty when central
    popularity: float


def demo_groupings(rng: random.Random) -> list[DemoGrouping]:
    """The 235 groupings with codes, owners and a Zipf-like popularity."""
    out: list[DemoGrouping] = []
    for admin_code, names in GROUPINGS.items():
        for i, name in enumerate(names, start=1):
            owners = tuple((a, Decimal(f)) for a, f in SPLITS[name]) if name in SPLITS else ((admin_code, Decimal(1)),)
            out.append(DemoGrouping(f"{admin_code}-{i:02d}", name, AREA_NAMES[admin_code], owners, 0.0))
    for i, name in enumerate(CENTRAL, start=1):
        out.append(DemoGrouping(f"CEN-{i:02d}", name, "Centralt finansierat", (), 0.0))
    others = [g.name for g in out if g.name not in HIGH_VOLUME and g.name not in CENTRAL]
    rng.shuffle(others)
    order = {name: rank for rank, name in enumerate([*HIGH_VOLUME, *others], start=1)}
    result = []
    for g in out:
        rank = order.get(g.name, 1)
        # Central switchboard and general information are always among the largest.
        popularity = 1.0 / (rank**0.85) if not g.code.startswith("CEN") else 0.06
        result.append(DemoGrouping(g.code, g.name, g.area, g.owners, popularity))
    return result


def _pick(rng: random.Random, cumulative: list[float], items: list[str]) -> str:
    x = rng.random() * cumulative[-1]
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return items[lo]


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def generate_month(
    rng: random.Random, groupings: list[DemoGrouping], month: date, cases_per_year: int
) -> Iterator[dict[str, object]]:
    """The month's cases, day by day, in time order."""
    days = calendar.monthrange(month.year, month.month)[1]
    mean_factor = sum(MONTH_FACTOR.values()) / 12
    mean_day = sum(WEEKDAY_FACTOR) / 7
    per_day = cases_per_year / 365.0 / mean_factor / mean_day
    weights = [g.popularity * SEASONAL.get(g.name, {}).get(month.month, 1.0) for g in groupings]
    cum_groupings = _cumulative(weights)
    codes = [g.code for g in groupings]
    owner_of = {g.code: (g.owners[0][0] if g.owners else None) for g in groupings}
    cum_channels = _cumulative([s for _, s in CHANNEL_SHARES])
    channels = [c for c, _ in CHANNEL_SHARES]
    serial = 0
    for day in range(1, days + 1):
        d = date(month.year, month.month, day)
        expected = per_day * MONTH_FACTOR[month.month] * WEEKDAY_FACTOR[d.weekday()]
        n = max(0, round(rng.gauss(expected, math.sqrt(expected))))
        stamps = sorted(rng.randint(7 * 3600 + 1800, 17 * 3600) for _ in range(n))
        for secs in stamps:
            serial += 1
            channel = _pick(rng, cum_channels, channels)
            if d.weekday() >= 5 and channel in ("phone", "visit"):
                channel = "eservice"  # closed at weekends: only digital channels arrive
            code = _pick(rng, cum_groupings, codes)
            handle = int(rng.lognormvariate(5.3 if channel == "phone" else 5.6, 0.6))
            wait = int(rng.expovariate(1 / 75)) if channel == "phone" else None
            resolved = rng.random() < (0.74 if channel in ("phone", "chat", "visit") else 0.58)
            forwarded = owner_of[code] if not resolved and rng.random() < 0.45 else None
            yield {
                "case_id": f"{month:%Y%m}-{serial:06d}",
                "opened_at": datetime.combine(d, datetime.min.time()) + timedelta(seconds=secs),
                "channel": channel,
                "grouping": code,
                "handle_seconds": handle,
                "wait_seconds": wait,
                "resolved_first_contact": resolved,
                "forwarded_to": forwarded,
            }


def write_month_files(
    *, seed: int, groupings: list[DemoGrouping], months: list[date], cases_per_year: int, folder: Path
) -> list[tuple[str, date, Path]]:
    """Write one CSV per source and month, as each export system delivers it."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, date, Path]] = []
    for month in months:
        rng = random.Random(f"{seed}-{month:%Y-%m}")
        rows = list(generate_month(rng, groupings, month, cases_per_year))
        for name, style, delimiter, encoding, channels in SOURCES:
            path = folder / f"{name.lower().replace('ä', 'a')}-{month:%Y-%m}.csv"
            with path.open("w", encoding=encoding, newline="") as fh:
                writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
                writer.writerow(HEADERS[style])
                for r in rows:
                    if r["channel"] not in channels:
                        continue
                    opened = r["opened_at"]
                    assert isinstance(opened, datetime)
                    sv = style == "sv"
                    writer.writerow(
                        [
                            f"{'T' if sv else 'A'}{r['case_id']}",
                            opened.strftime("%Y-%m-%d %H:%M:%S"),
                            CHANNEL_LABELS_SV[str(r["channel"])] if sv else r["channel"],
                            r["grouping"],
                            r["handle_seconds"],
                            "" if r["wait_seconds"] is None else r["wait_seconds"],
                            ("ja" if r["resolved_first_contact"] else "nej")
                            if sv
                            else int(bool(r["resolved_first_contact"])),
                            r["forwarded_to"] or "",
                        ]
                    )
            written.append((name, month, path))
    return written
