"""Tiny hand-made bronze frames for the feature tests: give the business columns, the lineage
columns are filled in (batch defaults to the row's own or the call's, line numbers count up)."""

from __future__ import annotations

import datetime as dt
import importlib

from pyspark.sql.types import DateType, TimestampType

from signaux_spark.sources import SOURCES


def d(text: str | None) -> dt.date | None:
    """'2024-03-18' -> date; '2024-03' -> first day of the month."""
    if text is None:
        return None
    if len(text) == 7:
        text += "-01"
    return dt.date.fromisoformat(text)


def schema(source: str):
    return importlib.import_module(f"signaux_spark.sources.{source}").BRONZE_SCHEMA


def bronze(spark, source: str, rows: list[dict], batch: str | None = None):
    """A bronze DataFrame of `source` with the given rows (missing columns are null)."""
    struct = schema(source)
    values = []
    for number, row in enumerate(rows, start=2):
        row = dict(row)
        row.setdefault("batch", batch)
        row.setdefault("source_file", f"{source}/{row['batch']}/file.csv")
        row.setdefault("line_number", number)
        row.setdefault("ingest_run_id", "test-run")
        row.setdefault("quality_flags", [])
        unknown = set(row) - set(struct.fieldNames())
        assert not unknown, f"unknown columns for {source}: {unknown}"
        out = []
        for field in struct.fields:
            value = row.get(field.name)
            if isinstance(value, str) and isinstance(field.dataType, DateType):
                value = d(value)
            if isinstance(value, str) and isinstance(field.dataType, TimestampType):
                value = dt.datetime.fromisoformat(value)
            out.append(value)
        values.append(tuple(out))
    return spark.createDataFrame(values, struct)


def empty_bronze(spark) -> dict:
    return {source: spark.createDataFrame([], schema(source)) for source in SOURCES}


def rows_by_month(df, *columns):
    """{periode: (columns...)} of a (siren-filtered) frame, for readable asserts."""
    return {r["periode"]: tuple(r[c] for c in columns) for r in df.collect()}


