"""The list of a month: which firms are listed, what changed since the previous month, and the
French table the regional teams read.

Listed firms (each in the region of its head office at the month, as scored):
- the alerts: level "risque fort" or "risque modéré";
- the exits (`export.include_exits`): alerted the previous month, no longer alerted;
- the firms in an active collective proceeding (`export.include_proceedings`), with their state.
Sorted by level (fort, modéré, exits, proceedings), then by decreasing probability.

Comparisons with earlier months use gold/scores, whatever model scored them:
- "première alerte" (alerted firms only): "oui" when the firm was alerted (fort or modéré) in no
  earlier month of gold/scores, "non" otherwise;
- "évolution depuis le mois précédent", against the scores of the previous month: "nouvelle alerte"
  (alerted now, not then: not alerted, in a proceeding, or not in the perimeter), "aggravation"
  (modéré -> fort), "amélioration" (fort -> modéré), "stable" (same level), "sortie de liste"
  (alerted then, not now), "entrée en procédure" / "procédure déjà en cours" for firms in a
  proceeding; "mois précédent non calculé" when that month has no scores at all;
- "variation de probabilité": the change of the calibrated probability since the previous month,
  in percentage points.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.export import labels
from signaux_spark.scoring.score import ALERTS, FORT, MODERE, NO_ALERT, PROCEEDING

NEW, WORSE, BETTER, STABLE, EXIT = "nouvelle alerte", "aggravation", "amélioration", "stable", "sortie de liste"
NEW_PROCEEDING, OLD_PROCEEDING = "entrée en procédure", "procédure déjà en cours"
NOT_COMPUTED = "mois précédent non calculé"
NOT_FOLLOWED = "hors périmètre"
CONFIDENTIAL = "valeur confidentielle"


@dataclass(frozen=True)
class Column:
    key: str  # JSON key and internal name
    header: str  # spreadsheet header
    description: str
    unit: str = ""
    kind: str = "text"  # text | int | number | percent | euros | date


COLUMNS = [
    Column("liste", "liste", "Mois de la liste (AAAA-MM) : les données connues ce mois-là."),
    Column(
        "rang_region",
        "rang dans la région",
        "Rang de l'entreprise dans la région, 1 = risque le plus élevé "
        "(entreprises notées du mois ; vide pour une entreprise en procédure).",
        "",
        "int",
    ),
    Column("siren", "siren", "Numéro SIREN de l'entreprise."),
    Column("siret_siege", "siret du siège", "Numéro SIRET du siège social."),
    Column("raison_sociale", "raison sociale", "Dénomination de l'entreprise (répertoire SIRENE)."),
    Column("departement", "département", "Code du département du siège."),
    Column("libelle_departement", "nom du département", "Nom du département du siège."),
    Column("commune", "commune", "Commune du siège."),
    Column("code_naf", "code NAF", "Activité principale de l'entreprise (NAF rév. 2)."),
    Column("secteur", "secteur", "Section NAF : code et libellé."),
    Column("forme_juridique", "forme juridique", "Catégorie juridique INSEE : code et libellé."),
    Column("date_creation", "création", "Date de création de l'entreprise.", "", "date"),
    Column("dernier_effectif", "dernier effectif", "Dernier effectif salarié connu (Urssaf).", "salariés", "int"),
    Column(
        "dette_sociale",
        "dette sociale",
        "Dette de cotisations sociales (parts ouvrière et patronale) connue le mois de la liste.",
        "€",
        "euros",
    ),
    Column(
        "probabilite",
        "probabilité de défaillance (%)",
        "Probabilité calibrée qu'une procédure collective s'ouvre dans les 18 mois.",
        "%",
        "percent",
    ),
    Column(
        "niveau_alerte",
        "niveau d'alerte",
        "risque fort, risque modéré (seuils ci-dessus), pas d'alerte (sortie de liste) ou procédure en cours.",
    ),
    Column("procedure_collective", "procédure collective", "État de la procédure collective en cours, le cas échéant."),
    Column(
        "premiere_alerte",
        "première alerte",
        "oui : l'entreprise n'était sur aucune liste des mois "
        "précédents (aucune alerte calculée auparavant) ; non sinon. Vide hors alerte.",
    ),
    Column(
        "evolution",
        "évolution depuis le mois précédent",
        "nouvelle alerte, aggravation (modéré -> fort), "
        "amélioration (fort -> modéré), stable, sortie de liste, entrée en procédure, procédure déjà en "
        "cours ; « mois précédent non calculé » si le mois précédent n'a pas été noté.",
    ),
    Column(
        "niveau_mois_precedent",
        "niveau le mois précédent",
        "Niveau d'alerte du mois précédent (« hors périmètre » si l'entreprise n'était pas notée).",
    ),
    Column(
        "variation_probabilite",
        "variation de probabilité (points)",
        "Évolution de la probabilité depuis le mois précédent, en points de pourcentage.",
        "points",
        "number",
    ),
]
CONTRIBUTION_DOC = (
    "Contribution du thème au risque, en log-odds : positive, le thème augmente le risque ; "
    "la somme des thèmes et de la valeur de base donne le logit de la probabilité du modèle "
    "avant calibration."
)
FACTORS = Column(
    "principaux_facteurs",
    "principaux facteurs",
    "Les variables qui augmentent le plus le risque, "
    "avec la valeur de l'entreprise et leur contribution en log-odds (entre parenthèses).",
)


def contribution_column(topic: str) -> Column:
    return Column(
        f"contribution_{topic}", f"contribution {labels.topic_label(topic)}", CONTRIBUTION_DOC, "log-odds", "number"
    )


def financial_column(name: str) -> Column:
    return Column(
        name,
        labels.feature_label(name),
        "Ratio financier DGFiP de la dernière liasse connue (donnée confidentielle).",
        labels.feature_unit(name),
        "number",
    )


def list_rows(
    current: DataFrame,
    previous: DataFrame,
    earlier_alerts: DataFrame,
    firms: DataFrame,
    features: DataFrame,
    *,
    period: dt.date,
    previous_scored: bool,
    include_exits: bool = True,
    include_proceedings: bool = True,
    financial_columns: tuple[str, ...] = (),
) -> DataFrame:
    """The listed firms of every region at `period`, one row each with the list's columns (keys of
    COLUMNS), `region`, the `contributions` map, the `facteurs` array and a sort key `ordre`.

    current / previous: gold/scores rows of the month and of the month before; earlier_alerts:
    `siren` of the firms alerted in any month before; firms: silver/firms; features: gold/features
    of the month (effectif, dette_sociale and the financial columns)."""
    prev = previous.select("siren", F.col("alert_level").alias("_prev_level"), F.col("probability").alias("_prev_p"))
    seen = earlier_alerts.select("siren").distinct().withColumn("_alerted_before", F.lit(True))
    values = features.select(
        "siren",
        F.col("effectif").try_cast("int").alias("dernier_effectif"),
        F.col("dette_sociale").try_cast("double").alias("dette_sociale"),
        *[F.col(c).try_cast("double").alias(c) for c in financial_columns],
    )
    registry = firms.select(
        "siren",
        "siret_siege",
        "raison_sociale",
        F.col("naf").alias("code_naf"),
        "libelle_section",
        "categorie_juridique",
        "date_creation",
        "commune",
    )
    level, before = F.col("alert_level"), F.col("_prev_level")
    alerted, was_alerted = level.isin(*ALERTS), F.coalesce(before.isin(*ALERTS), F.lit(False))
    listed = alerted
    if include_exits:
        listed = listed | (was_alerted & ~alerted & (level != PROCEEDING))
    if include_proceedings:
        listed = listed | (level == PROCEEDING)
    evolution = (
        F.when(F.lit(not previous_scored), F.lit(NOT_COMPUTED))
        .when(level == PROCEEDING, F.when(before == PROCEEDING, F.lit(OLD_PROCEEDING)).otherwise(F.lit(NEW_PROCEEDING)))
        .when(alerted & ~was_alerted, F.lit(NEW))
        .when(alerted & (level == before), F.lit(STABLE))
        .when((level == FORT) & (before == MODERE), F.lit(WORSE))
        .when((level == MODERE) & (before == FORT), F.lit(BETTER))
        .when(was_alerted, F.lit(EXIT))
        .otherwise(F.lit(STABLE))
    )
    order = F.when(level == FORT, 0).when(level == MODERE, 1).when(level == NO_ALERT, 2).otherwise(3)
    return (
        current.join(prev, "siren", "left")
        .join(seen, "siren", "left")
        .where(listed)
        .join(registry, "siren", "left")
        .join(values, "siren", "left")
        .select(
            F.lit(f"{period:%Y-%m}").alias("liste"),
            "region",
            F.col("region_rank").alias("rang_region"),
            "siren",
            "siret_siege",
            "raison_sociale",
            "departement",
            "commune",
            "code_naf",
            F.col("naf_section").alias("code_secteur"),
            "libelle_section",
            "categorie_juridique",
            "date_creation",
            "dernier_effectif",
            "dette_sociale",
            (F.col("probability") * 100).alias("probabilite"),
            level.alias("niveau_alerte"),
            F.when(F.col("in_proceeding"), F.col("proceeding_state")).alias("procedure_collective"),
            F.when(alerted, F.when(F.coalesce(F.col("_alerted_before"), F.lit(False)), "non").otherwise("oui")).alias(
                "premiere_alerte"
            ),
            evolution.alias("evolution"),
            (F.when(F.lit(previous_scored), F.coalesce(before, F.lit(NOT_FOLLOWED)))).alias("niveau_mois_precedent"),
            ((F.col("probability") - F.col("_prev_p")) * 100).alias("variation_probabilite"),
            F.col("contributions"),
            F.col("top_factors").alias("facteurs"),
            *financial_columns,
            order.alias("ordre"),
            F.col("probability").alias("_p"),
        )
        .orderBy("region", "ordre", F.desc_nulls_last("_p"), "siren")
        .drop("_p")
    )


@dataclass(frozen=True)
class Disclosure:
    """What a list may show: the values of the confidential topics' features, and the financial
    columns, only with `include_confidential`."""

    include_confidential: bool
    confidential_topics: frozenset[str]
    financial_columns: tuple[str, ...]

    def hides(self, factor) -> bool:
        return not self.include_confidential and factor["topic"] in self.confidential_topics


def table_columns(topics: list[str], disclosure: Disclosure) -> list[Column]:
    """Every column of a list, in order."""
    columns = COLUMNS + [contribution_column(t) for t in topics] + [FACTORS]
    if disclosure.include_confidential:
        columns += [financial_column(c) for c in disclosure.financial_columns]
    return columns


def factor_text(factors, disclosure: Disclosure) -> str:
    """ "dette sociale : 12 500 € (+1,35) ; secteur d'activité : F (+0,20)"."""
    parts = []
    for factor in factors if factors is not None else []:
        name = factor["feature"]
        if disclosure.hides(factor):
            value = CONFIDENTIAL
        elif factor["level"] is not None:
            value = str(factor["level"])
        elif factor["value"] is None or math.isnan(factor["value"]):
            value = "non renseigné"
        else:
            unit = labels.feature_unit(name)
            value = labels.number(factor["value"]) + (f" {unit}" if unit else "")
        parts.append(f"{labels.feature_label(name)} : {value} ({labels.signed(factor['contribution'])})")
    return " ; ".join(parts)


def factor_records(factors, disclosure: Disclosure) -> list[dict]:
    """The factors as JSON objects: variable, libelle, theme, valeur, contribution (log-odds)."""
    records = []
    for factor in factors if factors is not None else []:
        name = factor["feature"]
        value = factor["level"] if factor["level"] is not None else factor["value"]
        if isinstance(value, float) and math.isnan(value):
            value = None
        record = {
            "variable": name,
            "libelle": labels.feature_label(name),
            "theme": factor["topic"],
            "valeur": None if disclosure.hides(factor) else value,
            "unite": labels.feature_unit(name),
            "contribution": factor["contribution"],
        }
        if disclosure.hides(factor):
            record["confidentiel"] = True
        records.append(record)
    return records


def region_table(
    rows: pd.DataFrame,
    topics: list[str],
    departements: dict[str, str],
    disclosure: Disclosure,
) -> pd.DataFrame:
    """The flat list of one region (keys of `table_columns`), from its `list_rows` rows."""
    out = pd.DataFrame(index=rows.index)
    for column in COLUMNS:
        if column.key in rows:
            out[column.key] = rows[column.key]
    out["libelle_departement"] = rows["departement"].map(lambda d: departements.get(d) if d else None)
    out["secteur"] = [
        f"{code} - {label}" if label else code
        for code, label in zip(rows["code_secteur"], rows["libelle_section"], strict=True)
    ]
    out["forme_juridique"] = rows["categorie_juridique"].map(labels.legal_form)
    contributions = rows["contributions"].map(lambda m: dict(m) if m is not None else {})
    for topic in topics:
        out[f"contribution_{topic}"] = contributions.map(lambda m, topic=topic: m.get(topic))
    out[FACTORS.key] = rows["facteurs"].map(lambda f: factor_text(f, disclosure))
    if disclosure.include_confidential:
        for c in disclosure.financial_columns:
            out[c] = rows[c]
    return out[[c.key for c in table_columns(topics, disclosure)]].reset_index(drop=True)


def region_records(rows: pd.DataFrame, table: pd.DataFrame, topics: list[str], disclosure: Disclosure) -> list[dict]:
    """One JSON object per firm: the table's values, with `contributions` and `facteurs` nested."""
    flat = [c for c in table.columns if not c.startswith("contribution_") and c != FACTORS.key]
    records = []
    for (_, row), (_, source) in zip(table.iterrows(), rows.reset_index(drop=True).iterrows(), strict=True):
        record = {c: _plain(row[c]) for c in flat}
        contributions = dict(source["contributions"]) if source["contributions"] is not None else {}
        record["contributions"] = {t: contributions.get(t) for t in topics} if contributions else None
        record["facteurs"] = factor_records(source["facteurs"], disclosure)
        records.append(record)
    return records


def _plain(value):
    """A JSON-ready value: None for missing, ISO dates, Python numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    return value
