"""Fill locale/sv/LC_MESSAGES/django.po from the table below (run after makemessages).

Kept in the repository so a new string gets its Swedish text in review; the compiled
.mo file is committed too, so no gettext tools are needed to run the service.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SV = {
    "Allocation": "Fördelning",
    "measured": "uppmätt",
    "driver": "drivare",
    "fixed percentages": "fasta procentsatser",
    "cases": "ärenden",
    "handle time": "hanteringstid",
    "channel-weighted cases": "kanalviktade ärenden",
    "draft": "utkast",
    "proposed": "föreslagen",
    "approved": "godkänd",
    "rejected": "avvisad",
    "superseded": "ersatt",
    "name": "namn",
    "kind": "typ",
    "basis": "grund",
    "window from": "period från",
    "window to": "period till",
    "valid from": "giltig från",
    "grouping map": "fördelning av grupperingar",
    "sources": "källor",
    "channel weights": "kanalvikter",
    "central load": "central belastning",
    "warnings": "varningar",
    "status": "status",
    "comment": "kommentar",
    "created by": "skapad av",
    "created at": "skapad",
    "decided by": "beslutad av",
    "decided at": "beslutad",
    "allocation key": "fördelningsnyckel",
    "allocation keys": "fördelningsnycklar",
    "An approved key cannot be changed. Create a new key instead.": (
        "En godkänd nyckel kan inte ändras. Skapa en ny nyckel i stället."
    ),
    "administration": "förvaltning",
    "load": "belastning",
    "share": "andel",
    "key share": "nyckelandel",
    "key shares": "nyckelandelar",
    "key load line": "belastningsrad",
    "key load lines": "belastningsrader",
    "öre": "öre",
    "whole kronor": "hela kronor",
    "budget year": "budgetår",
    "gross cost": "bruttokostnad",
    "key": "nyckel",
    "rounding unit": "avrundningsenhet",
    "cost pool": "kostnadspool",
    "cost pools": "kostnadspooler",
    "label": "benämning",
    "amount": "belopp",
    "central funding line": "central finansiering",
    "central funding lines": "centrala finansieringar",
    "pool": "pool",
    "net amount": "nettobelopp",
    "inputs": "indata",
    "supersedes": "ersätter",
    "allocation run": "fördelningskörning",
    "allocation runs": "fördelningskörningar",
    "month": "månad",
    "run amount": "belopp i körning",
    "run amounts": "belopp i körningar",
    "Contact centre co-financing": "Kontaktcenter – medfinansiering",
    "Administration": "Administration",
    "Cases and organisation": "Ärenden och organisation",
    "code": "kod",
    "cost centre": "kostnadsställe",
    "valid to": "giltig till",
    "department heads": "förvaltningschefer",
    "administrations": "förvaltningar",
    "area": "område",
    "grouping": "ärendegruppering",
    "groupings": "ärendegrupperingar",
    "grouping map version": "version av grupperingsfördelning",
    "grouping map versions": "versioner av grupperingsfördelning",
    "version": "version",
    "fraction": "andel",
    "central": "central",
    "grouping map entry": "rad i grupperingsfördelning",
    "grouping map entries": "rader i grupperingsfördelning",
    "weight": "vikt",
    "channel": "kanal",
    "channels": "kanaler",
    "reference statistics": "referensstatistik",
    "Another organisation's statistics: never part of this municipality's own volumes.": (
        "En annan organisations statistik: räknas aldrig in i kommunens egna volymer."
    ),
    "delivers every month": "levererar varje månad",
    "column renames": "kolumnnamn i exporten",
    "date format": "datumformat",
    "strftime format, e.g. %d/%m/%Y %H:%M": "strftime-format, t.ex. %d/%m/%Y %H:%M",
    "data source": "datakälla",
    "data sources": "datakällor",
    "source": "källa",
    "case id": "ärende-id",
    "opened at": "öppnad",
    "handle seconds": "hanteringstid (s)",
    "wait seconds": "väntetid (s)",
    "resolved at first contact": "löst vid första kontakt",
    "forwarded to": "vidarebefordrad till",
    "import batch": "importbatch",
    "case": "ärende",
    "cases with handle time": "ärenden med hanteringstid",
    "cases with wait time": "ärenden med väntetid",
    "answered within 60 s": "besvarade inom 60 s",
    "cases with resolution flag": "ärenden med uppgift om lösning",
    "forwarded": "vidarebefordrade",
    "monthly aggregate": "månadssammanställning",
    "monthly aggregates": "månadssammanställningar",
    "at": "tidpunkt",
    "user": "användare",
    "action": "händelse",
    "object type": "objekttyp",
    "object id": "objekt-id",
    "before": "före",
    "after": "efter",
    "audit entry": "loggpost",
    "audit entries": "ändringslogg",
    "Swedish": "Svenska",
    "English": "Engelska",
    "stuck (no sign of life for 10 min) – re-run it": "fastnat (inget livstecken på 10 min) – kör om",
    "error report": "felrapport",
    "Re-run the selected failed or stuck batches": "Kör om markerade misslyckade eller fastnade batcher",
    "Batch #%(id)s queued again.": "Batch #%(id)s är köad igen.",
    "Upload case log": "Ladda upp ärendelogg",
    "Imports": "Importer",
    "File (CSV or XLSX)": "Fil (CSV eller XLSX)",
    "Source": "Källa",
    "Format": "Format",
    "Month the file covers (YYYY-MM)": "Månad som filen avser (ÅÅÅÅ-MM)",
    "Optional. Rows outside this month are then errors.": "Valfritt. Rader utanför månaden blir då fel.",
    "Load the valid rows and set the erroneous ones aside": "Läs in de giltiga raderna och lägg felaktiga åt sidan",
    "Write the month as YYYY-MM, e.g. 2026-03.": "Skriv månaden som ÅÅÅÅ-MM, t.ex. 2026-03.",
    "case log": "ärendelogg",
    "aggregated statistics": "sammanställd statistik",
    "waiting": "väntar",
    "processing": "bearbetas",
    "loaded": "inläst",
    "replaced by a later upload": "ersatt av senare uppladdning",
    "failed": "misslyckades",
    "format": "format",
    "file": "fil",
    "file name": "filnamn",
    "size (bytes)": "storlek (byte)",
    "SHA-256": "SHA-256",
    "declared month": "angiven månad",
    "load the valid rows and set the rest aside": "läs in giltiga rader och lägg resten åt sidan",
    "progress (%)": "förlopp (%)",
    "rows read": "lästa rader",
    "rows loaded": "inlästa rader",
    "rows rejected": "avvisade rader",
    "months covered": "månader",
    "message": "meddelande",
    "attempts": "försök",
    "replaced by": "ersatt av",
    "uploaded by": "uppladdad av",
    "uploaded at": "uppladdad",
    "started at": "startad",
    "last sign of life": "senaste livstecken",
    "finished at": "klar",
    "import batches": "importbatcher",
    "row": "rad",
    "column": "kolumn",
    "value": "värde",
    "reason": "orsak",
    "row error": "radfel",
    "row errors": "radfel",
    "staged case": "mellanlagrat ärende",
    "staged cases": "mellanlagrade ärenden",
    "Home": "Hem",
    "Batch #%(id)s: %(name)s": "Batch #%(id)s: %(name)s",
    "Full error report:": "Hela felrapporten:",
    "Open the batch": "Öppna batchen",
    "Upload": "Ladda upp",
    "Start": "Start",
    "Language": "Språk",
    "Change": "Byt",
    "Log out": "Logga ut",
    "Welcome, %(name)s": "Välkommen, %(name)s",
    "Finance staff": "Ekonomi",
    "Upload a case log": "Ladda upp en ärendelogg",
    "Import batches": "Importbatcher",
    "Administrations, groupings, map, keys and pools": "Förvaltningar, grupperingar, fördelning, nycklar och pooler",
    "Administrations": "Förvaltningar",
    "Log in": "Logga in",
    "Wrong user name or password. Try again.": "Fel användarnamn eller lösenord. Försök igen.",
    "You are not linked to any administration yet. Ask finance staff to link your user to your administration.": (
        "Du är ännu inte kopplad till någon förvaltning. Be ekonomienheten koppla din användare till din förvaltning."
    ),
    "Compare keys": "Jämför nycklar",
    "Key #%(a)s compared with key #%(b)s": "Nyckel #%(a)s jämförd med nyckel #%(b)s",
    "Difference (pp)": "Skillnad (procentenheter)",
    "Difference (kr)": "Skillnad (kr)",
    "Groupings that drive the difference": "Grupperingar som driver skillnaden",
    "Back to the key": "Tillbaka till nyckeln",
    "Key #%(id)s: %(name)s": "Nyckel #%(id)s: %(name)s",
    "Shares": "Andelar",
    "Download as Excel": "Ladda ner som Excel",
    "Decision": "Beslut",
    "Propose to the steering group": "Föreslå för styrgruppen",
    "Approve": "Godkänn",
    "Reject": "Avvisa",
    "Compare with another key": "Jämför med en annan nyckel",
    "Amount to split (kr)": "Belopp att fördela (kr)",
    "Compare": "Jämför",
    "Largest groupings in the key": "Största grupperingarna i nyckeln",
    "Allocation keys": "Fördelningsnycklar",
    "Window": "Mätperiod",
    "No keys yet. Finance staff compute a measured key with compute_key or the API.": (
        "Inga nycklar ännu. Ekonomienheten beräknar en uppmätt nyckel med compute_key eller API:t."
    ),
    "Allocation keys: review, compare and approve": "Fördelningsnycklar: granska, jämför och godkänn",
    "review": "granskning",
    "Open": "Öppna",
    "page": "sida",
    "Republish the selected months (new versions)": "Publicera om markerade månader (nya versioner)",
    "Republishing queued.": "Ompublicering köad.",
    "figures": "siffror",
    "published by": "publicerad av",
    "published at": "publicerad",
    "publication": "publicering",
    "publications": "publiceringar",
    "A publication is never changed; publish a new version.": (
        "En publicering ändras aldrig; publicera en ny version."
    ),
    "publication file": "publicerad fil",
    "publication files": "publicerade filer",
    "working day of the month": "arbetsdag i månaden",
    "1 = the first weekday of the month": "1 = månadens första vardag",
    "enabled": "aktiv",
    "publication schedule": "publiceringsschema",
    "Monthly statistics": "Månadsstatistik",
    "The municipality, %(m)s": "Hela kommunen, %(m)s",
    "All published months": "Alla publicerade månader",
    "Measure": "Mått",
    "Cases": "Ärenden",
    "Resolved at first contact": "Löst vid första kontakt",
    "Forwarded": "Vidarebefordrade",
    "Average handle time (s)": "Genomsnittlig hanteringstid (s)",
    "Phone: average wait (s)": "Telefon: genomsnittlig väntetid (s)",
    "Phone: answered within 60 s": "Telefon: besvarade inom 60 s",
    "revised": "reviderad",
    "Share of co-financed cases this month (%%)": "Andel av samfinansierade ärenden denna månad (%%)",
    "Rolling 12 months (%%)": "Rullande 12 månader (%%)",
    "In the approved key (%%)": "I godkänd nyckel (%%)",
    "Charged this month (kr)": "Debiterat denna månad (kr)",
    "Municipality": "Kommunen",
    "Trend, 13 months": "Utveckling, 13 månader",
    "Cases per month": "Ärenden per månad",
    "Channels": "Kanaler",
    "Cases per channel": "Ärenden per kanal",
    "Groupings": "Grupperingar",
    "No cases in this administration's groupings this month.": (
        "Inga ärenden i förvaltningens grupperingar denna månad."
    ),
    "Nothing is published yet. Finance staff publish a month with publish_month, or it is published automatically after the month's logs are imported.": (  # noqa: E501
        "Inget är publicerat ännu. Ekonomienheten publicerar en månad med publish_month, "
        "eller så publiceras den automatiskt enligt publiceringsschemat."
    ),
    "Contact centre %(m)s": "Kontaktcenter %(m)s",
    "Versions:": "Versioner:",
    "Download the municipality workbook (Excel)": "Ladda ner kommunens arbetsbok (Excel)",
    "Share vs key": "Andel jämfört med nyckeln",
    "Share this month (%%)": "Andel denna månad (%%)",
    "Central groupings (not co-financed)": "Centrala grupperingar (ej samfinansierade)",
    "Key": "Nyckel",
    "No approved key is in force for this month.": "Ingen godkänd nyckel gäller för månaden.",
    "The token for %(user)s is %(key)s. Copy it now: it is not shown again.": (
        "Token för %(user)s är %(key)s. Kopiera den nu: den visas inte igen."
    ),
    "API token": "API-token",
    "API tokens": "API-token",
    "Ask again for the selected months (failed or stuck requests)": (
        "Begär publicering igen för valda månader (misslyckade eller fastnade)"
    ),
    "Publishing queued.": "Publicering köad.",
    "publishing": "publiceras",
    "published": "publicerad",
    "requested by": "begärd av",
    "requested at": "begärd",
    "publication request": "publiceringsbegäran",
    "publication requests": "publiceringsbegäranden",
    "Publishing in progress": "Publiceringar som pågår eller väntar",
    "This page refreshes itself every 10 seconds while a month is being published.": (
        "Sidan uppdateras av sig själv var 10:e sekund medan en månad publiceras."
    ),
    "What the token is for.": "Vad token används till.",
    "key starts with": "nyckeln börjar med",
    "created": "skapad",
    "last used": "senast använd",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fill(po_path: Path, table: dict[str, str]) -> list[str]:
    blocks = po_path.read_text(encoding="utf-8").split("\n\n")
    missing = []
    out = []
    for block in blocks:
        match = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if not match:
            out.append(block)
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"')
        if not msgid:
            out.append(block)
            continue
        translation = table.get(msgid)
        if translation is None:
            missing.append(msgid)
            out.append(block)
            continue
        block = block[: match.start(2)] + _quote(translation) + ("\n" if match.group(2).endswith("\n") else "")
        # A filled entry is no longer a guess: drop the fuzzy flag and the previous-msgid hint.
        block = block.replace("#, fuzzy\n", "").replace("#, fuzzy, ", "#, ")
        block = "\n".join(line for line in block.split("\n") if not line.startswith("#| "))
        out.append(block)
    po_path.write_text("\n\n".join(out), encoding="utf-8")
    return missing


if __name__ == "__main__":
    missing = fill(Path(__file__).parent / "sv" / "LC_MESSAGES" / "django.po", SV)
    if missing:
        print("Missing Swedish for:", *missing, sep="\n  ")
        sys.exit(1)
