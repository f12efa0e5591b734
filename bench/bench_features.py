"""Benchmark of the features job: the whole history in one pass, then the monthly runs of the last
two months (their windows read from the silver the history stored; the first builds the carried
states from bronze, the second folds its own batch into them), and the same for a month
`--short-history-years` in; time, driver CPU, peak memory, time per step and load of each.

    .venv/bin/python bench/bench_features.py --lake /work/bench/region/lake --root /work/bench/features-region
    .venv/bin/python bench/bench_features.py --firms 35000 --from 2015-01 --to 2024-12   # synthesised bronze

With `--lake` (a lake whose bronze tables the ingestion wrote, e.g. after `generate --size region`
and `ingest --from 2015-01 --to 2024-12`), its bronze tables are read in place through a link
(never written) and silver and gold are written under `--root`; the months --from..--to are built
(`--firms` is only reported). Without it, bronze tables of `--firms` firms are synthesised under
`--root` with realistic volumes per source (quarterly headcount deliveries of 48 months, monthly
contributions per establishment, debts with history steps, plans, proceedings, short-time work,
yearly statements, monthly paydex, yearly registry stocks), and their first year only feeds the
windows. The monthly run's rows are checked against the one-pass build's (`equals_full_build`).
Peak memory is the driver JVM's peak resident set (local mode: driver and executors). Prints the
report (also bench/results/features_<firms>.json) and a one-line summary with the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark import cli, reference, tables
from signaux_spark.config import load_settings
from signaux_spark.features.build import build_features, build_month
from signaux_spark.io import Lake
from signaux_spark.months import add_months, months_count
from signaux_spark.progress import log, setup_logging
from signaux_spark.session import build_session

DEPARTEMENTS = [
    "75",
    "69",
    "13",
    "59",
    "33",
    "31",
    "44",
    "67",
    "35",
    "74",
    "2A",
    "2B",
    "971",
    "974",
    "06",
    "34",
    "38",
    "76",
    "57",
    "62",
]
NAF = [
    "16.23Z",
    "10.71C",
    "49.41A",
    "43.21A",
    "47.11B",
    "56.10A",
    "62.01Z",
    "25.62B",
    "46.90Z",
    "86.21Z",
    "84.11Z",
    "64.19Z",
    "41.20A",
    "70.22Z",
    "68.20A",
]


def _lineage(df: DataFrame, batch: F.Column) -> DataFrame:
    return df.select(
        "*",
        F.date_format(batch, "yyyy-MM").alias("batch"),
        F.lit("synthetic.csv").alias("source_file"),
        F.monotonically_increasing_id().alias("line_number"),
        F.lit("bench").alias("ingest_run_id"),
        F.array().cast("array<string>").alias("quality_flags"),
    )


def _months(spark: SparkSession, first: dt.date, last: dt.date, name: str = "m") -> DataFrame:
    return spark.sql(f"SELECT explode(sequence(DATE'{first}', DATE'{last}', INTERVAL 1 MONTH)) AS {name}")


def synthesise(spark: SparkSession, lake: Lake, firms: int, first: dt.date, last: dt.date) -> dict[str, int]:
    """Write bronze tables for `firms` firms and the batches first..last; returns rows per table."""
    import importlib

    from signaux_spark.sources import SOURCES

    history = add_months(first, -36)
    f = (
        spark.range(firms).select(
            F.col("id"),
            F.lpad((F.col("id") * 7919 + 300000000).cast("string"), 9, "0").alias("siren"),
            F.element_at(
                F.array(*[F.lit(x) for x in DEPARTEMENTS]), (F.col("id") % len(DEPARTEMENTS) + 1).cast("int")
            ).alias("dep"),
            F.element_at(F.array(*[F.lit(x) for x in NAF]), (F.col("id") % len(NAF) + 1).cast("int")).alias("naf"),
            F.floor(F.exp(F.rand(7) * 4.5)).cast("int").alias("size"),
            (F.col("id") % 3 + 1).cast("int").alias("n_etab"),
            F.make_date((1985 + F.col("id") % 35).cast("int"), (F.col("id") % 12 + 1).cast("int"), F.lit(1)).alias(
                "created"
            ),
        )
    ).cache()
    batches = _months(spark, first, last, "b")
    stocks = batches.where((F.col("b") == F.lit(first)) | (F.month("b") == 1))
    etabs = (
        f.select("*", F.explode(F.sequence(F.lit(1), F.col("n_etab"))).alias("k"))
        .select("*", F.lpad((F.col("k") * 8 + 9).cast("string"), 5, "0").alias("nic"))
        .withColumn("siret", F.concat("siren", "nic"))
    )
    commune = F.when(F.length("dep") == 3, F.concat("dep", F.lit("11"))).otherwise(F.concat("dep", F.lit("004")))
    frames: dict[str, DataFrame] = {}
    frames["sirene_unite_legale"] = _lineage(
        f.crossJoin(stocks).select(
            "siren",
            F.lit("O").alias("statut_diffusion"),
            F.lit(None).cast("boolean").alias("unite_purgee"),
            F.col("created").alias("date_creation"),
            F.lit("11").alias("tranche_effectif"),
            F.lit(None).cast("timestamp").alias("date_dernier_traitement"),
            F.lit("PME").alias("categorie_entreprise"),
            F.col("created").alias("date_debut_etat"),
            F.lit(True).alias("est_active"),
            F.lit(None).cast("string").alias("nom"),
            F.lit(None).cast("string").alias("prenom"),
            F.concat(F.lit("ENTREPRISE "), "siren").alias("denomination"),
            F.when(F.col("id") % 50 == 0, "7210").otherwise("5499").alias("categorie_juridique"),
            "naf",
            F.lit(None).cast("string").alias("naf_section"),
            F.lit("00017").alias("nic_siege"),
            F.concat("siren", F.lit("00017")).alias("siret_siege"),
            "b",
        ),
        F.col("b"),
    ).drop("b")
    frames["sirene_etablissement"] = _lineage(
        etabs.crossJoin(stocks)
        .select(
            "siret",
            "siren",
            "nic",
            F.col("created").alias("date_creation"),
            F.lit(None).cast("timestamp").alias("date_dernier_traitement"),
            (F.col("k") == 1).alias("est_siege"),
            F.lit("75001").alias("code_postal"),
            F.lit("VILLE").alias("commune"),
            commune.alias("code_commune"),
            F.lit(None).cast("string").alias("code_pays_etranger"),
            "dep",
            F.lit(None).cast("string").alias("region"),
            F.col("created").alias("date_debut_etat"),
            F.lit(True).alias("est_actif"),
            "naf",
            F.lit("O").alias("caractere_employeur"),
            "b",
        )
        .withColumnRenamed("dep", "departement"),
        F.col("b"),
    ).drop("b")
    # Headcount: quarterly deliveries of up to 48 months, the last 0-3 months not yet known.
    deliveries = batches.where(F.month("b").isin(1, 4, 7, 10))
    cells = f.crossJoin(deliveries).select(
        "siren",
        "size",
        "b",
        F.explode(
            F.sequence(
                F.when(F.col("b") == F.lit(first), F.lit(history)).otherwise(F.add_months("b", -48)),
                F.add_months("b", -(1 + (F.col("id") % 4).cast("int"))),
                F.expr("INTERVAL 1 MONTH"),
            )
        ).alias("periode"),
    )
    frames["urssaf_effectif_ent"] = _lineage(
        cells.select(
            "siren",
            "periode",
            F.greatest(F.lit(0), F.col("size") + (F.month("periode") % 3) - 1).cast("int").alias("effectif"),
            F.lit("RAISON").alias("rais_soc"),
            "b",
        ),
        F.col("b"),
    ).drop("b")
    months = _months(spark, history, add_months(last, -1))
    frames["urssaf_cotisation"] = _lineage(
        etabs.crossJoin(months).select(
            "siret",
            "siren",
            F.concat(F.lit("8270000000"), "nic", F.lit("123")).alias("compte"),
            F.col("m").alias("periode_debut"),
            F.add_months("m", 1).alias("periode_fin"),
            F.lit(1).alias("n_mois"),
            F.lit(0.0).alias("mer"),
            (F.col("size") * 900.0 / F.col("n_etab")).alias("encaisse"),
            (F.col("size") * 900.0 / F.col("n_etab")).alias("cotisation_due"),
            F.greatest(F.add_months("m", 1), F.lit(first)).alias("b"),
        ),
        F.col("b"),
    ).drop("b")
    # Debts: one in five firms, a debt every 4 months, three steps (collection, half paid, paid).
    indebted = etabs.where((F.col("id") % 5 == 0) & (F.col("k") == 1)).crossJoin(months.where(F.month("m") % 4 == 0))
    steps = indebted.select(
        "*",
        F.explode(
            F.array(
                *[
                    F.struct(
                        F.lit(h).alias("h"),
                        F.lit(o).alias("offset"),
                        F.lit(day).alias("day"),
                        F.lit(share).alias("share"),
                    )
                    for h, o, day, share in [(1, 1, 10, 1.0), (2, 2, 25, 0.5), (3, 5, 5, 0.0)]
                ]
            )
        ).alias("s"),
    )
    processed = F.make_date(
        F.year(F.add_months("m", F.col("s.offset"))), F.month(F.add_months("m", F.col("s.offset"))), F.col("s.day")
    )
    frames["urssaf_debit"] = _lineage(
        steps.select(
            "siret",
            "siren",
            F.concat(F.lit("827000000"), "siren").alias("numero_compte"),
            F.col("m").alias("periode_debut"),
            F.add_months("m", 1).alias("periode_fin"),
            F.lit(101).alias("numero_ecart_negatif"),
            F.col("s.h").alias("numero_historique"),
            processed.alias("date_traitement"),
            F.trunc(processed, "month").alias("periode_prise_en_compte"),
            (F.col("size") * 250.0 * F.col("s.share")).alias("dette_ouvriere"),
            (F.col("size") * 550.0 * F.col("s.share")).alias("dette_patronale"),
            F.lit(1).alias("etat_compte"),
            F.lit(0).alias("code_procedure_collective"),
            F.lit(1).alias("code_operation"),
            F.lit(2).alias("code_motif"),
            F.lit(False).alias("recours"),
            F.greatest(F.trunc(processed, "month"), F.lit(first)).alias("b"),
        ).where(F.col("b") <= F.lit(last)),
        F.col("b"),
    ).drop("b")
    plans = f.where(F.col("id") % 17 == 0).crossJoin(months.where(F.month("m") == 3))
    frames["urssaf_delai"] = _lineage(
        plans.select(
            F.concat("siren", F.lit("00017")).alias("siret"),
            "siren",
            F.concat(F.lit("827000000"), "siren").alias("numero_compte"),
            F.concat(F.lit("74"), F.date_format("m", "yyyyMM"), F.lit("00001")).alias("numero_contentieux"),
            F.date_add("m", 11).alias("date_creation"),
            F.date_add(F.add_months("m", 6), 11).alias("date_echeance"),
            F.lit(184).alias("duree_delai"),
            (F.col("size") * 800.0).alias("montant_echeancier"),
            F.lit("APPROB").alias("stade"),
            F.lit("DELAI").alias("action"),
            F.lit("SUP").alias("indic_6m"),
            F.greatest("m", F.lit(first)).alias("b"),
        ),
        F.col("b"),
    ).drop("b")
    failing = f.where(F.col("id") % 40 == 0).select(
        "*", F.add_months(F.lit(history), (F.col("id") % 110).cast("int")).alias("m")
    )
    events = (
        failing.select(
            "*",
            F.explode(
                F.array(
                    F.struct(
                        F.lit(0).alias("offset"), F.lit("redressement").alias("a"), F.lit("ouverture").alias("st")
                    ),
                    F.struct(F.lit(6).alias("offset"), F.lit("liquidation").alias("a"), F.lit("ouverture").alias("st")),
                    F.struct(
                        F.lit(6).alias("offset"),
                        F.lit("redressement").alias("a"),
                        F.lit("inclusion_autre_procedure").alias("st"),
                    ),
                )
            ).alias("e"),
        )
        .where(F.col("id") % 80 == 0)
        .unionByName(
            failing.select(
                "*",
                F.array(
                    F.struct(F.lit(0).alias("offset"), F.lit("sauvegarde").alias("a"), F.lit("ouverture").alias("st"))
                )[0].alias("e"),
            ).where(F.col("id") % 80 != 0)
        )
    )
    effet = F.date_add(F.add_months("m", F.col("e.offset")), 13)
    frames["urssaf_procol"] = _lineage(
        events.select(
            F.concat("siren", F.lit("00017")).alias("siret"),
            "siren",
            effet.alias("date_effet"),
            F.col("e.a").alias("action_procol"),
            F.col("e.st").alias("stade_procol"),
            F.lit("1").alias("cat_v2"),
            F.greatest(F.add_months(F.trunc(effet, "month"), 1), F.lit(first)).alias("b"),
        ).where(F.col("b") <= F.lit(last)),
        F.col("b"),
    ).drop("b")
    requests = f.where(F.col("id") % 10 == 0).crossJoin(months.where((F.month("m") == 3) & (F.year("m") % 2 == 0)))
    frames["ap_demande"] = _lineage(
        requests.select(
            F.concat(F.lit("07"), "siren").alias("id_demande"),
            F.concat("siren", F.lit("00017")).alias("siret"),
            "siren",
            "size",
            F.col("size").alias("effectif_etablissement"),
            F.date_add("m", 20).alias("date_statut"),
            F.date_add("m", 15).alias("date_debut"),
            F.last_day(F.add_months("m", 3)).alias("date_fin"),
            (F.col("size") * 300.0).alias("heures_autorisees"),
            F.lit(5000.0).alias("montant_autorise"),
            F.col("size").alias("effectif_autorise"),
            F.lit(1).alias("motif_recours"),
            F.lit(1).alias("perimetre"),
            F.lit(1).alias("recours_anterieur"),
            F.greatest(F.add_months("m", 1), F.lit(first)).alias("b"),
        ).withColumnRenamed("size", "effectif_entreprise"),
        F.col("b"),
    ).drop("b")
    consumed = requests.select("*", F.explode(F.sequence(F.lit(0), F.lit(3))).alias("k")).select(
        "*", F.add_months("m", F.col("k")).alias("mois")
    )
    frames["ap_consommation"] = _lineage(
        consumed.select(
            F.concat(F.lit("07"), "siren").alias("id_demande"),
            F.concat("siren", F.lit("00017")).alias("siret"),
            "siren",
            F.col("mois").alias("periode"),
            (F.col("size") * 60.0).alias("heures_consommees"),
            F.lit(900.0).alias("montant"),
            F.col("size").alias("effectif"),
            F.greatest(F.add_months("mois", 1), F.lit(first)).alias("b"),
        ).where(F.col("b") <= F.lit(last)),
        F.col("b"),
    ).drop("b")
    years = spark.sql(f"SELECT explode(sequence({history.year - 1}, {last.year})) AS y")
    filed = (
        f.where(F.col("id") % 10 != 9)
        .crossJoin(years)
        .select(
            "*",
            F.make_date("y", F.lit(12), F.lit(31)).alias("fin"),
            F.make_date(F.col("y") + 1, F.lit(5), F.lit(3)).alias("depot"),
        )
    )
    liasse = importlib.import_module("signaux_spark.sources.dgfip_liasses").BRONZE_SCHEMA
    amounts = {
        fld.name: (F.col("size") * (1000 + (F.col("id") * 13 + F.length(F.lit(fld.name))) % 700)).cast(fld.dataType)
        for fld in liasse.fields
        if fld.name.startswith(("d_", "mnt_", "nbr_", "rto_"))
    }
    frames["dgfip_liasses"] = _lineage(
        filed.select(
            "siren",
            F.lit("7401000").alias("no_ocfi"),
            F.col("y").cast("int").alias("annee_exercice"),
            F.make_date("y", F.lit(1), F.lit(1)).alias("date_deb_exercice"),
            F.col("fin").alias("date_fin_exercice"),
            F.col("depot").alias("dte_depot"),
            *[c.alias(n) for n, c in amounts.items()],
            F.greatest(F.make_date(F.col("y") + 1, F.lit(7), F.lit(1)), F.lit(first)).alias("b"),
        ).where(F.col("b") <= F.lit(last)),
        F.col("b"),
    ).drop("b")
    rated = f.where(F.col("id") % 4 != 0).crossJoin(months)
    frames["altares_paydex"] = _lineage(
        rated.select(
            "siren",
            F.lit(None).cast("string").alias("siret"),
            F.lit("Actif").alias("etat_organisation"),
            F.lit("062").alias("code_paydex"),
            ((F.col("id") + F.month("m")) % 40).cast("int").alias("paydex"),
            F.lit(12).alias("nb_fournisseurs"),
            F.lit(100000.0).alias("encours_etudies"),
            F.lit(1000.0).alias("encours_echus"),
            ((F.col("id") * 3 + F.month("m")) % 100).cast("double").alias("fpi_30"),
            ((F.col("id") + F.month("m")) % 30).cast("double").alias("fpi_90"),
            F.last_day("m").alias("date_valeur"),
            F.lit("increment").alias("file_kind"),
            F.greatest(F.add_months("m", 1), F.lit(first)).alias("b"),
        ),
        F.col("b"),
    ).drop("b")
    counts = {}
    for source in SOURCES:
        schema = importlib.import_module(f"signaux_spark.sources.{source}").BRONZE_SCHEMA
        df = frames[source].select(
            *[
                F.col(fld.name) if fld.name == "quality_flags" else F.col(fld.name).cast(fld.dataType)
                for fld in schema.fields
            ]
        )
        lake.write(df, tables.bronze(source), mode="overwrite")
        counts[source] = lake.read(spark, tables.bronze(source)).count()
    f.unpersist()
    return counts


def jvm_peak_reset(spark: SparkSession) -> int:
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return pid


def jvm_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the driver JVM used so far: a figure that other load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def jvm_peak_gib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


class StepTimes(logging.Handler):
    """Collects the `<step>: done in <s>s` lines the build logs: where the time of a run goes."""

    DONE = re.compile(r"^(?P<step>.+?): done in (?P<seconds>[0-9.]+)s")

    def __init__(self) -> None:
        super().__init__()
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        done = self.DONE.match(record.getMessage())
        if done:
            name = done["step"].split(": ", 1)[-1]
            self.seconds[name] = round(self.seconds.get(name, 0.0) + float(done["seconds"]), 1)

    def take(self) -> dict[str, float]:
        taken, self.seconds = self.seconds, {}
        return taken


def timed(spark: SparkSession, steps: StepTimes, run) -> dict:
    """Wall time, driver JVM CPU time, peak memory, per-step times and the load of one build."""
    pid = jvm_peak_reset(spark)
    start, cpu = time.monotonic(), jvm_cpu_s(pid)
    counts = run()
    return {
        "s": round(time.monotonic() - start, 1),
        "jvm_cpu_s": round(jvm_cpu_s(pid) - cpu, 1),
        "peak_gib": round(jvm_peak_gib(pid), 2),
        "steps_s": steps.take(),
        "counts": counts,
        "load_average_1m": os.getloadavg()[0],
    }


def same_month(spark: SparkSession, lake: Lake, table: str, period: dt.date, version: int) -> bool:
    """Whether the rows of `period` in `table` equal those of its version `version` (both ways)."""
    where = F.col("periode") == F.lit(period)
    now, then = lake.read(spark, table).where(where), lake.read(spark, table, version).where(where)
    return now.exceptAll(then).isEmpty() and then.exceptAll(now).isEmpty()


def profile_silver(spark: SparkSession, settings, first: dt.date, last: dt.date) -> dict[str, float]:
    """Seconds to compute (and count) each part of the one-pass silver grid alone: the registry,
    every signal, then the whole grid; where a full build's time goes."""
    from signaux_spark.features import build

    conf = settings.features
    lake = Lake(settings)
    start = add_months(first, -build.history_needed(conf))
    bronze = build.read_bronze(spark, lake, last=last)
    deps, sections = reference.frames(spark, settings)
    registry = build.registry_months(bronze, deps, sections, start=start, end=last)
    seconds: dict[str, float] = {}

    def clock(name: str, df: DataFrame) -> None:
        began = time.monotonic()
        rows = df.count()
        seconds[name] = round(time.monotonic() - began, 1)
        log.info("profile %s: %.1fs, %d rows", name, seconds[name], rows)

    clock("registry", registry)
    for name, df in build.signals(bronze, start=start, end=last, settings=conf).items():
        clock(name, df)
    clock("grid (registry + every signal)", build.firm_months(bronze, registry, start=start, end=last, settings=conf))
    return seconds


