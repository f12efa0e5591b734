"""Benchmark of the monthly scoring and export: score + explain + export one month at `region`
size (about 35,000 firms in the perimeter), and how much of it the explanations take.

    .venv/bin/python bench/bench_export.py [--firms 35000] [--noise-features 60] [--trees 40] [--depth 5]
                                           [--root /tmp/export-bench]

No real lake of that size exists yet, so everything is synthesised under `--root`: a feature
table of `--firms` firms x 2 months (`model.toy_tables`: the toy features plus `--noise-features`
pure-noise columns spread over the six topics, about 1 % of firms in a collective proceeding,
real department codes), silver/firms, and a model of `--trees` trees of depth `--depth` trained
on a separate toy table with the same columns (one Hyperopt trial, `--trees` or one more, depth
`--depth` or one more). Timed:
scoring of the month before (needed for the évolution columns), scoring of the month (alerted
firms explained, the default `score.explain: alerts`), the export of the month (all regions and
the national summary), and for comparison the month's predictions alone, with the alerts
explained, and with every firm explained, each written to Spark's `noop` sink (the differences
are the explanations' cost).
Results go to bench/results/export_<firms>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.config import load_settings
from signaux_spark.export.publish import export_period
from signaux_spark.io import Lake
from signaux_spark.model.toy_tables import FEATURE_GROUPS, firm_months
from signaux_spark.model.training import train
from signaux_spark.progress import setup_logging
from signaux_spark.reference import labels
from signaux_spark.scoring.adapter import load_scoring_model
from signaux_spark.scoring.score import score_month, score_period
from signaux_spark.session import build_session

TOPICS = ["dettes_sociales", "sante_financiere", "activite_partielle", "effectif", "retards_paiement", "contexte"]
START = dt.date(2021, 1, 1)
TRAIN_FEATURES = "gold/train_features"  # the training table of this bench only (a copy of gold/features)


def groups(noise: int) -> dict[str, list[str]]:
    """The toy features by topic, with the noise columns dealt round the six topics."""
    out = {t: list(FEATURE_GROUPS.get(t, [])) for t in TOPICS}
    out["sante_financiere"] = [c for c in FEATURE_GROUPS["sante_financiere"]]
    for i in range(noise):
        out[TOPICS[i % len(TOPICS)]].append(f"noise_{i}")
    return out


def scoring_table(spark, firms: int, noise: int, departements: dict[str, list[str]]) -> DataFrame:
    """Two months of gold/features-like rows for `firms` firms, with real departments."""
    features, _, _ = firm_months(spark, firms=firms, start=START, months=2, seed=7, noise_features=noise)
    deps = F.create_map(*[x for r, ds in departements.items() for x in (F.lit(r), F.array(*map(F.lit, ds)))])
    pick = (F.pmod(F.xxhash64("siren"), F.size(F.element_at(deps, F.col("region")))) + 1).cast("int")
    proceeding = F.pmod(F.xxhash64("siren", F.lit("procol")), F.lit(100)) == 0
    return (
        features.withColumn("departement", F.element_at(F.element_at(deps, F.col("region")), pick))
        .withColumn("in_proceeding", proceeding)
        .withColumn("proceeding_state", F.when(proceeding, "Redressement judiciaire").otherwise("In bonis"))
        .withColumn("perimeter_exclusion", F.when(~F.col("in_perimeter"), "effectif_insuffisant"))
    )


def firms_table(features: DataFrame) -> DataFrame:
    return features.where(F.col("periode") == START).select(
        "siren",
        F.concat("siren", F.lit("00012")).alias("siret_siege"),
        F.concat(F.lit("ENTREPRISE "), "siren").alias("raison_sociale"),
        F.lit("43.21A").alias("naf"),
        "naf_section",
        F.lit("Construction").alias("libelle_section"),
        F.lit("5710").alias("categorie_juridique"),
        F.lit(dt.date(2005, 1, 1)).alias("date_creation"),
        "departement",
        F.lit("").alias("libelle_departement"),
        "region",
        F.lit("").alias("libelle_region"),
        F.lit("COMMUNE").alias("commune"),
        F.lit("00000").alias("code_commune"),
    )


def timed(label: str, report: dict, action):
    start = time.monotonic()
    result = action()
    report[label] = round(time.monotonic() - start, 1)
    print(f"{label}: {report[label]} s", flush=True)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firms", type=int, default=35000)
    p.add_argument("--noise-features", type=int, default=60)
    p.add_argument("--trees", type=int, default=40)
    p.add_argument("--depth", type=int, default=5)
    p.add_argument("--train-firms", type=int, default=3000)
    p.add_argument("--root", default="/tmp/export-bench")
    args = p.parse_args()
    setup_logging()
    shutil.rmtree(args.root, ignore_errors=True)
    noise = [f"noise_{i}" for i in range(args.noise_features)]
    features = [c for cols in groups(args.noise_features).values() for c in cols if c not in ("naf_section", "region")]
    settings = load_settings(
        overrides=[
            f"paths.root={args.root}",
            "spark.master=local[2]",
            "spark.shuffle_partitions=4",
            f"model.feature_table={TRAIN_FEATURES}",
            "model.label_table=",
            "model.exclude_column=",
            f"model.features={features}",
            "model.categorical=[naf_section, region]",
            "model.horizon_months=1",
            "model.gap_months=1",
            "model.test_months=3",
            "model.validation_months=6",
            "model.tuning.max_evals=1",
            f"model.tuning.space.max_iter=[{args.trees}, {args.trees + 1}]",
            f"model.tuning.space.max_depth=[{args.depth}, {args.depth + 1}]",
            "model.tuning.space.step_size=[0.1, 0.1001]",
            "model.tuning.space.feature_subset=[all]",
            "model.tuning.space.positive_weight=[5.0, 5.01]",
        ]
    )
    settings.features.groups = groups(args.noise_features)
    spark = build_session("signaux_spark-bench-export", settings)
    lake = Lake(settings)
    report = {
        "firms": args.firms,
        "features": len(features) + 2,
        "noise_features": len(noise),
        "trees": args.trees,
        "depth": args.depth,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
    }

    def prepare_model():
        train_rows, labels, _ = firm_months(
            spark,
            firms=args.train_firms,
            start=dt.date(2018, 1, 1),
            months=30,
            seed=3,
            noise_features=args.noise_features,
        )
        table = train_rows.join(labels.select("siren", "periode", "failure"), ["siren", "periode"])
        lake.write(table, TRAIN_FEATURES)
        return train(spark, settings, dt.date(2020, 6, 1), promote=True)

    trained = timed("train_model_seconds (not part of the monthly run)", report, prepare_model)
    report["model_version"] = trained.version
    report["model_params"] = trained.best_params
    departements, _, _ = labels(settings)
    by_region: dict[str, list[str]] = {}
    with open(Path(settings.path("reference")) / "departement_region.csv", encoding="utf-8") as handle:
        for line in handle.read().splitlines()[1:]:
            dep, _, region, _ = line.split(",", 3)
            by_region.setdefault(region, []).append(dep)
    table = scoring_table(spark, args.firms, args.noise_features, by_region)
    timed(
        "write_inputs_seconds",
        report,
        lambda: (
            lake.write(table, tables.FEATURES, partition_by=["periode"]),
            lake.write(firms_table(table), tables.FIRMS),
        ),
    )
    month, previous = dt.date(2021, 2, 1), START
    report["previous_month_counts"] = timed(
        "score_previous_month_seconds", report, lambda: score_period(spark, settings, previous)
    )
    report["counts"] = timed("score_month_seconds", report, lambda: score_period(spark, settings, month))
    national = timed("export_month_seconds", report, lambda: export_period(spark, settings, month))
    report["listed"] = national["counts"]["listed"]
    report["score_and_export_seconds"] = round(report["score_month_seconds"] + report["export_month_seconds"], 1)

    model = load_scoring_model(settings)
    rows = lake.read(spark, tables.FEATURES).where(F.col("periode") == F.lit(month))
    tasks = int(spark.conf.get("spark.sql.shuffle.partitions"))
    timed(
        "predict_only_noop_seconds",
        report,
        lambda: (
            model.predict(rows.where("in_perimeter").repartition(tasks, "siren"))
            .write.format("noop")
            .mode("overwrite")
            .save()
        ),
    )
    timed(
        "predict_and_explain_all_noop_seconds",
        report,
        lambda: (
            score_month(rows, model, explain_rows="all", partitions=tasks).write.format("noop").mode("overwrite").save()
        ),
    )
    timed(
        "predict_and_explain_alerts_noop_seconds",
        report,
        lambda: (
            score_month(rows, model, explain_rows="alerts", partitions=tasks)
            .write.format("noop")
            .mode("overwrite")
            .save()
        ),
    )
    for mode in ("alerts", "all"):
        extra = report[f"predict_and_explain_{mode}_noop_seconds"] - report["predict_only_noop_seconds"]
        report[f"explain_{mode}_seconds"] = round(extra, 1)
        report[f"explain_{mode}_share_of_score_and_export"] = round(extra / report["score_and_export_seconds"], 3)
    report["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"export_{args.firms}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
