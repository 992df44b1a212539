"""Monthly publications: compute the figures once, render charts and workbooks, store a snapshot.

Reads the monthly aggregates (own sources only), the grouping map in force each month, the
approved key in force, and the latest runs of the month's budget year.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.calculation import percentages
from allocation.excel import write_sheet
from allocation.models import (
    AllocationRun,
    Publication,
    PublicationFile,
    PublicationRequest,
    RunAmount,
)
from allocation.selectors import co_financing_key, map_owners
from cases import formats, statistics
from cases.models import Administration, Channel, DataSource, Grouping, MonthlyAggregate
from cases.months import months_back
from cases.selectors import grouping_map_in_force
from cases.services import audit_record
from cases.spreadsheet import safe_cell, workbook_bytes

logger = logging.getLogger(__name__)


def _text(value: Any) -> Any:
    """JSON-ready: Decimals as strings, everything else as is."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _cells(months: list[date]) -> dict[date, list[statistics.Cell]]:
    own = list(DataSource.objects.filter(is_reference=False).values_list("id", flat=True))
    rows = MonthlyAggregate.objects.filter(month__in=months, source_id__in=own).values_list(
        "month",
        "grouping__code",
        "channel__code",
        "cases",
        "handle_seconds",
        "handle_known",
        "wait_seconds",
        "wait_known",
        "answered_within_60",
        "resolved_first",
        "resolved_known",
        "forwarded",
        "abandoned",
        "outcome_reported",
    )
    out: dict[date, list[statistics.Cell]] = defaultdict(list)
    for r in rows:
        out[r[0]].append(statistics.Cell(*r))
    return out


def _owners_for(month: date, cache: dict[int, statistics.Owners]) -> statistics.Owners:
    version = grouping_map_in_force(on=month)
    if version is None:
        return {}
    if version.pk not in cache:
        cache[version.pk] = {
            g: [(o.administration, o.fraction) for o in owners] for g, owners in map_owners(version).items()
        }
    return cache[version.pk]


