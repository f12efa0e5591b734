"""The runtime the project sets up: Spark + Delta with the pinned versions and session settings."""

import json

from pyspark.sql import functions as F

from signaux_spark.io import Lake
from signaux_spark.session import versions


def test_session_has_the_pinned_runtime(spark):
    pinned = versions()
    assert spark.version == pinned["SPARK_VERSION"]
    assert spark._jvm.io.delta.package.VERSION() == pinned["DELTA_VERSION"]
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"


def test_compiled_code_stays_cached_after_more_than_a_hundred_other_classes(spark, generated_code):
    """A query run again after others that generated more than 100 classes compiles nothing: a
    features build (some 700 classes) does not push out the previous one's (Spark's default cache
    holds 100)."""
    timer = spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()

    def query(k: int):
        return spark.range(1).select((F.col("id") * k + F.lit(k)).alias("v")).where(F.col("v") > k).collect()

    query(1000)
    compiled = timer.getCount()
    for k in range(1, 60):  # each literal gives other classes (two per query): more than 100 in all
        query(k)
    before = timer.getCount()
    assert before - compiled > 100
    query(1000)
    assert timer.getCount() == before


def test_delta_round_trip_with_replace_where_and_metadata(spark, settings):
    lake = Lake(settings)
    df = spark.createDataFrame([("2024-01", 1), ("2024-01", 2), ("2024-02", 3)], "batch string, n int")
    lake.write(df, "bronze/t", metadata={"run_id": "r1"})
    lake.write(
        spark.createDataFrame([("2024-01", 9)], "batch string, n int"),
        "bronze/t",
        replace_where="batch = '2024-01'",
        metadata={"run_id": "r2", "batch": "2024-01"},
    )
    assert sorted(tuple(r) for r in lake.read(spark, "bronze/t").collect()) == [("2024-01", 9), ("2024-02", 3)]
    assert lake.read(spark, "bronze/t", version=0).count() == 3
    assert lake.version(spark, "bronze/t") == 1
    meta = lake.table(spark, "bronze/t").history(1).first()["userMetadata"]
    assert json.loads(meta) == {"run_id": "r2", "batch": "2024-01"}
    assert lake.version(spark, "bronze/absent") is None


def test_check_constraints_refuse_bad_rows(spark, settings):
    lake = Lake(settings)
    lake.write(spark.createDataFrame([("812345676",)], "siren string"), "bronze/c")
    lake.add_constraints(spark, "bronze/c", {"siren_format": "siren RLIKE '^[0-9]{9}$'"})
    lake.add_constraints(spark, "bronze/c", {"siren_format": "siren RLIKE '^[0-9]{9}$'"})  # idempotent
    try:
        lake.write(spark.createDataFrame([("12AB",)], "siren string"), "bronze/c", mode="append")
    except Exception as err:
        assert "siren_format" in str(err)
    else:
        raise AssertionError("a row breaking the CHECK constraint was written")
    assert lake.read(spark, "bronze/c").count() == 1


def test_ansi_division_by_zero_raises_and_try_divide_does_not(spark):
    import pytest
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(1.0, 0.0)], "a double, b double").select(
        F.col("a").cast("int").alias("a"), F.col("b").cast("int").alias("b")
    )
    assert df.select(F.try_divide("a", "b").alias("r")).first()["r"] is None
    with pytest.raises(Exception, match="DIVIDE_BY_ZERO"):
        df.select((F.col("a") / F.col("b")).alias("r")).collect()
