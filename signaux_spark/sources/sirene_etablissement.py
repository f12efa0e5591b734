"""sirene_etablissement: INSEE registry of establishments (SOURCES.md section 11)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, StringType, StructField, TimestampType

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, rule, stage, with_raw
from signaux_spark.sources.sirene_unite_legale import etat, naf
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "sirene_etablissement"
FILE_NAME = "StockEtablissement_utf8.csv"
RAW_COLUMNS = [
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "codeCommuneEtablissement",
    "codePaysEtrangerEtablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
]
# INSEE's name, or its geocoded variant (extra columns at the end).
LAYOUT = Layout(
    encoding="utf-8",
    sep=",",
    quoting="rfc4180",
    kinds=(FileKind("main", r"StockEtablissement_utf8(_geo)?\.csv", tuple(RAW_COLUMNS)),),
    ignored_columns=frozenset({"activiteprincipalenaf25etablissement"}),
)
EXTRACTION_DAY = 1
CORSICA_OLD_CODE = "20"
CORSICA_REGION = "94"

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("nic", StringType(), False),
    StructField("date_creation", DateType(), True),
    StructField("date_dernier_traitement", TimestampType(), True),
    StructField("est_siege", BooleanType(), True),
    StructField("code_postal", StringType(), True),
    StructField("commune", StringType(), True),
    StructField("code_commune", StringType(), True),
    StructField("code_pays_etranger", StringType(), True),
    StructField("departement", StringType(), True),
    StructField("region", StringType(), True),
    StructField("date_debut_etat", DateType(), True),
    StructField("est_actif", BooleanType(), True),
    StructField("naf", StringType(), True),
    StructField("caractere_employeur", StringType(), True),
)
RECORD_KEY = ["siret"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "siret_is_siren_nic": "siret = siren || nic",
    "naf_rev2_format": "naf IS NULL OR naf RLIKE '^[0-9]{2}[.][0-9]{2}[A-Z]$'",
}


def departement(code_commune: Column, code_postal: Column) -> Column:
    """Department of a commune: 3 characters overseas (97x, 98x), else 2 (`2A`, `2B` as they are).
    The old Corsican `20` is resolved with the postal code, or left null (SOURCES.md 12.1)."""
    code = F.when(code_commune.rlike("^9[78]"), F.substring(code_commune, 1, 3)).otherwise(
        F.substring(code_commune, 1, 2)
    )
    postal = code_postal.try_cast("int")
    corsica = F.when(postal.between(20000, 20199), F.lit("2A")).when(postal.between(20200, 20699), F.lit("2B"))
    return F.when(code == CORSICA_OLD_CODE, corsica).otherwise(code)


def region(code_commune: Column, dept: Column, regions: dict[str, str]) -> Column:
    old_corsica = F.substring(code_commune, 1, 2) == CORSICA_OLD_CODE
    return F.when(old_corsica & dept.isNull(), F.lit(CORSICA_REGION)).otherwise(v.lookup(regions, dept))


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    activite, _ = naf(
        raw("activitePrincipaleEtablissement"), raw("nomenclatureActivitePrincipaleEtablissement"), context.naf_sections
    )
    df, p = stage(
        df,
        siren=v.require(raw("siren"), v.siren(raw("siren"))),
        siret=v.require(raw("siret"), v.siret(raw("siret"))),
        nic=v.Parsed(F.when(raw("nic").rlike(r"^\d{1,5}$"), F.lpad(raw("nic"), 5, "0"))),
        creation=v.attribute(v.date(raw("dateCreationEtablissement")), "date_creation"),
        traitement=v.attribute(v.timestamp(raw("dateDernierTraitementEtablissement")), "date_dernier_traitement"),
        siege=v.attribute(v.boolean(raw("etablissementSiege"), true=("true",), false=("false",)), "est_siege"),
        postal=v.attribute(v.pattern(raw("codePostalEtablissement"), r"^\d{5}$"), "code_postal"),
        commune=v.attribute(v.pattern(raw("codeCommuneEtablissement"), r"^(\d{5}|2[AB]\d{3})$"), "code_commune"),
        debut=v.attribute(v.date(raw("dateDebut")), "date_debut_etat"),
        activite=activite,
    )
    active, unknown_etat = etat(raw("etatAdministratifEtablissement"), "A", "F")
    dept = departement(p.commune.value, p.postal.value)
    reg = region(p.commune.value, dept, context.regions)
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siret": p.siret.value,
            "siren": p.siren.value,
            "nic": p.nic.value,
            "date_creation": p.creation.value,
            "date_dernier_traitement": p.traitement.value,
            "est_siege": p.siege.value,
            "code_postal": p.postal.value,
            "commune": raw("libelleCommuneEtablissement"),
            "code_commune": p.commune.value,
            "code_pays_etranger": raw("codePaysEtrangerEtablissement"),
            "departement": dept,
            "region": reg,
            "date_debut_etat": p.debut.value,
            "est_actif": active,
            "naf": p.activite.value,
            "caractere_employeur": raw("caractereEmployeurEtablissement"),
        },
        rules=[
            on("siren", p.siren),
            on("siret", p.siret),
            rule(
                p.siret.value != F.concat(p.siren.value, F.coalesce(p.nic.value, F.lit(""))),
                "invalid_siret",
                F.concat_ws(" ", F.lit("siret"), p.siret.value, F.lit("is not siren + nic"), p.siren.value, raw("nic")),
            ),
        ],
        flags=[
            *p.siren.flags,
            *p.siret.flags,
            v.flag_if(raw("nic").rlike(r"^\d{1,4}$"), "id_zero_padded"),
            *p.creation.flags,
            *p.traitement.flags,
            *p.siege.flags,
            *p.postal.flags,
            *p.commune.flags,
            *p.debut.flags,
            unknown_etat,
            *p.activite.flags,
            v.flag_if(dept.isNotNull() & reg.isNull(), "unknown_code"),
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
