"""A publication's files drawn from its figures alone: SVG charts (matplotlib) and workbooks
(openpyxl, with native Excel charts). Pure: no database; the same figures give the same bytes,
so a stored file can be checked by making it again."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from allocation.axes import figures_axis
from allocation.goals.sheet import goals_sheet
from allocation.publications.workbooks import write_sheet
from allocation.transfers.sheets import benefit_sheet
from cases import formats
from cases.spreadsheet import safe_cell, workbook_bytes


def svg_bytes(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out.getvalue()


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "kontaktcenter"  # identical figures give identical files
    # Labels are names typed by people ("Kultur & $-fonden"): plain text, never math markup.
    matplotlib.rcParams["text.parse_math"] = False
    # Okabe–Ito: told apart by people with every common colour-vision deficiency.
    from cycler import cycler

    matplotlib.rcParams["axes.prop_cycle"] = cycler(
        color=["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    )
    import matplotlib.pyplot as plt

    return plt


def chart_trend(trend: list[dict[str, Any]], title: str) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    # A month without data is a gap in the line, not a fall to zero.
    ax.plot(
        [formats.month_short(t["month"]) for t in trend],
        [float(t["cases"]) if t["cases"] is not None else float("nan") for t in trend],
        marker="o",
        color="#0072B2",
    )
    ax.set_title(title)
    ax.set_ylabel(_("Cases"))
    figures_axis(ax.yaxis)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.grid(alpha=0.3)
    return svg_bytes(fig)


def chart_channels(channels: list[dict[str, Any]], title: str) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.barh([c["name"] for c in channels][::-1], [float(c["cases"]) for c in channels][::-1], color="#4a90b8")
    ax.set_title(title)
    ax.set_xlabel(_("Cases"))
    figures_axis(ax.xaxis)
    if not channels:  # no bars: no numeric axis of matplotlib's own (−0.06 …) where names would be
        ax.set_yticks([])
    return svg_bytes(fig)


def chart_shares(rows: list[dict[str, Any]]) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    codes = [r["code"] for r in rows]
    x = range(len(codes))
    ax.bar([i - 0.27 for i in x], [float(r["share_month"] or 0) for r in rows], width=0.27, label=_("The month"))
    ax.bar(list(x), [float(r["share_rolling"] or 0) for r in rows], width=0.27, label=_("Rolling 12 months"))
    ax.bar([i + 0.27 for i in x], [float(r["share_key"] or 0) for r in rows], width=0.27, label=_("Approved key"))
    ax.set_xticks(list(x), codes, rotation=45, fontsize=8)
    ax.set_ylabel(_("Share (%)"))
    figures_axis(ax.yaxis, 1)
    ax.legend(fontsize=8)
    ax.set_title(_("Share of co-financed cases compared with the key"))
    return svg_bytes(fig)


def workbook(doc: dict[str, Any], *, overview: bool) -> bytes:
    """A summary sheet and one sheet per view, with native Excel charts; text cells formula-safe."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = _("Summary")
    k = doc["kpis"]
    title = _("Contact centre – %(month)s") % {"month": doc["month"]} if overview else f"{doc['name']} – {doc['month']}"
    summary.append([safe_cell(title)])
    summary["A1"].font = Font(bold=True, size=14)
    rows: list[list[Any]] = [
        [_("Cases"), _num(k["cases"]), "#,##0.00"],
        [_("Resolved at first contact"), _num(k["first_contact_resolution"]), "0.0%"],
        [_("Forwarded"), _num(k["forwarded_rate"]), "0.0%"],
        [_("Average handle time (s)"), _num(k["average_handle_seconds"]), "#,##0.0"],
        [_("Phone: average wait (s)"), _num(k["phone_average_wait_seconds"]), "#,##0.0"],
        [_("Phone: answered within 60 s"), _num(k["phone_answered_within_60_rate"]), "0.0%"],
    ]
    if not overview:
        rows += [
            [_("Share of co-financed cases, the month (%)"), _num(doc["share_month"]), "0.00"],
            [_("Share, rolling 12 months (%)"), _num(doc["share_rolling"]), "0.00"],
            [_("Share in the approved key (%)"), _num(doc["share_key"]), "0.00"],
            [_("Amount charged this month (kr)"), _num(doc["charged"]), '#,##0.00 "kr"'],
        ]
    access = doc.get("accessibility")
    if access:
        rows += [
            [_("Phone: calls offered"), _num(access["offered"]), "#,##0.0"],
            [_("Phone: abandoned before an answer"), _num(access["abandoned"]), "#,##0.0"],
            [_("Phone: abandonment rate"), _num(access["abandonment_rate"]), "0.0%"],
            [_("Phone: average speed of answer (s)"), _num(access["average_speed_of_answer_seconds"]), "#,##0.0"],
            [_("Phone: service level (answered within 60 s of offered)"), _num(access["service_level_60"]), "0.0%"],
        ]
    else:
        rows.append([_("Phone: accessibility"), _("no source reports answered/abandoned calls"), "@"])
    summary.append([])
    summary.append([_("Measure"), _("Value")])
    for label, value, fmt in rows:
        summary.append([label, value])
        summary.cell(row=summary.max_row, column=2).number_format = fmt
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 18

    def sheet(name: str, header: list[str], data: list[list[Any]], formats: dict[int, str]) -> Any:
        return write_sheet(wb, name, header, data, formats)

    channels = sheet(
        _("Channels"),
        [_("Channel"), _("Cases")],
        [[c["name"], _num(c["cases"])] for c in doc["channels"]],
        {2: "#,##0.00"},
    )
    if doc["channels"]:
        chart = BarChart()
        chart.title = _("Cases by channel")
        chart.add_data(
            Reference(channels, min_col=2, min_row=1, max_row=len(doc["channels"]) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(channels, min_col=1, min_row=2, max_row=len(doc["channels"]) + 1))
        channels.add_chart(chart, "D2")
    trend = sheet(
        "Trend",
        [_("Month"), _("Cases"), _("Calls offered"), _("Abandonment rate"), _("Service level 60 s")],
        [
            [
                t["month"],
                _num(t["cases"]),
                _num(t.get("offered_calls")),
                _num(t.get("abandonment_rate")),
                _num(t.get("service_level_60")),
            ]
            for t in doc["trend"]
        ],
        {2: "#,##0.00", 3: "#,##0.0", 4: "0.0%", 5: "0.0%"},
    )
    line = LineChart()
    line.title = _("Cases, 13 months")
    line.add_data(Reference(trend, min_col=2, min_row=1, max_row=len(doc["trend"]) + 1), titles_from_data=True)
    line.set_categories(Reference(trend, min_col=1, min_row=2, max_row=len(doc["trend"]) + 1))
    trend.add_chart(line, "D2")
    if overview:
        goals_sheet(write=sheet, doc=doc.get("goals"))
        sheet(
            _("Administrations"),
            [
                _("Code"),
                _("Administration"),
                _("Cases"),
                _("Share the month (%)"),
                _("Share rolling 12 months (%)"),
                _("Share in the key (%)"),
                _("Charged (kr)"),
            ],
            [
                [
                    a["code"],
                    a["name"],
                    _num(a["cases"]),
                    _num(a["share_month"]),
                    _num(a["share_rolling"]),
                    _num(a["share_key"]),
                    _num(a["charged"]),
                ]
                for a in doc["administrations"]
            ],
            {3: "#,##0.00", 4: "0.00", 5: "0.00", 6: "0.00", 7: '#,##0.00 "kr"'},
        )
    else:
        sheet(
            _("Groupings"),
            [_("Code"), _("Grouping"), _("Whole cases"), _("Part that counts"), _("Counted cases")],
            [
                [g["code"], g["name"], _num(g.get("whole")), _num(g.get("fraction")), _num(g["cases"])]
                for g in doc["groupings"]
            ],
            {3: "#,##0", 4: "0.00%", 5: "#,##0.00"},
        )
        why_sheet(wb, doc.get("why"))
        benefit_sheet(wb, doc.get("benefit"), write=write_sheet)
    year, month = (int(part) for part in doc["month"].split("-"))
    return workbook_bytes(wb, stamp=datetime(year, month, 1))  # the same figures, the same bytes


def why_sheet(wb: Any, why: dict[str, Any] | None) -> None:
    """The department head's "Varför betalar vi detta?": the key in force, the amounts, and the
    kronor each grouping carries (adding up to the charge, full precision of the fraction)."""
    if not why:
        return
    key = why["key"]
    ws = write_sheet(
        wb,
        _("Why we pay"),
        [
            _("Code"),
            _("Grouping"),
            _("Cases in the key's period"),
            _("Part that counts"),
            _("This month (kr)"),
            _("This year (kr)"),
        ],
        [
            [
                g["code"],
                g["name"],
                _num(g["cases"]),
                _num(g["fraction"]),
                _num(g["kronor_month"]),
                _num(g["kronor_year"]),
            ]
            for g in why["groupings"]
        ],
        {3: "#,##0", 4: "0.0000000000", 5: '#,##0.00 "kr"', 6: '#,##0.00 "kr"'},
    )
    ws.append([])
    ws.append([_("Total"), "", "", "", _num(why["month_amount"]), _num(why["year_amount"])])
    ws.append([_("Key"), safe_cell(f"#{key['id']} {key['name']}")])
    ws.append([_("Period"), f"{key['window_from']} – {key['window_to']}"])
    ws.append([_("Basis"), safe_cell(key["basis"])])
    ws.append([_("Approved"), safe_cell(f"{key['approved_at'] or ''} {key['approved_by']}")])


def _num(value: Any) -> Any:
    return None if value is None else Decimal(value)


def publication_files(figures: Mapping[str, Any]) -> list[tuple[str | None, str, bytes]]:
    """Every chart and workbook of a publication, from its figures alone: (administration code
    or None, file name, bytes). The same figures always give the same bytes, so a stored file
    can be checked by making it again from the stored figures. Always in the site's language
    (LANGUAGE_CODE), whoever asked for the publication."""
    with translation.override(settings.LANGUAGE_CODE):
        return _publication_files(figures)


def _publication_files(figures: Mapping[str, Any]) -> list[tuple[str | None, str, bytes]]:
    files: list[tuple[str | None, str, bytes]] = []
    ov = figures["overview"]
    files.append((None, "kommun.xlsx", workbook(ov, overview=True)))
    files.append((None, "trend.svg", chart_trend(ov["trend"], _("Cases per month, the whole municipality"))))
    files.append((None, "kanaler.svg", chart_channels(ov["channels"], _("Cases by channel"))))
    files.append((None, "andelar.svg", chart_shares(ov["administrations"])))
    for code in sorted(figures["administrations"]):
        doc = {**figures["administrations"][code], "month": ov["month"]}
        files.append((code, f"{code}.xlsx", workbook(doc, overview=False)))
        files.append(
            (
                code,
                f"{code}-trend.svg",
                chart_trend(doc["trend"], (_("Cases per month, %(name)s") % {"name": doc["name"]})),
            )
        )
        files.append((code, f"{code}-kanaler.svg", chart_channels(doc["channels"], _("Cases by channel"))))
    return files
