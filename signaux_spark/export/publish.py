"""export_period: the month's lists of every region and the national summary, from gold/scores.

The whole month is built in a new publication made current in one atomic step
(`files.publish_month`): a reader sees the previous export or the new one, never a mix, and
nothing of a previous run of the same month survives. Only the listed firms (alerts, exits,
proceedings) and small counts reach the driver, never the country's scores.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from signaux_spark import reference
from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.export import lists
from signaux_spark.export.files import Modes, publish_month
from signaux_spark.export.national import write_national
from signaux_spark.export.published import NATIONAL
from signaux_spark.export.region import ExportContext, write_region
from signaux_spark.io import Lake
from signaux_spark.monitoring.run import read_findings
from signaux_spark.months import add_months
from signaux_spark.progress import log, step
from signaux_spark.scoring.score import ALERTS


def export_period(spark: SparkSession, settings: Settings, period: dt.date) -> dict:
    """Publish `exports/<YYYY-MM>/<region>/` for every region and `exports/<YYYY-MM>/national/`;
    returns the national manifest. The tables are read at the Delta versions current when the
    export starts, recorded in the national manifest (`inputs`: table -> version)."""
    conf, lake, month = settings.export, Lake(settings), f"{period:%Y-%m}"
    scores_table, features_table = settings.score.table, settings.score.feature_table
    departements, regions, sections = reference.labels(settings)
    unknown = [r for r in conf.regions if r not in regions]
    if unknown:
        raise JobError(f"export.regions lists codes absent from departement_region.csv: {', '.join(unknown)}")
    exported = sorted(conf.regions or regions)

    with step(spark, f"export {month}: read scores") as s:
        inputs = {}
        for table in (scores_table, conf.firms_table, features_table):
            inputs[table] = lake.version(spark, table)
            if inputs[table] is None:
                raise JobError(f"table {table} not found under {lake.path(table)}")
        scores = lake.read(spark, scores_table, version=inputs[scores_table])
        current = scores.where(F.col("periode") == F.lit(period))
        info = current.agg(
            F.count("*").alias("rows"),
            F.countDistinct("model_name", "model_version").alias("models"),
            F.max("model_name").alias("name"),
            F.max("model_version").alias("version"),
            F.max("threshold_fort").alias("fort"),
            F.max("threshold_modere").alias("modere"),
        ).first()
        if info["rows"] == 0:
            raise JobError(f"no scores for {month} in {scores_table} (run jobs/score.py --period {month} first)")
        if info["models"] != 1:
            raise JobError(f"the scores of {month} come from {info['models']} model versions: score the month again")
        previous = scores.where(F.col("periode") == F.lit(add_months(period, -1)))
        previous_scored = previous.limit(1).count() > 0
        earlier = scores.where((F.col("periode") < F.lit(period)) & F.col("alert_level").isin(*ALERTS)).select("siren")
        s.rows["scores"] = info["rows"]
        s.notes.append(
            f"model {info['name']} v{info['version']}"
            + ("" if previous_scored else f", no scores for {add_months(period, -1):%Y-%m}")
        )

    disclosure = lists.Disclosure(
        conf.include_confidential, frozenset(conf.confidential_topics), tuple(conf.financial_columns)
    )
    with step(spark, f"export {month}: lists") as s:
        features = lake.read(spark, features_table, version=inputs[features_table]).where(
            F.col("periode") == F.lit(period)
        )
        missing = [
            c
            for c in ["effectif", "dette_sociale"]
            + (list(disclosure.financial_columns) if conf.include_confidential else [])
            if c not in features.columns
        ]
        if missing:
            raise JobError(f"{features_table} lacks the columns {', '.join(missing)} the lists show")
        rows = lists.list_rows(
            current,
            previous,
            earlier,
            lake.read(spark, conf.firms_table, version=inputs[conf.firms_table]),
            features,
            period=period,
            previous_scored=previous_scored,
            include_exits=conf.include_exits,
            include_proceedings=conf.include_proceedings,
            financial_columns=disclosure.financial_columns if conf.include_confidential else (),
        )
        listed = rows.toPandas()
        stats = (
            current.groupBy("region", "departement", "naf_section", "alert_level")
            .agg(F.count("*").alias("n"))
            .toPandas()
        )
        found = {r[0] for r in current.select(F.explode(F.map_keys("contributions"))).distinct().collect()}
        s.rows["listed"] = len(listed)

    groups = list(settings.features.groups)
    topics = [t for t in groups if t in found] + sorted(found - set(groups))
    ctx = ExportContext(
        period=period,
        model_name=info["name"],
        model_version=info["version"],
        fort=info["fort"],
        modere=info["modere"],
        topics=topics,
        disclosure=disclosure,
        departements=departements,
        sections=sections,
        regions=regions,
        file_prefix=conf.file_prefix,
        previous_scored=previous_scored,
    )
    findings = read_findings(spark, settings, period)
    with step(spark, f"export {month}: files") as s:

        def write(folder: Path) -> tuple[dict, dict]:
            manifests = {}
            for region in exported:
                manifests[region] = write_region(
                    folder / region, ctx, region, listed[listed["region"] == region], stats[stats["region"] == region]
                )
            without_region = int((~listed["region"].isin(list(regions))).sum())
            if without_region:
                log.warning(
                    "export %s: %d listed firm(s) without a known region are in no regional file", month, without_region
                )
            return manifests, write_national(folder / NATIONAL, ctx, manifests, stats, without_region, inputs, findings)

        (manifests, national), location = publish_month(
            spark, settings.path("exports"), month, write, Modes(*conf.permissions())
        )
        s.rows.update({"regions": len(manifests), "listed": national["counts"]["listed"]})
    log.info("export %s published to %s: %s", month, location, national["counts"])
    return national
