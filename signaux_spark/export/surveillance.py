"""The monitoring page of a month, `national/surveillance_<YYYY-MM>.html`, rendered by the export
from the month's findings in gold/monitoring (the monitor step writes no published file): counts
by status, the findings that need a look, then every finding by family. Counts and aggregates
only; the messages are the monitor's own (technical, in English)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from signaux_spark.export import html
from signaux_spark.export.files import write_atomic
from signaux_spark.export.labels import number
from signaux_spark.monitoring.findings import CRITICAL, FAMILIES, OK, STATUSES, WARNING

STATUS_LABELS = {OK: "ok", WARNING: "avertissement", CRITICAL: "critique"}
FAMILY_LABELS = {
    "deliveries": "Livraisons des sources",
    "features": "Variables du modèle",
    "scores": "Scores du mois",
    "outcomes": "Résultats des listes passées",
}
SHOWN = 10  # findings listed in the national summary; the page has them all
HEADERS = ["statut", "contrôle", "objet", "valeur", "référence", "détail"]


def page_name(month: str) -> str:
    return f"surveillance_{month}.html"


def status_counts(findings: pd.DataFrame) -> dict[str, int]:
    return {s: int((findings["status"] == s).sum()) for s in STATUSES}


def write_surveillance(folder: Path, month: str, month_label: str, findings: pd.DataFrame) -> dict[str, int]:
    """Write the page; returns the counts by status (for the summary and the manifest)."""
    counts = status_counts(findings)
    order = {CRITICAL: 0, WARNING: 1, OK: 2}
    ranked = findings.assign(_order=findings["status"].map(order)).sort_values(
        ["_order", "family", "check", "subject"], kind="stable"
    )
    body = [
        html.cards(
            [
                ("contrôles ok", number(counts[OK])),
                ("avertissements", number(counts[WARNING])),
                ("critiques", number(counts[CRITICAL])),
            ]
        )
    ]
    if counts[CRITICAL]:
        body.append(
            "<p><strong>Des contrôles critiques ont été acceptés pour publier ce mois "
            "(monthly --accept-critical) : lire les listes avec prudence.</strong></p>"
        )
    body += ["<h2>À regarder</h2>", _table(ranked[ranked["status"] != OK])]
    for family in FAMILIES:
        rows = ranked[ranked["family"] == family]
        if len(rows):
            body += [f"<h2>{FAMILY_LABELS[family]}</h2>", _table(rows)]
    body.append('<p class="note">Seuils et conduite à tenir : docs/operations.md, section « Monitoring ».</p>')
    title = f"Signaux faibles – surveillance des données et du modèle – {month_label}"
    write_atomic(folder / page_name(month), html.page(title, body).encode("utf-8"))
    return counts


def summary_section(month: str, findings: pd.DataFrame | None, counts: dict[str, int] | None) -> str:
    """The monitoring in the national summary: counts, the first checks that are not ok, the link."""
    if findings is None or counts is None:
        return (
            '<p class="note">Surveillance des données et du modèle : non exécutée pour ce mois '
            "(étape monitor de la chaîne mensuelle).</p>"
        )
    flagged = findings[findings["status"] != OK].assign(_order=lambda t: t["status"].map({CRITICAL: 0, WARNING: 1}))
    flagged = flagged.sort_values(["_order", "family", "check", "subject"], kind="stable")
    items = "".join(
        f"<li>{escape(STATUS_LABELS.get(r.status, r.status))} – {escape(r.family)}/{escape(r.check)} "
        f"{escape(r.subject)} : {escape(r.message)}</li>"
        for r in flagged.head(SHOWN).itertuples()
    )
    if len(flagged) > SHOWN:
        items += f"<li>… et {len(flagged) - SHOWN} autre(s) sur la page de surveillance</li>"
    return (
        f"<p>Surveillance des données et du modèle : {counts[OK]} contrôle(s) ok, {counts[WARNING]} "
        f'avertissement(s), {counts[CRITICAL]} critique(s) – <a href="{page_name(month)}">page de '
        f"surveillance</a>.</p>" + (f"<ul>{items}</ul>" if items else "")
    )


def _table(rows: pd.DataFrame) -> str:
    return html.table(
        HEADERS,
        [
            [
                STATUS_LABELS.get(r.status, r.status),
                r.check,
                r.subject,
                _figure(r.value),
                _figure(r.reference),
                r.message,
            ]
            for r in rows.itertuples()
        ],
        numeric={3, 4},
    )


def _figure(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return number(float(value), None if abs(value) >= 100 else 3)