def month_figures(month: date) -> dict[str, Any]:
    """Every figure of the month's pages, for the municipality and each administration."""
    month = month.replace(day=1)
    trend_months = months_back(month, 13)
    cells = _cells(trend_months)
    owners_cache: dict[int, statistics.Owners] = {}
    owners = _owners_for(month, owners_cache)
    # Administrations that exist during the month: one ended before it is not listed.
    month_end = months_back(month, 1)[0].replace(day=28) + timedelta(days=4)
    admins = list(
        Administration.objects.filter(valid_from__lt=month_end.replace(day=1))
        .exclude(valid_to__lt=month)
        .order_by("code")
        .values_list("code", "name", "cost_centre")
    )
    names = dict(Grouping.objects.values_list("code", "name"))
    now = cells.get(month, [])

    by_admin_month, central, unmapped = statistics.cases_by_administration(now, owners)
    rolling: dict[str, Decimal] = defaultdict(Decimal)
    for m in trend_months[1:]:
        part, _c, _u = statistics.cases_by_administration(cells.get(m, []), _owners_for(m, owners_cache))
        for code, n in part.items():
            rolling[code] += n
    codes = [a[0] for a in admins]
    share_month = percentages({c: by_admin_month.get(c, Decimal(0)) for c in codes}) if by_admin_month else {}
    share_rolling = percentages({c: rolling.get(c, Decimal(0)) for c in codes}) if rolling else {}
    key = co_financing_key(year=month.year)
    key_loads = dict(key.shares.values_list("administration__code", "load")) if key else {}
    share_key = percentages(key_loads) if key_loads and any(key_loads.values()) else {}
    charged = _charged(month)
    weights = statistics.admin_weights(owners)

    def admin_doc(code: str, name: str, cost_centre: str) -> dict[str, Any]:
        weight = weights.get(code, {})
        groupings = statistics.cases_by(now, "grouping", weight)
        trend = []
        for m in trend_months:
            w = statistics.admin_weights(_owners_for(m, owners_cache)).get(code, {})
            month_access = statistics.accessibility(cells.get(m, []), w)
            trend.append(
                {
                    "month": f"{m:%Y-%m}",
                    "cases": sum(statistics.cases_by(cells.get(m, []), "month", w).values(), Decimal(0))
                    if cells.get(m)
                    else None,
                    "offered_calls": month_access["offered"] if month_access else None,
                    "abandonment_rate": month_access["abandonment_rate"] if month_access else None,
                    "service_level_60": month_access["service_level_60"] if month_access else None,
                }
            )
        return {
            "code": code,
            "name": name,
            "cost_centre": cost_centre,
            "kpis": statistics.kpis(now, weight),
            "accessibility": statistics.accessibility(now, weight),
            "channels": _channels(statistics.cases_by(now, "channel", weight)),
            "groupings": [
                {"code": g, "name": names.get(g, g), "cases": n}
                for g, n in sorted(groupings.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "trend": trend,
            "share_month": share_month.get(code),
            "share_rolling": share_rolling.get(code),
            "share_key": share_key.get(code),
            "drift_pp": (share_rolling[code] - share_key[code])
            if code in share_rolling and code in share_key
            else None,
            "charged": charged.get(code),
        }

    overview = {
        "month": f"{month:%Y-%m}",
        "kpis": statistics.kpis(now),
        "accessibility": statistics.accessibility(now),
        "channels": _channels(statistics.cases_by(now, "channel")),
        "central_cases": central,
        "unmapped_cases": unmapped,
        "trend": [_overview_trend(m, cells.get(m, [])) for m in trend_months],
        "key": {"id": key.pk, "name": key.name} if key else None,
        "administrations": [
            {
                "code": code,
                "name": name,
                "cases": by_admin_month.get(code, Decimal(0)),
                "share_month": share_month.get(code),
                "share_rolling": share_rolling.get(code),
                "share_key": share_key.get(code),
                "charged": charged.get(code),
            }
            for code, name, _cc in admins
        ],
        "charged_total": sum(charged.values(), Decimal(0)) if charged else None,
    }
    return _text({"overview": overview, "administrations": {a[0]: admin_doc(*a) for a in admins}})


def _overview_trend(month: date, cells: list[statistics.Cell]) -> dict[str, Any]:
    access = statistics.accessibility(cells)
    return {
        "month": f"{month:%Y-%m}",
        "cases": sum((c.cases for c in cells), 0) if cells else None,
        "offered_calls": access["offered"] if access else None,
        "abandonment_rate": access["abandonment_rate"] if access else None,
        "service_level_60": access["service_level_60"] if access else None,
    }


def _channels(counts: dict[str, Decimal]) -> list[dict[str, Any]]:
    names = dict(Channel.objects.values_list("code", "name"))  # the channel's own name, kept by finance staff
    return [
        {"channel": ch, "name": names.get(ch, ch), "cases": n}
        for ch, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _charged(month: date) -> dict[str, Decimal]:
    """This month's charge per administration: the newest charging run of each pool of the
    budget year (simulations are never charged)."""
    # order_by() clears the model's default ordering, which would otherwise split the GROUP BY.
    latest = (
        AllocationRun.objects.filter(pool__year=month.year, is_charging=True)
        .order_by()
        .values("pool_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    out: dict[str, Decimal] = defaultdict(Decimal)
    for code, amount in RunAmount.objects.filter(run_id__in=latest, month=month.month).values_list(
        "administration__code", "amount"
    ):
        out[code] += amount
    return dict(out)


# --- Charts (SVG) and workbooks ------------------------------------------------------------


def _svg(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out.getvalue()


def _plt() -> Any:
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
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    # A month without data is a gap in the line, not a fall to zero.
    ax.plot(
        [t["month"] for t in trend],
        [float(t["cases"]) if t["cases"] is not None else float("nan") for t in trend],
        marker="o",
        color="#0072B2",
    )
    ax.set_title(title)
    ax.set_ylabel(_("Cases"))
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.grid(alpha=0.3)
    return _svg(fig)


def chart_channels(channels: list[dict[str, Any]], title: str) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.barh([c["name"] for c in channels][::-1], [float(c["cases"]) for c in channels][::-1], color="#4a90b8")
    ax.set_title(title)
    ax.set_xlabel(_("Cases"))
    return _svg(fig)


def chart_shares(rows: list[dict[str, Any]]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    codes = [r["code"] for r in rows]
    x = range(len(codes))
    ax.bar([i - 0.27 for i in x], [float(r["share_month"] or 0) for r in rows], width=0.27, label=_("The month"))
    ax.bar(list(x), [float(r["share_rolling"] or 0) for r in rows], width=0.27, label=_("Rolling 12 months"))
    ax.bar([i + 0.27 for i in x], [float(r["share_key"] or 0) for r in rows], width=0.27, label=_("Approved key"))
    ax.set_xticks(list(x), codes, rotation=45, fontsize=8)
    ax.set_ylabel(_("Share (%)"))
    ax.legend(fontsize=8)
    ax.set_title(_("Share of co-financed cases compared with the key"))
    return _svg(fig)


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
            [_("Code"), _("Grouping"), _("Cases")],
            [[g["code"], g["name"], _num(g["cases"])] for g in doc["groupings"]],
            {3: "#,##0.00"},
        )
    year, month = (int(part) for part in doc["month"].split("-"))
    return workbook_bytes(wb, stamp=datetime(year, month, 1))  # the same figures, the same bytes


def _num(value: Any) -> Any:
    return None if value is None else Decimal(value)


# --- Publishing ----------------------------------------------------------------------------


def publication_files(figures: dict[str, Any]) -> list[tuple[str | None, str, bytes]]:
    """Every chart and workbook of a publication, from its figures alone: (administration code
    or None, file name, bytes). The same figures always give the same bytes, so a stored file
    can be checked by making it again from the stored figures. Always in the site's language
    (LANGUAGE_CODE), whoever asked for the publication."""
    with translation.override(settings.LANGUAGE_CODE):
        return _publication_files(figures)


def _publication_files(figures: dict[str, Any]) -> list[tuple[str | None, str, bytes]]:
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


def _notify_heads(publication: Publication) -> None:
    """Each department head is told when their administration's month is published: a link and
    three headline figures (after commit, once per publication and person)."""
    from cases.notifications import link, notify

    with translation.override(settings.LANGUAGE_CODE):  # mail goes out in the site's language
        month = formats.month(publication.month)
        revised = " " + _("(revised)") if publication.version > 1 else ""
        for admin in Administration.objects.prefetch_related("heads"):
            doc = publication.figures["administrations"].get(admin.code)
            if doc is None:
                continue
            body = (
                _("The monthly statistics for %(code)s %(name)s, %(month)s%(revised)s, are published:")
                % {"code": admin.code, "name": admin.name, "month": month, "revised": revised}
                + f"\n{link(f'/statistik/{publication.month:%Y-%m}/{admin.code}/')}\n\n"
                + _("Cases: %(cases)s") % {"cases": formats.cases(doc["kpis"]["cases"])}
                + "\n"
                + _("Share of the co-financed cases: %(share)s") % {"share": formats.share(doc.get("share_month"))}
                + "\n"
                + _("Charged this month: %(amount)s") % {"amount": formats.kronor(doc.get("charged"))}
                + "\n"
            )
            notify(
                kind="month_published",
                event=f"publication:{publication.pk}:{admin.code}",
                recipients=list(admin.heads.all()),
                subject=_("Monthly statistics %(month)s%(revised)s: %(code)s")
                % {"month": month, "revised": revised, "code": admin.code},
                body=body,
            )


def publication_create(*, month: date, user: Any = None, request: PublicationRequest | None = None) -> Publication:
    """Publish the month as a new version (a revision if one exists). Never edits an older one.

    With a request, the publication and the request's "done" are committed together, and a
    request already done returns its publication instead of publishing again.
    """
    month = month.replace(day=1)
    figures = month_figures(month)
    files = publication_files(figures)
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    for attempt in range(3):
        written: list[Any] = []  # files stored by this attempt, removed again if it rolls back
        try:
            with transaction.atomic():
                if request is not None:
                    locked = PublicationRequest.objects.select_for_update().get(pk=request.pk)
                    if locked.status == PublicationRequest.Status.DONE:
                        assert locked.publication is not None
                        return locked.publication  # another delivery of the same request won
                last = Publication.objects.filter(month=month).aggregate(v=Max("version"))["v"] or 0
                publication = Publication.objects.create(
                    month=month, version=last + 1, figures=figures, created_by=_user(user)
                )
                for code, name, data in files:
                    f = PublicationFile(
                        publication=publication,
                        administration_id=admin_ids.get(code) if code else None,
                        name=name,
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                    f.file.save(f"{month:%Y-%m}-v{publication.version}-{name}", ContentFile(data), save=False)
                    written.append(f.file)
                    f.save()
                audit_record(
                    user=user,
                    action="publication.create",
                    obj_type="publication",
                    obj_id=publication.pk,
                    after={"month": f"{month:%Y-%m}", "version": publication.version},
                )
                if request is not None:
                    PublicationRequest.objects.filter(pk=request.pk).update(
                        status=PublicationRequest.Status.DONE,
                        publication=publication,
                        finished_at=timezone.now(),
                        message="",
                    )
                _notify_heads(publication)
                return publication
        except IntegrityError:
            _remove(written)
            if attempt == 2:
                raise  # two publishers raced for the same version three times: give up loudly
        except BaseException:
            _remove(written)
            raise
    raise AssertionError("unreachable")


def _remove(files: list[Any]) -> None:
    """Delete the stored files of a rolled-back attempt (file storage is not transactional)."""
    for f in files:
        try:
            f.storage.delete(f.name)
        except OSError:  # the rollback matters more than a stray file
            logger.warning("could not remove %s after a rolled-back publication", f.name)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# --- Publication requests: queued, swept, published exactly once ----------------------------

PUBLISH_BROKER_DOWN_MESSAGE = gettext_lazy(
    "Waiting: the processing queue cannot be reached just now. The publication starts by itself when the queue is back."
)


def publication_request_create(
    *, month: date, user: Any = None, reason: str = "", send: bool = True
) -> PublicationRequest:
    """Ask for the month to be published. A request for the month that has not started yet is
    reused (it will read the newest data anyway); the task is sent once the row is committed."""
    month = month.replace(day=1)
    with transaction.atomic():
        waiting = (
            PublicationRequest.objects.select_for_update()
            .filter(month=month, status=PublicationRequest.Status.PENDING)
            .order_by("pk")
            .first()
        )
        if waiting is not None:
            return waiting
        request = PublicationRequest.objects.create(month=month, requested_by=_user(user), reason=reason[:200])
        if send:
            transaction.on_commit(lambda: _send_publication(request.pk))
    return request


def _send_publication(request_id: int) -> None:
    from allocation.tasks import publish_request
    from config.celery import send_or_wait

    if not send_or_wait(publish_request, request_id):
        PublicationRequest.objects.filter(pk=request_id, status=PublicationRequest.Status.PENDING).update(
            message=str(PUBLISH_BROKER_DOWN_MESSAGE)
        )


def publication_request_process(*, request_id: int) -> Publication | None:
    """Publish a request's month (the worker's task). Safe to deliver any number of times."""
    with transaction.atomic():
        request = (
            PublicationRequest.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=request_id)
        )
        if request.status == PublicationRequest.Status.DONE:
            return request.publication
        if request.status == PublicationRequest.Status.FAILED:
            return None  # a finance officer asks again after reading the message
        request.status = PublicationRequest.Status.RUNNING
        request.started_at = timezone.now()
        request.attempts += 1
        request.message = ""
        request.save(update_fields=["status", "started_at", "attempts", "message"])
    try:
        return publication_create(month=request.month, user=request.requested_by, request=request)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries; if it never gets through, the sweeper finds it running
    except Exception as exc:
        PublicationRequest.objects.filter(pk=request_id).exclude(status=PublicationRequest.Status.DONE).update(
            status=PublicationRequest.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Publiceringen misslyckades: {exc}",
        )
        from cases.notifications import notify, people_in
        from cases.roles import FINANCE

        notify(
            kind="failure",
            event=f"publication-request:{request_id}:failed:{request.attempts}",
            recipients=people_in(FINANCE),
            subject=f"Publiceringen av {request.month:%Y-%m} misslyckades",
            body=f"Publiceringen av {request.month:%Y-%m} misslyckades: {exc}\n\nBe om den igen under Publiceringar.",
        )
        raise


def publication_requests_sweep(*, stale_seconds: int = 600) -> list[int]:
    """Resend requests whose work was lost: waiting too long (a lost message, or the broker was
    down) or publishing without finishing (a killed worker). Resending one that is in fact still
    running costs a second computation but never a second publication."""
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    stale = list(
        PublicationRequest.objects.filter(
            Q(status=PublicationRequest.Status.PENDING, requested_at__lt=cutoff)
            | Q(status=PublicationRequest.Status.RUNNING, started_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for request_id in stale:
        _send_publication(request_id)
    if stale:
        logger.warning("resent publication requests left behind: %s", stale)
    return stale
