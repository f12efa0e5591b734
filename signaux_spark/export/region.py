"""The files of one region for one month: the list as a workbook, CSV and JSON, the HTML summary
and the manifest, all in `exports/<YYYY-MM>/<region code>/`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from signaux_spark.export import html, lists
from signaux_spark.export.files import csv_bytes, json_bytes, write_atomic, xlsx_bytes
from signaux_spark.export.labels import number, topic_label
from signaux_spark.export.manifest import write_manifest
from signaux_spark.scoring.score import FORT, LEVELS, MODERE, NO_ALERT, PROCEEDING

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass
class ExportContext:
    """What every file of a month shares."""

    period: dt.date
    model_name: str
    model_version: str
    fort: float
    modere: float
    topics: list[str]
    disclosure: lists.Disclosure
    departements: dict[str, str]  # code -> name
    sections: dict[str, str]  # NAF section -> label
    regions: dict[str, str]  # code -> name
    file_prefix: str = "signaux_faibles"
    previous_scored: bool = True
    columns: list = field(default_factory=list)

    def __post_init__(self):
        self.columns = lists.table_columns(self.topics, self.disclosure)

    @property
    def month(self) -> str:
        return f"{self.period:%Y-%m}"

    @property
    def month_label(self) -> str:
        return f"{MONTHS[self.period.month - 1]} {self.period.year}"

    @property
    def stamp(self) -> dt.datetime:
        return dt.datetime(self.period.year, self.period.month, 1)

    def model_html(self) -> str:
        """The model sentence of the HTML pages, escaped: the name and version come from the registry."""
        return f"Modèle {html.escape(str(self.model_name))} version {html.escape(str(self.model_version))}"

    def thresholds(self) -> dict[str, float]:
        return {FORT: self.fort, MODERE: self.modere}

    def common(self) -> dict:
        return {
            "period": self.month,
            "model": {"name": self.model_name, "version": self.model_version},
            "thresholds": self.thresholds(),
            "confidential_included": self.disclosure.include_confidential,
        }


def level_counts(stats: pd.DataFrame) -> dict[str, int]:
    """Firms per alert level (every level present, 0 when none) from `stats` rows (alert_level, n)."""
    by_level = stats.groupby("alert_level")["n"].sum() if len(stats) else pd.Series(dtype=int)
    return {level: int(by_level.get(level, 0)) for level in LEVELS}


def list_counts(rows: pd.DataFrame) -> dict[str, int]:
    return {
        "listed": len(rows),
        "new_alerts": int((rows["evolution"] == lists.NEW).sum()),
        "exits": int((rows["evolution"] == lists.EXIT).sum()),
        "first_alerts": int((rows["premiere_alerte"] == "oui").sum()),
    }


def notice_rows(ctx: ExportContext, title: str, counts: dict[str, int]) -> list[list]:
    """The explanation sheet: what the list is, the thresholds, then one line per column."""
    rows = [
        [title],
        [],
        ["Liste", ctx.month, "données connues en " + ctx.month_label],
        ["Modèle", f"{ctx.model_name} version {ctx.model_version}"],
        [
            "Seuil « risque fort »",
            ctx.fort,
            "probabilité calibrée à partir de laquelle l'entreprise est en risque fort",
        ],
        [
            "Seuil « risque modéré »",
            ctx.modere,
            "probabilité calibrée à partir de laquelle l'entreprise est en risque modéré",
        ],
        ["Entreprises en risque fort", counts[FORT]],
        ["Entreprises en risque modéré", counts[MODERE]],
        ["Entreprises en procédure collective", counts[PROCEEDING]],
        ["Données confidentielles DGFiP", "incluses" if ctx.disclosure.include_confidential else "non incluses"],
        [],
        [
            "Lecture",
            "La probabilité est celle qu'une procédure collective (sauvegarde, redressement ou "
            "liquidation judiciaire) s'ouvre dans les 18 mois. Les contributions par thème sont en "
            "log-odds : elles s'additionnent, avec la valeur de base du modèle, au logit de la "
            "probabilité du modèle avant calibration ; une contribution positive augmente le risque.",
        ],
        [],
        ["Colonne", "Description", "Unité"],
    ]
    rows += [[c.header, c.description, c.unit] for c in ctx.columns]
    return rows


def write_region(folder: Path, ctx: ExportContext, region: str, rows: pd.DataFrame, stats: pd.DataFrame) -> dict:
    """Write the region's files into `folder`; returns its manifest. `rows`: the region's
    `list_rows` (sorted); `stats`: its firm counts by departement, naf_section and alert_level."""
    name = ctx.regions.get(region, region)
    table = lists.region_table(rows, ctx.topics, ctx.departements, ctx.disclosure)
    counts = level_counts(stats)
    listed = list_counts(rows)
    base = f"{ctx.file_prefix}_{region}_{ctx.month}"
    title = f"Signaux faibles – {name} ({region}) – liste de {ctx.month_label}"
    values = list(table.itertuples(index=False, name=None))
    write_atomic(
        folder / f"{base}.xlsx",
        xlsx_bytes(
            [("Liste", ctx.columns, values), ("Notice", [], notice_rows(ctx, title, counts))],
            ctx.stamp,
            widths={"Notice": [34, 90, 12]},
        ),
    )
    write_atomic(folder / f"{base}.csv", csv_bytes(table, ctx.columns))
    document = {
        "liste": ctx.month,
        "region": {"code": region, "libelle": name},
        "modele": {"nom": ctx.model_name, "version": ctx.model_version},
        "seuils": {"risque fort": ctx.fort, "risque modéré": ctx.modere},
        "documentation": json_documentation(ctx),
        "entreprises": lists.region_records(rows, table, ctx.topics, ctx.disclosure),
    }
    write_atomic(folder / f"{base}.json", json_bytes(document))
    write_atomic(
        folder / f"synthese_{region}_{ctx.month}.html",
        region_page(ctx, title, table, stats, counts, listed).encode("utf-8"),
    )
    return write_manifest(
        folder,
        {
            **ctx.common(),
            "region": region,
            "region_label": name,
            "counts": {**counts, "scored": counts[FORT] + counts[MODERE] + counts[NO_ALERT], **listed},
        },
    )


def json_documentation(ctx: ExportContext) -> dict:
    """Keys of an `entreprises` object: description and unit."""
    doc = {
        c.key: {"description": c.description, "unite": c.unit}
        for c in ctx.columns
        if not c.key.startswith("contribution_") and c.key != lists.FACTORS.key
    }
    doc["contributions"] = {
        "description": "Contribution de chaque thème au risque ("
        + ", ".join(f"{t} : {topic_label(t)}" for t in ctx.topics)
        + "). "
        + lists.CONTRIBUTION_DOC,
        "unite": "log-odds",
    }
    doc["facteurs"] = {
        "description": lists.FACTORS.description + " Objets : variable, libelle, theme, valeur "
        "(nombre, ou modalité d'une variable catégorielle ; null si non renseignée ou confidentielle), "
        "unite, contribution (log-odds), confidentiel (présent et vrai si la valeur est masquée).",
        "unite": "log-odds",
    }
    return doc


def levels_by(stats: pd.DataFrame, key: str, labels: dict[str, str]) -> list[tuple[str, dict[str, int]]]:
    """(label, {level: firms}) per value of `key`, most alerts first."""
    if not len(stats):
        return []
    pivot = stats.pivot_table(index=key, columns="alert_level", values="n", aggfunc="sum", fill_value=0)
    out = []
    for code, row in pivot.iterrows():
        out.append((f"{code} {labels.get(code, '')}".strip(), {level: int(row.get(level, 0)) for level in LEVELS}))
    return sorted(out, key=lambda item: (-(item[1][FORT] + item[1][MODERE]), item[0]))


def distribution_rows(items: list[tuple[str, dict[str, int]]]) -> list[list]:
    rows = []
    for label, c in items:
        scored = c[FORT] + c[MODERE] + c[NO_ALERT]
        rate = 100 * (c[FORT] + c[MODERE]) / scored if scored else None
        rows.append(
            [label, scored, c[FORT], c[MODERE], c[PROCEEDING], None if rate is None else number(rate, 1) + " %"]
        )
    return rows


def region_page(
    ctx: ExportContext,
    title: str,
    table: pd.DataFrame,
    stats: pd.DataFrame,
    counts: dict[str, int],
    listed: dict[str, int],
) -> str:
    scored = counts[FORT] + counts[MODERE] + counts[NO_ALERT]
    sectors = levels_by(stats, "naf_section", ctx.sections)
    departments = levels_by(stats, "departement", ctx.departements)
    new = table[table["evolution"] == lists.NEW]
    headers = ["niveau", "siren", "raison sociale", "département", "secteur", "probabilité (%)", "principaux facteurs"]
    new_rows = [
        [
            r.niveau_alerte,
            r.siren,
            r.raison_sociale,
            r.departement,
            r.secteur,
            number(r.probabilite, 1),
            r.principaux_facteurs,
        ]
        for r in new.itertuples()
    ]
    body = [
        f"<p>{ctx.model_html()} ; seuils : risque fort à partir de "
        f"{number(100 * ctx.fort, 1)} %, risque modéré à partir de {number(100 * ctx.modere, 1)} % de probabilité "
        "de procédure collective dans les 18 mois.</p>",
        html.cards(
            [
                ("entreprises suivies", number(scored)),
                ("risque fort", number(counts[FORT])),
                ("risque modéré", number(counts[MODERE])),
                ("nouvelles alertes", number(listed["new_alerts"])),
                ("sorties de liste", number(listed["exits"])),
                ("en procédure collective", number(counts[PROCEEDING])),
            ]
        ),
        "<h2>Alertes par secteur</h2>",
        html.stacked_bars(
            [(label, c) for label, c in sectors if c[FORT] + c[MODERE]], "Alertes par secteur (section NAF)"
        ),
        html.table(
            ["secteur", "entreprises suivies", "risque fort", "risque modéré", "en procédure", "taux d'alerte"],
            distribution_rows(sectors),
            numeric={1, 2, 3, 4},
        ),
        "<h2>Alertes par département</h2>",
        html.stacked_bars([(label, c) for label, c in departments if c[FORT] + c[MODERE]], "Alertes par département"),
        html.table(
            ["département", "entreprises suivies", "risque fort", "risque modéré", "en procédure", "taux d'alerte"],
            distribution_rows(departments),
            numeric={1, 2, 3, 4},
        ),
        f"<h2>Nouvelles alertes du mois ({len(new_rows)})</h2>",
        '<p class="note">'
        + (
            "Le mois précédent n'a pas été noté : l'évolution n'est pas calculée."
            if not ctx.previous_scored
            else "Entreprises en alerte ce mois-ci qui ne l'étaient pas le mois précédent."
        )
        + "</p>",
        html.table(headers, new_rows, numeric={5}),
        '<p class="note">La liste complète, ses colonnes et leur définition sont dans le classeur Excel (feuille '
        "« Notice ») et dans les fichiers CSV et JSON du même dossier.</p>",
    ]
    return html.page(title, body)