def link_bronze(lake_dir: Path, root: Path) -> None:
    """Read the bronze tables of `lake_dir` in place (never written) and write silver and gold under
    `root`: root/lake/bronze is a link to lake_dir/bronze."""
    bronze = root / "lake" / "bronze"
    bronze.parent.mkdir(parents=True, exist_ok=True)
    if bronze.is_symlink() or bronze.exists():
        if bronze.resolve() != (lake_dir / "bronze").resolve():
            raise SystemExit(f"{bronze} exists and is not a link to {lake_dir / 'bronze'}")
        return
    bronze.symlink_to((lake_dir / "bronze").resolve(), target_is_directory=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--firms", type=int, default=35000)
    p.add_argument("--from", dest="first", type=cli.month, default=dt.date(2015, 1, 1))
    p.add_argument("--to", dest="last", type=cli.month, default=dt.date(2024, 12, 1))
    p.add_argument("--lake", help="an existing lake with bronze tables, read only (default: synthesise)")
    p.add_argument("--root", default="/tmp/features-bench", help="where silver and gold are written")
    p.add_argument(
        "--short-history-years", type=int, default=5, help="the monthly run is also timed this many years after --from"
    )
    p.add_argument("--profile", action="store_true", help="time each part of the silver grid alone, then stop")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args()
    setup_logging()
    steps = StepTimes()
    log.addHandler(steps)
    root = Path(args.root)
    if args.lake:
        link_bronze(Path(args.lake), root)
    overrides = [f"paths.root={root}", f"paths.lake={root / 'lake'}"] + args.overrides
    settings = load_settings(overrides=overrides)
    spark = build_session("bench-features", settings)
    lake = Lake(settings)
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    report: dict = {
        "machine": f"{os.cpu_count()} cores, {memory_gib:.0f} GiB",
        "spark": spark.sparkContext.master,
        "firms": args.firms,
        "lake": args.lake or "synthesised",
    }
    if not args.lake:
        shutil.rmtree(root, ignore_errors=True)
        start = time.monotonic()
        report["bronze_rows"] = synthesise(spark, lake, args.firms, args.first, args.last)
        report["synthesis_s"] = round(time.monotonic() - start, 1)
    for table in (tables.FIRM_MONTHS, tables.FEATURES, tables.LABELS, tables.FIRMS, tables.STATES):
        shutil.rmtree(lake.path(table), ignore_errors=True)
    # synthesised bronze starts at --from, so its first year only feeds the windows; a real lake's
    # first batch carries 36 months of history already
    history_first = args.first if args.lake else add_months(args.first, 12)
    report["months"] = f"{history_first:%Y-%m}..{args.last:%Y-%m}"
    if args.profile:
        report["silver_profile_s"] = profile_silver(spark, settings, history_first, args.last)
        print(json.dumps(report, indent=2) + f"\nload {os.getloadavg()}")
        return
    report["history"] = timed(spark, steps, lambda: build_features(spark, settings, history_first, args.last))
    built = {t: lake.version(spark, t) for t in (tables.FIRM_MONTHS, tables.FEATURES)}
    # The monthly runs of the last two months, their windows read from the silver the history
    # stored: the first builds the carried states from every batch, the second folds its own batch
    # into them, as each month after. The last must give the rows of the one-pass build (checked
    # against the version that build wrote).
    before_last = add_months(args.last, -1)
    report["month_building_states"] = {
        "month": f"{before_last:%Y-%m}",
        **timed(spark, steps, lambda: build_month(spark, settings, before_last)),
    }
    report["month"] = timed(spark, steps, lambda: build_month(spark, settings, args.last))
    report["month"]["equals_full_build"] = all(same_month(spark, lake, t, args.last, v) for t, v in built.items())
    report["month_over_history"] = round(report["month"]["s"] / report["history"]["s"], 3)
    short = add_months(history_first, 12 * args.short_history_years - 1)
    if short < before_last:
        report["month_short_history_building_states"] = {
            "month": f"{add_months(short, -1):%Y-%m}",
            **timed(spark, steps, lambda: build_month(spark, settings, add_months(short, -1))),
        }
        report["month_short_history"] = {
            "month": f"{short:%Y-%m}",
            **timed(spark, steps, lambda: build_month(spark, settings, short)),
        }
        report["month_long_history"] = {"month": f"{args.last:%Y-%m}", "s": report["month"]["s"]}
    print(json.dumps(report, indent=2))
    summary = (
        f"history {report['months']}: {report['history']['s']} s; one month building its states: "
        f"{report['month_building_states']['s']} s; the month after: {report['month']['s']} s "
        f"(ratio {report['month_over_history']}, equals full build: {report['month']['equals_full_build']})"
    )
    if "month_short_history" in report:
        summary += (
            f"; one month after {args.short_history_years} years: {report['month_short_history']['s']} s, "
            f"after {months_count(history_first, args.last) // 12} years: {report['month']['s']} s"
        )
    print(summary + f"; load {os.getloadavg()}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"features_{args.firms}.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
