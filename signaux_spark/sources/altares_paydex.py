"""altares_paydex: supplier payment behaviour: paydex and FPI (SOURCES.md section 9).

Two kinds of file: the retro stock (by name, 11 columns, `dd/mm/yyyy`) once in the first batch, and
monthly increments (31 columns read by position, ISO dates, a trailer line counting the data lines).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import RECORD_COLUMNS, assemble, default_constraints, on, raw, stage
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "altares_paydex"
RETRO_FILE = r"E_\d{12}_Retro-Paydex_\d{8}\.csv"
INCREMENT_FILE = r"E_\d{12}_Paydex-Mensuel_\d{8}\.csv"  # project convention for the name
RETRO_COLUMNS = [
    "SIREN",
    "ETAT_ORGANISATION",
    "CODE_PAYDEX",
    "PAYDEX",
    "NBR_JRS_RETARD",
    "NBR_FOURNISSEURS",
    "ENCOURS_ETUDIES",
    "NBR_EXPERIENCES_PAIEMENT",
    "NOTE100_ALERTEUR_PLUS_30",
    "NOTE100_ALERTEUR_PLUS_90_JOURS",
    "DATE_VALEUR",
]
# The increment's 31 columns as written (read by position, so these names are only documentation).
INCREMENT_COLUMNS = [
    "Référence Client",
    "Siren",
    "Siret",
    "Raison sociale 1",
    "Raison sociale 2",
    "Enseigne",
    "Sigle",
    "Complément d'adresse",
    "Adresse",
    "Distribution spéciale",
    "Code postal et bureau distributeur",
    "Pays",
    "Code postal",
    "Ville",
    "Qualité Etablissement",
    "Code type d'établissement",
    "Libellé type d'établissement",
    "Etat d'activité établissement",
    "Etat d'activité entreprise",
    "Etat de procédure collective",
    "Diffusible",
    "Paydex",
    "Retard moyen de paiements (j)",
    "Nombre de fournisseurs analysés",
    "Montant total des encours étudiés (€)",
    "Montant total des encours échus non réglés (€)",
    "FPI 30+",
    "FPI 90+",
    "Code du mouvement",
    "Libellé du mouvement",
    "Date d'effet du mouvement",
]
# Common fields: (name, position in the increment, retro column or None).
FIELDS = [
    ("siren", 1, "SIREN"),
    ("siret", 2, None),
    ("etat_organisation", 18, "ETAT_ORGANISATION"),
    ("code_paydex", 21, "CODE_PAYDEX"),
    ("paydex", 22, "NBR_JRS_RETARD"),
    ("nb_fournisseurs", 23, "NBR_FOURNISSEURS"),
    ("encours_etudies", 24, "ENCOURS_ETUDIES"),
    ("encours_echus", 25, None),
    ("fpi_30", 26, "NOTE100_ALERTEUR_PLUS_30"),
    ("fpi_90", 27, "NOTE100_ALERTEUR_PLUS_90_JOURS"),
    ("date_valeur", 30, "DATE_VALEUR"),
]
LAYOUT = Layout(
    encoding="iso-8859-15",
    sep=";",
    quoting="strict",
    kinds=(
        FileKind("retro", RETRO_FILE, tuple(RETRO_COLUMNS)),
        FileKind(
            "increment",
            INCREMENT_FILE,
            tuple(f"position_{i}" for i in range(len(INCREMENT_COLUMNS))),
            by_position=True,
            trailer=True,
        ),
    ),
)
EXTRACTION_DAY = 10

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("siret", StringType(), True),
    StructField("etat_organisation", StringType(), True),
    StructField("code_paydex", StringType(), True),
    StructField("paydex", IntegerType(), True),
    StructField("nb_fournisseurs", IntegerType(), True),
    StructField("encours_etudies", DoubleType(), True),
    StructField("encours_echus", DoubleType(), True),
    StructField("fpi_30", DoubleType(), True),
    StructField("fpi_90", DoubleType(), True),
    StructField("date_valeur", DateType(), False),
    StructField("file_kind", StringType(), False),
)
RECORD_KEY = ["siren", "date_valeur"]
AMOUNTS = ["encours_etudies", "encours_echus", "fpi_30", "fpi_90"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {"file_kind_known": "file_kind IN ('retro', 'increment')"}


def with_common_fields(records: DataFrame) -> DataFrame:
    """Both kinds of file as one struct `raw` of the common fields."""
    retro_index = {name: i for i, name in enumerate(RETRO_COLUMNS)}
    is_retro = F.col("file_kind") == "retro"
    return records.select(
        *RECORD_COLUMNS,
        F.struct(
            *[
                (
                    F.when(is_retro, F.get("fields", retro_index[column])).otherwise(F.get("fields", position))
                    if column
                    else F.when(~is_retro, F.get("fields", position))
                ).alias(name)
                for name, position, column in FIELDS
            ]
        ).alias("raw"),
    )


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_common_fields(records)
    df, p = stage(
        df,
        siren=v.require(raw("siren"), v.siren(raw("siren"))),
        siret=v.attribute(v.siret(raw("siret")), "siret"),
        valeur=v.in_range(
            v.require(raw("date_valeur"), v.date(raw("date_valeur"), french=True)),
            context.history_start,
            v.extraction_date(df.batch, EXTRACTION_DAY),
        ),
        code=v.attribute(v.pattern(raw("code_paydex"), r"^0[0-8][0-9]$|^090$"), "code_paydex"),
        paydex=v.attribute(v.integer(raw("paydex")), "paydex"),
        fournisseurs=v.attribute(v.integer(raw("nb_fournisseurs")), "nb_fournisseurs"),
        **{c: v.attribute(v.decimal(raw(c)), c) for c in AMOUNTS},
    )
    fpi_out = (~p.fpi_30.value.between(0, 100)) | (~p.fpi_90.value.between(0, 100))
    return assemble(
        df,
        BRONZE_SCHEMA,
        # The SIRET wins over a disagreeing SIREN (SOURCES.md 0.3).
        values={
            "siren": F.coalesce(v.siren_of(p.siret.value), p.siren.value),
            "siret": p.siret.value,
            "etat_organisation": raw("etat_organisation"),
            "code_paydex": p.code.value,
            "paydex": p.paydex.value,
            "nb_fournisseurs": p.fournisseurs.value,
            **{c: getattr(p, c).value for c in AMOUNTS},
            "date_valeur": p.valeur.value,
            "file_kind": F.col("file_kind"),
        },
        rules=[on("siren", p.siren), on("date_valeur", p.valeur)],
        flags=[
            *p.siren.flags,
            *p.siret.flags,
            v.siren_mismatch(p.siren.value, p.siret.value),
            *p.code.flags,
            *p.paydex.flags,
            *p.fournisseurs.flags,
            *(f for c in AMOUNTS for f in getattr(p, c).flags),
            v.flag_if(fpi_out, "fpi_out_of_range"),
        ],
    )


SPEC = Source(
    SOURCE,
    "Paydex file (E_..._Retro-Paydex_... or E_..._Paydex-Mensuel_...)",
    LAYOUT,
    BRONZE_SCHEMA,
    RECORD_KEY,
    CONSTRAINTS,
    parse,
)
