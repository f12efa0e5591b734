"""Features: per model feature, the share of nulls and the population stability index (PSI) of this
month against the reference profile of the model's training rows. The profile (quantile bin edges
and the share of rows in each bin, nulls being a bin of their own) is computed at training time and
stored with the model version (`REFERENCE_ARTIFACT` in its MLflow run)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.findings import CRITICAL, OK, WARNING, Finding, psi, shares

FAMILY = "features"
REFERENCE_ARTIFACT = "monitoring/feature_reference.json"
NULL = "null"


def _bin(column: str, kind: str, edges: list[float]) -> Column:
    """The bin of a value as text: its level (categorical), else the number of edges below it;
    nulls (and NaN) are the bin "null"."""
    if kind == "categorical":
        return F.coalesce(F.col(column).cast("string"), F.lit(NULL))
    number = F.col(column).cast("double")
    above = sum(((number > F.lit(float(e))).cast("int") for e in edges), F.lit(0))
    return F.when(number.isNull() | F.isnan(number), F.lit(NULL)).otherwise(above.cast("string"))


# Features binned per aggregation: the expression of every feature in one projection outgrows the
# 64 KB a generated method may hold (Spark then logs a compile error and interprets it, slower).
BINS_PER_PASS = 8


def bin_counts(rows: DataFrame, bins: dict[str, tuple[str, list[float]]]) -> dict[str, dict[str, int]]:
    """Feature -> bin -> rows, for `bins` (feature -> (kind, edges)); a few aggregations of
    BINS_PER_PASS features over the rows, cached once, each with a small result."""
    names = list(bins)
    chunks = [names[i : i + BINS_PER_PASS] for i in range(0, len(names), BINS_PER_PASS)]
    cached = len(chunks) > 1
    if cached:
        rows = rows.select(*names).persist()
    out: dict[str, dict[str, int]] = {name: {} for name in bins}
    try:
        for chunk in chunks:
            pairs = F.explode(
                F.array(
                    *[F.struct(F.lit(name).alias("feature"), _bin(name, *bins[name]).alias("bin")) for name in chunk]
                )
            )
            for r in rows.select(pairs.alias("p")).groupBy("p.feature", "p.bin").count().collect():
                out[r["feature"]][r["bin"]] = r["count"]
    finally:
        if cached:
            rows.unpersist()
    return out


def feature_profile(rows: DataFrame, *, numeric: list[str], categorical: list[str], bins: int) -> dict:
    """The reference profile of `rows`: for each feature its kind, bin edges (numeric: distinct
    inner quantiles) and share of rows per bin (nulls in bin "null")."""
    quantiles = [i / bins for i in range(1, bins)]
    values = rows.select(*[F.col(c).cast("double").alias(c) for c in numeric])
    found = values.approxQuantile(numeric, quantiles, 0.001) if numeric else []
    spec = {c: ("numeric", sorted(set(q))) for c, q in zip(numeric, found, strict=True)}
    spec |= {c: ("categorical", []) for c in categorical}
    counts = bin_counts(rows, spec)
    return {
        "rows": sum(next(iter(counts.values()), {}).values()) if counts else 0,
        "features": {
            c: {"kind": kind, "edges": edges, "shares": shares(counts[c])} for c, (kind, edges) in spec.items()
        },
    }


def feature_findings(
    month_rows: DataFrame, reference: dict, features: list[str], conf: MonitoringSettings
) -> list[Finding]:
    """Null share and PSI of each of `features` in `month_rows` against `reference`
    (a `feature_profile`), then the most drifting features in one finding."""
    known = {c: reference["features"][c] for c in features if c in reference["features"]}
    absent = [c for c in features if c not in month_rows.columns]
    out = [
        Finding(FAMILY, "present", c, None, None, CRITICAL, f"feature {c} is missing from the month's features")
        for c in absent
    ]
    profiled = {c: (p["kind"], p["edges"]) for c, p in known.items() if c not in absent}
    if not profiled:
        return out
    counts = bin_counts(month_rows, profiled)
    drift = []
    for c in profiled:
        now, before = shares(counts[c]), known[c]["shares"]
        out.append(_nulls(c, now.get(NULL, 0.0), before.get(NULL, 0.0), conf))
        # the PSI of the known values: nulls have their own check, and fewer nulls than in the
        # training's first months (lags not yet observable) is no drift
        values_now, values_before = _known(now), _known(before)
        index = psi(values_before, values_now) if values_now and values_before else None
        drift.append((index or 0.0, c))
        status = WARNING if index is not None and index > conf.psi_warning else OK
        out.append(
            Finding(
                FAMILY,
                "psi",
                c,
                index,
                conf.psi_warning,
                status,
                f"{c}: PSI {index:.3f} of its known values against the training rows"
                if index is not None
                else f"{c}: no known value to compare",
            )
        )
    top = sorted(drift, reverse=True)[: conf.top_drifting]
    out.append(
        Finding(
            FAMILY,
            "top_drift",
            "features",
            top[0][0] if top else None,
            conf.psi_warning,
            OK,
            "largest PSI: " + ", ".join(f"{c} ({v:.3f})" for v, c in top),
        )
    )
    return out


def _known(bin_shares: dict[str, float]) -> dict[str, float]:
    """The shares of the bins of known values, summing to 1 again (empty when all are null)."""
    return shares({k: v for k, v in bin_shares.items() if k != NULL})


def _nulls(feature: str, share: float, before: float, conf: MonitoringSettings) -> Finding:
    """Critical when the feature is gone (null on nearly every row, unlike the training rows); a
    rise of its nulls short of that is a warning (it can be real: less short-time work after 2021)."""
    gone = share >= conf.null_critical > before
    status = CRITICAL if gone else WARNING if share - before > conf.null_warning else OK
    return Finding(
        FAMILY,
        "null_share",
        feature,
        share,
        before,
        status,
        f"{feature}: {share:.1%} null this month against {before:.1%} in the training rows",
    )
