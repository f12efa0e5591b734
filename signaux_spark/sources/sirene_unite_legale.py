"""sirene_unite_legale: INSEE registry of legal units (SOURCES.md section 10)."""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, StringType, StructField, TimestampType

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "sirene_unite_legale"
FILE_NAME = "StockUniteLegale_utf8.csv"
RAW_COLUMNS = [
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "prenom1UniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "categorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "denominationUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "caractereEmployeurUniteLegale",
]
LAYOUT = Layout(
    encoding="utf-8",
    sep=",",
    quoting="rfc4180",
    kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),),
    ignored_columns=frozenset({"activiteprincipalenaf25unitelegale"}),
)
EXTRACTION_DAY = 1
NAF_REV2 = "NAFRev2"

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("statut_diffusion", StringType(), True),
    StructField("unite_purgee", BooleanType(), True),
    StructField("date_creation", DateType(), True),
    StructField("tranche_effectif", StringType(), True),
    StructField("date_dernier_traitement", TimestampType(), True),
    StructField("categorie_entreprise", StringType(), True),
    StructField("date_debut_etat", DateType(), True),
    StructField("est_active", BooleanType(), True),
    StructField("nom", StringType(), True),
    StructField("prenom", StringType(), True),
    StructField("denomination", StringType(), True),
    StructField("categorie_juridique", StringType(), True),
    StructField("naf", StringType(), True),
    StructField("naf_section", StringType(), True),
    StructField("nic_siege", StringType(), True),
    StructField("siret_siege", StringType(), True),
)
RECORD_KEY = ["siren"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "naf_rev2_format": "naf IS NULL OR naf RLIKE '^[0-9]{2}[.][0-9]{2}[A-Z]$'",
    "siret_siege_of_siren": "siret_siege IS NULL OR siret_siege = siren || nic_siege",
}


def naf(code: Column, nomenclature: Column, naf_sections: dict[str, str]) -> tuple[v.Parsed, Column]:
    """(NAF rev. 2 code, its section): null + `naf_not_rev2` for another nomenclature, null +
    `bad_naf` for a code not `NN.NNL` or of a division that does not exist (SOURCES.md 12.2)."""
    section = v.lookup(naf_sections, F.substring(code, 1, 2))
    other_nomenclature = code.isNotNull() & nomenclature.isNotNull() & (nomenclature != NAF_REV2)
    bad = code.isNotNull() & ~other_nomenclature & (~code.rlike(r"^\d{2}\.\d{2}[A-Z]$") | section.isNull())
    value = F.when(~other_nomenclature & ~bad, code)
    return (
        v.Parsed(value, None, (v.flag_if(other_nomenclature, "naf_not_rev2"), v.flag_if(bad, "bad_naf"))),
        F.when(value.isNotNull(), section),
    )


def etat(raw_value: Column, active: str, closed: str) -> tuple[Column, Column]:
    """(is active, unknown_code flag) of an administrative state code."""
    value = F.when(raw_value == active, F.lit(True)).when(raw_value == closed, F.lit(False))
    return value, v.code(raw_value, (active, closed))


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    activite, section = naf(
        raw("activitePrincipaleUniteLegale"), raw("nomenclatureActivitePrincipaleUniteLegale"), context.naf_sections
    )
    df, p = stage(
        df,
        siren=v.require(raw("siren"), v.siren(raw("siren"))),
        purgee=v.attribute(v.boolean(raw("unitePurgeeUniteLegale"), true=("true",), false=("false",)), "unite_purgee"),
        creation=v.attribute(v.date(raw("dateCreationUniteLegale")), "date_creation"),
        traitement=v.attribute(v.timestamp(raw("dateDernierTraitementUniteLegale")), "date_dernier_traitement"),
        debut=v.attribute(v.date(raw("dateDebut")), "date_debut_etat"),
        categorie=v.attribute(v.pattern(raw("categorieJuridiqueUniteLegale"), r"^\d{4}$"), "categorie_juridique"),
        activite=activite,
        section=v.Parsed(section),
        nic=v.attribute(v.pattern(raw("nicSiegeUniteLegale"), r"^\d{5}$"), "nic_siege"),
    )
    active, unknown_etat = etat(raw("etatAdministratifUniteLegale"), "A", "C")
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siren": p.siren.value,
            "statut_diffusion": raw("statutDiffusionUniteLegale"),
            "unite_purgee": F.coalesce(p.purgee.value, F.when(raw("unitePurgeeUniteLegale").isNull(), F.lit(False))),
            "date_creation": p.creation.value,
            "tranche_effectif": raw("trancheEffectifsUniteLegale"),
            "date_dernier_traitement": p.traitement.value,
            "categorie_entreprise": raw("categorieEntreprise"),
            "date_debut_etat": p.debut.value,
            "est_active": active,
            "nom": raw("nomUniteLegale"),
            "prenom": raw("prenom1UniteLegale"),
            "denomination": raw("denominationUniteLegale"),
            "categorie_juridique": p.categorie.value,
            "naf": p.activite.value,
            "naf_section": p.section.value,
            "nic_siege": p.nic.value,
            "siret_siege": F.concat(p.siren.value, p.nic.value),
        },
        rules=[on("siren", p.siren)],
        flags=[
            *p.siren.flags,
            *p.purgee.flags,
            *p.creation.flags,
            *p.traitement.flags,
            *p.debut.flags,
            unknown_etat,
            *p.categorie.flags,
            *p.activite.flags,
            *p.nic.flags,
            v.control_characters(raw("nomUniteLegale"), raw("prenom1UniteLegale"), raw("denominationUniteLegale")),
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