def scenario(spark) -> dict:
    """Bronze tables of three firms over 2023-2024 touching every source (SOURCES.md examples)."""
    A, B, C = "812345676", "523109874", "042112359"
    rows = {source: [] for source in SOURCES}
    for batch in ("2023-01", "2024-01"):  # yearly registry stocks
        rows["sirene_unite_legale"] += [
            dict(
                siren=A,
                date_creation="2009-04-01",
                est_active=True,
                denomination="MENUISERIE DU LAC",
                categorie_juridique="5499",
                naf="16.23Z",
                nic_siege="00017",
                batch=batch,
            ),
            dict(
                siren=B,
                date_creation="2011-09-01",
                est_active=True,
                denomination="BOULANGERIE PAULINE",
                categorie_juridique="5499",
                naf="10.71C",
                nic_siege="00017",
                batch=batch,
            ),
            dict(
                siren=C,
                date_creation="1987-06-15",
                est_active=True,
                denomination="TRANSPORTS VERNAY ET FILS",
                categorie_juridique="5710",
                naf="49.41A",
                nic_siege="00015",
                batch=batch,
            ),
        ]
        rows["sirene_etablissement"] += [
            dict(
                siret=A + "00017",
                siren=A,
                nic="00017",
                date_creation="2009-04-01",
                est_siege=True,
                code_postal="74000",
                code_commune="74010",
                commune="ANNECY",
                est_actif=True,
                batch=batch,
            ),
            dict(
                siret=B + "00017",
                siren=B,
                nic="00017",
                date_creation="2011-09-01",
                est_siege=True,
                code_postal="20000",
                code_commune="2A004",
                commune="AJACCIO",
                est_actif=True,
                batch=batch,
            ),
            dict(
                siret=C + "00015",
                siren=C,
                nic="00015",
                date_creation="1987-06-15",
                est_siege=True,
                code_postal="69007",
                code_commune="69387",
                commune="LYON",
                est_actif=True,
                batch=batch,
            ),
        ]
    months = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)][:32]  # 2022-01 .. 2024-08
    for i, month in enumerate(months[:-1]):
        nxt = months[i + 1]
        for siren, amount in ((A, 15230.40), (B, 4000.0), (C, 180000.0)):
            if siren == B and month >= "2023-06":
                continue  # B owes nothing after 2023-05: more than 12 months before the last months built
            rows["urssaf_cotisation"].append(
                dict(
                    siret=siren + ("00015" if siren == C else "00017"),
                    siren=siren,
                    compte="827" + siren,
                    periode_debut=month,
                    periode_fin=nxt,
                    n_mois=1,
                    cotisation_due=amount,
                    batch=max(nxt, "2023-01"),
                )
            )
    for batch in ("2023-01", "2023-04", "2023-07", "2023-10", "2024-01", "2024-04", "2024-07"):
        for month in [m for m in months if "2022-01" <= m < batch][-24:-1]:
            for siren, size in ((A, 14), (B, 12 if month < "2023-06" else 8), (C, 1204)):
                rows["urssaf_effectif_ent"].append(dict(siren=siren, periode=month, effectif=size, batch=batch))
    for number, (processed, po, pp, batch) in enumerate(
        [
            ("2024-03-18", 1206.30, 2814.70, "2024-03"),
            ("2024-04-26", 603.15, 1407.35, "2024-05"),
            ("2024-06-14", 0.0, 0.0, "2024-06"),
        ],
        start=1,
    ):
        rows["urssaf_debit"].append(
            dict(
                siret=A + "00017",
                siren=A,
                numero_compte="827" + A,
                periode_debut="2024-02",
                periode_fin="2024-03",
                numero_ecart_negatif=101,
                numero_historique=number,
                date_traitement=processed,
                periode_prise_en_compte=processed[:7],
                dette_ouvriere=po,
                dette_patronale=pp,
                batch=batch,
            )
        )
    rows["urssaf_debit"].append(
        dict(
            siret=B + "00017",
            siren=B,
            numero_compte="827" + B,
            periode_debut="2023-07",
            periode_fin="2023-08",
            numero_ecart_negatif=101,
            numero_historique=1,
            date_traitement="2023-08-16",
            periode_prise_en_compte="2023-08",
            dette_ouvriere=2540.0,
            dette_patronale=5988.0,
            batch="2023-08",
        )
    )
    rows["urssaf_delai"].append(
        dict(
            siret=A + "00017",
            siren=A,
            numero_compte="827" + A,
            numero_contentieux="7410000321457",
            date_creation="2024-03-12",
            date_echeance="2024-09-12",
            montant_echeancier=4021.0,
            stade="APPROB",
            batch="2024-03",
        )
    )
    rows["urssaf_procol"] += [
        dict(
            siret=B + "00017",
            siren=B,
            date_effet="2024-03-14",
            action_procol="redressement",
            stade_procol="ouverture",
            batch="2024-03",
        ),
        dict(
            siret=B + "00017",
            siren=B,
            date_effet="2024-08-09",
            action_procol="liquidation",
            stade_procol="ouverture",
            batch="2024-08",
        ),
    ]
    rows["ap_demande"].append(
        dict(
            id_demande="07420012345",
            siret=C + "00015",
            siren=C,
            date_statut="2024-03-25",
            date_debut="2024-03-16",
            date_fin="2024-06-30",
            heures_autorisees=6370.0,
            motif_recours=5,
            batch="2024-04",
        )
    )
    rows["ap_consommation"].append(
        dict(
            id_demande="07420012345",
            siret=C + "00015",
            siren=C,
            periode="2024-04",
            heures_consommees=1204.5,
            batch="2024-05",
        )
    )
    rows["dgfip_liasses"].append(
        dict(
            siren=A,
            no_ocfi="7401000",
            annee_exercice=2023,
            date_deb_exercice="2023-01-01",
            date_fin_exercice="2023-12-31",
            dte_depot="2024-05-03",
            mnt_af_ca=1684000,
            mnt_af_sig_ebe_ret=121500,
            batch="2024-07",
        )
    )
    rows["altares_paydex"] += [
        dict(siren=A, paydex=21, fpi_30=35.0, fpi_90=5.0, date_valeur=f"{m}-15", file_kind="increment", batch=b)
        for m, b in (("2024-04", "2024-05"), ("2024-05", "2024-06"), ("2024-06", "2024-07"), ("2024-07", "2024-08"))
    ]
    return {source: bronze(spark, source, rows[source]) for source in SOURCES}
